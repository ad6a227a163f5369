/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/timer.h>.
 *
 * There is no timer interrupt: an armed timer fires only when some thread
 * calls shim_timers_run() (shim.h), which runs the callbacks of the timers
 * due (or of all armed ones) in that thread, one at a time, as a timer
 * softirq would on whatever CPU the caller plays.  Tests decide when time
 * passes (shim_clock_advance()) and who plays the softirq; a benchmark
 * that never calls it models a machine too busy for the timeout to come
 * (batches fill long before it).  One mutex guards every timer, so
 * ThreadSanitizer sees mod_timer() happen before the callback it arms.
 */
#ifndef SHIM_LINUX_TIMER_H
#define SHIM_LINUX_TIMER_H
#include <stdbool.h>
#include <linux/container_of.h>
#include <linux/jiffies.h>

struct timer_list {
	void (*function)(struct timer_list *t);
	unsigned long expires;
	bool pending;
	struct timer_list *next, *prev;	/* in the armed list */
};

#define DEFINE_TIMER(_name, _function)					\
	struct timer_list _name = { .function = (_function) }

#define from_timer(var, timer, field)					\
	container_of(timer, __typeof__(*var), field)

void shim_timer_setup(struct timer_list *t,
		      void (*fn)(struct timer_list *t));
#define timer_setup(timer, fn, flags)	shim_timer_setup((timer), (fn))

/* As the kernel's: 1 when the timer was armed already, else 0. */
int mod_timer(struct timer_list *t, unsigned long expires);
int del_timer(struct timer_list *t);
/* Disarm, and wait for a callback running elsewhere to return. */
int del_timer_sync(struct timer_list *t);
bool timer_pending(const struct timer_list *t);
#endif
