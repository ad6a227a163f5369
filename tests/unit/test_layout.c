// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of where a domain's allocator instances sit (src/dma/layout.c, over
 * the real allocators' check_space): stretches are aligned power-of-two
 * blocks (the fallback's block less its pfns), disjoint from each other
 * and from the fallback, as low as the allocator allows, so that devices
 * with 36- and 44-bit masks on a 48-bit unit reach them; reserved windows
 * are avoided while anything else fits; kmalloc is refused where the
 * direct map cannot fit.
 */
#include <errno.h>

#include "harness.h"
#include "shim.h"

#include "dma/iova/allocator.h"
#include "dma/iova/direct_map.h"
#include "dma/layout.h"

#define AW39		(1UL << 27)	/* pfns of a 39-bit space */
#define AW48		(1UL << 36)
#define LIMIT36		((1UL << 24) - 1)	/* last pfn of a 36-bit mask */
#define LIMIT44		((1UL << 32) - 1)
#define GIB		(1UL << 18)	/* pfns in 1 GiB */

static const struct siommu_iova_ops *const generic[] = {
	&siommu_iova_rbtree_ops, &siommu_iova_magazine_ops,
};

#define NR(a)		(sizeof(a) / sizeof((a)[0]))

static int pow2(unsigned long n)
{
	return n && !(n & (n - 1));
}

/*
 * An aligned power-of-two block, or the lowest block [0, hi] less the
 * fallback's pfns.
 */
static int well_formed(const struct siommu_stretch *s)
{
	unsigned long size = s->hi - s->lo + 1;

	if (s->lo > s->hi || s->lo <= SIOMMU_LAYOUT_FALLBACK_HI)
		return 0;
	if (s->lo == SIOMMU_LAYOUT_FALLBACK_HI + 1 && pow2(s->hi + 1))
		return 1;
	return pow2(size) && s->lo % size == 0;
}

static int disjoint(const struct siommu_stretch *s, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (s[i].lo <= s[j].hi && s[j].lo <= s[i].hi)
				return 0;
	return 1;
}

/* Seven instances of @ops placed one after another, all live at once. */
static unsigned int fill(const struct siommu_iova_ops *ops,
			 struct siommu_layout *l, struct siommu_stretch *taken)
{
	unsigned int n;

	l->taken = taken;
	for (n = 0; n < 7; n++) {
		l->nr_taken = n;
		if (siommu_layout_place(ops, l, &taken[n]))
			break;
	}
	l->nr_taken = n;
	return n;
}

static void test_generic(void)
{
	struct siommu_stretch taken[7], s;
	struct siommu_layout l = { .space_pfns = AW48 };
	unsigned int i, k;

	for (k = 0; k < NR(generic); k++) {
		EXPECT(fill(generic[k], &l, taken) == 7, "%s", generic[k]->name);
		for (i = 0; i < 7; i++) {
			EXPECT(well_formed(&taken[i]), "[%#lx, %#lx]",
			       taken[i].lo, taken[i].hi);
			EXPECT(taken[i].hi - taken[i].lo + 1 ==
			       1UL << SIOMMU_LAYOUT_ROOM_SHIFT, "%#lx",
			       taken[i].hi - taken[i].lo + 1);
			/* Every one of them within a 36-bit mask. */
			EXPECT(taken[i].hi <= LIMIT36, "%#lx", taken[i].hi);
			EXPECT(siommu_layout_reach(generic[k], &taken[i]) ==
			       taken[i].lo, "reach");
		}
		EXPECT(disjoint(taken, 7), "disjoint");
		/* The first sits right above the fallback's block. */
		EXPECT(taken[0].lo == 1UL << SIOMMU_LAYOUT_ROOM_SHIFT,
		       "%#lx", taken[0].lo);
		/* A drained instance's block is reused first. */
		taken[2] = taken[6];
		l.nr_taken = 6;
		EXPECT(!siommu_layout_place(generic[k], &l, &s) &&
		       s.lo == 3UL << SIOMMU_LAYOUT_ROOM_SHIFT, "%#lx", s.lo);
	}
	/* A 39-bit unit fits the same seven. */
	l.space_pfns = AW39;
	EXPECT(fill(&siommu_iova_rbtree_ops, &l, taken) == 7, "aw39");
	EXPECT(taken[6].hi <= LIMIT36, "%#lx", taken[6].hi);
}

/* QEMU q35 with 2 GiB: the 64-bit bridge window is 4-36 GiB. */
static void test_windows(void)
{
	struct siommu_stretch win[] = {
		{ 0xfee00, 0xfeeff },
		{ 4 * GIB, 36 * GIB - 1 },
	};
	struct siommu_layout l = {
		.space_pfns = AW48, .windows = win, .nr_windows = 2,
	};
	struct siommu_stretch taken[7], s;
	unsigned int i;

	EXPECT(fill(&siommu_iova_rbtree_ops, &l, taken) == 7, "fill");
	for (i = 0; i < 7; i++)
		EXPECT(taken[i].lo >= 36 * GIB, "%#lx", taken[i].lo);
	EXPECT(taken[0].lo == 40 * GIB && taken[2].hi <= LIMIT36,
	       "%#lx %#lx", taken[0].lo, taken[2].hi);
	EXPECT(disjoint(taken, 7), "disjoint");
	/* A window over everything: placed anyway (reserved inside). */
	win[1].lo = 0;
	win[1].hi = AW48 - 1;
	l.nr_taken = 0;
	EXPECT(!siommu_layout_place(&siommu_iova_rbtree_ops, &l, &s) &&
	       s.lo == 1UL << SIOMMU_LAYOUT_ROOM_SHIFT, "%#lx", s.lo);
}

static void test_kmalloc(void)
{
	const struct siommu_iova_ops *km = &siommu_iova_kmalloc_ops;
	unsigned long dm0 = shim_direct_map_bytes;
	struct siommu_stretch taken[8], s;
	struct siommu_layout l = { .space_pfns = AW48, .taken = taken };

	shim_direct_map_bytes = 2UL << 30;	/* a 2 GiB machine */
	/* Alone: offsets from 0, above the fallback's pfns. */
	EXPECT(!siommu_layout_place(km, &l, &s), "place");
	EXPECT(s.lo == SIOMMU_LAYOUT_FALLBACK_HI + 1 && s.hi == (2UL << 30) - 1,
	       "[%#lx, %#lx]", s.lo, s.hi);
	EXPECT(!km->check_space(s.lo, s.hi), "check_space");
	EXPECT(siommu_layout_reach(km, &s) == (2UL << 30) - 1, "%#lx",
	       siommu_layout_reach(km, &s));
	/* A 36-bit device cannot be served: offsets reach 2^31 pfns. */
	EXPECT(siommu_layout_reach(km, &s) > LIMIT36, "36");
	/* Beside a live rbtree instance: the next 8 TiB, still 44 bits. */
	EXPECT(!siommu_layout_place(&siommu_iova_rbtree_ops, &l, &taken[0]),
	       "rbtree");
	l.nr_taken = 1;
	EXPECT(!siommu_layout_place(km, &l, &s) && s.lo == 2UL << 30 &&
	       siommu_layout_reach(km, &s) == LIMIT44, "[%#lx, %#lx]",
	       s.lo, s.hi);
	/* A 39-bit unit cannot hold 2 GiB of offsets: refused. */
	l.space_pfns = AW39;
	l.nr_taken = 0;
	EXPECT(siommu_layout_place(km, &l, &s) == -ERANGE, "aw39");
	/* ... but 64 MiB of RAM fit. */
	shim_direct_map_bytes = 64UL << 20;
	EXPECT(!siommu_layout_place(km, &l, &s) && s.hi < AW39 &&
	       siommu_layout_reach(km, &s) == (64UL << 20) - 1, "%#lx",
	       s.hi);
	shim_direct_map_bytes = dm0;
}

static void test_identity(void)
{
	const struct siommu_iova_ops *id = &siommu_iova_identity_ops;
	unsigned long dm0 = shim_direct_map_bytes;
	struct siommu_stretch taken[7], s;
	struct siommu_layout l = { .space_pfns = AW48 };
	unsigned int i, n;

	shim_direct_map_bytes = 2UL << 30;
	EXPECT(!siommu_layout_place(id, &l, &s), "place");
	/* Three 2 GiB copies from 4 GiB: all below 36 bits. */
	EXPECT(s.lo == 4 * GIB && siommu_layout_reach(id, &s) ==
	       10 * GIB - 1, "[%#lx, %#lx] reach %#lx", s.lo, s.hi,
	       siommu_layout_reach(id, &s));
	/* Seven live instances, each a 36-bit device's. */
	n = fill(id, &l, taken);
	EXPECT(n == 7, "%u", n);
	for (i = 0; i < n; i++) {
		EXPECT(well_formed(&taken[i]), "[%#lx, %#lx]", taken[i].lo,
		       taken[i].hi);
		EXPECT(siommu_layout_reach(id, &taken[i]) <= LIMIT36, "%#lx",
		       siommu_layout_reach(id, &taken[i]));
	}
	EXPECT(disjoint(taken, n), "disjoint");
	/* On a 39-bit unit, 200 GiB of RAM do not fit three times. */
	shim_direct_map_bytes = 200UL << 30;
	l.space_pfns = AW39;
	l.nr_taken = 0;
	EXPECT(siommu_layout_place(id, &l, &s) == -ERANGE, "aw39 200G");
	shim_direct_map_bytes = dm0;
}

/* Mixed live instances never meet, whatever the order. */
static void test_mixed(void)
{
	const struct siommu_iova_ops *order[] = {
		&siommu_iova_rbtree_ops, &siommu_iova_kmalloc_ops,
		&siommu_iova_identity_ops, &siommu_iova_magazine_ops,
		&siommu_iova_kmalloc_ops, &siommu_iova_identity_ops,
		&siommu_iova_rbtree_ops,
	};
	unsigned long dm0 = shim_direct_map_bytes;
	struct siommu_stretch taken[7];
	struct siommu_layout l = { .space_pfns = AW48, .taken = taken };
	unsigned int i;

	shim_direct_map_bytes = 2UL << 30;
	for (i = 0; i < NR(order); i++) {
		l.nr_taken = i;
		EXPECT(!siommu_layout_place(order[i], &l, &taken[i]), "%u", i);
		EXPECT(well_formed(&taken[i]), "%u: [%#lx, %#lx]", i,
		       taken[i].lo, taken[i].hi);
		/*
		 * 44-bit devices are served by every one of them but the
		 * second kmalloc alive at once: a 2 GiB direct map's worth
		 * of offsets fits twice below 2^32 pfns only with the
		 * lowest block, where the others sit.
		 */
		if (i != 4)
			EXPECT(siommu_layout_reach(order[i], &taken[i]) <=
			       LIMIT44, "%u: %#lx", i,
			       siommu_layout_reach(order[i], &taken[i]));
		else
			EXPECT(taken[i].lo == 1UL << 32, "%#lx", taken[i].lo);
	}
	EXPECT(disjoint(taken, NR(order)), "disjoint");
	shim_direct_map_bytes = dm0;
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_generic),
	HARNESS_CASE(test_windows),
	HARNESS_CASE(test_kmalloc),
	HARNESS_CASE(test_identity),
	HARNESS_CASE(test_mixed),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
