/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation fault injection, a debug knob: with fail_alloc_ppm > 0 (module
 * parameter, writable at run time; 0, off, by default) the allocations a
 * map can need -- I/O page-table pages, magazines, the rbtree's range
 * nodes, the kmalloc allocator's objects -- fail at that rate (parts per
 * million), so that the paths a real memory shortage takes are taken:
 * the map returns DMA_MAPPING_ERROR and must leave nothing behind.
 * Debian's kernels have no CONFIG_FAULT_INJECTION, hence our own.
 */
#ifndef SCALABLE_IOMMU_ALLOC_FAULT_H
#define SCALABLE_IOMMU_ALLOC_FAULT_H

#include <linux/atomic.h>
#include <linux/types.h>

extern unsigned int siommu_fail_alloc_ppm;

/* Draws the die; counts the failures it decides. */
bool siommu_fail_alloc_roll(void);

/* True when an allocation about to be made should fail instead. */
static inline bool siommu_fail_alloc(void)
{
	return READ_ONCE(siommu_fail_alloc_ppm) && siommu_fail_alloc_roll();
}

#endif /* SCALABLE_IOMMU_ALLOC_FAULT_H */
