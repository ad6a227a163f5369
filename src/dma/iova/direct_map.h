/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the "kmalloc" IOVA allocator's integers come from: the kernel's
 * direct map of physical memory.  A kmalloc() object's offset from the
 * map's base is the object's physical address, below the map's end.
 *
 * The userspace harness has its own header of this name
 * (tests/unit/shim/dma/iova/direct_map.h, first on its include path): the
 * allocator's source is the same in both, only these two lines differ.
 */
#ifndef SCALABLE_IOMMU_IOVA_DIRECT_MAP_H
#define SCALABLE_IOMMU_IOVA_DIRECT_MAP_H

#include <linux/mm.h>

/* Offset 0 is physical address 0 (randomised base under KASLR). */
#define SIOMMU_DIRECT_MAP_BASE	PAGE_OFFSET

/*
 * Every kmalloc() object lies below this many bytes from the base: the end
 * of RAM (max_pfn, which modules cannot read, as high_memory shows it).
 * Memory hotplug can raise it later.
 */
static inline unsigned long siommu_direct_map_bytes(void)
{
	return (unsigned long)high_memory - PAGE_OFFSET;
}

#endif /* SCALABLE_IOMMU_IOVA_DIRECT_MAP_H */
