// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's clock and timers (<linux/ktime.h>, <linux/jiffies.h>,
 * <linux/timer.h>): CLOCK_MONOTONIC plus an offset tests may advance, and
 * timers that fire only inside shim_timers_run().
 */
#include <pthread.h>
#include <time.h>

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/timer.h>
#include "shim.h"

static u64 clock_offset_ns;

u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec +
	       __atomic_load_n(&clock_offset_ns, __ATOMIC_RELAXED);
}

unsigned long shim_jiffies(void)
{
	return ktime_get_ns() / (NSEC_PER_SEC / HZ);
}

void shim_clock_advance(u64 ns)
{
	__atomic_fetch_add(&clock_offset_ns, ns, __ATOMIC_RELAXED);
}

/* Armed timers, a circular list headed by @armed; all under timer_lock. */
static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_done = PTHREAD_COND_INITIALIZER;
static struct timer_list armed = { .next = &armed, .prev = &armed };
static struct timer_list *running;

static void unlink_timer(struct timer_list *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = NULL;
	t->prev = NULL;
	t->pending = false;
}

void shim_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *t))
{
	t->function = fn;
	t->expires = 0;
	t->pending = false;
	t->next = NULL;
	t->prev = NULL;
}

int mod_timer(struct timer_list *t, unsigned long expires)
{
	int was;

	pthread_mutex_lock(&timer_lock);
	was = t->pending;
	t->expires = expires;
	if (!was) {
		t->next = &armed;
		t->prev = armed.prev;
		armed.prev->next = t;
		armed.prev = t;
		t->pending = true;
	}
	pthread_mutex_unlock(&timer_lock);
	return was;
}

int del_timer(struct timer_list *t)
{
	int was;

	pthread_mutex_lock(&timer_lock);
	was = t->pending;
	if (was)
		unlink_timer(t);
	pthread_mutex_unlock(&timer_lock);
	return was;
}

int del_timer_sync(struct timer_list *t)
{
	int was;

	pthread_mutex_lock(&timer_lock);
	while (running == t)
		pthread_cond_wait(&timer_done, &timer_lock);
	was = t->pending;
	if (was)
		unlink_timer(t);
	pthread_mutex_unlock(&timer_lock);
	return was;
}

bool timer_pending(const struct timer_list *t)
{
	bool p;

	pthread_mutex_lock(&timer_lock);
	p = t->pending;
	pthread_mutex_unlock(&timer_lock);
	return p;
}

unsigned int shim_timers_run(bool all)
{
	unsigned int fired = 0;
	struct timer_list *t;

	pthread_mutex_lock(&timer_lock);
	for (;;) {
		unsigned long now = jiffies;

		for (t = armed.next; t != &armed; t = t->next)
			if (all || time_after_eq(now, t->expires))
				break;
		/* One runner at a time, as one timer softirq. */
		if (t == &armed || running)
			break;
		unlink_timer(t);
		running = t;
		pthread_mutex_unlock(&timer_lock);
		t->function(t);
		fired++;
		pthread_mutex_lock(&timer_lock);
		running = NULL;
		pthread_cond_broadcast(&timer_done);
	}
	pthread_mutex_unlock(&timer_lock);
	return fired;
}

unsigned int shim_timers_armed(void)
{
	unsigned int n = 0;
	struct timer_list *t;

	pthread_mutex_lock(&timer_lock);
	for (t = armed.next; t != &armed; t = t->next)
		n++;
	pthread_mutex_unlock(&timer_lock);
	return n;
}
