/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's invalidation queue, reached from a module (kernel_queue.c).
 * Kept apart from siommu.h: kernel_queue.c needs <linux/dmar.h>, whose
 * names clash with our own DMAR table types.
 */
#ifndef SCALABLE_IOMMU_KERNEL_QUEUE_H
#define SCALABLE_IOMMU_KERNEL_QUEUE_H

#include "vtd/desc.h"

void *siommu_kernel_iommu_of(u64 reg_base);
int siommu_kernel_queue_submit(void *kernel_iommu, struct vtd_desc desc);

#endif /* SCALABLE_IOMMU_KERNEL_QUEUE_H */
