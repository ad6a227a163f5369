/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-d invalidation requests, in the queued-invalidation descriptor format.
 *
 * Every invalidation the module issues is first encoded as a legacy
 * (128-bit) descriptor: the queue backends copy it into a queue, and the
 * register backend decodes the same fields into CCMD/IOTLB register writes.
 * One encoding, three transports.
 */
#ifndef SCALABLE_IOMMU_VTD_INVAL_H
#define SCALABLE_IOMMU_VTD_INVAL_H

#include <linux/bits.h>
#include <linux/types.h>

/* Descriptor types (bits 3:0 of the low word). */
#define VTD_DESC_TYPE(lo)	((unsigned int)((lo) & 0xf))
#define VTD_DESC_CONTEXT	1
#define VTD_DESC_IOTLB		2
#define VTD_DESC_WAIT		5

/* Granularity (bits 5:4) of context-cache and IOTLB descriptors. */
#define VTD_DESC_GRAN(lo)	((unsigned int)(((lo) >> 4) & 3))
#define VTD_GRAN_GLOBAL		1
#define VTD_GRAN_DOMAIN		2
#define VTD_GRAN_DEVICE		3	/* context cache: one source-id */
#define VTD_GRAN_PAGE		3	/* IOTLB: an address range */

#define VTD_DESC_DID(lo)	((u16)((lo) >> 16))
#define VTD_DESC_SID(lo)	((u16)((lo) >> 32))	/* context only */
#define VTD_DESC_FM(lo)		((unsigned int)(((lo) >> 48) & 3))
#define VTD_DESC_IOTLB_DW	BIT_ULL(6)	/* drain writes */
#define VTD_DESC_IOTLB_DR	BIT_ULL(7)	/* drain reads */
#define VTD_DESC_ADDR(hi)	((hi) & ~0xfffULL)	/* IOTLB page address */
#define VTD_DESC_AM(hi)		((unsigned int)((hi) & 0x3f))	/* 2^AM pages */

/* Invalidation wait: write @data to @addr once everything before is done. */
#define VTD_DESC_WAIT_SW	BIT_ULL(5)

struct vtd_desc {
	u64 lo;
	u64 hi;
};

static inline struct vtd_desc vtd_desc_context(unsigned int gran, u16 did,
					       u16 sid)
{
	struct vtd_desc d = {
		.lo = VTD_DESC_CONTEXT | (u64)gran << 4 | (u64)did << 16 |
		      (u64)sid << 32,
	};
	return d;
}

/* @drain: the unit's CAP.DRD/DWD bits, to drain DMA before completing. */
static inline struct vtd_desc vtd_desc_iotlb(unsigned int gran, u16 did,
					     u64 addr, unsigned int am,
					     u64 drain)
{
	struct vtd_desc d = {
		.lo = VTD_DESC_IOTLB | (u64)gran << 4 | (u64)did << 16 | drain,
		.hi = gran == VTD_GRAN_PAGE ? (addr & ~0xfffULL) | am : 0,
	};
	return d;
}

static inline struct vtd_desc vtd_desc_wait(u64 status_phys, u32 data)
{
	struct vtd_desc d = {
		.lo = VTD_DESC_WAIT | VTD_DESC_WAIT_SW | (u64)data << 32,
		.hi = status_phys,
	};
	return d;
}

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
int siommu_flush_context_global(struct siommu_unit *unit);
int siommu_flush_context_device(struct siommu_unit *unit, u16 did, u16 sid);
int siommu_flush_iotlb_global(struct siommu_unit *unit);
int siommu_flush_iotlb_domain(struct siommu_unit *unit, u16 did);
int siommu_flush_iotlb_range(struct siommu_unit *unit, u16 did, u64 iova,
			     unsigned long npages);
const char *siommu_inval_path_name(const struct siommu_unit *unit);
int siommu_inval_inject_error(struct siommu_unit *unit, bool queued);

#endif /* SCALABLE_IOMMU_VTD_INVAL_H */
