/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Invalidation of a unit's context cache and IOTLB (inval.c): the
 * register fields its register path writes, and its calls.
 */
#ifndef SCALABLE_IOMMU_VTD_INVAL_H
#define SCALABLE_IOMMU_VTD_INVAL_H

#include <linux/bits.h>
#include <linux/types.h>

#include "vtd/desc.h"

/* Register-based equivalents (CCMD_REG, IOTLB_REG, IVA_REG). */
#define VTD_CCMD_ICC		BIT_ULL(63)
#define VTD_CCMD_CIRG_SHIFT	61
#define VTD_CCMD_FM_SHIFT	32
#define VTD_CCMD_SID_SHIFT	16
#define VTD_IOTLB_IVT		BIT_ULL(63)
#define VTD_IOTLB_IIRG_SHIFT	60
#define VTD_IOTLB_DR		BIT_ULL(49)
#define VTD_IOTLB_DW		BIT_ULL(48)
#define VTD_IOTLB_DID_SHIFT	32

/* Queue registers */
#define VTD_IQA_QS_MASK		7ULL	/* queue is 2^QS pages */
#define VTD_IQ_TAIL_SHIFT	4	/* IQT/IQH hold index * 16 */
/*
 * Queue errors in FSTS, each write-1-to-clear.  IQE: the unit refused the
 * descriptor at IQH and fetches nothing more until IQE is cleared.  ICE
 * and ITE: a device-TLB invalidation completed badly or timed out.
 */
#define VTD_FSTS_IQE		BIT(4)	/* invalidation queue error */
#define VTD_FSTS_ICE		BIT(5)	/* invalidation completion error */
#define VTD_FSTS_ITE		BIT(6)	/* invalidation time-out */

/* CAP bits asking for drains with IOTLB invalidation. */
#define VTD_CAP_DWD(c)		((unsigned int)(((c) >> 54) & 1))
#define VTD_CAP_DRD(c)		((unsigned int)(((c) >> 55) & 1))
#define VTD_CAP_ZLR(c)		((unsigned int)(((c) >> 22) & 1))

struct siommu_unit;

/* inval.c */
int siommu_inval_init(struct siommu_unit *unit);
void siommu_inval_exit(struct siommu_unit *unit);
int siommu_inval_submit(struct siommu_unit *unit, struct vtd_desc desc);
int siommu_inval_context_global(struct siommu_unit *unit);
int siommu_inval_context_device(struct siommu_unit *unit, u16 did, u16 sid);
int siommu_inval_iotlb_global(struct siommu_unit *unit);
int siommu_inval_iotlb_domain(struct siommu_unit *unit, u16 did);
int siommu_inval_iotlb_range(struct siommu_unit *unit, u16 did, u64 iova,
			     unsigned long npages, bool leaves_only);
const char *siommu_inval_path_name(const struct siommu_unit *unit);
int siommu_inval_inject_error(struct siommu_unit *unit, bool queued);

#endif /* SCALABLE_IOMMU_VTD_INVAL_H */
