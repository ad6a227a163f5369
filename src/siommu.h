/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalable_iommu: the module, and what the files of its surface share.
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

#include "vtd/context.h"
#include "vtd/dmar.h"
#include "vtd/fault.h"
#include "vtd/inval.h"
#include "vtd/takeover.h"
#include "vtd/topology.h"
#include "vtd/unit.h"

struct pci_dev;
struct siommu_domain;
struct siommu_inval_policy;
struct siommu_iova_ops;

struct siommu;

/*
 * Told of each device as it is attached and detached, under sio->lock:
 * sysfs.c's device/<bdf>/ directory.  attach.c reaches it through this
 * table, set by siommu_sysfs_init(), rather than call up into sysfs.c.
 */
struct siommu_device_events {
	/* Failure leaves the device attached, without the directory. */
	int (*attached)(struct siommu *sio, struct siommu_domain *dom);
	void (*detached)(struct siommu_domain *dom);
};

/*
 * Who holds the page tables and the hardware queues, decided at load:
 * our own VT-d tables on units the kernel left alone (intel_iommu=off),
 * or the kernel's own IOMMU driver, VT-d or AMD-Vi, where it translates
 * (a stock kernel's default; dma/xlate/kernel.c).
 */
enum siommu_backend {
	SIOMMU_BACKEND_VTD,
	SIOMMU_BACKEND_KERNEL,
};

/*
 * The module: one instance, built at load, torn down at unload.  What is
 * set up at load is written once there, before anything reads it; the
 * rest says what protects it (docs/layers.md, "Locks").
 */
struct siommu {
	/* Written once at load. */
	enum siommu_backend backend;
	const char *kernel_iommu;	/* kernel backend: "VT-d", "AMD-Vi" */
	struct dmar_info dmar;		/* empty on the kernel backend */
	unsigned int nr_units;		/* 0 on the kernel backend */
	struct siommu_unit *units;
	struct kobject *kobj;
	struct kobject *stats_kobj;
	struct kobject *devices_kobj;	/* device/: one directory each */

	struct mutex lock;		/* attach, detach, policy changes */
	/*
	 * Protected by lock: whether the device changing hands had a
	 * driver (attach.c's with_driver_unbound(), for its change).
	 */
	bool changing_had_driver;
	/* Protected by lock; RCU readers too (the CPU-hotplug callback). */
	struct list_head domains;	/* managed devices */
	struct list_head draining;	/* detached, mappings out */
	struct list_head devs;		/* protected by lock: siommu_dev */
	const struct siommu_device_events *device_events; /* written at load */
	/*
	 * What new attaches get; set by writing allocator/invalidation.
	 * Written under lock; sysfs reads them without it (one pointer).
	 */
	const struct siommu_iova_ops *allocator;
	const struct siommu_inval_policy *policy;
	struct delayed_work reap_work;	/* tears down drained allocators */
	int hotplug_state;		/* written at load: CPU hotplug, 0: none */
	struct siommu_fault_poller faults;
};

extern struct siommu siommu;

/* attach.c */
int siommu_attach(struct siommu *sio, const char *bdf);
int siommu_detach(struct siommu *sio, const char *bdf);
void siommu_detach_all(struct siommu *sio);
void siommu_devs_free(struct siommu *sio);
bool siommu_release_drained(struct siommu *sio, struct siommu_domain *dom,
			    bool force);
void siommu_detach_removed(struct siommu *sio, struct pci_dev *pdev);

/* pci_addr.c */
struct pci_dev *siommu_pci_dev_at(const char *buf, int *err);

/* reaper.c */
void siommu_reap_init(struct siommu *sio);

/* cpu_hotplug.c */
int siommu_hotplug_init(struct siommu *sio);
void siommu_hotplug_exit(struct siommu *sio);

/* swaps.c */
int siommu_allocator_allowed(struct siommu *sio,
			     const struct siommu_iova_ops *ops);
int siommu_set_allocator(struct siommu *sio,
			 const struct siommu_iova_ops *ops);
int siommu_set_inval_policy(struct siommu *sio,
			    const struct siommu_inval_policy *ops);

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
void siommu_sysfs_exit(struct siommu *sio);

#endif /* SCALABLE_IOMMU_H */
