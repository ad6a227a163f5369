// SPDX-License-Identifier: GPL-2.0
/*
 * What the "rbtree" IOVA allocator (src/dma/iova/rbtree.c compiled
 * unchanged over the shim) does beyond the allocator contract, which
 * test_iova_contract.c tests over every allocator: top-down placement
 * after the last range, its exact-size caches; and the shim's red-black
 * tree under it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "harness.h"
#include "shim.h"
#include <linux/rbtree.h>

#include "dma/iova/allocator.h"

static const struct siommu_iova_ops *ops = &siommu_iova_rbtree_ops;

/* A small deterministic generator, one state per thread. */
static unsigned long rnd(unsigned long long *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned long)(*state >> 33);
}

/* ---- the shim's red-black tree ---- */

struct knode {
	struct rb_node rb;
	int key;
};

#define RB_KEYS		1500

/*
 * Check the subtree at @n: keys strictly inside (lo, hi), parent links,
 * no red node with a red child.  Returns its black height, -1 if broken.
 */
static int rb_check(const struct rb_node *n, const struct rb_node *parent,
		    long lo, long hi, int *count)
{
	int l, r, key;

	if (!n)
		return 1;
	key = rb_entry(n, struct knode, rb)->key;
	if (rb_parent(n) != parent || key <= lo || key >= hi)
		return -1;
	if (shim_rb_is_red(n) && (shim_rb_is_red(n->rb_left) ||
				  shim_rb_is_red(n->rb_right)))
		return -1;
	(*count)++;
	l = rb_check(n->rb_left, n, lo, key, count);
	r = rb_check(n->rb_right, n, key, hi, count);
	if (l < 0 || r < 0 || l != r)
		return -1;
	return l + !shim_rb_is_red(n);
}

static void rb_insert_key(struct rb_root *root, struct knode *k)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = k->key < rb_entry(parent, struct knode, rb)->key ?
		       &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&k->rb, parent, link);
	rb_insert_color(&k->rb, root);
}

/* In-order both ways must list exactly the present keys. */
static bool rb_walks_match(const struct rb_root *root, const bool *present)
{
	const struct rb_node *n = rb_first(root);
	int k;

	for (k = 0; k < RB_KEYS; k++) {
		if (!present[k])
			continue;
		if (!n || rb_entry(n, struct knode, rb)->key != k)
			return false;
		n = rb_next(n);
	}
	if (n)
		return false;
	n = rb_last(root);
	for (k = RB_KEYS - 1; k >= 0; k--) {
		if (!present[k])
			continue;
		if (!n || rb_entry(n, struct knode, rb)->key != k)
			return false;
		n = rb_prev(n);
	}
	return !n;
}

static void test_shim_rbtree(void)
{
	static struct knode nodes[RB_KEYS];
	static bool present[RB_KEYS];
	struct rb_root root = RB_ROOT;
	unsigned long long seed = 1;
	unsigned long op, bad = 0, bad_walk = 0;
	int k, n, count, height, live = 0;

	for (k = 0; k < RB_KEYS; k++)
		nodes[k].key = k;
	for (op = 0; op < 60000; op++) {
		k = rnd(&seed) % RB_KEYS;
		/* Phases that grow, then shrink, then churn the tree. */
		if (!present[k] && (op < 20000 || (op >= 40000 &&
						   rnd(&seed) & 1))) {
			rb_insert_key(&root, &nodes[k]);
			present[k] = true;
			live++;
		} else if (present[k] && op >= 20000) {
			rb_erase(&nodes[k].rb, &root);
			present[k] = false;
			live--;
		}
		count = 0;
		height = rb_check(root.rb_node, NULL, -1, RB_KEYS, &count);
		if (height < 0 || count != live || shim_rb_is_red(root.rb_node))
			bad++;
		if (op % 256 == 0 && !rb_walks_match(&root, present))
			bad_walk++;
	}
	EXPECT(bad == 0, "%lu checks found a broken tree", bad);
	EXPECT(bad_walk == 0, "%lu in-order walks wrong", bad_walk);

	/* Empty it in key order (erasing the minimum, often the root). */
	for (k = 0; k < RB_KEYS; k++)
		if (present[k]) {
			rb_erase(&nodes[k].rb, &root);
			present[k] = false;
		}
	EXPECT(RB_EMPTY_ROOT(&root) && !rb_first(&root) && !rb_last(&root),
	       "emptied");

	/* Ascending inserts: a plain BST would be a list of 1500. */
	for (k = 0; k < RB_KEYS; k++)
		rb_insert_key(&root, &nodes[k]);
	count = 0;
	height = rb_check(root.rb_node, NULL, -1, RB_KEYS, &count);
	n = 0;
	for (k = RB_KEYS; k; k >>= 1)
		n++;
	EXPECT(height > 0 && count == RB_KEYS && height <= n + 1,
	       "ascending: black height %d for %d keys", height, count);

	/* The check can fail: one recoloured node unbalances its paths. */
	nodes[0].rb.rb_red = !nodes[0].rb.rb_red;
	count = 0;
	EXPECT(rb_check(root.rb_node, NULL, -1, RB_KEYS, &count) < 0,
	       "recoloured leftmost node not noticed");
	nodes[0].rb.rb_red = !nodes[0].rb.rb_red;
}

/* ---- the allocator ---- */

static void test_top_down_aligned(void)
{
	struct siommu_iova *iova = ops->create(1, 1023);

	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 1023, "top page");
	/* 4 pages aligned to 4 below 1023: 1016..1019. */
	EXPECT(ops->alloc(iova, 4, ULONG_MAX) == 1016, "aligned 4");
	/* 3 pages aligned to 4: 1012..1014, not 1013..1015. */
	EXPECT(ops->alloc(iova, 3, ULONG_MAX) == 1012, "3 aligned to 4");
	/*
	 * The search starts below the last range placed (the hint), not in
	 * the holes above it: they are found when the space runs short.
	 */
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 1011, "below the last");
	EXPECT(ops->alloc(iova, 100, ULONG_MAX) == 896, "100 aligned to 128");
	/* 512 aligned to 512 needs 512..1023 or 0..511: neither is free. */
	EXPECT(ops->alloc(iova, 512, ULONG_MAX) == 0, "no 512");
	EXPECT(ops->alloc(iova, 2000, ULONG_MAX) == 0, "larger than space");
	EXPECT(ops->alloc(iova, 1, 0) == 0, "limit under start_pfn");
	EXPECT(ops->alloc(iova, 1, 10) == 10, "limit 10");
	EXPECT(ops->outstanding(iova) == 6, "%lu out", ops->outstanding(iova));
	ops->destroy(iova);
}

/*
 * Four singles freed into the one-page cache; a 4-page range that only
 * they can make needs them released back to the tree, where they are one
 * range no more.
 */
static void test_purge(void)
{
	struct siommu_iova *iova = ops->create(1, 15);
	unsigned long p;

	while (ops->alloc(iova, 1, ULONG_MAX))
		;
	for (p = 8; p < 12; p++)
		ops->free(iova, p, 1);
	EXPECT(ops->alloc(iova, 4, ULONG_MAX) == 8, "4 from freed singles");
	EXPECT(ops->free(iova, 9, 1) == -EINVAL, "9 went with the purge");
	EXPECT(ops->free(iova, 8, 4) == 0, "free the 4");
	for (p = 1; p <= 15; p++)
		if (p < 8 || p >= 12)
			EXPECT(ops->free(iova, p, 1) == 0, "free %lu", p);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * Reservations (the MSI window, RMRRs) merge and cannot be freed, not
 * even the part a merge filled in; a node that cannot be had is -ENOMEM.
 * That none is handed out is the contract's (test_iova_contract.c).
 */
static void test_reserve(void)
{
	struct siommu_iova *iova = ops->create(1, 255);

	EXPECT(ops->reserve(iova, 100, 119) == 0, "reserve 100-119");
	EXPECT(ops->reserve(iova, 110, 129) == 0, "overlapping 110-129");
	EXPECT(ops->reserve(iova, 90, 140) == 0, "covering 90-140");
	EXPECT(ops->reserve(iova, 250, 1000) == 0, "past the end: clipped");
	EXPECT(ops->reserve(iova, 0, 0) == 0, "below the start: nothing");
	EXPECT(ops->outstanding(iova) == 0, "reservations not counted");
	EXPECT(ops->free(iova, 100, 20) == -EINVAL, "a reservation: no free");
	EXPECT(ops->free(iova, 90, 10) == -EINVAL, "its gap-filler neither");

	ops->destroy(iova);

	/* Allocation failure: -ENOMEM, and no leak once destroyed. */
	iova = ops->create(1, 255);
	shim_fail_alloc_after = 0;
	EXPECT(ops->reserve(iova, 10, 20) == -ENOMEM, "-ENOMEM on failure");
	shim_fail_alloc_after = -1;
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/* A space ending at the very top pfn: no sum may wrap. */
static void test_top_of_pfns(void)
{
	const unsigned long top = ULONG_MAX;
	struct siommu_iova *iova = ops->create(top - 15, top);

	EXPECT(ops->alloc(iova, 1, top) == top, "last pfn");
	EXPECT(ops->alloc(iova, 8, top) == top - 15, "8 at the bottom");
	/* Nothing below the 8: the search goes back to the top. */
	EXPECT(ops->alloc(iova, 4, top) == top - 7, "4 between");
	EXPECT(ops->alloc(iova, 2, top) == top - 3, "2 between");
	EXPECT(ops->alloc(iova, 1, top) == top - 1, "the last hole");
	EXPECT(ops->alloc(iova, 1, top) == 0, "full");
	EXPECT(ops->outstanding(iova) == 5, "%lu out", ops->outstanding(iova));
	ops->destroy(iova);

	/* A limit inside a range that ends at the last pfn. */
	iova = ops->create(top - 15, top);
	EXPECT(ops->alloc(iova, 8, top) == top - 7, "8 at the top");
	EXPECT(ops->alloc(iova, 1, top - 3) == top - 8, "below it");
	ops->destroy(iova);

	iova = ops->create(1, top);
	/* roundup_pow_of_two() would be undefined past the top bit. */
	EXPECT(ops->alloc(iova, top / 2 + 2, top) == 0, "over half the bits");
	EXPECT(ops->alloc(iova, 1UL << 62, top) == 3UL << 62, "2^62 pages");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static void test_cache(void)
{
	struct siommu_iova *iova = ops->create(1, 1 << 20);
	unsigned long p, q, r, i, first[300];
	bool same = true;

	p = ops->alloc(iova, 5, ULONG_MAX);
	q = ops->alloc(iova, 5, ULONG_MAX);
	/* A size class is exact: 6 pages do not take a 5-page range. */
	ops->free(iova, p, 5);
	r = ops->alloc(iova, 6, ULONG_MAX);
	EXPECT(r && r != p, "6 pages elsewhere");
	ops->free(iova, r, 6);

	ops->free(iova, q, 5);

	/* Most recently freed first, and a deep stack still reuses. */
	for (i = 0; i < 300; i++)
		first[i] = ops->alloc(iova, 2, ULONG_MAX);
	for (i = 0; i < 300; i++)
		ops->free(iova, first[i], 2);
	/* 256 kept for reuse, last freed on top; the 44 others erased. */
	for (i = 0; i < 256; i++)
		if (ops->alloc(iova, 2, ULONG_MAX) != first[255 - i])
			same = false;
	EXPECT(same, "256 reused in LIFO order");
	for (i = 256; i < 300; i++)
		EXPECT(ops->free(iova, first[i], 2) == -EINVAL,
		       "%lu was erased", i);
	EXPECT(ops->outstanding(iova) == 256, "%lu out",
	       ops->outstanding(iova));
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_shim_rbtree),
	HARNESS_CASE(test_top_down_aligned),
	HARNESS_CASE(test_purge),
	HARNESS_CASE(test_top_of_pfns),
	HARNESS_CASE(test_reserve),
	HARNESS_CASE(test_cache),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
