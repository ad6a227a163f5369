// SPDX-License-Identifier: GPL-2.0
/*
 * The "kmalloc" IOVA allocator: the slab allocator as an integer
 * allocator (IOVA-kmalloc, Peleg et al., USENIX ATC 2015).  A range of n
 * pages is a kmalloc() object of roundup_pow_of_two(n) bytes, and its
 * offset from the direct map's base is the first pfn: disjoint objects,
 * disjoint ranges, and the slab's per-CPU freelists in place of a lock.
 *
 * Contract (beyond dma/iova/allocator.h): ranges are aligned to their
 * rounded size; the space must reach the end of the direct map
 * (check_space() says -ERANGE otherwise), and a device whose limit lies
 * below it sees failures the domain's fallback slot serves; reserved
 * pfns and pfns below start_pfn are never handed out (their objects are
 * quarantined until destroy); a double free is not detected (SLUB's
 * debug checks may); destroy leaks what is still out, with a warning.
 *
 * Why, and what each of those costs: docs/allocators.md, "kmalloc".
 */
#define pr_fmt(fmt) "scalable_iommu: " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/kmemleak.h>
#include <linux/log2.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "base/alloc_fault.h"
#include "dma/iova/allocator.h"
#include "dma/iova/direct_map.h"

/* Objects tried per alloc before giving up on reservations. */
#define IOVA_KM_TRIES		16
/* Disjoint reserved intervals an instance can hold. */
#define IOVA_KM_MAX_RESV	32

struct iova_km_resv {
	unsigned long lo, hi;
};

struct iova_km {
	struct siommu_iova base;
	/*
	 * The pfn that offset 0 stands for: start_pfn rounded down to the
	 * direct map's size, a power of two.  A space starting near 0 counts
	 * offsets from 0; one of the domain's upper stretches (aligned to
	 * its size) counts them from its start.  Alignment carries over.
	 */
	unsigned long origin;
	/*
	 * Ranges handed out and not freed.  One cache line every CPU writes:
	 * in the userspace benchmark it costs ~40% of single-thread speed and
	 * all of the gain from a second thread.  Per-CPU counts summed by
	 * outstanding() would not (free would lose its count check).
	 */
	atomic_long_t outstanding;
	/*
	 * Sorted, disjoint, not adjacent; written by reserve only, which the
	 * contract puts before any alloc, and read without the lock.
	 */
	unsigned int nr_resv;
	struct iova_km_resv resv[IOVA_KM_MAX_RESV];
	/* Taken with interrupts off, only to quarantine an object. */
	spinlock_t lock;
	/* Objects never to be handed out, chained through their first word. */
	void *quarantine;
};

static struct iova_km *to_km(struct siommu_iova *iova)
{
	return container_of(iova, struct iova_km, base);
}

/* The bytes asked of kmalloc() for @npages (1 .. KMALLOC_MAX_SIZE). */
static unsigned long iova_km_bytes(unsigned long npages)
{
	unsigned long bytes = roundup_pow_of_two(npages);

	/* Room for the quarantine link. */
	return bytes < sizeof(void *) ? sizeof(void *) : bytes;
}

static unsigned long iova_km_origin(unsigned long start_pfn)
{
	return start_pfn & ~(roundup_pow_of_two(siommu_direct_map_bytes()) - 1);
}

/*
 * Objects whose offset lies below start_pfn are quarantined, so the space
 * must start within the offsets the slab never hands out: the first MiB
 * of RAM on x86 (firmware and real-mode memory).  A space starting higher
 * in the direct map's block would quarantine most of the slab.
 */
#define IOVA_KM_LOW_OFFSETS	BIT(20)

static int iova_km_check_space(unsigned long start_pfn, unsigned long end_pfn)
{
	unsigned long origin = iova_km_origin(start_pfn);

	/* The highest pfn: the direct map's last byte, from the origin. */
	if (start_pfn > end_pfn || start_pfn - origin > IOVA_KM_LOW_OFFSETS ||
	    end_pfn - origin < siommu_direct_map_bytes() - 1)
		return -ERANGE;
	return 0;
}

static struct siommu_iova *iova_km_create(unsigned long start_pfn,
					  unsigned long end_pfn)
{
	struct iova_km *km;

	/* A narrower space is allowed: alloc refuses what falls outside. */
	if (!start_pfn || start_pfn > end_pfn)
		return NULL;
	km = kzalloc(sizeof(*km), GFP_KERNEL);
	if (!km)
		return NULL;
	km->base.ops = &siommu_iova_kmalloc_ops;
	km->base.start_pfn = start_pfn;
	km->base.end_pfn = end_pfn;
	km->origin = iova_km_origin(start_pfn);
	atomic_long_set(&km->outstanding, 0);
	spin_lock_init(&km->lock);
	return &km->base;
}

static void iova_km_destroy(struct siommu_iova *iova)
{
	struct iova_km *km = to_km(iova);
	long left = atomic_long_read(&km->outstanding);
	void *obj;

	if (left)
		pr_warn("kmalloc IOVA: %ld range(s) outstanding at destroy; their slab objects are leaked\n",
			left);
	while ((obj = km->quarantine)) {
		km->quarantine = *(void **)obj;
		kfree(obj);
	}
	kfree(km);
}

/* Does [first, last] overlap a reservation? */
static bool iova_km_reserved(struct iova_km *km, unsigned long first,
			     unsigned long last)
{
	unsigned int i;

	for (i = 0; i < km->nr_resv; i++) {
		if (km->resv[i].lo > last)
			return false;
		if (km->resv[i].hi >= first)
			return true;
	}
	return false;
}

/* Keep @obj allocated until destroy, so it is never handed out. */
static void iova_km_quarantine(struct iova_km *km, void *obj)
{
	unsigned long flags;

	spin_lock_irqsave(&km->lock, flags);
	*(void **)obj = km->quarantine;
	km->quarantine = obj;
	spin_unlock_irqrestore(&km->lock, flags);
}

/**
 * iova_km_alloc() - the ops table's alloc
 * @iova: the instance
 * @npages: pages wanted
 * @limit_pfn: the highest pfn the range may use
 *
 * Return: the first pfn, aligned to roundup_pow_of_two(@npages), or 0 when
 * kmalloc() fails, when the object lies above @limit_pfn or the space, or
 * when IOVA_KM_TRIES objects in a row were below start_pfn or reserved.
 */
static unsigned long iova_km_alloc(struct siommu_iova *iova,
				   unsigned long npages,
				   unsigned long limit_pfn)
{
	struct iova_km *km = to_km(iova);
	unsigned long top = limit_pfn < iova->end_pfn ? limit_pfn :
							  iova->end_pfn;
	unsigned long first, last;
	unsigned int tries;
	void *obj;

	if (!npages || npages > KMALLOC_MAX_SIZE || top < iova->start_pfn ||
	    npages - 1 > top - iova->start_pfn)
		return 0;

	for (tries = 0; tries < IOVA_KM_TRIES; tries++) {
		/* Any context, hard interrupts included. */
		obj = siommu_fail_alloc() ? NULL :
			kmalloc(iova_km_bytes(npages), GFP_ATOMIC | __GFP_NOWARN);
		if (!obj)
			return 0;
		/*
		 * Nothing points at it: only its offset is kept, in page
		 * tables.  Its stale contents are not references either.
		 */
		kmemleak_ignore(obj);
		/* An object below the base would wrap far above top. */
		first = km->origin +
			((unsigned long)obj - SIOMMU_DIRECT_MAP_BASE);
		last = first + npages - 1;
		if (first < km->origin || last < first || last > top) {
			kfree(obj);
			return 0;
		}
		if (first >= iova->start_pfn &&
		    !iova_km_reserved(km, first, last)) {
			atomic_long_inc(&km->outstanding);
			return first;
		}
		iova_km_quarantine(km, obj);
	}
	return 0;
}

/**
 * iova_km_free() - the ops table's free
 * @iova: the instance
 * @pfn: the first pfn, as alloc returned it
 * @npages: the size, as alloc was asked
 *
 * Return: 0, or -EINVAL for a range alloc cannot have returned or when
 * nothing is outstanding.  Other double frees are not detected.
 */
static int iova_km_free(struct siommu_iova *iova, unsigned long pfn,
			unsigned long npages)
{
	struct iova_km *km = to_km(iova);

	if (!npages || npages > KMALLOC_MAX_SIZE || pfn < iova->start_pfn ||
	    pfn > iova->end_pfn || npages - 1 > iova->end_pfn - pfn ||
	    pfn & (iova_km_bytes(npages) - 1) ||
	    iova_km_reserved(km, pfn, pfn + npages - 1))
		return -EINVAL;
	if (!atomic_long_add_unless(&km->outstanding, -1, 0))
		return -EINVAL;
	kfree((void *)(SIOMMU_DIRECT_MAP_BASE + (pfn - km->origin)));
	return 0;
}

/**
 * iova_km_reserve() - the ops table's reserve
 * @iova: the instance, with no alloc made yet
 * @pfn_lo: first pfn to keep out
 * @pfn_hi: last pfn to keep out
 *
 * Merges [@pfn_lo, @pfn_hi], clipped to the space, into the sorted array.
 *
 * Return: 0, or -ENOMEM when the array is full.
 */
static int iova_km_reserve(struct siommu_iova *iova, unsigned long pfn_lo,
			   unsigned long pfn_hi)
{
	struct iova_km *km = to_km(iova);
	unsigned int i, j, n;
	unsigned long flags;
	int ret = 0;

	if (pfn_lo < iova->start_pfn)
		pfn_lo = iova->start_pfn;
	if (pfn_hi > iova->end_pfn)
		pfn_hi = iova->end_pfn;
	if (pfn_lo > pfn_hi)
		return 0;

	spin_lock_irqsave(&km->lock, flags);
	n = km->nr_resv;
	/* Skip the intervals below, with a gap between: no sum can wrap. */
	for (i = 0; i < n && km->resv[i].hi < pfn_lo &&
	     pfn_lo - km->resv[i].hi > 1; i++)
		;
	/* Merge those from i that overlap or touch it: [i, j). */
	for (j = i; j < n && !(pfn_hi < km->resv[j].lo &&
			       km->resv[j].lo - pfn_hi > 1); j++) {
		if (km->resv[j].lo < pfn_lo)
			pfn_lo = km->resv[j].lo;
		if (km->resv[j].hi > pfn_hi)
			pfn_hi = km->resv[j].hi;
	}
	if (i == j && n == IOVA_KM_MAX_RESV) {
		ret = -ENOMEM;
	} else {
		/* Replace [i, j) with one interval. */
		memmove(&km->resv[i + 1], &km->resv[j],
			(n - j) * sizeof(km->resv[0]));
		km->resv[i].lo = pfn_lo;
		km->resv[i].hi = pfn_hi;
		km->nr_resv = n - (j - i) + 1;
	}
	spin_unlock_irqrestore(&km->lock, flags);
	return ret;
}

static unsigned long iova_km_outstanding(struct siommu_iova *iova)
{
	return atomic_long_read(&to_km(iova)->outstanding);
}

const struct siommu_iova_ops siommu_iova_kmalloc_ops = {
	.name = "kmalloc",
	.mode = SIOMMU_IOVA_ALLOC,
	.create = iova_km_create,
	.destroy = iova_km_destroy,
	.alloc = iova_km_alloc,
	.free = iova_km_free,
	.reserve = iova_km_reserve,
	.outstanding = iova_km_outstanding,
	.check_space = iova_km_check_space,
};
