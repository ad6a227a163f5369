/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A domain: one managed device's I/O address space.  Its page table, the
 * allocator that hands out its IOVAs and the policy that invalidates them.
 */
#ifndef SCALABLE_IOMMU_DOMAIN_H
#define SCALABLE_IOMMU_DOMAIN_H

#include <linux/dma-map-ops.h>
#include <linux/list.h>

#include "flush/policy.h"
#include "iova_alloc.h"
#include "siommu.h"
#include "vtd_pgtable.h"

/*
 * A domain holds up to eight allocator instances at once, the slot number
 * kept in every PTE it maps (VTD_PTE_TAG), so an unmap gives a range back
 * to the instance that made it, whatever is active by then.  Each slot
 * owns its own stretch of the IOVA space:
 *
 *   slot 0      rbtree over the 32-bit space, for devices whose DMA mask
 *               the active allocator cannot serve (the fallback);
 *   slots 1-7   the i-th eighth of the space each, one per allocator
 *               instance made for the active choice, kept until the last
 *               range it handed out comes back.
 */
#define SIOMMU_IOVA_SLOTS	8
#define SIOMMU_FALLBACK_SLOT	0

struct siommu_domain {
	/*
	 * The device's dma_map_ops, one copy per domain: the DMA API hands
	 * our callbacks only the device, and get_dma_ops(dev) leads back here
	 * with no lookup.
	 */
	struct dma_map_ops ops;
	/*
	 * What the device's dma_ops point at once it is detached while its
	 * mappings are still out (forward.c): late calls with our handles
	 * reach the domain, new calls go untranslated.
	 */
	struct dma_map_ops fwd_ops;
	struct siommu *sio;
	struct siommu_unit *unit;
	struct pci_dev *pdev;
	const struct dma_map_ops *saved_ops;	/* restored on detach */
	u16 did;
	struct vtd_pgtable pt;

	/* Instances, published with RCU; see SIOMMU_IOVA_SLOTS. */
	struct siommu_iova __rcu *slots[SIOMMU_IOVA_SLOTS];
	unsigned int active;			/* slot of new mappings */
	unsigned long retired;			/* slots waiting to drain */
	const struct siommu_flush_ops __rcu *flush;
	/* In siommu.domains while attached, siommu.draining once detached. */
	struct list_head node;
	bool detached;				/* on siommu.draining */
	unsigned long detached_at;		/* jiffies */
	struct kobject *kobj;			/* device/<bdf>/ in sysfs */
};

/* The allocator and policy names sysfs offers, in order (domain.c). */
extern const struct siommu_iova_ops *const siommu_allocators[];
extern const unsigned int siommu_nr_allocators;
extern const struct siommu_flush_ops *const siommu_policies[];
extern const unsigned int siommu_nr_policies;

static inline struct siommu_domain *siommu_domain_of(struct device *dev)
{
	return container_of(get_dma_ops(dev), struct siommu_domain, ops);
}

/* The same, for the forwarding ops of a detached domain (forward.c). */
static inline struct siommu_domain *siommu_domain_fwd_of(struct device *dev)
{
	return container_of(get_dma_ops(dev), struct siommu_domain, fwd_ops);
}

/* domain.c */
struct siommu_domain *siommu_domain_create(struct siommu *sio,
					   struct siommu_unit *unit,
					   struct pci_dev *pdev,
					   const struct siommu_iova_ops *alloc,
					   const struct siommu_flush_ops *flush);
void siommu_domain_destroy(struct siommu_domain *dom);
int siommu_domain_set_allocator(struct siommu_domain *dom,
				const struct siommu_iova_ops *ops);
void siommu_domain_set_flush(struct siommu_domain *dom,
			     const struct siommu_flush_ops *ops);
bool siommu_domain_reap(struct siommu_domain *dom);
void siommu_domain_cpu_dead(struct siommu_domain *dom, unsigned int cpu);
const struct siommu_iova_ops *siommu_domain_allocator(struct siommu_domain *dom);
const struct siommu_flush_ops *siommu_domain_flush(struct siommu_domain *dom);
unsigned long siommu_domain_outstanding(struct siommu_domain *dom);
u64 siommu_domain_revoke(struct siommu_domain *dom);
void siommu_domain_iova_stats(struct siommu_domain *dom,
			      struct siommu_iova_stats *st);
int siommu_allocator_check(const struct siommu_iova_ops *ops,
			   const struct siommu_unit *unit);
dma_addr_t siommu_domain_map(struct siommu_domain *dom, phys_addr_t phys,
			     size_t size, u64 prot, u64 dma_mask);
void siommu_domain_unmap(struct siommu_domain *dom, dma_addr_t addr,
			 size_t size);
dma_addr_t siommu_domain_alloc_iova(struct siommu_domain *dom,
				    unsigned long npages, u64 dma_mask,
				    unsigned int *slot);
void siommu_domain_free_iova(struct siommu_domain *dom, dma_addr_t iova,
			     unsigned long npages, unsigned int slot);
int siommu_domain_map_at(struct siommu_domain *dom, dma_addr_t iova,
			 phys_addr_t phys, size_t size, u64 prot,
			 unsigned int slot);
void siommu_domain_unmap_pages(struct siommu_domain *dom, dma_addr_t iova,
			       unsigned long npages);
dma_addr_t siommu_domain_map_phys(struct siommu_domain *dom, phys_addr_t phys,
				  unsigned long npages, u64 prot, u64 dma_mask);
bool siommu_domain_mapped_phys(struct siommu_domain *dom, dma_addr_t iova);
bool siommu_scope_matches(const struct dmar_dev_scope *scope, u16 segment,
			  struct pci_dev *pdev);

bool siommu_domain_owns(struct siommu_domain *dom, dma_addr_t addr);

/* dma_ops.c */
extern const struct dma_map_ops siommu_dma_ops;
int siommu_dma_mmap(struct device *dev, struct vm_area_struct *vma,
		    void *cpu_addr, dma_addr_t handle, size_t size,
		    unsigned long attrs);
int siommu_dma_get_sgtable(struct device *dev, struct sg_table *sgt,
			   void *cpu_addr, dma_addr_t handle, size_t size,
			   unsigned long attrs);

void siommu_dma_unmap_sg(struct siommu_domain *dom, struct scatterlist *sgl,
			 int nents);

/* forward.c */
extern const struct dma_map_ops siommu_fwd_dma_ops;

#endif /* SCALABLE_IOMMU_DOMAIN_H */
