/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the page allocation shadow.c does: pages from
 * the shim's get_zeroed_page(), counted (shim_pages_outstanding()), at
 * their virtual address as "physical" (shim/linux/io.h).
 */
#ifndef SHIM_LINUX_HIGHMEM_H
#define SHIM_LINUX_HIGHMEM_H
#include <linux/io.h>
#include <linux/mm.h>
#include <string.h>

/*
 * A page that was someone else's: junk unless __GFP_ZERO, so that a test
 * sees what a device could read of it.
 */
#define SHIM_STALE_BYTE	0xa5

static inline struct page *alloc_page(gfp_t gfp)
{
	unsigned long addr = get_zeroed_page(gfp & ~__GFP_ZERO);

	if (addr && !(gfp & __GFP_ZERO))
		memset((void *)addr, SHIM_STALE_BYTE, PAGE_SIZE);
	return addr ? virt_to_page((void *)addr) : NULL;
}

/*
 * The shim's pages are not contiguous: a block of more than one is never
 * had, and shadow.c takes its pages one by one.
 */
static inline struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return order ? NULL : alloc_page(gfp);
}

static inline void __free_pages(struct page *page, unsigned int order)
{
	free_page((unsigned long)page_address(page));
}

static inline void __free_page(struct page *page)
{
	free_page((unsigned long)page_address(page));
}

static inline void clear_page(void *addr)
{
	memset(addr, 0, PAGE_SIZE);
}

static inline phys_addr_t page_to_phys(struct page *page)
{
	return virt_to_phys(page_address(page));
}
#endif
