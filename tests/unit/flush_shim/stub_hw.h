/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake remapping unit for the invalidation policies (stub_hw.c).
 *
 * An invalidation holds the unit's lock for a fixed spin, as the module's
 * inval.c holds reg_lock while it waits for the hardware, and it numbers
 * every invalidation it begins: a range unmapped while the count was g is
 * covered by invalidation number g or any later one (it began after the
 * PTEs were cleared).  stub_covered() answers whether such an
 * invalidation has completed, as seen from the calling thread: a global
 * one by anyone, a domain-selective one of its domain by anyone, or the
 * caller's own latest page-selective one if its domain and range cover
 * the range.
 */
#ifndef SIOMMU_STUB_HW_H
#define SIOMMU_STUB_HW_H
#include <linux/spinlock.h>
#include <linux/types.h>

/* Domain ids the fake unit tracks domain-selective invalidations of. */
#define STUB_DIDS	16

struct siommu_unit {
	unsigned int index;
	spinlock_t reg_lock;		/* held across an invalidation */
	bool fail;			/* invalidations fail (-EIO) while set */
	u64 begun;			/* invalidations begun (atomic) */
	u64 global_done;		/* 1 + number of newest global one done */
	/* The same, per domain id below STUB_DIDS: domain-selective ones. */
	u64 domain_done[STUB_DIDS];
	unsigned long global_flushes;	/* succeeded, under reg_lock */
	unsigned long domain_flushes;	/* succeeded, under reg_lock */
	unsigned long range_flushes;	/* succeeded, under reg_lock */
};

/* Loop iterations one invalidation spins for, under the unit's lock. */
#define STUB_FLUSH_SPIN_DEFAULT	1000
extern unsigned long stub_flush_spin;

void stub_unit_init(struct siommu_unit *unit, unsigned int index);
/* The number the next invalidation of @unit will take. */
u64 stub_unit_token(struct siommu_unit *unit);
/* Has an invalidation numbered @token or later covered the range? */
bool stub_covered(struct siommu_unit *unit, u64 token, u16 did,
		  unsigned long pfn, unsigned long npages);
unsigned long stub_global_flushes(struct siommu_unit *unit);
unsigned long stub_range_flushes(struct siommu_unit *unit);
unsigned long stub_domain_flushes(struct siommu_unit *unit);
/* trace_siommu_inval() calls, all units. */
unsigned long stub_trace_flushes(void);
#endif
