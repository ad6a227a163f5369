/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for src/dma/domain.h in the invalidation policies' tests and
 * benchmark (found first: -Iflush_shim comes before -I../../src): a domain
 * that is only its translations, whose invalidations reach the fake unit
 * of tests/unit/stub_hw.c (stub_xlate_ops), and the policies' contract
 * from src/dma/inval/policy.h.
 */
#ifndef SIOMMU_FLUSH_SHIM_DOMAIN_H
#define SIOMMU_FLUSH_SHIM_DOMAIN_H
#include <linux/atomic.h>
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/types.h>

#include "dma/inval/policy.h"
#include "dma/iova/allocator.h"
#include "dma/xlate/backend.h"
#include "stub_hw.h"
#include "vtd/pgtable.h"

struct siommu_domain {
	struct siommu_xlate xl;		/* what a policy is handed */
	struct siommu_unit *unit;
	u16 did;
};

extern const struct siommu_xlate_ops stub_xlate_ops;
/* What every unmap reports here: no table page freed. */
extern const struct siommu_unmapped stub_unmapped;

#define STUB_DOMAIN(u, d) {						\
	.xl = { .ops = &stub_xlate_ops, .scope = (u) },			\
	.unit = (u), .did = (d),					\
}

/* The hardware side, src/vtd/inval.c in the module, stub_hw.c here. */
int siommu_inval_iotlb_global(struct siommu_unit *unit);
int siommu_inval_iotlb_domain(struct siommu_unit *unit, u16 did);
int siommu_inval_iotlb_range(struct siommu_unit *unit, u16 did, u64 iova,
			     unsigned long npages);
#endif
