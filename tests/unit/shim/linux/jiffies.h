/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/jiffies.h>: HZ as Debian's kernels set it
 * (250), jiffies counted from CLOCK_MONOTONIC plus the harness's clock
 * offset (shim_clock_advance(), shim.h), so tests can make time pass.
 */
#ifndef SHIM_LINUX_JIFFIES_H
#define SHIM_LINUX_JIFFIES_H
#include <linux/minmax.h>
#include <linux/types.h>

#define HZ		250
#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL
#define USEC_PER_SEC	1000000UL

unsigned long shim_jiffies(void);
#define jiffies		shim_jiffies()

#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)

static inline unsigned long usecs_to_jiffies(unsigned int us)
{
	return ((unsigned long)us * HZ + USEC_PER_SEC - 1) / USEC_PER_SEC;
}
#endif
