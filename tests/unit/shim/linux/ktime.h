/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/ktime.h>: the monotonic clock in ns, plus
 * the harness's offset (shim_clock_advance(), shim.h), as jiffies counts.
 */
#ifndef SHIM_LINUX_KTIME_H
#define SHIM_LINUX_KTIME_H
#include <linux/jiffies.h>
#include <linux/types.h>

u64 ktime_get_ns(void);
#endif
