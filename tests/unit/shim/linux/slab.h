/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/slab.h>.  shim_fail_alloc_after lets a test
 * make the n-th allocation from now fail, as the kernel's may.
 */
#ifndef SHIM_LINUX_SLAB_H
#define SHIM_LINUX_SLAB_H
#include <stdlib.h>

#define GFP_KERNEL	0

extern long shim_fail_alloc_after;	/* < 0: never fail */

static inline void *kcalloc(size_t n, size_t size, int gfp)
{
	(void)gfp;
	if (shim_fail_alloc_after == 0)
		return NULL;
	if (shim_fail_alloc_after > 0)
		shim_fail_alloc_after--;
	/* The kernel hands out a non-NULL token for zero-sized requests. */
	return calloc(n ? n : 1, size ? size : 1);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}
#endif
