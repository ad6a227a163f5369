// SPDX-License-Identifier: GPL-2.0
/*
 * The "magazine" IOVA allocator: per-CPU caches of freed ranges in front
 * of an "rbtree" instance (Bonwick and Adams' magazines, as Peleg et al.
 * applied them to IOVAs, USENIX ATC 2015).  Requests of up to
 * IOVA_MAG_MAX_PAGES pages are rounded up to a power-of-two class; each
 * CPU holds a loaded and a previous magazine per class under its
 * local_lock, and a locked depot per class sits behind them.
 *
 * Contract (beyond dma/iova/allocator.h): alloc and free in any context,
 * hard interrupts included (on PREEMPT_RT, task context: the local_lock
 * and the depot's lock sleep there); free never fails for want of
 * memory; up to 2 * IOVA_MAG_SIZE ranges per class per CPU may be out of
 * another CPU's reach until drain() or cpu_dead().  drain() and destroy()
 * run only while no alloc or free runs on the instance; cpu_dead() may
 * run beside them.  free() catches misaligned and out-of-space ranges and
 * the immediate double free, not every double free.
 *
 * Why, and what it cannot detect: docs/allocators.md, "magazine".
 */
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/container_of.h>
#include <linux/errno.h>
/*
 * Before <linux/local_lock.h>: on PREEMPT_RT its local_lock_t is a
 * spinlock_t, and 6.1's header does not include what defines it.
 */
#include <linux/spinlock.h>
#include <linux/local_lock.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "base/alloc_fault.h"
#include "dma/iova/allocator.h"

/* Classes: 1, 2, 4, ... 32 pages. */
#define IOVA_MAG_ORDERS		6
#define IOVA_MAG_MAX_PAGES	(1UL << (IOVA_MAG_ORDERS - 1))
/*
 * 255 pfns and the count make 2 KiB, a slab size with no waste.  At least
 * one batch of the batching policies (SIOMMU_BATCH_DEFAULT, 250 unmaps),
 * so that a CPU takes the ranges of a whole flush back into its own
 * magazines, with no trip to the depot (and its lock) or the tree: two
 * magazines per class hold up to 510 ranges per CPU, a batch's worth
 * cached and a batch's worth coming back.  A CPU goes to the depot at
 * most once per 255 operations of a class.
 */
#define IOVA_MAG_SIZE		255
/* Full magazines kept per class beyond the CPUs' own (and as many empty). */
#define IOVA_MAG_DEPOT		8

struct iova_mag {
	unsigned long size;
	unsigned long pfns[IOVA_MAG_SIZE];
};

/* One CPU's part: touched only by that CPU, under its local_lock. */
struct iova_mag_cpu {
	local_lock_t lock;
	struct iova_mag *loaded[IOVA_MAG_ORDERS];
	struct iova_mag *prev[IOVA_MAG_ORDERS];
	/*
	 * Ranges allocated on this CPU minus ranges freed on it: negative
	 * when this CPU frees what others allocated.  The sum over CPUs is
	 * the instance's count.  Per CPU, not one atomic, so the fast path
	 * writes no shared cache line; written by its owner only, read by
	 * outstanding() from any CPU.
	 */
	long out;
	/* For stats(): this CPU's hits, misses and depot exchanges. */
	unsigned long hits, misses, exchanges;
};

struct iova_mag_depot {
	/*
	 * Taken with interrupts off (the owner of a CPU part may be an IRQ);
	 * nests inside a CPU's local_lock.
	 */
	spinlock_t lock;
	/* Protected by lock. */
	unsigned int nr_full;
	unsigned int nr_empty;
	struct iova_mag *full[IOVA_MAG_DEPOT];
	struct iova_mag *empty[IOVA_MAG_DEPOT];
};

struct iova_magazine {
	struct siommu_iova base;
	/* An "rbtree" instance over the same space. */
	struct siommu_iova *backing;		/* written once at create */
	struct iova_mag_cpu __percpu *cpus;	/* written once at create */
	struct iova_mag_depot depot[IOVA_MAG_ORDERS];
};

static struct iova_magazine *to_mag(struct siommu_iova *iova)
{
	return container_of(iova, struct iova_magazine, base);
}

/* The class of @npages, 1 <= @npages <= IOVA_MAG_MAX_PAGES. */
static unsigned int iova_mag_order(unsigned long npages)
{
	return npages > 1 ? ilog2(npages - 1) + 1 : 0;
}

/* Magazines of every instance, live: all go back when the instances go. */
atomic_long_t siommu_iova_magazines_live = ATOMIC_LONG_INIT(0);

static struct iova_mag *iova_mag_new(gfp_t gfp)
{
	struct iova_mag *mag;

	if (siommu_fail_alloc())
		return NULL;
	mag = kmalloc(sizeof(*mag), gfp);
	if (mag) {
		mag->size = 0;
		atomic_long_inc(&siommu_iova_magazines_live);
	}
	return mag;
}

static void iova_mag_delete(struct iova_mag *mag)
{
	if (!mag)
		return;
	kfree(mag);
	atomic_long_dec(&siommu_iova_magazines_live);
}

/* Give every range in @mag back to the backing allocator; how many. */
static unsigned long iova_mag_spill(struct iova_magazine *m,
				    unsigned int order, struct iova_mag *mag)
{
	struct siommu_iova *b = m->backing;
	unsigned long n = mag->size;

	while (mag->size) {
		mag->size--;
		/* It refuses the second copy of a range freed twice. */
		WARN_ON_ONCE(b->ops->free(b, mag->pfns[mag->size],
					  1UL << order));
	}
	return n;
}

/* Keep the empty @mag as the depot's spare, or free it. */
static void iova_mag_put_empty(struct iova_mag_depot *d, struct iova_mag *mag)
{
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	if (d->nr_empty < IOVA_MAG_DEPOT) {
		d->empty[d->nr_empty++] = mag;
		mag = NULL;
	}
	spin_unlock_irqrestore(&d->lock, flags);
	iova_mag_delete(mag);
}

/* Spill every full magazine of the depot, kept as spares; how many ranges. */
static unsigned long iova_mag_depot_spill(struct iova_magazine *m,
					  unsigned int order)
{
	struct iova_mag_depot *d = &m->depot[order];
	struct iova_mag *full[IOVA_MAG_DEPOT];
	unsigned long flags, spilled = 0;
	unsigned int i, n;

	spin_lock_irqsave(&d->lock, flags);
	n = d->nr_full;
	for (i = 0; i < n; i++)
		full[i] = d->full[i];
	d->nr_full = 0;
	spin_unlock_irqrestore(&d->lock, flags);

	for (i = 0; i < n; i++) {
		spilled += iova_mag_spill(m, order, full[i]);
		iova_mag_put_empty(d, full[i]);
	}
	return spilled;
}

/* Spill both of @c's magazines of every class; how many ranges. */
static unsigned long iova_mag_cpu_spill(struct iova_magazine *m,
					struct iova_mag_cpu *c)
{
	unsigned long spilled = 0;
	unsigned int order;

	for (order = 0; order < IOVA_MAG_ORDERS; order++) {
		spilled += iova_mag_spill(m, order, c->loaded[order]);
		spilled += iova_mag_spill(m, order, c->prev[order]);
	}
	return spilled;
}

/*
 * @c's loaded magazine of @order is empty: make it one with ranges, from
 * the previous magazine or the depot.  @c's local_lock held.
 */
static bool iova_mag_refill(struct iova_magazine *m, struct iova_mag_cpu *c,
			    unsigned int order)
{
	struct iova_mag_depot *d = &m->depot[order];
	struct iova_mag *mag = c->loaded[order], *spare = NULL;
	unsigned long flags;

	lockdep_assert_held(&c->lock);
	if (c->prev[order]->size) {
		c->loaded[order] = c->prev[order];
		c->prev[order] = mag;
		return true;
	}
	spin_lock_irqsave(&d->lock, flags);
	if (!d->nr_full) {
		spin_unlock_irqrestore(&d->lock, flags);
		return false;
	}
	c->loaded[order] = d->full[--d->nr_full];
	WRITE_ONCE(c->exchanges, c->exchanges + 1);
	if (d->nr_empty < IOVA_MAG_DEPOT)
		d->empty[d->nr_empty++] = mag;
	else
		spare = mag;
	spin_unlock_irqrestore(&d->lock, flags);
	iova_mag_delete(spare);
	return true;
}

/*
 * @c's loaded magazine of @order is full: make it one with room, from the
 * previous magazine, the depot, a new magazine, or by spilling it.
 * @c's local_lock held: interrupts off without PREEMPT_RT, so the new
 * magazine is GFP_ATOMIC; on RT the section is preemptible and kmalloc()
 * may take its sleeping locks.
 */
static void iova_mag_make_room(struct iova_magazine *m,
			       struct iova_mag_cpu *c, unsigned int order)
{
	struct iova_mag_depot *d = &m->depot[order];
	struct iova_mag *mag = c->loaded[order], *new;
	unsigned long flags;
	bool room;

	lockdep_assert_held(&c->lock);
	if (!c->prev[order]->size) {
		c->loaded[order] = c->prev[order];
		c->prev[order] = mag;
		return;
	}
	spin_lock_irqsave(&d->lock, flags);
	room = d->nr_full < IOVA_MAG_DEPOT;
	if (room && d->nr_empty) {
		d->full[d->nr_full++] = mag;
		c->loaded[order] = d->empty[--d->nr_empty];
		WRITE_ONCE(c->exchanges, c->exchanges + 1);
		spin_unlock_irqrestore(&d->lock, flags);
		return;
	}
	spin_unlock_irqrestore(&d->lock, flags);

	/* No spare: make one, outside the lock, if the depot can take it. */
	new = room ? iova_mag_new(GFP_ATOMIC) : NULL;
	if (new) {
		spin_lock_irqsave(&d->lock, flags);
		if (d->nr_full < IOVA_MAG_DEPOT) {
			d->full[d->nr_full++] = mag;
			c->loaded[order] = new;
			WRITE_ONCE(c->exchanges, c->exchanges + 1);
			new = NULL;
		}
		spin_unlock_irqrestore(&d->lock, flags);
		if (!new)
			return;
		/* Another CPU filled the depot meanwhile. */
		iova_mag_put_empty(d, new);
	}
	iova_mag_spill(m, order, mag);
}

/* Count a range handed out (+1) or given back (-1) on this CPU. */
static void iova_mag_count(struct iova_magazine *m, long delta)
{
	struct iova_mag_cpu *c;
	unsigned long flags;

	local_lock_irqsave(&m->cpus->lock, flags);
	c = this_cpu_ptr(m->cpus);
	WRITE_ONCE(c->out, c->out + delta);
	local_unlock_irqrestore(&m->cpus->lock, flags);
}

static void iova_mag_destroy(struct siommu_iova *iova)
{
	struct iova_magazine *m = to_mag(iova);
	struct iova_mag_depot *d;
	struct iova_mag_cpu *c;
	unsigned int cpu, order, i;

	if (m->cpus) {
		for_each_possible_cpu(cpu) {
			c = per_cpu_ptr(m->cpus, cpu);
			for (order = 0; order < IOVA_MAG_ORDERS; order++) {
				iova_mag_delete(c->loaded[order]);
				iova_mag_delete(c->prev[order]);
			}
		}
		free_percpu(m->cpus);
	}
	for (order = 0; order < IOVA_MAG_ORDERS; order++) {
		d = &m->depot[order];
		for (i = 0; i < d->nr_full; i++)
			iova_mag_delete(d->full[i]);
		for (i = 0; i < d->nr_empty; i++)
			iova_mag_delete(d->empty[i]);
	}
	/* Cached ranges are the backing allocator's: this frees them too. */
	if (m->backing)
		m->backing->ops->destroy(m->backing);
	kfree(m);
}

static struct siommu_iova *iova_mag_create(unsigned long start_pfn,
					   unsigned long end_pfn)
{
	struct iova_magazine *m;
	struct iova_mag_cpu *c;
	unsigned int cpu, order;

	if (!start_pfn || start_pfn > end_pfn)
		return NULL;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return NULL;
	m->base.ops = &siommu_iova_magazine_ops;
	m->base.start_pfn = start_pfn;
	m->base.end_pfn = end_pfn;
	for (order = 0; order < IOVA_MAG_ORDERS; order++)
		spin_lock_init(&m->depot[order].lock);
	m->backing = siommu_iova_rbtree_ops.create(start_pfn, end_pfn);
	if (!m->backing)
		goto fail;
	/* Zeroed: destroy() can tell which magazines were made. */
	m->cpus = alloc_percpu(struct iova_mag_cpu);
	if (!m->cpus)
		goto fail;
	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(m->cpus, cpu);
		local_lock_init(&c->lock);
		for (order = 0; order < IOVA_MAG_ORDERS; order++) {
			c->loaded[order] = iova_mag_new(GFP_KERNEL);
			c->prev[order] = iova_mag_new(GFP_KERNEL);
			if (!c->loaded[order] || !c->prev[order])
				goto fail;
		}
	}
	return &m->base;
fail:
	iova_mag_destroy(&m->base);
	return NULL;
}

/**
 * iova_mag_alloc() - the ops table's alloc
 * @iova: the instance
 * @npages: pages wanted
 * @limit_pfn: the highest pfn the range may use
 *
 * Return: the first pfn, aligned to roundup_pow_of_two(@npages), or 0.
 */
static unsigned long iova_mag_alloc(struct siommu_iova *iova,
				    unsigned long npages,
				    unsigned long limit_pfn)
{
	struct iova_magazine *m = to_mag(iova);
	struct siommu_iova *b = m->backing;
	struct iova_mag_cpu *c;
	struct iova_mag *mag;
	unsigned long flags, pfn = 0;
	unsigned int order;

	/* 0 pages wraps past the classes: the backing allocator says no. */
	if (npages - 1 < IOVA_MAG_MAX_PAGES) {
		order = iova_mag_order(npages);
		npages = 1UL << order;
		local_lock_irqsave(&m->cpus->lock, flags);
		c = this_cpu_ptr(m->cpus);
		mag = c->loaded[order];
		if (mag->size || iova_mag_refill(m, c, order)) {
			mag = c->loaded[order];
			pfn = mag->pfns[mag->size - 1];
			/* A valid range: the sum does not wrap. */
			if (pfn + npages - 1 <= limit_pfn) {
				mag->size--;
				WRITE_ONCE(c->out, c->out + 1);
			} else {
				pfn = 0;
			}
		}
		if (pfn)
			WRITE_ONCE(c->hits, c->hits + 1);
		else
			WRITE_ONCE(c->misses, c->misses + 1);
		local_unlock_irqrestore(&m->cpus->lock, flags);
		if (pfn)
			return pfn;
	}

	pfn = b->ops->alloc(b, npages, limit_pfn);
	if (!pfn) {
		/*
		 * Give back what this CPU and the depot hold, and try once
		 * more if that was anything.
		 */
		unsigned long spilled;

		local_lock_irqsave(&m->cpus->lock, flags);
		spilled = iova_mag_cpu_spill(m, this_cpu_ptr(m->cpus));
		local_unlock_irqrestore(&m->cpus->lock, flags);
		for (order = 0; order < IOVA_MAG_ORDERS; order++)
			spilled += iova_mag_depot_spill(m, order);
		if (spilled)
			pfn = b->ops->alloc(b, npages, limit_pfn);
	}
	if (pfn)
		iova_mag_count(m, 1);
	return pfn;
}

/**
 * iova_mag_free() - the ops table's free
 * @iova: the instance
 * @pfn: the first pfn, as alloc returned it
 * @npages: the size, as alloc was asked
 *
 * See the top of the file for which bad frees are refused.
 *
 * Return: 0, or -EINVAL when the range is known not to be outstanding.
 */
static int iova_mag_free(struct siommu_iova *iova, unsigned long pfn,
			 unsigned long npages)
{
	struct iova_magazine *m = to_mag(iova);
	struct siommu_iova *b = m->backing;
	struct iova_mag_cpu *c;
	struct iova_mag *mag;
	unsigned long flags;
	unsigned int order;
	int ret;

	if (npages - 1 >= IOVA_MAG_MAX_PAGES) {
		ret = b->ops->free(b, pfn, npages);
		if (!ret)
			iova_mag_count(m, -1);
		return ret;
	}
	order = iova_mag_order(npages);
	npages = 1UL << order;
	if (pfn < iova->start_pfn || pfn > iova->end_pfn ||
	    npages - 1 > iova->end_pfn - pfn || (pfn & (npages - 1)))
		return -EINVAL;

	local_lock_irqsave(&m->cpus->lock, flags);
	c = this_cpu_ptr(m->cpus);
	mag = c->loaded[order];
	/* The range this CPU cached last in the class is not outstanding. */
	if (mag->size && mag->pfns[mag->size - 1] == pfn) {
		local_unlock_irqrestore(&m->cpus->lock, flags);
		return -EINVAL;
	}
	if (mag->size == IOVA_MAG_SIZE) {
		iova_mag_make_room(m, c, order);
		mag = c->loaded[order];
	}
	mag->pfns[mag->size++] = pfn;
	WRITE_ONCE(c->out, c->out - 1);
	local_unlock_irqrestore(&m->cpus->lock, flags);
	return 0;
}

/* Called before any alloc: nothing is cached yet. */
static int iova_mag_reserve(struct siommu_iova *iova, unsigned long pfn_lo,
			    unsigned long pfn_hi)
{
	struct siommu_iova *b = to_mag(iova)->backing;

	return b->ops->reserve(b, pfn_lo, pfn_hi);
}

/* Exact when nothing runs concurrently; a passing sum otherwise. */
static unsigned long iova_mag_outstanding(struct siommu_iova *iova)
{
	struct iova_magazine *m = to_mag(iova);
	unsigned int cpu;
	long n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(m->cpus, cpu)->out);
	return n;
}

static void iova_mag_stats(struct siommu_iova *iova,
			   struct siommu_iova_stats *st)
{
	struct iova_magazine *m = to_mag(iova);
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct iova_mag_cpu *c = per_cpu_ptr(m->cpus, cpu);

		st->cache_hits += READ_ONCE(c->hits);
		st->cache_misses += READ_ONCE(c->misses);
		st->depot_exchanges += READ_ONCE(c->exchanges);
	}
}

/*
 * @cpu is offline and will run none of our code until it is back: its
 * ranges go back to the backing allocator.  Its magazines, now empty,
 * stay for when it returns, and so does its count (part of the sum).
 */
static void iova_mag_cpu_dead(struct siommu_iova *iova, unsigned int cpu)
{
	struct iova_magazine *m = to_mag(iova);

	iova_mag_cpu_spill(m, per_cpu_ptr(m->cpus, cpu));
}

/* Nothing else runs on the instance (see the top of the file). */
static void iova_mag_drain(struct siommu_iova *iova)
{
	struct iova_magazine *m = to_mag(iova);
	unsigned int cpu, order;

	for_each_possible_cpu(cpu)
		iova_mag_cpu_spill(m, per_cpu_ptr(m->cpus, cpu));
	for (order = 0; order < IOVA_MAG_ORDERS; order++)
		iova_mag_depot_spill(m, order);
}

/*
 * For the unit tests: what the backing instance has out, cached ranges
 * included, so that they see what drain and cpu_dead gave back.
 */
unsigned long siommu_iova_magazine_backing_out(struct siommu_iova *iova)
{
	struct siommu_iova *b = to_mag(iova)->backing;

	return b->ops->outstanding(b);
}

const struct siommu_iova_ops siommu_iova_magazine_ops = {
	.name = "magazine",
	.mode = SIOMMU_IOVA_ALLOC,
	.create = iova_mag_create,
	.destroy = iova_mag_destroy,
	.alloc = iova_mag_alloc,
	.free = iova_mag_free,
	.reserve = iova_mag_reserve,
	.outstanding = iova_mag_outstanding,
	.cpu_dead = iova_mag_cpu_dead,
	.drain = iova_mag_drain,
	.stats = iova_mag_stats,
};
