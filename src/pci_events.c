// SPDX-License-Identifier: GPL-2.0
/*
 * PCI devices that come and go while our units translate.
 *
 * A unit that translates blocks every requester id without a context
 * entry ("root entry not present" for a bus without a context table), so
 * a device that appears after load (hot-plug into a root port, a rescan,
 * SR-IOV virtual functions, a new bus behind a bridge) needs its
 * pass-through or identity-domain entries before its driver may probe.
 * The bus notifier sets them from BUS_NOTIFY_ADD_DEVICE: device_add()
 * calls it after the device is on the bus's list and before any driver
 * is matched (PCI probes later still, from pci_bus_add_device()).
 *
 * A device that leaves the bus has lost its driver by the time
 * BUS_NOTIFY_REMOVED_DEVICE arrives.  If it was attached, its domain, its
 * device/<bdf>/ directory and the module reference the attach took go
 * too; then its requester ids that no other device uses are cleared, so
 * nothing answers at the empty address and a device plugged in there
 * later starts afresh, untranslated.  That work runs from a work item,
 * not from the notifier: the notifier may be called by a thread that
 * holds sio->lock itself (a physical function's driver, unbound or bound
 * by an attach or detach, removing or adding its virtual functions).
 *
 * Lock order: sio->lock, then siommu_context_lock.  The notifier takes
 * only the latter, which guards allocation of context tables and the
 * entries of devices nobody manages.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "siommu.h"
#include "vtd/regs.h"

/* Context-table allocation; entries of devices nobody manages. */
DEFINE_MUTEX(siommu_context_lock);

/* A device gone from the bus, waiting for removed_work. */
struct removed_device {
	struct list_head node;
	struct pci_dev *pdev;			/* a reference */
	struct siommu_unit *unit;
	struct siommu_aliases aliases;		/* while it was on the bus */
};

static LIST_HEAD(removed_list);
static DEFINE_SPINLOCK(removed_lock);

/* BUS_NOTIFY_ADD_DEVICE: unmanaged entries for every id it may use. */
static void device_added(struct siommu *sio, struct pci_dev *pdev)
{
	struct vtd_context_entry e, cur;
	struct siommu_unit *unit;
	struct siommu_aliases a;
	unsigned int i;
	int ret;

	mutex_lock(&siommu_context_lock);
	unit = siommu_unit_of(sio->units, sio->nr_units, pdev);
	/* Not translating: the device DMAs untranslated as it is. */
	if (!unit || !unit->translating)
		goto out;
	siommu_unmanaged_entry(unit, &e);
	siommu_device_aliases(pdev, &a);
	for (i = 0; i < a.nr; i++) {
		u8 bus = PCI_BUS_NUM(a.sid[i]), devfn = a.sid[i] & 0xff;

		/*
		 * Present: the load's walk saw the device first, or the id
		 * is a bridge's, shared with a device already there.
		 */
		vtd_context_get(&unit->ctx, bus, devfn, &cur);
		if (cur.present)
			continue;
		ret = vtd_context_set(&unit->ctx, bus, devfn, &e);
		if (ret) {
			pci_err(pdev, "no context entry for requester id %02x:%02x.%u (%d): its DMA will fault\n",
				bus, PCI_SLOT(devfn), PCI_FUNC(devfn), ret);
			continue;
		}
		/*
		 * Not present to present: only a caching-mode unit may hold
		 * the old state, filed under domain id 0.
		 */
		if (VTD_CAP_CM(unit->cap)) {
			siommu_inval_context_device(unit, 0, a.sid[i]);
			siommu_inval_iotlb_domain(unit, 0);
		}
	}
	siommu_unit_flush_write_buffer(unit);
	pci_dbg(pdev, "added behind dmar%u: DMA untranslated\n", unit->index);
out:
	mutex_unlock(&siommu_context_lock);
}

/* Clear the ids of a device gone that no device on the bus uses now. */
static void clear_unused_ids(struct siommu *sio, struct removed_device *r)
{
	struct siommu_unit *unit = r->unit;
	struct pci_dev *user;
	unsigned int i;
	int did;

	mutex_lock(&siommu_context_lock);
	for (i = 0; i < r->aliases.nr; i++) {
		u16 sid = r->aliases.sid[i];

		user = siommu_next_sid_user(sio->units, sio->nr_units, unit,
					    sid, r->pdev, NULL);
		if (user) {
			pci_dev_put(user);
			continue;
		}
		did = vtd_context_clear(&unit->ctx, PCI_BUS_NUM(sid),
					sid & 0xff);
		if (did < 0)
			continue;
		siommu_inval_context_device(unit, did, sid);
		if (did != SIOMMU_UNMANAGED_DID)
			siommu_inval_iotlb_domain(unit, did);
	}
	mutex_unlock(&siommu_context_lock);
}

static void removed_work_fn(struct work_struct *work)
{
	struct removed_device *r, *tmp;
	LIST_HEAD(todo);

	spin_lock(&removed_lock);
	list_splice_init(&removed_list, &todo);
	spin_unlock(&removed_lock);
	list_for_each_entry_safe(r, tmp, &todo, node) {
		siommu_detach_removed(&siommu, r->pdev);
		if (r->unit)
			clear_unused_ids(&siommu, r);
		pci_dev_put(r->pdev);
		kfree(r);
	}
}

static DECLARE_WORK(removed_work, removed_work_fn);

/* BUS_NOTIFY_REMOVED_DEVICE: its driver is gone; the rest follows. */
static void device_removed(struct siommu *sio, struct pci_dev *pdev)
{
	struct siommu_unit *unit = siommu_unit_of(sio->units, sio->nr_units,
						   pdev);
	struct removed_device *r;

	/* On the kernel backend only an attached device needs us. */
	if ((!unit || !unit->translating) &&
	    sio->backend != SIOMMU_BACKEND_KERNEL)
		return;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		/* Only an attached device then stays listed; say so. */
		pci_err(pdev, "removed, but no memory to forget it; detach it by hand\n");
		return;
	}
	r->pdev = pci_dev_get(pdev);
	r->unit = unit;
	/* Now, while the bridges above it are still where they were. */
	if (unit)
		siommu_device_aliases(pdev, &r->aliases);
	spin_lock(&removed_lock);
	list_add_tail(&r->node, &removed_list);
	spin_unlock(&removed_lock);
	schedule_work(&removed_work);
}

static int pci_event(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		device_added(&siommu, pdev);
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		device_removed(&siommu, pdev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block pci_events_nb = {
	.notifier_call = pci_event,
};

static bool pci_events_registered;

/**
 * siommu_pci_events_init() - be told of PCI devices that come and go
 * @sio: the module, its units not yet translating
 *
 * Registered before the units start translating, so no device added
 * during the load goes unseen: its notification waits on
 * siommu_context_lock, which the load holds while it enables the units
 * and walks the devices already there.
 *
 * Return: 0, or a negative errno.
 */
int siommu_pci_events_init(struct siommu *sio)
{
	int ret = bus_register_notifier(&pci_bus_type, &pci_events_nb);

	pci_events_registered = !ret;
	return ret;
}

/**
 * siommu_pci_events_exit() - no more PCI events; finish the pending ones
 * @sio: the module, its units still translating
 *
 * Called before the units stop translating; a second call does nothing.
 */
void siommu_pci_events_exit(struct siommu *sio)
{
	if (!pci_events_registered)
		return;
	/* Waits for notifications under way. */
	bus_unregister_notifier(&pci_bus_type, &pci_events_nb);
	pci_events_registered = false;
	flush_work(&removed_work);
}
