// SPDX-License-Identifier: GPL-2.0
/*
 * Invalidation policy "percpu": the paper's per-core deferred
 * invalidation.  Each CPU batches its own unmaps; the unmap path touches
 * only the CPU's own batch (its lock is taken by no one else except a
 * drain, the CPU's own timer, or a task that migrated between picking the
 * batch and locking it), so nothing is shared until a batch is full and
 * one IOTLB invalidation is issued for it.
 *
 * PREEMPT_RT.  The batch is picked with raw_cpu_ptr() and then locked
 * with spin_lock_irqsave(), as the kernel's IOVA rcache does: no
 * local_irq_save() around a spinlock_t, which on RT is a sleeping lock
 * that must not be taken with hard interrupts off.  Should the task move
 * to another CPU in between, it adds to the batch it locked, which is
 * correct, only not local.  The lock has to be a real one, not a
 * local_lock: drains and a migrated timer reach the batch from other
 * CPUs.  The flush inside it takes the unit's raw reg_lock (a short,
 * bounded hardware wait) and the allocators' spinlock_t, both allowed
 * under a spinlock_t on RT.  The timer is a timer_list: on RT it expires
 * in the timer softirq's thread, where a sleeping lock may be taken.
 *
 * A CPU going offline leaves its batch behind: its timer migrates to a
 * live CPU and flushes it there, and a drain flushes every CPU's batch.
 */
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/timer.h>

#include "dma/inval/batch.h"
#include "dma/inval/policy.h"

struct percpu_batch {
	/* Taken by the owning CPU, its timer, and drains from elsewhere. */
	spinlock_t lock;
	struct timer_list timer;
	struct siommu_batch batch;
};

static struct percpu_batch __percpu *batches;

static void percpu_flush_one(struct percpu_batch *pb)
{
	unsigned long flags;

	spin_lock_irqsave(&pb->lock, flags);
	siommu_batch_flush(&pb->batch);
	spin_unlock_irqrestore(&pb->lock, flags);
}

static void percpu_timeout(struct timer_list *t)
{
	percpu_flush_one(container_of(t, struct percpu_batch, timer));
}

static void percpu_unmapped(struct siommu_xlate *xl,
			    struct siommu_iova *iova, unsigned long pfn,
			    unsigned long npages,
			    const struct siommu_unmapped *what)
{
	struct percpu_batch *pb;
	unsigned long flags;

	pb = raw_cpu_ptr(batches);
	spin_lock_irqsave(&pb->lock, flags);
	siommu_batch_add(&pb->batch, xl, iova, pfn, npages, what);
	if (pb->batch.n >= READ_ONCE(siommu_batch_size))
		siommu_batch_flush(&pb->batch);
	else if (pb->batch.n == 1)
		mod_timer(&pb->timer, jiffies + siommu_flush_timeout_jiffies());
	spin_unlock_irqrestore(&pb->lock, flags);
}

static void percpu_drain(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		percpu_flush_one(per_cpu_ptr(batches, cpu));
}

static u64 percpu_age_us(void)
{
	u64 now = ktime_get_ns(), age = 0;
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct percpu_batch *pb = per_cpu_ptr(batches, cpu);

		spin_lock_irqsave(&pb->lock, flags);
		age = max(age, siommu_batch_age_us(&pb->batch, now));
		spin_unlock_irqrestore(&pb->lock, flags);
	}
	return age;
}

static int percpu_init(void)
{
	int cpu;

	batches = alloc_percpu(struct percpu_batch);
	if (!batches)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct percpu_batch *pb = per_cpu_ptr(batches, cpu);

		spin_lock_init(&pb->lock);
		timer_setup(&pb->timer, percpu_timeout, 0);
	}
	return 0;
}

static void percpu_exit(void)
{
	int cpu;

	if (!batches)
		return;
	for_each_possible_cpu(cpu)
		del_timer_sync(&per_cpu_ptr(batches, cpu)->timer);
	percpu_drain();
	free_percpu(batches);
	batches = NULL;
}

const struct siommu_inval_policy siommu_inval_percpu = {
	.name = "percpu",
	.init = percpu_init,
	.exit = percpu_exit,
	.unmapped = percpu_unmapped,
	.drain = percpu_drain,
	.age_us = percpu_age_us,
};
