// SPDX-License-Identifier: GPL-2.0
/*
 * Every invalidation policy, and what the module does to all of them at
 * once: set them up at load, drain them when the batch timeout changes,
 * report the oldest pending unmap, tear them down.  A new policy is one
 * new file and one line here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/minmax.h>

#include "dma/inval/policy.h"

const struct siommu_inval_policy *const siommu_inval_policies[] = {
	&siommu_inval_strict,
	&siommu_inval_deferred,
	&siommu_inval_percpu,
};

const unsigned int siommu_nr_inval_policies = ARRAY_SIZE(siommu_inval_policies);

/* On failure nothing is left set up: siommu_inval_policies_exit() ran. */
int siommu_inval_policies_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < siommu_nr_inval_policies; i++) {
		const struct siommu_inval_policy *p = siommu_inval_policies[i];

		if (!p->init)
			continue;
		ret = p->init();
		if (ret) {
			pr_err("invalidation policy %s: setup failed (%d)\n",
			       p->name, ret);
			siommu_inval_policies_exit();
			return ret;
		}
	}
	return 0;
}

void siommu_inval_policies_exit(void)
{
	unsigned int i = siommu_nr_inval_policies;

	while (i--)
		if (siommu_inval_policies[i]->exit)
			siommu_inval_policies[i]->exit();
}

void siommu_inval_policies_drain(void)
{
	unsigned int i;

	for (i = 0; i < siommu_nr_inval_policies; i++)
		siommu_inval_policies[i]->drain();
}

u64 siommu_inval_policies_oldest_age_us(void)
{
	u64 age = 0;
	unsigned int i;

	for (i = 0; i < siommu_nr_inval_policies; i++)
		if (siommu_inval_policies[i]->age_us)
			age = max(age, siommu_inval_policies[i]->age_us());
	return age;
}
