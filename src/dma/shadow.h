/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sub-page protection: shadow buffers (shadow.c).  A mapping that does not
 * cover whole pages is served from a buffer of the domain's own pool,
 * which stays mapped for the device, or, past 64 KiB, split (its whole
 * pages in place, its partial end pages from the pool's own), so the
 * device reaches the bytes it was given and nothing else of the pages
 * they sit in.
 */
#ifndef SCALABLE_IOMMU_DMA_SHADOW_H
#define SCALABLE_IOMMU_DMA_SHADOW_H

#include <linux/dma-direction.h>
#include <linux/types.h>

#include "vtd/pgtable.h"

struct siommu_domain;
struct siommu_shadow;

/*
 * The pool's IOVA window, reserved in every domain's fallback slot at
 * create: from 64 KiB to 16 MiB, so that the smallest DMA mask we serve
 * (24 bits) reaches it.  Page 0 and the first 64 KiB stay unused.
 */
#define SIOMMU_SHADOW_BASE	0x10000ULL
#define SIOMMU_SHADOW_PAGES	4080U

/* Buffers from 64 bytes to 64 KiB, a power of two each; larger: split. */
#define SIOMMU_SHADOW_MIN_SHIFT	6
#define SIOMMU_SHADOW_MAX_SHIFT	16

static inline bool siommu_shadow_window(dma_addr_t addr)
{
	return addr - SIOMMU_SHADOW_BASE <
	       (u64)SIOMMU_SHADOW_PAGES << VTD_PAGE_SHIFT;
}

/* Does @size bytes at @phys cover whole pages and nothing more? */
static inline bool siommu_whole_pages(phys_addr_t phys, size_t size)
{
	return !((phys | size) & (VTD_PAGE_SIZE - 1));
}

int siommu_shadow_create(struct siommu_domain *dom);
void siommu_shadow_free(struct siommu_shadow *sh);
dma_addr_t siommu_shadow_map(struct siommu_domain *dom, phys_addr_t phys,
			     size_t size, enum dma_data_direction dir,
			     u64 prot, u64 dma_mask, unsigned long attrs);
bool siommu_shadow_handle(struct siommu_domain *dom, dma_addr_t addr);
void siommu_shadow_unmap(struct siommu_domain *dom, dma_addr_t addr,
			 size_t size, enum dma_data_direction dir,
			 unsigned long attrs);
void siommu_shadow_sync(struct siommu_domain *dom, dma_addr_t addr,
			size_t size, enum dma_data_direction dir,
			bool for_device);
unsigned long siommu_shadow_in_use(struct siommu_domain *dom);

#endif /* SCALABLE_IOMMU_DMA_SHADOW_H */
