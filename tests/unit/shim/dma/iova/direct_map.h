/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for src/dma/iova/direct_map.h.  The shim's kmalloc()
 * is malloc(), whose addresses have no known lowest value: the base is 0,
 * so an object's offset is its address, and the "direct map" is the whole
 * x86-64 user address space (47 bits), where every heap lives -- glibc's,
 * ASan's and TSan's alike.  A test's space must then reach 2^47 - 1.
 * A test of an allocator that only computes with the size (identity)
 * may set shim_direct_map_bytes lower, and back, between instances.
 */
#ifndef SHIM_IOVA_DIRECT_MAP_H
#define SHIM_IOVA_DIRECT_MAP_H

#define SIOMMU_DIRECT_MAP_BASE	0UL

extern unsigned long shim_direct_map_bytes;	/* shim.c: 1UL << 47 */

static inline unsigned long siommu_direct_map_bytes(void)
{
	return __atomic_load_n(&shim_direct_map_bytes, __ATOMIC_RELAXED);
}

#endif
