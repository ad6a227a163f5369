/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for include/iova_direct_map.h.  The shim's kmalloc()
 * is malloc(), whose addresses have no known lowest value: the base is 0,
 * so an object's offset is its address, and the "direct map" is the whole
 * x86-64 user address space (47 bits), where every heap lives -- glibc's,
 * ASan's and TSan's alike.  A test's space must then reach 2^47 - 1.
 */
#ifndef SHIM_IOVA_DIRECT_MAP_H
#define SHIM_IOVA_DIRECT_MAP_H

#define SIOMMU_DIRECT_MAP_BASE	0UL

static inline unsigned long siommu_direct_map_bytes(void)
{
	return 1UL << 47;
}

#endif
