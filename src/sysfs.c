// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/scalable_iommu: the module's control and status files.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "siommu.h"

/* sysfs callbacks get only the kobject; there is one module instance. */
static struct siommu *sysfs_sio;

static ssize_t units_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < sysfs_sio->nr_units; i++)
		n += siommu_unit_describe(&sysfs_sio->units[i], buf, n);
	return n;
}

static struct kobj_attribute units_attr = __ATTR_RO(units);

/* A scope as kind:bus:dev.fn, bridge hops after the first after a '/'. */
static int scope_describe(const struct dmar_dev_scope *s, char *buf, int at)
{
	static const char * const kind[] = {
		[DMAR_SCOPE_PCI_ENDPOINT] = "pci",
		[DMAR_SCOPE_PCI_BRIDGE] = "bridge",
		[DMAR_SCOPE_IOAPIC] = "ioapic",
		[DMAR_SCOPE_HPET] = "hpet",
		[DMAR_SCOPE_ACPI_NAMESPACE] = "acpi",
	};
	const char *name = s->type < ARRAY_SIZE(kind) && kind[s->type] ?
			   kind[s->type] : "unknown";
	unsigned int i;
	int n;

	n = sysfs_emit_at(buf, at, "%s:%02x", name, s->start_bus);
	for (i = 0; i < s->path_len; i++)
		n += sysfs_emit_at(buf, at + n, "%s%02x.%x", i ? "/" : ":",
				   s->path[i] >> 3, s->path[i] & 7);
	return n;
}

/**
 * siommu_scopes_describe() - a comma-separated list of device scopes
 * @scopes: array from the DMAR table
 * @nr: entries in @scopes
 * @buf: sysfs page
 * @at: offset in @buf to write at
 *
 * Return: bytes written ("none" for an empty list).
 */
int siommu_scopes_describe(const struct dmar_dev_scope *scopes,
			   unsigned int nr, char *buf, int at)
{
	unsigned int i;
	int n = 0;

	if (!nr)
		return sysfs_emit_at(buf, at, "none");
	for (i = 0; i < nr; i++) {
		if (i)
			n += sysfs_emit_at(buf, at + n, ",");
		n += scope_describe(&scopes[i], buf, at + n);
	}
	return n;
}

static ssize_t rmrrs_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	const struct dmar_info *dmar = &sysfs_sio->dmar;
	unsigned int i;
	int n = 0;

	for (i = 0; i < dmar->nr_rmrrs; i++) {
		const struct dmar_rmrr *r = &dmar->rmrrs[i];

		n += sysfs_emit_at(buf, n, "rmrr%u segment=%u base=%#llx end=%#llx scope=",
				   i, r->segment, r->base, r->end);
		n += siommu_scopes_describe(r->scopes, r->nr_scopes, buf, n);
		n += sysfs_emit_at(buf, n, "\n");
	}
	return n;
}

static struct kobj_attribute rmrrs_attr = __ATTR_RO(rmrrs);

static struct attribute *siommu_attrs[] = {
	&units_attr.attr,
	&rmrrs_attr.attr,
	NULL,
};

static const struct attribute_group siommu_group = {
	.attrs = siommu_attrs,
};

int siommu_sysfs_init(struct siommu *sio)
{
	int ret;

	sysfs_sio = sio;
	sio->kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!sio->kobj)
		return -ENOMEM;
	ret = sysfs_create_group(sio->kobj, &siommu_group);
	if (ret) {
		kobject_put(sio->kobj);
		sio->kobj = NULL;
	}
	return ret;
}

void siommu_sysfs_exit(struct siommu *sio)
{
	if (!sio->kobj)
		return;
	sysfs_remove_group(sio->kobj, &siommu_group);
	kobject_put(sio->kobj);
	sio->kobj = NULL;
}
