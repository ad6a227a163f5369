// SPDX-License-Identifier: GPL-2.0
/*
 * The IOVA allocator contract (src/dma/iova/allocator.h), written once and
 * run over every allocator that hands out ranges -- rbtree, kmalloc and
 * magazine, compiled unchanged over the shim -- as "<allocator>.<case>".
 * What one allocator does beyond the contract is tested in its own
 * test_iova_<name>.c.  identity is no variant here: it is a 1:1 mapper
 * (SIOMMU_IOVA_1TO1: no alloc, its map and unmap do the work), so
 * test_iova_identity.c tests its contract.
 *
 * A variant tells the cases what they may count on beyond the contract
 * (an exact allocator's failure means no room, a cache hands back the
 * range freed last...); a case that needs what a variant does not promise
 * skips it and says why.  Built twice: with ASan+UBSan, and with TSan for
 * the concurrent case.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "shim.h"
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/slab.h>

#include "base/alloc_fault.h"
#include "dma/iova/allocator.h"
#include "dma/iova/direct_map.h"

/* The shim's direct map: kmalloc's pfns are heap addresses below it. */
#define WIDE_END	((1UL << 47) - 1)

struct variant {
	const char *name;
	const struct siommu_iova_ops *ops;
	/* The lowest end of a space it serves in full (check_space). */
	unsigned long min_end;
	/*
	 * Every pfn of a space can be handed out, and once the caches are
	 * drained a failure means there is no room.  Not so for kmalloc,
	 * whose ranges are wherever the heap puts its objects.
	 */
	bool exact;
	/* Ranges come from the top of the space down. */
	bool top_down;
	/* The range of a size freed last is the next one handed out. */
	bool caches;
	/* free() refuses any range not outstanding: double, other size. */
	bool strict_free;
	/* destroy() gives back the ranges still out (kmalloc leaks them). */
	bool destroy_reclaims;
	/*
	 * A request of up to this many pages takes roundup_pow_of_two() of
	 * them (magazine's size classes); 0: what is asked.
	 */
	unsigned long class_pages;
	/* create() makes at least this many allocations. */
	long create_allocs;
	/*
	 * Where in [1, end] the next small ranges will land: a reservation
	 * there is in their way.  An allocator that quarantines sets aside
	 * what lands in one, and holds it until destroy.
	 */
	unsigned long (*landing)(unsigned long end);
	bool quarantines;
};

/* A small deterministic generator, one state per thread. */
static unsigned long rnd(unsigned long long *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned long)(*state >> 33);
}

static unsigned long align_of(unsigned long npages)
{
	return roundup_pow_of_two(npages);
}

/* Pages a range of @npages really takes. */
static unsigned long span(const struct variant *v, unsigned long npages)
{
	return npages <= v->class_pages ? align_of(npages) : npages;
}

/* A space of at least [1, @end] that @v serves. */
static unsigned long end_for(const struct variant *v, unsigned long end)
{
	return end > v->min_end ? end : v->min_end;
}

static bool hits(unsigned long pfn, unsigned long n, unsigned long lo,
		 unsigned long hi)
{
	return pfn <= hi && pfn + n - 1 >= lo;
}

static void drain(const struct variant *v, struct siommu_iova *iova)
{
	if (v->ops->drain)
		v->ops->drain(iova);
}

static void no_leak(void)
{
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld",
	       shim_kmalloc_outstanding());
}

struct live_range {
	unsigned long pfn, n;
};

static int by_pfn(const void *a, const void *b)
{
	const struct live_range *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* Sorts @r; the number of neighbours that overlap. */
static unsigned long overlapping(const struct variant *v,
				 struct live_range *r, unsigned long nr)
{
	unsigned long i, bad = 0;

	qsort(r, nr, sizeof(*r), by_pfn);
	for (i = 1; i < nr; i++)
		if (r[i - 1].pfn + span(v, r[i - 1].n) > r[i].pfn)
			bad++;
	return bad;
}

/*
 * With everything freed and drained, [1, 2^bits - 1] of an exact
 * allocator splits into one range of each power of two, each at its own
 * size: the only aligned place left for it.  Leaves it empty again.
 */
static bool space_whole(const struct variant *v, struct siommu_iova *iova,
			unsigned int bits)
{
	unsigned long p[64];
	bool ok = true;
	int k;

	for (k = bits - 1; k >= 0; k--) {
		p[k] = v->ops->alloc(iova, 1UL << k, ULONG_MAX);
		if (p[k] != 1UL << k)
			ok = false;
	}
	for (k = bits - 1; k >= 0; k--)
		if (p[k] && v->ops->free(iova, p[k], 1UL << k))
			ok = false;
	drain(v, iova);
	return ok;
}

/* create(): refusals, failures at every allocation it makes, the header. */
static void test_create(const struct variant *v)
{
	const struct siommu_iova_ops *ops = v->ops;
	unsigned long end = end_for(v, 100);
	struct siommu_iova *iova;
	long n, leaks = 0;

	EXPECT(strcmp(ops->name, v->name) == 0, "name %s", ops->name);
	EXPECT(!ops->create(0, end), "start_pfn 0");
	EXPECT(!ops->create(10, 9), "empty space");
	for (n = 0;; n++) {
		shim_fail_alloc_after = n;
		iova = ops->create(1, end);
		shim_fail_alloc_after = -1;
		if (iova)
			break;
		if (shim_kmalloc_outstanding())
			leaks++;
	}
	EXPECT(leaks == 0, "%ld of %ld failures leaked", leaks, n);
	EXPECT(n >= v->create_allocs, "only %ld allocations in create", n);
	EXPECT(iova->ops == ops && iova->start_pfn == 1 &&
	       iova->end_pfn == end, "header");
	EXPECT(ops->alloc(iova, 0, ULONG_MAX) == 0, "0 pages");
	EXPECT(ops->alloc(iova, 1, 0) == 0, "limit under start_pfn");
	EXPECT(ops->outstanding(iova) == 0, "none out");
	ops->destroy(iova);
	no_leak();
	if (!v->exact)
		return;

	iova = ops->create(7, 7);
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 7, "its page");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "then full");
	EXPECT(ops->alloc(iova, 1, 6) == 0, "limit under the space");
	EXPECT(ops->outstanding(iova) == 1, "one out");
	EXPECT(ops->free(iova, 7, 1) == 0, "freed");
	EXPECT(ops->alloc(iova, 1, 6) == 0, "free, above the limit");
	EXPECT(ops->alloc(iova, 1, 7) == 7, "free, at the limit");
	ops->destroy(iova);
	no_leak();
}

/* Frees alloc cannot have made are refused and change nothing. */
static void test_bad_free(const struct variant *v)
{
	const struct siommu_iova_ops *ops = v->ops;
	/* Not a power of two less one: a range can run past the end. */
	unsigned long end = end_for(v, 4095) - 4;
	struct siommu_iova *iova = ops->create(16, end);
	unsigned long a, b, c, big, out;

	a = ops->alloc(iova, 8, ULONG_MAX);
	b = ops->alloc(iova, 3, ULONG_MAX);
	c = ops->alloc(iova, 1, ULONG_MAX);
	big = ops->alloc(iova, 100, ULONG_MAX);
	out = ops->outstanding(iova);
	EXPECT(a && b && c && big && out == 4, "%lu out", out);
	EXPECT(ops->free(iova, 0, 1) == -EINVAL, "pfn 0");
	EXPECT(ops->free(iova, 8, 1) == -EINVAL, "below the space");
	EXPECT(ops->free(iova, end + 1, 1) == -EINVAL, "above the space");
	EXPECT(ops->free(iova, end & ~15UL, 16) == -EINVAL,
	       "running past the end");
	EXPECT(ops->free(iova, a + 2, 3) == -EINVAL, "not aligned to 4");
	EXPECT(ops->free(iova, big + 1, 100) == -EINVAL, "big, wrong pfn");
	EXPECT(ops->free(iova, c, 0) == -EINVAL, "0 pages");
	EXPECT(ops->outstanding(iova) == out, "count unchanged");
	if (v->strict_free) {
		EXPECT(ops->free(iova, a, 7) == -EINVAL, "too short");
		EXPECT(ops->free(iova, a, 9) == -EINVAL, "too long");
		/* The aligned block of 3 is 4 pages: not the size asked. */
		EXPECT(ops->free(iova, b, 4) == -EINVAL, "rounded size");
		EXPECT(ops->free(iova, big, 101) == -EINVAL, "big, too long");
		EXPECT(ops->free(iova, a + 1, 1) == -EINVAL, "inside a range");
		EXPECT(ops->free(iova, 2345, 1) == -EINVAL, "never allocated");
		EXPECT(ops->outstanding(iova) == out, "count unchanged");
	}
	EXPECT(ops->free(iova, a, 8) == 0 && ops->free(iova, b, 3) == 0 &&
	       ops->free(iova, c, 1) == 0 && ops->free(iova, big, 100) == 0,
	       "the real ones freed");
	if (v->strict_free) {
		EXPECT(ops->free(iova, a, 8) == -EINVAL, "double free");
		EXPECT(ops->free(iova, big, 100) == -EINVAL, "big twice");
	}
	EXPECT(ops->outstanding(iova) == 0, "none out");
	ops->destroy(iova);
	no_leak();
}

#define RND_LIVE	600
#define RND_CPUS	8

/*
 * Random allocations and frees from random CPUs (and now and then one
 * going offline): every range inside the space and under its limit,
 * aligned, overlapping no other, the count exact.  For an exact
 * allocator the space is small and a byte map of it also judges every
 * failure: there must be no room for it once the caches are drained.
 * Another's space is as wide as the direct map: a request without a limit
 * never fails for want of room.  Every @fail_every-th operation on
 * average, one of the next three allocations of memory fails.
 */
static void random_run(const struct variant *v, unsigned long long seed,
		       long fail_every, unsigned long nr_ops)
{
	static unsigned char bits[8192];
	static struct live_range live[RND_LIVE], sorted[RND_LIVE];
	const struct siommu_iova_ops *ops = v->ops;
	unsigned long end = end_for(v, sizeof(bits) - 1);
	struct siommu_iova *iova = ops->create(1, end);
	unsigned long op, nlive = 0, n, limit, top, pfn, i, a, q;
	unsigned long bad = 0, false_fail = 0, fails = 0, bad_count = 0;
	unsigned long overlaps = 0, bad_free = 0, wide_fails = 0;

	memset(bits, 0, sizeof(bits));
	for (op = 0; op < nr_ops; op++) {
		shim_set_cpu(rnd(&seed) % RND_CPUS);
		if (fail_every > 0 && rnd(&seed) % fail_every == 0)
			shim_fail_alloc_after = rnd(&seed) % 3;
		if (nlive < RND_LIVE && (nlive == 0 || rnd(&seed) % 100 < 55)) {
			/* Mostly classes, some larger, now and then huge. */
			if (rnd(&seed) % 32 == 0)
				n = 1UL << (rnd(&seed) % 17);
			else
				n = rnd(&seed) % 8 ? 1 + rnd(&seed) % 32 :
						     1 + rnd(&seed) % 200;
			limit = rnd(&seed) % 3 ? ULONG_MAX :
				1 + rnd(&seed) % end;
			top = limit < end ? limit : end;
			pfn = ops->alloc(iova, n, limit);
			if (!pfn && v->exact) {
				fails++;
				shim_fail_alloc_after = -1;
				drain(v, iova);
				pfn = ops->alloc(iova, n, limit);
			}
			if (!pfn && v->exact) {
				a = align_of(n);
				for (q = a; q + span(v, n) - 1 <= top; q += a)
					if (!memchr(bits + q, 1, span(v, n)))
						break;
				if (q + span(v, n) - 1 <= top)
					false_fail++;
			}
			if (!pfn) {
				fails += !v->exact;
				wide_fails += !v->exact && limit == ULONG_MAX &&
					      !fail_every;
				continue;
			}
			if (pfn + span(v, n) - 1 > top || pfn % align_of(n) ||
			    (v->exact && memchr(bits + pfn, 1, span(v, n)))) {
				bad++;
				continue;
			}
			if (v->exact)
				memset(bits + pfn, 1, span(v, n));
			live[nlive++] = (struct live_range){ pfn, n };
		} else if (rnd(&seed) % 200 == 0) {
			if (ops->cpu_dead)
				ops->cpu_dead(iova, rnd(&seed) % RND_CPUS);
		} else {
			i = rnd(&seed) % nlive;
			pfn = live[i].pfn;
			n = live[i].n;
			/* Now and then a wrong size first: refused. */
			if (v->strict_free && rnd(&seed) % 8 == 0 &&
			    ops->free(iova, pfn, n + 1) != -EINVAL)
				bad_free++;
			if (v->exact)
				memset(bits + pfn, 0, span(v, n));
			if (ops->free(iova, pfn, n))
				bad_free++;
			/* And sometimes the same again: a double free. */
			if (v->strict_free && rnd(&seed) % 8 == 0 &&
			    ops->free(iova, pfn, n) != -EINVAL)
				bad_free++;
			live[i] = live[--nlive];
		}
		shim_fail_alloc_after = -1;
		if (ops->outstanding(iova) != nlive)
			bad_count++;
		if (op % 2000 == 1999) {
			memcpy(sorted, live, nlive * sizeof(*live));
			overlaps += overlapping(v, sorted, nlive);
		}
	}
	EXPECT(bad == 0, "seed %llu: %lu bad ranges", seed, bad);
	EXPECT(overlaps == 0, "%lu overlaps", overlaps);
	EXPECT(bad_free == 0, "%lu frees answered wrong", bad_free);
	EXPECT(false_fail == 0, "%lu of %lu failures had room", false_fail,
	       fails);
	EXPECT(fails > 100 || fail_every || !v->exact,
	       "only %lu failures: the space never ran short", fails);
	EXPECT(wide_fails == 0, "%lu failures without a limit", wide_fails);
	EXPECT(bad_count == 0, "outstanding wrong %lu times", bad_count);
	for (i = 0; i < nlive; i++) {
		shim_set_cpu(i % RND_CPUS);
		ops->free(iova, live[i].pfn, live[i].n);
	}
	shim_set_cpu(0);
	EXPECT(ops->outstanding(iova) == 0, "all freed");
	drain(v, iova);
	if (v->exact)
		EXPECT(space_whole(v, iova, 13), "whole at the end");
	ops->destroy(iova);
	no_leak();
}

static void test_random(const struct variant *v)
{
	random_run(v, 42, 0, 40000);
	random_run(v, 7, 0, 40000);
	random_run(v, 99, 50, 20000);
}

/*
 * Reservations, overlapping, touching, clipped at either end, in the way
 * of the next ranges: none is handed out, none is counted.
 */
static void test_reserve(const struct variant *v)
{
	static struct live_range r[4096];
	const struct siommu_iova_ops *ops = v->ops;
	unsigned long end = end_for(v, 4095), w = end / 4 < 16384 ?
			    end / 4 : 16384;
	unsigned long b = v->landing(end), got = 0, inside = 0, i, n;
	unsigned long long seed = 5;
	struct siommu_iova *iova = ops->create(1, end);

	EXPECT(ops->reserve(iova, b, b + w / 2) == 0, "first");
	EXPECT(ops->reserve(iova, b + w / 4, b + w) == 0, "overlapping");
	EXPECT(ops->reserve(iova, b + w + 1, b + w + 50) == 0, "touching");
	EXPECT(ops->reserve(iova, end - 5, ULONG_MAX) == 0, "clipped");
	EXPECT(ops->reserve(iova, 0, 0) == 0, "below the start: nothing");
	EXPECT(ops->outstanding(iova) == 0, "reservations not counted");

	/* An exact allocator is filled; another gives what it can. */
	for (i = 0; i < HARNESS_ARRAY_SIZE(r); i++) {
		n = v->exact ? 1 : 1 + rnd(&seed) % 4;
		r[i].n = n;
		r[i].pfn = ops->alloc(iova, n, ULONG_MAX);
		if (!r[i].pfn && v->exact) {
			drain(v, iova);
			r[i].pfn = ops->alloc(iova, n, ULONG_MAX);
		}
		if (!r[i].pfn) {
			if (v->exact)
				break;
			continue;
		}
		got++;
		if (hits(r[i].pfn, n, b, b + w + 50) ||
		    r[i].pfn + n - 1 >= end - 5)
			inside++;
	}
	EXPECT(inside == 0, "%lu of %lu inside a reservation", inside, got);
	if (v->exact)
		EXPECT(got == end - (w + 51) - 6,
		       "%lu pages outside reservations", got);
	else
		EXPECT(got > HARNESS_ARRAY_SIZE(r) * 9 / 10, "only %lu", got);
	EXPECT(ops->outstanding(iova) == got, "%lu out",
	       ops->outstanding(iova));
	if (v->quarantines)
		EXPECT(shim_kmalloc_outstanding() > (long)got + 1,
		       "nothing landed in a reservation");
	for (i = 0; i < HARNESS_ARRAY_SIZE(r); i++)
		if (r[i].pfn)
			ops->free(iova, r[i].pfn, r[i].n);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	ops->destroy(iova);
	no_leak();
}

/*
 * Exhaustion: a space filled with single pages; a freed page comes back;
 * singles freed make a larger range; all freed, the space is whole.
 */
static void test_exhaustion(const struct variant *v)
{
	const struct siommu_iova_ops *ops = v->ops;
	struct siommu_iova *iova;
	unsigned long got = 0, p;
	bool ordered = true, dup = false;
	static unsigned char taken[1024];

	if (!v->exact) {
		harness_skip("%s: not exact, its space does not run out",
			     v->name);
		return;
	}
	memset(taken, 0, sizeof(taken));
	iova = ops->create(1, 1023);
	while ((p = ops->alloc(iova, 1, ULONG_MAX))) {
		if (p > 1023 || taken[p])
			dup = true;
		else
			taken[p] = 1;
		if (p != 1023 - got)
			ordered = false;
		got++;
	}
	EXPECT(got == 1023 && !dup, "%lu single pages", got);
	EXPECT(ordered || !v->top_down, "not from the top down");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 0, "still full");
	EXPECT(ops->alloc(iova, 2, ULONG_MAX) == 0, "no pair either");
	EXPECT(ops->free(iova, 500, 1) == 0, "free 500");
	EXPECT(ops->alloc(iova, 1, ULONG_MAX) == 500, "500 again");

	/* The only aligned room for 4 pages: four singles freed. */
	for (p = 8; p < 12; p++)
		ops->free(iova, p, 1);
	EXPECT(ops->outstanding(iova) == 1019, "%lu out",
	       ops->outstanding(iova));
	EXPECT(ops->alloc(iova, 4, ULONG_MAX) == 8, "4 from freed singles");
	EXPECT(ops->free(iova, 8, 4) == 0, "free the 4");

	for (p = 1; p <= 1023; p++)
		if (p < 8 || p >= 12)
			ops->free(iova, p, 1);
	EXPECT(ops->outstanding(iova) == 0, "%lu out", ops->outstanding(iova));
	drain(v, iova);
	p = ops->alloc(iova, 512, ULONG_MAX);
	EXPECT(p == 512, "upper half: %lu", p);
	/* 0..511 would hold it but pfn 0 is below start_pfn. */
	EXPECT(ops->alloc(iova, 512, ULONG_MAX) == 0, "not at pfn 0");
	ops->free(iova, p, 512);
	EXPECT(space_whole(v, iova, 10), "whole again");
	ops->destroy(iova);
	no_leak();
}

/* A device with a 28-bit DMA mask in a 48-bit space. */
static void test_limits(const struct variant *v)
{
	static struct live_range r[2100];
	const struct siommu_iova_ops *ops = v->ops;
	const unsigned long lim = (1UL << (28 - 12)) - 1;
	struct siommu_iova *iova;
	unsigned long i, nr = 0, low = 0, high = 0, bad = 0, blocks = 0;
	unsigned long p, n, limit;

	iova = ops->create(1, end_for(v, (1UL << (48 - 12)) - 1));
	for (i = 0; i < 2000; i++) {
		n = 1 + i % 7;
		limit = i % 3 ? lim : ULONG_MAX;
		p = ops->alloc(iova, n, limit);
		if (i % 3)
			low++;
		else
			high++;
		/* Exact: room under the mask.  Top-down: high ones high. */
		if (p ? p + n - 1 > limit || (!(i % 3) && v->top_down &&
					      p <= lim) : v->exact)
			bad++;
		if (p)
			r[nr++] = (struct live_range){ p, n };
	}
	EXPECT(bad == 0, "%lu of %lu/%lu misplaced", bad, low, high);
	if (v->exact) {
		/* What is left under the mask, in 4096-page blocks. */
		while ((p = ops->alloc(iova, 4096, lim))) {
			if (p + 4095 > lim)
				bad++;
			r[nr++] = (struct live_range){ p, 4096 };
			blocks++;
		}
		/* Of 16 below 2^16, 0..4095 holds pfn 0, one is in use. */
		EXPECT(blocks >= 10 && blocks < 15 && bad == 0,
		       "%lu blocks under the mask", blocks);
		EXPECT(ops->alloc(iova, 4096, lim) == 0, "full under the mask");
		p = ops->alloc(iova, 4096, ULONG_MAX);
		EXPECT(p > lim, "room above");
		r[nr++] = (struct live_range){ p, 4096 };
		p = ops->alloc(iova, 1 << 20, ULONG_MAX);
		EXPECT(p > lim, "1M pages above");
		r[nr++] = (struct live_range){ p, 1 << 20 };
	}
	for (i = 0; i < nr; i++)
		if (r[i].pfn && ops->free(iova, r[i].pfn, r[i].n))
			bad++;
	EXPECT(bad == 0 && ops->outstanding(iova) == 0, "all freed");
	ops->destroy(iova);
	no_leak();
}

/*
 * A cache: the range freed last comes back, needs no memory, and is not
 * handed out above a lower limit (it stays cached for the next one).
 */
static void test_reuse(const struct variant *v)
{
	const struct siommu_iova_ops *ops = v->ops;
	struct siommu_iova *iova;
	unsigned long p, q, r;

	if (!v->caches) {
		harness_skip("%s: no cache of freed ranges", v->name);
		return;
	}
	iova = ops->create(1, (1UL << 20) - 1);
	shim_set_cpu(0);
	p = ops->alloc(iova, 8, ULONG_MAX);
	q = ops->alloc(iova, 8, ULONG_MAX);
	EXPECT(ops->free(iova, p, 8) == 0, "free p");
	EXPECT(ops->outstanding(iova) == 1, "cached is not outstanding");
	EXPECT(ops->alloc(iova, 8, ULONG_MAX) == p, "same pfn back");
	EXPECT(ops->free(iova, p, 8) == 0, "free p again");
	shim_fail_alloc_after = 0;
	EXPECT(ops->alloc(iova, 8, ULONG_MAX) == p, "cached: no memory");
	shim_fail_alloc_after = -1;

	/* p (above q, from the top down) freed last: on top of the cache. */
	EXPECT(ops->free(iova, q, 8) == 0 && ops->free(iova, p, 8) == 0,
	       "both cached");
	r = ops->alloc(iova, 8, p + 6);
	EXPECT(r && r + 7 <= p + 6 && r != p, "under the limit: %lu (p %lu)",
	       r, p);
	EXPECT(ops->alloc(iova, 8, p + 7) == p, "p exactly at the limit");
	EXPECT(ops->free(iova, p, 8) == 0, "p cached again");
	r = ops->alloc(iova, 8, 4095);
	EXPECT(r && r + 7 <= 4095, "fresh under 4095: %lu", r);
	EXPECT(ops->alloc(iova, 8, ULONG_MAX) == p, "p still cached");
	EXPECT(ops->outstanding(iova) == 3, "%lu out", ops->outstanding(iova));
	ops->destroy(iova);
	no_leak();
}

/* A failed allocation of memory: alloc says 0 and keeps nothing. */
static void test_alloc_failure(const struct variant *v)
{
	const struct siommu_iova_ops *ops = v->ops;
	struct siommu_iova *iova = ops->create(1, end_for(v, 4095));
	long base = shim_kmalloc_outstanding();
	unsigned long p;

	shim_set_cpu(0);
	shim_fail_alloc_after = 0;
	EXPECT(ops->alloc(iova, 3, ULONG_MAX) == 0, "memory fails");
	shim_fail_alloc_after = -1;
	EXPECT(ops->outstanding(iova) == 0, "nothing out");
	EXPECT(shim_kmalloc_outstanding() == base, "nothing kept");
	p = ops->alloc(iova, 3, ULONG_MAX);
	EXPECT(p, "works again");
	EXPECT(ops->free(iova, p, 3) == 0, "freed");
	ops->destroy(iova);
	no_leak();
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The fail_alloc_ppm knob at 20%: allocations fail now and then but never
 * hand out a range twice, every free works, and destroy returns every
 * magazine (the count is global: 0 for an allocator without any).
 */
static void test_fail_alloc_knob(const struct variant *v)
{
	const struct siommu_iova_ops *ops = v->ops;
	long mags0 = atomic_long_read(&siommu_iova_magazines_live);
	struct siommu_iova *iova = ops->create(1, end_for(v, 1 << 20));
	unsigned long p[2000], got = 0, failed = 0, i, round, dups = 0;
	unsigned long bad_free = 0;

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
			dups += p[i] == p[i - 1];
		for (i = 0; i < got; i++)
			bad_free += ops->free(iova, p[i], 1) != 0;
		shim_set_cpu(round % 2);
	}
	siommu_fail_alloc_ppm = 0;
	shim_set_cpu(0);
	EXPECT(dups == 0, "%lu handed out twice", dups);
	EXPECT(bad_free == 0, "%lu frees refused", bad_free);
	EXPECT(failed > 0, "%lu failures injected", failed);
	EXPECT(ops->outstanding(iova) == 0, "%lu outstanding",
	       ops->outstanding(iova));
	ops->destroy(iova);
	EXPECT(atomic_long_read(&siommu_iova_magazines_live) == mags0,
	       "%ld magazines live after destroy, %ld before",
	       atomic_long_read(&siommu_iova_magazines_live), mags0);
	no_leak();
}

/* Destroy with ranges out, some cached on other CPUs: nothing leaks. */
static void test_destroy_outstanding(const struct variant *v)
{
	const struct siommu_iova_ops *ops = v->ops;
	unsigned long long seed = 3;
	static unsigned long p[4000], n[4000];
	struct siommu_iova *iova;
	unsigned long i, bad = 0;

	if (!v->destroy_reclaims) {
		harness_skip("%s: destroy leaves outstanding ranges be",
			     v->name);
		return;
	}
	iova = ops->create(1, 1UL << 24);
	for (i = 0; i < 4000; i++) {
		shim_set_cpu(i % 4);
		n[i] = 1 + rnd(&seed) % 100;
		p[i] = ops->alloc(iova, n[i], ULONG_MAX);
	}
	shim_set_cpu(1);
	for (i = 0; i < 4000; i += 4)
		if (ops->free(iova, p[i], n[i]) ||
		    ops->free(iova, p[i + 1], n[i + 1]) ||
		    ops->free(iova, p[i + 2], n[i + 2]))
			bad++;
	shim_set_cpu(0);
	EXPECT(bad == 0, "%lu frees refused", bad);
	EXPECT(ops->outstanding(iova) == 1000, "%lu out",
	       ops->outstanding(iova));
	EXPECT(shim_kmalloc_outstanding() > 1, "nothing allocated");
	ops->destroy(iova);
	no_leak();
}

/*
 * Threads, each its own CPU, share one instance with a reservation in
 * the way of their ranges.  They allocate and free random sizes under
 * random limits and pass ranges to each other through a mailbox, to be
 * freed on another CPU; thread 0 stops after the first round and its CPU
 * goes offline (cpu_dead) while the others run.  Between rounds all stop
 * and every range live anywhere is checked against the others and the
 * count; in an exact allocator's (small) space pages are also claimed in
 * a shared bitmap with atomic OR as they are handed out: a page claimed
 * twice is an overlap at any moment.
 */
#define MT_THREADS	8
#define MT_ROUNDS	20
#define MT_OPS		3000	/* per thread and round */
#define MT_LIVE		64
#define MT_BOX		32
#define MT_END		((1UL << 14) - 1)
#define MT_WORDS	(MT_END / 64 + 1)

static struct {
	const struct variant *v;
	struct siommu_iova *iova;
	unsigned long end, limit;	/* the space's end, a low limit */
	unsigned long res_lo, res_hi;	/* the reservation */
	bool claims;
	unsigned long bits[MT_WORDS];
	pthread_barrier_t barrier;
	pthread_mutex_t box_lock;
	struct live_range box[MT_BOX];
	struct live_range live[MT_THREADS][MT_LIVE];
	unsigned long nlive[MT_THREADS];
} mt;

struct mt_worker {
	unsigned int cpu;
	unsigned long long seed;
	unsigned long errors, allocs, fails, passed;
};

static bool claim(unsigned long pfn, unsigned long n, bool set)
{
	bool ok = true;

	if (!mt.claims)
		return true;
	for (; n; n--, pfn++) {
		unsigned long bit = 1UL << (pfn % 64), old;

		if (set)
			old = __atomic_fetch_or(&mt.bits[pfn / 64], bit,
						__ATOMIC_RELAXED);
		else
			old = ~__atomic_fetch_and(&mt.bits[pfn / 64], ~bit,
						  __ATOMIC_RELAXED);
		if (old & bit)
			ok = false;
	}
	return ok;
}

/* Swap @r with mailbox slot @slot: n == 0 in either means none. */
static void mt_swap_box(unsigned int slot, struct live_range *r)
{
	struct live_range t;

	pthread_mutex_lock(&mt.box_lock);
	t = mt.box[slot];
	mt.box[slot] = *r;
	*r = t;
	pthread_mutex_unlock(&mt.box_lock);
}

static void mt_free(struct mt_worker *w, struct live_range *r)
{
	if (!claim(r->pfn, span(mt.v, r->n), false))
		w->errors++;
	if (mt.v->ops->free(mt.iova, r->pfn, r->n))
		w->errors++;
}

static void mt_alloc(struct mt_worker *w, struct live_range *live,
		     unsigned long *nlive)
{
	unsigned long n, pfn, limit, top;

	n = rnd(&w->seed) % 16 ? 1 + rnd(&w->seed) % 32 :
				 1 + rnd(&w->seed) % 100;
	limit = rnd(&w->seed) % 4 ? ULONG_MAX : mt.limit;
	top = limit < mt.end ? limit : mt.end;
	pfn = mt.v->ops->alloc(mt.iova, n, limit);
	if (!pfn) {
		w->fails++;
		return;
	}
	w->allocs++;
	if (pfn + span(mt.v, n) - 1 > top || pfn % align_of(n) ||
	    hits(pfn, span(mt.v, n), mt.res_lo, mt.res_hi) ||
	    !claim(pfn, span(mt.v, n), true))
		w->errors++;
	live[(*nlive)++] = (struct live_range){ pfn, n };
}

static void *mt_work(void *arg)
{
	struct mt_worker *w = arg;
	struct live_range *live = mt.live[w->cpu], r;
	unsigned long nlive = 0, i, op, round;

	shim_set_cpu(w->cpu);
	for (round = 0; round < MT_ROUNDS; round++) {
		for (op = 0; op < MT_OPS && (w->cpu || !round); op++) {
			if (nlive < MT_LIVE &&
			    (nlive == 0 || rnd(&w->seed) & 1)) {
				mt_alloc(w, live, &nlive);
			} else if (rnd(&w->seed) % 4 == 0) {
				/* Post one, take what was there: free it. */
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
		/* CPU 0 leaves with nothing out: it goes offline. */
		while (!w->cpu && nlive)
			mt_free(w, &live[--nlive]);
		mt.nlive[w->cpu] = nlive;
		pthread_barrier_wait(&mt.barrier);	/* main checks */
		pthread_barrier_wait(&mt.barrier);
	}
	while (nlive)
		mt_free(w, &live[--nlive]);
	return NULL;
}

/* Every range live in a thread or the mailbox: overlaps, the count. */
static void mt_check(unsigned long *overlaps, unsigned long *out_bad)
{
	static struct live_range all[MT_THREADS * MT_LIVE + MT_BOX];
	unsigned long nall = 0, t;

	for (t = 0; t < MT_THREADS; t++) {
		memcpy(all + nall, mt.live[t], mt.nlive[t] * sizeof(*all));
		nall += mt.nlive[t];
	}
	for (t = 0; t < MT_BOX; t++)
		if (mt.box[t].n)
			all[nall++] = mt.box[t];
	*overlaps += overlapping(mt.v, all, nall);
	if (mt.v->ops->outstanding(mt.iova) != nall)
		(*out_bad)++;
}

static void test_concurrent(const struct variant *v)
{
	const struct siommu_iova_ops *ops = v->ops;
	struct mt_worker w[MT_THREADS];
	pthread_t tid[MT_THREADS];
	unsigned long errors = 0, allocs = 0, passed = 0, fails = 0;
	unsigned long overlaps = 0, out_bad = 0, got = 0, p, half;
	unsigned int t, round;

	memset(&mt, 0, sizeof(mt));
	mt.v = v;
	mt.end = end_for(v, MT_END);
	mt.limit = mt.end / 2;
	mt.claims = mt.end == MT_END;
	mt.iova = ops->create(1, mt.end);
	/*
	 * Around where the first ranges land: for kmalloc, 1 MiB either side
	 * of a small object (the sanitizers' allocators hand out a size
	 * class's objects in address order from one region), so that they
	 * are quarantined by all threads at once.
	 */
	half = mt.end / 128 < (1UL << 20) ? mt.end / 128 : 1UL << 20;
	mt.res_lo = v->landing(mt.end) - half;
	mt.res_hi = mt.res_lo + 2 * half;
	ops->reserve(mt.iova, mt.res_lo, mt.res_hi);
	pthread_barrier_init(&mt.barrier, NULL, MT_THREADS + 1);
	pthread_mutex_init(&mt.box_lock, NULL);
	for (t = 0; t < MT_THREADS; t++) {
		w[t] = (struct mt_worker){ .cpu = t, .seed = t + 11 };
		pthread_create(&tid[t], NULL, mt_work, &w[t]);
	}
	for (round = 0; round < MT_ROUNDS; round++) {
		pthread_barrier_wait(&mt.barrier);
		mt_check(&overlaps, &out_bad);
		pthread_barrier_wait(&mt.barrier);
		/* CPU 0 goes offline while the others allocate. */
		if (!round && ops->cpu_dead)
			ops->cpu_dead(mt.iova, 0);
	}
	for (t = 0; t < MT_THREADS; t++) {
		pthread_join(tid[t], NULL);
		errors += w[t].errors;
		allocs += w[t].allocs;
		passed += w[t].passed;
		fails += w[t].fails;
	}
	pthread_barrier_destroy(&mt.barrier);
	/* What is left in the mailbox, freed on CPU 9. */
	shim_set_cpu(9);
	for (t = 0; t < MT_BOX; t++)
		if (mt.box[t].n) {
			if (!claim(mt.box[t].pfn, span(v, mt.box[t].n), false) ||
			    ops->free(mt.iova, mt.box[t].pfn, mt.box[t].n))
				errors++;
			mt.box[t].n = 0;
		}
	shim_set_cpu(0);
	harness_diag("%s: %lu allocations, %lu failed, %lu passed on",
		     v->name, allocs, fails, passed);
	EXPECT(errors == 0, "%lu errors in %lu allocations", errors, allocs);
	EXPECT(overlaps == 0, "%lu overlaps across threads", overlaps);
	EXPECT(out_bad == 0, "outstanding wrong in %lu rounds", out_bad);
	EXPECT(allocs > 150000, "only %lu allocations", allocs);
	EXPECT(passed > 10000, "only %lu passed between threads", passed);
	EXPECT(ops->outstanding(mt.iova) == 0, "%lu out",
	       ops->outstanding(mt.iova));
	if (v->quarantines)
		EXPECT(shim_kmalloc_outstanding() > 1, "none quarantined");
	drain(v, mt.iova);
	if (v->exact) {
		/* Drained, every page outside the reservation is free. */
		while ((p = ops->alloc(mt.iova, 1, ULONG_MAX)))
			got++;
		EXPECT(got == mt.end - (mt.res_hi - mt.res_lo + 1),
		       "%lu pages free after drain", got);
	}
	ops->destroy(mt.iova);
	no_leak();
}

/* Where the next small kmalloc() objects land: a fresh one's offset. */
static unsigned long landing_heap(unsigned long end)
{
	void *p = kmalloc(8, GFP_KERNEL);
	unsigned long off = (unsigned long)p - SIOMMU_DIRECT_MAP_BASE;

	kfree(p);
	return off;
}

/* An exact allocator fills the space: anywhere is in the way. */
static unsigned long landing_middle(unsigned long end)
{
	return end / 2;
}

static const struct variant variants[] = {
	{
		.name = "rbtree", .ops = &siommu_iova_rbtree_ops,
		.exact = true, .top_down = true, .caches = true,
		.strict_free = true, .destroy_reclaims = true,
		.create_allocs = 1, .landing = landing_middle,
	}, {
		.name = "kmalloc", .ops = &siommu_iova_kmalloc_ops,
		.min_end = WIDE_END, .create_allocs = 1,
		.landing = landing_heap, .quarantines = true,
	}, {
		.name = "magazine", .ops = &siommu_iova_magazine_ops,
		.exact = true, .top_down = true, .caches = true,
		.destroy_reclaims = true, .class_pages = 32,
		.create_allocs = 100, .landing = landing_middle,
	},
};

static const HARNESS_VARIANT_CASE(struct variant) cases[] = {
	HARNESS_CASE(test_create),
	HARNESS_CASE(test_bad_free),
	HARNESS_CASE(test_random),
	HARNESS_CASE(test_reserve),
	HARNESS_CASE(test_exhaustion),
	HARNESS_CASE(test_limits),
	HARNESS_CASE(test_reuse),
	HARNESS_CASE(test_alloc_failure),
	HARNESS_CASE(test_fail_alloc_knob),
	HARNESS_CASE(test_destroy_outstanding),
	HARNESS_CASE(test_concurrent),
};

int main(int argc, char **argv)
{
	harness_start(argc, argv, HARNESS_NR_VARIANT_CASES(cases, variants));
	HARNESS_RUN_VARIANTS(cases, variants);
	return harness_finish();
}
