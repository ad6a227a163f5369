// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/scalable_iommu: the module's control and status files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "domain.h"
#include "siommu.h"
#include "stats.h"

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

static ssize_t attach_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int ret = siommu_attach(sysfs_sio, buf);

	return ret ? ret : count;
}

static struct kobj_attribute attach_attr = __ATTR_WO(attach);

static ssize_t detach_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int ret = siommu_detach(sysfs_sio, buf);

	return ret ? ret : count;
}

static struct kobj_attribute detach_attr = __ATTR_WO(detach);

/* One managed device a line: address, unit, domain, policies, load. */
static ssize_t devices_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct siommu_domain *dom;
	int n = 0;

	mutex_lock(&sysfs_sio->lock);
	list_for_each_entry(dom, &sysfs_sio->domains, node)
		n += sysfs_emit_at(buf, n,
				   "%s dmar%u domain=%u allocator=%s invalidation=%s driver=%s mappings=%lu table_pages=%ld\n",
				   pci_name(dom->pdev), dom->unit->index,
				   dom->did, dom->iova->ops->name,
				   dom->flush->name,
				   dev_driver_string(&dom->pdev->dev),
				   dom->iova->ops->outstanding(dom->iova),
				   atomic_long_read(&dom->pt.nr_tables));
	mutex_unlock(&sysfs_sio->lock);
	return n;
}

static struct kobj_attribute devices_attr = __ATTR_RO(devices);

/*
 * A choice among names, shown as /sys/block/x/queue/scheduler does:
 * every name, the active one in brackets.
 */
static ssize_t choice_show(const char * const *names, unsigned int nr,
			   const char *active, char *buf)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < nr; i++)
		n += sysfs_emit_at(buf, n, strcmp(names[i], active) ?
				   "%s%s" : "%s[%s]", i ? " " : "", names[i]);
	return n + sysfs_emit_at(buf, n, "\n");
}

static int choice_store(const char *what, const char * const *names,
			unsigned int nr, const char *buf, size_t count)
{
	size_t len = count && buf[count - 1] == '\n' ? count - 1 : count;
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], buf, len))
			return i;
	pr_err("unknown %s '%*pE'; the choices are in the file\n", what,
	       (int)min_t(size_t, len, 32), buf);
	return -EINVAL;
}

static const char * const allocator_names[] = { "rbtree" };

static ssize_t allocator_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return choice_show(allocator_names, ARRAY_SIZE(allocator_names),
			   siommu_iova_rbtree_ops.name, buf);
}

static ssize_t allocator_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	int ret = choice_store("allocator", allocator_names,
			       ARRAY_SIZE(allocator_names), buf, count);

	return ret < 0 ? ret : count;
}

static struct kobj_attribute allocator_attr = __ATTR_RW(allocator);

static const char * const invalidation_names[] = { "strict" };

static ssize_t invalidation_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return choice_show(invalidation_names, ARRAY_SIZE(invalidation_names),
			   siommu_flush_strict_ops.name, buf);
}

static ssize_t invalidation_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	int ret = choice_store("invalidation policy", invalidation_names,
			       ARRAY_SIZE(invalidation_names), buf, count);

	return ret < 0 ? ret : count;
}

static struct kobj_attribute invalidation_attr = __ATTR_RW(invalidation);

static struct attribute *siommu_attrs[] = {
	&units_attr.attr,
	&rmrrs_attr.attr,
	&attach_attr.attr,
	&detach_attr.attr,
	&devices_attr.attr,
	&allocator_attr.attr,
	&invalidation_attr.attr,
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
	if (ret)
		goto put;
	ret = siommu_stats_init(sio->kobj, &sio->stats_kobj);
	if (ret)
		goto remove;
	return 0;
remove:
	sysfs_remove_group(sio->kobj, &siommu_group);
put:
	kobject_put(sio->kobj);
	sio->kobj = NULL;
	return ret;
}

void siommu_sysfs_exit(struct siommu *sio)
{
	if (!sio->kobj)
		return;
	siommu_stats_exit(sio->stats_kobj);
	sio->stats_kobj = NULL;
	sysfs_remove_group(sio->kobj, &siommu_group);
	kobject_put(sio->kobj);
	sio->kobj = NULL;
}
