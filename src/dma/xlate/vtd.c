// SPDX-License-Identifier: GPL-2.0
/*
 * The translation seam (backend.h) over our own VT-d tables: a domain id
 * on the unit, a second-level page table (vtd/pgtable.c) and the unit's
 * invalidations (vtd/inval.c).
 *
 * It sits in the DMA layer, not in vtd/, so that every arrow runs down:
 * the seam is the DMA layer's contract, and the VT-d layer stays a
 * library that knows nothing of it; the next backend (the kernel's IOMMU
 * API) is another adapter beside this one, over what the kernel offers.
 */
#include <linux/bug.h>
#include <linux/idr.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "dma/xlate/vtd.h"
#include "base/stats.h"
#include "base/trace.h"
#include "vtd/inval.h"
#include "vtd/regs.h"
#include "vtd/unit.h"

/* The seam's rights are VT-d's R and W bits, as the IOMMU API's are. */
static_assert(SIOMMU_PROT_READ == VTD_PTE_READ);
static_assert(SIOMMU_PROT_WRITE == VTD_PTE_WRITE);

static struct vtd_pgtable *pt_of(struct siommu_xlate *xl)
{
	return &siommu_vtd_xlate(xl)->pt;
}

static int vtd_map(struct siommu_xlate *xl, const struct siommu_run *runs,
		   unsigned int n, u64 prot, unsigned int tag, gfp_t gfp)
{
	return vtd_pgtable_map_runs(pt_of(xl), runs, n,
				    prot | VTD_PTE_TAG(tag), gfp);
}

/*
 * Tables the unmap empties go with @what, to wait for its invalidation;
 * the first page's leaf, read by the exchange that cleared it, too.
 */
static u64 vtd_unmap(struct siommu_xlate *xl, u64 iova, u64 size,
		     struct siommu_unmapped *what)
{
	u64 first, cleared;

	cleared = vtd_pgtable_unmap_mapped(pt_of(xl), iova, size,
					   &what->tables, &first);
	what->tag = VTD_PTE_TAG_OF(first);
	what->phys = first & VTD_PTE_ADDR_MASK;

	what->tables_freed = what->tables;
	if (what->tables_freed)
		siommu_stat_inc(SIOMMU_STAT_TABLE_FREEING_UNMAPS);
	return cleared;
}

static void vtd_free_tables(struct siommu_xlate *xl, struct page *tables)
{
	vtd_pgtable_free_tables(tables);
}

static bool vtd_lookup(struct siommu_xlate *xl, u64 iova,
		       struct siommu_xlate_leaf *leaf)
{
	u64 pte = vtd_pgtable_pte(pt_of(xl), iova);

	leaf->prot = pte & SIOMMU_PROT_RW;
	leaf->phys = leaf->prot ? pte & VTD_PTE_ADDR_MASK : 0;
	leaf->tag = leaf->prot ? VTD_PTE_TAG_OF(pte) : 0;
	return leaf->prot;
}

static u64 vtd_clear_all(struct siommu_xlate *xl)
{
	return vtd_pgtable_clear_all(pt_of(xl));
}

static void vtd_sync_map(struct siommu_xlate *xl, u64 iova,
			 unsigned long npages)
{
	struct siommu_vtd_xlate *vx = siommu_vtd_xlate(xl);

	/*
	 * A caching-mode unit may cache not-present entries; a unit with
	 * write buffers may not see the new ones yet.
	 */
	if (VTD_CAP_CM(vx->unit->cap))
		siommu_inval_iotlb_range(vx->unit, vx->did, iova, npages,
					 false);
	else
		siommu_unit_flush_write_buffer(vx->unit);
}

static int vtd_share(struct siommu_xlate *xl, u64 iova, u64 phys,
		     unsigned long npages, u64 prot, unsigned int tag,
		     bool *cleared)
{
	return vtd_pgtable_share(pt_of(xl), iova, phys, npages,
				 prot | VTD_PTE_TAG(tag), cleared);
}

static int vtd_unshare(struct siommu_xlate *xl, u64 iova, u64 phys,
		       unsigned long npages, u64 prot,
		       struct siommu_unmapped *what)
{
	int ret = vtd_pgtable_unshare(pt_of(xl), iova, phys, npages, prot,
				      &what->tables);

	what->tables_freed = what->tables;
	if (what->tables_freed)
		siommu_stat_inc(SIOMMU_STAT_TABLE_FREEING_UNMAPS);
	return ret;
}

/*
 * An unmap that freed table pages (@what->tables_freed) needs the
 * paging-structure caches for the range dropped too (its tables all lie
 * on the range's path); one that cleared leaves only sets the
 * invalidation hint, and the unit may keep them (as F&S, SOSP'24, do).
 */
static int vtd_inval_range(struct siommu_xlate *xl, u64 iova,
			   unsigned long npages,
			   const struct siommu_unmapped *what)
{
	struct siommu_vtd_xlate *vx = siommu_vtd_xlate(xl);

	trace_siommu_inval(vx->unit->index, vx->did, iova, npages);
	return siommu_inval_iotlb_range(vx->unit, vx->did, iova, npages,
					!what->tables_freed);
}

static int vtd_inval_domain(struct siommu_xlate *xl)
{
	struct siommu_vtd_xlate *vx = siommu_vtd_xlate(xl);

	trace_siommu_inval(vx->unit->index, vx->did, 0, 0);
	return siommu_inval_iotlb_domain(vx->unit, vx->did);
}

/* Every domain of the unit: the cheapest wide one, for batches. */
static int vtd_inval_all(struct siommu_xlate *xl)
{
	struct siommu_vtd_xlate *vx = siommu_vtd_xlate(xl);

	trace_siommu_inval(vx->unit->index, 0, 0, 0);
	return siommu_inval_iotlb_global(vx->unit);
}

static int vtd_describe(struct siommu_xlate *xl, char *buf, int at)
{
	struct siommu_vtd_xlate *vx = siommu_vtd_xlate(xl);

	return sysfs_emit_at(buf, at, "dmar%u domain=%u", vx->unit->index,
			     vx->did);
}

static long vtd_table_pages(struct siommu_xlate *xl)
{
	return atomic_long_read(&pt_of(xl)->nr_tables);
}

static long vtd_table_pages_peak(struct siommu_xlate *xl)
{
	return atomic_long_read(&pt_of(xl)->peak_tables);
}

static long vtd_table_pages_needed(struct siommu_xlate *xl)
{
	return vtd_pgtable_tables_needed(pt_of(xl));
}

static long vtd_superpage_maps(struct siommu_xlate *xl)
{
	return atomic_long_read(&pt_of(xl)->super_maps);
}

static void vtd_destroy(struct siommu_xlate *xl)
{
	struct siommu_vtd_xlate *vx = siommu_vtd_xlate(xl);

	vtd_pgtable_destroy(&vx->pt);
	ida_free(&vx->unit->dids, vx->did);
	kfree(vx);
}

const struct siommu_xlate_ops siommu_vtd_xlate_ops = {
	.name = "vtd",
	.destroy = vtd_destroy,
	.describe = vtd_describe,
	.table_pages = vtd_table_pages,
	.table_pages_peak = vtd_table_pages_peak,
	.table_pages_needed = vtd_table_pages_needed,
	.superpage_maps = vtd_superpage_maps,
	.free_tables = vtd_free_tables,
	.map = vtd_map,
	.unmap = vtd_unmap,
	.lookup = vtd_lookup,
	.clear_all = vtd_clear_all,
	.sync_map = vtd_sync_map,
	.share = vtd_share,
	.unshare = vtd_unshare,
	.inval_range = vtd_inval_range,
	.inval_domain = vtd_inval_domain,
	.inval_all = vtd_inval_all,
};

/**
 * siommu_vtd_xlate_create() - a domain id and an empty table on @unit
 * @unit: a translating unit
 *
 * Return: the translations, or an ERR_PTR.
 */
struct siommu_xlate *siommu_vtd_xlate_create(struct siommu_unit *unit)
{
	unsigned int max_did = (1U << (4 + 2 * VTD_CAP_ND(unit->cap))) - 1;
	struct siommu_vtd_xlate *vx;
	int ret;

	vx = kzalloc(sizeof(*vx), GFP_KERNEL);
	if (!vx)
		return ERR_PTR(-ENOMEM);
	ret = ida_alloc_range(&unit->dids, SIOMMU_UNMANAGED_DID + 1,
			      min(max_did, 0xffffU), GFP_KERNEL);
	if (ret < 0)
		goto free;
	vx->did = ret;
	ret = vtd_pgtable_init(&vx->pt, unit->levels, VTD_ECAP_C(unit->ecap));
	if (ret) {
		ida_free(&unit->dids, vx->did);
		goto free;
	}
	/* Large leaves for aligned contiguous runs, where the unit has them. */
	vx->pt.superpages = VTD_CAP_SLLPS(unit->cap) & 1;
	vx->pt.gigapages = (VTD_CAP_SLLPS(unit->cap) >> 1) & 1;
	vx->unit = unit;
	vx->base = (struct siommu_xlate) {
		.ops = &siommu_vtd_xlate_ops,
		.max_iova = unit->max_iova,
		.write_reads = !VTD_CAP_ZLR(unit->cap),
		.scope = unit,
		.unmap_tells = true,
	};
	return &vx->base;
free:
	kfree(vx);
	return ERR_PTR(ret);
}
