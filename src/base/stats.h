/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU event counters, summed on read; one sysfs file each under
 * /sys/kernel/scalable_iommu/stats/.
 */
#ifndef SCALABLE_IOMMU_STATS_H
#define SCALABLE_IOMMU_STATS_H

#include <linux/kobject.h>
#include <linux/percpu.h>

enum siommu_stat {
	SIOMMU_STAT_MAPS,		/* map calls that succeeded */
	SIOMMU_STAT_UNMAPS,		/* unmap calls */
	SIOMMU_STAT_PAGES_MAPPED,	/* 4 KiB pages mapped, all calls */
	SIOMMU_STAT_MAP_ERRORS,		/* maps refused: no IOVA, no memory */
	SIOMMU_STAT_IOTLB_FLUSHES,	/* IOTLB invalidations issued */
	SIOMMU_STAT_FAULTS,		/* DMA faults reported */
	SIOMMU_STAT_FAULTS_LOST,	/* fault record overflows */
	SIOMMU_STAT_FALLBACKS,		/* maps the 32-bit fallback served */
	SIOMMU_STAT_BAD_UNMAPS,		/* unmaps of IOVAs not mapped */
	SIOMMU_STAT_SWAPS,		/* allocator or policy changes */
	SIOMMU_STAT_BATCHES,		/* batches flushed (deferred, percpu) */
	SIOMMU_STAT_BATCHED,		/* unmaps those batches carried */
	SIOMMU_STAT_INJECTED_FAILURES,	/* allocations failed on purpose */
	SIOMMU_STAT_LATE_CALLS,		/* calls with a detached domain's handle */
	SIOMMU_STAT_QUEUE_ERRORS,	/* invalidation queue errors recovered */
	SIOMMU_STAT_TABLE_FREEING_UNMAPS, /* unmaps that freed table pages */
	SIOMMU_STAT_INVAL_DESCS,	/* invalidation descriptors submitted */
	/* Waits for the unit: wait descriptors, calls to the kernel's queue. */
	SIOMMU_STAT_INVAL_WAITS,
	SIOMMU_STAT_INVAL_LOCK_NS,	/* ns a submission lock was held */
	SIOMMU_STAT_SHADOW_MAPS,	/* maps served from shadow buffers */
	SIOMMU_STAT_SHADOW_BYTES,	/* bytes copied in and out of them */
	/* Sub-page maps refused: the pool full, memory or IOVAs short. */
	SIOMMU_STAT_SHADOW_REFUSED,
	/* Shadow maps over 64 KiB: whole pages in place, partial ends not. */
	SIOMMU_STAT_SHADOW_SPLITS,
	SIOMMU_NR_STATS
};

struct siommu_stats {
	unsigned long v[SIOMMU_NR_STATS];
};

DECLARE_PER_CPU(struct siommu_stats, siommu_stats);

static inline void siommu_stat_add(enum siommu_stat s, unsigned long n)
{
	this_cpu_add(siommu_stats.v[s], n);
}

static inline void siommu_stat_inc(enum siommu_stat s)
{
	this_cpu_inc(siommu_stats.v[s]);
}

int siommu_stats_init(struct kobject *parent, struct kobject **dir);
void siommu_stats_exit(struct kobject *dir);

#endif /* SCALABLE_IOMMU_STATS_H */
