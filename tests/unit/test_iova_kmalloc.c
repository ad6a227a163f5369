// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the "kmalloc" IOVA allocator (src/dma/iova/kmalloc.c compiled
 * unchanged over the shim).  The shim's kmalloc() is malloc() and its
 * direct map starts at address 0 (shim/dma/iova/direct_map.h), so a pfn here
 * is a heap address: spaces reach 2^47 - 1, and where allocations land is
 * learnt from probe objects.  What every allocator promises is tested in
 * test_iova_contract.c; this file, what kmalloc does in its own way: the
 * space it needs, limits and start_pfn inside the heap, quarantine, the
 * reservation array, leaking what is outstanding at destroy.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "harness.h"
#include "shim.h"
#include <linux/gfp.h>
#include <linux/slab.h>

#include "dma/iova/allocator.h"
#include "dma/iova/direct_map.h"

static const struct siommu_iova_ops *ops = &siommu_iova_kmalloc_ops;

#define WIDE_END	((1UL << 47) - 1)

/* A small deterministic generator, one state per thread. */
static unsigned long rnd(unsigned long long *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned long)(*state >> 33);
}

struct live_range {
	unsigned long pfn, n;
};

/* Where the next small objects land: the offset of a fresh one. */
static unsigned long probe(size_t bytes)
{
	void *p = kmalloc(bytes, GFP_KERNEL);
	unsigned long off = (unsigned long)p - SIOMMU_DIRECT_MAP_BASE;

	kfree(p);
	return off;
}

/* Objects the instance holds beyond its outstanding ranges. */
static long quarantined(struct siommu_iova *iova, long base)
{
	return shim_kmalloc_outstanding() - base - 1 -
	       (long)ops->outstanding(iova);
}

/* A range larger than the largest kmalloc() is no range, kept nowhere. */
static void test_too_large(void)
{
	struct siommu_iova *iova = ops->create(1, WIDE_END);

	EXPECT(ops->alloc(iova, KMALLOC_MAX_SIZE + 1, ULONG_MAX) == 0,
	       "beyond the largest kmalloc");
	EXPECT(ops->outstanding(iova) == 0 && shim_kmalloc_outstanding() == 1,
	       "nothing kept");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static void test_check_space(void)
{
	EXPECT(ops->check_space, "has check_space");
	/* A 48-bit unit's pfns: narrower than the shim's direct map. */
	EXPECT(ops->check_space(1, (1UL << 36) - 1) == -ERANGE, "48-bit");
	EXPECT(ops->check_space(1, WIDE_END - 1) == -ERANGE, "one short");
	EXPECT(ops->check_space(1, WIDE_END) == 0, "just wide enough");
	EXPECT(ops->check_space(1, ULONG_MAX) == 0, "everything");
	EXPECT(ops->check_space(5, 4) == -ERANGE, "empty");
	EXPECT(ops->check_space(1, siommu_direct_map_bytes() - 1) == 0,
	       "the direct map's last byte");
}

/*
 * The device's limit and the space's end: an object above either is
 * given back at once and alloc says 0, for the caller to fall back.
 */
static void test_limits(void)
{
	struct siommu_iova *iova = ops->create(1, WIDE_END);
	unsigned long p[1000], lim, i, above = 0, ok = 0, under = 0;
	unsigned long mid;

	EXPECT(ops->alloc(iova, 1, 1000) == 0, "nothing under 1000");
	EXPECT(ops->alloc(iova, 4, 1UL << 20) == 0, "nothing under 2^20");
	EXPECT(ops->outstanding(iova) == 0 &&
	       shim_kmalloc_outstanding() == 1, "and nothing kept");

	/* Under a limit in the middle of where objects land. */
	for (i = 0; i < 1000; i++)
		p[i] = ops->alloc(iova, 1 + i % 16, ULONG_MAX);
	mid = p[500];
	for (i = 0; i < 1000; i++)
		ops->free(iova, p[i], 1 + i % 16);
	for (i = 0; i < 1000; i++) {
		lim = mid + i % 64;
		p[i] = ops->alloc(iova, 1 + i % 16, lim);
		if (!p[i])
			continue;
		ok++;
		if (p[i] + i % 16 > lim)
			above++;
	}
	EXPECT(above == 0, "%lu of %lu above the limit", above, ok);
	EXPECT(ops->outstanding(iova) == ok &&
	       shim_kmalloc_outstanding() == (long)ok + 1,
	       "%lu out, %ld objects", ok, shim_kmalloc_outstanding());
	for (i = 0; i < 1000; i++)
		if (p[i])
			EXPECT(ops->free(iova, p[i], 1 + i % 16) == 0, "free");
	ops->destroy(iova);

	/* The space's end below where objects land: nothing fits. */
	mid = probe(8);
	iova = ops->create(1, mid / 2);
	for (i = 0; i < 100; i++)
		if (ops->alloc(iova, 1, ULONG_MAX))
			under++;
	EXPECT(under == 0, "%lu above the space's end", under);
	EXPECT(shim_kmalloc_outstanding() == 1, "and nothing kept");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * start_pfn above where the next objects land: those below are held
 * aside, never handed out, and given back at destroy.
 */
static void test_start_pfn(void)
{
	unsigned long start = probe(8) + 4096, p[500], i, got = 0, below = 0;
	struct siommu_iova *iova = ops->create(start, WIDE_END);
	long q;

	for (i = 0; i < 500; i++) {
		p[i] = ops->alloc(iova, 1, ULONG_MAX);
		if (p[i] && p[i] < start)
			below++;
		got += !!p[i];
	}
	q = quarantined(iova, 0);
	EXPECT(below == 0, "%lu below start_pfn", below);
	EXPECT(got > 400, "only %lu of 500", got);
	EXPECT(q > 0, "%ld quarantined", q);
	for (i = 0; i < 500; i++)
		if (p[i])
			ops->free(iova, p[i], 1);
	EXPECT(quarantined(iova, 0) == q, "quarantine kept");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static bool hits(unsigned long pfn, unsigned long n, unsigned long lo,
		 unsigned long hi)
{
	return pfn <= hi && pfn + n - 1 >= lo;
}

/*
 * Reservations where the next objects land: none is ever handed out,
 * and frees inside one are refused before any kfree().
 */
static void test_reserve(void)
{
	unsigned long lo = probe(8), hi = lo + 16384, lo2, hi2;
	struct live_range r[2000];
	struct siommu_iova *iova = ops->create(1, WIDE_END);
	unsigned long i, n, got = 0, inside = 0;
	unsigned long long seed = 5;
	long q;

	/* Overlapping, touching and clipped reservations merge. */
	lo2 = lo + (1UL << 30);
	hi2 = lo2 + 1000;
	EXPECT(ops->reserve(iova, lo2, lo2 + 500) == 0, "r2 part 1");
	EXPECT(ops->reserve(iova, lo2 + 501, hi2) == 0, "r2 touching");
	EXPECT(ops->reserve(iova, lo, lo + 8191) == 0, "r1 part 1");
	EXPECT(ops->reserve(iova, lo + 4096, hi) == 0, "r1 overlapping");
	EXPECT(ops->reserve(iova, 0, 0) == 0, "below the start: nothing");
	EXPECT(ops->reserve(iova, WIDE_END, ULONG_MAX) == 0, "clipped");
	EXPECT(ops->outstanding(iova) == 0, "reservations not counted");

	for (i = 0; i < 2000; i++) {
		n = 1 + rnd(&seed) % 4;
		r[i].n = n;
		r[i].pfn = ops->alloc(iova, n, ULONG_MAX);
		if (!r[i].pfn)
			continue;
		got++;
		if (hits(r[i].pfn, n, lo, hi) || hits(r[i].pfn, n, lo2, hi2) ||
		    r[i].pfn + n - 1 >= WIDE_END)
			inside++;
	}
	q = quarantined(iova, 0);
	EXPECT(inside == 0, "%lu of %lu inside a reservation", inside, got);
	EXPECT(got > 1900, "only %lu of 2000", got);
	EXPECT(q > 0, "%ld quarantined", q);

	/* Refused, with ranges out (so a kfree() would be real). */
	EXPECT(ops->free(iova, lo2 + 504, 1) == -EINVAL, "in r2's join");
	EXPECT(ops->free(iova, (hi & ~7UL) - 8, 1) == -EINVAL, "in r1");
	EXPECT(ops->free(iova, WIDE_END & ~7UL, 8) == -EINVAL, "at the end");
	EXPECT(ops->outstanding(iova) == got, "count unchanged");
	for (i = 0; i < 2000; i++)
		if (r[i].pfn)
			EXPECT(ops->free(iova, r[i].pfn, r[i].n) == 0, "free");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());

	/* The array is small: a disjoint one too many is -ENOMEM. */
	iova = ops->create(1, WIDE_END);
	for (i = 0; i < 32; i++)
		if (ops->reserve(iova, 1000 * (i + 1), 1000 * (i + 1) + 9))
			break;
	EXPECT(i == 32, "32 disjoint reservations, %lu taken", i);
	EXPECT(ops->reserve(iova, 500, 509) == -ENOMEM, "33rd: -ENOMEM");
	EXPECT(ops->reserve(iova, 995, 2005) == 0, "merging still works");
	EXPECT(ops->reserve(iova, 500, 509) == 0, "then room for one");
	EXPECT(ops->reserve(iova, 1, ULONG_MAX) == 0, "all in one");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "nothing left");
	EXPECT(quarantined(iova, 0) == 16, "%ld quarantined for one try",
	       quarantined(iova, 0));
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * Memory failing after a few objects were quarantined: those are kept,
 * nothing else.  (A plain failure is the contract's.)
 */
static void test_alloc_failure(void)
{
	struct siommu_iova *iova;
	unsigned long p, start;

	/* Failing after a few quarantined tries: those are kept, no more. */
	start = probe(8) + 4096;
	iova = ops->create(start, WIDE_END);
	shim_fail_alloc_after = 3;
	p = ops->alloc(iova, 1, ULONG_MAX);
	shim_fail_alloc_after = -1;
	EXPECT(p == 0 || p >= start, "p %lu", p);
	EXPECT(shim_kmalloc_outstanding() == 1 + !!p + quarantined(iova, 0),
	       "%ld objects", shim_kmalloc_outstanding());
	if (p)
		ops->free(iova, p, 1);
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * Frees alloc cannot have made are refused without a kfree() (the
 * contract's bad_free tries the rest); a double free is not detected
 * (ASan would abort on it): not tried here.  A free of another size of
 * the same alignment frees the object.
 */
static void test_bad_free(void)
{
	/* Not quite 2^47: so that a range can run past the end. */
	struct siommu_iova *iova = ops->create(1, WIDE_END - 4);
	unsigned long a, b;

	EXPECT(ops->free(iova, 4096, 1) == -EINVAL, "nothing outstanding");
	a = ops->alloc(iova, 3, ULONG_MAX);
	b = ops->alloc(iova, 100, ULONG_MAX);
	EXPECT(a && a % 8 == 0 && b && b % 128 == 0, "a %lu b %lu", a, b);
	EXPECT(ops->free(iova, b + 64, 100) == -EINVAL, "misaligned for 100");
	EXPECT(ops->free(iova, a, KMALLOC_MAX_SIZE + 1) == -EINVAL, "huge");
	EXPECT(ops->outstanding(iova) == 2, "count unchanged");
	EXPECT(shim_kmalloc_outstanding() == 3, "objects unchanged");
	/* Same alignment, other size: the whole object goes, harmlessly. */
	EXPECT(ops->free(iova, a, 5) == 0, "a as 5 pages");
	EXPECT(ops->free(iova, b, 128) == 0, "b as 128 pages");
	EXPECT(ops->outstanding(iova) == 0, "none out");
	EXPECT(ops->free(iova, a, 3) == -EINVAL, "count at 0: refused");
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

/*
 * Destroy does not know the ranges still out: their objects stay
 * allocated (leaked, with a warning); the rest of the instance goes.
 */
static void test_destroy_outstanding(void)
{
	unsigned long start = probe(8) + 4096, p[100], i, left = 0;
	struct siommu_iova *iova = ops->create(start, WIDE_END);

	/* Some allocations may fail: 16 objects in a row below start. */
	for (i = 0; i < 100; i++)
		p[i] = ops->alloc(iova, 1 + i % 9, ULONG_MAX);
	for (i = 0; i < 100; i++) {
		if (i % 2 && p[i])
			left++;
		else if (p[i])
			ops->free(iova, p[i], 1 + i % 9);
	}
	EXPECT(left > 40 && ops->outstanding(iova) == left, "%lu out of %lu",
	       ops->outstanding(iova), left);
	EXPECT(quarantined(iova, 0) > 0, "some quarantined too");
	fprintf(stderr, "(a warning of %lu leaked ranges is expected)\n", left);
	ops->destroy(iova);
	EXPECT(shim_kmalloc_outstanding() == (long)left,
	       "%ld left for %lu ranges", shim_kmalloc_outstanding(), left);
	for (i = 1; i < 100; i += 2)
		if (p[i])
			kfree((void *)(SIOMMU_DIRECT_MAP_BASE + p[i]));
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_too_large),
	HARNESS_CASE(test_check_space),
	HARNESS_CASE(test_limits),
	HARNESS_CASE(test_start_pfn),
	HARNESS_CASE(test_reserve),
	HARNESS_CASE(test_alloc_failure),
	HARNESS_CASE(test_bad_free),
	HARNESS_CASE(test_destroy_outstanding),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
