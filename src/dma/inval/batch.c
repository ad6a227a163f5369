// SPDX-License-Identifier: GPL-2.0
/*
 * Batches of unmapped ranges: one wide invalidation per scope (a unit:
 * struct siommu_xlate's scope) for the whole batch, then every range goes
 * back to the allocator instance that made it.  Until then the ranges
 * stay allocated, so no one can map them again while the unit may still
 * hold stale translations for them.  The table pages an unmap emptied
 * wait with its range: a wide invalidation also drops the
 * paging-structure caches, so they go with the range.
 */
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>

#include "dma/inval/batch.h"
#include "dma/iova/allocator.h"
#include "dma/xlate/backend.h"
#include "base/stats.h"

unsigned int siommu_batch_size = SIOMMU_BATCH_DEFAULT;
unsigned int siommu_flush_timeout_us = SIOMMU_FLUSH_TIMEOUT_DEFAULT_US;

void siommu_batch_add(struct siommu_batch *b, struct siommu_xlate *xl,
		      struct siommu_iova *iova, unsigned long pfn,
		      unsigned long npages, const struct siommu_unmapped *what)
{
	if (!b->n)
		b->first_ns = ktime_get_ns();
	b->e[b->n++] = (struct siommu_batch_entry) {
		.xl = xl, .iova = iova, .pfn = pfn, .npages = npages,
		.tables = what->tables,
	};
}

/*
 * One wide invalidation per scope the batch touches, then the frees.  A
 * scope whose invalidation fails keeps its ranges allocated and its table
 * pages for good: reusing them could let a device reach memory through a
 * stale translation.
 */
void siommu_batch_flush(struct siommu_batch *b)
{
	unsigned int i, j;

	if (!b->n)
		return;
	for (i = 0; i < b->n; i++) {
		struct siommu_xlate *xl = b->e[i].xl;
		bool done = false;
		int ret;

		for (j = 0; j < i && !done; j++)
			done = b->e[j].xl->scope == xl->scope;
		if (done)
			continue;
		siommu_stat_inc(SIOMMU_STAT_IOTLB_FLUSHES);
		ret = xl->ops->inval_all(xl);
		for (j = i; ret && j < b->n; j++)
			if (b->e[j].xl->scope == xl->scope)
				b->e[j].iova = NULL;
	}
	for (i = 0; i < b->n; i++) {
		struct siommu_batch_entry *e = &b->e[i];

		if (!e->iova)
			continue;
		siommu_xlate_free_tables(e->xl, e->tables);
		e->iova->ops->free(e->iova, e->pfn, e->npages);
	}
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
