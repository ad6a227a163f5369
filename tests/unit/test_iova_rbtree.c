// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the "rbtree" IOVA allocator (src/dma/iova/rbtree.c compiled
 * unchanged over the shim) and of the shim's red-black tree under it.
 * Built twice: with ASan+UBSan, and with TSan for the concurrent test.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "shim.h"
#include <linux/log2.h>
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

static unsigned long align_of(unsigned long npages)
{
	return roundup_pow_of_two(npages);
}

static void test_create(void)
{
	struct siommu_iova *iova;

	EXPECT(strcmp(ops->name, "rbtree") == 0, "name %s", ops->name);
	EXPECT(!ops->create(0, 100), "start_pfn 0");
	EXPECT(!ops->create(10, 9), "empty space");
	shim_fail_alloc_after = 0;
	EXPECT(!ops->create(1, 100), "allocation fails");
	shim_fail_alloc_after = -1;
	iova = ops->create(7, 7);
	EXPECT(iova && iova->ops == ops && iova->start_pfn == 7 &&
	       iova->end_pfn == 7, "one-page space");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 7, "its page");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "then full");
	EXPECT(ops->alloc(iova, 0, ULONG_MAX) == 0, "0 pages");
	EXPECT(ops->outstanding(iova) == 1, "one out");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

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

/* Is [pfn, pfn + n) clear in @bits? */
static bool range_clear(const unsigned char *bits, unsigned long pfn,
			unsigned long n)
{
	for (; n; n--, pfn++)
		if (bits[pfn])
			return false;
	return true;
}

static void range_set(unsigned char *bits, unsigned long pfn,
		      unsigned long n, unsigned char v)
{
	memset(bits + pfn, v, n);
}

/* Is there any aligned free window for @n pages in [start, top]? */
static bool any_fit(const unsigned char *bits, unsigned long start,
		    unsigned long top, unsigned long n)
{
	unsigned long a = align_of(n), p = (start + a - 1) & ~(a - 1);

	for (; p + n - 1 <= top; p += a)
		if (range_clear(bits, p, n))
			return true;
	return false;
}

#define SPACE_START	5
#define SPACE_END	4000
#define MAX_LIVE	400

struct live_range {
	unsigned long pfn, n;
};

/*
 * Thousands of random allocations and frees over a small space, checked
 * against a byte map of the pages handed out: every range in bounds,
 * aligned, overlapping nothing; every failure a real lack of space.
 */
static void test_random_against_map(void)
{
	static unsigned char bits[SPACE_END + 1];
	static struct live_range live[MAX_LIVE];
	struct siommu_iova *iova = ops->create(SPACE_START, SPACE_END);
	unsigned long long seed = 42;
	unsigned long op, nlive = 0, n, limit, top, pfn, i;
	unsigned long out_of_bounds = 0, misaligned = 0, overlaps = 0;
	unsigned long false_fail = 0, bad_count = 0, bad_free = 0, fails = 0;

	memset(bits, 0, sizeof(bits));
	for (op = 0; op < 30000; op++) {
		if (nlive < MAX_LIVE && (nlive == 0 || rnd(&seed) % 100 < 55)) {
			/* Mostly small (cached) sizes, some large. */
			n = rnd(&seed) % 10 ? 1 + rnd(&seed) % 20 :
					      1 + rnd(&seed) % 300;
			switch (rnd(&seed) % 4) {
			case 0:
				limit = ULONG_MAX;
				break;
			case 1:
				limit = SPACE_END;
				break;
			default:
				limit = SPACE_START + rnd(&seed) % SPACE_END;
			}
			top = limit < SPACE_END ? limit : SPACE_END;
			pfn = ops->alloc(iova, n, limit);
			if (!pfn) {
				fails++;
				if (any_fit(bits, SPACE_START, top, n))
					false_fail++;
			} else if (pfn < SPACE_START || pfn + n - 1 > top) {
				out_of_bounds++;
			} else if (pfn % align_of(n)) {
				misaligned++;
			} else if (!range_clear(bits, pfn, n)) {
				overlaps++;
			} else {
				range_set(bits, pfn, n, 1);
				live[nlive++] = (struct live_range){ pfn, n };
			}
		} else {
			i = rnd(&seed) % nlive;
			pfn = live[i].pfn;
			n = live[i].n;
			/* Now and then a wrong size first: refused. */
			if (rnd(&seed) % 8 == 0 &&
			    ops->free(iova, pfn, n + 1) != -EINVAL)
				bad_free++;
			range_set(bits, pfn, n, 0);
			if (ops->free(iova, pfn, n))
				bad_free++;
			/* And sometimes the same again: a double free. */
			if (rnd(&seed) % 8 == 0 &&
			    ops->free(iova, pfn, n) != -EINVAL)
				bad_free++;
			live[i] = live[--nlive];
		}
		if (ops->outstanding(iova) != nlive)
			bad_count++;
	}
	EXPECT(out_of_bounds == 0, "%lu out of bounds", out_of_bounds);
	EXPECT(misaligned == 0, "%lu misaligned", misaligned);
	EXPECT(overlaps == 0, "%lu overlaps", overlaps);
	EXPECT(false_fail == 0, "%lu of %lu failures had room", false_fail,
	       fails);
	EXPECT(fails > 100, "only %lu failures: space never ran short", fails);
	EXPECT(bad_free == 0, "%lu frees answered wrong", bad_free);
	EXPECT(bad_count == 0, "outstanding wrong %lu times", bad_count);
	for (i = 0; i < nlive; i++)
		ops->free(iova, live[i].pfn, live[i].n);
	EXPECT(ops->outstanding(iova) == 0, "all freed");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static void test_exhaustion(void)
{
	struct siommu_iova *iova = ops->create(1, 1023);
	unsigned long got = 0, p, i;
	bool ordered = true;

	while ((p = ops->alloc(iova, 1, ULONG_MAX))) {
		if (p != 1023 - got)
			ordered = false;
		got++;
	}
	EXPECT(got == 1023 && ordered, "%lu single pages", got);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "still full");
	EXPECT(ops->alloc(iova, 2, ULONG_MAX) == 0, "no pair either");
	EXPECT(ops->free(iova, 500, 1) == 0, "free 500");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 500, "500 again");

	/*
	 * Four singles freed into the one-page cache; a 4-page range needs
	 * them released back to the tree.
	 */
	for (p = 8; p < 12; p++)
		ops->free(iova, p, 1);
	EXPECT(ops->outstanding(iova) == 1019, "%lu out",
	       ops->outstanding(iova));
	EXPECT(ops->alloc(iova, 4, ULONG_MAX) == 8, "4 from freed singles");
	EXPECT(ops->free(iova, 8, 4) == 0, "free the 4");
	EXPECT(ops->free(iova, 9, 1) == -EINVAL, "9 went with the purge");

	/* Free everything: the space is whole again. */
	for (p = 1; p <= 1023; p++)
		if (p < 8 || p >= 12)
			ops->free(iova, p, 1);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	EXPECT(ops->alloc(iova, 512, ULONG_MAX) == 512, "upper half");
	/* 0..511 would hold it but pfn 0 is below start_pfn. */
	EXPECT(ops->alloc(iova, 512, ULONG_MAX) == 0, "not at pfn 0");
	EXPECT(ops->alloc(iova, 256, ULONG_MAX) == 256, "a quarter");
	for (i = 0; i < 255; i++)
		if (!ops->alloc(iova, 1, ULONG_MAX))
			break;
	EXPECT(i == 255 && ops->alloc(iova, 1, ULONG_MAX) == 0,
	       "the rest: %lu pages", i);
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * Reservations (the MSI window, RMRRs): overlapping ones merge, nothing
 * allocated ever touches them, they cannot be freed and are not counted.
 */
static void test_reserve(void)
{
	struct siommu_iova *iova = ops->create(1, 255);
	unsigned char taken[256] = { 0 };
	unsigned long p, i, got = 0;
	bool clear = true;

	EXPECT(ops->reserve(iova, 100, 119) == 0, "reserve 100-119");
	EXPECT(ops->reserve(iova, 110, 129) == 0, "overlapping 110-129");
	EXPECT(ops->reserve(iova, 90, 140) == 0, "covering 90-140");
	EXPECT(ops->reserve(iova, 250, 1000) == 0, "past the end: clipped");
	EXPECT(ops->reserve(iova, 0, 0) == 0, "below the start: nothing");
	EXPECT(ops->outstanding(iova) == 0, "reservations not counted");
	EXPECT(ops->free(iova, 100, 20) == -EINVAL, "a reservation: no free");
	EXPECT(ops->free(iova, 90, 10) == -EINVAL, "its gap-filler neither");

	while ((p = ops->alloc(iova, 1, ULONG_MAX))) {
		if ((p >= 90 && p <= 140) || p >= 250 || taken[p])
			clear = false;
		taken[p] = 1;
		got++;
	}
	EXPECT(clear, "no page inside a reservation handed out");
	/* 1..255 minus 90..140 (51) minus 250..255 (6). */
	EXPECT(got == 255 - 51 - 6, "%lu pages outside reservations", got);
	for (i = 1; i < 256; i++)
		if (taken[i])
			ops->free(iova, i, 1);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
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

/* A device with a 28-bit DMA mask in a 48-bit space. */
static void test_limits(void)
{
	const unsigned long end = (1UL << (48 - 12)) - 1;
	const unsigned long lim = (1UL << (28 - 12)) - 1;
	struct siommu_iova *iova = ops->create(1, end);
	unsigned long p, i, low = 0, high = 0, bad = 0;

	for (i = 0; i < 2000; i++) {
		if (i % 3) {
			p = ops->alloc(iova, 1 + i % 7, lim);
			if (!p || p + i % 7 > lim)
				bad++;
			low++;
		} else {
			p = ops->alloc(iova, 1 + i % 7, ULONG_MAX);
			if (p <= lim)
				bad++;
			high++;
		}
	}
	EXPECT(bad == 0, "%lu of %lu/%lu misplaced", bad, low, high);

	/* Fill what is left under the mask with 4096-page blocks. */
	for (i = 0; (p = ops->alloc(iova, 4096, lim)); i++)
		if (p + 4095 > lim)
			bad++;
	/* Of 16 below 2^16, 0..4095 holds pfn 0 and the top is in use. */
	EXPECT(i >= 10 && i < 15 && bad == 0, "%lu blocks under the mask", i);
	EXPECT(ops->alloc(iova, 4096, lim) == 0, "full under the mask");
	EXPECT(ops->alloc(iova, 4096, ULONG_MAX) > lim, "room above");
	EXPECT(ops->alloc(iova, 1 << 20, ULONG_MAX) > lim, "1M pages above");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static void test_bad_free(void)
{
	struct siommu_iova *iova = ops->create(1, 1 << 20);
	unsigned long a, b, c, big, out;

	a = ops->alloc(iova, 8, ULONG_MAX);
	b = ops->alloc(iova, 3, ULONG_MAX);
	big = ops->alloc(iova, 100, ULONG_MAX);
	out = ops->outstanding(iova);
	EXPECT(out == 3, "%lu out", out);
	EXPECT(ops->free(iova, a, 7) == -EINVAL, "too short");
	EXPECT(ops->free(iova, a, 9) == -EINVAL, "too long");
	/* The aligned block of 3 is 4 pages: still not the size asked. */
	EXPECT(ops->free(iova, b, 4) == -EINVAL, "rounded size");
	EXPECT(ops->free(iova, a + 1, 1) == -EINVAL, "inside a range");
	EXPECT(ops->free(iova, 12345, 1) == -EINVAL, "never allocated");
	EXPECT(ops->free(iova, 0, 1) == -EINVAL, "pfn 0");
	EXPECT(ops->outstanding(iova) == out, "count unchanged");

	EXPECT(ops->free(iova, a, 8) == 0, "free a");
	EXPECT(ops->free(iova, a, 8) == -EINVAL, "double free (cached)");
	EXPECT(ops->free(iova, big, 100) == 0, "free big");
	EXPECT(ops->free(iova, big, 100) == -EINVAL, "double free (erased)");
	EXPECT(ops->outstanding(iova) == out - 2, "two fewer");

	/* The refused frees left it consistent: the cached a comes back. */
	EXPECT(ops->alloc(iova, 8, ULONG_MAX) == a, "a reused");
	c = ops->alloc(iova, 8, ULONG_MAX);
	EXPECT(c && c != a && c % 8 == 0 && (c + 8 <= b || c >= b + 3),
	       "fresh 8 at %lu", c);
	EXPECT(ops->free(iova, b, 3) == 0 && ops->free(iova, c, 8) == 0 &&
	       ops->free(iova, a, 8) == 0, "the rest freed");
	EXPECT(ops->outstanding(iova) == 0, "none out");
	ops->destroy(iova);
}

static void test_cache(void)
{
	struct siommu_iova *iova = ops->create(1, 1 << 20);
	unsigned long p, q, r, i, first[300];
	bool same = true;

	p = ops->alloc(iova, 5, ULONG_MAX);
	q = ops->alloc(iova, 5, ULONG_MAX);
	ops->free(iova, p, 5);
	EXPECT(ops->outstanding(iova) == 1, "cached is not outstanding");
	EXPECT(ops->alloc(iova, 5, ULONG_MAX) == p, "same pfn back");
	/* A size class is exact: 6 pages do not take a 5-page range. */
	ops->free(iova, p, 5);
	r = ops->alloc(iova, 6, ULONG_MAX);
	EXPECT(r && r != p, "6 pages elsewhere");
	ops->free(iova, r, 6);

	/* Cached p is above a lower limit: not returned, stays cached. */
	r = ops->alloc(iova, 5, p - 1);
	EXPECT(r && r + 4 < p, "under the limit: %lu (p %lu)", r, p);
	EXPECT(ops->alloc(iova, 5, ULONG_MAX) == p, "p still cached");
	ops->free(iova, r, 5);
	ops->free(iova, q, 5);
	ops->free(iova, p, 5);

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

static void test_alloc_failure(void)
{
	struct siommu_iova *iova = ops->create(1, 1 << 20);
	long base = shim_kmalloc_outstanding();
	unsigned long p;

	shim_fail_alloc_after = 0;
	EXPECT(ops->alloc(iova, 3, ULONG_MAX) == 0, "node allocation fails");
	shim_fail_alloc_after = -1;
	EXPECT(ops->outstanding(iova) == 0, "nothing out");
	EXPECT(shim_kmalloc_outstanding() == base, "nothing kept");

	p = ops->alloc(iova, 3, ULONG_MAX);
	EXPECT(p, "works again");
	ops->free(iova, p, 3);
	/* Reuse allocates nothing, so it cannot fail. */
	shim_fail_alloc_after = 0;
	EXPECT(ops->alloc(iova, 3, ULONG_MAX) == p, "cached needs no memory");
	EXPECT(ops->alloc(iova, 3, ULONG_MAX) == 0, "a new one does");
	shim_fail_alloc_after = -1;
	EXPECT(ops->outstanding(iova) == 1, "one out");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static void test_destroy_outstanding(void)
{
	struct siommu_iova *iova = ops->create(1, 1 << 24);
	unsigned long long seed = 7;
	unsigned long p[1000], n[1000], i, bad = 0;

	for (i = 0; i < 1000; i++) {
		n[i] = 1 + rnd(&seed) % 100;
		p[i] = ops->alloc(iova, n[i], ULONG_MAX);
	}
	/* Some cached, some erased, most still out. */
	for (i = 0; i < 1000; i += 3)
		if (ops->free(iova, p[i], n[i]))
			bad++;
	EXPECT(bad == 0, "%lu frees refused", bad);
	EXPECT(ops->outstanding(iova) == 666, "%lu out",
	       ops->outstanding(iova));
	EXPECT(shim_kmalloc_outstanding() > 666, "nodes live");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * Threads share one instance, each allocating and freeing random sizes.
 * Every thread claims its pages in a shared bitmap with atomic OR and
 * gives them up before freeing: a page claimed twice is an overlap.
 */
#define THREADS		4
#define MT_END		(1UL << 14)
#define MT_WORDS	(MT_END / 64 + 1)
#define MT_LIVE		64

static unsigned long mt_bits[MT_WORDS];

static bool claim(unsigned long pfn, unsigned long n, bool set)
{
	bool ok = true;

	for (; n; n--, pfn++) {
		unsigned long bit = 1UL << (pfn % 64), old;

		if (set)
			old = __atomic_fetch_or(&mt_bits[pfn / 64], bit,
						__ATOMIC_RELAXED);
		else
			old = ~__atomic_fetch_and(&mt_bits[pfn / 64], ~bit,
						  __ATOMIC_RELAXED);
		if (old & bit)
			ok = false;
	}
	return ok;
}

struct mt_worker {
	struct siommu_iova *iova;
	unsigned long long seed;
	unsigned long errors, allocs, fails;
};

static void *mt_work(void *arg)
{
	struct mt_worker *w = arg;
	struct live_range live[MT_LIVE];
	unsigned long nlive = 0, i, n, pfn, op, limit;

	for (op = 0; op < 40000; op++) {
		if (nlive < MT_LIVE && (nlive == 0 || rnd(&w->seed) & 1)) {
			n = rnd(&w->seed) % 16 ? 1 + rnd(&w->seed) % 16 :
						 1 + rnd(&w->seed) % 200;
			limit = rnd(&w->seed) & 1 ? ULONG_MAX : MT_END / 2;
			pfn = ops->alloc(w->iova, n, limit);
			if (!pfn) {
				w->fails++;
				continue;
			}
			w->allocs++;
			if (pfn + n - 1 > (limit < MT_END ? limit : MT_END) ||
			    pfn % align_of(n) || !claim(pfn, n, true))
				w->errors++;
			live[nlive++] = (struct live_range){ pfn, n };
		} else {
			i = rnd(&w->seed) % nlive;
			if (!claim(live[i].pfn, live[i].n, false))
				w->errors++;
			if (ops->free(w->iova, live[i].pfn, live[i].n))
				w->errors++;
			live[i] = live[--nlive];
		}
	}
	while (nlive--) {
		claim(live[nlive].pfn, live[nlive].n, false);
		if (ops->free(w->iova, live[nlive].pfn, live[nlive].n))
			w->errors++;
	}
	return NULL;
}

static void test_concurrent(void)
{
	struct siommu_iova *iova = ops->create(1, MT_END);
	struct mt_worker w[THREADS];
	pthread_t tid[THREADS];
	unsigned long errors = 0, allocs = 0, fails = 0;
	unsigned int t;

	for (t = 0; t < THREADS; t++) {
		w[t] = (struct mt_worker){ .iova = iova, .seed = t + 1 };
		pthread_create(&tid[t], NULL, mt_work, &w[t]);
	}
	for (t = 0; t < THREADS; t++) {
		pthread_join(tid[t], NULL);
		errors += w[t].errors;
		allocs += w[t].allocs;
		fails += w[t].fails;
	}
	EXPECT(errors == 0, "%lu errors in %lu allocations", errors, allocs);
	EXPECT(allocs > 50000, "only %lu allocations", allocs);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
	(void)fails;
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_shim_rbtree),
	HARNESS_CASE(test_create),
	HARNESS_CASE(test_top_down_aligned),
	HARNESS_CASE(test_random_against_map),
	HARNESS_CASE(test_exhaustion),
	HARNESS_CASE(test_top_of_pfns),
	HARNESS_CASE(test_reserve),
	HARNESS_CASE(test_limits),
	HARNESS_CASE(test_bad_free),
	HARNESS_CASE(test_cache),
	HARNESS_CASE(test_alloc_failure),
	HARNESS_CASE(test_destroy_outstanding),
	HARNESS_CASE(test_concurrent),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
