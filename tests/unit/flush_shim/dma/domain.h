/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for src/dma/domain.h when the harness builds the invalidation
 * policies (src/dma/inval/): found first on their include path (-Iflush_shim
 * comes before -I../../src), it gives them what they use of a domain, its
 * unit and domain id, and the ops contract itself from src/dma/inval/policy.h.
 * The unit is the fake one of tests/unit/stub_hw.c.
 */
#ifndef SIOMMU_FLUSH_SHIM_DOMAIN_H
#define SIOMMU_FLUSH_SHIM_DOMAIN_H
#include <linux/atomic.h>
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/types.h>

#include "dma/inval/policy.h"
#include "dma/iova/allocator.h"
#include "stub_hw.h"
#include "vtd/pgtable.h"

struct siommu_domain {
	struct siommu_unit *unit;
	u16 did;
};

/* The hardware side, src/vtd/inval.c in the module, stub_hw.c here. */
int siommu_flush_iotlb_global(struct siommu_unit *unit);
int siommu_flush_iotlb_range(struct siommu_unit *unit, u16 did, u64 iova,
			     unsigned long npages);
#endif
