/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A domain: one managed device's I/O address space.  Its page table, the
 * allocator that hands out its IOVAs and the policy that invalidates them.
 */
#ifndef SCALABLE_IOMMU_DOMAIN_H
#define SCALABLE_IOMMU_DOMAIN_H

#include <linux/dma-map-ops.h>
#include <linux/list.h>

#include "iova_alloc.h"
#include "siommu.h"
#include "vtd_pgtable.h"

struct siommu_domain;

/* An invalidation policy: what happens between clearing PTEs and reuse. */
struct siommu_flush_ops {
	const char *name;
	/*
	 * The PTEs of [pfn, pfn + npages) are clear.  Make the unit forget
	 * them, then (and only then) give the range back to @iova.
	 */
	void (*unmapped)(struct siommu_domain *dom, struct siommu_iova *iova,
			 unsigned long pfn, unsigned long npages);
	/* Finish everything pending: before a swap, detach, unload. */
	void (*drain)(struct siommu_domain *dom);
};

extern const struct siommu_flush_ops siommu_flush_strict_ops;

struct siommu_domain {
	/*
	 * The device's dma_map_ops, one copy per domain: the DMA API hands
	 * our callbacks only the device, and get_dma_ops(dev) leads back here
	 * with no lookup.
	 */
	struct dma_map_ops ops;
	struct siommu_unit *unit;
	struct pci_dev *pdev;
	const struct dma_map_ops *saved_ops;	/* restored on detach */
	u16 did;
	struct vtd_pgtable pt;
	struct siommu_iova *iova;
	const struct siommu_flush_ops *flush;
	struct list_head node;			/* in siommu.domains */
};

static inline struct siommu_domain *siommu_domain_of(struct device *dev)
{
	return container_of(get_dma_ops(dev), struct siommu_domain, ops);
}

/* domain.c */
struct siommu_domain *siommu_domain_create(struct siommu *sio,
					   struct siommu_unit *unit,
					   struct pci_dev *pdev);
void siommu_domain_destroy(struct siommu_domain *dom);
dma_addr_t siommu_domain_map(struct siommu_domain *dom, phys_addr_t phys,
			     size_t size, u64 prot, u64 dma_mask);
void siommu_domain_unmap(struct siommu_domain *dom, dma_addr_t addr,
			 size_t size);
dma_addr_t siommu_domain_alloc_iova(struct siommu_domain *dom,
				    unsigned long npages, u64 dma_mask);
void siommu_domain_free_iova(struct siommu_domain *dom, dma_addr_t iova,
			     unsigned long npages);
int siommu_domain_map_at(struct siommu_domain *dom, dma_addr_t iova,
			 phys_addr_t phys, size_t size, u64 prot);
void siommu_domain_unmap_pages(struct siommu_domain *dom, dma_addr_t iova,
			       unsigned long npages);

bool siommu_scope_matches(const struct dmar_dev_scope *scope, u16 segment,
			  struct pci_dev *pdev);

/* dma_ops.c */
extern const struct dma_map_ops siommu_dma_ops;

#endif /* SCALABLE_IOMMU_DOMAIN_H */
