/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One VT-d remapping unit: its state, and its registers (unit.c).
 */
#ifndef SCALABLE_IOMMU_VTD_UNIT_H
#define SCALABLE_IOMMU_VTD_UNIT_H

#include <linux/idr.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "vtd/context.h"
#include "vtd/dmar.h"
#include "vtd/pgtable.h"

struct siommu_unit_devices_ops;
struct vtd_desc;
struct siommu_queue_book;

/*
 * The domain id of every device we do not manage: shared by its
 * pass-through entries, or by the identity domain where there is no
 * pass-through.
 */
#define SIOMMU_UNMANAGED_DID	1

/* How a unit's invalidations reach it (see inval.c). */
enum siommu_inval_path {
	SIOMMU_INVAL_REGISTERS,		/* no queued invalidation */
	SIOMMU_INVAL_OWN_QUEUE,		/* we set the queue up */
	SIOMMU_INVAL_KERNEL_QUEUE,	/* interrupt remapping holds it */
};

/*
 * One DMAR remapping hardware unit (a DRHD).  Set up at load, before any
 * device is translated, and torn down at unload: everything but what is
 * tagged otherwise is written only then (docs/layers.md, "Locks").
 */
struct siommu_unit {
	unsigned int index;		/* dmarN, in table order */
	const struct dmar_drhd *drhd;
	void __iomem *regs;
	resource_size_t reg_size;
	bool region_claimed;		/* false: the kernel holds the region */

	u32 ver;
	u64 cap;
	u64 ecap;
	/* Registers as found at load, to prove unload leaves them so. */
	u32 gsts_at_load;
	u64 rtaddr_at_load;
	u64 iqa_at_load;
	u32 fectl_at_load;

	/* Translation, set up by siommu_unit_enable() (takeover.c). */
	bool translating;
	/*
	 * No ECAP.PT: unmanaged devices go 1:1 through the static identity
	 * ("si") domain, as Linux calls it, and this table (unmanaged.c).
	 */
	bool si_domain;
	struct vtd_pgtable si_table;
	unsigned int levels;		/* page-table depth of our domains */
	u64 max_iova;			/* last IOVA our tables can hold */
	/*
	 * Managed devices' entries change under siommu.lock, the others'
	 * and table allocation under siommu_context_lock (pci_events.c).
	 */
	struct vtd_context_tables ctx;
	struct ida dids;		/* internally locked: domain ids */
	const struct siommu_unit_devices_ops *devices;
	void *devices_cookie;

	/* Invalidation (inval.c). */
	enum siommu_inval_path inval_path;
	/*
	 * GCMD, the CCMD/IOTLB registers, our queue's bookkeeping.  Raw,
	 * as the kernel's VT-d driver's register and queue locks are: it
	 * stays a spinning lock with interrupts off on PREEMPT_RT.  Held only to write registers
	 * and descriptors, never while waiting for our queue: waiters
	 * watch a sequence number (inval.c).  Nothing inside it allocates
	 * or takes a sleeping lock.
	 */
	raw_spinlock_t reg_lock;
	struct vtd_desc *queue;		/* our queue: one page */
	struct siommu_queue_book *book;	/* reg_lock: what each slot holds */
	unsigned int queue_tail;	/* reg_lock: next free slot */
	unsigned int queue_published;	/* reg_lock: IQT as last written */
	u32 *wait_status;		/* the unit's: last group completed */
	u32 wait_seq;			/* reg_lock; read lock-free */
	void *kernel_iommu;		/* struct intel_iommu * of the kernel */
	u64 drain;			/* DR/DW bits for IOTLB descriptors */

	/* Faults (fault.c). */
	unsigned long faults_lost;	/* the fault poller's: overflows */
};

int siommu_unit_map(struct siommu_unit *unit);
void siommu_unit_unmap(struct siommu_unit *unit);
bool siommu_unit_registers_unchanged(struct siommu_unit *unit);
int siommu_unit_gcmd(struct siommu_unit *unit, u32 bit, bool on);
int siommu_unit_set_root(struct siommu_unit *unit, u64 rtaddr);
int siommu_unit_flush_write_buffer(struct siommu_unit *unit);

#endif /* SCALABLE_IOMMU_VTD_UNIT_H */
