// SPDX-License-Identifier: GPL-2.0
/*
 * The translation seam (backend.h) over the kernel's own IOMMU driver, for
 * a kernel booted as it ships: its VT-d or AMD-Vi driver owns the units,
 * their page tables and their queues, and the module still gives a device
 * its own IOVA allocators and invalidation policies.
 *
 * Each attached device gets an unmanaged domain of the kernel's driver
 * (iommu_domain_alloc, 6.11+: iommu_paging_domain_alloc), attached to it
 * alone with iommu_attach_device while its driver is unbound.  Maps go
 * through iommu_map, unmaps through iommu_unmap_fast with a gather of
 * their own, and the invalidations the policies ask for through
 * iommu_iotlb_sync (a range, or the whole aperture for a batch).
 *
 * What the kernel's tables cannot hold is kept in a shadow beside them:
 * a software-only table in our own format (vtd/pgtable.c, never walked by
 * hardware) with the same leaves plus the allocator slot's tag, so lookup
 * and the unmap's tag are lock-free reads as on our own backend, and
 * "is this handle still mapped" needs no call into the kernel's driver.
 * The shadow is written first on map (it also catches a range mapped
 * twice) and cleared last on unmap.
 *
 * Table pages the kernel's driver frees in an unmap ride on that unmap's
 * gather and are freed by its iotlb_sync, after the invalidation; this
 * file keeps such gathers on a pending list until the policy invalidates
 * (the VT-d driver frees a table page only when one unmap covers all of
 * it; AMD's never frees one before the domain goes).  Some come back
 * already freed: on 6.1 the driver syncs a gather whose page size changes
 * within one iommu_unmap_fast (a range the core splits into 2 MiB and
 * 4 KiB pieces), invalidating before it frees, and such an unmap is safe
 * but not counted in table_freeing_unmaps.
 *
 * Not here, by design: the identity allocator (its reference counts live
 * in spare bits of our own PTEs: ->share is NULL), superpage or
 * reclamation policy (the kernel's driver decides), fault records (VT-d's
 * driver reports faults only to its log; the domain's fault handler is
 * counted where a driver calls it, as AMD-Vi's does on real hardware).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "dma/xlate/kernel.h"
#include "base/stats.h"
#include "base/trace.h"
#include "vtd/pgtable.h"

/* Reserved regions of a group kept out of the IOVA space; the first few. */
#define KX_MAX_RESV	8

struct siommu_kernel_xlate {
	struct siommu_xlate base;
	/* Written once at attach. */
	struct iommu_domain *domain;
	struct iommu_group *group;		/* a reference */
	struct device *dev;
	/* The device's DMA path before: restored at detach. */
	const struct dma_map_ops *saved_ops;
	bool saved_dma_iommu;
	bool attached;				/* protected by siommu.lock */
	struct siommu_xlate_resv resv[KX_MAX_RESV];
	/* The shadow: leaves, and each one's tag.  Lock-free. */
	struct vtd_pgtable shadow;
	/* Table pages unmaps freed, until an invalidation covers them. */
	spinlock_t lock;
	struct iommu_iotlb_gather pending;	/* protected by lock */
};

static struct siommu_kernel_xlate *kx_of(struct siommu_xlate *xl)
{
	return container_of(xl, struct siommu_kernel_xlate, base);
}

/* The seam's rights are the IOMMU API's READ and WRITE bits. */
static_assert(SIOMMU_PROT_READ == IOMMU_READ);
static_assert(SIOMMU_PROT_WRITE == IOMMU_WRITE);

/*
 * The shadow is ours alone, no unit walks it: the table pages an unmap
 * empties need no invalidation, only the RCU grace period that lets
 * concurrent walkers finish.
 */
static u64 kx_shadow_unmap(struct siommu_kernel_xlate *kx, u64 iova,
			   u64 size)
{
	struct page *freed = NULL;
	u64 cleared = vtd_pgtable_unmap(&kx->shadow, iova, size, &freed);

	vtd_pgtable_free_tables(freed);
	return cleared;
}

/* Keep @g's freed table pages (and its range) for the next invalidation. */
static void kx_pend(struct siommu_kernel_xlate *kx,
		    struct iommu_iotlb_gather *g)
{
	unsigned long flags;

	spin_lock_irqsave(&kx->lock, flags);
	kx->pending.start = min(kx->pending.start, g->start);
	kx->pending.end = max(kx->pending.end, g->end);
	list_splice_init(&g->freelist, &kx->pending.freelist);
	spin_unlock_irqrestore(&kx->lock, flags);
}

/* Clear [@iova, @iova + @size) in the kernel's domain: tables freed? */
static bool kx_domain_unmap(struct siommu_kernel_xlate *kx, u64 iova,
			    u64 size)
{
	struct iommu_iotlb_gather g;
	bool tables_freed;

	/*
	 * A gather of its own: the drivers sync a gather themselves when a
	 * disjoint range is added to it, so one shared gather would not
	 * batch anything.
	 */
	iommu_iotlb_gather_init(&g);
	iommu_unmap_fast(kx->domain, iova, size, &g);
	tables_freed = !list_empty(&g.freelist);
	if (tables_freed)
		kx_pend(kx, &g);
	return tables_freed;
}

/*
 * The shadow first (it checks the runs' shape), then each run into the
 * kernel's domain; iommu_map() has no call for a list of runs with gaps.
 */
static int kx_map(struct siommu_xlate *xl, const struct siommu_run *runs,
		  unsigned int n, u64 prot, unsigned int tag, gfp_t gfp)
{
	struct siommu_kernel_xlate *kx = kx_of(xl);
	/* x86 DMA snoops the CPU caches, as iommu-dma asks for coherent devices. */
	int iprot = (prot & SIOMMU_PROT_RW) |
		    (dev_is_dma_coherent(kx->dev) ? IOMMU_CACHE : 0);
	unsigned int r;
	int ret;

	if (!n || !(prot & SIOMMU_PROT_RW) ||
	    runs[n - 1].iova + runs[n - 1].size - 1 > xl->max_iova)
		return -EINVAL;
	ret = vtd_pgtable_map_runs(&kx->shadow, runs, n,
				   (prot & SIOMMU_PROT_RW) | VTD_PTE_TAG(tag),
				   gfp);
	if (ret)
		return ret;
	for (r = 0; r < n; r++) {
		ret = siommu_iommu_map(kx->domain, runs[r].iova, runs[r].phys,
				       runs[r].size, iprot, gfp);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	/* iommu_map() undid its own part; no device has seen the rest. */
	while (r--)
		kx_domain_unmap(kx, runs[r].iova, runs[r].size);
	for (r = 0; r < n; r++)
		kx_shadow_unmap(kx, runs[r].iova, runs[r].size);
	return -ENOMEM;
}

static u64 kx_unmap(struct siommu_xlate *xl, u64 iova, u64 size,
		    struct siommu_unmapped *what)
{
	struct siommu_kernel_xlate *kx = kx_of(xl);

	what->tables_freed = kx_domain_unmap(kx, iova, size);
	if (what->tables_freed)
		siommu_stat_inc(SIOMMU_STAT_TABLE_FREEING_UNMAPS);
	return kx_shadow_unmap(kx, iova, size);
}

static bool kx_lookup(struct siommu_xlate *xl, u64 iova,
		      struct siommu_xlate_leaf *leaf)
{
	u64 pte = vtd_pgtable_pte(&kx_of(xl)->shadow, iova);

	leaf->prot = pte & SIOMMU_PROT_RW;
	leaf->phys = leaf->prot ? pte & VTD_PTE_ADDR_MASK : 0;
	leaf->tag = leaf->prot ? VTD_PTE_TAG_OF(pte) : 0;
	return leaf->prot;
}

/*
 * Every leaf: one unmap of the whole aperture from the kernel's table
 * (its drivers walk only what is present), then the shadow.
 */
static u64 kx_clear_all(struct siommu_xlate *xl)
{
	struct siommu_kernel_xlate *kx = kx_of(xl);
	struct iommu_iotlb_gather g;

	iommu_iotlb_gather_init(&g);
	iommu_unmap_fast(kx->domain, 0, xl->max_iova + 1, &g);
	if (!list_empty(&g.freelist))
		kx_pend(kx, &g);
	return vtd_pgtable_clear_all(&kx->shadow);
}

/* iommu_map has already run the driver's iotlb_sync_map. */
static void kx_sync_map(struct siommu_xlate *xl, u64 iova,
			unsigned long npages)
{
}

/*
 * Wider than this, an invalidation is domain-wide (iommu_flush_iotlb_all):
 * 6.1's VT-d driver counts a range's pages in 32 bits (and BUG()s on 0),
 * and a range this wide is cheaper forgotten whole anyway.
 */
#define KX_RANGE_MAX	SZ_1G

/*
 * Make the hardware forget [@first, @last] and wait, then free the table
 * pages unmaps left pending.  Their ranges join ours: a range extended
 * only invalidates more, and another CPU syncing pages it took from the
 * list meanwhile covers their ranges itself.  The pages go to the driver
 * in a gather, whose iotlb_sync frees them after invalidating (with the
 * paging-structure caches); a range too wide is flushed whole first, and
 * the gather then names one page of it.
 */
static int kx_sync(struct siommu_kernel_xlate *kx, u64 first, u64 last)
{
	struct iommu_iotlb_gather g;
	unsigned long flags;

	iommu_iotlb_gather_init(&g);
	g.start = first;
	g.end = last;
	g.pgsize = VTD_PAGE_SIZE;
	if (!list_empty(&kx->pending.freelist)) {
		spin_lock_irqsave(&kx->lock, flags);
		if (!list_empty(&kx->pending.freelist)) {
			g.start = min(g.start, kx->pending.start);
			g.end = max(g.end, kx->pending.end);
			list_splice_init(&kx->pending.freelist, &g.freelist);
			iommu_iotlb_gather_init(&kx->pending);
		}
		spin_unlock_irqrestore(&kx->lock, flags);
	}
	if (g.end - g.start >= KX_RANGE_MAX) {
		iommu_flush_iotlb_all(kx->domain);
		if (list_empty(&g.freelist))
			return 0;
		g.start &= ~(u64)(VTD_PAGE_SIZE - 1);
		g.end = g.start + VTD_PAGE_SIZE - 1;
	}
	iommu_iotlb_sync(kx->domain, &g);
	return 0;	/* The API has no way to say the hardware did not. */
}

static int kx_inval_range(struct siommu_xlate *xl, u64 iova,
			  unsigned long npages,
			  const struct siommu_unmapped *what)
{
	trace_siommu_inval(SIOMMU_TRACE_GROUP, siommu_kernel_xlate_group(xl), iova, npages);
	return kx_sync(kx_of(xl), iova,
		       iova + ((u64)npages << VTD_PAGE_SHIFT) - 1);
}

/*
 * The whole aperture, domain-wide.  A domain is its own scope
 * (xl->scope), so this is also what a batch issues for it.
 */
static int kx_inval_domain(struct siommu_xlate *xl)
{
	trace_siommu_inval(SIOMMU_TRACE_GROUP, siommu_kernel_xlate_group(xl), 0, 0);
	return kx_sync(kx_of(xl), 0, xl->max_iova);
}

/* Restore the device's own DMA path and take our domain off it. */
static void kx_detach(struct siommu_kernel_xlate *kx)
{
	if (!kx->attached)
		return;
	set_dma_ops(kx->dev, kx->saved_ops);
	siommu_dev_set_iommu_dma(kx->dev, kx->saved_dma_iommu);
	kx_sync(kx, 0, kx->base.max_iova);
	iommu_detach_device(kx->domain, kx->dev);
	kx->attached = false;
}

static void kx_destroy(struct siommu_xlate *xl)
{
	struct siommu_kernel_xlate *kx = kx_of(xl);

	kx_detach(kx);
	iommu_domain_free(kx->domain);
	iommu_group_put(kx->group);
	vtd_pgtable_destroy(&kx->shadow);
	kfree(kx);
}

/* The group's id stands where our own backend names the domain id. */
static int kx_describe(struct siommu_xlate *xl, char *buf, int at)
{
	return sysfs_emit_at(buf, at, "kernel group=%u",
			     siommu_kernel_xlate_group(xl));
}

/* The shadow's: the kernel's own table pages are not ours to count. */
static long kx_table_pages(struct siommu_xlate *xl)
{
	return atomic_long_read(&kx_of(xl)->shadow.nr_tables);
}

static long kx_table_pages_peak(struct siommu_xlate *xl)
{
	return atomic_long_read(&kx_of(xl)->shadow.peak_tables);
}

static long kx_table_pages_needed(struct siommu_xlate *xl)
{
	return vtd_pgtable_tables_needed(&kx_of(xl)->shadow);
}

const struct siommu_xlate_ops siommu_kernel_xlate_ops = {
	.name = "kernel",
	.destroy = kx_destroy,
	.describe = kx_describe,
	.table_pages = kx_table_pages,
	.table_pages_peak = kx_table_pages_peak,
	.table_pages_needed = kx_table_pages_needed,
	.map = kx_map,
	.unmap = kx_unmap,
	.lookup = kx_lookup,
	.clear_all = kx_clear_all,
	.sync_map = kx_sync_map,
	/* share, unshare: none (see the top) */
	.inval_range = kx_inval_range,
	.inval_domain = kx_inval_domain,
	.inval_all = kx_inval_domain,
};

/*
 * The domain's fault handler: called by drivers that report a fault to
 * the domain (AMD-Vi on real hardware), never by VT-d's, which only logs.
 */
static int kx_fault(struct iommu_domain *domain, struct device *dev,
		    unsigned long iova, int flags, void *token)
{
	siommu_stat_inc(SIOMMU_STAT_FAULTS);
	dev_err_ratelimited(dev, "DMA %s fault at IOVA %#lx, reported by the kernel's IOMMU driver\n",
			    flags & IOMMU_FAULT_WRITE ? "write" : "read",
			    iova);
	return -EOPNOTSUPP;	/* not handled: the driver logs it as usual */
}

/**
 * siommu_kernel_translates() - does the kernel's own IOMMU driver give
 * PCI devices their DMA domains (a stock kernel's default)?
 */
bool siommu_kernel_translates(void)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		if (device_iommu_mapped(&pdev->dev)) {
			pci_dev_put(pdev);
			return true;
		}
	}
	return false;
}

static int count_dev(struct device *dev, void *n)
{
	(*(int *)n)++;
	return 0;
}

/*
 * A group's DMA owner count includes the kernel driver bound to it (the
 * driver core's iommu_device_use_default_domain()); only a driver that
 * manages DMA itself (vfio-pci) claims it for another user.
 */
static bool kernel_driver_owns(struct device *dev)
{
	struct device_driver *drv;
	bool ret;

	device_lock(dev);
	drv = dev->driver;
	ret = drv && dev_is_pci(dev) && !to_pci_driver(drv)->driver_managed_dma;
	device_unlock(dev);
	return ret;
}

/**
 * siommu_kernel_xlate_check() - can @dev get a domain of its own?
 * @dev: a PCI device
 *
 * Return: 0; -ENXIO when no IOMMU translates for it; -EXDEV when its
 * IOMMU group holds other devices too (the kernel attaches a domain to a
 * whole group, and attaching them together is not supported); -EBUSY
 * when someone (VFIO, iommufd) owns its DMA.
 */
int siommu_kernel_xlate_check(struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	int ret = 0, n = 0;

	if (!group) {
		dev_err(dev, "no IOMMU group: the kernel's IOMMU driver does not translate for it\n");
		return -ENXIO;
	}
	iommu_group_for_each_dev(group, &n, count_dev);
	if (n > 1) {
		dev_err(dev, "shares IOMMU group %d with %d other device(s); the kernel gives a group one domain, so it is not taken over alone\n",
			iommu_group_id(group), n - 1);
		ret = -EXDEV;
	} else if (iommu_group_dma_owner_claimed(group) &&
		   !kernel_driver_owns(dev)) {
		dev_err(dev, "its IOMMU group %d is owned by another user (VFIO or iommufd)\n",
			iommu_group_id(group));
		ret = -EBUSY;
	}
	iommu_group_put(group);
	return ret;
}

/* Keep the group's reserved regions (MSI, AMD's HyperTransport) out. */
static int kx_reserve(struct siommu_kernel_xlate *kx)
{
	struct iommu_resv_region *r, *tmp;
	LIST_HEAD(regions);
	int ret;

	ret = iommu_get_group_resv_regions(kx->group, &regions);
	if (ret)
		return ret;
	list_for_each_entry_safe(r, tmp, &regions, list) {
		if (r->start <= kx->base.max_iova) {
			if (kx->base.nr_resv < KX_MAX_RESV) {
				kx->resv[kx->base.nr_resv].start = r->start;
				kx->resv[kx->base.nr_resv].end =
					r->start + r->length - 1;
				kx->base.nr_resv++;
			} else {
				ret = -E2BIG;
			}
			if (r->type == IOMMU_RESV_DIRECT ||
			    r->type == IOMMU_RESV_DIRECT_RELAXABLE)
				dev_warn(kx->dev, "firmware asks for [%pa+%#zx] to stay mapped 1:1; it is only kept out of the IOVA space\n",
					 &r->start, r->length);
		}
		list_del(&r->list);
		kfree(r);
	}
	if (ret)
		dev_err(kx->dev, "more than %d reserved regions\n", KX_MAX_RESV);
	return ret;
}

/**
 * siommu_kernel_xlate_attach() - a domain of the kernel's driver for @dev
 * @dev: a device siommu_kernel_xlate_check() accepted, no driver bound
 *
 * Attaches the domain and remembers the device's DMA path, which
 * destroying the translations restores; the caller then points the
 * device's dma_ops at ours (and clears dev->dma_iommu: compat.h).
 *
 * Return: the translations, or an ERR_PTR (nothing changed).
 */
struct siommu_xlate *siommu_kernel_xlate_attach(struct device *dev)
{
	struct siommu_kernel_xlate *kx;
	struct iommu_domain *domain;
	u64 last;
	int ret;

	kx = kzalloc(sizeof(*kx), GFP_KERNEL);
	if (!kx)
		return ERR_PTR(-ENOMEM);
	kx->dev = dev;
	kx->group = iommu_group_get(dev);
	if (!kx->group) {
		ret = -ENXIO;
		goto free;
	}
	domain = siommu_iommu_domain_alloc(dev);
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		dev_err(dev, "the kernel's IOMMU driver gave no domain (%d)\n",
			ret);
		goto put;
	}
	kx->domain = domain;
	/* With no driver bound, no count of the kernel's is left in it. */
	if (iommu_group_dma_owner_claimed(kx->group)) {
		dev_err(dev, "its IOMMU group is owned by another user (VFIO or iommufd)\n");
		ret = -EBUSY;
		goto free_domain;
	}
	iommu_set_fault_handler(domain, kx_fault, kx);
	ret = iommu_attach_device(domain, dev);
	if (ret) {
		dev_err(dev, "the kernel's IOMMU driver did not attach our domain (%d)\n",
			ret);
		goto free_domain;
	}
	kx->attached = true;
	kx->saved_ops = get_dma_ops(dev);
	kx->saved_dma_iommu = siommu_dev_uses_iommu_dma(dev);
	/*
	 * The geometry is the unit's only once attached (6.1's VT-d
	 * driver); our shadow holds 48 bits, as wide as any DMA mask
	 * needs here.
	 */
	last = min_t(u64, domain->geometry.aperture_end, BIT_ULL(48) - 1);
	if (!domain->geometry.force_aperture)
		last = BIT_ULL(48) - 1;
	ret = vtd_pgtable_init(&kx->shadow, last > BIT_ULL(39) - 1 ? 4 : 3,
			       true);
	if (ret)
		goto detach;
	spin_lock_init(&kx->lock);
	iommu_iotlb_gather_init(&kx->pending);
	kx->base = (struct siommu_xlate) {
		.ops = &siommu_kernel_xlate_ops,
		.max_iova = last,
		.write_reads = false,
		.scope = kx,
		.resv = kx->resv,
	};
	ret = kx_reserve(kx);
	if (ret)
		goto destroy_shadow;
	return &kx->base;

destroy_shadow:
	vtd_pgtable_destroy(&kx->shadow);
detach:
	iommu_detach_device(domain, dev);
free_domain:
	iommu_domain_free(domain);
put:
	iommu_group_put(kx->group);
free:
	kfree(kx);
	return ERR_PTR(ret);
}

/**
 * siommu_kernel_xlate_detach() - give the device its own DMA path and
 * domain back now (destroying @xl later frees ours)
 * @xl: translations from siommu_kernel_xlate_attach(), no driver bound
 */
void siommu_kernel_xlate_detach(struct siommu_xlate *xl)
{
	kx_detach(kx_of(xl));
}

/* For reports: the IOMMU group the device is in. */
unsigned int siommu_kernel_xlate_group(struct siommu_xlate *xl)
{
	return iommu_group_id(kx_of(xl)->group);
}
