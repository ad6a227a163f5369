// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace scaling benchmark of allocator x invalidation policy pairs:
 * src/dma/iova/ and src/dma/inval/ over the shim, a stand-in domain and the
 * fake unit of stub_hw.c, built with -O2 and no sanitizers.
 *
 *   bench_pairs [-t MAXTHREADS | -T N,N,...] [-d SECONDS] [-f SPIN] [-b BATCH]
 *	For each allocator, each policy and 1..MAXTHREADS threads (default
 *	nproc; -T: just those counts), one allocator instance and one domain
 *	shared by all threads; each thread keeps a ring of RING one-page
 *	ranges "mapped" and, per op, unmaps the oldest through the policy
 *	(which frees it once an invalidation covers it) and allocates its
 *	successor.  Prints CSV:
 *	allocator,policy,threads,ops_per_sec,ops_per_sec_per_thread
 *
 *   bench_pairs -c ALLOCATOR -p POLICY [-n PAIRS] [-f SPIN] [-b BATCH]
 *	One thread, PAIRS ops inside bench_ops(), for valgrind's
 *	--toggle-collect=bench_ops (tools/bench/bench-callgrind.sh); prints
 *	pairs_collected=N, all the ops made inside it.
 *
 *   bench_pairs -l | -L
 *	The allocators' (-l) or policies' (-L) names, one a line.
 *
 * An invalidation costs SPIN iterations of an empty loop (default
 * STUB_FLUSH_SPIN_DEFAULT, 1000: a few hundred ns, see stub_hw.c) under
 * the unit's lock, as the module holds reg_lock while the unit works.
 * No timer ever fires: batches fill (batch_size, default 250) long before
 * the 10 ms timeout, as on a busy machine.  Besides the shim's caveats
 * (bench_iova.c: kmalloc is glibc malloc, a spinlock a pthread mutex),
 * what is left out is the page table: the PTE writes and their cache
 * flushes cost the same whatever the pair.  Exit status 1 when an
 * allocation failed or a range was left outstanding after a drain.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dma/domain.h"
#include "dma/inval/batch.h"
#include "dma/iova/allocator.h"
#include "shim.h"
#include <linux/percpu.h>

static const struct siommu_iova_ops *const allocators[] = {
	&siommu_iova_rbtree_ops,
	&siommu_iova_magazine_ops,
	&siommu_iova_kmalloc_ops,
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Wide enough for kmalloc's pfns (heap addresses below 2^47). */
#define SPACE_START	1UL
#define SPACE_END	((1UL << 47) - 1)
/* Ranges each thread keeps mapped, like a NIC's descriptor ring. */
#define RING		32
#define MAX_THREADS	SHIM_NR_CPUS

static struct siommu_unit unit;
static struct siommu_domain dom = STUB_DOMAIN(&unit, 1);
static unsigned long fails;

struct ring {
	unsigned long pfn[RING];
	unsigned int head;
};

/* One op: unmap the oldest range through the policy, map its successor. */
static inline void step(const struct siommu_iova_ops *a,
			const struct siommu_inval_policy *p,
			struct siommu_iova *iova, struct ring *r)
{
	unsigned int h = r->head;

	if (r->pfn[h])
		p->unmapped(&dom.xl, iova, r->pfn[h], 1, &stub_unmapped);
	r->pfn[h] = a->alloc(iova, 1, ULONG_MAX);
	if (!r->pfn[h])
		__atomic_fetch_add(&fails, 1, __ATOMIC_RELAXED);
	r->head = (h + 1) % RING;
}

/* Kept out of line: valgrind collects inside it only. */
__attribute__((noinline))
void bench_ops(const struct siommu_iova_ops *a,
	       const struct siommu_inval_policy *p, struct siommu_iova *iova,
	       struct ring *r, unsigned long ops);
__attribute__((noinline))
void bench_ops(const struct siommu_iova_ops *a,
	       const struct siommu_inval_policy *p, struct siommu_iova *iova,
	       struct ring *r, unsigned long ops)
{
	while (ops--)
		step(a, p, iova, r);
}

static void ring_empty(const struct siommu_inval_policy *p,
		       struct siommu_iova *iova, struct ring *r)
{
	unsigned int i;

	for (i = 0; i < RING; i++)
		if (r->pfn[i])
			p->unmapped(&dom.xl, iova, r->pfn[i], 1,
				    &stub_unmapped);
}

static void set_cpu(unsigned int cpu)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % (ncpu > 0 ? ncpu : 1), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	shim_set_cpu(cpu);
}

struct worker {
	const struct siommu_iova_ops *a;
	const struct siommu_inval_policy *p;
	struct siommu_iova *iova;
	unsigned int cpu;
	unsigned long ops;
	pthread_t tid;
} __attribute__((aligned(64)));

static pthread_barrier_t start_line;
static int stop;

static void *work(void *arg)
{
	struct worker *w = arg;
	struct ring r;

	memset(&r, 0, sizeof(r));
	set_cpu(w->cpu);
	bench_ops(w->a, w->p, w->iova, &r, RING);	/* fill the ring */
	pthread_barrier_wait(&start_line);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		bench_ops(w->a, w->p, w->iova, &r, 256);
		w->ops += 256;
	}
	ring_empty(w->p, w->iova, &r);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct siommu_iova *make(const struct siommu_iova_ops *a)
{
	struct siommu_iova *iova;

	if (a->check_space && a->check_space(SPACE_START, SPACE_END)) {
		fprintf(stderr, "%s: space refused\n", a->name);
		return NULL;
	}
	iova = a->create(SPACE_START, SPACE_END);
	if (!iova)
		fprintf(stderr, "%s: create failed\n", a->name);
	return iova;
}

/* Drain the policy, then the allocator: 0, or 1 when a range is left. */
static int finish(const struct siommu_iova_ops *a,
		  const struct siommu_inval_policy *p, struct siommu_iova *iova)
{
	unsigned long left;

	p->drain();
	if (a->drain)
		a->drain(iova);
	left = a->outstanding(iova);
	a->destroy(iova);
	if (left)
		fprintf(stderr, "%s+%s: %lu ranges left outstanding\n",
			a->name, p->name, left);
	return left != 0;
}

static int run_point(const struct siommu_iova_ops *a,
		     const struct siommu_inval_policy *p, unsigned int threads,
		     double seconds)
{
	struct siommu_iova *iova = make(a);
	struct timespec nap;
	unsigned long total = 0;
	struct worker *w;
	double t0, t1;
	unsigned int i;

	if (!iova)
		return 1;
	w = aligned_alloc(64, threads * sizeof(*w));
	if (!w)
		return 1;
	stop = 0;
	pthread_barrier_init(&start_line, NULL, threads + 1);
	for (i = 0; i < threads; i++) {
		w[i] = (struct worker){ .a = a, .p = p, .iova = iova,
					.cpu = i };
		pthread_create(&w[i].tid, NULL, work, &w[i]);
	}
	pthread_barrier_wait(&start_line);
	t0 = now();
	nap.tv_sec = (time_t)seconds;
	nap.tv_nsec = (long)((seconds - nap.tv_sec) * 1e9);
	nanosleep(&nap, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].ops;
	}
	t1 = now();
	pthread_barrier_destroy(&start_line);
	free(w);
	printf("%s,%s,%u,%.0f,%.0f\n", a->name, p->name, threads,
	       total / (t1 - t0), total / (t1 - t0) / threads);
	fflush(stdout);
	return finish(a, p, iova);
}

static int run_callgrind(const struct siommu_iova_ops *a,
			 const struct siommu_inval_policy *p, unsigned long ops)
{
	struct siommu_iova *iova = make(a);
	unsigned long warm = 4 * siommu_batch_size + 4 * RING;
	struct ring r;

	if (!iova)
		return 1;
	memset(&r, 0, sizeof(r));
	set_cpu(0);
	/* Fill the ring, then a few batches: the steady state. */
	bench_ops(a, p, iova, &r, warm);
	bench_ops(a, p, iova, &r, ops);
	ring_empty(p, iova, &r);
	/* Every call is collected, the warm-up's too. */
	printf("pairs_collected=%lu\n", ops + warm);
	return finish(a, p, iova) || fails;
}

static const struct siommu_iova_ops *find_allocator(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(allocators); i++)
		if (!strcmp(allocators[i]->name, name))
			return allocators[i];
	return NULL;
}

static const struct siommu_inval_policy *find_policy(const char *name)
{
	unsigned int i;

	for (i = 0; i < siommu_nr_inval_policies; i++)
		if (!strcmp(siommu_inval_policies[i]->name, name))
			return siommu_inval_policies[i];
	return NULL;
}

static void usage(const char *me)
{
	fprintf(stderr,
		"usage: %s [-t MAXTHREADS | -T N,N,...] [-d SECONDS] [-f SPIN] [-b BATCH]\n"
		"       %s -c ALLOCATOR -p POLICY [-n PAIRS] [-f SPIN] [-b BATCH]\n"
		"       %s -l | -L\n", me, me, me);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int counts[MAX_THREADS], nr_counts = 0, a, p, t;
	long maxthreads = sysconf(_SC_NPROCESSORS_ONLN);
	const struct siommu_iova_ops *cg = NULL;
	const struct siommu_inval_policy *cg_pol = NULL;
	unsigned long pairs = 1000000;
	double seconds = 1.0;
	int opt, status = 0;
	char *s;

	while ((opt = getopt(argc, argv, "t:T:d:f:b:c:p:n:lL")) != -1) {
		switch (opt) {
		case 'l':
			for (a = 0; a < ARRAY_SIZE(allocators); a++)
				printf("%s\n", allocators[a]->name);
			return 0;
		case 'L':
			for (p = 0; p < siommu_nr_inval_policies; p++)
				printf("%s\n", siommu_inval_policies[p]->name);
			return 0;
		case 't':
			maxthreads = strtol(optarg, NULL, 0);
			break;
		case 'T':
			for (s = strtok(optarg, ","); s && nr_counts < MAX_THREADS;
			     s = strtok(NULL, ","))
				counts[nr_counts++] = strtoul(s, NULL, 0);
			break;
		case 'd':
			seconds = strtod(optarg, NULL);
			break;
		case 'f':
			stub_flush_spin = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			siommu_batch_size = strtoul(optarg, NULL, 0);
			if (siommu_batch_size < 1 ||
			    siommu_batch_size > SIOMMU_BATCH_MAX)
				usage(argv[0]);
			break;
		case 'c':
			cg = find_allocator(optarg);
			if (!cg)
				usage(argv[0]);
			break;
		case 'p':
			cg_pol = find_policy(optarg);
			if (!cg_pol)
				usage(argv[0]);
			break;
		case 'n':
			pairs = strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	stub_unit_init(&unit, 0);
	if (siommu_inval_policies_init())
		return 1;
	if (cg || cg_pol) {
		if (!cg || !cg_pol)
			usage(argv[0]);
		status = run_callgrind(cg, cg_pol, pairs);
		goto out;
	}
	if (!nr_counts) {
		if (maxthreads < 1 || maxthreads > MAX_THREADS)
			usage(argv[0]);
		for (t = 1; t <= maxthreads; t++)
			counts[nr_counts++] = t;
	}
	for (t = 0; t < nr_counts; t++)
		if (counts[t] < 1 || counts[t] > MAX_THREADS)
			usage(argv[0]);
	if (seconds <= 0)
		usage(argv[0]);

	printf("allocator,policy,threads,ops_per_sec,ops_per_sec_per_thread\n");
	for (a = 0; a < ARRAY_SIZE(allocators); a++)
		for (p = 0; p < siommu_nr_inval_policies; p++)
			for (t = 0; t < nr_counts; t++)
				status |= run_point(allocators[a], siommu_inval_policies[p],
						    counts[t], seconds);
	if (fails) {
		fprintf(stderr, "%lu allocations failed\n", fails);
		status = 1;
	}
out:
	siommu_inval_policies_exit();
	return status;
}
