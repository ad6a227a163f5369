// SPDX-License-Identifier: GPL-2.0
/*
 * The "rbtree" IOVA allocator: one red-black tree of allocated ranges,
 * ordered by first pfn, under one spinlock per instance.
 *
 * A range of n pages starts on a multiple of roundup_pow_of_two(n), so one
 * page-selective IOTLB invalidation with an address mask covers it.  Only
 * the n pages are reserved: the rest of the aligned block may belong to
 * another range, which an invalidation of that block merely over-covers.
 *
 * Allocation is first fit searching down from the top of what the caller
 * may use.  Two things keep the common case short:
 *
 *  - A hint, as Linux's iova.c keeps: the search starts just below the
 *    range the last search under the same limit placed, where the next
 *    free space usually is.  When that fails the search starts again from
 *    the top, so the hint never makes an allocation fail that could
 *    succeed.  There is one hint for the whole space and one for the last
 *    lower limit: a request under a low DMA mask does not make requests
 *    that may go anywhere start down in the low space, and the reverse.
 *
 *  - EiovaR-style reuse: a freed range of up to IOVA_RB_CACHE_PAGES pages
 *    stays in the tree, marked cached, on a stack for its exact size; the
 *    next allocation of that size takes it back in constant time.  Drivers
 *    tend to map and unmap the same few sizes over and over, so most
 *    allocations need no search and no memory.  When a search finds no
 *    space every cached range is released and the search is tried once
 *    more.
 */
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "base/alloc_fault.h"
#include "dma/iova/allocator.h"

/* Sizes (in pages) with a reuse stack: 1 .. IOVA_RB_CACHE_PAGES. */
#define IOVA_RB_CACHE_PAGES	64
/* Bound on each stack: beyond it a freed range really leaves the tree. */
#define IOVA_RB_CACHE_DEPTH	256
/* Search start points: the whole space's, and a lower limit's. */
#define IOVA_RB_HINTS		2

struct iova_rb_range {
	struct rb_node node;
	unsigned long pfn_lo;
	unsigned long npages;			/* as asked at alloc */
	struct iova_rb_range *next_cached;	/* on its size's stack */
	bool cached;				/* freed, kept for reuse */
	bool reserved;				/* never handed out */
};

struct iova_rb_stack {
	struct iova_rb_range *top;
	unsigned int depth;
};

struct iova_rb {
	struct siommu_iova base;
	/* Taken with interrupts off: alloc and free run in any context. */
	spinlock_t lock;
	/* Protected by lock, from here on. */
	struct rb_root root;
	/*
	 * Where searches under limit @top start: below @node, or from
	 * @top when NULL.  [0] is for the whole space, [1] for the last
	 * lower limit asked.
	 */
	struct {
		struct rb_node *node;
		unsigned long top;
	} hint[IOVA_RB_HINTS];
	/* Ranges handed out and not freed (cached ones are not counted). */
	unsigned long outstanding;
	/*
	 * Since the last free, a full search found no room for
	 * fail_npages pages at or below fail_top (0: no such failure).
	 * A larger or equally large range (no less aligned) under no
	 * higher a limit cannot fit either, so it fails at once: a device
	 * retrying against a full space costs no tree walks.
	 */
	unsigned long fail_npages;
	unsigned long fail_top;
	unsigned long nr_cached;
	struct iova_rb_stack stacks[IOVA_RB_CACHE_PAGES];
};

static struct iova_rb *to_rb(struct siommu_iova *iova)
{
	return container_of(iova, struct iova_rb, base);
}

static struct iova_rb_range *to_range(struct rb_node *node)
{
	return rb_entry(node, struct iova_rb_range, node);
}

static unsigned long range_last(const struct iova_rb_range *r)
{
	return r->pfn_lo + r->npages - 1;
}

static struct siommu_iova *iova_rb_create(unsigned long start_pfn,
					  unsigned long end_pfn)
{
	struct iova_rb *rb;

	if (!start_pfn || start_pfn > end_pfn)
		return NULL;
	/* Not from alloc's contexts: an instance is made when a domain is. */
	rb = kzalloc(sizeof(*rb), GFP_KERNEL);
	if (!rb)
		return NULL;
	rb->base.ops = &siommu_iova_rbtree_ops;
	rb->base.start_pfn = start_pfn;
	rb->base.end_pfn = end_pfn;
	spin_lock_init(&rb->lock);
	rb->root = RB_ROOT;
	return &rb->base;
}

static void iova_rb_destroy(struct siommu_iova *iova)
{
	struct iova_rb *rb = to_rb(iova);
	struct rb_node *node;

	/* Cached ranges are still in the tree: this frees them too. */
	while ((node = rb_first(&rb->root))) {
		rb_erase(node, &rb->root);
		kfree(to_range(node));
	}
	kfree(rb);
}

/* The range starting at @pfn, or NULL. */
static struct iova_rb_range *iova_rb_find(struct iova_rb *rb,
					  unsigned long pfn)
{
	struct rb_node *node = rb->root.rb_node;

	while (node) {
		struct iova_rb_range *r = to_range(node);

		if (pfn < r->pfn_lo)
			node = node->rb_left;
		else if (pfn > r->pfn_lo)
			node = node->rb_right;
		else
			return r;
	}
	return NULL;
}

/* Put @new, which overlaps no range in the tree, in its place. */
static void iova_rb_insert(struct iova_rb *rb, struct iova_rb_range *new)
{
	struct rb_node **link = &rb->root.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (new->pfn_lo < to_range(parent)->pfn_lo)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &rb->root);
}

/* Take @r out of the tree, keeping the hints on live nodes. */
static void iova_rb_erase(struct iova_rb *rb, struct iova_rb_range *r)
{
	unsigned int i;

	/*
	 * Space freed at or above a hint would never be seen by a search
	 * starting below it: start just above the freed range instead.
	 */
	for (i = 0; i < IOVA_RB_HINTS; i++) {
		struct rb_node *hint = rb->hint[i].node;

		if (hint && r->pfn_lo >= to_range(hint)->pfn_lo)
			rb->hint[i].node = rb_next(&r->node);
	}
	rb_erase(&r->node, &rb->root);
}

/* The lowest range starting above @pfn, or NULL. */
static struct rb_node *iova_rb_above(struct iova_rb *rb, unsigned long pfn)
{
	struct rb_node *node = rb->root.rb_node, *above = NULL;

	while (node) {
		if (to_range(node)->pfn_lo > pfn) {
			above = node;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return above;
}

/**
 * iova_rb_search() - find free space for a range, highest first
 * @rb: the instance, locked
 * @npages: pages wanted
 * @align: the alignment of the first pfn, a power of two
 * @top: the highest pfn the range may use, >= start_pfn
 * @upper: the range right above the first gap to try, or NULL for none
 *
 * Walks the gaps between ranges downwards from the one below @upper and
 * takes the highest aligned position in the first gap that fits.
 *
 * Return: the first pfn, or 0 when no gap down to start_pfn fits.
 */
static unsigned long iova_rb_search(struct iova_rb *rb, unsigned long npages,
				    unsigned long align, unsigned long top,
				    struct rb_node *upper)
{
	unsigned long start = rb->base.start_pfn;
	struct rb_node *lower = upper ? rb_prev(upper) : rb_last(&rb->root);

	for (;;) {
		unsigned long hi = top, lo = start, last, pfn;

		/* The gap is [lo, hi]; pfn_lo >= start_pfn >= 1: no wrap. */
		if (upper && to_range(upper)->pfn_lo - 1 < hi)
			hi = to_range(upper)->pfn_lo - 1;
		/* Every gap further down is lower still. */
		if (hi < start || hi - start + 1 < npages)
			return 0;
		/*
		 * A lower range reaching hi leaves no gap; compared first,
		 * as its last pfn + 1 wraps when it ends at ULONG_MAX.
		 */
		last = lower ? range_last(to_range(lower)) : 0;
		if (last < hi) {
			if (last >= lo)
				lo = last + 1;
			if (hi - lo + 1 >= npages) {
				pfn = (hi - npages + 1) & ~(align - 1);
				if (pfn >= lo)
					return pfn;
			}
		}
		if (!lower)
			return 0;
		upper = lower;
		lower = rb_prev(lower);
	}
}

/*
 * Release every cached range from the tree; they are chained through
 * next_cached for the caller to kfree() once the lock is dropped.
 */
static struct iova_rb_range *iova_rb_purge(struct iova_rb *rb)
{
	struct iova_rb_range *chain = NULL, *r;
	unsigned int i;

	for (i = 0; i < IOVA_RB_CACHE_PAGES; i++) {
		struct iova_rb_stack *s = &rb->stacks[i];

		while ((r = s->top)) {
			s->top = r->next_cached;
			iova_rb_erase(rb, r);
			r->next_cached = chain;
			chain = r;
		}
		s->depth = 0;
	}
	rb->nr_cached = 0;
	return chain;
}

/* A cached range of exactly @npages pages within @top, or NULL. */
static struct iova_rb_range *iova_rb_pop(struct iova_rb *rb,
					 unsigned long npages,
					 unsigned long top)
{
	struct iova_rb_stack *s = &rb->stacks[npages - 1];
	struct iova_rb_range *r = s->top;

	/*
	 * Only the most recently freed one is looked at: constant time.  A
	 * domain serves one device, so the limit rarely varies; when it does
	 * the tree search has the answer.
	 */
	if (!r || range_last(r) > top)
		return NULL;
	s->top = r->next_cached;
	s->depth--;
	rb->nr_cached--;
	r->next_cached = NULL;
	r->cached = false;
	rb->outstanding++;
	return r;
}

/**
 * iova_rb_place() - find room for a new range and insert it
 * @rb: the instance, locked
 * @new: the range to place, npages set
 * @top: the highest pfn it may use, >= start_pfn
 * @purged: set to the chain of cached ranges dropped to make room
 *
 * Return: true when @new is in the tree, pfn_lo set.
 */
static bool iova_rb_place(struct iova_rb *rb, struct iova_rb_range *new,
			  unsigned long top, struct iova_rb_range **purged)
{
	unsigned long npages = new->npages;
	unsigned long align = roundup_pow_of_two(npages);
	unsigned int h = top != rb->base.end_pfn;
	unsigned long pfn = 0;

	if (rb->fail_npages && npages >= rb->fail_npages &&
	    top <= rb->fail_top)
		return false;

	if (rb->hint[h].node && rb->hint[h].top == top)
		pfn = iova_rb_search(rb, npages, align, top,
				     rb->hint[h].node);
	if (!pfn)
		pfn = iova_rb_search(rb, npages, align, top,
				     iova_rb_above(rb, top));
	if (!pfn && rb->nr_cached) {
		*purged = iova_rb_purge(rb);
		pfn = iova_rb_search(rb, npages, align, top,
				     iova_rb_above(rb, top));
	}
	if (!pfn) {
		rb->fail_npages = npages;
		rb->fail_top = top;
		return false;
	}
	new->pfn_lo = pfn;
	iova_rb_insert(rb, new);
	rb->hint[h].node = &new->node;
	rb->hint[h].top = top;
	rb->outstanding++;
	return true;
}

/**
 * iova_rb_alloc() - the ops table's alloc
 * @iova: the instance
 * @npages: pages wanted
 * @limit_pfn: the highest pfn the range may use
 *
 * A cached range of the same size under the limit is taken back first.
 * Otherwise a node is allocated before the lock is taken, to keep the
 * section run with interrupts off short; a cacheable size that missed
 * therefore takes the lock twice.
 *
 * Return: the first pfn, aligned to roundup_pow_of_two(@npages), or 0.
 */
static unsigned long iova_rb_alloc(struct siommu_iova *iova,
				   unsigned long npages,
				   unsigned long limit_pfn)
{
	struct iova_rb *rb = to_rb(iova);
	struct iova_rb_range *new, *purged = NULL, *r;
	unsigned long top = limit_pfn < iova->end_pfn ? limit_pfn :
							  iova->end_pfn;
	unsigned long flags, pfn = 0;

	/* roundup_pow_of_two() is defined only up to the top bit. */
	if (!npages || npages > (~0UL >> 1) + 1 || top < iova->start_pfn ||
	    npages > top - iova->start_pfn + 1)
		return 0;

	if (npages <= IOVA_RB_CACHE_PAGES) {
		spin_lock_irqsave(&rb->lock, flags);
		r = iova_rb_pop(rb, npages, top);
		if (r)
			pfn = r->pfn_lo;
		spin_unlock_irqrestore(&rb->lock, flags);
		if (pfn)
			return pfn;
	}

	/* Outside the lock, which is held with interrupts off. */
	new = siommu_fail_alloc() ? NULL : kmalloc(sizeof(*new), GFP_ATOMIC);
	if (!new)
		return 0;
	new->npages = npages;
	new->next_cached = NULL;
	new->cached = false;
	new->reserved = false;

	spin_lock_irqsave(&rb->lock, flags);
	/* Read under the lock: once it drops, a free may take @new away. */
	if (iova_rb_place(rb, new, top, &purged))
		pfn = new->pfn_lo;
	spin_unlock_irqrestore(&rb->lock, flags);

	while ((r = purged)) {
		purged = r->next_cached;
		kfree(r);
	}
	if (!pfn)
		kfree(new);
	return pfn;
}

/**
 * iova_rb_free() - the ops table's free
 * @iova: the instance
 * @pfn: the first pfn, as alloc returned it
 * @npages: the size, as alloc was asked
 *
 * A small range goes onto its size's stack while that has room and
 * stays in the tree; any other leaves the tree.
 *
 * Return: 0, or -EINVAL when no such range is outstanding.
 */
static int iova_rb_free(struct siommu_iova *iova, unsigned long pfn,
			unsigned long npages)
{
	struct iova_rb *rb = to_rb(iova);
	struct iova_rb_stack *s;
	struct iova_rb_range *r;
	unsigned long flags;

	spin_lock_irqsave(&rb->lock, flags);
	r = iova_rb_find(rb, pfn);
	/* A cached range is one freed already: a double free. */
	if (!r || r->cached || r->reserved || r->npages != npages) {
		spin_unlock_irqrestore(&rb->lock, flags);
		return -EINVAL;
	}
	rb->outstanding--;
	/* There may be room now for what failed before. */
	rb->fail_npages = 0;

	if (npages <= IOVA_RB_CACHE_PAGES) {
		s = &rb->stacks[npages - 1];
		if (s->depth < IOVA_RB_CACHE_DEPTH) {
			r->cached = true;
			r->next_cached = s->top;
			s->top = r;
			s->depth++;
			rb->nr_cached++;
			spin_unlock_irqrestore(&rb->lock, flags);
			return 0;
		}
	}
	iova_rb_erase(rb, r);
	spin_unlock_irqrestore(&rb->lock, flags);
	kfree(r);
	return 0;
}

/* The first range ending at or after @pfn, or NULL. */
static struct iova_rb_range *iova_rb_reaching(struct iova_rb *rb,
					      unsigned long pfn)
{
	struct rb_node *above = iova_rb_above(rb, pfn);
	struct rb_node *below = above ? rb_prev(above) : rb_last(&rb->root);

	if (below && range_last(to_range(below)) >= pfn)
		return to_range(below);
	return above ? to_range(above) : NULL;
}

/**
 * iova_rb_reserve() - the ops table's reserve
 * @iova: the instance
 * @pfn_lo: first pfn to take out
 * @pfn_hi: last pfn to take out
 *
 * Fills every gap in [@pfn_lo, @pfn_hi] with a reserved range, so the
 * part already reserved (reservations may overlap) is left as it is.
 * Reserved ranges are never handed out, never freed, and not counted as
 * outstanding.
 *
 * Return: 0, or -ENOMEM with what was reserved so far kept.
 */
static int iova_rb_reserve(struct siommu_iova *iova, unsigned long pfn_lo,
			   unsigned long pfn_hi)
{
	struct iova_rb *rb = to_rb(iova);
	struct iova_rb_range *r, *new;
	unsigned long pfn, end, flags;
	int ret = 0;

	if (pfn_lo < iova->start_pfn)
		pfn_lo = iova->start_pfn;
	if (pfn_hi > iova->end_pfn)
		pfn_hi = iova->end_pfn;
	spin_lock_irqsave(&rb->lock, flags);
	for (pfn = pfn_lo; pfn_lo <= pfn_hi && pfn <= pfn_hi; pfn = end + 1) {
		r = iova_rb_reaching(rb, pfn);
		if (r && r->pfn_lo <= pfn) {
			end = range_last(r);	/* already taken: skip it */
		} else {
			end = r && r->pfn_lo - 1 < pfn_hi ? r->pfn_lo - 1 :
							     pfn_hi;
			/* Setup path, but the lock keeps interrupts off. */
			new = kzalloc(sizeof(*new), GFP_ATOMIC);
			if (!new) {
				ret = -ENOMEM;
				break;
			}
			new->pfn_lo = pfn;
			new->npages = end - pfn + 1;
			new->reserved = true;
			iova_rb_insert(rb, new);
		}
		if (end >= pfn_hi)
			break;
	}
	spin_unlock_irqrestore(&rb->lock, flags);
	return ret;
}

static unsigned long iova_rb_outstanding(struct siommu_iova *iova)
{
	struct iova_rb *rb = to_rb(iova);
	unsigned long flags, n;

	spin_lock_irqsave(&rb->lock, flags);
	n = rb->outstanding;
	spin_unlock_irqrestore(&rb->lock, flags);
	return n;
}

const struct siommu_iova_ops siommu_iova_rbtree_ops = {
	.name = "rbtree",
	.mode = SIOMMU_IOVA_ALLOC,
	.create = iova_rb_create,
	.destroy = iova_rb_destroy,
	.alloc = iova_rb_alloc,
	.free = iova_rb_free,
	.reserve = iova_rb_reserve,
	.outstanding = iova_rb_outstanding,
};
