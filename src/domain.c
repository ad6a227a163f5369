// SPDX-License-Identifier: GPL-2.0
/*
 * Domains: a managed device's page table, IOVA allocator and invalidation
 * policy, and the map and unmap steps every DMA API call is built from.
 *
 * Map: allocate an IOVA range, write its PTEs (lock-free, see pgtable.c),
 * and with CAP.CM flush the IOTLB, as a caching-mode unit may cache
 * not-present entries.  Unmap: clear the PTEs and hand the range to the
 * invalidation policy, which frees it only once the unit has forgotten it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "domain.h"
#include "siommu_trace.h"
#include "stats.h"
#include "vtd_regs.h"

/* Interrupt messages: DMA writes here are never translated. */
#define MSI_WINDOW_START	0xfee00000ULL
#define MSI_WINDOW_END		0xfeefffffULL

static int reserve_bytes(struct siommu_domain *dom, u64 start, u64 end)
{
	u64 last = dom->unit->max_iova;

	if (start > last)
		return 0;
	end = min(end, last);
	return dom->iova->ops->reserve(dom->iova, start >> VTD_PAGE_SHIFT,
				       end >> VTD_PAGE_SHIFT);
}

/*
 * Addresses the device cannot use as IOVAs: the interrupt window, and the
 * host bridge's memory windows, where a request could be routed to a peer
 * device before it ever reaches the unit.
 */
static int reserve_windows(struct siommu_domain *dom)
{
	struct pci_bus *root = dom->pdev->bus;
	struct resource *res;
	unsigned int i;
	int ret;

	ret = reserve_bytes(dom, MSI_WINDOW_START, MSI_WINDOW_END);
	while (!ret && !pci_is_root_bus(root))
		root = root->parent;
	pci_bus_for_each_resource(root, res, i) {
		if (ret)
			break;
		if (res && resource_type(res) == IORESOURCE_MEM && res->end)
			ret = reserve_bytes(dom, res->start, res->end);
	}
	return ret;
}

/* Does @scope name @pdev, or a bridge above it? */
bool siommu_scope_matches(const struct dmar_dev_scope *scope, u16 segment,
			  struct pci_dev *pdev)
{
	unsigned int bus = scope->start_bus, i;
	struct pci_dev *hop;

	if (pci_domain_nr(pdev->bus) != segment || !scope->path_len)
		return false;
	for (i = 0; i + 1 < scope->path_len; i++) {
		hop = pci_get_domain_bus_and_slot(segment, bus, scope->path[i]);
		if (!hop || !hop->subordinate) {
			pci_dev_put(hop);
			return false;
		}
		bus = hop->subordinate->number;
		pci_dev_put(hop);
	}
	if (pdev->bus->number == bus && pdev->devfn == scope->path[i])
		return true;
	if (scope->type != DMAR_SCOPE_PCI_BRIDGE)
		return false;
	hop = pci_get_domain_bus_and_slot(segment, bus, scope->path[i]);
	if (hop && hop->subordinate &&
	    pdev->bus->number >= hop->subordinate->busn_res.start &&
	    pdev->bus->number <= hop->subordinate->busn_res.end) {
		pci_dev_put(hop);
		return true;
	}
	pci_dev_put(hop);
	return false;
}

/* Firmware's reserved memory the device keeps using: map it 1:1. */
static int map_rmrrs(struct siommu *sio, struct siommu_domain *dom)
{
	unsigned int i, j;
	int ret;

	for (i = 0; i < sio->dmar.nr_rmrrs; i++) {
		const struct dmar_rmrr *r = &sio->dmar.rmrrs[i];
		u64 start = r->base & ~(VTD_PAGE_SIZE - 1);
		u64 end = r->end | (VTD_PAGE_SIZE - 1);

		for (j = 0; j < r->nr_scopes; j++) {
			if (!siommu_scope_matches(&r->scopes[j], r->segment,
						  dom->pdev))
				continue;
			if (end > dom->unit->max_iova)
				return -ERANGE;
			ret = reserve_bytes(dom, start, end);
			if (!ret)
				ret = vtd_pgtable_map(&dom->pt, start, start,
						      end - start + 1,
						      VTD_PTE_READ |
						      VTD_PTE_WRITE,
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

/**
 * siommu_domain_create() - an empty address space for a device
 * @sio: the module
 * @unit: the unit the device is behind, translating
 * @pdev: the device
 *
 * Return: the domain, or an ERR_PTR.
 */
struct siommu_domain *siommu_domain_create(struct siommu *sio,
					   struct siommu_unit *unit,
					   struct pci_dev *pdev)
{
	unsigned int max_did = (1U << (4 + 2 * VTD_CAP_ND(unit->cap))) - 1;
	struct siommu_domain *dom;
	int ret;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	if (!dom)
		return ERR_PTR(-ENOMEM);
	dom->ops = siommu_dma_ops;
	dom->unit = unit;
	dom->pdev = pdev;
	dom->flush = &siommu_flush_strict_ops;
	INIT_LIST_HEAD(&dom->node);

	ret = ida_alloc_range(&unit->dids, SIOMMU_UNMANAGED_DID + 1,
			      min(max_did, 0xffffU), GFP_KERNEL);
	if (ret < 0)
		goto free_dom;
	dom->did = ret;
	ret = vtd_pgtable_init(&dom->pt, unit->levels, VTD_ECAP_C(unit->ecap));
	if (ret)
		goto free_did;
	ret = -ENOMEM;
	dom->iova = siommu_iova_rbtree_ops.create(1, unit->max_iova >>
						  VTD_PAGE_SHIFT);
	if (!dom->iova)
		goto free_pt;
	ret = reserve_windows(dom);
	if (!ret)
		ret = map_rmrrs(sio, dom);
	if (ret)
		goto free_iova;
	return dom;

free_iova:
	dom->iova->ops->destroy(dom->iova);
free_pt:
	vtd_pgtable_destroy(&dom->pt);
free_did:
	ida_free(&unit->dids, dom->did);
free_dom:
	kfree(dom);
	return ERR_PTR(ret);
}

/**
 * siommu_domain_destroy() - free a domain no context entry points at
 * @dom: the domain, its device handed back
 */
void siommu_domain_destroy(struct siommu_domain *dom)
{
	unsigned long left;

	dom->flush->drain(dom);
	left = dom->iova->ops->outstanding(dom->iova);
	if (left)
		pci_warn(dom->pdev, "driver left %lu DMA mapping(s) behind; freed with the domain\n",
			 left);
	dom->iova->ops->destroy(dom->iova);
	vtd_pgtable_destroy(&dom->pt);
	ida_free(&dom->unit->dids, dom->did);
	kfree(dom);
}

/**
 * siommu_domain_alloc_iova() - reserve IOVA space the device can reach
 * @dom: the domain
 * @npages: 4 KiB pages
 * @dma_mask: the device's mask for this kind of mapping
 *
 * Return: the first byte of the range, or DMA_MAPPING_ERROR.
 */
dma_addr_t siommu_domain_alloc_iova(struct siommu_domain *dom,
				    unsigned long npages, u64 dma_mask)
{
	u64 limit = min(dma_mask, dom->unit->max_iova);
	unsigned long pfn;

	pfn = dom->iova->ops->alloc(dom->iova, npages,
				    limit >> VTD_PAGE_SHIFT);
	if (!pfn) {
		siommu_stat_inc(SIOMMU_STAT_MAP_ERRORS);
		return DMA_MAPPING_ERROR;
	}
	return (dma_addr_t)pfn << VTD_PAGE_SHIFT;
}

/* Give back a range whose PTEs were never visible to the device. */
void siommu_domain_free_iova(struct siommu_domain *dom, dma_addr_t iova,
			     unsigned long npages)
{
	dom->iova->ops->free(dom->iova, iova >> VTD_PAGE_SHIFT, npages);
}

/**
 * siommu_domain_map_at() - write the PTEs of part of an allocated range
 * @dom: the domain
 * @iova: page-aligned IOVA inside a range from siommu_domain_alloc_iova()
 * @phys: page-aligned physical address
 * @size: bytes, a multiple of 4 KiB
 * @prot: VTD_PTE_READ and/or VTD_PTE_WRITE
 *
 * Return: 0, or -ENOMEM with nothing mapped.
 */
int siommu_domain_map_at(struct siommu_domain *dom, dma_addr_t iova,
			 phys_addr_t phys, size_t size, u64 prot)
{
	int ret;

	ret = vtd_pgtable_map(&dom->pt, iova, phys, size, prot, GFP_ATOMIC);
	if (ret) {
		siommu_stat_inc(SIOMMU_STAT_MAP_ERRORS);
		return ret;
	}
	/*
	 * A caching-mode unit may cache not-present entries; a unit with
	 * write buffers may not see the new ones yet.
	 */
	if (VTD_CAP_CM(dom->unit->cap))
		siommu_flush_iotlb_range(dom->unit, dom->did, iova,
					 size >> VTD_PAGE_SHIFT);
	else
		siommu_unit_flush_write_buffer(dom->unit);
	siommu_stat_add(SIOMMU_STAT_PAGES_MAPPED, size >> VTD_PAGE_SHIFT);
	trace_siommu_map(&dom->pdev->dev, iova, phys, size);
	return 0;
}

/**
 * siommu_domain_unmap_pages() - clear a range and hand it to the policy
 * @dom: the domain
 * @iova: the range's first byte, as siommu_domain_alloc_iova() gave it
 * @npages: the range's size in pages, as allocated
 */
void siommu_domain_unmap_pages(struct siommu_domain *dom, dma_addr_t iova,
			       unsigned long npages)
{
	vtd_pgtable_unmap(&dom->pt, iova, (u64)npages << VTD_PAGE_SHIFT);
	trace_siommu_unmap(&dom->pdev->dev, iova, 0,
			   npages << VTD_PAGE_SHIFT);
	dom->flush->unmapped(dom, dom->iova, iova >> VTD_PAGE_SHIFT, npages);
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
 * @prot: VTD_PTE_READ and/or VTD_PTE_WRITE
 * @dma_mask: the device's mask for this kind of mapping
 *
 * Return: the device address of @phys, or DMA_MAPPING_ERROR.
 */
dma_addr_t siommu_domain_map(struct siommu_domain *dom, phys_addr_t phys,
			     size_t size, u64 prot, u64 dma_mask)
{
	unsigned long npages = span_pages(phys, size);
	phys_addr_t offset = phys & (VTD_PAGE_SIZE - 1);
	dma_addr_t iova;

	iova = siommu_domain_alloc_iova(dom, npages, dma_mask);
	if (iova == DMA_MAPPING_ERROR)
		return iova;
	if (siommu_domain_map_at(dom, iova, phys - offset,
				 npages << VTD_PAGE_SHIFT, prot)) {
		siommu_domain_free_iova(dom, iova, npages);
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
