/* SPDX-License-Identifier: GPL-2.0 */
/* Test-side controls and observations of the shim (see shim.c). */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H
#include <stdbool.h>
#include <stdint.h>

/* Allocations left before one fails; < 0: never. */
extern long shim_fail_alloc_after;
/* Failures src/base/alloc_fault.h's knob (siommu_fail_alloc_ppm) decided. */
extern unsigned long shim_fail_alloc_injected;
/* Pages handed out and not yet freed. */
long shim_pages_outstanding(void);
/* kmalloc/kzalloc/kcalloc objects not yet kfree()d. */
long shim_kmalloc_outstanding(void);
/* Forget which cache lines were flushed. */
void shim_flush_reset(void);
/* Was the cache line holding @addr flushed since the last reset? */
bool shim_flushed(const void *addr);
/* Make the calling thread emulated CPU @cpu (see <linux/percpu.h>). */
void shim_set_cpu(unsigned int cpu);
/* Move the clock (ktime_get_ns(), jiffies) @ns forward, for everyone. */
void shim_clock_advance(uint64_t ns);
/*
 * Play the timer softirq in the calling thread: run the callback of every
 * armed timer that is due (@all: of every armed one), one at a time.
 * Returns how many ran; 0 when another thread is running one.
 */
unsigned int shim_timers_run(bool all);
/* Timers armed and not yet fired or deleted. */
unsigned int shim_timers_armed(void);
/* How many times a WARN_ON_ONCE condition held. */
long shim_warnings(void);
#endif
