/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a domain's allocator instances sit in its IOVA space (layout.c).
 * Pure arithmetic on pfn intervals, built into the module and into the
 * userspace harness (tests/unit/test_layout.c).
 */
#ifndef SCALABLE_IOMMU_LAYOUT_H
#define SCALABLE_IOMMU_LAYOUT_H

#include <linux/types.h>

#include "dma/iova/allocator.h"

/* An inclusive interval of 4 KiB IOVA pfns. */
struct siommu_stretch {
	unsigned long lo, hi;
};

/*
 * The fallback slot's stretch: pfns 1 .. 2^20 - 1, the space below 4 GiB
 * (page 0 is never handed out).
 */
#define SIOMMU_LAYOUT_FALLBACK_HI	((1UL << 20) - 1)

/*
 * An allocator that needs no more than some room (rbtree, magazine,
 * linux) gets an aligned block of 2^21 pfns, 8 GiB: seven of them above
 * the fallback's block fit below 2^36, so the lowest mask beyond 32 bits
 * that devices commonly have is served through any live swap.
 */
#define SIOMMU_LAYOUT_ROOM_SHIFT	21

/* What the stretches of a new instance must avoid. */
struct siommu_layout {
	unsigned long space_pfns;	/* the unit's space, a power of two */
	const struct siommu_stretch *taken;	/* live instances' stretches */
	unsigned int nr_taken;
	const struct siommu_stretch *windows;	/* reserved: avoided if can be */
	unsigned int nr_windows;
};

int siommu_layout_place(const struct siommu_iova_ops *ops,
			const struct siommu_layout *layout,
			struct siommu_stretch *out);
unsigned long siommu_layout_reach(const struct siommu_iova_ops *ops,
				  const struct siommu_stretch *s);

#endif /* SCALABLE_IOMMU_LAYOUT_H */
