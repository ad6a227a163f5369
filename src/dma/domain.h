/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A domain: one managed device's I/O address space.  Its translations
 * (dma/xlate/backend.h), the allocators that hand out its IOVAs and the
 * policy that invalidates them.
 */
#ifndef SCALABLE_IOMMU_DOMAIN_H
#define SCALABLE_IOMMU_DOMAIN_H

#include <linux/dma-map-ops.h>
#include <linux/list.h>
#include <linux/mutex.h>

#include "dma/inval/policy.h"
#include "dma/iova/allocator.h"
#include "dma/xlate/backend.h"
#include "vtd/dmar.h"
#include "vtd/pgtable.h"

/*
 * A domain holds up to eight allocator instances at once, the slot number
 * kept with every leaf it maps (the seam's tag), so an unmap gives a range
 * back to the instance that made it, whatever is active by then.  Each
 * slot has a mode, its allocator's (enum siommu_iova_mode).  Each live
 * instance owns its own stretch of the IOVA space:
 *
 *   slot 0      rbtree over the 32-bit space, for devices whose DMA mask
 *               the active allocator cannot serve (the fallback);
 *   slots 1-7   one per allocator instance made for the active choice,
 *               kept until the last range it handed out comes back; each
 *               in the lowest aligned block its allocator can use that no
 *               other live instance holds (src/dma/layout.c), so devices with
 *               masks well below the unit's width are served too.
 */
#define SIOMMU_IOVA_SLOTS	8
#define SIOMMU_FALLBACK_SLOT	0

struct siommu_dev;

/* A domain's dom->detached. */
#define SIOMMU_ATTACHED		0
/* Untranslated again; late calls reach the domain (forward.c). */
#define SIOMMU_DETACHED		1
/*
 * Detached, but still translating the device until its last mapping is
 * back (the kernel backend: one domain at a time per device).
 */
#define SIOMMU_HANDING_BACK	2

/*
 * Each field says what protects it (docs/layers.md, "Locks"); *lock is
 * siommu.lock, the module's.
 */
struct siommu_domain {
	/* Written once at create. */
	const struct dmar_info *dmar;		/* its RMRRs are mapped */
	struct mutex *lock;			/* held while slots change */
	struct siommu_xlate *xlate;		/* the translations, its own */
	struct pci_dev *pdev;
	/* Written once under *lock, before the domain is published. */
	struct siommu_dev *sdev;		/* what pdev's dma_ops lead to */

	/* RCU; written under *lock.  See SIOMMU_IOVA_SLOTS. */
	struct siommu_iova __rcu *slots[SIOMMU_IOVA_SLOTS];
	/* Written under *lock (WRITE_ONCE); read lock-free: new mappings. */
	unsigned int active;
	/*
	 * Written under *lock (WRITE_ONCE), read lock-free: a bit per slot
	 * holding a 1:1 instance, set before the slot is published and
	 * cleared once it is unpublished with nothing out.  While it is 0
	 * no leaf is shared, and an unmap needs no look before it clears
	 * (siommu_domain_unmap_pages()); a map tries the 1:1 path only when
	 * the active slot's bit is set.
	 */
	unsigned long slots_1to1;
	unsigned long retired;		/* protected by *lock: slots draining */
	/* RCU; written under *lock. */
	const struct siommu_inval_policy __rcu *policy;
	/*
	 * Protected by *lock; RCU readers walk siommu.domains.  In
	 * siommu.domains while attached, siommu.draining once detached.
	 */
	struct list_head node;
	/*
	 * Written under *lock (WRITE_ONCE), read lock-free (READ_ONCE):
	 * SIOMMU_ATTACHED, or one of the two states on siommu.draining.
	 * An int: sparse warns of READ_ONCE(bool).
	 */
	int detached;
	unsigned long detached_at;	/* protected by *lock; jiffies */
	/* Protected by *lock: SIOMMU_HANDING_BACK had a driver to bind. */
	bool rebind;
	struct kobject *kobj;		/* protected by *lock: device/<bdf>/ */
	/*
	 * Sub-page protection (dma/shadow.h).  shadow_window: written once
	 * at create, the pool's IOVAs reserved.  shadow: written once under
	 * *lock (release), read lock-free; kept until destroy.  subpage:
	 * written under *lock (WRITE_ONCE), read lock-free: new sub-page
	 * mappings go to the pool.
	 */
	bool shadow_window;
	struct siommu_shadow *shadow;
	int subpage;
};

/*
 * What a device's dma_ops point at, from its first attach until unload
 * (or until a drained domain gives the device its own ops back, after
 * which a call that read them before still finds this).  The DMA API
 * hands our callbacks only the device; get_dma_ops(dev) leads here, and
 * from here to the domain under RCU (dma_ops.c).
 */
struct siommu_dev {
	struct dma_map_ops ops;			/* written once at create */
	struct pci_dev *pdev;			/* written once at create */
	/*
	 * The kernel backend: whether the device had the kernel's IOMMU DMA
	 * path before its first attach, and its dma_ops if it came as such
	 * (6.1's iommu-dma; on 6.12 it is dev->dma_iommu, no ops).  Written
	 * once, under siommu.lock, before the dma_ops become ours.
	 */
	bool prev_path;
	const struct dma_map_ops *prev_ops;
	/* RCU; written under siommu.lock: attached or draining */
	struct siommu_domain __rcu *dom;
	struct list_head node;	/* protected by siommu.lock: siommu.devs */
};

/* domain.c */
struct siommu_domain *siommu_domain_create(const struct dmar_info *dmar,
					   struct mutex *lock,
					   struct siommu_xlate *xlate,
					   struct pci_dev *pdev,
					   const struct siommu_iova_ops *alloc,
					   const struct siommu_inval_policy *policy);
void siommu_domain_destroy(struct siommu_domain *dom);
int siommu_domain_set_allocator(struct siommu_domain *dom,
				const struct siommu_iova_ops *ops);
int siommu_domain_set_inval_policy(struct siommu_domain *dom,
				   const struct siommu_inval_policy *ops);
int siommu_domain_set_protection(struct siommu_domain *dom, bool subpage);
const char *siommu_domain_why_strict(struct siommu_domain *dom);
bool siommu_domain_reap(struct siommu_domain *dom);
void siommu_domain_cpu_dead(struct siommu_domain *dom, unsigned int cpu);
const struct siommu_iova_ops *siommu_domain_allocator(struct siommu_domain *dom);
const struct siommu_inval_policy *
siommu_domain_inval_policy(struct siommu_domain *dom);
unsigned long siommu_domain_outstanding(struct siommu_domain *dom);
u64 siommu_domain_revoke(struct siommu_domain *dom);
void siommu_domain_iova_stats(struct siommu_domain *dom,
			      struct siommu_iova_stats *st);
int siommu_allocator_check(const struct siommu_iova_ops *ops, u64 max_iova);
dma_addr_t siommu_domain_map(struct siommu_domain *dom, phys_addr_t phys,
			     size_t size, u64 prot, u64 dma_mask);
void siommu_domain_unmap(struct siommu_domain *dom, dma_addr_t addr,
			 size_t size);
dma_addr_t siommu_domain_alloc_iova(struct siommu_domain *dom,
				    unsigned long npages, u64 dma_mask,
				    unsigned int *slot);
void siommu_domain_free_iova(struct siommu_domain *dom, dma_addr_t iova,
			     unsigned long npages, unsigned int slot);
int siommu_domain_map_runs(struct siommu_domain *dom,
			   const struct siommu_run *runs, unsigned int n,
			   u64 prot, unsigned int slot);
int siommu_domain_map_at(struct siommu_domain *dom, dma_addr_t iova,
			 phys_addr_t phys, size_t size, u64 prot,
			 unsigned int slot);
void siommu_domain_unmap_pages(struct siommu_domain *dom, dma_addr_t iova,
			       unsigned long npages);
dma_addr_t siommu_domain_map_1to1(struct siommu_domain *dom, phys_addr_t phys,
				  unsigned long npages, u64 prot, u64 dma_mask);
bool siommu_domain_mapped_1to1(struct siommu_domain *dom, dma_addr_t iova);

bool siommu_domain_owns(struct siommu_domain *dom, dma_addr_t addr);

/* Might the active slot map 1:1?  A hint: see slots_1to1. */
static inline bool siommu_domain_active_1to1(struct siommu_domain *dom)
{
	return READ_ONCE(dom->slots_1to1) & BIT(READ_ONCE(dom->active));
}

/* dma_ops.c */
extern const struct dma_map_ops siommu_dma_ops;
bool siommu_dma_ops_ours(const struct dma_map_ops *ops);
void siommu_dma_ops_add_sync(struct siommu_dev *sdev);
void siommu_dma_ops_drop_sync(struct siommu_dev *sdev);
void siommu_domain_unmap_streaming(struct siommu_domain *dom, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs);

/* forward.c: calls on a device we no longer translate (see there) */
bool siommu_fwd_late_call(struct siommu_domain *dom, dma_addr_t handle);
dma_addr_t siommu_fwd_map_page(struct siommu_domain *dom, struct device *dev,
			       struct page *page, unsigned long offset,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs);
dma_addr_t siommu_fwd_map_resource(struct siommu_domain *dom,
				   struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs);
void siommu_fwd_unmap(struct siommu_domain *dom, struct device *dev,
		      dma_addr_t addr, size_t size,
		      enum dma_data_direction dir, unsigned long attrs,
		      bool resource);
int siommu_fwd_map_sg(struct siommu_domain *dom, struct device *dev,
		      struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs);
void siommu_fwd_unmap_sg(struct siommu_domain *dom, struct device *dev,
			 struct scatterlist *sgl, int nents,
			 enum dma_data_direction dir, unsigned long attrs);
void *siommu_fwd_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		       gfp_t gfp, unsigned long attrs, bool ours);
void siommu_fwd_free(struct device *dev, size_t size, void *cpu_addr,
		     dma_addr_t handle, unsigned long attrs, bool ours);
struct page *siommu_fwd_alloc_pages(struct device *dev, size_t size,
				    dma_addr_t *handle,
				    enum dma_data_direction dir, gfp_t gfp,
				    bool ours);
void siommu_fwd_free_pages(struct device *dev, size_t size,
			   struct page *page, dma_addr_t handle,
			   enum dma_data_direction dir, bool ours);

#endif /* SCALABLE_IOMMU_DOMAIN_H */
