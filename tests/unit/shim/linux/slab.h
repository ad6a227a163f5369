/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/slab.h>.  shim_fail_alloc_after (shim.h)
 * lets a test make the n-th allocation from now fail, as the kernel's may;
 * shim_kmalloc_outstanding() (shim.h) counts objects not yet kfree()d.
 * Like the kernel's, an object of a power-of-two size is aligned to it.
 * The benchmark builds with SHIM_NO_KMALLOC_COUNT: that count is one
 * cache line all threads write, which the kernel's slab does not have.
 */
#ifndef SHIM_LINUX_SLAB_H
#define SHIM_LINUX_SLAB_H
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gfp.h>

#define ZERO_SIZE_PTR	((void *)16)
/* The largest kmalloc() on x86-64 with SLUB: an order-10 page block. */
#define KMALLOC_MAX_SIZE	(1UL << 22)

bool shim_alloc_should_fail(void);
extern long shim_kmalloc_count;

static inline void *shim_kmalloc_track(void *p)
{
#ifndef SHIM_NO_KMALLOC_COUNT
	if (p)
		__atomic_fetch_add(&shim_kmalloc_count, 1, __ATOMIC_RELAXED);
#endif
	return p;
}

/* malloc() aligns to 16 at least; larger powers of two need asking. */
static inline void *shim_kmalloc_raw(size_t size)
{
	if (size > 16 && !(size & (size - 1)))
		return aligned_alloc(size, size);
	return malloc(size);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	void *p;

	(void)gfp;
	/* The kernel answers a zero-sized request with a token, never NULL. */
	if (!n || !size)
		return ZERO_SIZE_PTR;
	if (shim_alloc_should_fail())
		return NULL;
	if (size > ~(size_t)0 / n)
		return NULL;
	p = shim_kmalloc_raw(n * size);
	if (p)
		memset(p, 0, n * size);
	return shim_kmalloc_track(p);
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
	return shim_kmalloc_track(shim_kmalloc_raw(size));
}

static inline void kfree(const void *p)
{
	if (!p || p == ZERO_SIZE_PTR)
		return;
#ifndef SHIM_NO_KMALLOC_COUNT
	__atomic_fetch_sub(&shim_kmalloc_count, 1, __ATOMIC_RELAXED);
#endif
	free((void *)p);
}
#endif
