/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for what shadow.c takes from <linux/dma-mapping.h>. */
#ifndef SHIM_LINUX_DMA_MAPPING_H
#define SHIM_LINUX_DMA_MAPPING_H
#include <linux/dma-direction.h>
#include <linux/pci.h>

#define DMA_MAPPING_ERROR	(~(dma_addr_t)0)
#define DMA_ATTR_SKIP_CPU_SYNC	(1UL << 5)

static inline unsigned int dma_get_min_align_mask(struct device *dev)
{
	return dev->min_align_mask;
}
#endif
