// SPDX-License-Identifier: GPL-2.0
/*
 * The "identity" allocator, a 1:1 mapper (SIOMMU_IOVA_1TO1): dynamic 1:1
 * mappings (Peleg et al., USENIX ATC 2015).  A page's IOVA is its
 * physical address plus the base of one of three regions, read-only,
 * write-only and read-write; all mappings of a page share one leaf that
 * counts them (the seam's ->share and ->unshare), so map and unmap are a
 * compare-and-exchange per page, with no lock of ours.
 *
 * Contract (beyond dma/iova/allocator.h): map refuses, for the fallback
 * slot to serve, pages beyond the direct map, pages or IOVAs in a
 * reservation, and pages whose count is saturated; a multi-page map
 * holds all its pages or none, and says through *inval_pfn when undoing
 * it needs an invalidation; outstanding() drops only when the policy
 * frees, so the domain never tears an instance down under its policy.
 * Not detected: an unmap of a range never mapped whose pages others map
 * the same way drops their references.
 *
 * The regions, the counts and the per-CPU outstanding count in full:
 * docs/allocators.md, "identity".
 */
#define pr_fmt(fmt) "scalable_iommu: " fmt

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dma/iova/allocator.h"
#include "dma/iova/direct_map.h"
#include "dma/xlate/backend.h"
#include "vtd/pgtable.h"

/* Regions start on 1 GiB boundaries (in 4 KiB pages). */
#define IDENT_ALIGN		BIT(18)
#define IDENT_REGIONS		3
/* Disjoint reserved intervals an instance can hold. */
#define IDENT_MAX_RESV		32

#define IDENT_RIGHTS		SIOMMU_PROT_RW

struct ident_resv {
	unsigned long lo, hi;
};

/*
 * One CPU's part, touched by its owner only, with interrupts off: a plain
 * counter and no lock inside, so local_irq_save() is right on PREEMPT_RT
 * too (only sleeping locks and allocation are barred there).
 */
struct ident_cpu {
	long out;
};

struct iova_ident {
	struct siommu_iova base;
	unsigned long region0;		/* first pfn of region 0 */
	unsigned long stride;		/* pages per region */
	unsigned long phys_pages;	/* physical pfns served: < this */
	struct ident_cpu __percpu *cpus;
	/*
	 * Sorted, disjoint, not adjacent; written by reserve only, which the
	 * contract puts before any map (the domain calls it under its lock),
	 * and read without a lock.
	 */
	unsigned int nr_resv;
	struct ident_resv resv[IDENT_MAX_RESV];
};

static struct iova_ident *to_ident(struct siommu_iova *iova)
{
	return container_of(iova, struct iova_ident, base);
}

/* @n rounded up to IDENT_ALIGN; 0 when that wraps. */
static unsigned long ident_align(unsigned long n)
{
	return (n + IDENT_ALIGN - 1) & ~(IDENT_ALIGN - 1);
}

/*
 * Where the regions go in [start_pfn, end_pfn]: their first pfn and the
 * stride, for the direct map as it is now.  -ERANGE when they do not fit.
 */
static int ident_layout(unsigned long start_pfn, unsigned long end_pfn,
			unsigned long *region0, unsigned long *stride)
{
	unsigned long pages = siommu_direct_map_bytes() >> VTD_PAGE_SHIFT;

	*region0 = ident_align(start_pfn);
	*stride = ident_align(pages);
	/* region0 >= IDENT_ALIGN: end_pfn - region0 + 1 cannot wrap. */
	if (!pages || !*stride || !*region0 || *region0 > end_pfn ||
	    *stride > (end_pfn - *region0 + 1) / IDENT_REGIONS)
		return -ERANGE;
	return 0;
}

static int ident_check_space(unsigned long start_pfn, unsigned long end_pfn)
{
	unsigned long region0, stride;

	return ident_layout(start_pfn, end_pfn, &region0, &stride);
}

static struct siommu_iova *ident_create(unsigned long start_pfn,
					unsigned long end_pfn)
{
	struct iova_ident *id;
	unsigned long region0, stride;

	if (!start_pfn ||
	    ident_layout(start_pfn, end_pfn, &region0, &stride))
		return NULL;
	id = kzalloc(sizeof(*id), GFP_KERNEL);
	if (!id)
		return NULL;
	id->cpus = alloc_percpu(struct ident_cpu);
	if (!id->cpus) {
		kfree(id);
		return NULL;
	}
	id->base.ops = &siommu_iova_identity_ops;
	id->base.start_pfn = start_pfn;
	id->base.end_pfn = end_pfn;
	id->region0 = region0;
	id->stride = stride;
	id->phys_pages = siommu_direct_map_bytes() >> VTD_PAGE_SHIFT;
	return &id->base;
}

/* Exact when nothing runs concurrently; a passing sum otherwise. */
static unsigned long ident_outstanding(struct siommu_iova *iova)
{
	struct iova_ident *id = to_ident(iova);
	unsigned int cpu;
	long n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(id->cpus, cpu)->out);
	return n;
}

static void ident_destroy(struct siommu_iova *iova)
{
	struct iova_ident *id = to_ident(iova);
	unsigned long left = ident_outstanding(iova);

	/* Their entries belong to the page table, freed with it. */
	if (left)
		pr_warn("identity IOVA: %lu mapping(s) outstanding at destroy\n",
			left);
	free_percpu(id->cpus);
	kfree(id);
}

/* Count a mapping made (+1) or ended (-1) on this CPU. */
static void ident_count(struct iova_ident *id, long delta)
{
	struct ident_cpu *c;
	unsigned long flags;

	local_irq_save(flags);
	c = this_cpu_ptr(id->cpus);
	WRITE_ONCE(c->out, c->out + delta);
	local_irq_restore(flags);
}

/* Does [first, last] meet a reservation? */
static bool ident_reserved(const struct iova_ident *id, unsigned long first,
			   unsigned long last)
{
	unsigned int i;

	for (i = 0; i < id->nr_resv; i++) {
		if (id->resv[i].lo > last)
			return false;
		if (id->resv[i].hi >= first)
			return true;
	}
	return false;
}

/*
 * The ops table's reserve: [@pfn_lo, @pfn_hi] merged into the sorted
 * array, not clipped to the space (it is compared with physical pfns
 * too).  0, or -ENOMEM when the array is full.
 */
static int ident_reserve(struct siommu_iova *iova, unsigned long pfn_lo,
			 unsigned long pfn_hi)
{
	struct iova_ident *id = to_ident(iova);
	unsigned int i, j, n = id->nr_resv;

	if (pfn_lo > pfn_hi)
		return 0;
	/* The intervals wholly below, with a gap between: kept. */
	for (i = 0; i < n && id->resv[i].hi < pfn_lo &&
	     pfn_lo - id->resv[i].hi > 1; i++)
		;
	/* Those from i that meet or touch it: [i, j), merged into it. */
	for (j = i; j < n && !(pfn_hi < id->resv[j].lo &&
			       id->resv[j].lo - pfn_hi > 1); j++) {
		if (id->resv[j].lo < pfn_lo)
			pfn_lo = id->resv[j].lo;
		if (id->resv[j].hi > pfn_hi)
			pfn_hi = id->resv[j].hi;
	}
	if (i == j && n == IDENT_MAX_RESV)
		return -ENOMEM;
	memmove(&id->resv[i + 1], &id->resv[j], (n - j) * sizeof(id->resv[0]));
	id->resv[i].lo = pfn_lo;
	id->resv[i].hi = pfn_hi;
	id->nr_resv = n - (j - i) + 1;
	return 0;
}

/* The region of @rights (SIOMMU_PROT_READ and/or SIOMMU_PROT_WRITE). */
static unsigned int ident_region(u64 rights)
{
	if (rights == SIOMMU_PROT_READ)
		return 0;
	return rights == SIOMMU_PROT_WRITE ? 1 : 2;
}

static const u64 ident_rights[IDENT_REGIONS] = {
	SIOMMU_PROT_READ, SIOMMU_PROT_WRITE, SIOMMU_PROT_RW,
};

/**
 * ident_map() - the ops table's map
 * @iova: the instance
 * @xl: the domain's translations
 * @phys: first byte, page aligned
 * @npages: pages
 * @prot: SIOMMU_PROT_READ and/or SIOMMU_PROT_WRITE
 * @tag: the slot's
 * @limit_pfn: the highest IOVA pfn the device can reach
 * @inval_pfn: set to 0, or to the range to invalidate after a failure
 *
 * Return: the first IOVA pfn, or 0 (see src/dma/iova/allocator.h).
 */
static unsigned long ident_map(struct siommu_iova *iova,
			       struct siommu_xlate *xl, u64 phys,
			       unsigned long npages, u64 prot, unsigned int tag,
			       unsigned long limit_pfn, unsigned long *inval_pfn)
{
	struct iova_ident *id = to_ident(iova);
	unsigned long ppfn = phys >> VTD_PAGE_SHIFT, pfn, last;
	bool cleared;

	*inval_pfn = 0;
	if (!prot || (prot & ~IDENT_RIGHTS) ||
	    (phys & (VTD_PAGE_SIZE - 1)) || !npages ||
	    ppfn >= id->phys_pages || npages > id->phys_pages - ppfn)
		return 0;
	pfn = id->region0 + ident_region(prot) * id->stride + ppfn;
	last = pfn + npages - 1;
	if (last > limit_pfn || last > iova->end_pfn ||
	    ident_reserved(id, ppfn, ppfn + npages - 1) ||
	    ident_reserved(id, pfn, last))
		return 0;

	if (xl->ops->share(xl, (u64)pfn << VTD_PAGE_SHIFT, phys, npages, prot,
			   tag, &cleared)) {
		if (cleared) {
			/* The policy's free will balance this. */
			ident_count(id, 1);
			*inval_pfn = pfn;
		}
		return 0;
	}
	ident_count(id, 1);
	return pfn;
}

/*
 * Where the pages of [@pfn, @pfn + @npages) are and the rights of their
 * region, or -EINVAL when it is no range of ours.
 */
static int ident_range(const struct iova_ident *id, unsigned long pfn,
		       unsigned long npages, u64 *phys, u64 *prot)
{
	unsigned long off;
	unsigned int region;

	if (pfn < id->region0 || !npages)
		return -EINVAL;
	region = (pfn - id->region0) / id->stride;
	off = (pfn - id->region0) % id->stride;
	if (region >= IDENT_REGIONS || off >= id->phys_pages ||
	    npages > id->phys_pages - off)
		return -EINVAL;
	*phys = (u64)off << VTD_PAGE_SHIFT;
	*prot = ident_rights[region];
	return 0;
}

/**
 * ident_unmap() - the ops table's unmap
 * @iova: the instance
 * @xl: the domain's translations
 * @pfn: first IOVA pfn, as map returned it
 * @npages: as map was asked
 * @what: for the invalidation
 *
 * Return: true when a leaf was cleared (see src/dma/iova/allocator.h).
 */
static bool ident_unmap(struct siommu_iova *iova, struct siommu_xlate *xl,
			unsigned long pfn, unsigned long npages,
			struct siommu_unmapped *what)
{
	struct iova_ident *id = to_ident(iova);
	u64 phys, prot;
	int ret;

	if (WARN_ON_ONCE(ident_range(id, pfn, npages, &phys, &prot)))
		return false;
	ret = xl->ops->unshare(xl, (u64)pfn << VTD_PAGE_SHIFT, phys, npages,
			       prot, what);
	/* A range never mapped, or unmapped twice: nothing to count. */
	if (WARN_ON_ONCE(ret < 0))
		return false;
	if (!ret)
		ident_count(id, -1);
	return ret;
}

/*
 * The ops table's free: the policy is done with a range unmap (or a
 * failed map) cleared leaves of.  Nothing to give back but the count.
 */
static int ident_free(struct siommu_iova *iova, unsigned long pfn,
		      unsigned long npages)
{
	struct iova_ident *id = to_ident(iova);
	u64 phys, prot;

	if (ident_range(id, pfn, npages, &phys, &prot))
		return -EINVAL;
	ident_count(id, -1);
	return 0;
}

const struct siommu_iova_ops siommu_iova_identity_ops = {
	.name = "identity",
	.mode = SIOMMU_IOVA_1TO1,
	.create = ident_create,
	.destroy = ident_destroy,
	.free = ident_free,
	.reserve = ident_reserve,
	.outstanding = ident_outstanding,
	.check_space = ident_check_space,
	.map = ident_map,
	.unmap = ident_unmap,
};
