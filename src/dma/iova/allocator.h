/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOVA allocators behind one small ops table.
 *
 * An allocator hands out ranges of I/O virtual page frame numbers.  Each
 * domain (one managed device) owns one allocator instance at a time; a live
 * swap makes a new instance and frees old ranges to the instance that made
 * them, so every range must go back to its own instance.
 *
 * Page frame numbers are in VTD_PAGE_SIZE (4 KiB) units.  0 is never a
 * valid result: it means "no space".  Implementations live in src/dma/iova/,
 * one file each, and build unchanged in the userspace harness.
 */
#ifndef SCALABLE_IOMMU_IOVA_ALLOC_H
#define SCALABLE_IOMMU_IOVA_ALLOC_H

#include <linux/atomic.h>
#include <linux/types.h>

struct siommu_iova;
struct siommu_unmapped;
struct siommu_xlate;

/* What an allocator with a cache tells stats/ (summed over instances). */
struct siommu_iova_stats {
	unsigned long cache_hits;	/* allocations served from a cache */
	unsigned long cache_misses;	/* cacheable ones that were not */
	unsigned long depot_exchanges;	/* magazines swapped with the depot */
};

/*
 * How a slot turns a buffer into an IOVA, fixed when the domain sets the
 * slot (struct siommu_iova's mode).
 */
enum siommu_iova_mode {
	/*
	 * ->alloc hands out a range; the domain maps each page of it with
	 * a leaf of its own (rbtree, magazine, kmalloc, linux).
	 */
	SIOMMU_IOVA_ALLOC,
	/*
	 * The IOVA follows from the physical address and all mappings of
	 * a page share one counted leaf: ->map and ->unmap do it all
	 * (identity).  Paths that need a range without pages (coherent
	 * buffers, scatterlists laid out in one range) take the fallback
	 * slot instead.
	 */
	SIOMMU_IOVA_1TO1,
};

struct siommu_iova_ops {
	const char *name;
	enum siommu_iova_mode mode;

	/* Required of every allocator. */

	/*
	 * An instance serving pfns in [start_pfn, end_pfn] (start_pfn >= 1).
	 * Returns NULL on allocation failure.
	 */
	struct siommu_iova *(*create)(unsigned long start_pfn,
				      unsigned long end_pfn);
	/* Frees the instance and whatever it still caches. */
	void (*destroy)(struct siommu_iova *iova);
	/*
	 * Give back a range exactly as alloc (or map) returned it.
	 * Returns 0, or -EINVAL when no such range is outstanding (double
	 * free, wrong size): the allocator is left unchanged.
	 */
	int (*free)(struct siommu_iova *iova, unsigned long pfn,
		    unsigned long npages);
	/*
	 * Take [pfn_lo, pfn_hi] out of the space for good (the MSI window,
	 * RMRRs).  Called before any alloc; may overlap earlier reservations.
	 * Returns 0 or -ENOMEM.
	 */
	int (*reserve)(struct siommu_iova *iova, unsigned long pfn_lo,
		       unsigned long pfn_hi);
	/* Ranges handed out and not yet freed (reservations excluded). */
	unsigned long (*outstanding)(struct siommu_iova *iova);

	/* Required in SIOMMU_IOVA_ALLOC mode, and only there. */

	/*
	 * A range of @npages pfns, every one <= @limit_pfn (the device's DMA
	 * mask), its first pfn a multiple of roundup_pow_of_two(@npages):
	 * scatterlists laid out in one range count on that to keep segments
	 * inside the device's segment boundary.  Callable from any context,
	 * including hard interrupts.  Returns the first pfn, or 0 when no
	 * range fits.
	 */
	unsigned long (*alloc)(struct siommu_iova *iova, unsigned long npages,
			       unsigned long limit_pfn);

	/* Required in SIOMMU_IOVA_1TO1 mode, and only there. */

	/*
	 * Map the @npages pages from @phys (page aligned) in @xl with @prot
	 * (SIOMMU_PROT_*) and @tag, through its counted leaves (->share):
	 * one reference on each page's leaf, shared with mappings of the
	 * page made the same way.  Any context, any number of CPUs at
	 * once.  Returns the first IOVA pfn (the range is contiguous and
	 * ends at or below @limit_pfn), or 0 when it cannot (a page
	 * reserved, above @limit_pfn or beyond the direct map; a leaf
	 * saturated; a table page not to be had): then it holds nothing
	 * and the caller maps through the fallback slot.  *@inval_pfn is
	 * set to 0, except when a failure part-way dropped the last
	 * reference of a page another mapping may have let the IOTLB cache
	 * meanwhile: then it is the range's first pfn, and the caller hands
	 * [*@inval_pfn, +@npages) to its invalidation policy as an unmap
	 * (whose ->free ends it).
	 */
	unsigned long (*map)(struct siommu_iova *iova, struct siommu_xlate *xl,
			     u64 phys, unsigned long npages, u64 prot,
			     unsigned int tag, unsigned long limit_pfn,
			     unsigned long *inval_pfn);
	/*
	 * Undo one map of [@pfn, @pfn + @npages): drop a reference per
	 * page, clearing the leaves whose count reaches 0.  Returns true
	 * when any leaf was cleared (@what filled in as by the seam's
	 * ->unmap): the caller invalidates the IOTLB for
	 * the range (through its policy, which calls ->free after) before
	 * the memory can be trusted again.  False: nothing was cleared,
	 * nothing is to be invalidated or freed, the unmap is complete.
	 *
	 * outstanding counts map successes not yet undone, where an unmap
	 * that returned true (and a map that set *@inval_pfn) is undone
	 * only by the ->free that follows, so an instance is never torn
	 * down while its policy still holds it.
	 */
	bool (*unmap)(struct siommu_iova *iova, struct siommu_xlate *xl,
		      unsigned long pfn, unsigned long npages,
		      struct siommu_unmapped *what);

	/* Optional: NULL means "nothing to do" / "always fine". */

	/*
	 * Can an instance serve the space [start_pfn, end_pfn] at all?
	 * 0, or -ERANGE when the ranges it produces would not fit (the
	 * kmalloc allocator needs a space as wide as the direct map).
	 * Asked before create, so a bad choice is refused up front.
	 */
	int (*check_space)(unsigned long start_pfn, unsigned long end_pfn);
	/*
	 * @cpu went offline: give back whatever it cached to the shared
	 * pool.  Called from process context, on another CPU.
	 */
	void (*cpu_dead)(struct siommu_iova *iova, unsigned int cpu);
	/*
	 * Give every cached range back to the backing store (before a
	 * swap's teardown, and in tests).  Process context.
	 */
	void (*drain)(struct siommu_iova *iova);
	/* Add this instance's counts to @st; a passing sum.  Any context. */
	void (*stats)(struct siommu_iova *iova, struct siommu_iova_stats *st);
};

/* Every instance starts with this header. */
struct siommu_iova {
	const struct siommu_iova_ops *ops;	/* written once at create */
	unsigned long start_pfn;		/* written once at create */
	unsigned long end_pfn;			/* written once at create */
	/*
	 * Set by the domain before it publishes the instance in a slot
	 * (src/dma/layout.c): the slot's mode, from ops->mode; the lowest
	 * limit_pfn under which the instance serves at all.
	 */
	enum siommu_iova_mode mode;
	unsigned long reach_pfn;
	/* Bit 0: a device whose mask is below reach_pfn was told (atomic). */
	unsigned long told_short_mask;
};

/* Magazines of every "magazine" instance, live (for leak checks). */
extern atomic_long_t siommu_iova_magazines_live;
/* A "magazine" instance's backing count, cached ranges included (tests). */
unsigned long siommu_iova_magazine_backing_out(struct siommu_iova *iova);

extern const struct siommu_iova_ops siommu_iova_rbtree_ops;
extern const struct siommu_iova_ops siommu_iova_magazine_ops;
extern const struct siommu_iova_ops siommu_iova_kmalloc_ops;
extern const struct siommu_iova_ops siommu_iova_identity_ops;
extern const struct siommu_iova_ops siommu_iova_linux_ops;	/* module only */

#endif /* SCALABLE_IOMMU_IOVA_ALLOC_H */
