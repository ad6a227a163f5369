// SPDX-License-Identifier: GPL-2.0
/* Out-of-line parts of the harness's kernel shim. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bug.h>
#include <linux/gfp.h>
#include <linux/percpu.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <asm/cacheflush.h>
#include "shim.h"
#include "dma/iova/direct_map.h"

unsigned long shim_direct_map_bytes = 1UL << 47;

long shim_fail_alloc_after = -1;

/* src/base/alloc_fault.h's knob; the tests set it directly. */
unsigned int siommu_fail_alloc_ppm;
unsigned long shim_fail_alloc_injected;

bool siommu_fail_alloc_roll(void)
{
	static __thread unsigned int seed = 1;

	if ((unsigned int)rand_r(&seed) % 1000000 >=
	    __atomic_load_n(&siommu_fail_alloc_ppm, __ATOMIC_RELAXED))
		return false;
	__atomic_add_fetch(&shim_fail_alloc_injected, 1, __ATOMIC_RELAXED);
	return true;
}
static long pages_outstanding;

/* Decide, atomically, whether this allocation is the one to fail. */
bool shim_alloc_should_fail(void);
bool shim_alloc_should_fail(void)
{
	long n = __atomic_load_n(&shim_fail_alloc_after, __ATOMIC_RELAXED);

	while (n >= 0) {
		if (__atomic_compare_exchange_n(&shim_fail_alloc_after, &n,
						n ? n - 1 : -1, false,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return n == 0;
	}
	return false;
}

#ifdef SHIM_PAGE_POOL
/*
 * Benchmarks: freed pages are kept on a list and handed out again, zeroed,
 * as the kernel's per-CPU page lists do, so that an allocation costs what
 * it costs there (a clear_page) and not an aligned malloc and page faults.
 * Not in the tests: ASan's quarantine is what catches a use after free.
 */
static pthread_mutex_t page_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void *page_pool;

static void *page_pool_get(void)
{
	void *p;

	pthread_mutex_lock(&page_pool_lock);
	p = page_pool;
	if (p)
		page_pool = *(void **)p;
	pthread_mutex_unlock(&page_pool_lock);
	if (p) {
		memset(p, 0, PAGE_SIZE);
		memset((char *)p + PAGE_SIZE, 0, sizeof(struct page));
	}
	return p;
}

static bool page_pool_put(void *p)
{
	pthread_mutex_lock(&page_pool_lock);
	*(void **)p = page_pool;
	page_pool = p;
	pthread_mutex_unlock(&page_pool_lock);
	return true;
}
#else
static void *page_pool_get(void)
{
	return NULL;
}

static bool page_pool_put(void *p)
{
	return false;
}
#endif

unsigned long get_zeroed_page(gfp_t gfp)
{
	void *p;

	/* The kernel may sleep here, which an RCU reader must not. */
	if (gfpflags_allow_blocking(gfp) && shim_rcu_nesting) {
		fprintf(stderr, "shim: a sleeping page allocation inside an RCU read section\n");
		abort();
	}
	if (shim_alloc_should_fail())
		return 0;
	p = page_pool_get();
	if (p) {
		__atomic_fetch_add(&pages_outstanding, 1, __ATOMIC_RELAXED);
		return (unsigned long)p;
	}
	/* The page, then its struct page (linux/mm.h). */
	p = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
	if (!p)
		return 0;
	memset(p, 0, 2 * PAGE_SIZE);
	__atomic_fetch_add(&pages_outstanding, 1, __ATOMIC_RELAXED);
	return (unsigned long)p;
}

void free_page(unsigned long addr)
{
	if (!addr)
		return;
	__atomic_fetch_sub(&pages_outstanding, 1, __ATOMIC_RELAXED);
	if (!page_pool_put((void *)addr))
		free((void *)addr);
}

long shim_pages_outstanding(void)
{
	return __atomic_load_n(&pages_outstanding, __ATOMIC_RELAXED);
}

/* Updated by the inline allocators in <linux/slab.h>. */
long shim_kmalloc_count;

long shim_kmalloc_outstanding(void)
{
	return __atomic_load_n(&shim_kmalloc_count, __ATOMIC_RELAXED);
}

/*
 * A set of flushed cache-line addresses, open addressing, recorded from
 * the first shim_flush_reset() on.  Never more than 3/4 full: a test that
 * goes on flushing long after its checks (later tests in the same binary)
 * would otherwise fill it and probe for ever; it is emptied instead, as
 * the checks only ask about what was flushed since their own reset.
 */
#define FLUSH_SLOTS	(1u << 20)
static uintptr_t *flushed;
static size_t nr_flushed;
static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(uintptr_t line)
{
	return (line * 0x9e3779b97f4a7c15ULL >> 40) & (FLUSH_SLOTS - 1);
}

void shim_flush_reset(void)
{
	pthread_mutex_lock(&flush_lock);
	free(flushed);
	flushed = calloc(FLUSH_SLOTS, sizeof(*flushed));
	nr_flushed = 0;
	pthread_mutex_unlock(&flush_lock);
}

void clflush_cache_range(void *addr, unsigned int size)
{
	uintptr_t line = (uintptr_t)addr & ~63UL;
	uintptr_t end = (uintptr_t)addr + size;

	pthread_mutex_lock(&flush_lock);
	for (; flushed && line < end; line += 64) {
		size_t s = slot_of(line);

		if (nr_flushed >= FLUSH_SLOTS / 4 * 3) {
			memset(flushed, 0, FLUSH_SLOTS * sizeof(*flushed));
			nr_flushed = 0;
		}
		while (flushed[s] && flushed[s] != line)
			s = (s + 1) & (FLUSH_SLOTS - 1);
		if (!flushed[s])
			nr_flushed++;
		flushed[s] = line;
	}
	pthread_mutex_unlock(&flush_lock);
}

bool shim_flushed(const void *addr)
{
	uintptr_t line = (uintptr_t)addr & ~63UL;
	size_t s;
	bool found = false;

	pthread_mutex_lock(&flush_lock);
	if (flushed) {
		for (s = slot_of(line); flushed[s]; s = (s + 1) & (FLUSH_SLOTS - 1))
			if (flushed[s] == line) {
				found = true;
				break;
			}
	}
	pthread_mutex_unlock(&flush_lock);
	return found;
}

/* ---- <linux/percpu.h> ---- */

#define PERCPU_STRIDE_ALIGN	64
#define PERCPU_HEADER		64	/* holds the stride; keeps alignment */

__thread unsigned int shim_cpu;

void shim_set_cpu(unsigned int cpu)
{
	shim_cpu = cpu % SHIM_NR_CPUS;
}

void *shim_alloc_percpu(size_t size)
{
	size_t stride = (size + PERCPU_STRIDE_ALIGN - 1) &
			~(size_t)(PERCPU_STRIDE_ALIGN - 1);
	char *block;

	if (shim_alloc_should_fail())
		return NULL;
	block = aligned_alloc(PERCPU_STRIDE_ALIGN,
			      PERCPU_HEADER + stride * SHIM_NR_CPUS);
	if (!block)
		return NULL;
	memset(block, 0, PERCPU_HEADER + stride * SHIM_NR_CPUS);
	*(size_t *)block = stride;
	__atomic_fetch_add(&shim_kmalloc_count, 1, __ATOMIC_RELAXED);
	return block + PERCPU_HEADER;
}

void shim_free_percpu(void *ptr)
{
	if (!ptr)
		return;
	__atomic_fetch_sub(&shim_kmalloc_count, 1, __ATOMIC_RELAXED);
	free((char *)ptr - PERCPU_HEADER);
}


/* ---- <linux/bug.h> ---- */

static long warnings;

void shim_warn(const char *file, int line, bool *once)
{
	__atomic_fetch_add(&warnings, 1, __ATOMIC_RELAXED);
	if (!__atomic_exchange_n(once, true, __ATOMIC_RELAXED))
		fprintf(stderr, "WARNING at %s:%d\n", file, line);
}

long shim_warnings(void)
{
	return __atomic_load_n(&warnings, __ATOMIC_RELAXED);
}

/* RCU (linux/rcupdate.h): a reader lock, and callbacks queued for it. */
static pthread_rwlock_t rcu_readers = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t rcu_queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_head *rcu_queue;
__thread unsigned int shim_rcu_nesting;

#ifndef SHIM_FAST_RCU
void rcu_read_lock(void)
{
	if (!shim_rcu_nesting++)
		pthread_rwlock_rdlock(&rcu_readers);
}

void rcu_read_unlock(void)
{
	if (!--shim_rcu_nesting)
		pthread_rwlock_unlock(&rcu_readers);
}
#endif

/*
 * Run the callbacks queued so far once no reader is left: @wait, or only
 * if none is there now (else they stay queued).
 */
static void rcu_run_due(bool wait)
{
	struct rcu_head *due, *next;

	pthread_mutex_lock(&rcu_queue_lock);
	due = rcu_queue;
	rcu_queue = NULL;
	pthread_mutex_unlock(&rcu_queue_lock);
	if (!due)
		return;
	if (wait ? pthread_rwlock_wrlock(&rcu_readers) :
		   pthread_rwlock_trywrlock(&rcu_readers)) {
		/* Readers about: back on the queue. */
		pthread_mutex_lock(&rcu_queue_lock);
		for (; due; due = next) {
			next = due->next;
			due->next = rcu_queue;
			rcu_queue = due;
		}
		pthread_mutex_unlock(&rcu_queue_lock);
		return;
	}
	pthread_rwlock_unlock(&rcu_readers);
	for (; due; due = next) {
		next = due->next;
		due->func(due);
	}
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
#ifdef SHIM_FAST_RCU
	/* Single-threaded: outside a section nobody can see it. */
	if (!shim_rcu_nesting) {
		func(head);
		return;
	}
#endif
	head->func = func;
	pthread_mutex_lock(&rcu_queue_lock);
	head->next = rcu_queue;
	rcu_queue = head;
	pthread_mutex_unlock(&rcu_queue_lock);
	if (!shim_rcu_nesting)
		rcu_run_due(false);
}

void synchronize_rcu(void)
{
	pthread_rwlock_wrlock(&rcu_readers);
	pthread_rwlock_unlock(&rcu_readers);
}

void rcu_barrier(void)
{
	rcu_run_due(true);
}
