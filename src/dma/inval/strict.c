// SPDX-License-Identifier: GPL-2.0
/*
 * Invalidation policy "strict": every unmap invalidates the IOTLB for its
 * range and waits for the unit before the range can be reused, so a
 * device never reaches memory through a mapping its driver has dropped.
 */
#include "dma/inval/policy.h"
#include "dma/iova/allocator.h"
#include "dma/xlate/backend.h"
#include "base/stats.h"
#include "vtd/pgtable.h"

static void strict_unmapped(struct siommu_xlate *xl,
			    struct siommu_iova *iova, unsigned long pfn,
			    unsigned long npages,
			    const struct siommu_unmapped *what)
{
	u64 addr = (u64)pfn << VTD_PAGE_SHIFT;

	siommu_stat_inc(SIOMMU_STAT_IOTLB_FLUSHES);
	/*
	 * A range the unit may still cache is never reused, tables it may
	 * still walk never freed: leak them.
	 */
	if (xl->ops->inval_range(xl, addr, npages, what))
		return;
	siommu_xlate_free_tables(xl, what->tables);
	iova->ops->free(iova, pfn, npages);
}

/* Nothing is ever pending. */
static void strict_drain(void)
{
}

const struct siommu_inval_policy siommu_inval_strict = {
	.name = "strict",
	.unmapped = strict_unmapped,
	.drain = strict_drain,
};
