/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The invalidation policies' contract.  A policy sees a domain only as
 * its translations (dma/xlate/backend.h), whose hooks invalidate, and
 * the allocator instance a range goes back to.
 */
#ifndef SCALABLE_IOMMU_DMA_INVAL_POLICY_H
#define SCALABLE_IOMMU_DMA_INVAL_POLICY_H

#include <linux/types.h>

struct siommu_iova;
struct siommu_unmapped;
struct siommu_xlate;

/*
 * An invalidation policy: what happens between clearing leaves and reuse.
 * The module calls every policy's hooks through siommu_inval_policies[]
 * (policies.c), never a policy by name; init, exit and age_us may be NULL.
 */
struct siommu_inval_policy {
	const char *name;
	/* At load, before any domain can use the policy.  Process context. */
	int (*init)(void);
	/*
	 * At unload or a failed load, with no domain left: finish what is
	 * pending and undo init.  Called once, even when init failed or did
	 * not run.  Process context.
	 */
	void (*exit)(void);
	/*
	 * The leaves of [pfn, pfn + npages) in @xl are clear (@what: how,
	 * from the unmap).  Make the hardware forget them, then (and only
	 * then) give the range back to @iova.  Called in any context,
	 * inside an RCU read-side section; @xl lives until the domain's
	 * policy is drained.
	 */
	void (*unmapped)(struct siommu_xlate *xl, struct siommu_iova *iova,
			 unsigned long pfn, unsigned long npages,
			 const struct siommu_unmapped *what);
	/*
	 * Finish everything pending, for every domain: before a swap takes
	 * this policy away, detach, unload.  Process context.
	 */
	void (*drain)(void);
	/* How long the oldest unmap still pending has waited, in us; or 0. */
	u64 (*age_us)(void);
};

extern const struct siommu_inval_policy siommu_inval_strict;
extern const struct siommu_inval_policy siommu_inval_deferred;
extern const struct siommu_inval_policy siommu_inval_percpu;

/* policies.c: every policy, in the order sysfs lists them. */
extern const struct siommu_inval_policy *const siommu_inval_policies[];
extern const unsigned int siommu_nr_inval_policies;
int siommu_inval_policies_init(void);
void siommu_inval_policies_exit(void);
void siommu_inval_policies_drain(void);
u64 siommu_inval_policies_oldest_age_us(void);

#endif /* SCALABLE_IOMMU_DMA_INVAL_POLICY_H */
