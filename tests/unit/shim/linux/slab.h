/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/slab.h>.  shim_fail_alloc_after (shim.h)
 * lets a test make the n-th allocation from now fail, as the kernel's may;
 * shim_kmalloc_outstanding() (shim.h) counts objects not yet kfree()d.
 */
#ifndef SHIM_LINUX_SLAB_H
#define SHIM_LINUX_SLAB_H
#include <stdbool.h>
#include <stdlib.h>
#include <linux/gfp.h>

#define ZERO_SIZE_PTR	((void *)16)

bool shim_alloc_should_fail(void);
extern long shim_kmalloc_count;

static inline void *shim_kmalloc_track(void *p)
{
	if (p)
		__atomic_fetch_add(&shim_kmalloc_count, 1, __ATOMIC_RELAXED);
	return p;
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	/* The kernel answers a zero-sized request with a token, never NULL. */
	if (!n || !size)
		return ZERO_SIZE_PTR;
	if (shim_alloc_should_fail())
		return NULL;
	return shim_kmalloc_track(calloc(n, size));
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kcalloc(1, size, gfp);
}

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	if (!size)
		return ZERO_SIZE_PTR;
	if (shim_alloc_should_fail())
		return NULL;
	return shim_kmalloc_track(malloc(size));
}

static inline void kfree(const void *p)
{
	if (!p || p == ZERO_SIZE_PTR)
		return;
	__atomic_fetch_sub(&shim_kmalloc_count, 1, __ATOMIC_RELAXED);
	free((void *)p);
}
#endif
