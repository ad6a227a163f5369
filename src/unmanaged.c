// SPDX-License-Identifier: GPL-2.0
/*
 * Devices we do not manage: once a unit translates, every device behind it
 * needs a context entry that lets its DMA through as before.
 *
 * Where the unit supports pass-through (ECAP.PT), that entry simply says
 * "untranslated".  Where it does not, the devices share the static
 * identity domain ("si" in names, the log's "identity domain"): one page
 * table mapping all system RAM (and the firmware's RMRRs) at IOVA =
 * physical address, read and write.  RAM the unit's address width cannot
 * reach, and RAM hot-added after load, is not in it; both are reported.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/pci.h>

#include "siommu.h"
#include "vtd/regs.h"

#define SI_PROT	(VTD_PTE_READ | VTD_PTE_WRITE)

struct si_walk {
	struct siommu_unit *unit;
	u64 mapped;			/* bytes */
	u64 unreachable;		/* bytes above the unit's width */
};

/* One System RAM resource: its whole pages, 1:1. */
static int si_map_ram(struct resource *res, void *arg)
{
	struct si_walk *w = arg;
	u64 start = ALIGN(res->start, VTD_PAGE_SIZE);
	u64 end = ALIGN_DOWN(res->end + 1, VTD_PAGE_SIZE);	/* exclusive */
	u64 limit = w->unit->max_iova + 1;
	int ret;

	if (end > limit) {
		w->unreachable += end - max(start, limit);
		end = limit;
	}
	if (start >= end)
		return 0;
	ret = vtd_pgtable_map(&w->unit->si_table, start, start, end - start,
			      SI_PROT, GFP_KERNEL);
	if (!ret)
		w->mapped += end - start;
	return ret;
}

/* An RMRR, page by page: it may overlap RAM already mapped. */
static int si_map_rmrr(struct siommu_unit *unit, const struct dmar_rmrr *r)
{
	u64 addr;
	int ret;

	for (addr = r->base & ~(VTD_PAGE_SIZE - 1);
	     addr <= r->end && addr <= unit->max_iova; addr += VTD_PAGE_SIZE) {
		ret = vtd_pgtable_map(&unit->si_table, addr, addr,
				      VTD_PAGE_SIZE, SI_PROT,
				      GFP_KERNEL);
		if (ret && ret != -EEXIST)
			return ret;
	}
	return 0;
}

/* How a unit's unmanaged devices keep DMAing.  Return: 0, or -ENOMEM. */
static int unmanaged_init(struct siommu *sio, struct siommu_unit *unit)
{
	struct si_walk w = { .unit = unit };
	unsigned int i;
	int ret;

	unit->si_domain = !VTD_ECAP_PT(unit->ecap);
	if (!unit->si_domain)
		return 0;

	ret = vtd_pgtable_init(&unit->si_table, unit->levels,
			       VTD_ECAP_C(unit->ecap));
	if (ret)
		return ret;
	/* All of RAM 1:1: mostly large leaves where the unit has them. */
	unit->si_table.superpages = VTD_CAP_SLLPS(unit->cap) & 1;
	unit->si_table.gigapages = (VTD_CAP_SLLPS(unit->cap) >> 1) & 1;
	ret = walk_iomem_res_desc(IORES_DESC_NONE,
				  IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0,
				  -1, &w, si_map_ram);
	for (i = 0; !ret && i < sio->dmar.nr_rmrrs; i++)
		if (sio->dmar.rmrrs[i].segment == unit->drhd->segment)
			ret = si_map_rmrr(unit, &sio->dmar.rmrrs[i]);
	if (ret) {
		pr_err("dmar%u: cannot build the identity domain (%d)\n",
		       unit->index, ret);
		vtd_pgtable_destroy(&unit->si_table);
		unit->si_domain = false;
		return ret;
	}
	pr_info("dmar%u: no pass-through: unmanaged devices use an identity domain over %llu MiB of RAM (%ld table pages)\n",
		unit->index, w.mapped >> 20,
		atomic_long_read(&unit->si_table.nr_tables));
	if (w.unreachable)
		pr_warn("dmar%u: %llu MiB of RAM lie above the unit's %u-bit reach; unmanaged devices cannot DMA there\n",
			unit->index, w.unreachable >> 20,
			VTD_PAGE_SHIFT + VTD_LEVEL_BITS * unit->levels);
	return 0;
}

static void unmanaged_exit(struct siommu_unit *unit)
{
	if (!unit->si_domain)
		return;
	vtd_pgtable_destroy(&unit->si_table);
	unit->si_domain = false;
}

/**
 * siommu_unmanaged_entry() - the context entry of an unmanaged device
 * @unit: an enabled (or enabling) unit
 * @e: filled in
 */
void siommu_unmanaged_entry(const struct siommu_unit *unit,
			    struct vtd_context_entry *e)
{
	*e = (struct vtd_context_entry) {
		.present = true,
		.did = SIOMMU_UNMANAGED_DID,
		.levels = unit->levels,
	};
	if (unit->si_domain) {
		e->type = VTD_CTX_TT_TRANSLATED;
		e->pgtable = vtd_pgtable_root_phys(&unit->si_table);
	} else {
		e->type = VTD_CTX_TT_PASSTHROUGH;
	}
}

/*
 * Unmanaged entries for every device the kernel knows behind @unit, so
 * each keeps DMAing once translation is on.  Return: 0 or -ENOMEM.
 */
static int unmanaged_all(struct siommu *sio, struct siommu_unit *unit)
{
	struct vtd_context_entry e;
	struct pci_dev *pdev = NULL;
	struct siommu_aliases a;
	unsigned int i, n = 0;
	int ret;

	siommu_unmanaged_entry(unit, &e);
	for_each_pci_dev(pdev) {
		if (siommu_unit_of(sio->units, sio->nr_units, pdev) != unit)
			continue;
		siommu_device_aliases(pdev, &a);
		for (i = 0; i < a.nr; i++) {
			ret = vtd_context_set(&unit->ctx, a.sid[i] >> 8,
					      a.sid[i] & 0xff, &e);
			if (ret == -ENOMEM) {
				pci_dev_put(pdev);
				return ret;
			}
		}
		n++;
	}
	pr_info("dmar%u: %u device(s) %s\n", unit->index, n,
		unit->si_domain ? "in the identity domain" :
		"pass through untranslated");
	return 0;
}

/* siommu_unit_enable()'s populate: @cookie is the module. */
static int unmanaged_populate(void *cookie, struct siommu_unit *unit)
{
	struct siommu *sio = cookie;
	int ret;

	ret = unmanaged_init(sio, unit);
	if (ret)
		return ret;
	ret = unmanaged_all(sio, unit);
	if (ret)
		unmanaged_exit(unit);
	return ret;
}

static void unmanaged_depopulate(void *cookie, struct siommu_unit *unit)
{
	unmanaged_exit(unit);
}

/* How a unit's devices keep DMAing while it translates for us. */
const struct siommu_unit_devices_ops siommu_unmanaged_devices = {
	.populate = unmanaged_populate,
	.depopulate = unmanaged_depopulate,
};
