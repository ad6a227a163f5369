// SPDX-License-Identifier: GPL-2.0
/*
 * Which unit translates a device, the requester ids its DMA carries, and
 * devices that cannot be told apart by them: the DMAR table's device
 * scopes held against the PCI hierarchy.
 */
#include <linux/bitops.h>
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "vtd/topology.h"
#include "vtd/unit.h"

/* Does @scope name @pdev, or a bridge above it? */
bool siommu_scope_matches(const struct dmar_dev_scope *scope, u16 segment,
			  struct pci_dev *pdev)
{
	unsigned int bus = scope->start_bus, i;
	struct pci_dev *hop;

	if (pci_domain_nr(pdev->bus) != segment || !scope->path_len)
		return false;
	for (i = 0; i + 1 < scope->path_len; i++) {
		hop = pci_get_domain_bus_and_slot(segment, bus, scope->path[i]);
		if (!hop || !hop->subordinate) {
			pci_dev_put(hop);
			return false;
		}
		bus = hop->subordinate->number;
		pci_dev_put(hop);
	}
	if (pdev->bus->number == bus && pdev->devfn == scope->path[i])
		return true;
	if (scope->type != DMAR_SCOPE_PCI_BRIDGE)
		return false;
	hop = pci_get_domain_bus_and_slot(segment, bus, scope->path[i]);
	if (hop && hop->subordinate &&
	    pdev->bus->number >= hop->subordinate->busn_res.start &&
	    pdev->bus->number <= hop->subordinate->busn_res.end) {
		pci_dev_put(hop);
		return true;
	}
	pci_dev_put(hop);
	return false;
}

/**
 * siommu_unit_of() - the unit that translates a device's DMA
 * @units: the units, in table order
 * @nr_units: entries in @units
 * @pdev: the device
 *
 * Return: the unit whose device scope names the device or a bridge above
 * it; else the segment's include-all unit; else NULL.
 */
struct siommu_unit *siommu_unit_of(struct siommu_unit *units,
				   unsigned int nr_units, struct pci_dev *pdev)
{
	struct siommu_unit *fallback = NULL;
	unsigned int i, j;

	for (i = 0; i < nr_units; i++) {
		const struct dmar_drhd *drhd = units[i].drhd;

		if (drhd->segment != pci_domain_nr(pdev->bus))
			continue;
		if (drhd->flags & DMAR_DRHD_INCLUDE_PCI_ALL)
			fallback = &units[i];
		for (j = 0; j < drhd->nr_scopes; j++)
			if (siommu_scope_matches(&drhd->scopes[j],
						 drhd->segment, pdev))
				return &units[i];
	}
	return fallback;
}

static void alias_add(struct siommu_aliases *a, u8 bus, u8 devfn)
{
	u16 sid = PCI_DEVID(bus, devfn);
	unsigned int i;

	for (i = 0; i < a->nr; i++)
		if (a->sid[i] == sid)
			return;
	if (a->nr < SIOMMU_MAX_ALIASES)
		a->sid[a->nr++] = sid;
}

/*
 * The requester ids the unit may see for @pdev: its own, the aliases PCI
 * quirks recorded, and the id of a conventional-PCI bridge that takes
 * ownership of its requests on the way up (the kernel's
 * pci_for_each_dma_alias() does this too, but is not exported).
 */
void siommu_device_aliases(struct pci_dev *pdev, struct siommu_aliases *a)
{
	struct pci_dev *tmp;
	unsigned int devfn;

	a->nr = 0;
	alias_add(a, pdev->bus->number, pdev->devfn);
	if (pdev->dma_alias_mask)
		for_each_set_bit(devfn, pdev->dma_alias_mask, 256)
			alias_add(a, pdev->bus->number, devfn);
	for (tmp = pdev; !pci_is_root_bus(tmp->bus); tmp = tmp->bus->self) {
		struct pci_dev *bridge = tmp->bus->self;

		if (!bridge)
			break;
		if (pci_is_pcie(bridge)) {
			if (pci_pcie_type(bridge) == PCI_EXP_TYPE_PCI_BRIDGE) {
				/* PCIe-to-PCI: ids become (secondary, 0). */
				alias_add(a, bridge->subordinate->number, 0);
				alias_add(a, bridge->bus->number,
					  bridge->devfn);
				break;
			}
			continue;
		}
		/* A conventional bridge forwards with its own id. */
		alias_add(a, bridge->bus->number, bridge->devfn);
	}
}

static bool aliases_have(const struct siommu_aliases *a, u16 sid)
{
	unsigned int i;

	for (i = 0; i < a->nr; i++)
		if (a->sid[i] == sid)
			return true;
	return false;
}

/*
 * The next PCI device after @from (NULL: the first) other than @except,
 * behind @unit, whose DMA may carry @sid.  The reference on @from is
 * dropped; the device returned holds one.
 */
struct pci_dev *siommu_next_sid_user(struct siommu_unit *units,
				     unsigned int nr_units,
				     struct siommu_unit *unit, u16 sid,
				     struct pci_dev *except,
				     struct pci_dev *from)
{
	struct pci_dev *pdev = from;
	struct siommu_aliases a;

	for_each_pci_dev(pdev) {
		if (pdev == except || siommu_unit_of(units, nr_units, pdev) != unit)
			continue;
		siommu_device_aliases(pdev, &a);
		if (aliases_have(&a, sid))
			return pdev;
	}
	return NULL;
}

/**
 * siommu_alias_check() - refuse a device that shares a requester id
 * @units: the units, in table order
 * @nr_units: entries in @units
 * @unit: the unit that translates for @pdev
 * @pdev: a device about to be attached
 *
 * The unit knows a device only by the requester id its DMA carries.
 * Behind a PCIe-to-PCI bridge every device's requests carry the bridge's
 * (secondary bus, 0), so one context entry serves them all: attaching
 * one would move the others' DMA into its domain, where it faults, and
 * detaching would hand them back with it.  Attaching such a device alone
 * is refused; the message names every device it shares an id with.
 *
 * Return: 0, or -EXDEV when another device uses one of @pdev's ids.
 */
int siommu_alias_check(struct siommu_unit *units, unsigned int nr_units,
		       struct siommu_unit *unit, struct pci_dev *pdev)
{
	struct pci_dev *other;
	struct siommu_aliases a;
	char others[160];
	unsigned int i;
	int len = 0;

	siommu_device_aliases(pdev, &a);
	for (i = 0; i < a.nr; i++) {
		other = NULL;
		while ((other = siommu_next_sid_user(units, nr_units, unit,
						     a.sid[i], pdev, other)))
			len += scnprintf(others + len, sizeof(others) - len,
					 "%s%s (requester id %02x:%02x.%u)",
					 len ? ", " : "", pci_name(other),
					 PCI_BUS_NUM(a.sid[i]),
					 PCI_SLOT(a.sid[i] & 0xff),
					 PCI_FUNC(a.sid[i] & 0xff));
	}
	if (!len)
		return 0;
	pci_err(pdev, "shares requester ids with %s: the unit cannot tell their DMA apart, so it cannot be attached alone\n",
		others);
	return -EXDEV;
}

/**
 * siommu_rids_describe() - the " rids=" field of a devices line
 * @pdev: a managed device
 * @buf: sysfs page
 * @at: offset in @buf to write at
 *
 * Return: bytes written.
 */
int siommu_rids_describe(struct pci_dev *pdev, char *buf, int at)
{
	struct siommu_aliases a;
	unsigned int i;
	int n;

	siommu_device_aliases(pdev, &a);
	n = sysfs_emit_at(buf, at, " rids=");
	for (i = 0; i < a.nr; i++)
		n += sysfs_emit_at(buf, at + n, "%s%02x:%02x.%u", i ? "," : "",
				   PCI_BUS_NUM(a.sid[i]),
				   PCI_SLOT(a.sid[i] & 0xff),
				   PCI_FUNC(a.sid[i] & 0xff));
	return n;
}

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
