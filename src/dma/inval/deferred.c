// SPDX-License-Identifier: GPL-2.0
/*
 * Invalidation policy "deferred": Linux's classic lazy mode, the 2015
 * baseline.  Every CPU's unmaps go into one global batch under one lock;
 * the batch is flushed (one IOTLB invalidation per unit, then the ranges
 * freed) when it holds batch_size entries or its oldest entry is
 * flush_timeout_us old.  The lock is the bottleneck the paper measured.
 */
#include <linux/compiler.h>
#include <linux/ktime.h>
#include <linux/spinlock.h>
#include <linux/timer.h>

#include "dma/inval/batch.h"
#include "dma/inval/policy.h"

static DEFINE_SPINLOCK(deferred_lock);
static struct siommu_batch deferred_batch;

static void deferred_timeout(struct timer_list *t)
{
	unsigned long flags;

	spin_lock_irqsave(&deferred_lock, flags);
	siommu_batch_flush(&deferred_batch);
	spin_unlock_irqrestore(&deferred_lock, flags);
}

static DEFINE_TIMER(deferred_timer, deferred_timeout);

static void deferred_unmapped(struct siommu_xlate *xl,
			      struct siommu_iova *iova, unsigned long pfn,
			      unsigned long npages,
			      const struct siommu_unmapped *what)
{
	unsigned long flags;

	spin_lock_irqsave(&deferred_lock, flags);
	siommu_batch_add(&deferred_batch, xl, iova, pfn, npages, what);
	if (deferred_batch.n >= READ_ONCE(siommu_batch_size))
		siommu_batch_flush(&deferred_batch);
	else if (deferred_batch.n == 1)
		mod_timer(&deferred_timer,
			  jiffies + siommu_flush_timeout_jiffies());
	spin_unlock_irqrestore(&deferred_lock, flags);
}

static void deferred_drain(void)
{
	unsigned long flags;

	spin_lock_irqsave(&deferred_lock, flags);
	siommu_batch_flush(&deferred_batch);
	spin_unlock_irqrestore(&deferred_lock, flags);
}

static u64 deferred_age_us(void)
{
	unsigned long flags;
	u64 age;

	spin_lock_irqsave(&deferred_lock, flags);
	age = siommu_batch_age_us(&deferred_batch, ktime_get_ns());
	spin_unlock_irqrestore(&deferred_lock, flags);
	return age;
}

static void deferred_exit(void)
{
	del_timer_sync(&deferred_timer);
	deferred_drain();
}

const struct siommu_inval_policy siommu_inval_deferred = {
	.name = "deferred",
	.exit = deferred_exit,
	.unmapped = deferred_unmapped,
	.drain = deferred_drain,
	.age_us = deferred_age_us,
};
