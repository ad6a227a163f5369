// SPDX-License-Identifier: GPL-2.0
/*
 * Batches of unmapped ranges: one IOTLB flush per unit for the whole
 * batch, then every range goes back to the allocator instance that made
 * it.  Until then the ranges stay allocated, so no one can map them again
 * while the unit may still hold stale translations for them.
 */
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>

#include "dma/inval/batch.h"
#include "dma/domain.h"
#include "base/trace.h"
#include "base/stats.h"

unsigned int siommu_batch_size = SIOMMU_BATCH_DEFAULT;
unsigned int siommu_flush_timeout_us = SIOMMU_FLUSH_TIMEOUT_DEFAULT_US;

void siommu_batch_add(struct siommu_batch *b, struct siommu_unit *unit,
		      struct siommu_iova *iova, unsigned long pfn,
		      unsigned long npages)
{
	if (!b->n)
		b->first_ns = ktime_get_ns();
	b->e[b->n++] = (struct siommu_batch_entry) {
		.unit = unit, .iova = iova, .pfn = pfn, .npages = npages,
	};
}

/*
 * One global IOTLB invalidation per unit the batch touches, then the
 * frees.  A unit whose invalidation fails keeps its ranges allocated
 * for good: reusing them could let a device reach memory through a
 * stale translation.
 */
void siommu_batch_flush(struct siommu_batch *b)
{
	unsigned int i, j;

	if (!b->n)
		return;
	for (i = 0; i < b->n; i++) {
		struct siommu_unit *unit = b->e[i].unit;
		bool done = false;
		int ret;

		for (j = 0; j < i && !done; j++)
			done = b->e[j].unit == unit;
		if (done)
			continue;
		siommu_stat_inc(SIOMMU_STAT_IOTLB_FLUSHES);
		trace_siommu_flush(unit->index, 0, 0, 0);
		ret = siommu_flush_iotlb_global(unit);
		for (j = i; ret && j < b->n; j++)
			if (b->e[j].unit == unit)
				b->e[j].iova = NULL;
	}
	for (i = 0; i < b->n; i++)
		if (b->e[i].iova)
			b->e[i].iova->ops->free(b->e[i].iova, b->e[i].pfn,
						b->e[i].npages);
	siommu_stat_inc(SIOMMU_STAT_BATCHES);
	siommu_stat_add(SIOMMU_STAT_BATCHED, b->n);
	b->n = 0;
}

u64 siommu_batch_age_us(const struct siommu_batch *b, u64 now_ns)
{
	return b->n ? (now_ns - b->first_ns) / NSEC_PER_USEC : 0;
}

unsigned long siommu_flush_timeout_jiffies(void)
{
	return max(1UL, usecs_to_jiffies(READ_ONCE(siommu_flush_timeout_us)));
}
