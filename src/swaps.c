// SPDX-License-Identifier: GPL-2.0
/*
 * Global swaps: every managed device, and every later attach, to another
 * allocator or invalidation policy (the allocator and invalidation files).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/pci.h>

#include "dma/domain.h"
#include "siommu.h"
#include "base/stats.h"

/**
 * siommu_allocator_allowed() - can @ops run on this backend at all?
 * @sio: the module
 * @ops: an allocator
 *
 * Return: 0, or -EOPNOTSUPP with the reason logged.
 */
int siommu_allocator_allowed(struct siommu *sio,
			     const struct siommu_iova_ops *ops)
{
	if (sio->backend != SIOMMU_BACKEND_KERNEL ||
	    ops->mode != SIOMMU_IOVA_1TO1)
		return 0;
	pr_err("allocator %s keeps its reference counts in spare bits of our own page-table entries; the kernel's IOMMU driver owns the tables here (boot with intel_iommu=off for our own)\n",
	       ops->name);
	return -EOPNOTSUPP;
}

/**
 * siommu_set_allocator() - switch every managed device, and new ones
 * @sio: the module
 * @ops: the allocator
 *
 * Return: 0, or the first device's error (devices before it switched,
 * the rest did not; the default is unchanged then).
 */
int siommu_set_allocator(struct siommu *sio,
			 const struct siommu_iova_ops *ops)
{
	struct siommu_domain *dom;
	unsigned int i;
	int ret = 0;

	ret = siommu_allocator_allowed(sio, ops);
	if (ret)
		return ret;
	mutex_lock(&sio->lock);
	for (i = 0; i < sio->nr_units && !ret; i++) {
		ret = siommu_allocator_check(ops, sio->units[i].max_iova);
		if (ret)
			pr_err("allocator %s cannot serve dmar%u: its ranges do not fit the unit's %u-bit address space\n",
			       ops->name, i,
			       VTD_PAGE_SHIFT + VTD_LEVEL_BITS *
			       sio->units[i].levels);
	}
	list_for_each_entry(dom, &sio->domains, node) {
		bool changed = siommu_domain_allocator(dom) != ops;

		if (ret)
			break;
		ret = siommu_domain_set_allocator(dom, ops);
		if (ret == -EBUSY)
			pci_err(dom->pdev, "earlier allocators are still draining; try again\n");
		else if (ret)
			pci_err(dom->pdev, "cannot switch to allocator %s (%d)\n",
				ops->name, ret);
		else if (changed)
			siommu_stat_inc(SIOMMU_STAT_SWAPS);
	}
	if (!ret)
		sio->allocator = ops;
	schedule_delayed_work(&sio->reap_work, HZ / 10);
	mutex_unlock(&sio->lock);
	return ret;
}

/**
 * siommu_set_inval_policy() - switch every managed device's policy, and new ones'
 * @sio: the module
 * @ops: the policy
 *
 * A device that must stay strict (siommu_domain_why_strict()) does,
 * with a notice in the log.
 *
 * Return: 0.
 */
int siommu_set_inval_policy(struct siommu *sio,
			    const struct siommu_inval_policy *ops)
{
	struct siommu_domain *dom;

	mutex_lock(&sio->lock);
	list_for_each_entry(dom, &sio->domains, node) {
		if (siommu_domain_inval_policy(dom) == ops)
			continue;
		if (siommu_domain_set_inval_policy(dom, ops)) {
			pci_notice(dom->pdev, "kept on strict invalidation: %s\n",
				   siommu_domain_why_strict(dom));
			continue;
		}
		siommu_stat_inc(SIOMMU_STAT_SWAPS);
	}
	sio->policy = ops;
	mutex_unlock(&sio->lock);
	return 0;
}
