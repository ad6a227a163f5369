// SPDX-License-Identifier: GPL-2.0
/*
 * The "linux" IOVA allocator: the running kernel's own IOVA library
 * (drivers/iommu/iova.c), the upstream descendant of the magazine idea,
 * with per-CPU range caches in front of a red-black tree.  Kept in the
 * module so every benchmark can put it side by side with ours.
 *
 * Kernel-only: the userspace harness has no copy of the library.
 *
 * The library cannot tell a double free from a good one (free_iova_fast()
 * returns nothing and caches blindly), so free always succeeds here; the
 * domain's unmap path refuses unmaps of unmapped IOVAs before they get
 * this far.
 */
#include <linux/atomic.h>
#include <linux/iova.h>
#include <linux/slab.h>

#include "dma/iova/allocator.h"
#include "vtd/pgtable.h"

struct iova_linux {
	struct siommu_iova base;
	struct iova_domain iovad;		/* internally locked */
	atomic_long_t outstanding;
};

static struct iova_linux *to_linux(struct siommu_iova *iova)
{
	return container_of(iova, struct iova_linux, base);
}

static struct siommu_iova *linux_create(unsigned long start_pfn,
					unsigned long end_pfn)
{
	struct iova_linux *l = kzalloc(sizeof(*l), GFP_KERNEL);

	if (!l)
		return NULL;
	if (iova_cache_get())
		goto free;
	init_iova_domain(&l->iovad, VTD_PAGE_SIZE, start_pfn);
	if (iova_domain_init_rcaches(&l->iovad)) {
		put_iova_domain(&l->iovad);
		iova_cache_put();
		goto free;
	}
	l->base.ops = &siommu_iova_linux_ops;
	l->base.start_pfn = start_pfn;
	l->base.end_pfn = end_pfn;
	atomic_long_set(&l->outstanding, 0);
	return &l->base;
free:
	kfree(l);
	return NULL;
}

static void linux_destroy(struct siommu_iova *iova)
{
	struct iova_linux *l = to_linux(iova);

	put_iova_domain(&l->iovad);
	iova_cache_put();
	kfree(l);
}

/* The library rounds sizes to powers of two for its caches itself. */
static unsigned long linux_alloc(struct siommu_iova *iova,
				 unsigned long npages, unsigned long limit_pfn)
{
	struct iova_linux *l = to_linux(iova);
	unsigned long pfn;

	if (limit_pfn > iova->end_pfn)
		limit_pfn = iova->end_pfn;
	if (limit_pfn < iova->start_pfn)
		return 0;
	/* Its limit is the last pfn usable, as ours; true: on failure,
	 * flush the per-CPU caches and try once more.
	 */
	pfn = alloc_iova_fast(&l->iovad, npages, limit_pfn, true);
	if (pfn)
		atomic_long_inc(&l->outstanding);
	return pfn;
}

static int linux_free(struct siommu_iova *iova, unsigned long pfn,
		      unsigned long npages)
{
	struct iova_linux *l = to_linux(iova);

	free_iova_fast(&l->iovad, pfn, npages);
	atomic_long_dec(&l->outstanding);
	return 0;
}

static int linux_reserve(struct siommu_iova *iova, unsigned long pfn_lo,
			 unsigned long pfn_hi)
{
	if (pfn_lo < iova->start_pfn)
		pfn_lo = iova->start_pfn;
	if (pfn_hi > iova->end_pfn)
		pfn_hi = iova->end_pfn;
	if (pfn_lo > pfn_hi)
		return 0;
	return reserve_iova(&to_linux(iova)->iovad, pfn_lo, pfn_hi) ?
	       0 : -ENOMEM;
}

static unsigned long linux_outstanding(struct siommu_iova *iova)
{
	return atomic_long_read(&to_linux(iova)->outstanding);
}

const struct siommu_iova_ops siommu_iova_linux_ops = {
	.name = "linux",
	.mode = SIOMMU_IOVA_ALLOC,
	.create = linux_create,
	.destroy = linux_destroy,
	.alloc = linux_alloc,
	.free = linux_free,
	.reserve = linux_reserve,
	.outstanding = linux_outstanding,
};
