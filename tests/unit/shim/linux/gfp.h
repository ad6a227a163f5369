/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for page allocation.  Pages come from aligned_alloc;
 * shim_fail_alloc_after (see shim.c) makes a chosen allocation fail.
 */
#ifndef SHIM_LINUX_GFP_H
#define SHIM_LINUX_GFP_H
#include <linux/types.h>

#define GFP_KERNEL	0x1u
#define GFP_ATOMIC	0x2u
#define __GFP_NOWARN	0x4u
#define __GFP_ZERO	0x8u
#define PAGE_SIZE	4096UL

/* GFP_KERNEL may sleep (get_zeroed_page() aborts if it is asked to in an
 * RCU read section); GFP_ATOMIC may not. */
static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & GFP_KERNEL;
}

unsigned long get_zeroed_page(gfp_t gfp);
void free_page(unsigned long addr);
#endif
