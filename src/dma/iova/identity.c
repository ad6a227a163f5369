// SPDX-License-Identifier: GPL-2.0
/*
 * The "identity" IOVA allocator: dynamic 1:1 mappings, after the identity
 * scheme of Peleg et al., "Utilizing the IOMMU Scalably" (USENIX ATC
 * 2015).  There is nothing to allocate: a page's IOVA is its physical
 * address plus the offset of a region chosen by the access rights, and
 * the mappings of one page share one leaf entry, counted in its software
 * bits.  Mapping and unmapping are a compare-and-exchange per page on the
 * page table, with no lock and no shared cache line of ours.
 *
 * Regions.  The instance's space [start_pfn, end_pfn] holds three copies
 * of physical space, one per access right, so a device reading a page
 * mapped for DMA_TO_DEVICE never gains write to it because the same page
 * is also mapped writable for someone else:
 *
 *   region 0  read-only   base       .. base + stride - 1
 *   region 1  write-only  base + stride ..
 *   region 2  read-write  base + 2 * stride .. base + 3 * stride - 1
 *
 * where stride is the direct map's size in pages (the end of RAM, read at
 * create) rounded up to IDENT_ALIGN, and base is start_pfn rounded up to
 * IDENT_ALIGN.  IOVA pfn = region base + physical pfn, so an IOVA range
 * is aligned as its physical range is (up to 1 GiB), and a page-selective
 * invalidation with an address mask covers it no worse.  check_space()
 * says -ERANGE when the three copies do not fit.  Pages beyond the direct
 * map (memory hot-added later, device memory) are refused: fallback.
 *
 * Counts.  A leaf entry this allocator installs is phys | rights | tag |
 * VTD_PTE_REFS(n), 1 <= n <= VTD_PTE_REFS_MAX (127, bits 52-58): the
 * number of live mappings through it.  The tag (bits 59-61) is the one
 * the caller passed in @prot and is never changed.  map_phys takes a
 * reference on each page: it installs the entry with count 1 where it is
 * clear, or adds one where it holds exactly the entry wanted.  unmap_phys
 * takes one off, and clears the whole entry when the count goes 1 -> 0.
 * An entry holding anything else (another mapping of ours would not) is
 * left alone and the map fails.
 *
 * Saturation.  A page with VTD_PTE_REFS_MAX mappings takes no more:
 * map_phys fails, the caller falls back to another allocator, whose
 * mapping of the page has its own IOVA and entry.  Nothing overflows.
 *
 * Concurrency.  Every change of a leaf is a cmpxchg from the value just
 * read (vtd_pgtable_leaf_cmpxchg(), which writes the line back for a
 * non-coherent unit), retried on a race, so counts are exact however many
 * CPUs map and unmap one page.  The entry of a page stays present while
 * its count is above 0, i.e. while any mapping through it is live.  An
 * unmap taking it to 0 clears it; a map racing with that either adds to
 * the old entry before the clear (the unmap then sees 2 and only
 * decrements) or installs a new entry after it.  The new entry translates
 * exactly as the old one, so the invalidation the unmap asks for, landing
 * after, harms nothing.  Intermediate tables come from the table's own
 * lock-free population (pgtable.c).
 *
 * A mapping of several pages takes its references in order; when one
 * cannot be had it drops those it took.  If that drops a last reference
 * (so clears an entry another mapping may have used meanwhile, and the
 * IOTLB may cache), map_phys tells the caller to invalidate the range
 * (*inval_pfn, see src/dma/iova/allocator.h).
 *
 * Reservations.  A reserved range (the MSI window, host bridge windows,
 * RMRRs) is not to be used as an IOVA, and its pages, device memory or
 * firmware's, are not to be mapped: map_phys refuses a range whose
 * physical pfns or IOVA pfns meet one.
 *
 * Outstanding.  A per-CPU count: +1 for each map_phys success on that
 * CPU, -1 for each unmap_phys that clears nothing, and -1 for each free
 * (the policy's, after the invalidation an unmap_phys returning true, or
 * a failed map_phys setting *inval_pfn, asked for; that map_phys counts
 * +1).  The sum is the instance's count, exact when nothing runs; no CPU
 * writes another's line, unlike one atomic every CPU would bounce.  As
 * the count drops only once the policy is done with a range, the domain
 * never tears an instance down under its policy.
 *
 * What is not detected: there is no record per mapping, only per page.
 * An unmap of a range never mapped, whose pages others map the same way,
 * drops their references, and their entries may be cleared early.  An
 * unmap of pages with no entry of ours warns and is otherwise ignored.
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
#include "vtd/pgtable.h"

/* Regions start on 1 GiB boundaries (in 4 KiB pages). */
#define IDENT_ALIGN		BIT(18)
#define IDENT_REGIONS		3
/* Disjoint reserved intervals an instance can hold. */
#define IDENT_MAX_RESV		32

#define IDENT_RIGHTS		(VTD_PTE_READ | VTD_PTE_WRITE)

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

/* The region of @rights (VTD_PTE_READ and/or VTD_PTE_WRITE). */
static unsigned int ident_region(u64 rights)
{
	if (rights == VTD_PTE_READ)
		return 0;
	return rights == VTD_PTE_WRITE ? 1 : 2;
}

static const u64 ident_rights[IDENT_REGIONS] = {
	VTD_PTE_READ, VTD_PTE_WRITE, VTD_PTE_READ | VTD_PTE_WRITE,
};

/*
 * The entry of IOVA pfn @pfn, where @entry was that of @pfn - 1 (or NULL):
 * the next slot of the same leaf table, unless @pfn starts a new one.
 */
static u64 *ident_entry(struct vtd_pgtable *pt, u64 *entry, unsigned long pfn,
			bool alloc)
{
	if (entry && (pfn & (VTD_PTES_PER_TABLE - 1)))
		return entry + 1;
	return vtd_pgtable_leaf_entry(pt, (u64)pfn << VTD_PAGE_SHIFT, alloc,
				      GFP_ATOMIC | __GFP_NOWARN);
}

/*
 * Take a reference on @entry, which is to read @want (address, rights and
 * tag) plus a count.
 */
static bool ident_get(struct vtd_pgtable *pt, u64 *entry, u64 want)
{
	u64 old = READ_ONCE(*entry), new, found;

	for (;;) {
		/* Not ours, or saturated: no reference to be had here. */
		if (old && ((old & ~VTD_PTE_REFS_MASK) != want ||
			    !VTD_PTE_REFS_OF(old) ||
			    VTD_PTE_REFS_OF(old) == VTD_PTE_REFS_MAX))
			return false;
		new = old ? old + VTD_PTE_REFS(1) : want | VTD_PTE_REFS(1);
		found = vtd_pgtable_leaf_cmpxchg(pt, entry, old, new);
		if (found == old)
			return true;
		old = found;
	}
}

/*
 * Drop a reference on @entry (NULL: no table there), which is to read
 * @want (address and rights) plus a tag and a count.  Return: 1 when the
 * entry was cleared, 0 when only decremented, -EINVAL when it holds no
 * reference of ours (nothing changed).
 */
static int ident_put(struct vtd_pgtable *pt, u64 *entry, u64 want)
{
	u64 old = entry ? READ_ONCE(*entry) : 0, new, found;

	for (;;) {
		if ((old & ~(VTD_PTE_REFS_MASK | VTD_PTE_TAG_MASK)) != want ||
		    !VTD_PTE_REFS_OF(old))
			return -EINVAL;
		new = VTD_PTE_REFS_OF(old) == 1 ? 0 : old - VTD_PTE_REFS(1);
		found = vtd_pgtable_leaf_cmpxchg(pt, entry, old, new);
		if (found == old)
			return !new;
		old = found;
	}
}

/*
 * Drop the references map_phys took on the first @done pages of @pfn,
 * which are to read @want on.  True when one was cleared.
 */
static bool ident_put_range(struct vtd_pgtable *pt, unsigned long pfn,
			    u64 want, unsigned long done)
{
	bool cleared = false;
	u64 *entry = NULL;
	unsigned long i;

	for (i = 0; i < done; i++) {
		entry = ident_entry(pt, entry, pfn + i, false);
		if (ident_put(pt, entry, want + i * VTD_PAGE_SIZE) > 0)
			cleared = true;
	}
	return cleared;
}

/**
 * ident_map_phys() - the ops table's map_phys
 * @iova: the instance
 * @pt: the domain's page table
 * @phys: first byte, page aligned
 * @npages: pages
 * @prot: VTD_PTE_READ and/or VTD_PTE_WRITE, and the slot's VTD_PTE_TAG
 * @limit_pfn: the highest IOVA pfn the device can reach
 * @inval_pfn: set to 0, or to the range to invalidate after a failure
 *
 * Return: the first IOVA pfn, or 0 (see src/dma/iova/allocator.h).
 */
static unsigned long ident_map_phys(struct siommu_iova *iova,
				    struct vtd_pgtable *pt, u64 phys,
				    unsigned long npages, u64 prot,
				    unsigned long limit_pfn,
				    unsigned long *inval_pfn)
{
	struct iova_ident *id = to_ident(iova);
	unsigned long ppfn = phys >> VTD_PAGE_SHIFT, pfn, last, i;
	u64 rights = prot & IDENT_RIGHTS, *entry = NULL;
	u64 want = phys | prot;

	*inval_pfn = 0;
	if (!rights || (prot & ~(IDENT_RIGHTS | VTD_PTE_TAG_MASK)) ||
	    (phys & ~VTD_PTE_ADDR_MASK) || !npages ||
	    ppfn >= id->phys_pages || npages > id->phys_pages - ppfn)
		return 0;
	pfn = id->region0 + ident_region(rights) * id->stride + ppfn;
	last = pfn + npages - 1;
	if (last > limit_pfn || last > iova->end_pfn ||
	    ident_reserved(id, ppfn, ppfn + npages - 1) ||
	    ident_reserved(id, pfn, last))
		return 0;

	for (i = 0; i < npages; i++) {
		entry = ident_entry(pt, entry, pfn + i, true);
		if (!entry || !ident_get(pt, entry, want + i * VTD_PAGE_SIZE))
			break;
	}
	if (i < npages) {
		if (ident_put_range(pt, pfn, want & ~VTD_PTE_TAG_MASK, i)) {
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
 * The region of [@pfn, @pfn + @npages) and what its entries are to read
 * (less the tag and the count), or -EINVAL when it is no range of ours.
 */
static int ident_range(const struct iova_ident *id, unsigned long pfn,
		       unsigned long npages, u64 *want)
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
	*want = ((u64)off << VTD_PAGE_SHIFT) | ident_rights[region];
	return 0;
}

/**
 * ident_unmap_phys() - the ops table's unmap_phys
 * @iova: the instance
 * @pt: the domain's page table
 * @pfn: first IOVA pfn, as map_phys returned it
 * @npages: as map_phys was asked
 *
 * Return: true when an entry was cleared (see src/dma/iova/allocator.h).
 */
static bool ident_unmap_phys(struct siommu_iova *iova, struct vtd_pgtable *pt,
			     unsigned long pfn, unsigned long npages)
{
	struct iova_ident *id = to_ident(iova);
	bool cleared = false, held = false;
	unsigned long i;
	u64 *entry = NULL, want;
	int ret;

	if (WARN_ON_ONCE(ident_range(id, pfn, npages, &want)))
		return false;
	for (i = 0; i < npages; i++) {
		entry = ident_entry(pt, entry, pfn + i, false);
		ret = ident_put(pt, entry, want + i * VTD_PAGE_SIZE);
		if (ret < 0)
			continue;
		held = true;
		if (ret)
			cleared = true;
	}
	/* A range never mapped, or unmapped twice: nothing to count. */
	WARN_ON_ONCE(!held);
	if (held && !cleared)
		ident_count(id, -1);
	return cleared;
}

/*
 * The ops table's free: the policy is done with a range unmap_phys (or a
 * failed map_phys) cleared entries of.  Nothing to give back but the count.
 */
static int ident_free(struct siommu_iova *iova, unsigned long pfn,
		      unsigned long npages)
{
	struct iova_ident *id = to_ident(iova);
	u64 want;

	if (ident_range(id, pfn, npages, &want))
		return -EINVAL;
	ident_count(id, -1);
	return 0;
}

/* No range is ever allocated without its pages: every caller falls back. */
static unsigned long ident_alloc(struct siommu_iova *iova,
				 unsigned long npages, unsigned long limit_pfn)
{
	return 0;
}

const struct siommu_iova_ops siommu_iova_identity_ops = {
	.name = "identity",
	.create = ident_create,
	.destroy = ident_destroy,
	.alloc = ident_alloc,
	.free = ident_free,
	.reserve = ident_reserve,
	.outstanding = ident_outstanding,
	.check_space = ident_check_space,
	.map_phys = ident_map_phys,
	.unmap_phys = ident_unmap_phys,
};
