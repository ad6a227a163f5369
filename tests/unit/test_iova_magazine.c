// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the "magazine" IOVA allocator (src/dma/iova/magazine.c over an
 * "rbtree" instance, both compiled unchanged over the shim).  Emulated
 * CPUs come from shim_set_cpu(): one thread may play several CPUs in
 * turn, concurrent threads each play their own.  Built twice: with
 * ASan+UBSan, and with TSan for the concurrent test.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc_fault.h"
#include "harness.h"
#include "shim.h"
#include <linux/log2.h>

#include "dma/iova/allocator.h"

static const struct siommu_iova_ops *ops = &siommu_iova_magazine_ops;

/* As in src/dma/iova/magazine.c: what the tests rely on. */
#define MAG_SIZE	127
#define MAG_DEPOT	8
#define MAX_CLASS	32

static unsigned long rnd(unsigned long long *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned long)(*state >> 33);
}

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

static void test_create(void)
{
	struct siommu_iova *iova;
	long n, leaks = 0;

	EXPECT(strcmp(ops->name, "magazine") == 0, "name %s", ops->name);
	EXPECT(ops->cpu_dead && ops->drain && !ops->check_space, "hooks");
	EXPECT(!ops->create(0, 100), "start_pfn 0");
	EXPECT(!ops->create(10, 9), "empty space");
	/* Every allocation create makes, failed in turn: NULL, no leak. */
	for (n = 0;; n++) {
		shim_fail_alloc_after = n;
		iova = ops->create(1, 100);
		shim_fail_alloc_after = -1;
		if (iova)
			break;
		if (shim_kmalloc_outstanding())
			leaks++;
	}
	EXPECT(leaks == 0, "%ld of %ld failures leaked", leaks, n);
	EXPECT(n > 100, "only %ld allocations in create", n);
	EXPECT(iova->ops == ops && iova->start_pfn == 1 &&
	       iova->end_pfn == 100, "header");
	ops->destroy(iova);

	iova = ops->create(7, 7);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 7, "its page");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "then full");
	EXPECT(ops->alloc(iova, 0, ULONG_MAX) == 0, "0 pages");
	EXPECT(ops->alloc(iova, 1, 6) == 0, "limit under the space");
	EXPECT(ops->outstanding(iova) == 1, "one out");
	EXPECT(ops->free(iova, 7, 1) == 0, "freed");
	EXPECT(ops->alloc(iova, 1, 6) == 0, "cached, above the limit");
	EXPECT(ops->alloc(iova, 1, 7) == 7, "cached, at the limit");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
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

/* A cached range above a lower limit is not returned, and stays cached. */
static void test_limit(void)
{
	struct siommu_iova *iova = ops->create(1, (1UL << 20) - 1);
	unsigned long p, q, r;

	shim_set_cpu(0);
	p = ops->alloc(iova, 8, ULONG_MAX);
	EXPECT(p == (1UL << 20) - 8, "top 8 at %lu", p);
	EXPECT(ops->free(iova, p, 8) == 0, "cached");
	q = ops->alloc(iova, 8, p + 6);
	EXPECT(q && q + 7 <= p + 6, "under the limit: %lu", q);
	r = ops->alloc(iova, 8, p + 7);
	EXPECT(r == p, "exactly at the limit: %lu", r);
	EXPECT(ops->free(iova, r, 8) == 0 && ops->free(iova, q, 8) == 0,
	       "freed");
	/* Both cached high: a low limit gets a fresh range, leaves them. */
	r = ops->alloc(iova, 8, 4095);
	EXPECT(r && r + 7 <= 4095, "fresh under 4095: %lu", r);
	EXPECT(ops->alloc(iova, 8, ULONG_MAX) == q, "q still cached");
	EXPECT(ops->alloc(iova, 8, ULONG_MAX) == p, "p still cached");
	EXPECT(ops->outstanding(iova) == 3, "%lu out", ops->outstanding(iova));
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static void test_bad_free(void)
{
	struct siommu_iova *iova = ops->create(16, 4090);
	unsigned long a, b, c, big, out;
	long warnings = shim_warnings();

	shim_set_cpu(0);
	a = ops->alloc(iova, 8, ULONG_MAX);
	b = ops->alloc(iova, 3, ULONG_MAX);
	c = ops->alloc(iova, 1, ULONG_MAX);
	big = ops->alloc(iova, 100, ULONG_MAX);
	out = ops->outstanding(iova);
	EXPECT(out == 4, "%lu out", out);
	EXPECT(ops->free(iova, 4, 1) == -EINVAL, "below the space");
	EXPECT(ops->free(iova, 0, 1) == -EINVAL, "pfn 0");
	EXPECT(ops->free(iova, 4091, 1) == -EINVAL, "above the space");
	EXPECT(ops->free(iova, 4080, 16) == -EINVAL, "runs past the end");
	EXPECT(ops->free(iova, a + 2, 3) == -EINVAL, "not aligned to 4");
	EXPECT(ops->free(iova, big, 101) == -EINVAL, "big, wrong size");
	EXPECT(ops->free(iova, big + 1, 100) == -EINVAL, "big, wrong pfn");
	EXPECT(ops->free(iova, c, 0) == -EINVAL, "0 pages");
	EXPECT(ops->outstanding(iova) == out, "count unchanged");
	EXPECT(ops->free(iova, a, 8) == 0 && ops->free(iova, b, 3) == 0 &&
	       ops->free(iova, c, 1) == 0 && ops->free(iova, big, 100) == 0,
	       "the real ones freed");
	EXPECT(ops->outstanding(iova) == 0, "none out");
	ops->destroy(iova);

	/* Now the free()s a cheap check catches, and one it cannot. */
	iova = ops->create(16, 4095);
	a = ops->alloc(iova, 8, ULONG_MAX);
	b = ops->alloc(iova, 8, ULONG_MAX);
	big = ops->alloc(iova, 100, ULONG_MAX);
	EXPECT(ops->free(iova, a, 8) == 0, "free a");
	EXPECT(ops->free(iova, a, 8) == -EINVAL, "a again, at once");
	EXPECT(ops->free(iova, a, 7) == -EINVAL, "a again, as 7");
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

	/* 2 * 127 + 46 frees on CPU 1: one full magazine reaches the depot. */
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

/* Allocation failures: alloc answers 0 or works, free always works. */
/*
 * The fail_alloc_ppm knob: with magazines and tree nodes failing at 20%,
 * allocations fail now and then but never hand out a range twice, and
 * destroy returns every magazine.
 */
static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void test_fail_alloc_knob(void)
{
	long mags0 = atomic_long_read(&siommu_iova_magazines_live);
	struct siommu_iova *iova = ops->create(1, 1 << 20);
	unsigned long p[2000], got = 0, failed = 0, i, round;

	shim_set_cpu(0);
	siommu_fail_alloc_ppm = 200000;
	for (round = 0; round < 20; round++) {
		got = 0;
		for (i = 0; i < 2000; i++) {
			p[got] = ops->alloc(iova, 1, ULONG_MAX);
			if (p[got])
				got++;
			else
				failed++;
		}
		qsort(p, got, sizeof(p[0]), cmp_ulong);
		for (i = 1; i < got; i++)
			EXPECT(p[i] != p[i - 1], "%lu handed out twice", p[i]);
		for (i = 0; i < got; i++)
			EXPECT(ops->free(iova, p[i], 1) == 0, "free %lu", p[i]);
		shim_set_cpu(round % 2);
	}
	siommu_fail_alloc_ppm = 0;
	EXPECT(failed > 0, "%lu failures injected", failed);
	EXPECT(ops->outstanding(iova) == 0, "%lu outstanding",
	       ops->outstanding(iova));
	ops->destroy(iova);
	EXPECT(atomic_long_read(&siommu_iova_magazines_live) == mags0,
	       "%ld magazines live after destroy, %ld before",
	       atomic_long_read(&siommu_iova_magazines_live), mags0);
}

static void test_alloc_failure(void)
{
	struct siommu_iova *iova = ops->create(1, 4095);
	long base = shim_kmalloc_outstanding();
	unsigned long p[300], i, q;

	shim_set_cpu(0);
	shim_fail_alloc_after = 0;
	EXPECT(ops->alloc(iova, 3, ULONG_MAX) == 0, "tree node fails");
	shim_fail_alloc_after = -1;
	EXPECT(ops->outstanding(iova) == 0, "nothing out");
	EXPECT(shim_kmalloc_outstanding() == base, "nothing kept");
	q = ops->alloc(iova, 3, ULONG_MAX);
	EXPECT(q, "works again");
	ops->free(iova, q, 3);
	shim_fail_alloc_after = 0;
	EXPECT(ops->alloc(iova, 3, ULONG_MAX) == q, "cached: no memory needed");
	shim_fail_alloc_after = -1;
	ops->free(iova, q, 3);

	/* The 255th free needs a new magazine; without one it spills. */
	for (i = 0; i < 300; i++)
		p[i] = ops->alloc(iova, 1, ULONG_MAX);
	for (i = 0; i < 2 * MAG_SIZE; i++)
		ops->free(iova, p[i], 1);
	shim_fail_alloc_after = 0;
	EXPECT(ops->free(iova, p[i], 1) == 0, "free without memory");
	shim_fail_alloc_after = -1;
	for (i++; i < 300; i++)
		ops->free(iova, p[i], 1);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	/* The spilled 127 went to the tree, not lost. */
	/* The 3-page one (class 4) is cached too. */
	EXPECT(backing_out(iova) == 300 - MAG_SIZE + 1, "%lu in magazines",
	       backing_out(iova));
	ops->drain(iova);
	EXPECT(backing_out(iova) == 0, "drained: %lu", backing_out(iova));
	EXPECT(space_whole(iova, 12), "the space is whole");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

struct live_range {
	unsigned long pfn, n;
};

#define RND_END		8191
#define RND_LIVE	600
#define RND_CPUS	8

/*
 * Random operations from random emulated CPUs, checked against a byte map:
 * in bounds, aligned, no overlap, exact count.  A failure must be a real
 * lack of space once drained.  Every n-th allocation may be made to fail.
 */
static void random_run(unsigned long long seed, long fail_every,
		       unsigned long ops_count)
{
	static unsigned char bits[RND_END + 1];
	static struct live_range live[RND_LIVE];
	struct siommu_iova *iova = ops->create(1, RND_END);
	unsigned long op, nlive = 0, n, limit, top, pfn, i, a, q;
	unsigned long bad = 0, false_fail = 0, fails = 0, bad_count = 0;

	memset(bits, 0, sizeof(bits));
	for (op = 0; op < ops_count; op++) {
		shim_set_cpu(rnd(&seed) % RND_CPUS);
		if (fail_every > 0 && rnd(&seed) % fail_every == 0)
			shim_fail_alloc_after = rnd(&seed) % 3;
		if (nlive < RND_LIVE && (nlive == 0 || rnd(&seed) % 100 < 55)) {
			n = rnd(&seed) % 8 ? 1 + rnd(&seed) % 32 :
					     1 + rnd(&seed) % 200;
			limit = rnd(&seed) % 3 ? ULONG_MAX :
				1 + rnd(&seed) % RND_END;
			top = limit < RND_END ? limit : RND_END;
			pfn = ops->alloc(iova, n, limit);
			if (!pfn) {
				fails++;
				/* With caches drained, the tree is exact. */
				shim_fail_alloc_after = -1;
				ops->drain(iova);
				if (backing_out(iova) != nlive)
					bad_count++;
				pfn = ops->alloc(iova, n, limit);
				if (!pfn) {
					a = align_of(n);
					for (q = a; q + span_of(n) - 1 <= top;
					     q += a)
						if (!memchr(bits + q, 1,
							    span_of(n)))
							break;
					if (q + span_of(n) - 1 <= top)
						false_fail++;
					continue;
				}
			}
			if (pfn + span_of(n) - 1 > top || pfn % align_of(n) ||
			    memchr(bits + pfn, 1, span_of(n))) {
				bad++;
				continue;
			}
			memset(bits + pfn, 1, span_of(n));
			live[nlive++] = (struct live_range){ pfn, n };
		} else if (rnd(&seed) % 200 == 0) {
			ops->cpu_dead(iova, rnd(&seed) % RND_CPUS);
		} else {
			i = rnd(&seed) % nlive;
			memset(bits + live[i].pfn, 0, span_of(live[i].n));
			if (ops->free(iova, live[i].pfn, live[i].n))
				bad++;
			live[i] = live[--nlive];
		}
		shim_fail_alloc_after = -1;
		if (ops->outstanding(iova) != nlive)
			bad_count++;
	}
	EXPECT(bad == 0, "seed %llu: %lu bad ranges or frees", seed, bad);
	EXPECT(false_fail == 0, "%lu of %lu failures had room", false_fail,
	       fails);
	EXPECT(fails > 20 || fail_every, "only %lu failures", fails);
	EXPECT(bad_count == 0, "outstanding wrong %lu times", bad_count);
	for (i = 0; i < nlive; i++) {
		shim_set_cpu(i % RND_CPUS);
		ops->free(iova, live[i].pfn, live[i].n);
	}
	shim_set_cpu(0);
	EXPECT(ops->outstanding(iova) == 0, "all freed");
	ops->drain(iova);
	EXPECT(backing_out(iova) == 0, "drained: %lu", backing_out(iova));
	EXPECT(space_whole(iova, 13), "whole at the end");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static void test_random(void)
{
	random_run(42, 0, 40000);
	random_run(7, 0, 40000);
	/* Now and then one of the next three allocations fails. */
	random_run(99, 50, 20000);
}

/* Destroy with ranges out, cached per CPU and in the depot: no leak. */
static void test_destroy(void)
{
	struct siommu_iova *iova = ops->create(1, 1UL << 24);
	unsigned long long seed = 3;
	unsigned long p[4000], n[4000], i;

	for (i = 0; i < 4000; i++) {
		shim_set_cpu(i % 4);
		n[i] = 1 + rnd(&seed) % 64;
		p[i] = ops->alloc(iova, n[i], ULONG_MAX);
	}
	for (i = 0; i < 4000; i += 4) {
		shim_set_cpu(1);
		ops->free(iova, p[i], n[i]);
		ops->free(iova, p[i + 1], n[i + 1]);
		ops->free(iova, p[i + 2], n[i + 2]);
	}
	shim_set_cpu(0);
	EXPECT(ops->outstanding(iova) == 1000, "%lu out",
	       ops->outstanding(iova));
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * Threads, each its own CPU, allocate and free random sizes; some ranges
 * go through a shared mailbox to be freed by another thread, on another
 * CPU.  Pages are claimed in a shared bitmap with atomic OR: a page
 * claimed twice is an overlap.  Thread 0 stops early and its CPU goes
 * offline (cpu_dead) while the others run.
 */
#define THREADS		8
#define MT_END		((1UL << 14) - 1)
#define MT_WORDS	(MT_END / 64 + 1)
#define MT_LIVE		64
#define MT_BOX		32

static unsigned long mt_bits[MT_WORDS];
static struct live_range mt_box[MT_BOX];
static pthread_mutex_t mt_box_lock = PTHREAD_MUTEX_INITIALIZER;

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

/* Swap @r with mailbox slot @slot: {0, 0} in either means none. */
static void mt_swap_box(unsigned int slot, struct live_range *r)
{
	struct live_range t;

	pthread_mutex_lock(&mt_box_lock);
	t = mt_box[slot];
	mt_box[slot] = *r;
	*r = t;
	pthread_mutex_unlock(&mt_box_lock);
}

struct mt_worker {
	struct siommu_iova *iova;
	unsigned int cpu;
	unsigned long long seed;
	unsigned long ops;
	unsigned long errors, allocs, fails, passed;
};

static void mt_free(struct mt_worker *w, struct live_range *r)
{
	if (!claim(r->pfn, span_of(r->n), false))
		w->errors++;
	if (ops->free(w->iova, r->pfn, r->n))
		w->errors++;
}

static void *mt_work(void *arg)
{
	struct mt_worker *w = arg;
	struct live_range live[MT_LIVE], r;
	unsigned long nlive = 0, i, n, pfn, op, limit;

	shim_set_cpu(w->cpu);
	for (op = 0; op < w->ops; op++) {
		if (nlive < MT_LIVE && (nlive == 0 || rnd(&w->seed) & 1)) {
			n = rnd(&w->seed) % 16 ? 1 + rnd(&w->seed) % 32 :
						 1 + rnd(&w->seed) % 100;
			limit = rnd(&w->seed) % 4 ? ULONG_MAX : MT_END / 2;
			pfn = ops->alloc(w->iova, n, limit);
			if (!pfn) {
				w->fails++;
				continue;
			}
			w->allocs++;
			if (pfn + span_of(n) - 1 > (limit < MT_END ? limit :
						    MT_END) ||
			    pfn % align_of(n) || !claim(pfn, span_of(n), true))
				w->errors++;
			live[nlive++] = (struct live_range){ pfn, n };
		} else if (rnd(&w->seed) % 4 == 0) {
			/* Post one, take whatever was there: freed here. */
			i = rnd(&w->seed) % nlive;
			r = live[i];
			live[i] = live[--nlive];
			mt_swap_box(rnd(&w->seed) % MT_BOX, &r);
			if (r.n) {
				w->passed++;
				mt_free(w, &r);
			}
		} else {
			i = rnd(&w->seed) % nlive;
			mt_free(w, &live[i]);
			live[i] = live[--nlive];
		}
	}
	while (nlive--)
		mt_free(w, &live[nlive]);
	return NULL;
}

static void test_concurrent(void)
{
	struct siommu_iova *iova = ops->create(1, MT_END);
	struct mt_worker w[THREADS];
	pthread_t tid[THREADS];
	unsigned long errors = 0, allocs = 0, passed = 0, fails = 0;
	unsigned int t;

	for (t = 0; t < THREADS; t++) {
		w[t] = (struct mt_worker){ .iova = iova, .cpu = t,
					   .seed = t + 11,
					   .ops = t ? 60000 : 5000 };
		pthread_create(&tid[t], NULL, mt_work, &w[t]);
	}
	/* CPU 0 goes offline while the others still allocate. */
	pthread_join(tid[0], NULL);
	ops->cpu_dead(iova, 0);
	for (t = 1; t < THREADS; t++)
		pthread_join(tid[t], NULL);
	for (t = 0; t < THREADS; t++) {
		errors += w[t].errors;
		allocs += w[t].allocs;
		passed += w[t].passed;
		fails += w[t].fails;
	}
	/* Whatever is left in the mailbox, freed on CPU 9. */
	shim_set_cpu(9);
	for (t = 0; t < MT_BOX; t++)
		if (mt_box[t].n) {
			if (!claim(mt_box[t].pfn, span_of(mt_box[t].n), false) ||
			    ops->free(iova, mt_box[t].pfn, mt_box[t].n))
				errors++;
			mt_box[t].n = 0;
		}
	shim_set_cpu(0);
	harness_diag("concurrent: %lu allocations, %lu failed, %lu passed on",
		     allocs, fails, passed);
	EXPECT(errors == 0, "%lu errors in %lu allocations", errors, allocs);
	EXPECT(allocs > 150000, "only %lu allocations", allocs);
	EXPECT(passed > 10000, "only %lu passed between threads", passed);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	ops->drain(iova);
	EXPECT(backing_out(iova) == 0, "drained: %lu", backing_out(iova));
	EXPECT(space_whole(iova, 14), "whole after drain");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/* stats(): hits, misses and depot exchanges, counted where they happen. */
static void test_stats(void)
{
	struct siommu_iova *iova = ops->create(1, 1 << 20);
	struct siommu_iova_stats st = { 0 };
	unsigned long p[300], i;

	shim_set_cpu(0);
	p[0] = ops->alloc(iova, 1, ULONG_MAX);
	ops->free(iova, p[0], 1);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == p[0], "the cached range");
	ops->free(iova, p[0], 1);
	ops->stats(iova, &st);
	EXPECT(st.cache_hits == 1 && st.cache_misses == 1,
	       "1 hit, 1 miss: %lu, %lu", st.cache_hits, st.cache_misses);
	EXPECT(st.depot_exchanges == 0, "no exchange yet");

	/* 300 frees overflow loaded and previous: a full one goes over. */
	for (i = 0; i < 300; i++)
		p[i] = ops->alloc(iova, 1, ULONG_MAX);
	for (i = 0; i < 300; i++)
		ops->free(iova, p[i], 1);
	memset(&st, 0, sizeof(st));
	ops->stats(iova, &st);
	EXPECT(st.depot_exchanges >= 1, "%lu depot exchanges",
	       st.depot_exchanges);
	EXPECT(st.cache_hits + st.cache_misses == 302, "every alloc counted");
	ops->destroy(iova);
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_create),
	HARNESS_CASE(test_stats),
	HARNESS_CASE(test_classes),
	HARNESS_CASE(test_limit),
	HARNESS_CASE(test_bad_free),
	HARNESS_CASE(test_exhaustion),
	HARNESS_CASE(test_cpu_dead),
	HARNESS_CASE(test_alloc_failure),
	HARNESS_CASE(test_fail_alloc_knob),
	HARNESS_CASE(test_random),
	HARNESS_CASE(test_destroy),
	HARNESS_CASE(test_concurrent),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
