// SPDX-License-Identifier: GPL-2.0
/*
 * Invalidation policy "strict": every unmap invalidates the IOTLB for its
 * range and waits for the unit before the range can be reused, so a
 * device never reaches memory through a mapping its driver has dropped.
 */
#include "dma/domain.h"
#include "base/trace.h"
#include "base/stats.h"

static void strict_unmapped(struct siommu_domain *dom,
			    struct siommu_iova *iova, unsigned long pfn,
			    unsigned long npages)
{
	u64 addr = (u64)pfn << VTD_PAGE_SHIFT;

	siommu_stat_inc(SIOMMU_STAT_IOTLB_FLUSHES);
	trace_siommu_flush(dom->unit->index, dom->did, addr, npages);
	/* A range the unit may still cache is never reused: leak it. */
	if (siommu_flush_iotlb_range(dom->unit, dom->did, addr, npages))
		return;
	iova->ops->free(iova, pfn, npages);
}

/* Nothing is ever pending. */
static void strict_drain(void)
{
}

const struct siommu_flush_ops siommu_flush_strict_ops = {
	.name = "strict",
	.unmapped = strict_unmapped,
	.drain = strict_drain,
};
