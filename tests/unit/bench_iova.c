// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace scaling benchmark of the IOVA allocators, over the same shim
 * as the tests but built with -O2 and no sanitizers.
 *
 *   bench_iova [-t MAXTHREADS] [-d SECONDS]
 *	For each allocator, each size mix and 1..MAXTHREADS threads (default
 *	nproc), one instance shared by all threads; each thread keeps a ring
 *	of RING ranges outstanding, like a NIC's descriptor ring, and frees
 *	the oldest before allocating the next.  Prints CSV:
 *	allocator,threads,size,ops_per_sec,ops_per_sec_per_thread
 *	where an op is one alloc+free pair and size is "1" (one page) or
 *	"mix" (1, 2, 4 and 16 pages in turn).
 *
 *   bench_iova -c ALLOCATOR [-n PAIRS] [-s 1|mix]
 *	One thread, PAIRS pairs inside bench_pairs(), for valgrind's
 *	--toggle-collect=bench_pairs (tools/bench/bench-callgrind.sh); prints
 *	pairs_collected=N, all the pairs made inside it.
 *
 *   bench_iova -l
 *	The allocators' names, one a line.
 *
 * What runs under the allocators is the shim, not the kernel: kmalloc is
 * glibc malloc (per-thread tcache, not SLUB's per-CPU slabs) and a
 * spinlock is a pthread mutex.  Exit status 1 when an allocation failed
 * or a range was left outstanding.
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

#include "dma/iova/allocator.h"
#include "shim.h"

/* Add an allocator: one line. */
static const struct siommu_iova_ops *const allocators[] = {
	&siommu_iova_rbtree_ops,
	&siommu_iova_magazine_ops,
	&siommu_iova_kmalloc_ops,
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_ALLOCATORS	ARRAY_SIZE(allocators)

/* Wide enough for kmalloc's pfns (heap addresses below 2^47). */
#define SPACE_START	1UL
#define SPACE_END	((1UL << 47) - 1)
/* Ranges each thread keeps outstanding. */
#define RING		32

static const unsigned long mix[] = { 1, 2, 4, 16 };

struct size_mode {
	const char *name;
	unsigned int nr;	/* sizes taken in turn from mix[] */
};

static const struct size_mode modes[] = {
	{ "1", 1 },
	{ "mix", 4 },
};

struct ring {
	unsigned long pfn[RING], n[RING];
	unsigned int head;
	unsigned long seq;
};

/*
 * Run each thread as its own CPU, once the shim knows CPUs: the
 * per-CPU shim's emulated CPU is set to the same number.
 */
static void bench_set_cpu(unsigned int cpu)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % (ncpu > 0 ? ncpu : 1), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	/* Per-CPU state (magazines) belongs to this thread alone. */
	shim_set_cpu(cpu);
}

static unsigned long fails;

static void ring_fill(const struct siommu_iova_ops *ops,
		      struct siommu_iova *iova, struct ring *r,
		      const struct size_mode *m)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < RING; i++) {
		r->n[i] = mix[r->seq++ % m->nr];
		r->pfn[i] = ops->alloc(iova, r->n[i], ULONG_MAX);
		if (!r->pfn[i])
			__atomic_fetch_add(&fails, 1, __ATOMIC_RELAXED);
	}
}

static void ring_empty(const struct siommu_iova_ops *ops,
		       struct siommu_iova *iova, struct ring *r)
{
	unsigned int i;

	for (i = 0; i < RING; i++)
		if (r->pfn[i])
			ops->free(iova, r->pfn[i], r->n[i]);
}

/* One pair: free the oldest range, allocate its successor. */
static inline void ring_step(const struct siommu_iova_ops *ops,
			     struct siommu_iova *iova, struct ring *r,
			     const struct size_mode *m)
{
	unsigned int h = r->head;

	if (r->pfn[h])
		ops->free(iova, r->pfn[h], r->n[h]);
	r->n[h] = mix[r->seq++ % m->nr];
	r->pfn[h] = ops->alloc(iova, r->n[h], ULONG_MAX);
	if (!r->pfn[h])
		__atomic_fetch_add(&fails, 1, __ATOMIC_RELAXED);
	r->head = (h + 1) % RING;
}

/* Kept out of line: valgrind collects inside it only. */
__attribute__((noinline))
void bench_pairs(const struct siommu_iova_ops *ops, struct siommu_iova *iova,
		 struct ring *r, const struct size_mode *m,
		 unsigned long pairs);
__attribute__((noinline))
void bench_pairs(const struct siommu_iova_ops *ops, struct siommu_iova *iova,
		 struct ring *r, const struct size_mode *m,
		 unsigned long pairs)
{
	while (pairs--)
		ring_step(ops, iova, r, m);
}

/* Each on its own cache line: pairs is written while others run. */
struct worker {
	const struct siommu_iova_ops *ops;
	struct siommu_iova *iova;
	const struct size_mode *mode;
	unsigned int cpu;
	unsigned long pairs;
	pthread_t tid;
} __attribute__((aligned(64)));

static pthread_barrier_t start_line;
static int stop;

static void *work(void *arg)
{
	struct worker *w = arg;
	struct ring r;

	bench_set_cpu(w->cpu);
	ring_fill(w->ops, w->iova, &r, w->mode);
	pthread_barrier_wait(&start_line);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		bench_pairs(w->ops, w->iova, &r, w->mode, 256);
		w->pairs += 256;
	}
	ring_empty(w->ops, w->iova, &r);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct siommu_iova *make(const struct siommu_iova_ops *ops)
{
	struct siommu_iova *iova;

	if (ops->check_space && ops->check_space(SPACE_START, SPACE_END)) {
		fprintf(stderr, "%s: space refused\n", ops->name);
		return NULL;
	}
	iova = ops->create(SPACE_START, SPACE_END);
	if (!iova)
		fprintf(stderr, "%s: create failed\n", ops->name);
	return iova;
}

/* 0, or 1 when something went wrong. */
static int finish(const struct siommu_iova_ops *ops, struct siommu_iova *iova)
{
	unsigned long left;

	if (ops->drain)
		ops->drain(iova);
	left = ops->outstanding(iova);
	ops->destroy(iova);
	if (left)
		fprintf(stderr, "%s: %lu ranges left outstanding\n", ops->name,
			left);
	return left != 0;
}

static int run_point(const struct siommu_iova_ops *ops,
		     const struct size_mode *m, unsigned int threads,
		     double seconds)
{
	struct siommu_iova *iova = make(ops);
	struct worker *w;
	struct timespec nap;
	unsigned long total = 0;
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
		w[i] = (struct worker){ .ops = ops, .iova = iova, .mode = m,
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
		total += w[i].pairs;
	}
	t1 = now();
	pthread_barrier_destroy(&start_line);
	free(w);
	printf("%s,%u,%s,%.0f,%.0f\n", ops->name, threads, m->name,
	       total / (t1 - t0), total / (t1 - t0) / threads);
	fflush(stdout);
	return finish(ops, iova);
}

static const struct siommu_iova_ops *find_ops(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_ALLOCATORS; i++)
		if (!strcmp(allocators[i]->name, name))
			return allocators[i];
	return NULL;
}

static const struct size_mode *find_mode(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

static int run_callgrind(const struct siommu_iova_ops *ops,
			 const struct size_mode *m, unsigned long pairs)
{
	struct siommu_iova *iova = make(ops);
	struct ring r;

	if (!iova)
		return 1;
	bench_set_cpu(0);
	ring_fill(ops, iova, &r, m);
	/* Warm up: caches and freelists in their steady state. */
	bench_pairs(ops, iova, &r, m, 4 * RING);
	bench_pairs(ops, iova, &r, m, pairs);
	ring_empty(ops, iova, &r);
	/* Every call is collected, the warm-up's too. */
	printf("pairs_collected=%lu\n", pairs + 4 * RING);
	return finish(ops, iova) || fails;
}

static void usage(const char *me)
{
	fprintf(stderr,
		"usage: %s [-t MAXTHREADS] [-d SECONDS]\n"
		"       %s -c ALLOCATOR [-n PAIRS] [-s 1|mix]\n"
		"       %s -l\n", me, me, me);
	exit(2);
}

int main(int argc, char **argv)
{
	long maxthreads = sysconf(_SC_NPROCESSORS_ONLN);
	const struct siommu_iova_ops *cg = NULL;
	const struct size_mode *cg_mode = &modes[0];
	unsigned long pairs = 1000000;
	double seconds = 1.0;
	unsigned int a, s, t;
	int opt, status = 0;

	while ((opt = getopt(argc, argv, "t:d:c:n:s:l")) != -1) {
		switch (opt) {
		case 'l':
			for (a = 0; a < NR_ALLOCATORS; a++)
				printf("%s\n", allocators[a]->name);
			return 0;
		case 't':
			maxthreads = strtol(optarg, NULL, 0);
			break;
		case 'd':
			seconds = strtod(optarg, NULL);
			break;
		case 'c':
			cg = find_ops(optarg);
			if (!cg)
				usage(argv[0]);
			break;
		case 'n':
			pairs = strtoul(optarg, NULL, 0);
			break;
		case 's':
			cg_mode = find_mode(optarg);
			if (!cg_mode)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (cg)
		return run_callgrind(cg, cg_mode, pairs);
	if (maxthreads < 1 || seconds <= 0)
		usage(argv[0]);

	printf("allocator,threads,size,ops_per_sec,ops_per_sec_per_thread\n");
	for (a = 0; a < NR_ALLOCATORS; a++)
		for (s = 0; s < ARRAY_SIZE(modes); s++)
			for (t = 1; t <= maxthreads; t++)
				status |= run_point(allocators[a], &modes[s],
						    t, seconds);
	if (fails) {
		fprintf(stderr, "%lu allocations failed\n", fails);
		status = 1;
	}
	return status;
}
