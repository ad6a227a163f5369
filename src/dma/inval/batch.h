/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the batching policies (deferred, percpu) share: a batch of unmapped
 * ranges waiting for one IOTLB flush, and the tunables that bound it.
 */
#ifndef SCALABLE_IOMMU_DMA_INVAL_BATCH_H
#define SCALABLE_IOMMU_DMA_INVAL_BATCH_H

#include <linux/ktime.h>
#include <linux/types.h>

#include "dma/xlate/backend.h"

struct page;
struct siommu_iova;
struct siommu_unmapped;
struct siommu_xlate;

/* batch_size is settable in [1, SIOMMU_BATCH_MAX]; 250 as in Linux. */
#define SIOMMU_BATCH_MAX		512
#define SIOMMU_BATCH_DEFAULT		250
/* flush_timeout_us in [100, 1000000]; 10 ms as in Linux. */
#define SIOMMU_FLUSH_TIMEOUT_MIN_US	100
#define SIOMMU_FLUSH_TIMEOUT_MAX_US	1000000
#define SIOMMU_FLUSH_TIMEOUT_DEFAULT_US	10000

extern unsigned int siommu_batch_size;
extern unsigned int siommu_flush_timeout_us;

struct siommu_batch_entry {
	struct siommu_xlate *xl;
	struct siommu_iova *iova;
	unsigned long pfn;
	unsigned long npages;
	struct page *tables;		/* siommu_unmapped.tables */
};

/* Protected by its owner's lock: deferred_lock, a percpu_batch's lock. */
struct siommu_batch {
	unsigned int n;
	u64 first_ns;			/* when the oldest entry came */
	struct siommu_batch_entry e[SIOMMU_BATCH_MAX];
};

/* On every unmap of a batching policy: inline, it is a few stores. */
static inline void siommu_batch_add(struct siommu_batch *b,
				    struct siommu_xlate *xl,
				    struct siommu_iova *iova, unsigned long pfn,
				    unsigned long npages,
				    const struct siommu_unmapped *what)
{
	struct siommu_batch_entry *e = &b->e[b->n++];

	if (b->n == 1)
		b->first_ns = ktime_get_ns();
	e->xl = xl;
	e->iova = iova;
	e->pfn = pfn;
	e->npages = npages;
	e->tables = what->tables;
}

void siommu_batch_flush(struct siommu_batch *b);
u64 siommu_batch_age_us(const struct siommu_batch *b, u64 now_ns);
unsigned long siommu_flush_timeout_jiffies(void);

#endif /* SCALABLE_IOMMU_DMA_INVAL_BATCH_H */
