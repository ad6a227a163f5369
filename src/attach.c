// SPDX-License-Identifier: GPL-2.0
/*
 * Taking a device over and handing it back.
 *
 * A device changes hands only while no driver is bound to it, so nothing
 * maps or unmaps, and no DMA is in flight, while its context entries and
 * dma_ops change: unbind the driver, switch every requester id the device
 * may use (its DMA aliases) to the new context entry, invalidate, switch
 * dev->dma_ops, bind the driver again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "domain.h"
#include "stats.h"

/**
 * siommu_unit_of() - the unit that translates a device's DMA
 * @sio: the module
 * @pdev: the device
 *
 * Return: the unit whose device scope names the device or a bridge above
 * it; else the segment's include-all unit; else NULL.
 */
struct siommu_unit *siommu_unit_of(struct siommu *sio, struct pci_dev *pdev)
{
	struct siommu_unit *fallback = NULL;
	unsigned int i, j;

	for (i = 0; i < sio->nr_units; i++) {
		const struct dmar_drhd *drhd = sio->units[i].drhd;

		if (drhd->segment != pci_domain_nr(pdev->bus))
			continue;
		if (drhd->flags & DMAR_DRHD_INCLUDE_PCI_ALL)
			fallback = &sio->units[i];
		for (j = 0; j < drhd->nr_scopes; j++)
			if (siommu_scope_matches(&drhd->scopes[j],
						 drhd->segment, pdev))
				return &sio->units[i];
	}
	return fallback;
}

static void alias_add(struct siommu_aliases *a, u8 bus, u8 devfn)
{
	u16 sid = PCI_DEVID(bus, devfn);
	unsigned int i;

	for (i = 0; i < a->nr; i++)
		if (a->sid[i] == sid)
			return;
	if (a->nr < SIOMMU_MAX_ALIASES)
		a->sid[a->nr++] = sid;
}

/*
 * The requester ids the unit may see for @pdev: its own, the aliases PCI
 * quirks recorded, and the id of a conventional-PCI bridge that takes
 * ownership of its requests on the way up (the kernel's
 * pci_for_each_dma_alias() does this too, but is not exported).
 */
void siommu_device_aliases(struct pci_dev *pdev, struct siommu_aliases *a)
{
	struct pci_dev *tmp;
	unsigned int devfn;

	a->nr = 0;
	alias_add(a, pdev->bus->number, pdev->devfn);
	if (pdev->dma_alias_mask)
		for_each_set_bit(devfn, pdev->dma_alias_mask, 256)
			alias_add(a, pdev->bus->number, devfn);
	for (tmp = pdev; !pci_is_root_bus(tmp->bus); tmp = tmp->bus->self) {
		struct pci_dev *bridge = tmp->bus->self;

		if (!bridge)
			break;
		if (pci_is_pcie(bridge)) {
			if (pci_pcie_type(bridge) == PCI_EXP_TYPE_PCI_BRIDGE) {
				/* PCIe-to-PCI: ids become (secondary, 0). */
				alias_add(a, bridge->subordinate->number, 0);
				alias_add(a, bridge->bus->number,
					  bridge->devfn);
				break;
			}
			continue;
		}
		/* A conventional bridge forwards with its own id. */
		alias_add(a, bridge->bus->number, bridge->devfn);
	}
}

/*
 * Replace the context entries of every alias of @pdev.  @old_did is the
 * domain id the entries had, whose cached translations must go.
 */
static int switch_context(struct siommu_unit *unit, struct pci_dev *pdev,
			  const struct vtd_context_entry *e, u16 old_did)
{
	struct siommu_aliases a;
	unsigned int i;
	int ret = 0;

	siommu_device_aliases(pdev, &a);
	for (i = 0; i < a.nr; i++) {
		u8 bus = a.sid[i] >> 8, devfn = a.sid[i] & 0xff;

		vtd_context_clear(&unit->ctx, bus, devfn);
		siommu_flush_context_device(unit, old_did, a.sid[i]);
	}
	siommu_flush_iotlb_domain(unit, old_did);
	for (i = 0; i < a.nr; i++) {
		int r = vtd_context_set(&unit->ctx, a.sid[i] >> 8,
					a.sid[i] & 0xff, e);

		if (r && !ret)
			ret = r;
		siommu_flush_context_device(unit, e->did, a.sid[i]);
	}
	return ret;
}

static struct siommu_domain *domain_of_pdev(struct siommu *sio,
					    struct pci_dev *pdev)
{
	struct siommu_domain *dom;

	list_for_each_entry(dom, &sio->domains, node)
		if (dom->pdev == pdev)
			return dom;
	return NULL;
}

/**
 * siommu_domain_of_sid() - the managed device behind a requester id
 * @sio: the module
 * @unit: the unit that saw the request
 * @sid: the requester id
 *
 * Return: the domain, or NULL for devices we do not manage.  Callers hold
 * sio->lock or otherwise keep the domain list stable.
 */
struct siommu_domain *siommu_domain_of_sid(struct siommu *sio,
					   struct siommu_unit *unit, u16 sid)
{
	struct siommu_domain *dom;

	list_for_each_entry(dom, &sio->domains, node)
		if (dom->unit == unit && pci_dev_id(dom->pdev) == sid)
			return dom;
	return NULL;
}

/* "0000:00:03.0": segment, bus, device and function, nothing else. */
static int parse_bdf(const char *buf, unsigned int *seg, unsigned int *bus,
		     unsigned int *devfn)
{
	static const char shape[] = "xxxx:xx:xx.x";
	unsigned int v[4] = { 0 }, field = 0, dev;
	size_t len = strlen(buf), i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len != sizeof(shape) - 1)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (shape[i] != 'x') {
			if (buf[i] != shape[i])
				return -EINVAL;
			field++;
			continue;
		}
		if (hex_to_bin(buf[i]) < 0)
			return -EINVAL;
		v[field] = v[field] << 4 | hex_to_bin(buf[i]);
	}
	dev = v[2];
	if (dev > 0x1f || v[3] > 7)
		return -EINVAL;
	*seg = v[0];
	*bus = v[1];
	*devfn = PCI_DEVFN(dev, v[3]);
	return 0;
}

static struct pci_dev *lookup_bdf(const char *buf, int *err)
{
	unsigned int seg, bus, devfn;
	struct pci_dev *pdev;

	*err = parse_bdf(buf, &seg, &bus, &devfn);
	if (*err) {
		pr_err("not a PCI address: want the form 0000:00:03.0\n");
		return NULL;
	}
	pdev = pci_get_domain_bus_and_slot(seg, bus, devfn);
	if (!pdev) {
		pr_err("no PCI device at %04x:%02x:%02x.%u\n", seg, bus,
		       PCI_SLOT(devfn), PCI_FUNC(devfn));
		*err = -ENODEV;
	}
	return pdev;
}

/*
 * Unbind the driver, run @change, bind the driver again.  The driver's
 * module is pinned in between so it cannot vanish while unbound.
 */
static int with_driver_unbound(struct pci_dev *pdev,
			       int (*change)(struct siommu *sio,
					     struct pci_dev *pdev, void *arg),
			       struct siommu *sio, void *arg)
{
	struct device *dev = &pdev->dev;
	struct device_driver *drv;
	int ret, bind;

	device_lock(dev);
	drv = dev->driver;
	if (drv && !try_module_get(drv->owner))
		drv = NULL;
	device_unlock(dev);

	if (drv)
		device_release_driver(dev);
	ret = change(sio, pdev, arg);
	if (drv) {
		bind = device_driver_attach(drv, dev);
		if (bind)
			pci_err(pdev, "driver %s did not bind again (%d)\n",
				drv->name, bind);
		if (!ret)
			ret = bind;
		module_put(drv->owner);
	}
	return ret;
}

static int do_attach(struct siommu *sio, struct pci_dev *pdev, void *arg)
{
	struct siommu_domain *dom = arg;
	struct vtd_context_entry e = {
		.present = true,
		.type = VTD_CTX_TT_TRANSLATED,
		.did = dom->did,
		.levels = dom->unit->levels,
		.pgtable = vtd_pgtable_root_phys(&dom->pt),
	};
	int ret;

	ret = switch_context(dom->unit, pdev, &e, SIOMMU_UNMANAGED_DID);
	if (ret) {
		struct vtd_context_entry back;

		siommu_unmanaged_entry(dom->unit, &back);
		switch_context(dom->unit, pdev, &back, dom->did);
		return ret;
	}
	dom->saved_ops = get_dma_ops(&pdev->dev);
	set_dma_ops(&pdev->dev, &dom->ops);
	list_add(&dom->node, &sio->domains);
	return 0;
}

static int do_detach(struct siommu *sio, struct pci_dev *pdev, void *arg)
{
	struct siommu_domain *dom = arg;
	struct vtd_context_entry e;

	siommu_unmanaged_entry(dom->unit, &e);
	list_del_init(&dom->node);
	set_dma_ops(&pdev->dev, dom->saved_ops);
	return switch_context(dom->unit, pdev, &e, dom->did);
}

static int detach_locked(struct siommu *sio, struct siommu_domain *dom)
{
	struct pci_dev *pdev = dom->pdev;
	int ret;

	siommu_sysfs_device_remove(dom);
	ret = with_driver_unbound(pdev, do_detach, sio, dom);
	siommu_domain_destroy(dom);
	pci_info(pdev, "handed back: DMA untranslated again\n");
	return ret;
}

/**
 * siommu_attach() - take over a device's DMA
 * @sio: the module
 * @bdf: its PCI address, "0000:00:03.0", optionally newline-terminated
 *
 * Return: 0; -EINVAL for a malformed address, -ENODEV when no device is
 * there, -ENXIO when no unit of ours translates for it, -EEXIST when it is
 * already attached, -EXDEV when another device shares one of its
 * requester ids (siommu_alias_check()), -ENOMEM; or the driver's error
 * when it does not bind under our translation (the device is then handed
 * back).
 */
int siommu_attach(struct siommu *sio, const char *bdf)
{
	struct siommu_domain *dom;
	struct siommu_unit *unit;
	struct pci_dev *pdev;
	int ret;

	pdev = lookup_bdf(bdf, &ret);
	if (!pdev)
		return ret;
	mutex_lock(&sio->lock);
	if (domain_of_pdev(sio, pdev)) {
		pci_err(pdev, "already attached to " KBUILD_MODNAME "\n");
		ret = -EEXIST;
		goto out;
	}
	unit = siommu_unit_of(sio, pdev);
	if (!unit || !unit->translating) {
		pci_err(pdev, "not behind a DMAR unit " KBUILD_MODNAME " drives\n");
		ret = -ENXIO;
		goto out;
	}
	ret = siommu_alias_check(sio, unit, pdev);	/* pci_events.c */
	if (ret)
		goto out;
	dom = siommu_domain_create(sio, unit, pdev, sio->allocator, sio->flush);
	if (IS_ERR(dom)) {
		ret = PTR_ERR(dom);
		pci_err(pdev, "cannot set up a domain (%d)\n", ret);
		goto out;
	}
	ret = with_driver_unbound(pdev, do_attach, sio, dom);
	if (ret && list_empty(&dom->node)) {
		/* The context switch failed: nothing changed. */
		siommu_domain_destroy(dom);
		goto out;
	}
	if (ret) {
		pci_err(pdev, "driver failed under translation (%d); handing the device back\n",
			ret);
		detach_locked(sio, dom);
		/* Its driver gave up under us; let it probe untranslated. */
		if (device_attach(&pdev->dev) < 0)
			pci_err(pdev, "no driver bound after hand-back\n");
		pci_dev_put(pdev);	/* the domain's reference */
		goto out;
	}
	/* Without its per-device files the device still works: say so. */
	if (siommu_sysfs_device_add(sio, dom))
		pci_warn(pdev, "no device/%s/ directory in sysfs\n",
			 pci_name(pdev));
	pci_info(pdev, "attached: dmar%u domain %u, allocator %s, invalidation %s\n",
		 unit->index, dom->did, siommu_domain_allocator(dom)->name,
		 siommu_domain_flush(dom)->name);
	/*
	 * Unloading hands a device back by unbinding its driver, which fails
	 * whatever I/O is in flight or comes later (a disk vanishes under
	 * its filesystem).  So an attached device pins the module: rmmod
	 * answers EBUSY until it is detached, which the user asks for
	 * knowing what it does.
	 */
	__module_get(THIS_MODULE);
	mutex_unlock(&sio->lock);
	return 0;	/* the domain keeps the reference */
out:
	mutex_unlock(&sio->lock);
	pci_dev_put(pdev);
	return ret;
}

/**
 * siommu_detach() - hand a device's DMA back to the kernel
 * @sio: the module
 * @bdf: its PCI address, or "all" for every attached device
 *
 * Its driver is unbound first and bound again after: I/O it has in flight
 * fails.  Each device detached drops the module reference its attach took.
 *
 * Return: 0; -EINVAL, -ENODEV as for attach; -ENOENT when we do not
 * manage the device (for "all": when no device is attached).  Should the
 * driver not bind again, its error (the device is detached all the same).
 */
int siommu_detach(struct siommu *sio, const char *bdf)
{
	struct siommu_domain *dom, *tmp;
	struct pci_dev *pdev;
	int ret, err;

	if (sysfs_streq(bdf, "all")) {
		bool any = false;

		ret = 0;
		mutex_lock(&sio->lock);
		list_for_each_entry_safe(dom, tmp, &sio->domains, node) {
			pdev = dom->pdev;
			err = detach_locked(sio, dom);
			if (!ret)
				ret = err;
			any = true;
			pci_dev_put(pdev);	/* the domain's reference */
			module_put(THIS_MODULE);
		}
		mutex_unlock(&sio->lock);
		return any ? ret : -ENOENT;
	}
	pdev = lookup_bdf(bdf, &ret);
	if (!pdev)
		return ret;
	mutex_lock(&sio->lock);
	dom = domain_of_pdev(sio, pdev);
	if (dom) {
		ret = detach_locked(sio, dom);
		pci_dev_put(pdev);	/* the domain's reference */
		module_put(THIS_MODULE);
	} else {
		pci_err(pdev, "not attached to " KBUILD_MODNAME "\n");
		ret = -ENOENT;
	}
	mutex_unlock(&sio->lock);
	pci_dev_put(pdev);
	return ret;
}

/**
 * siommu_detach_all() - hand every device back (a failed load; an unload
 * forced past the references attached devices hold)
 * @sio: the module
 */
void siommu_detach_all(struct siommu *sio)
{
	struct siommu_domain *dom, *tmp;

	mutex_lock(&sio->lock);
	list_for_each_entry_safe(dom, tmp, &sio->domains, node) {
		struct pci_dev *pdev = dom->pdev;

		detach_locked(sio, dom);
		pci_dev_put(pdev);
	}
	mutex_unlock(&sio->lock);
}

/*
 * Instances a swap retired are torn down once their last range is back;
 * until then this work looks again every 100 ms.
 */
static void reap_work(struct work_struct *work)
{
	struct siommu *sio = container_of(to_delayed_work(work), struct siommu,
					  reap_work);
	struct siommu_domain *dom;
	bool again = false;

	mutex_lock(&sio->lock);
	list_for_each_entry(dom, &sio->domains, node)
		again |= siommu_domain_reap(dom);
	mutex_unlock(&sio->lock);
	if (again)
		schedule_delayed_work(&sio->reap_work, HZ / 10);
}

void siommu_reap_init(struct siommu *sio)
{
	INIT_DELAYED_WORK(&sio->reap_work, reap_work);
}

/*
 * CPU hotplug: allocators that cache ranges per CPU (magazine) give a
 * dead CPU's caches back.  Runs on a live CPU after the dead one stopped.
 */
static int cpu_dead(unsigned int cpu)
{
	struct siommu_domain *dom;

	mutex_lock(&siommu.lock);
	list_for_each_entry(dom, &siommu.domains, node)
		siommu_domain_cpu_dead(dom, cpu);
	mutex_unlock(&siommu.lock);
	return 0;
}

/**
 * siommu_hotplug_init() - be told when a CPU goes offline
 * @sio: the module
 *
 * Return: 0, or a negative errno.
 */
int siommu_hotplug_init(struct siommu *sio)
{
	int ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
					    KBUILD_MODNAME ":dead", NULL,
					    cpu_dead);

	if (ret < 0)
		return ret;
	sio->hotplug_state = ret;
	return 0;
}

void siommu_hotplug_exit(struct siommu *sio)
{
	if (sio->hotplug_state > 0)
		cpuhp_remove_state_nocalls(sio->hotplug_state);
	sio->hotplug_state = 0;
}

/**
 * siommu_set_allocator() - switch every managed device, and new ones
 * @sio: the module
 * @ops: the allocator
 *
 * Return: 0, or the first device's error (devices before it switched,
 * the rest did not; the default is unchanged then).
 */
int siommu_set_allocator(struct siommu *sio,
			 const struct siommu_iova_ops *ops)
{
	struct siommu_domain *dom;
	unsigned int i;
	int ret = 0;

	mutex_lock(&sio->lock);
	for (i = 0; i < sio->nr_units && !ret; i++) {
		ret = siommu_allocator_check(ops, &sio->units[i]);
		if (ret)
			pr_err("allocator %s cannot serve dmar%u: its ranges do not fit the unit's %u-bit address space\n",
			       ops->name, i,
			       VTD_PAGE_SHIFT + VTD_LEVEL_BITS *
			       sio->units[i].levels);
	}
	list_for_each_entry(dom, &sio->domains, node) {
		bool changed = siommu_domain_allocator(dom) != ops;

		if (ret)
			break;
		ret = siommu_domain_set_allocator(dom, ops);
		if (ret == -EBUSY)
			pci_err(dom->pdev, "earlier allocators are still draining; try again\n");
		else if (ret)
			pci_err(dom->pdev, "cannot switch to allocator %s (%d)\n",
				ops->name, ret);
		else if (changed)
			siommu_stat_inc(SIOMMU_STAT_SWAPS);
	}
	if (!ret)
		sio->allocator = ops;
	schedule_delayed_work(&sio->reap_work, HZ / 10);
	mutex_unlock(&sio->lock);
	return ret;
}

/**
 * siommu_set_flush() - switch every managed device's policy, and new ones'
 * @sio: the module
 * @ops: the policy
 *
 * Return: 0.
 */
int siommu_set_flush(struct siommu *sio, const struct siommu_flush_ops *ops)
{
	struct siommu_domain *dom;

	mutex_lock(&sio->lock);
	list_for_each_entry(dom, &sio->domains, node) {
		if (siommu_domain_flush(dom) != ops)
			siommu_stat_inc(SIOMMU_STAT_SWAPS);
		siommu_domain_set_flush(dom, ops);
	}
	sio->flush = ops;
	mutex_unlock(&sio->lock);
	return 0;
}

/**
 * siommu_detach_removed() - forget a device that left the bus
 * @sio: the module
 * @pdev: the device, its driver already unbound (pci_events.c)
 *
 * If it was attached: its domain, device/<bdf>/ directory, the domain's
 * reference on it and the module reference its attach took go.
 */
void siommu_detach_removed(struct siommu *sio, struct pci_dev *pdev)
{
	struct siommu_domain *dom;

	mutex_lock(&sio->lock);
	dom = domain_of_pdev(sio, pdev);
	if (dom) {
		pci_info(pdev, "removed from the bus while attached: its domain goes\n");
		/* No driver to unbind or bind: only the hand-back runs. */
		detach_locked(sio, dom);
		pci_dev_put(pdev);	/* the domain's reference */
		module_put(THIS_MODULE);
	}
	mutex_unlock(&sio->lock);
}
