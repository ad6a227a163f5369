// SPDX-License-Identifier: GPL-2.0
/*
 * Submitting invalidations through the kernel's own invalidation queue.
 *
 * When the kernel's interrupt-remapping code has enabled a unit's queue,
 * the spec forbids register-based invalidation on that unit and there is
 * only one queue, so our descriptors must go through the kernel's
 * qi_submit_sync(), which serialises them with the kernel's own interrupt
 * entry cache flushes under its queue lock.
 *
 * Neither qi_submit_sync() nor the list of the kernel's units
 * (dmar_drhd_units) is exported to modules.  This file is the only place
 * that reaches past the module interface: it finds both by name at run
 * time through kallsyms (itself found through a kprobe, as
 * kallsyms_lookup_name() is not exported since 5.7).  Upstream, the
 * equivalent would be an exported "submit to the queue of the unit at this
 * base address" helper in drivers/iommu/intel/dmar.c; nothing else in the
 * module depends on how this file gets there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dmar.h>
#include <linux/kprobes.h>
#include <linux/rculist.h>

#include "vtd/kernel_queue.h"

/* The kernel's descriptor: 256 bits, of which legacy mode uses 128. */
struct kernel_qi_desc {
	u64 qw0, qw1, qw2, qw3;
};

/* drivers/iommu/intel/dmar.c, 5.8 and later. */
typedef int (*qi_submit_sync_fn)(void *iommu, struct kernel_qi_desc *desc,
				 unsigned int count, unsigned long options);

static qi_submit_sync_fn kernel_qi_submit_sync;

static unsigned long lookup_symbol(const char *name)
{
	typedef unsigned long (*lookup_fn)(const char *name);
	static lookup_fn lookup;
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };

	if (!lookup) {
		if (register_kprobe(&kp) < 0)
			return 0;
		lookup = (lookup_fn)kp.addr;
		unregister_kprobe(&kp);
	}
	return lookup ? lookup(name) : 0;
}

/**
 * siommu_kernel_iommu_of() - the kernel's state for the unit at @reg_base
 * @reg_base: the unit's register base address
 *
 * Return: the kernel's struct intel_iommu for the unit, or NULL when the
 * kernel does not drive it or its symbols cannot be found.
 */
void *siommu_kernel_iommu_of(u64 reg_base)
{
	struct list_head *units;
	struct dmar_drhd_unit *drhd;
	void *iommu = NULL;

	if (!kernel_qi_submit_sync)
		kernel_qi_submit_sync =
			(qi_submit_sync_fn)lookup_symbol("qi_submit_sync");
	units = (struct list_head *)lookup_symbol("dmar_drhd_units");
	if (!kernel_qi_submit_sync || !units)
		return NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(drhd, units, list) {
		if (drhd->reg_base_addr == reg_base) {
			iommu = drhd->iommu;
			break;
		}
	}
	rcu_read_unlock();
	return iommu;
}

/**
 * siommu_kernel_queue_submit() - run a descriptor on the kernel's queue
 * @kernel_iommu: from siommu_kernel_iommu_of()
 * @desc: a legacy context-cache or IOTLB descriptor
 *
 * qi_submit_sync() appends its own wait descriptor and spins until it
 * completes, with interrupts off (its queue lock dropped between looks at
 * the status), so it may be called from any context.
 *
 * Return: 0, or the kernel's error (-EINVAL on a queue error).
 */
int siommu_kernel_queue_submit(void *kernel_iommu, struct vtd_desc desc)
{
	struct kernel_qi_desc qd = { .qw0 = desc.lo, .qw1 = desc.hi };

	return kernel_qi_submit_sync(kernel_iommu, &qd, 1, 0);
}
