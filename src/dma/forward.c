// SPDX-License-Identifier: GPL-2.0
/*
 * DMA API calls on a device that is not translated by us any more, while
 * its dma_ops still lead here (dma_ops.c): detached while mappings of
 * its domain were still out, or the call read the dma_ops just before a
 * drained domain gave the device its own back.
 *
 * Drivers do not always give everything back before their remove returns:
 * page pools hand pages back as sockets let go of them, work items free
 * late, a controller's last reference (nvme_pci_free_ctrl) frees its
 * buffers whenever it drops.  Such a call carries a handle our domain
 * issued: an IOVA, not a physical address.  Handed to the kernel's direct
 * path, a coherent free would release the page whose frame number equals
 * the IOVA, and an unmap that falls inside the swiotlb pool would bounce
 * someone else's buffer.
 *
 * So a detached domain with mappings out stays alive (attach.c keeps it
 * on siommu.draining) and the device's dma_ops keep leading to it until
 * its last mapping is back:
 *
 *  - a call carrying a handle the domain still maps (unmap, free) is a
 *    late call: it is served by the domain, and counted (late_calls);
 *  - every other call is served untranslated, as the kernel's direct path
 *    would on x86, where DMA is cache-coherent and, the device's context
 *    entries being pass-through (or identity) again, a bus address is the
 *    physical address.
 *
 * The untranslated path here does not bounce: a buffer beyond the
 * device's mask fails to map, where the direct path would copy it
 * through swiotlb (whose mapping calls are not exported).  It serves only
 * until the domain drains; then the device gets its own dma_ops back and
 * a call that still arrives here goes through the DMA API again.
 *
 * Whether a handle is the domain's is read from its page table.  An
 * untranslated handle that equals an IOVA the domain still maps (likely
 * under the identity allocator, where the IOVA is the physical address)
 * is taken for the domain's: its entry is removed early, which is
 * harmless now that no device walks the table, and the owner's own unmap
 * later counts as a bad unmap.
 *
 * @dom below is the detached domain, or NULL when the device's dma_ops
 * are no longer ours; the callers hold the RCU read lock that keeps it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>

#include "dma/domain.h"
#include "base/stats.h"

/**
 * siommu_fwd_late_call() - does a call's handle belong to @dom?
 * @dom: a detached domain, or NULL
 * @handle: the handle the call carries
 *
 * Return: true, counting the late call, when @dom still maps @handle.
 */
bool siommu_fwd_late_call(struct siommu_domain *dom, dma_addr_t handle)
{
	if (!dom || !siommu_domain_owns(dom, handle))
		return false;
	siommu_stat_inc(SIOMMU_STAT_LATE_CALLS);
	return true;
}

/* Where the device reaches @phys untranslated, or DMA_MAPPING_ERROR. */
static dma_addr_t direct_addr(struct device *dev, phys_addr_t phys,
			      size_t size, u64 mask)
{
	dma_addr_t addr = phys_to_dma(dev, phys);

	if (addr + size - 1 > min_not_zero(mask, dev->bus_dma_limit)) {
		dev_err_ratelimited(dev, "untranslated buffer at %pa is beyond the device's DMA mask and is not bounced while its detached domain drains\n",
				    &phys);
		return DMA_MAPPING_ERROR;
	}
	return addr;
}

dma_addr_t siommu_fwd_map_page(struct siommu_domain *dom, struct device *dev,
			       struct page *page, unsigned long offset,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	if (!dom)
		return dma_map_page_attrs(dev, page, offset, size, dir, attrs);
	return direct_addr(dev, page_to_phys(page) + offset, size,
			   dma_get_mask(dev));
}

dma_addr_t siommu_fwd_map_resource(struct siommu_domain *dom,
				   struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	if (!dom)
		return dma_map_resource(dev, phys, size, dir, attrs);
	/* The direct path hands MMIO out at its physical address. */
	return phys;
}

/* Unmap a page (@resource false) or a resource: late, or untranslated. */
void siommu_fwd_unmap(struct siommu_domain *dom, struct device *dev,
		      dma_addr_t addr, size_t size,
		      enum dma_data_direction dir, unsigned long attrs,
		      bool resource)
{
	if (siommu_fwd_late_call(dom, addr))
		siommu_domain_unmap_streaming(dom, addr, size, dir, attrs);
	else if (!dom && resource)
		dma_unmap_resource(dev, addr, size, dir, attrs);
	else if (!dom)
		dma_unmap_page_attrs(dev, addr, size, dir, attrs);
	/* else an untranslated mapping of ours: nothing to undo. */
}

int siommu_fwd_map_sg(struct siommu_domain *dom, struct device *dev,
		      struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	if (!dom) {
		i = dma_map_sg_attrs(dev, sgl, nents, dir, attrs);
		return i ? i : -EIO;
	}
	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = direct_addr(dev, sg_phys(sg), sg->length,
					      dma_get_mask(dev));
		if (sg->dma_address == DMA_MAPPING_ERROR)
			return -EIO;
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

/* Not a late call (the caller returns those to @dom): untranslated. */
void siommu_fwd_unmap_sg(struct siommu_domain *dom, struct device *dev,
			 struct scatterlist *sgl, int nents,
			 enum dma_data_direction dir, unsigned long attrs)
{
	if (!dom)
		dma_unmap_sg_attrs(dev, sgl, nents, dir, attrs);
}

/*
 * Pages the device reaches untranslated under its coherent mask: first
 * from anywhere, then from the zone below the mask, as the direct path
 * picks them.
 */
static struct page *direct_pages(struct device *dev, size_t size,
				 dma_addr_t *handle, gfp_t gfp)
{
	u64 mask = min_not_zero(dev->coherent_dma_mask, dev->bus_dma_limit);
	unsigned int order = get_order(size);
	struct page *page;

	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
	page = alloc_pages(gfp, order);
	if (page && phys_to_dma(dev, page_to_phys(page)) + size - 1 > mask) {
		__free_pages(page, order);
		page = alloc_pages(gfp | (mask >= DMA_BIT_MASK(32) ?
					  __GFP_DMA32 : __GFP_DMA), order);
	}
	if (!page)
		return NULL;
	*handle = direct_addr(dev, page_to_phys(page), size, mask);
	if (*handle == DMA_MAPPING_ERROR) {
		__free_pages(page, order);
		return NULL;
	}
	return page;
}

/*
 * The allocation calls (they may sleep: no domain is involved, the
 * callers hold no RCU lock).  Whether the dma_ops are still ours (@ours,
 * as the caller has just read them) decides between the untranslated
 * path here and the DMA API.
 */
void *siommu_fwd_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		       gfp_t gfp, unsigned long attrs, bool ours)
{
	struct page *page;

	if (!ours)
		return dma_alloc_attrs(dev, size, handle, gfp, attrs);
	page = direct_pages(dev, size, handle, gfp | __GFP_ZERO);
	return page ? page_address(page) : NULL;
}

void siommu_fwd_free(struct device *dev, size_t size, void *cpu_addr,
		     dma_addr_t handle, unsigned long attrs, bool ours)
{
	if (!ours)
		dma_free_attrs(dev, size, cpu_addr, handle, attrs);
	else
		free_pages((unsigned long)cpu_addr, get_order(size));
}

struct page *siommu_fwd_alloc_pages(struct device *dev, size_t size,
				    dma_addr_t *handle,
				    enum dma_data_direction dir, gfp_t gfp,
				    bool ours)
{
	if (!ours)
		return dma_alloc_pages(dev, size, handle, dir, gfp);
	return direct_pages(dev, size, handle, gfp);
}

void siommu_fwd_free_pages(struct device *dev, size_t size,
			   struct page *page, dma_addr_t handle,
			   enum dma_data_direction dir, bool ours)
{
	if (!ours)
		dma_free_pages(dev, size, page, handle, dir);
	else
		__free_pages(page, get_order(size));
}
