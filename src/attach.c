// SPDX-License-Identifier: GPL-2.0
/*
 * Taking a device over and handing it back.
 *
 * A device changes hands only while no driver is bound to it, so nothing
 * maps or unmaps, and no DMA is in flight, while its context entries and
 * dma_ops change: unbind the driver, switch every requester id the device
 * may use (its DMA aliases) to the new context entry, invalidate, switch
 * dev->dma_ops, bind the driver again.
 *
 * Not everything a driver mapped comes back before it unbinds (see
 * forward.c).  A detached domain with mappings out moves from
 * siommu.domains to siommu.draining, the device's dma_ops still lead to
 * it for late calls, and the reaper frees it once the last mapping is
 * back; an attach of the same device before then takes the same domain
 * back, so no new IOVA can collide with a late handle.  Each domain,
 * attached or draining, holds a reference on the module and one on its
 * pci_dev.  The device's dma_ops are its struct siommu_dev's, which stays
 * until unload (see dma_ops.c).
 *
 * Locking: sio->lock serialises attach, detach, swaps (swaps.c) and the
 * reaper (reaper.c), and is held across driver unbind and bind.  Both
 * lists are RCU lists, so the CPU-hotplug callback (cpu_hotplug.c) walks
 * them without sio->lock: it runs with the hotplug lock held, which
 * driver probes and a swap to "linux" take under sio->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/async.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "compat.h"
#include "dma/domain.h"
#include "dma/xlate/kernel.h"
#include "dma/xlate/vtd.h"
#include "siommu.h"
#include "base/stats.h"

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
		siommu_inval_context_device(unit, old_did, a.sid[i]);
	}
	siommu_inval_iotlb_domain(unit, old_did);
	for (i = 0; i < a.nr; i++) {
		int r = vtd_context_set(&unit->ctx, a.sid[i] >> 8,
					a.sid[i] & 0xff, e);

		if (r && !ret)
			ret = r;
		siommu_inval_context_device(unit, e->did, a.sid[i]);
	}
	return ret;
}

/* The VT-d side of @dom's translations: unit, domain id, page table. */
static struct siommu_vtd_xlate *vtd_of(struct siommu_domain *dom)
{
	return siommu_vtd_xlate(dom->xlate);
}

static struct siommu_domain *domain_on(struct list_head *list,
				       struct pci_dev *pdev)
{
	struct siommu_domain *dom;

	list_for_each_entry(dom, list, node)
		if (dom->pdev == pdev)
			return dom;
	return NULL;
}

/*
 * Move @dom from one of the module's RCU lists to the other: a reader
 * still on the node must not follow it into the other list, whose head
 * it would take for a domain, so a grace period separates the two steps.
 */
static void domain_move(struct siommu_domain *dom, struct list_head *to)
{
	list_del_rcu(&dom->node);
	synchronize_rcu();
	list_add_rcu(&dom->node, to);
}

/* The device's siommu_dev, made at its first attach; NULL: no memory. */
static struct siommu_dev *sdev_get(struct siommu *sio, struct pci_dev *pdev)
{
	struct siommu_dev *sdev;

	lockdep_assert_held(&sio->lock);
	list_for_each_entry(sdev, &sio->devs, node)
		if (sdev->pdev == pdev)
			return sdev;
	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev)
		return NULL;
	sdev->ops = siommu_dma_ops;
	sdev->pdev = pci_dev_get(pdev);
	list_add(&sdev->node, &sio->devs);
	return sdev;
}

/**
 * siommu_devs_free() - at unload, once every domain is gone
 * @sio: the module
 *
 * A DMA API call that read a device's dma_ops before its last domain
 * gave them back may still be on its way to this memory: wait until
 * every task has passed through a voluntary context switch.
 */
void siommu_devs_free(struct siommu *sio)
{
	struct siommu_dev *sdev, *tmp;

	if (list_empty(&sio->devs))
		return;
	synchronize_rcu_tasks();
	list_for_each_entry_safe(sdev, tmp, &sio->devs, node) {
		list_del(&sdev->node);
		pci_dev_put(sdev->pdev);
		kfree(sdev);
	}
}

/*
 * What a change may return to with_driver_unbound(): done, but leave the
 * device without a driver (a handing-back domain still translates it).
 */
#define STAY_UNBOUND	1

/*
 * What a device's driver_override says while it changes hands: no driver
 * has this name, so none can probe it in between (see below).
 */
#define NO_DRIVER	KBUILD_MODNAME ":changing-hands"

/*
 * Unbind the driver, run @change, bind the driver again.
 *
 * The driver's module is pinned in between so it cannot vanish while
 * unbound; a driver whose module is on its way out (its remove may be
 * running on a sibling device right now) is not waited for: -EBUSY.
 * And no other driver may probe the device in between, since it would
 * map through the old domain and DMA through the new one: its
 * driver_override names no driver from before we look at the driver
 * until @change is done, and a probe already running holds the device
 * lock we take to look.  The override it had is restored.
 */
static int with_driver_unbound(struct pci_dev *pdev,
			       int (*change)(struct siommu *sio,
					     struct pci_dev *pdev, void *arg),
			       struct siommu *sio, void *arg)
{
	struct device *dev = &pdev->dev;
	struct device_driver *drv;
	char *override;
	bool pinned = false;
	int ret, bind;

	override = siommu_driver_override_dup(pdev);	/* compat.h */
	if (IS_ERR(override))
		return PTR_ERR(override);
	ret = siommu_driver_override_set(pdev, NO_DRIVER);
	if (ret)
		goto out;

	device_lock(dev);
	drv = dev->driver;
	pinned = drv && try_module_get(drv->owner);
	device_unlock(dev);
	if (drv && !pinned) {
		pci_err(pdev, "driver %s is being unloaded; try again once it is gone\n",
			drv->name);
		ret = -EBUSY;
	} else {
		if (drv)
			device_release_driver(dev);
		/*
		 * A driver may give DMA buffers back from asynchronous work
		 * its remove does not wait for (NVMe's probe drops the
		 * controller's last reference so): let it finish on the
		 * path that issued them.
		 */
		async_synchronize_full();
		sio->changing_had_driver = drv;
		ret = change(sio, pdev, arg);
	}
	if (ret == STAY_UNBOUND) {
		ret = 0;
		if (pinned)
			module_put(drv->owner);
		pinned = false;
	}
	/* Empty clears it, as writing "" to driver_override does. */
	siommu_driver_override_set(pdev, override ?: "");
	if (pinned) {
		bind = device_driver_attach(drv, dev);
		if (bind)
			pci_err(pdev, "driver %s did not bind again (%d)\n",
				drv->name, bind);
		if (!ret)
			ret = bind;
		module_put(drv->owner);
	}
out:
	kfree(override);
	return ret;
}

/*
 * Point the device at @dom: a new domain, or a draining one taken back
 * (its saved ops and module reference are those of its first attach).
 */
static int switch_to_domain(struct pci_dev *pdev, struct siommu_domain *dom)
{
	struct siommu_vtd_xlate *vx = vtd_of(dom);
	struct vtd_context_entry e = {
		.present = true,
		.type = VTD_CTX_TT_TRANSLATED,
		.did = vx->did,
		.levels = vx->unit->levels,
		.pgtable = vtd_pgtable_root_phys(&vx->pt),
	};
	int ret;

	ret = switch_context(vx->unit, pdev, &e, SIOMMU_UNMANAGED_DID);
	if (ret) {
		struct vtd_context_entry back;

		siommu_unmanaged_entry(vx->unit, &back);
		switch_context(vx->unit, pdev, &back, vx->did);
	}
	return ret;
}

static int do_attach(struct siommu *sio, struct pci_dev *pdev, void *arg)
{
	struct siommu_domain *dom = arg;
	int ret;

	/*
	 * On the kernel's driver the domain was attached when it was made
	 * (do_attach_new()), and a handing-back one never left the device.
	 */
	if (!siommu_xlate_is_kernel(dom->xlate)) {
		ret = switch_to_domain(pdev, dom);
		if (ret)
			return ret;
	}
	if (dom->detached) {
		domain_move(dom, &sio->domains);
		WRITE_ONCE(dom->detached, 0);
	} else {
		/* The kernel backend's first attach: what the device had. */
		if (siommu_xlate_is_kernel(dom->xlate) && !dom->sdev->prev_path &&
		    !siommu_dma_ops_ours(get_dma_ops(&pdev->dev))) {
			dom->sdev->prev_ops = get_dma_ops(&pdev->dev);
			dom->sdev->prev_path = dom->sdev->prev_ops ||
				siommu_dev_uses_iommu_dma(&pdev->dev);
		}
		rcu_assign_pointer(dom->sdev->dom, dom);
		list_add_rcu(&dom->node, &sio->domains);
		/*
		 * Unloading hands a device back by unbinding its driver,
		 * which fails whatever I/O is in flight or comes later (a
		 * disk vanishes under its filesystem).  So a domain pins
		 * the module until it is freed: rmmod answers EBUSY until
		 * the device is detached and its mappings are back.
		 */
		__module_get(THIS_MODULE);
	}
	set_dma_ops(&pdev->dev, &dom->sdev->ops);
	/* 6.12: or its calls would go to iommu-dma whatever the dma_ops. */
	siommu_dev_set_iommu_dma(&pdev->dev, false);
	return 0;
}

/*
 * An untrusted device (behind an external-facing port, as the kernel
 * marks it) is translated strictly and with sub-page protection.
 */
static int untrusted_defaults(struct siommu_domain *dom)
{
	int ret = siommu_domain_set_inval_policy(dom, &siommu_inval_strict) ?:
		  siommu_domain_set_protection(dom, true);

	if (ret)
		pci_err(dom->pdev, "untrusted, and sub-page protection cannot be set up (%d): not taking it over\n",
			ret);
	else
		pci_info(dom->pdev, "untrusted: protection=subpage, invalidation=strict\n");
	return ret;
}

/* A new domain for @pdev, its references taken; an ERR_PTR. */
static struct siommu_domain *domain_new(struct siommu *sio,
					struct pci_dev *pdev,
					struct siommu_xlate *xlate)
{
	struct siommu_domain *dom;
	int ret;

	if (IS_ERR(xlate))
		return ERR_CAST(xlate);
	/* Its failure destroys @xlate too.  See untrusted_defaults(). */
	dom = siommu_domain_create(&sio->dmar, &sio->lock, xlate, pdev,
				   sio->allocator,
				   pdev->untrusted ? &siommu_inval_strict :
				   sio->policy);
	if (IS_ERR(dom))
		return dom;
	dom->sdev = sdev_get(sio, pdev);
	ret = dom->sdev ? 0 : -ENOMEM;
	if (!ret && pdev->untrusted)
		ret = untrusted_defaults(dom);
	else if (!ret)
		siommu_dma_ops_drop_sync(dom->sdev);
	if (ret) {
		siommu_domain_destroy(dom);
		return ERR_PTR(ret);
	}
	pci_dev_get(pdev);	/* the domain's reference */
	return dom;
}

/*
 * The kernel backend makes the domain here, with the driver unbound:
 * the kernel's driver attaches it now, and only then says how wide its
 * address space is (6.1's VT-d driver).  *@arg: the domain, once made.
 */
static int do_attach_new(struct siommu *sio, struct pci_dev *pdev, void *arg)
{
	struct siommu_domain *dom, **domp = arg;

	dom = domain_new(sio, pdev, siommu_kernel_xlate_attach(&pdev->dev));
	if (IS_ERR(dom)) {
		pci_err(pdev, "cannot set up a domain (%ld)\n", PTR_ERR(dom));
		return PTR_ERR(dom);
	}
	*domp = dom;
	return do_attach(sio, pdev, dom);
}

static int do_detach(struct siommu *sio, struct pci_dev *pdev, void *arg)
{
	struct siommu_domain *dom = arg;
	struct siommu_vtd_xlate *vx = vtd_of(dom);
	struct vtd_context_entry e;
	int ret;

	siommu_unmanaged_entry(vx->unit, &e);
	ret = switch_context(vx->unit, pdev, &e, vx->did);
	/* Late calls with its handles reach it; new ones go untranslated. */
	WRITE_ONCE(dom->detached, SIOMMU_DETACHED);
	dom->detached_at = jiffies;
	domain_move(dom, &sio->draining);
	return ret;
}

/*
 * The kernel backend: a device is in one domain at a time, and a handle
 * of ours that came back through the kernel's own path would be unmapped
 * from the wrong domain.  So the device goes back only once its last
 * mapping is: at once when none is out, else the domain keeps translating
 * it, with no driver bound, until the reaper finds the rest back.
 */
static int do_detach_kernel(struct siommu *sio, struct pci_dev *pdev,
			    void *arg)
{
	struct siommu_domain *dom = arg;

	WRITE_ONCE(dom->detached, SIOMMU_HANDING_BACK);
	dom->detached_at = jiffies;
	dom->rebind = sio->changing_had_driver;
	domain_move(dom, &sio->draining);
	if (sio->device_events)
		sio->device_events->detached(dom);
	siommu_domain_inval_policy(dom)->drain();
	if (siommu_release_drained(sio, dom, false)) {
		pci_info(pdev, "handed back to the kernel's IOMMU driver\n");
		return 0;
	}
	pci_warn(pdev, "%lu DMA mapping(s) still out: it stays in its old domain, with no driver, until the last is back (see draining)\n",
		 siommu_domain_outstanding(dom));
	schedule_delayed_work(&sio->reap_work, HZ / 10);
	return STAY_UNBOUND;
}

/**
 * siommu_release_drained() - free a detached domain whose last mapping is
 * back (or, with @force, at unload, whatever is left), and give the device
 * back the kernel's own DMA path
 * @sio: the module, its lock held
 * @dom: a domain on sio->draining
 * @force: free it with mappings out
 *
 * Return: true when it was freed.
 */
bool siommu_release_drained(struct siommu *sio, struct siommu_domain *dom,
			    bool force)
{
	struct pci_dev *pdev = dom->pdev;
	bool kernel = siommu_xlate_is_kernel(dom->xlate);

	lockdep_assert_held(&sio->lock);
	if (!force && siommu_domain_outstanding(dom))
		return false;
	if (kernel) {
		/*
		 * Only with no driver bound, which could otherwise be
		 * mapping through us right now; the device lock keeps one
		 * from binding while the device changes hands.
		 */
		device_lock(&pdev->dev);
		if (pdev->dev.driver && !force) {
			device_unlock(&pdev->dev);
			return false;
		}
		if (pdev->dev.driver)
			pci_warn(pdev, "handed back under its driver %s: DMA it maps through us now faults\n",
				 pdev->dev.driver->name);
		siommu_kernel_xlate_detach(dom->xlate);
		device_unlock(&pdev->dev);
	} else {
		set_dma_ops(&pdev->dev, NULL);
	}
	RCU_INIT_POINTER(dom->sdev->dom, NULL);
	list_del_rcu(&dom->node);
	/* Calls that found the domain have left it. */
	synchronize_rcu();
	siommu_domain_destroy(dom);
	pci_dev_put(pdev);	/* the domain's reference */
	if (!force)
		module_put(THIS_MODULE);
	return true;
}

static int detach_locked(struct siommu *sio, struct siommu_domain *dom)
{
	struct pci_dev *pdev = pci_dev_get(dom->pdev);
	int ret;

	lockdep_assert_held(&sio->lock);
	if (siommu_xlate_is_kernel(dom->xlate)) {
		/* All of it with the driver unbound; @dom may be gone after. */
		ret = with_driver_unbound(pdev, do_detach_kernel, sio, dom);
		goto out;
	}
	ret = with_driver_unbound(pdev, do_detach, sio, dom);
	if (!dom->detached)
		goto out;	/* nothing changed */
	if (sio->device_events)
		sio->device_events->detached(dom);
	/* Whatever the policy still batches goes back now, not later. */
	siommu_domain_inval_policy(dom)->drain();
	if (siommu_release_drained(sio, dom, false)) {
		pci_info(pdev, "handed back: DMA untranslated again\n");
		goto out;
	}
	pci_warn(pdev, "handed back with %lu DMA mapping(s) still out: calls returning them reach its old domain until the last is back (see draining)\n",
		 siommu_domain_outstanding(dom));
	schedule_delayed_work(&sio->reap_work, HZ / 10);
out:
	pci_dev_put(pdev);
	return ret;
}

/**
 * siommu_attach() - take over a device's DMA
 * @sio: the module
 * @bdf: its PCI address, "0000:00:03.0", optionally newline-terminated
 *
 * A device detached while mappings were still out gets its old domain
 * back.
 *
 * Return: 0; -EINVAL for a malformed address, -ENODEV when no device is
 * there, -ENXIO when no unit of ours translates for it, -EEXIST when it is
 * already attached, -EXDEV when another device shares one of its
 * requester ids (siommu_alias_check()), -EBUSY when its driver's module
 * is being unloaded, -EOPNOTSUPP when other dma_ops than the kernel's
 * direct path serve it, -ENOMEM; or the driver's error when it does not
 * bind under our translation (the device is then handed back).
 */
int siommu_attach(struct siommu *sio, const char *bdf)
{
	struct siommu_domain *dom;
	struct siommu_unit *unit = NULL;
	struct pci_dev *pdev;
	bool probe = false;
	int ret;

	pdev = siommu_pci_dev_at(bdf, &ret);
	if (!pdev)
		return ret;
	mutex_lock(&sio->lock);
	if (domain_on(&sio->domains, pdev)) {
		pci_err(pdev, "already attached to " KBUILD_MODNAME "\n");
		ret = -EEXIST;
		goto out;
	}
	dom = domain_on(&sio->draining, pdev);
	if (sio->backend == SIOMMU_BACKEND_KERNEL) {
		ret = dom ? 0 : siommu_kernel_xlate_check(&pdev->dev);
		if (ret)
			goto out;
		goto checked;
	}
	unit = siommu_unit_of(sio->units, sio->nr_units, pdev);
	if (!unit || !unit->translating) {
		pci_err(pdev, "not behind a DMAR unit " KBUILD_MODNAME " drives\n");
		ret = -ENXIO;
		goto out;
	}
	ret = siommu_alias_check(sio->units, sio->nr_units, unit, pdev);
	if (ret)
		goto out;
	if (siommu_dev_uses_iommu_dma(&pdev->dev)) {
		pci_err(pdev, "its DMA goes through the kernel's IOMMU DMA layer; not taking it over\n");
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (get_dma_ops(&pdev->dev) &&
	    !siommu_dma_ops_ours(get_dma_ops(&pdev->dev))) {
		pci_err(pdev, "its DMA already goes through %ps; not taking it over\n",
			get_dma_ops(&pdev->dev));
		ret = -EOPNOTSUPP;
		goto out;
	}
checked:
	if (dom) {
		/* Handing back with its driver waiting: it binds again. */
		probe = dom->detached == SIOMMU_HANDING_BACK && dom->rebind;
		/*
		 * Detached with mappings still out: take the same domain
		 * back, whose allocators still hold the late handles' IOVAs,
		 * and give it what new attaches get.
		 */
		ret = siommu_domain_set_allocator(dom, sio->allocator);
		if (ret)
			goto out;
		/* Refused (and left strict) where it must stay strict. */
		siommu_domain_set_inval_policy(dom, sio->policy);
		if (pdev->untrusted && !dom->subpage) {
			ret = untrusted_defaults(dom);
			if (ret)
				goto out;
		}
	} else if (sio->backend == SIOMMU_BACKEND_KERNEL) {
		ret = with_driver_unbound(pdev, do_attach_new, sio, &dom);
		if (!dom)
			goto out;	/* nothing changed */
		goto bound;
	} else {
		dom = domain_new(sio, pdev, siommu_vtd_xlate_create(unit));
		if (IS_ERR(dom)) {
			ret = PTR_ERR(dom);
			pci_err(pdev, "cannot set up a domain (%d)\n", ret);
			goto out;
		}
	}
	ret = with_driver_unbound(pdev, do_attach, sio, dom);
bound:
	if (ret && list_empty(&dom->node)) {
		/* A new domain that never got the device: nothing changed. */
		siommu_domain_destroy(dom);
		pci_dev_put(pdev);
		goto out;
	}
	if (ret && dom->detached)
		goto out;	/* still draining, as before */
	if (ret) {
		pci_err(pdev, "driver failed under translation (%d); handing the device back\n",
			ret);
		detach_locked(sio, dom);
		/* Its driver gave up under us; let it probe untranslated. */
		if (device_attach(&pdev->dev) < 0)
			pci_err(pdev, "no driver bound after hand-back\n");
		goto out;
	}
	if (probe && device_attach(&pdev->dev) < 0)
		pci_err(pdev, "no driver bound after attach\n");
	/* Without its per-device files the device still works: say so. */
	if (sio->device_events && sio->device_events->attached(sio, dom))
		pci_warn(pdev, "no device/%s/ directory in sysfs\n",
			 pci_name(pdev));
	if (siommu_xlate_is_kernel(dom->xlate))
		pci_info(pdev, "attached: a domain of the kernel's IOMMU driver (group %u), allocator %s, invalidation %s\n",
			 siommu_kernel_xlate_group(dom->xlate),
			 siommu_domain_allocator(dom)->name,
			 siommu_domain_inval_policy(dom)->name);
	else
		pci_info(pdev, "attached: dmar%u domain %u, allocator %s, invalidation %s\n",
			 vtd_of(dom)->unit->index, vtd_of(dom)->did,
			 siommu_domain_allocator(dom)->name,
			 siommu_domain_inval_policy(dom)->name);
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
 * fails.  The module reference its attach took is dropped once its last
 * mapping is back: at once, or when late calls have returned the rest.
 *
 * Return: 0; -EINVAL, -ENODEV as for attach; -ENOENT when we do not
 * manage the device (for "all": when no device is attached); -EBUSY
 * when its driver's module is being unloaded (nothing changed).  Should
 * the driver not bind again, its error (the device is detached all the
 * same).
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
			err = detach_locked(sio, dom);
			if (!ret)
				ret = err;
			any = true;
		}
		mutex_unlock(&sio->lock);
		return any ? ret : -ENOENT;
	}
	pdev = siommu_pci_dev_at(bdf, &ret);
	if (!pdev)
		return ret;
	mutex_lock(&sio->lock);
	dom = domain_on(&sio->domains, pdev);
	if (dom) {
		ret = detach_locked(sio, dom);
	} else {
		pci_err(pdev, "not attached to " KBUILD_MODNAME "\n");
		ret = -ENOENT;
	}
	mutex_unlock(&sio->lock);
	pci_dev_put(pdev);
	return ret;
}

/**
 * siommu_detach_all() - hand every device back, drained or not (a failed
 * load; an unload forced past the references domains hold)
 * @sio: the module
 *
 * Mappings still out are released with their domains: calls that return
 * them later take the device's own path, as they would have without us.
 */
void siommu_detach_all(struct siommu *sio)
{
	struct siommu_domain *dom, *tmp;

	mutex_lock(&sio->lock);
	list_for_each_entry_safe(dom, tmp, &sio->domains, node)
		detach_locked(sio, dom);
	list_for_each_entry_safe(dom, tmp, &sio->draining, node)
		siommu_release_drained(sio, dom, true);
	mutex_unlock(&sio->lock);
}

/**
 * siommu_detach_removed() - forget a device that left the bus
 * @sio: the module
 * @pdev: the device, its driver already unbound (pci_events.c)
 *
 * If it was attached, it is detached: its device/<bdf>/ directory goes,
 * and its domain (with the references it holds on the device and the
 * module) once its last mapping is back.
 */
void siommu_detach_removed(struct siommu *sio, struct pci_dev *pdev)
{
	struct siommu_domain *dom;

	mutex_lock(&sio->lock);
	dom = domain_on(&sio->domains, pdev);
	if (dom) {
		pci_info(pdev, "removed from the bus while attached: its domain goes\n");
		/*
		 * No driver to unbind or bind: only the hand-back runs, and
		 * late frees (a controller's last reference) may still come.
		 */
		detach_locked(sio, dom);
	}
	mutex_unlock(&sio->lock);
}
