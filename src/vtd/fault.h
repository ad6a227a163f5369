/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A unit's fault recording registers, polled and reported (fault.c).
 */
#ifndef SCALABLE_IOMMU_VTD_FAULT_H
#define SCALABLE_IOMMU_VTD_FAULT_H

#include <linux/types.h>
#include <linux/workqueue.h>

struct siommu_unit;

/* Polls the fault records of every translating unit of an array. */
struct siommu_fault_poller {
	struct delayed_work work;
	struct siommu_unit *units;
	unsigned int nr_units;
	bool polling;
};

void siommu_fault_start(struct siommu_fault_poller *p,
			struct siommu_unit *units, unsigned int nr_units);
void siommu_fault_stop(struct siommu_fault_poller *p);
void siommu_fault_mask(struct siommu_unit *unit);
void siommu_fault_restore(struct siommu_unit *unit);

#endif /* SCALABLE_IOMMU_VTD_FAULT_H */
