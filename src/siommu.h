/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalable_iommu: state shared between the module's files.
 */
#ifndef SCALABLE_IOMMU_H
#define SCALABLE_IOMMU_H

#include <linux/dma-map-ops.h>
#include <linux/idr.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "vtd/dmar.h"
#include "dma/iova/allocator.h"
#include "vtd/kernel_queue.h"
#include "vtd/context.h"
#include "vtd/inval.h"
#include "vtd/pgtable.h"
#include "vtd/topology.h"

struct pci_dev;
struct siommu_domain;
struct siommu_flush_ops;
struct siommu_unit;

/*
 * The devices already behind a unit: their context entries are set
 * before translation starts and dropped once it has stopped.  Which
 * entries is device policy, not hardware: the caller's (unmanaged.c),
 * called back with the cookie it gave siommu_unit_enable().
 */
struct siommu_unit_devices_ops {
	/* Entries for every device; on failure, leave none. */
	int (*populate)(void *cookie, struct siommu_unit *unit);
	/* Undo populate, once the unit walks the tables no more. */
	void (*depopulate)(void *cookie, struct siommu_unit *unit);
};

/* How a unit's invalidations reach it (see inval.c). */
enum siommu_inval_path {
	SIOMMU_INVAL_REGISTERS,		/* no queued invalidation */
	SIOMMU_INVAL_OWN_QUEUE,		/* we set the queue up */
	SIOMMU_INVAL_KERNEL_QUEUE,	/* interrupt remapping holds it */
};

/* One DMAR remapping hardware unit (a DRHD). */
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

	/* Translation, set up by siommu_unit_enable(). */
	bool translating;
	bool identity_domain;		/* no ECAP.PT: unmanaged devices 1:1 */
	struct vtd_pgtable identity;	/* ... through this table */
	unsigned int levels;		/* page-table depth of our domains */
	u64 max_iova;			/* last IOVA our tables can hold */
	struct vtd_context_tables ctx;
	struct ida dids;		/* domain ids in use */
	const struct siommu_unit_devices_ops *devices;
	void *devices_cookie;

	/* Invalidation (inval.c). */
	enum siommu_inval_path inval_path;
	/*
	 * GCMD, CCMD/IOTLB registers, our queue.  Raw, as the kernel's VT-d
	 * driver's register and queue locks are: it stays a spinning lock
	 * with interrupts off on PREEMPT_RT, so an invalidation is one
	 * bounded section (INVAL_SPIN_NS at most) wherever it is called
	 * from.  Nothing inside it allocates or takes a sleeping lock.
	 */
	raw_spinlock_t reg_lock;
	struct vtd_desc *queue;		/* our queue: one page */
	unsigned int queue_tail;	/* next free slot */
	u32 *wait_status;		/* written by wait descriptors */
	u32 wait_seq;
	bool queue_unfinished;		/* last submission left entries */
	void *kernel_iommu;		/* struct intel_iommu * of the kernel */
	u64 drain;			/* DR/DW bits for IOTLB descriptors */

	/* Faults (fault.c). */
	unsigned long faults_lost;	/* primary fault overflows */
};

/* The module: one instance, built at load, torn down at unload. */
struct siommu {
	struct dmar_info dmar;
	unsigned int nr_units;
	struct siommu_unit *units;
	struct kobject *kobj;
	struct kobject *stats_kobj;
	struct kobject *devices_kobj;	/* device/: one directory each */

	struct mutex lock;		/* attach, detach, policy changes */
	struct list_head domains;	/* managed devices (RCU list) */
	struct list_head draining;	/* detached, mappings out (RCU list) */
	struct list_head devs;		/* struct siommu_dev, until unload */
	/* What new attaches get; set by writing allocator/invalidation. */
	const struct siommu_iova_ops *allocator;
	const struct siommu_flush_ops *flush;
	struct delayed_work reap_work;	/* tears down drained allocators */
	int hotplug_state;		/* our CPU hotplug state, 0: none */
	struct delayed_work fault_work;	/* fault polling */
	bool fault_polling;
};

extern struct siommu siommu;

/*
 * The domain id of every device we do not manage: shared by its
 * pass-through entries, or by the identity domain where there is no
 * pass-through.
 */
#define SIOMMU_UNMANAGED_DID	1

/* unit.c */
int siommu_unit_map(struct siommu_unit *unit);
void siommu_unit_unmap(struct siommu_unit *unit);
bool siommu_unit_registers_unchanged(struct siommu_unit *unit);
int siommu_unit_describe(const struct siommu_unit *unit, char *buf, int at);
int siommu_unit_gcmd(struct siommu_unit *unit, u32 bit, bool on);
int siommu_unit_flush_write_buffer(struct siommu_unit *unit);
int siommu_unit_enable(struct siommu_unit *unit,
		       const struct siommu_unit_devices_ops *devices,
		       void *cookie);
void siommu_unit_disable(struct siommu_unit *unit);

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
extern struct kobj_attribute siommu_inject_queue_error_attr;

/* fault.c */
void siommu_fault_start(struct siommu *sio);
void siommu_fault_stop(struct siommu *sio);
void siommu_fault_mask(struct siommu_unit *unit);
void siommu_fault_restore(struct siommu_unit *unit);

/* attach.c */
int siommu_attach(struct siommu *sio, const char *bdf);
int siommu_detach(struct siommu *sio, const char *bdf);
void siommu_detach_all(struct siommu *sio);
void siommu_devs_free(struct siommu *sio);
int siommu_set_allocator(struct siommu *sio,
			 const struct siommu_iova_ops *ops);
int siommu_set_flush(struct siommu *sio, const struct siommu_flush_ops *ops);
void siommu_reap_init(struct siommu *sio);
int siommu_hotplug_init(struct siommu *sio);
void siommu_hotplug_exit(struct siommu *sio);
void siommu_detach_removed(struct siommu *sio, struct pci_dev *pdev);

/* pci_events.c */
extern struct mutex siommu_context_lock;
int siommu_pci_events_init(struct siommu *sio);
void siommu_pci_events_exit(struct siommu *sio);

/* unmanaged.c */
extern const struct siommu_unit_devices_ops siommu_unmanaged_devices;
void siommu_unmanaged_entry(const struct siommu_unit *unit,
			    struct vtd_context_entry *e);

/* sysfs.c */
int siommu_sysfs_init(struct siommu *sio);
int siommu_sysfs_device_add(struct siommu *sio, struct siommu_domain *dom);
void siommu_sysfs_device_remove(struct siommu_domain *dom);
void siommu_sysfs_exit(struct siommu *sio);

#endif /* SCALABLE_IOMMU_H */
