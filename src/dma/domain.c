// SPDX-License-Identifier: GPL-2.0
/*
 * Domains: a managed device's page table, IOVA allocator and invalidation
 * policy, and the map and unmap steps every DMA API call is built from.
 *
 * Every translation is written and invalidated through the domain's
 * translations (dma/xlate/backend.h), never a page table by name.
 *
 * Map, in the active slot's mode: allocate an IOVA range from its
 * instance and map its leaves, tagged with the slot (SIOMMU_IOVA_ALLOC);
 * or let the instance map the buffer where its physical address says
 * (SIOMMU_IOVA_1TO1).  Either way the backend then makes the new leaves
 * visible (->sync_map).  Unmap: read the tag, clear the leaves and hand
 * the range to the invalidation policy, which frees it to that instance
 * only once the hardware has forgotten it.
 *
 * Live swap: a new instance is published in a free slot and made active;
 * after an RCU grace period no CPU allocates from the old one any more,
 * and once its last range is back (the reaper checks) it is unpublished
 * and, after another grace period, destroyed.  Policies swap the same
 * way, the old one drained after the grace period.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "dma/domain.h"
#include "dma/layout.h"
#include "dma/shadow.h"
#include "dma/xlate/backend.h"
#include "base/trace.h"
#include "base/stats.h"
#include "vtd/topology.h"

/* Interrupt messages: DMA writes here are never translated. */
#define MSI_WINDOW_START	0xfee00000ULL
#define MSI_WINDOW_END		0xfeefffffULL

/* The fallback slot's stretch: below 4 GiB, wherever the tables reach. */
static void fallback_space(u64 max_iova, struct siommu_stretch *s)
{
	s->lo = 1;
	s->hi = min(max_iova >> VTD_PAGE_SHIFT, SIOMMU_LAYOUT_FALLBACK_HI);
}

/**
 * siommu_allocator_check() - can @ops serve a domain at all?
 * @ops: the allocator
 * @max_iova: the last IOVA the domain's translations can hold
 *
 * Return: 0, or -ERANGE when no stretch of the space can hold what it
 * needs (see src/dma/layout.c).
 */
int siommu_allocator_check(const struct siommu_iova_ops *ops, u64 max_iova)
{
	struct siommu_layout layout = {
		.space_pfns = (max_iova >> VTD_PAGE_SHIFT) + 1,
	};
	struct siommu_stretch s;

	return siommu_layout_place(ops, &layout, &s);
}

static int reserve_bytes(struct siommu_domain *dom, struct siommu_iova *iova,
			 u64 start, u64 end)
{
	u64 last = dom->xlate->max_iova;

	if (start > last)
		return 0;
	end = min(end, last);
	return iova->ops->reserve(iova, start >> VTD_PAGE_SHIFT,
				  end >> VTD_PAGE_SHIFT);
}

/*
 * Addresses the device cannot use as IOVAs: the interrupt window, and the
 * host bridge's memory windows, where a request could be routed to a peer
 * device before it ever reaches the unit.
 */
static int reserve_windows(struct siommu_domain *dom, struct siommu_iova *iova)
{
	struct pci_bus *root = dom->pdev->bus;
	struct resource *res;
	unsigned int i;
	int ret;

	ret = reserve_bytes(dom, iova, MSI_WINDOW_START, MSI_WINDOW_END);
	for (i = 0; !ret && i < dom->xlate->nr_resv; i++)
		ret = reserve_bytes(dom, iova, dom->xlate->resv[i].start,
				    dom->xlate->resv[i].end);
	while (!ret && !pci_is_root_bus(root))
		root = root->parent;
	pci_bus_for_each_resource(root, res, i) {
		if (ret)
			break;
		if (res && resource_type(res) == IORESOURCE_MEM && res->end)
			ret = reserve_bytes(dom, iova, res->start, res->end);
	}
	return ret;
}

/*
 * Firmware's reserved memory the device keeps using: map it 1:1 (with
 * @iova NULL), or keep it out of an allocator instance.
 */
static int map_rmrrs(struct siommu_domain *dom, struct siommu_iova *iova)
{
	struct siommu_run run;
	unsigned int i, j;
	int ret;

	for (i = 0; i < dom->dmar->nr_rmrrs; i++) {
		const struct dmar_rmrr *r = &dom->dmar->rmrrs[i];
		u64 start = r->base & ~(VTD_PAGE_SIZE - 1);
		u64 end = r->end | (VTD_PAGE_SIZE - 1);

		for (j = 0; j < r->nr_scopes; j++) {
			if (!siommu_scope_matches(&r->scopes[j], r->segment,
						  dom->pdev))
				continue;
			if (end > dom->xlate->max_iova)
				return -ERANGE;
			if (iova) {
				ret = reserve_bytes(dom, iova, start, end);
				if (ret)
					return ret;
				break;
			}
			run.iova = start;
			run.phys = start;
			run.size = end - start + 1;
			ret = dom->xlate->ops->map(dom->xlate, &run, 1,
						   SIOMMU_PROT_RW, 0,
						   GFP_KERNEL);
			if (ret && ret != -EEXIST)
				return ret;
			pci_info(dom->pdev, "RMRR [%#llx-%#llx] identity-mapped\n",
				 start, end);
			break;
		}
	}
	return 0;
}

/* Reserved windows that placement avoids where it can; the first few. */
#define LAYOUT_MAX_WINDOWS	16

static unsigned int layout_windows(struct siommu_domain *dom,
				   struct siommu_stretch *w)
{
	struct pci_bus *root = dom->pdev->bus;
	struct resource *res;
	unsigned int i, n = 0;

	w[n].lo = MSI_WINDOW_START >> VTD_PAGE_SHIFT;
	w[n++].hi = MSI_WINDOW_END >> VTD_PAGE_SHIFT;
	for (i = 0; i < dom->xlate->nr_resv && n < LAYOUT_MAX_WINDOWS; i++) {
		w[n].lo = dom->xlate->resv[i].start >> VTD_PAGE_SHIFT;
		w[n++].hi = dom->xlate->resv[i].end >> VTD_PAGE_SHIFT;
	}
	while (!pci_is_root_bus(root))
		root = root->parent;
	pci_bus_for_each_resource(root, res, i) {
		if (n == LAYOUT_MAX_WINDOWS)
			break;
		if (res && resource_type(res) == IORESOURCE_MEM && res->end) {
			w[n].lo = res->start >> VTD_PAGE_SHIFT;
			w[n++].hi = res->end >> VTD_PAGE_SHIFT;
		}
	}
	return n;
}

/* Record in dom->slots_1to1 whether @slot holds a 1:1 instance. */
static void slot_mark(struct siommu_domain *dom, unsigned int slot,
		      const struct siommu_iova *iova)
{
	unsigned long bits = dom->slots_1to1 & ~BIT(slot);

	if (iova && iova->mode == SIOMMU_IOVA_1TO1)
		bits |= BIT(slot);
	WRITE_ONCE(dom->slots_1to1, bits);
}

/* Slots change only under dom->lock; readers outside it use RCU. */
static struct siommu_iova *slot_get(struct siommu_domain *dom,
				    unsigned int slot)
{
	return rcu_dereference_protected(dom->slots[slot],
					 lockdep_is_held(dom->lock));
}

/*
 * Where a new instance of @ops for @slot goes: the fallback's fixed
 * stretch, or the lowest block the allocator can use that no live
 * instance holds (src/dma/layout.c).
 */
static int slot_place(struct siommu_domain *dom, unsigned int slot,
		      const struct siommu_iova_ops *ops,
		      struct siommu_stretch *s)
{
	struct siommu_stretch taken[SIOMMU_IOVA_SLOTS];
	struct siommu_stretch windows[LAYOUT_MAX_WINDOWS];
	struct siommu_layout layout = {
		.space_pfns = (dom->xlate->max_iova >> VTD_PAGE_SHIFT) + 1,
		.taken = taken,
		.windows = windows,
	};
	unsigned int i;

	if (slot == SIOMMU_FALLBACK_SLOT) {
		fallback_space(dom->xlate->max_iova, s);
		return ops->check_space ? ops->check_space(s->lo, s->hi) : 0;
	}
	for (i = 1; i < SIOMMU_IOVA_SLOTS; i++) {
		struct siommu_iova *iova = slot_get(dom, i);

		if (i != slot && iova) {
			taken[layout.nr_taken].lo = iova->start_pfn;
			taken[layout.nr_taken++].hi = iova->end_pfn;
		}
	}
	layout.nr_windows = layout_windows(dom, windows);
	return siommu_layout_place(ops, &layout, s);
}

/* A new instance of @ops for @slot, its windows and RMRRs kept out. */
static struct siommu_iova *slot_create(struct siommu_domain *dom,
				       unsigned int slot,
				       const struct siommu_iova_ops *ops)
{
	struct siommu_stretch s;
	struct siommu_iova *iova;
	int ret;

	/* A 1:1 mapper counts its leaves in the translations' own bits. */
	if (ops->mode == SIOMMU_IOVA_1TO1 && !dom->xlate->ops->share)
		return ERR_PTR(-EOPNOTSUPP);
	ret = slot_place(dom, slot, ops, &s);
	if (ret)
		return ERR_PTR(ret);
	iova = ops->create(s.lo, s.hi);
	if (!iova)
		return ERR_PTR(-ENOMEM);
	iova->mode = ops->mode;
	iova->reach_pfn = siommu_layout_reach(ops, &s);
	ret = reserve_windows(dom, iova);
	if (!ret)
		ret = map_rmrrs(dom, iova);
	if (ret) {
		ops->destroy(iova);
		return ERR_PTR(ret);
	}
	return iova;
}

/**
 * siommu_domain_create() - an empty address space for a device
 * @dmar: the DMAR table, whose RMRRs the device may use
 * @lock: held by the caller, and whenever the domain's slots change
 * @xlate: its translations, empty; the domain's from now on, also when
 *	   this fails
 * @pdev: the device
 * @alloc: the allocator its mappings start with
 * @policy: the invalidation policy they start with
 *
 * Return: the domain, or an ERR_PTR.
 */
struct siommu_domain *siommu_domain_create(const struct dmar_info *dmar,
					   struct mutex *lock,
					   struct siommu_xlate *xlate,
					   struct pci_dev *pdev,
					   const struct siommu_iova_ops *alloc,
					   const struct siommu_inval_policy *policy)
{
	struct siommu_domain *dom;
	struct siommu_iova *iova;
	int ret;

	/* Creation places slots against the live ones: see slot_get(). */
	lockdep_assert_held(lock);
	dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	if (!dom) {
		xlate->ops->destroy(xlate);
		return ERR_PTR(-ENOMEM);
	}
	dom->dmar = dmar;
	dom->lock = lock;
	dom->xlate = xlate;
	dom->pdev = pdev;
	RCU_INIT_POINTER(dom->policy, policy);
	INIT_LIST_HEAD(&dom->node);

	ret = map_rmrrs(dom, NULL);
	if (ret)
		goto free_slots;
	iova = slot_create(dom, SIOMMU_FALLBACK_SLOT, &siommu_iova_rbtree_ops);
	if (IS_ERR(iova)) {
		ret = PTR_ERR(iova);
		goto free_slots;
	}
	RCU_INIT_POINTER(dom->slots[SIOMMU_FALLBACK_SLOT], iova);
	/* Shadow buffers' IOVAs, should the device need them. */
	dom->shadow_window =
		!iova->ops->reserve(iova, SIOMMU_SHADOW_BASE >> VTD_PAGE_SHIFT,
				    (SIOMMU_SHADOW_BASE >> VTD_PAGE_SHIFT) +
				    SIOMMU_SHADOW_PAGES - 1);
	iova = slot_create(dom, 1, alloc);
	if (IS_ERR(iova)) {
		ret = PTR_ERR(iova);
		goto free_slots;
	}
	slot_mark(dom, 1, iova);
	RCU_INIT_POINTER(dom->slots[1], iova);
	dom->active = 1;
	return dom;

free_slots:
	iova = slot_get(dom, SIOMMU_FALLBACK_SLOT);
	if (iova)
		iova->ops->destroy(iova);
	xlate->ops->destroy(xlate);
	kfree(dom);
	return ERR_PTR(ret);
}

/**
 * siommu_domain_outstanding() - ranges handed out, all instances
 * @dom: the domain
 */
unsigned long siommu_domain_outstanding(struct siommu_domain *dom)
{
	unsigned long n = 0;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < SIOMMU_IOVA_SLOTS; i++) {
		struct siommu_iova *iova = rcu_dereference(dom->slots[i]);

		if (iova)
			n += iova->ops->outstanding(iova);
	}
	rcu_read_unlock();
	/* Shadow buffers are out too, though their IOVAs are the pool's. */
	return n + siommu_shadow_in_use(dom);
}

/**
 * siommu_domain_iova_stats() - add the domain's allocator counts to @st
 * @dom: the domain
 * @st: the sums
 */
void siommu_domain_iova_stats(struct siommu_domain *dom,
			      struct siommu_iova_stats *st)
{
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < SIOMMU_IOVA_SLOTS; i++) {
		struct siommu_iova *iova = rcu_dereference(dom->slots[i]);

		if (iova && iova->ops->stats)
			iova->ops->stats(iova, st);
	}
	rcu_read_unlock();
}

const struct siommu_iova_ops *siommu_domain_allocator(struct siommu_domain *dom)
{
	const struct siommu_iova_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(dom->slots[READ_ONCE(dom->active)])->ops;
	rcu_read_unlock();
	return ops;
}

const struct siommu_inval_policy *
siommu_domain_inval_policy(struct siommu_domain *dom)
{
	return rcu_access_pointer(dom->policy);
}

/**
 * siommu_domain_destroy() - free a domain nothing reaches any more
 * @dom: the domain: no context entry points at it, no dma_ops lead to it
 *	 (or an RCU grace period passed since they last did), and normally
 *	 no mapping is out (attach.c keeps a detached domain until then)
 */
void siommu_domain_destroy(struct siommu_domain *dom)
{
	unsigned long left;
	unsigned int i;

	lockdep_assert_held(dom->lock);
	siommu_domain_inval_policy(dom)->drain();
	left = siommu_domain_outstanding(dom);
	if (left)
		pci_warn(dom->pdev, "%lu DMA mapping(s) still out; released with the domain (the kmalloc allocator leaks their slab objects)\n",
			 left);
	for (i = 0; i < SIOMMU_IOVA_SLOTS; i++) {
		struct siommu_iova *iova = slot_get(dom, i);

		if (iova)
			iova->ops->destroy(iova);
	}
	dom->xlate->ops->destroy(dom->xlate);
	/* No translation leads to its pages any more. */
	siommu_shadow_free(dom->shadow);
	kfree(dom);
	/*
	 * Table pages its unmaps emptied go an RCU grace period after their
	 * invalidation (vtd_pgtable_free_tables()): wait, so that a detach
	 * leaves stats/live_table_pages at what is really left.
	 */
	rcu_barrier();
}

/**
 * siommu_domain_set_allocator() - new mappings from a new allocator
 * @dom: the domain
 * @ops: the allocator
 *
 * Mappings made before stay with the instance that made them, which is
 * torn down once they are all unmapped (siommu_domain_reap()).
 *
 * Return: 0; -EBUSY when every slot still holds an instance draining;
 * -ERANGE or -ENOMEM when the new instance cannot be made; -EOPNOTSUPP for
 * a 1:1 allocator on translations that cannot count shared leaves.
 */
int siommu_domain_set_allocator(struct siommu_domain *dom,
				const struct siommu_iova_ops *ops)
{
	struct siommu_iova *iova;
	unsigned int slot, old = dom->active;

	lockdep_assert_held(dom->lock);
	if (slot_get(dom, old)->ops == ops)
		return 0;
	siommu_domain_reap(dom);
	for (slot = 1; slot < SIOMMU_IOVA_SLOTS; slot++)
		if (!slot_get(dom, slot))
			break;
	if (slot == SIOMMU_IOVA_SLOTS)
		return -EBUSY;
	iova = slot_create(dom, slot, ops);
	if (IS_ERR(iova))
		return PTR_ERR(iova);
	slot_mark(dom, slot, iova);
	rcu_assign_pointer(dom->slots[slot], iova);
	WRITE_ONCE(dom->active, slot);
	dom->retired |= BIT(old);
	/* After this no CPU allocates from the old instance any more. */
	synchronize_rcu();
	siommu_domain_reap(dom);
	return 0;
}

/**
 * siommu_domain_reap() - tear down retired instances that are empty
 * @dom: the domain
 *
 * Return: true while some are still draining.
 */
bool siommu_domain_reap(struct siommu_domain *dom)
{
	unsigned int slot;

	lockdep_assert_held(dom->lock);
	for (slot = 1; slot < SIOMMU_IOVA_SLOTS; slot++) {
		struct siommu_iova *iova = slot_get(dom, slot);

		if (!(dom->retired & BIT(slot)) ||
		    iova->ops->outstanding(iova))
			continue;
		RCU_INIT_POINTER(dom->slots[slot], NULL);
		dom->retired &= ~BIT(slot);
		/* An unmap that freed its last range may still be inside. */
		synchronize_rcu();
		slot_mark(dom, slot, NULL);
		iova->ops->destroy(iova);
	}
	return dom->retired != 0;
}

/**
 * siommu_domain_cpu_dead() - a CPU went offline: its caches go back
 * @dom: the domain
 * @cpu: the CPU
 *
 * Runs under RCU alone, not dom->lock: the CPU-hotplug callback must not
 * wait for a lock whose holders wait for CPU hotplug (attach and detach
 * bind drivers, a swap to "linux" registers hotplug instances).  An
 * instance is destroyed only a grace period after it was unpublished,
 * and cpu_dead() may run beside allocations on other CPUs.
 */
void siommu_domain_cpu_dead(struct siommu_domain *dom, unsigned int cpu)
{
	unsigned int slot;

	rcu_read_lock();
	for (slot = 0; slot < SIOMMU_IOVA_SLOTS; slot++) {
		struct siommu_iova *iova = rcu_dereference(dom->slots[slot]);

		if (iova && iova->ops->cpu_dead)
			iova->ops->cpu_dead(iova, cpu);
	}
	rcu_read_unlock();
}

/**
 * siommu_domain_set_inval_policy() - a new invalidation policy for new unmaps
 * @dom: the domain
 * @ops: the policy
 *
 * Whatever the old policy batched is flushed once no CPU uses it for
 * this domain any more.
 */
int siommu_domain_set_inval_policy(struct siommu_domain *dom,
				   const struct siommu_inval_policy *ops)
{
	const struct siommu_inval_policy *old = siommu_domain_inval_policy(dom);

	lockdep_assert_held(dom->lock);
	if (old == ops)
		return 0;
	if (ops != &siommu_inval_strict && siommu_domain_why_strict(dom))
		return -EPERM;
	rcu_assign_pointer(dom->policy, ops);
	synchronize_rcu();
	old->drain();
	return 0;
}

/**
 * siommu_domain_why_strict() - may only strict invalidation serve it?
 * @dom: the domain
 *
 * An untrusted device (pdev->untrusted: behind an external-facing port)
 * and any device under protection=subpage: a lazy policy leaves the
 * device its pages for a while after they went back to the kernel.
 *
 * Return: why, for a log line; NULL when any policy may serve it.
 */
const char *siommu_domain_why_strict(struct siommu_domain *dom)
{
	if (dom->pdev->untrusted)
		return "the device is untrusted";
	if (READ_ONCE(dom->subpage))
		return "its protection is subpage";
	return NULL;
}

/**
 * siommu_domain_set_protection() - whole pages, or only the bytes given
 * @dom: the domain, its siommu_dev set
 * @subpage: serve mappings that do not cover whole pages from shadow
 *	     buffers (dma/shadow.c); false: map them in place, as before
 *
 * Mappings made before stay as they were made: an unmap or a sync knows
 * a shadow handle by its address.
 *
 * Return: 0; -EPERM for subpage under a lazy policy; -EOPNOTSUPP when
 * the domain could not reserve the pool's IOVAs; -ENOMEM.
 */
int siommu_domain_set_protection(struct siommu_domain *dom, bool subpage)
{
	int ret;

	lockdep_assert_held(dom->lock);
	if (!subpage) {
		WRITE_ONCE(dom->subpage, 0);
		return 0;
	}
	if (siommu_domain_inval_policy(dom) != &siommu_inval_strict)
		return -EPERM;
	if (!dom->shadow_window)
		return -EOPNOTSUPP;
	ret = siommu_shadow_create(dom);
	if (ret)
		return ret;
	siommu_dma_ops_add_sync(dom->sdev);
	WRITE_ONCE(dom->subpage, 1);
	return 0;
}

/*
 * The active instance sits too high for the device's mask (its
 * allocator needs more than the mask leaves, see src/dma/layout.c): say so
 * once per instance, and let the fallback serve.  Return: 0.
 */
static unsigned long short_mask(struct siommu_domain *dom,
				struct siommu_iova *iova, u64 dma_mask)
{
	if (!test_and_set_bit(0, &iova->told_short_mask))
		pci_info(dom->pdev, "allocator %s cannot serve its %d-bit DMA mask here (it needs %d bits); the 32-bit fallback maps for it\n",
			 iova->ops->name, fls64(dma_mask),
			 fls64(((u64)iova->reach_pfn << VTD_PAGE_SHIFT) |
			       (VTD_PAGE_SIZE - 1)));
	return 0;
}

/* The highest IOVA pfn a device with @dma_mask reaches in @dom. */
static unsigned long limit_pfn(struct siommu_domain *dom, u64 dma_mask)
{
	return min(dma_mask, dom->xlate->max_iova) >> VTD_PAGE_SHIFT;
}

/**
 * siommu_domain_alloc_iova() - reserve IOVA space the device can reach
 * @dom: the domain
 * @npages: 4 KiB pages
 * @dma_mask: the device's mask for this kind of mapping
 * @slot: set to the slot of the instance that served it
 *
 * The active instance first, when it allocates (SIOMMU_IOVA_ALLOC); the
 * 32-bit fallback when it has no room under the mask, or maps 1:1.
 *
 * Return: the first byte of the range, or DMA_MAPPING_ERROR.
 */
dma_addr_t siommu_domain_alloc_iova(struct siommu_domain *dom,
				    unsigned long npages, u64 dma_mask,
				    unsigned int *slot)
{
	unsigned long limit = limit_pfn(dom, dma_mask);
	struct siommu_iova *iova;
	unsigned long pfn;

	rcu_read_lock();
	*slot = READ_ONCE(dom->active);
	iova = rcu_dereference(dom->slots[*slot]);
	if (limit < iova->reach_pfn)
		pfn = short_mask(dom, iova, dma_mask);
	else if (iova->mode == SIOMMU_IOVA_ALLOC)
		pfn = iova->ops->alloc(iova, npages, limit);
	else
		pfn = 0;	/* a 1:1 slot has no range without its pages */
	if (!pfn) {
		*slot = SIOMMU_FALLBACK_SLOT;
		iova = rcu_dereference(dom->slots[*slot]);
		pfn = iova->ops->alloc(iova, npages, limit);
		if (pfn)
			siommu_stat_inc(SIOMMU_STAT_FALLBACKS);
	}
	rcu_read_unlock();
	if (!pfn) {
		siommu_stat_inc(SIOMMU_STAT_MAP_ERRORS);
		return DMA_MAPPING_ERROR;
	}
	return (dma_addr_t)pfn << VTD_PAGE_SHIFT;
}

/* Give back a range whose leaves were never visible to the device. */
void siommu_domain_free_iova(struct siommu_domain *dom, dma_addr_t iova,
			     unsigned long npages, unsigned int slot)
{
	struct siommu_iova *inst;

	rcu_read_lock();
	inst = rcu_dereference(dom->slots[slot]);
	inst->ops->free(inst, iova >> VTD_PAGE_SHIFT, npages);
	rcu_read_unlock();
}

/*
 * After a map wrote the leaves of @runs: what the hardware needs to see
 * them, once for the span they lie in.
 */
static void mapped(struct siommu_domain *dom, const struct siommu_run *runs,
		   unsigned int n)
{
	u64 first = runs[0].iova, end = runs[n - 1].iova + runs[n - 1].size;
	unsigned long pages = 0;
	unsigned int r;

	for (r = 0; r < n; r++) {
		pages += runs[r].size >> VTD_PAGE_SHIFT;
		trace_siommu_map(&dom->pdev->dev, runs[r].iova, runs[r].phys,
				 runs[r].size);
	}
	dom->xlate->ops->sync_map(dom->xlate, first,
				  (end - first) >> VTD_PAGE_SHIFT);
	siommu_stat_add(SIOMMU_STAT_PAGES_MAPPED, pages);
}

/**
 * siommu_domain_map_runs() - map pieces of an allocated range
 * @dom: the domain
 * @runs: page-aligned pieces inside one range from
 *	  siommu_domain_alloc_iova(), ascending, not overlapping
 * @n: how many
 * @prot: SIOMMU_PROT_READ and/or SIOMMU_PROT_WRITE
 * @slot: the slot siommu_domain_alloc_iova() named
 *
 * One pass over the page table for all of them (a scatterlist's
 * segments), and one sync for the hardware.
 *
 * Return: 0, or -ENOMEM with nothing mapped.
 */
int siommu_domain_map_runs(struct siommu_domain *dom,
			   const struct siommu_run *runs, unsigned int n,
			   u64 prot, unsigned int slot)
{
	int ret;

	ret = dom->xlate->ops->map(dom->xlate, runs, n, prot, slot,
				   GFP_ATOMIC);
	if (ret) {
		siommu_stat_inc(SIOMMU_STAT_MAP_ERRORS);
		return ret;
	}
	mapped(dom, runs, n);
	return 0;
}

/**
 * siommu_domain_map_at() - map part of an allocated range
 * @dom: the domain
 * @iova: page-aligned IOVA inside a range from siommu_domain_alloc_iova()
 * @phys: page-aligned physical address
 * @size: bytes, a multiple of 4 KiB
 * @prot: SIOMMU_PROT_READ and/or SIOMMU_PROT_WRITE
 * @slot: the slot siommu_domain_alloc_iova() named
 *
 * Return: 0, or -ENOMEM with nothing mapped.
 */
int siommu_domain_map_at(struct siommu_domain *dom, dma_addr_t iova,
			 phys_addr_t phys, size_t size, u64 prot,
			 unsigned int slot)
{
	struct siommu_run run = { .iova = iova, .phys = phys, .size = size };

	return siommu_domain_map_runs(dom, &run, 1, prot, slot);
}

/**
 * siommu_domain_owns() - does the domain map @addr now?
 * @dom: the domain
 * @addr: a handle a DMA API call carries
 *
 * Return: true when the page of @addr has a present leaf: a handle the
 * domain issued and has not had back.
 */
bool siommu_domain_owns(struct siommu_domain *dom, dma_addr_t addr)
{
	struct siommu_xlate_leaf leaf;

	return dom->xlate->ops->lookup(dom->xlate,
				       addr & ~(u64)(VTD_PAGE_SIZE - 1), &leaf);
}

/**
 * siommu_domain_mapped_1to1() - was @iova mapped by a 1:1 slot?
 * @dom: the domain
 * @iova: a mapped IOVA
 */
bool siommu_domain_mapped_1to1(struct siommu_domain *dom, dma_addr_t iova)
{
	struct siommu_xlate_leaf leaf;
	struct siommu_iova *inst;
	bool ret;

	if (!READ_ONCE(dom->slots_1to1))
		return false;
	dom->xlate->ops->lookup(dom->xlate, iova, &leaf);
	rcu_read_lock();
	inst = rcu_dereference(dom->slots[leaf.tag]);
	ret = inst && inst->mode == SIOMMU_IOVA_1TO1;
	rcu_read_unlock();
	return ret;
}

/* A range that is not mapped (a driver unmapping twice): left alone. */
static void bad_unmap(struct siommu_domain *dom, dma_addr_t iova)
{
	dev_err_ratelimited(&dom->pdev->dev, "unmap of IOVA %#llx, which is not mapped; ignored\n",
			    (u64)iova);
	siommu_stat_inc(SIOMMU_STAT_BAD_UNMAPS);
}

/*
 * Some instance maps 1:1, or the translations cannot say what they
 * cleared: look at the first leaf, whose tag names the instance the range
 * goes back to and whose mode says how it is cleared (shared leaves drop
 * a reference each).
 */
static void unmap_looked_up(struct siommu_domain *dom, dma_addr_t iova,
			    unsigned long npages)
{
	struct siommu_xlate *xl = dom->xlate;
	struct siommu_unmapped what = { };
	const struct siommu_inval_policy *policy;
	struct siommu_xlate_leaf leaf;
	struct siommu_iova *inst;

	if (!xl->ops->lookup(xl, iova, &leaf)) {
		bad_unmap(dom, iova);
		return;
	}
	trace_siommu_unmap(&dom->pdev->dev, iova, leaf.phys,
			   npages << VTD_PAGE_SHIFT);
	rcu_read_lock();
	inst = rcu_dereference(dom->slots[leaf.tag]);
	policy = rcu_dereference(dom->policy);
	if (inst->mode == SIOMMU_IOVA_1TO1) {
		/* Shared leaves: only the last reference needs invalidating. */
		if (inst->ops->unmap(inst, xl, iova >> VTD_PAGE_SHIFT, npages,
				     &what))
			policy->unmapped(xl, inst, iova >> VTD_PAGE_SHIFT,
					npages, &what);
	} else {
		xl->ops->unmap(xl, iova, (u64)npages << VTD_PAGE_SHIFT, &what);
		policy->unmapped(xl, inst, iova >> VTD_PAGE_SHIFT, npages,
				&what);
	}
	rcu_read_unlock();
}

/**
 * siommu_domain_unmap_pages() - clear a range and hand it to the policy
 * @dom: the domain
 * @iova: the range's first byte, as the map gave it
 * @npages: the range's size in pages, as mapped
 *
 * The first leaf's tag says which instance the range goes back to.  With
 * no 1:1 instance in the domain, one walk clears the range and reads the
 * tag from the exchange that cleared the first leaf.  A range whose first
 * page is not mapped (a driver unmapping twice) is reported and left
 * alone: freeing it could hand out a range someone else holds.
 */
void siommu_domain_unmap_pages(struct siommu_domain *dom, dma_addr_t iova,
			       unsigned long npages)
{
	struct siommu_xlate *xl = dom->xlate;
	struct siommu_unmapped what = { };
	struct siommu_iova *inst;

	if (!xl->unmap_tells || READ_ONCE(dom->slots_1to1)) {
		unmap_looked_up(dom, iova, npages);
		return;
	}
	rcu_read_lock();
	if (!xl->ops->unmap(xl, iova, (u64)npages << VTD_PAGE_SHIFT, &what)) {
		rcu_read_unlock();
		bad_unmap(dom, iova);
		return;
	}
	trace_siommu_unmap(&dom->pdev->dev, iova, what.phys,
			   npages << VTD_PAGE_SHIFT);
	inst = rcu_dereference(dom->slots[what.tag]);
	rcu_dereference(dom->policy)->unmapped(xl, inst,
					       iova >> VTD_PAGE_SHIFT, npages,
					       &what);
	rcu_read_unlock();
}

/**
 * siommu_domain_map_1to1() - map where the physical address says, if the
 * active slot maps 1:1
 * @dom: the domain
 * @phys: page-aligned physical address
 * @npages: pages
 * @prot: SIOMMU_PROT_READ and/or SIOMMU_PROT_WRITE
 * @dma_mask: the device's mask for this kind of mapping
 *
 * Return: the IOVA of @phys; DMA_MAPPING_ERROR when the active slot does
 * not map 1:1 or cannot map it: take the allocating path then (whose
 * fallback slot serves the device).
 */
dma_addr_t siommu_domain_map_1to1(struct siommu_domain *dom, phys_addr_t phys,
				  unsigned long npages, u64 prot, u64 dma_mask)
{
	unsigned long limit = limit_pfn(dom, dma_mask);
	unsigned long pfn, inval = 0;
	struct siommu_iova *iova;
	struct siommu_run run;
	unsigned int slot;

	rcu_read_lock();
	slot = READ_ONCE(dom->active);
	iova = rcu_dereference(dom->slots[slot]);
	/* Short of its reach, the alloc path says why and falls back. */
	if (iova->mode != SIOMMU_IOVA_1TO1 || limit < iova->reach_pfn) {
		rcu_read_unlock();
		return DMA_MAPPING_ERROR;
	}
	pfn = iova->ops->map(iova, dom->xlate, phys, npages, prot, slot,
			     limit, &inval);
	/* A failed try dropped a page others may have had cached. */
	if (inval) {
		const struct siommu_inval_policy *policy;
		struct siommu_unmapped what = { };

		policy = rcu_dereference(dom->policy);
		policy->unmapped(dom->xlate, iova, inval, npages, &what);
	}
	rcu_read_unlock();
	if (!pfn)
		return DMA_MAPPING_ERROR;
	run.iova = (u64)pfn << VTD_PAGE_SHIFT;
	run.phys = phys;
	run.size = (u64)npages << VTD_PAGE_SHIFT;
	mapped(dom, &run, 1);
	return (dma_addr_t)pfn << VTD_PAGE_SHIFT;
}

static unsigned long span_pages(phys_addr_t phys, size_t size)
{
	return DIV_ROUND_UP((phys & (VTD_PAGE_SIZE - 1)) + size,
			    VTD_PAGE_SIZE);
}

/**
 * siommu_domain_map() - map one physically contiguous buffer
 * @dom: the domain
 * @phys: first byte
 * @size: bytes
 * @prot: SIOMMU_PROT_READ and/or SIOMMU_PROT_WRITE
 * @dma_mask: the device's mask for this kind of mapping
 *
 * Return: the device address of @phys, or DMA_MAPPING_ERROR.
 */
dma_addr_t siommu_domain_map(struct siommu_domain *dom, phys_addr_t phys,
			     size_t size, u64 prot, u64 dma_mask)
{
	unsigned long npages = span_pages(phys, size);
	phys_addr_t offset = phys & (VTD_PAGE_SIZE - 1);
	unsigned int slot;
	dma_addr_t iova;

	/* A hint: the 1:1 path checks the slot's mode again. */
	if (siommu_domain_active_1to1(dom)) {
		iova = siommu_domain_map_1to1(dom, phys - offset, npages, prot,
					      dma_mask);
		if (iova != DMA_MAPPING_ERROR) {
			siommu_stat_inc(SIOMMU_STAT_MAPS);
			return iova + offset;
		}
	}
	iova = siommu_domain_alloc_iova(dom, npages, dma_mask, &slot);
	if (iova == DMA_MAPPING_ERROR)
		return iova;
	if (siommu_domain_map_at(dom, iova, phys - offset,
				 npages << VTD_PAGE_SHIFT, prot, slot)) {
		siommu_domain_free_iova(dom, iova, npages, slot);
		return DMA_MAPPING_ERROR;
	}
	siommu_stat_inc(SIOMMU_STAT_MAPS);
	return iova + offset;
}

/**
 * siommu_domain_unmap() - undo siommu_domain_map()
 * @dom: the domain
 * @addr: the device address siommu_domain_map() returned
 * @size: the size it was given
 */
void siommu_domain_unmap(struct siommu_domain *dom, dma_addr_t addr,
			 size_t size)
{
	siommu_stat_inc(SIOMMU_STAT_UNMAPS);
	siommu_domain_unmap_pages(dom, addr & ~(VTD_PAGE_SIZE - 1),
				  span_pages(addr, size));
}

/**
 * siommu_domain_revoke() - debug: take every mapping away from the device
 * @dom: the domain
 *
 * Clears every leaf behind its driver's back and invalidates the
 * domain's IOTLB entries, so that from now on each DMA the device makes
 * faults: a faulting device, made to order (tests/vm/fault_storm.sh).
 * The driver's later unmaps are refused as unmaps of unmapped IOVAs
 * (bad_unmaps); the IOVAs stay allocated until the device is detached.
 *
 * Return: the number of 4 KiB pages that were mapped.
 */
u64 siommu_domain_revoke(struct siommu_domain *dom)
{
	u64 cleared = dom->xlate->ops->clear_all(dom->xlate);

	dom->xlate->ops->inval_domain(dom->xlate);
	siommu_stat_inc(SIOMMU_STAT_IOTLB_FLUSHES);
	pci_warn(dom->pdev, "debug: %llu mapped page(s) revoked; its DMA faults until detached\n",
		 cleared);
	return cleared;
}
