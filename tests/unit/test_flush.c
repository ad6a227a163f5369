// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the invalidation policies (src/dma/inval/: strict, deferred,
 * percpu and the batches they share), compiled unchanged over the shim,
 * a stand-in domain (flush_shim/dma/domain.h) and a fake unit (stub_hw.c).
 *
 * Every range goes through a "checked" allocator: an ops table around a
 * real one (rbtree or magazine) that notes, when a range is unmapped, the
 * number the unit's next invalidation will take, and on free checks that
 * an invalidation of that number or later, covering the range, has
 * completed.  Its notes are plain memory: a policy that hands a range to
 * another CPU without ordering the two is a data race ThreadSanitizer
 * reports.  Built twice: ASan+UBSan, and TSan for the concurrent test.
 *
 * The policy contract (src/dma/inval/policy.h) is written once and run over
 * every policy of the module's table, siommu_inval_policies[], each over
 * both allocators, as "<policy>.<allocator>.<case>"; what one policy does
 * in its own way (strict's one range invalidation per unmap, the batches
 * of deferred and percpu, their CPUs) follows, as "<allocator>.<test>".
 * The first case sets every policy up through the table, the last tears
 * them down and checks that nothing is left.
 */
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "shim.h"

#include <linux/ktime.h>

#include "dma/domain.h"
#include "dma/inval/batch.h"
#include "base/stats.h"

#define SPACE		(1UL << 16)	/* pfns [1, SPACE) */

struct checked {
	struct siommu_iova base;
	struct siommu_iova *inner;
	struct siommu_domain *dom;
	u64 *token;		/* by first pfn: 1 + unmap token, 0: none */
	long unmapped, freed;	/* atomics */
	long early;		/* freed before an invalidation covered it */
	long stray;		/* freed without having been unmapped */
};

static int checked_free(struct siommu_iova *iova, unsigned long pfn,
			unsigned long npages)
{
	struct checked *c = container_of(iova, struct checked, base);
	struct siommu_domain *dom = c->dom;
	u64 t = c->token[pfn];

	if (!t)
		__atomic_fetch_add(&c->stray, 1, __ATOMIC_RELAXED);
	else if (!stub_covered(dom->unit, t - 1, dom->did, pfn, npages))
		__atomic_fetch_add(&c->early, 1, __ATOMIC_RELAXED);
	c->token[pfn] = 0;
	__atomic_fetch_add(&c->freed, 1, __ATOMIC_RELAXED);
	return c->inner->ops->free(c->inner, pfn, npages);
}

static unsigned long checked_outstanding(struct siommu_iova *iova)
{
	struct checked *c = container_of(iova, struct checked, base);

	return c->inner->ops->outstanding(c->inner);
}

static const struct siommu_iova_ops checked_ops = {
	.name = "checked",
	.free = checked_free,
	.outstanding = checked_outstanding,
};

static struct checked *checked_new(const struct siommu_iova_ops *inner,
				   struct siommu_domain *dom)
{
	struct checked *c = calloc(1, sizeof(*c));

	c->base = (struct siommu_iova){ .ops = &checked_ops, .start_pfn = 1,
					.end_pfn = SPACE - 1 };
	c->inner = inner->create(1, SPACE - 1);
	c->dom = dom;
	c->token = calloc(SPACE, sizeof(*c->token));
	return c;
}

/* Unmapped and not yet freed. */
static long pending(struct checked *c)
{
	return __atomic_load_n(&c->unmapped, __ATOMIC_RELAXED) -
	       __atomic_load_n(&c->freed, __ATOMIC_RELAXED);
}

static unsigned long map(struct checked *c, unsigned long npages)
{
	return c->inner->ops->alloc(c->inner, npages, SPACE - 1);
}

static void unmap(const struct siommu_inval_policy *pol, struct checked *c,
		  unsigned long pfn, unsigned long npages)
{
	c->token[pfn] = 1 + stub_unit_token(c->dom->unit);
	__atomic_fetch_add(&c->unmapped, 1, __ATOMIC_RELAXED);
	pol->unmapped(&c->dom->xl, &c->base, pfn, npages, &stub_unmapped);
}

/* Map then unmap @n one-page ranges on the calling thread's CPU. */
static void churn(const struct siommu_inval_policy *pol, struct checked *c,
		  unsigned int n)
{
	while (n--)
		unmap(pol, c, map(c, 1), 1);
}

/* A range a failed invalidation leaked: give it back by hand. */
static void reclaim(struct checked *c, unsigned long pfn, unsigned long n)
{
	c->token[pfn] = 0;
	c->unmapped--;
	c->inner->ops->free(c->inner, pfn, n);
}

/* No premature or stray free, nothing pending or outstanding; frees @c. */
static void checked_done(struct checked *c, const char *what)
{
	EXPECT(!c->early, "%s: %ld ranges freed before their flush", what,
	       c->early);
	EXPECT(!c->stray, "%s: %ld ranges freed never unmapped", what,
	       c->stray);
	EXPECT(pending(c) == 0, "%s: %ld ranges still pending", what,
	       pending(c));
	if (c->inner->ops->drain)
		c->inner->ops->drain(c->inner);
	EXPECT(c->inner->ops->outstanding(c->inner) == 0,
	       "%s: %lu ranges outstanding", what,
	       c->inner->ops->outstanding(c->inner));
	c->inner->ops->destroy(c->inner);
	free(c->token);
	free(c);
}

/* The allocators the checked one wraps. */
struct alloc_variant {
	const char *name;
	const struct siommu_iova_ops *ops;
};

static const struct alloc_variant allocators[] = {
	{ "rbtree", &siommu_iova_rbtree_ops },
	{ "magazine", &siommu_iova_magazine_ops },
};

static struct siommu_unit unit0, unit1;
static struct siommu_domain dom0 = STUB_DOMAIN(&unit0, 3);
static struct siommu_domain dom1 = STUB_DOMAIN(&unit1, 4);
/* More domains on unit0, for batches that touch many. */
static struct siommu_domain doms0[] = {
	STUB_DOMAIN(&unit0, 5), STUB_DOMAIN(&unit0, 6), STUB_DOMAIN(&unit0, 7),
	STUB_DOMAIN(&unit0, 8), STUB_DOMAIN(&unit0, 9),
};

/* A batch's wide invalidations: domain-selective or global. */
static unsigned long wide(struct siommu_unit *unit)
{
	return stub_global_flushes(unit) + stub_domain_flushes(unit);
}

static void set_batch(unsigned int n)
{
	__atomic_store_n(&siommu_batch_size, n, __ATOMIC_RELAXED);
}

static void test_strict(const struct alloc_variant *a)
{
	const struct siommu_inval_policy *pol = &siommu_inval_strict;
	struct checked *c = checked_new(a->ops, &dom0);
	unsigned long r0 = stub_range_flushes(&unit0);
	unsigned long g0 = stub_global_flushes(&unit0);
	unsigned long t0 = stub_trace_flushes();
	unsigned long pfn, i, n;
	bool each = true;

	for (i = 0; i < 200; i++) {
		n = 1 + i % 5;
		pfn = map(c, n);
		unmap(pol, c, pfn, n);
		each &= stub_range_flushes(&unit0) == r0 + i + 1 &&
			pending(c) == 0 && !c->early;
	}
	EXPECT(each, "strict: not one covering flush then a free per unmap");
	EXPECT(stub_global_flushes(&unit0) == g0, "strict: a global flush");
	EXPECT(stub_trace_flushes() == t0 + 200, "strict: %lu traced",
	       stub_trace_flushes() - t0);

	pol->drain();
	checked_done(c, "strict");
}

/* Batching common to deferred and percpu, all on one CPU. */
static void test_batching(const struct siommu_inval_policy *pol,
			  const struct siommu_iova_ops *a)
{
	struct checked *c = checked_new(a, &dom0), *c1;
	unsigned long g = wide(&unit0), g1, batched;
	unsigned long pfn[4];
	bool bounded = true;
	unsigned int i, n;

	shim_set_cpu(5);
	set_batch(8);
	churn(pol, c, 7);
	EXPECT(pending(c) == 7 && wide(&unit0) == g,
	       "%s: flushed before batch_size", pol->name);
	EXPECT(shim_timers_armed() >= 1, "%s: no timer armed", pol->name);
	batched = siommu_stats.v[SIOMMU_STAT_BATCHED];
	churn(pol, c, 1);
	EXPECT(pending(c) == 0 && wide(&unit0) == g + 1,
	       "%s: batch of 8: %ld pending, %lu flushes", pol->name,
	       pending(c), wide(&unit0) - g);
	EXPECT(siommu_stats.v[SIOMMU_STAT_BATCHED] == batched + 8,
	       "%s: batched stat", pol->name);

	/* Never batch_size or more pending, whatever the sizes. */
	set_batch(13);
	for (i = 0; i < 2000; i++) {
		unsigned long n = 1 + i % 3;

		unmap(pol, c, map(c, n), n);
		bounded &= pending(c) < 13;
	}
	EXPECT(bounded, "%s: more than batch_size - 1 pending", pol->name);
	pol->drain();

	/* The largest batch, and batch_size 1. */
	set_batch(SIOMMU_BATCH_MAX);
	churn(pol, c, SIOMMU_BATCH_MAX - 1);
	EXPECT(pending(c) == SIOMMU_BATCH_MAX - 1, "%s: max batch",
	       pol->name);
	churn(pol, c, 1);
	EXPECT(pending(c) == 0, "%s: max batch not flushed", pol->name);
	set_batch(1);
	g = wide(&unit0);
	churn(pol, c, 10);
	EXPECT(pending(c) == 0 && wide(&unit0) == g + 10,
	       "%s: batch_size 1", pol->name);

	/* A smaller batch_size takes effect at the next unmap. */
	set_batch(250);
	churn(pol, c, 20);
	set_batch(5);
	churn(pol, c, 1);
	EXPECT(pending(c) == 0, "%s: lowered batch_size ignored", pol->name);

	/* A drain: one global invalidation for the batch. */
	set_batch(250);
	churn(pol, c, 5);
	g = wide(&unit0);
	pol->drain();
	EXPECT(pending(c) == 0 && wide(&unit0) == g + 1,
	       "%s: drain", pol->name);

	/* One global flush per unit in a batch; a failing unit leaks. */
	c1 = checked_new(a, &dom1);
	set_batch(8);
	g = wide(&unit0);
	g1 = wide(&unit1);
	for (i = 0; i < 4; i++) {
		churn(pol, c, 1);
		churn(pol, c1, 1);
	}
	EXPECT(wide(&unit0) == g + 1 &&
	       wide(&unit1) == g1 + 1 &&
	       pending(c) == 0 && pending(c1) == 0,
	       "%s: two units, one batch", pol->name);
	set_batch(4);
	unit1.fail = true;
	for (i = 0; i < 2; i++) {
		churn(pol, c, 1);
		pfn[i] = map(c1, 1);
		unmap(pol, c1, pfn[i], 1);
	}
	unit1.fail = false;
	EXPECT(pending(c) == 0 && pending(c1) == 2 &&
	       c1->inner->ops->outstanding(c1->inner) == 2,
	       "%s: failing unit's ranges not kept", pol->name);
	for (i = 0; i < 2; i++)
		reclaim(c1, pfn[i], 1);
	checked_done(c1, pol->name);

	/*
	 * Domain-selective while a batch touches at most 4 domains of a
	 * unit, one each; one global for the unit past that.
	 */
	for (n = 2; n <= 5; n += 3) {
		struct checked *cs[HARNESS_ARRAY_SIZE(doms0)];
		unsigned long d = stub_domain_flushes(&unit0);

		g = stub_global_flushes(&unit0);
		set_batch(2 * n);
		for (i = 0; i < n; i++)
			cs[i] = checked_new(a, &doms0[i]);
		for (i = 0; i < 2 * n; i++)
			churn(pol, cs[i % n], 1);
		EXPECT(stub_domain_flushes(&unit0) - d == (n <= 4 ? n : 0) &&
		       stub_global_flushes(&unit0) - g == (n <= 4 ? 0 : 1),
		       "%s: %u domains in a batch: %lu domain, %lu global flushes",
		       pol->name, n, stub_domain_flushes(&unit0) - d,
		       stub_global_flushes(&unit0) - g);
		for (i = 0; i < n; i++)
			checked_done(cs[i], pol->name);
	}

	/* The timer: not before the timeout (after it, the contract's). */
	set_batch(250);
	shim_timers_run(true);		/* stale ones, of earlier tests */
	churn(pol, c, 3);
	EXPECT(shim_timers_run(false) == 0 && pending(c) == 3,
	       "%s: timer fired early", pol->name);
	pol->drain();

	set_batch(SIOMMU_BATCH_DEFAULT);
	shim_set_cpu(0);
	checked_done(c, pol->name);
}

/* Two CPUs: deferred shares one batch, percpu keeps one each. */
static void test_cpus(const struct alloc_variant *a)
{
	struct checked *c = checked_new(a->ops, &dom0);

	set_batch(8);
	shim_set_cpu(1);
	churn(&siommu_inval_deferred, c, 4);
	shim_set_cpu(2);
	churn(&siommu_inval_deferred, c, 4);
	EXPECT(pending(c) == 0, "deferred: CPUs' unmaps not in one batch");

	shim_set_cpu(1);
	churn(&siommu_inval_percpu, c, 7);
	shim_set_cpu(2);
	churn(&siommu_inval_percpu, c, 7);
	EXPECT(pending(c) == 14, "percpu: CPUs share a batch");
	shim_set_cpu(1);
	churn(&siommu_inval_percpu, c, 1);
	EXPECT(pending(c) == 7, "percpu: CPU 1's batch of 8: %ld pending",
	       pending(c));
	/* A drain from a third CPU flushes CPU 2's batch. */
	shim_set_cpu(3);
	siommu_inval_percpu.drain();
	EXPECT(pending(c) == 0, "percpu: drain left %ld", pending(c));

	set_batch(SIOMMU_BATCH_DEFAULT);
	shim_set_cpu(0);
	checked_done(c, "cpus");
}

/* ---- the policy contract, over every policy ---- */

struct policy_variant {
	char name[32];			/* "policy.allocator" */
	const struct siommu_inval_policy *pol;
	const struct siommu_iova_ops *alloc;
};

/*
 * Ranges of every size unmapped on several CPUs, each freed only after an
 * invalidation covering it completed (checked_done() counts the others);
 * a drain from another CPU finishes them all, and a drain with nothing
 * pending invalidates nothing.
 */
static void test_finished(const struct policy_variant *v)
{
	struct checked *c = checked_new(v->alloc, &dom0);
	unsigned long i, n, g, r;

	for (i = 0; i < 1000; i++) {
		shim_set_cpu(1 + i % 3);
		n = 1 + i % 7;
		unmap(v->pol, c, map(c, n), n);
	}
	shim_set_cpu(4);
	v->pol->drain();
	EXPECT(pending(c) == 0, "%s: %ld pending after drain", v->name,
	       pending(c));
	g = wide(&unit0);
	r = stub_range_flushes(&unit0);
	v->pol->drain();
	EXPECT(wide(&unit0) == g &&
	       stub_range_flushes(&unit0) == r, "%s: an empty drain flushed",
	       v->name);
	shim_set_cpu(0);
	checked_done(c, v->name);
}

/* A failed invalidation: its ranges are never freed (leaked for good). */
static void test_failed_inval(const struct policy_variant *v)
{
	struct checked *c = checked_new(v->alloc, &dom0);
	unsigned long pfn[2];
	unsigned int i;

	shim_set_cpu(1);
	unit0.fail = true;
	for (i = 0; i < 2; i++) {
		pfn[i] = map(c, 2);
		unmap(v->pol, c, pfn[i], 2);
	}
	v->pol->drain();
	unit0.fail = false;
	EXPECT(pending(c) == 2 && c->inner->ops->outstanding(c->inner) == 2,
	       "%s: a range freed after a failed flush", v->name);
	for (i = 0; i < 2; i++)
		reclaim(c, pfn[i], 2);
	shim_set_cpu(0);
	checked_done(c, v->name);
}

/* With no further call, every unmap is finished within the timeout. */
static void test_timeout(const struct policy_variant *v)
{
	struct checked *c = checked_new(v->alloc, &dom0);

	set_batch(250);
	shim_timers_run(true);		/* stale ones, of earlier tests */
	shim_set_cpu(2);
	churn(v->pol, c, 3);
	shim_clock_advance((u64)(siommu_flush_timeout_us + 8000) *
			   NSEC_PER_USEC);
	shim_timers_run(false);
	EXPECT(pending(c) == 0, "%s: %ld pending after the timeout", v->name,
	       pending(c));
	set_batch(SIOMMU_BATCH_DEFAULT);
	shim_set_cpu(0);
	checked_done(c, v->name);
}

/*
 * age_us: 0 with nothing pending, else how long the oldest unmap has
 * waited, and never more than the oldest over every policy.  A policy
 * without the hook keeps nothing waiting.
 */
static void test_age(const struct policy_variant *v)
{
	struct checked *c = checked_new(v->alloc, &dom0);
	u64 age;

	set_batch(250);
	v->pol->drain();
	shim_set_cpu(3);
	if (v->pol->age_us)
		EXPECT(v->pol->age_us() == 0, "%s: age with nothing pending",
		       v->name);
	churn(v->pol, c, 1);
	shim_clock_advance(5 * NSEC_PER_MSEC);
	if (!v->pol->age_us) {
		EXPECT(pending(c) == 0, "%s: no age_us, yet an unmap waits",
		       v->name);
	} else {
		age = v->pol->age_us();
		/* The oldest over every policy: this one's or a later one. */
		EXPECT(siommu_inval_policies_oldest_age_us() >= age,
		       "%s: oldest age %llu us", v->name,
		       (unsigned long long)siommu_inval_policies_oldest_age_us());
		EXPECT(pending(c) ? age >= 5000 && age < 100000 : age == 0,
		       "%s: age %llu us, %ld pending", v->name,
		       (unsigned long long)age, pending(c));
		v->pol->drain();
		age = v->pol->age_us();
		EXPECT(age == 0, "%s: age %llu us after drain", v->name,
		       (unsigned long long)age);
	}
	v->pol->drain();
	set_batch(SIOMMU_BATCH_DEFAULT);
	shim_set_cpu(0);
	checked_done(c, v->name);
}

/*
 * Stress: NR_WORKERS threads, each its own CPU, map and unmap through one
 * policy into two domains on two units; another CPU plays the timer
 * softirq, drains now and then and changes batch_size under them.
 */
#define NR_WORKERS	6
#define RING		8
#define STRESS_OPS	15000

struct stress {
	const struct siommu_inval_policy *pol;
	struct checked *c[2];
	int stop;
	long bad_map;
};

struct worker {
	struct stress *s;
	unsigned int cpu;
};

static void *stress_worker(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct checked *c = s->c[w->cpu % 2];
	unsigned long pfn[RING] = { 0 }, n[RING] = { 0 };
	unsigned int i, h;

	shim_set_cpu(w->cpu);
	for (i = 0; i < STRESS_OPS; i++) {
		h = i % RING;
		if (pfn[h])
			unmap(s->pol, c, pfn[h], n[h]);
		n[h] = 1 + (i * 7 + w->cpu) % 4;
		pfn[h] = map(c, n[h]);
		if (!pfn[h])
			__atomic_fetch_add(&s->bad_map, 1, __ATOMIC_RELAXED);
	}
	for (h = 0; h < RING; h++)
		if (pfn[h])
			unmap(s->pol, c, pfn[h], n[h]);
	return NULL;
}

static void *stress_softirq(void *arg)
{
	struct stress *s = arg;
	unsigned int i = 0;

	shim_set_cpu(0);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		shim_clock_advance(NSEC_PER_MSEC);
		shim_timers_run(false);
		if (++i % 16 == 0)
			s->pol->drain();
		if (i % 8 == 0)
			set_batch(1 + i % 64);
		if (s->pol->age_us)
			s->pol->age_us();
	}
	return NULL;
}

static void test_stress(const struct policy_variant *v)
{
	const struct siommu_inval_policy *pol = v->pol;
	const struct siommu_iova_ops *a = v->alloc;
	struct stress s = { .pol = pol };
	struct worker w[NR_WORKERS];
	pthread_t tid[NR_WORKERS], irq;
	char what[64];
	unsigned int i;

	s.c[0] = checked_new(a, &dom0);
	s.c[1] = checked_new(a, &dom1);
	pthread_create(&irq, NULL, stress_softirq, &s);
	for (i = 0; i < NR_WORKERS; i++) {
		w[i] = (struct worker){ .s = &s, .cpu = i + 1 };
		pthread_create(&tid[i], NULL, stress_worker, &w[i]);
	}
	for (i = 0; i < NR_WORKERS; i++)
		pthread_join(tid[i], NULL);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(irq, NULL);
	pol->drain();
	set_batch(SIOMMU_BATCH_DEFAULT);

	snprintf(what, sizeof(what), "stress %s+%s", a->name, pol->name);
	EXPECT(!s.bad_map, "%s: %ld maps failed", what, s.bad_map);
	EXPECT(s.c[0]->unmapped + s.c[1]->unmapped ==
	       NR_WORKERS * (long)STRESS_OPS, "%s: lost unmaps", what);
	checked_done(s.c[0], what);
	checked_done(s.c[1], what);
}

static void test_batching_deferred(const struct alloc_variant *a)
{
	test_batching(&siommu_inval_deferred, a->ops);
}

static void test_batching_percpu(const struct alloc_variant *a)
{
	test_batching(&siommu_inval_percpu, a->ops);
}

/* What one policy does in its own way, over each allocator. */
static const HARNESS_VARIANT_CASE(struct alloc_variant) own_cases[] = {
	HARNESS_CASE(test_strict),
	HARNESS_CASE(test_batching_deferred),
	HARNESS_CASE(test_batching_percpu),
	HARNESS_CASE(test_cpus),
};

static const HARNESS_VARIANT_CASE(struct policy_variant) contract_cases[] = {
	HARNESS_CASE(test_finished),
	HARNESS_CASE(test_failed_inval),
	HARNESS_CASE(test_timeout),
	HARNESS_CASE(test_age),
	HARNESS_CASE(test_stress),
};

#define MAX_POLICIES	8

int main(int argc, char **argv)
{
	static struct policy_variant variants[MAX_POLICIES *
					      HARNESS_ARRAY_SIZE(allocators)];
	long kmalloc0 = shim_kmalloc_outstanding();
	unsigned int a, p, n = 0;

	for (p = 0; p < siommu_nr_inval_policies && p < MAX_POLICIES; p++)
		for (a = 0; a < HARNESS_ARRAY_SIZE(allocators); a++) {
			struct policy_variant *v = &variants[n++];

			v->pol = siommu_inval_policies[p];
			v->alloc = allocators[a].ops;
			snprintf(v->name, sizeof(v->name), "%s.%s",
				 v->pol->name, allocators[a].name);
		}
	stub_flush_spin = 20;
	stub_unit_init(&unit0, 0);
	stub_unit_init(&unit1, 1);
	harness_start(argc, argv, 2 + HARNESS_ARRAY_SIZE(contract_cases) * n +
		      HARNESS_NR_VARIANT_CASES(own_cases, allocators));
	EXPECT(siommu_nr_inval_policies <= MAX_POLICIES, "%u policies",
	       siommu_nr_inval_policies);
	if (harness_begin("init")) {
		EXPECT(siommu_inval_policies_init() == 0, "policies init");
		harness_end();
	}
	HARNESS_RUN_VARIANTS_N(contract_cases, variants, n);
	HARNESS_RUN_VARIANTS(own_cases, allocators);
	if (harness_begin("exit")) {
		siommu_inval_policies_exit();
		EXPECT(shim_timers_armed() == 0, "%u timers armed after exit",
		       shim_timers_armed());
		EXPECT(shim_kmalloc_outstanding() == kmalloc0,
		       "%ld objects leaked",
		       shim_kmalloc_outstanding() - kmalloc0);
		harness_end();
	}
	return harness_finish();
}
