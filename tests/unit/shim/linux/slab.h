/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/slab.h>.  shim_fail_alloc_after (shim.h)
 * lets a test make the n-th allocation from now fail, as the kernel's may.
 */
#ifndef SHIM_LINUX_SLAB_H
#define SHIM_LINUX_SLAB_H
#include <stdbool.h>
#include <stdlib.h>
#include <linux/gfp.h>

#define ZERO_SIZE_PTR	((void *)16)

bool shim_alloc_should_fail(void);

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	/* The kernel answers a zero-sized request with a token, never NULL. */
	if (!n || !size)
		return ZERO_SIZE_PTR;
	if (shim_alloc_should_fail())
		return NULL;
	return calloc(n, size);
}

static inline void kfree(const void *p)
{
	if (p != ZERO_SIZE_PTR)
		free((void *)p);
}
#endif
