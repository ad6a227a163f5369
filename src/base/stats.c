// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/scalable_iommu/stats: per-CPU counters, one value a file.
 *
 * Each CPU adds to its own copy without atomics or shared cache lines; a
 * read sums the copies, so a value read under load is a moment's snapshot.
 */
#include <linux/cpumask.h>
#include <linux/sysfs.h>

#include "base/stats.h"

DEFINE_PER_CPU(struct siommu_stats, siommu_stats);

static unsigned long stat_sum(enum siommu_stat s)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(siommu_stats, cpu).v[s];
	return sum;
}

struct stat_attr {
	struct kobj_attribute attr;
	enum siommu_stat stat;
};

static ssize_t stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  stat_sum(container_of(attr, struct stat_attr,
						attr)->stat));
}

#define STAT_ATTR(_name, _stat) \
	static struct stat_attr stat_##_name = { \
		.attr = __ATTR(_name, 0444, stat_show, NULL), \
		.stat = _stat, \
	}

STAT_ATTR(maps, SIOMMU_STAT_MAPS);
STAT_ATTR(unmaps, SIOMMU_STAT_UNMAPS);
STAT_ATTR(pages_mapped, SIOMMU_STAT_PAGES_MAPPED);
STAT_ATTR(map_errors, SIOMMU_STAT_MAP_ERRORS);
STAT_ATTR(iotlb_flushes, SIOMMU_STAT_IOTLB_FLUSHES);
STAT_ATTR(faults, SIOMMU_STAT_FAULTS);
STAT_ATTR(faults_lost, SIOMMU_STAT_FAULTS_LOST);
STAT_ATTR(fallbacks, SIOMMU_STAT_FALLBACKS);
STAT_ATTR(bad_unmaps, SIOMMU_STAT_BAD_UNMAPS);
STAT_ATTR(swaps, SIOMMU_STAT_SWAPS);
STAT_ATTR(batches, SIOMMU_STAT_BATCHES);
STAT_ATTR(batched_unmaps, SIOMMU_STAT_BATCHED);
STAT_ATTR(injected_failures, SIOMMU_STAT_INJECTED_FAILURES);
STAT_ATTR(late_calls, SIOMMU_STAT_LATE_CALLS);
STAT_ATTR(table_freeing_unmaps, SIOMMU_STAT_TABLE_FREEING_UNMAPS);
STAT_ATTR(queue_errors, SIOMMU_STAT_QUEUE_ERRORS);
STAT_ATTR(inval_descriptors, SIOMMU_STAT_INVAL_DESCS);
STAT_ATTR(inval_waits, SIOMMU_STAT_INVAL_WAITS);
STAT_ATTR(inval_lock_ns, SIOMMU_STAT_INVAL_LOCK_NS);
STAT_ATTR(shadow_maps, SIOMMU_STAT_SHADOW_MAPS);
STAT_ATTR(shadow_bytes, SIOMMU_STAT_SHADOW_BYTES);
STAT_ATTR(shadow_refused, SIOMMU_STAT_SHADOW_REFUSED);
STAT_ATTR(shadow_splits, SIOMMU_STAT_SHADOW_SPLITS);

static struct attribute *stat_attrs[] = {
	&stat_maps.attr.attr,
	&stat_unmaps.attr.attr,
	&stat_pages_mapped.attr.attr,
	&stat_map_errors.attr.attr,
	&stat_iotlb_flushes.attr.attr,
	&stat_faults.attr.attr,
	&stat_faults_lost.attr.attr,
	&stat_fallbacks.attr.attr,
	&stat_bad_unmaps.attr.attr,
	&stat_swaps.attr.attr,
	&stat_batches.attr.attr,
	&stat_batched_unmaps.attr.attr,
	&stat_injected_failures.attr.attr,
	&stat_late_calls.attr.attr,
	&stat_table_freeing_unmaps.attr.attr,
	&stat_queue_errors.attr.attr,
	&stat_inval_descriptors.attr.attr,
	&stat_inval_waits.attr.attr,
	&stat_inval_lock_ns.attr.attr,
	&stat_shadow_maps.attr.attr,
	&stat_shadow_bytes.attr.attr,
	&stat_shadow_refused.attr.attr,
	&stat_shadow_splits.attr.attr,
	NULL,
};

static const struct attribute_group stat_group = {
	.attrs = stat_attrs,
};

int siommu_stats_init(struct kobject *parent, struct kobject **dir)
{
	int ret;

	*dir = kobject_create_and_add("stats", parent);
	if (!*dir)
		return -ENOMEM;
	ret = sysfs_create_group(*dir, &stat_group);
	if (ret) {
		kobject_put(*dir);
		*dir = NULL;
	}
	return ret;
}

void siommu_stats_exit(struct kobject *dir)
{
	if (!dir)
		return;
	sysfs_remove_group(dir, &stat_group);
	kobject_put(dir);
}
