/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The invalidation policies' contract, apart from the rest of domain.h so
 * that the userspace harness can build the policies over a stand-in
 * domain (tests/unit/flush_shim/dma/domain.h) with this same declaration.
 */
#ifndef SCALABLE_IOMMU_FLUSH_POLICY_H
#define SCALABLE_IOMMU_FLUSH_POLICY_H

struct siommu_domain;
struct siommu_iova;

/* An invalidation policy: what happens between clearing PTEs and reuse. */
struct siommu_flush_ops {
	const char *name;
	/*
	 * The PTEs of [pfn, pfn + npages) are clear.  Make the unit forget
	 * them, then (and only then) give the range back to @iova.  Called
	 * in any context, inside an RCU read-side section.
	 */
	void (*unmapped)(struct siommu_domain *dom, struct siommu_iova *iova,
			 unsigned long pfn, unsigned long npages);
	/*
	 * Finish everything pending, for every domain: before a swap takes
	 * this policy away, detach, unload.  Process context.
	 */
	void (*drain)(void);
};

extern const struct siommu_flush_ops siommu_flush_strict_ops;
extern const struct siommu_flush_ops siommu_flush_deferred_ops;
extern const struct siommu_flush_ops siommu_flush_percpu_ops;

#endif /* SCALABLE_IOMMU_FLUSH_POLICY_H */
