/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The translation seam over the kernel's own IOMMU driver (kernel.c): an
 * unmanaged domain of the kernel's, for one device.  The kernel's driver
 * keeps the page tables and the hardware queues; the module keeps the
 * IOVAs and decides when to invalidate.
 */
#ifndef SCALABLE_IOMMU_DMA_XLATE_KERNEL_H
#define SCALABLE_IOMMU_DMA_XLATE_KERNEL_H

#include "dma/xlate/backend.h"

struct device;

extern const struct siommu_xlate_ops siommu_kernel_xlate_ops;

bool siommu_kernel_translates(void);
int siommu_kernel_xlate_check(struct device *dev);
struct siommu_xlate *siommu_kernel_xlate_attach(struct device *dev);
void siommu_kernel_xlate_detach(struct siommu_xlate *xl);
unsigned int siommu_kernel_xlate_group(struct siommu_xlate *xl);

static inline bool siommu_xlate_is_kernel(const struct siommu_xlate *xl)
{
	return xl->ops == &siommu_kernel_xlate_ops;
}

#endif /* SCALABLE_IOMMU_DMA_XLATE_KERNEL_H */
