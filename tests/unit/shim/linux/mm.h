/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the struct page of a page from get_zeroed_page():
 * the shim allocates two pages, the second holding the first's struct
 * page (see shim.c), so the two convert in constant time.
 */
#ifndef SHIM_LINUX_MM_H
#define SHIM_LINUX_MM_H
#include <linux/gfp.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

struct page {
	unsigned long private;
	struct rcu_head rcu_head;
};

static inline struct page *virt_to_page(const void *addr)
{
	return (struct page *)((char *)addr + PAGE_SIZE);
}

static inline void *page_address(const struct page *page)
{
	return (char *)page - PAGE_SIZE;
}

#define page_private(page)		((page)->private)
#define set_page_private(page, v)	((page)->private = (v))
#endif
