// SPDX-License-Identifier: GPL-2.0
/*
 * Batches of unmapped ranges: one wide invalidation for the whole batch
 * (per domain it touches, or per unit when it touches many), then every
 * range goes back to the allocator instance that made it.  Until then the
 * ranges stay allocated, so no one can map them again while the unit may
 * still hold stale translations for them.  The table pages an unmap
 * emptied wait with its range: a wide invalidation also drops the
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

/*
 * Domain-selective invalidations a batch issues at most; a batch that
 * touches more domains issues one global invalidation per unit instead.
 */
#define BATCH_DOMAIN_INVALS	4

/* Keep what @xl's (or, with @scope, its unit's) entries hold: for good. */
static void batch_keep(struct siommu_batch *b, const struct siommu_xlate *xl,
		       const void *scope)
{
	unsigned int i;

	for (i = 0; i < b->n; i++)
		if (b->e[i].xl == xl || (scope && b->e[i].xl->scope == scope))
			b->e[i].iova = NULL;
}

/* The distinct domains of @b into @xls; 0 when there are too many. */
static unsigned int batch_domains(const struct siommu_batch *b,
				  struct siommu_xlate **xls)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < b->n; i++) {
		for (j = 0; j < n && xls[j] != b->e[i].xl; j++)
			;
		if (j < n)
			continue;
		if (n == BATCH_DOMAIN_INVALS)
			return 0;
		xls[n++] = b->e[i].xl;
	}
	return n;
}

/*
 * One domain-selective invalidation per domain the batch touches (it
 * drops the domain's paging-structure caches too, so the table pages can
 * go), or, past BATCH_DOMAIN_INVALS domains, one global invalidation per
 * scope; then the frees.  A domain or scope whose invalidation fails
 * keeps its ranges allocated and its table pages for good: reusing them
 * could let a device reach memory through a stale translation.  A
 * domain-selective invalidation leaves the unit's other domains cached,
 * as they are when no batch is due.
 */
void siommu_batch_flush(struct siommu_batch *b)
{
	struct siommu_xlate *xls[BATCH_DOMAIN_INVALS];
	unsigned int i, j, n;

	if (!b->n)
		return;
	n = batch_domains(b, xls);
	for (i = 0; i < n; i++) {
		siommu_stat_inc(SIOMMU_STAT_IOTLB_FLUSHES);
		if (xls[i]->ops->inval_domain(xls[i]))
			batch_keep(b, xls[i], NULL);
	}
	for (i = 0; !n && i < b->n; i++) {
		struct siommu_xlate *xl = b->e[i].xl;
		bool done = false;

		for (j = 0; j < i && !done; j++)
			done = b->e[j].xl->scope == xl->scope;
		if (done)
			continue;
		siommu_stat_inc(SIOMMU_STAT_IOTLB_FLUSHES);
		if (xl->ops->inval_all(xl))
			batch_keep(b, NULL, xl->scope);
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
