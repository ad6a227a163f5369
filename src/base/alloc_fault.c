// SPDX-License-Identifier: GPL-2.0
/*
 * The fail_alloc_ppm debug knob (src/base/alloc_fault.h): a module
 * parameter, 0..1000000 parts per million, 0 by default, writable at run
 * time through /sys/module/scalable_iommu/parameters/fail_alloc_ppm.
 * Each failure it decides is counted in stats/injected_failures.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/random.h>

#include "base/alloc_fault.h"
#include "base/stats.h"

#define PPM	1000000

unsigned int siommu_fail_alloc_ppm;

bool siommu_fail_alloc_roll(void)
{
	if (get_random_u32() % PPM >= READ_ONCE(siommu_fail_alloc_ppm))
		return false;
	siommu_stat_inc(SIOMMU_STAT_INJECTED_FAILURES);
	return true;
}

/* A rate out of range is refused, not clamped: -EINVAL, nothing changes. */
static int fail_alloc_ppm_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ppm;

	/* Overflow included: one answer for every bad value. */
	if (kstrtouint(val, 0, &ppm) || ppm > PPM)
		return -EINVAL;
	WRITE_ONCE(siommu_fail_alloc_ppm, ppm);
	return 0;
}

static const struct kernel_param_ops fail_alloc_ppm_ops = {
	.set = fail_alloc_ppm_set,
	.get = param_get_uint,
};

module_param_cb(fail_alloc_ppm, &fail_alloc_ppm_ops, &siommu_fail_alloc_ppm,
		0644);
MODULE_PARM_DESC(fail_alloc_ppm,
		 "debug: fail page-table, magazine and IOVA node allocations at this rate, parts per million (0: off)");
