/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-d invalidation requests, in the queued-invalidation descriptor format.
 *
 * Every invalidation the module issues is first encoded as a legacy
 * (128-bit) descriptor: the queue backends copy it into a queue, and the
 * register backend decodes the same fields into CCMD/IOTLB register writes.
 * One encoding, three transports.
 */
#ifndef SCALABLE_IOMMU_VTD_DESC_H
#define SCALABLE_IOMMU_VTD_DESC_H

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
/*
 * Invalidation hint (page-selective only): the range's leaves changed, no
 * table above them did, so the unit may keep its paging-structure caches.
 */
#define VTD_DESC_IOTLB_IH	BIT_ULL(6)

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

/*
 * @drain: the unit's CAP.DRD/DWD bits, to drain DMA before completing.
 * @ih: 0 or VTD_DESC_IOTLB_IH, for a page-selective one.
 */
static inline struct vtd_desc vtd_desc_iotlb(unsigned int gran, u16 did,
					     u64 addr, unsigned int am,
					     u64 drain, u64 ih)
{
	struct vtd_desc d = {
		.lo = VTD_DESC_IOTLB | (u64)gran << 4 | (u64)did << 16 | drain,
		.hi = gran == VTD_GRAN_PAGE ? (addr & ~0xfffULL) | ih | am : 0,
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

#endif /* SCALABLE_IOMMU_VTD_DESC_H */
