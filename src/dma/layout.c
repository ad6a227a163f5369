// SPDX-License-Identifier: GPL-2.0
/*
 * Where a domain's allocator instances sit in its IOVA space.
 *
 * A device's DMA mask caps the IOVAs it can use, and an instance serves a
 * device only if what it hands out lies below that cap.  So each instance
 * is placed as low as its allocator allows, in an aligned power-of-two
 * block of the space that no other live instance (a draining one
 * included) and not the fallback's block uses:
 *
 *   - rbtree, magazine, linux need nothing but room: an aligned 8 GiB
 *     block (SIOMMU_LAYOUT_ROOM_SHIFT), the lowest free one above the
 *     fallback's 4 GiB;
 *   - kmalloc and identity say through check_space() what a stretch must
 *     hold (a direct map's worth of offsets from an aligned origin; three
 *     copies of physical space): they get, of the blocks of every size
 *     that pass, the one whose highest IOVA they may hand out (the reach)
 *     is lowest, minus the fallback's pfns where it is the lowest block.
 *
 * Blocks that meet a reserved window (the host bridge's memory windows
 * above 4 GiB would leave an instance nothing to hand out) are taken only
 * when nothing else fits; the windows are reserved inside the instance
 * either way.
 *
 * The slot number an instance has (the PTE tag) says nothing of where it
 * sits, so a slot freed by a drained instance and the block it held are
 * reused independently.
 */
#include <linux/errno.h>
#include <linux/minmax.h>

#include "dma/layout.h"

static bool stretch_meets(const struct siommu_stretch *set, unsigned int nr,
			  unsigned long lo, unsigned long hi)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (set[i].lo <= hi && lo <= set[i].hi)
			return true;
	return false;
}

/**
 * siommu_layout_reach() - the highest pfn an instance over @s may use
 * @ops: the allocator
 * @s: its stretch, one that @ops->check_space accepts
 *
 * A device whose limit is at least this is served.  Allocators without
 * check_space hand out anything in their stretch below the limit they are
 * given, so for them the start of the stretch is enough.
 */
unsigned long siommu_layout_reach(const struct siommu_iova_ops *ops,
				  const struct siommu_stretch *s)
{
	unsigned long a = s->lo, b = s->hi;

	if (!ops->check_space)
		return s->lo;
	/* The smallest end that still holds what it needs: monotonic. */
	while (a < b) {
		unsigned long mid = a + (b - a) / 2;

		if (ops->check_space(s->lo, mid))
			a = mid + 1;
		else
			b = mid;
	}
	return b;
}

/**
 * siommu_layout_place() - the stretch a new instance of @ops gets
 * @ops: the allocator
 * @layout: the space and what is in use
 * @out: the stretch chosen
 *
 * Return: 0, or -ERANGE when no free block can hold what @ops needs.
 */
int siommu_layout_place(const struct siommu_iova_ops *ops,
			const struct siommu_layout *layout,
			struct siommu_stretch *out)
{
	unsigned long space = layout->space_pfns;
	unsigned long size, first, best_reach = 0;
	bool found = false;
	int pass;

	first = ops->check_space ? SIOMMU_LAYOUT_FALLBACK_HI + 1 :
		min(1UL << SIOMMU_LAYOUT_ROOM_SHIFT, space >> 1);
	for (pass = 0; pass < 2 && !found; pass++) {
		for (size = first; size && size <= space; size <<= 1) {
			unsigned long pos;

			for (pos = 0; pos < space; pos += size) {
				unsigned long lo = max(pos,
						       SIOMMU_LAYOUT_FALLBACK_HI + 1);
				unsigned long hi = pos + size - 1, reach;
				struct siommu_stretch s = { lo, hi };

				/* Positions only rise from here. */
				if (found && lo >= best_reach)
					break;
				if (lo > hi || (!ops->check_space && lo != pos))
					continue;
				if (stretch_meets(layout->taken,
						  layout->nr_taken, lo, hi))
					continue;
				if (!pass && stretch_meets(layout->windows,
							   layout->nr_windows,
							   lo, hi))
					continue;
				if (ops->check_space &&
				    ops->check_space(lo, hi))
					continue;
				reach = siommu_layout_reach(ops, &s);
				if (!found || reach < best_reach) {
					*out = s;
					best_reach = reach;
					found = true;
				}
			}
			/* One block size serves those that need only room. */
			if (!ops->check_space)
				break;
		}
	}
	return found ? 0 : -ERANGE;
}
