/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The translation seam over our own VT-d tables (vtd.c): one domain id and
 * one second-level page table on one unit.  The module surface reads the
 * fields to point context entries at the table and to report it.
 */
#ifndef SCALABLE_IOMMU_DMA_XLATE_VTD_H
#define SCALABLE_IOMMU_DMA_XLATE_VTD_H

#include <linux/container_of.h>

#include "dma/xlate/backend.h"
#include "vtd/pgtable.h"

struct siommu_unit;

struct siommu_vtd_xlate {
	struct siommu_xlate base;
	struct siommu_unit *unit;	/* written once at create */
	u16 did;			/* written once at create */
	struct vtd_pgtable pt;		/* lock-free: see vtd/pgtable.h */
};

extern const struct siommu_xlate_ops siommu_vtd_xlate_ops;

struct siommu_xlate *siommu_vtd_xlate_create(struct siommu_unit *unit);

/* @xl's VT-d side; @xl must come from siommu_vtd_xlate_create(). */
static inline struct siommu_vtd_xlate *siommu_vtd_xlate(struct siommu_xlate *xl)
{
	return container_of(xl, struct siommu_vtd_xlate, base);
}

#endif /* SCALABLE_IOMMU_DMA_XLATE_VTD_H */
