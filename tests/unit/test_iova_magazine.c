// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the "magazine" IOVA allocator (src/dma/iova/magazine.c over an
 * "rbtree" instance, both compiled unchanged over the shim).  Emulated
 * CPUs come from shim_set_cpu(): one thread may play several CPUs in
 * turn.  What every allocator promises, concurrency included, is tested
 * in test_iova_contract.c; this file, what magazine does in its own way:
 * size classes, the per-CPU magazines and the depot, what free() catches,
 * cpu_dead, spilling, its statistics.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shim.h"
#include <linux/log2.h>

#include "dma/iova/allocator.h"

static const struct siommu_iova_ops *ops = &siommu_iova_magazine_ops;

/* As in src/dma/iova/magazine.c: what the tests rely on. */
#define MAG_SIZE	255
#define MAG_DEPOT	8
#define MAX_CLASS	32

static unsigned long align_of(unsigned long npages)
{
	return roundup_pow_of_two(npages);
}

/* Pages a range of @npages really takes: its class, or itself. */
static unsigned long span_of(unsigned long npages)
{
	return npages <= MAX_CLASS ? align_of(npages) : npages;
}

/*
 * The backing "rbtree" instance's count: ranges it handed out, whether
 * they are in use or cached in magazines.
 */
#define backing_out(iova)	siommu_iova_magazine_backing_out(iova)

/*
 * With everything freed and drained, the backing allocator must hold
 * nothing: [1, 2^bits - 1] then splits into one range of each power of
 * two, each at its own size (top-down, aligned).  Leaves it empty again.
 */
static bool space_whole(struct siommu_iova *iova, unsigned int bits)
{
	unsigned long p[64];
	bool ok = true;
	int k;

	for (k = bits - 1; k >= 0; k--) {
		p[k] = ops->alloc(iova, 1UL << k, ULONG_MAX);
		if (p[k] != 1UL << k)
			ok = false;
	}
	for (k = bits - 1; k >= 0; k--)
		if (p[k] && ops->free(iova, p[k], 1UL << k))
			ok = false;
	ops->drain(iova);
	return ok;
}

/* Requests round up to their class; the rounding is found again on free. */
static void test_classes(void)
{
	struct siommu_iova *iova = ops->create(1, (1UL << 20) - 1);
	unsigned long n, p, q, bad = 0;

	shim_set_cpu(0);
	for (n = 1; n <= 40; n++) {
		p = ops->alloc(iova, n, ULONG_MAX);
		if (!p || p % align_of(n))
			bad++;
		/* The next range of the class lies below this one's class. */
		q = ops->alloc(iova, n, ULONG_MAX);
		if (!q || q % align_of(n) ||
		    (q < p ? q + span_of(n) > p : p + span_of(n) > q))
			bad++;
		if (ops->free(iova, q, n) || ops->free(iova, p, n))
			bad++;
		/* Cached: back in LIFO order. */
		if (n <= MAX_CLASS && (ops->alloc(iova, n, ULONG_MAX) != p ||
				       ops->alloc(iova, n, ULONG_MAX) != q))
			bad++;
		if (n <= MAX_CLASS &&
		    (ops->free(iova, p, n) || ops->free(iova, q, n)))
			bad++;
	}
	EXPECT(bad == 0, "%lu sizes misplaced or not reused", bad);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));

	/* 3, 4 and a 3 freed as 4 share a class. */
	p = ops->alloc(iova, 3, ULONG_MAX);
	EXPECT(ops->free(iova, p, 3) == 0, "free 3");
	EXPECT(ops->alloc(iova, 4, ULONG_MAX) == p, "4 takes the 3");
	EXPECT(ops->free(iova, p, 4) == 0, "free as 4");
	EXPECT(ops->alloc(iova, 3, ULONG_MAX) == p, "3 takes it again");
	/* 5 is a class of 8: the 4-page range is not it. */
	q = ops->alloc(iova, 5, ULONG_MAX);
	EXPECT(q && q != p && q % 8 == 0, "5 pages at %lu", q);
	EXPECT(ops->free(iova, q, 5) == 0 && ops->free(iova, p, 3) == 0,
	       "both freed");
	/* 32 is the largest class; 33 goes to the backing, exact. */
	p = ops->alloc(iova, 33, ULONG_MAX);
	EXPECT(p && p % 64 == 0, "33 at %lu", p);
	EXPECT(ops->free(iova, p, 34) == -EINVAL, "33 freed as 34");
	EXPECT(ops->free(iova, p, 33) == 0, "33 freed");
	EXPECT(ops->free(iova, p, 33) == -EINVAL, "33 twice");
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	EXPECT(backing_out(iova) > 0, "cached ones count in the tree");
	ops->drain(iova);
	EXPECT(backing_out(iova) == 0, "drained: %lu", backing_out(iova));
	EXPECT(space_whole(iova, 20), "all back after drain");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * The free()s a cheap check catches on a class size, and one it cannot
 * (the refusals every allocator makes are the contract's bad_free).
 */
static void test_bad_free(void)
{
	struct siommu_iova *iova;
	unsigned long a, b, big;
	long warnings = shim_warnings();

	shim_set_cpu(0);
	iova = ops->create(16, 4095);
	a = ops->alloc(iova, 8, ULONG_MAX);
	b = ops->alloc(iova, 8, ULONG_MAX);
	big = ops->alloc(iova, 100, ULONG_MAX);
	EXPECT(ops->free(iova, a, 8) == 0, "free a");
	EXPECT(ops->free(iova, a, 8) == -EINVAL, "a again, at once");
	EXPECT(ops->free(iova, a, 7) == -EINVAL, "a again, as 7");
	/* Above the classes the tree checks: exactly. */
	EXPECT(ops->free(iova, big, 101) == -EINVAL, "big, wrong size");
	EXPECT(ops->free(iova, big, 100) == 0, "free big");
	EXPECT(ops->free(iova, big, 100) == -EINVAL, "big again");
	EXPECT(ops->outstanding(iova) == 1, "%lu out", ops->outstanding(iova));
	/*
	 * Cached under b: not seen on free, refused when it reaches the
	 * tree (the "WARNING at .../magazine.c" line on stderr is this).
	 */
	EXPECT(ops->free(iova, b, 8) == 0, "free b");
	EXPECT(shim_warnings() == warnings, "no warning yet");
	EXPECT(ops->free(iova, a, 8) == 0, "a again, under b: not caught");
	ops->drain(iova);
	EXPECT(shim_warnings() == warnings + 1, "caught at the drain");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/* Fill [1, end] with single pages on @cpu; how many it got. */
static unsigned long fill(struct siommu_iova *iova, unsigned int cpu,
			  unsigned char *taken, unsigned long end, bool *dup)
{
	unsigned long p, n = 0;

	shim_set_cpu(cpu);
	while ((p = ops->alloc(iova, 1, ULONG_MAX))) {
		if (p > end || taken[p])
			*dup = true;
		taken[p] = 1;
		n++;
	}
	return n;
}

/* Free every taken page on @cpu. */
static void unfill(struct siommu_iova *iova, unsigned int cpu,
		   unsigned char *taken, unsigned long end)
{
	unsigned long p;

	shim_set_cpu(cpu);
	for (p = 1; p <= end; p++)
		if (taken[p]) {
			ops->free(iova, p, 1);
			taken[p] = 0;
		}
}

/*
 * The space runs out, then ranges come back on other CPUs.  What another
 * CPU's two magazines hold stays with it (no lock guards them); the depot
 * and the backing allocator are reclaimed by the allocating CPU; cpu_dead
 * and drain give back the rest.
 */
static void test_exhaustion(void)
{
	const unsigned long end = 4095;
	static unsigned char taken[4096];
	struct siommu_iova *iova = ops->create(1, end);
	unsigned long n, p, q;
	bool dup = false;

	memset(taken, 0, sizeof(taken));
	n = fill(iova, 0, taken, end, &dup);
	EXPECT(n == end && !dup, "%lu pages at first", n);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "full");

	/* A few freed on CPU 1 stay in its loaded magazine. */
	shim_set_cpu(1);
	for (p = 1; p <= 10; p++) {
		ops->free(iova, p, 1);
		taken[p] = 0;
	}
	shim_set_cpu(0);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "10 stranded on CPU 1");
	shim_set_cpu(1);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 10, "CPU 1 reuses its own");
	taken[10] = 1;

	/* 2 * MAG_SIZE + 46 frees on CPU 1: one full magazine reaches the depot. */
	for (p = 100; p < 100 + 2 * MAG_SIZE + 46 - 9; p++) {
		ops->free(iova, p, 1);
		taken[p] = 0;
	}
	n = fill(iova, 0, taken, end, &dup);
	EXPECT(n == MAG_SIZE && !dup, "CPU 0 got %lu from the depot", n);
	ops->cpu_dead(iova, 1);
	n = fill(iova, 0, taken, end, &dup);
	EXPECT(n == MAG_SIZE + 46 && !dup, "CPU 0 got %lu after cpu_dead", n);
	EXPECT(ops->outstanding(iova) == end, "%lu out",
	       ops->outstanding(iova));

	/* Everything freed on CPU 2: its 254 stay, the rest is reclaimed. */
	unfill(iova, 2, taken, end);
	n = fill(iova, 0, taken, end, &dup);
	EXPECT(n >= end - 2 * MAG_SIZE && n < end && !dup,
	       "%lu with CPU 2 holding the rest", n);
	q = fill(iova, 2, taken, end, &dup);
	EXPECT(n + q == end && !dup, "CPU 2 takes its %lu", q);

	/* Singles cached on this CPU are reclaimed to make larger ranges. */
	shim_set_cpu(0);
	for (p = 8; p < 12; p++) {
		ops->free(iova, p, 1);
		taken[p] = 0;
	}
	q = ops->alloc(iova, 4, ULONG_MAX);
	EXPECT(q == 8, "4 from 4 cached singles: %lu", q);
	EXPECT(ops->free(iova, q, 4) == 0, "free the 4");
	/* And the 4 cached here makes a pair and two singles. */
	q = ops->alloc(iova, 2, ULONG_MAX);
	EXPECT(q == 10, "pair from a cached 4: %lu", q);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 9, "single 9");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 8, "single 8");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "then full");
	taken[8] = taken[9] = 1;

	/* Spread over CPUs 3..7 and the depot: drain brings all back. */
	for (p = 1; p <= end; p++)
		if (taken[p]) {
			shim_set_cpu(3 + p % 5);
			ops->free(iova, p, 1);
			taken[p] = 0;
		}
	shim_set_cpu(0);
	EXPECT(ops->free(iova, 10, 2) == 0, "free the pair");
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	EXPECT(backing_out(iova) > 5 * 2 * MAG_SIZE, "cached: %lu",
	       backing_out(iova));
	ops->drain(iova);
	EXPECT(backing_out(iova) == 0, "drained: %lu", backing_out(iova));
	EXPECT(space_whole(iova, 12), "the space is whole after drain");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/* cpu_dead returns a CPU's ranges of every class, accounting intact. */
static void test_cpu_dead(void)
{
	struct siommu_iova *iova = ops->create(1, (1UL << 16) - 1);
	unsigned long p[600], i, n;

	shim_set_cpu(0);
	for (i = 0; i < 600; i++)
		p[i] = ops->alloc(iova, 1 + i % 32, ULONG_MAX);
	/* Half freed on CPU 5: all cached there (< 254 of any class). */
	shim_set_cpu(5);
	for (i = 0; i < 600; i += 2)
		ops->free(iova, p[i], 1 + i % 32);
	EXPECT(ops->outstanding(iova) == 300, "%lu out",
	       ops->outstanding(iova));
	ops->cpu_dead(iova, 5);
	EXPECT(ops->outstanding(iova) == 300, "unchanged by cpu_dead: %lu",
	       ops->outstanding(iova));
	EXPECT(backing_out(iova) == 300, "tree has CPU 5's back: %lu",
	       backing_out(iova));
	shim_set_cpu(0);
	for (i = 1; i < 600; i += 2)
		ops->free(iova, p[i], 1 + i % 32);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	EXPECT(backing_out(iova) == 300, "cached on CPU 0: %lu",
	       backing_out(iova));
	ops->cpu_dead(iova, 0);
	EXPECT(backing_out(iova) == 0, "after both: %lu", backing_out(iova));
	/* Not drained: both CPUs' ranges must be in the tree already. */
	shim_set_cpu(1);
	EXPECT(space_whole(iova, 16), "whole after two cpu_dead");
	ops->destroy(iova);

	/* What is cached on CPU 5 only is found from CPU 0 after cpu_dead. */
	iova = ops->create(64, 4095);
	shim_set_cpu(0);
	for (i = 0; i < 63; i++)
		p[i] = ops->alloc(iova, 64, ULONG_MAX);
	EXPECT(p[62] == 64 && ops->alloc(iova, 1, ULONG_MAX) == 0, "full");
	shim_set_cpu(5);
	EXPECT(ops->free(iova, p[10], 64) == 0, "free 64 on CPU 5");
	n = ops->alloc(iova, 32, ULONG_MAX);
	EXPECT(n == p[10] + 32, "32 at %lu", n);
	EXPECT(ops->free(iova, n, 32) == 0, "cached on CPU 5");
	shim_set_cpu(0);
	EXPECT(ops->alloc(iova, 32, ULONG_MAX) == p[10], "the lower half");
	EXPECT(ops->alloc(iova, 32, ULONG_MAX) == 0, "upper half on CPU 5");
	ops->cpu_dead(iova, 5);
	EXPECT(ops->alloc(iova, 32, ULONG_MAX) == n, "after cpu_dead");
	EXPECT(ops->outstanding(iova) == 64, "%lu out",
	       ops->outstanding(iova));
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * A magazine that cannot be had: the free spills instead, and the spilled
 * ranges are back in the tree, not lost.  (A failing alloc, and a cached
 * range needing no memory, are the contract's.)
 */
static void test_alloc_failure(void)
{
	enum { TOTAL = 2 * MAG_SIZE + 46 };
	struct siommu_iova *iova = ops->create(1, 4095);
	unsigned long p[TOTAL], i;

	shim_set_cpu(0);
	/* Free 2 * MAG_SIZE + 1 needs a new magazine; without one it spills. */
	for (i = 0; i < TOTAL; i++)
		p[i] = ops->alloc(iova, 1, ULONG_MAX);
	for (i = 0; i < 2 * MAG_SIZE; i++)
		ops->free(iova, p[i], 1);
	shim_fail_alloc_after = 0;
	EXPECT(ops->free(iova, p[i], 1) == 0, "free without memory");
	shim_fail_alloc_after = -1;
	for (i++; i < TOTAL; i++)
		ops->free(iova, p[i], 1);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	/* The spilled MAG_SIZE went to the tree, not lost. */
	EXPECT(backing_out(iova) == TOTAL - MAG_SIZE, "%lu in magazines",
	       backing_out(iova));
	ops->drain(iova);
	EXPECT(backing_out(iova) == 0, "drained: %lu", backing_out(iova));
	EXPECT(space_whole(iova, 12), "the space is whole");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/* stats(): hits, misses and depot exchanges, counted where they happen. */
static void test_stats(void)
{
	struct siommu_iova *iova = ops->create(1, 1 << 20);
	struct siommu_iova_stats st = { 0 };
	enum { TOTAL = 2 * MAG_SIZE + 46 };
	unsigned long p[TOTAL], i;

	EXPECT(ops->cpu_dead && ops->drain && ops->stats && !ops->check_space,
	       "hooks");
	shim_set_cpu(0);
	p[0] = ops->alloc(iova, 1, ULONG_MAX);
	ops->free(iova, p[0], 1);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == p[0], "the cached range");
	ops->free(iova, p[0], 1);
	ops->stats(iova, &st);
	EXPECT(st.cache_hits == 1 && st.cache_misses == 1,
	       "1 hit, 1 miss: %lu, %lu", st.cache_hits, st.cache_misses);
	EXPECT(st.depot_exchanges == 0, "no exchange yet");

	/* TOTAL frees overflow loaded and previous: a full one goes over. */
	for (i = 0; i < TOTAL; i++)
		p[i] = ops->alloc(iova, 1, ULONG_MAX);
	for (i = 0; i < TOTAL; i++)
		ops->free(iova, p[i], 1);
	memset(&st, 0, sizeof(st));
	ops->stats(iova, &st);
	EXPECT(st.depot_exchanges >= 1, "%lu depot exchanges",
	       st.depot_exchanges);
	EXPECT(st.cache_hits + st.cache_misses == TOTAL + 2,
	       "every alloc counted");
	ops->destroy(iova);
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_stats),
	HARNESS_CASE(test_classes),
	HARNESS_CASE(test_bad_free),
	HARNESS_CASE(test_exhaustion),
	HARNESS_CASE(test_cpu_dead),
	HARNESS_CASE(test_alloc_failure),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
