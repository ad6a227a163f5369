/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One physically contiguous piece of a mapping made of several (a
 * scatterlist's segments laid out in one IOVA range): the page table maps
 * a list of them in one pass, walking each table once for all the pieces
 * that fall in it.  Shared by the seam (dma/xlate/backend.h) and the VT-d
 * tables (vtd/pgtable.h), neither of which owns the other.
 */
#ifndef SCALABLE_IOMMU_MAP_RUN_H
#define SCALABLE_IOMMU_MAP_RUN_H

#include <linux/types.h>

struct siommu_run {
	u64 iova;	/* page-aligned */
	u64 phys;	/* page-aligned */
	u64 size;	/* bytes, a multiple of the page size */
};

#endif /* SCALABLE_IOMMU_MAP_RUN_H */
