/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/log2.h>: power-of-two helpers. */
#ifndef SHIM_LINUX_LOG2_H
#define SHIM_LINUX_LOG2_H
#include <stdbool.h>

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* Like the kernel's, undefined for 0 and for n above the top bit. */
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	if (n <= 1)
		return 1;
	return 1UL << (8 * sizeof(long) - __builtin_clzl(n - 1));
}

static inline int ilog2(unsigned long n)
{
	return 8 * (int)sizeof(long) - 1 - __builtin_clzl(n);
}
/* The order of the power of two at or above @n; 0 for 0 and 1. */
static inline int order_base_2(unsigned long n)
{
	return n > 1 ? ilog2(n - 1) + 1 : 0;
}
#endif
