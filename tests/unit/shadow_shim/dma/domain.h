/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for src/dma/domain.h in test_shadow (found first:
 * -Ishadow_shim comes before -I../../src): a domain that is its lock, its
 * device and its pool, whose page table is test_shadow.c's record of what
 * siommu_domain_map_at() and siommu_domain_map_runs() were asked to map.
 */
#ifndef SIOMMU_SHADOW_SHIM_DOMAIN_H
#define SIOMMU_SHADOW_SHIM_DOMAIN_H
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "base/map_run.h"

#define SIOMMU_PROT_READ	1ULL
#define SIOMMU_PROT_WRITE	2ULL
#define SIOMMU_PROT_RW		(SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define SIOMMU_FALLBACK_SLOT	0

struct siommu_shadow;

struct siommu_domain {
	spinlock_t *lock;
	struct pci_dev *pdev;
	struct siommu_shadow *shadow;
};

int siommu_domain_map_at(struct siommu_domain *dom, dma_addr_t iova,
			 phys_addr_t phys, size_t size, u64 prot,
			 unsigned int slot);
/* A split's range (test_shadow.c keeps a second table for them). */
dma_addr_t siommu_domain_alloc_iova(struct siommu_domain *dom,
				    unsigned long npages, u64 dma_mask,
				    unsigned int *slot);
void siommu_domain_free_iova(struct siommu_domain *dom, dma_addr_t iova,
			     unsigned long npages, unsigned int slot);
int siommu_domain_map_runs(struct siommu_domain *dom,
			   const struct siommu_run *runs, unsigned int n,
			   u64 prot, unsigned int slot);
void siommu_domain_unmap_pages(struct siommu_domain *dom, dma_addr_t iova,
			       unsigned long npages);
#endif
