// SPDX-License-Identifier: GPL-2.0
/*
 * DMA API calls on a device that was detached while mappings of its
 * domain were still out.
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
 * on siommu.draining), and the device's dma_ops point at the ops below
 * until its last mapping is back:
 *
 *  - a call carrying a handle the domain still maps (unmap, free) is a
 *    late call: it is served by the domain, and counted (late_calls);
 *  - every other call is served untranslated, as the kernel's direct path
 *    would on x86, where DMA is cache-coherent and, the device's context
 *    entries being pass-through (or identity) again, a bus address is the
 *    physical address; or by the ops the device had before it was
 *    attached, when it had any.
 *
 * The untranslated path here does not bounce: a buffer beyond the
 * device's mask fails to map, where the direct path would copy it
 * through swiotlb (whose mapping calls are not exported).  It serves only
 * until the domain drains; then the reaper gives the device its own ops
 * back.
 *
 * Whether a handle is the domain's is read from its page table.  An
 * untranslated handle that equals an IOVA the domain still maps (likely
 * under the identity allocator, where the IOVA is the physical address)
 * is taken for the domain's: its entry is removed early, which is
 * harmless now that no device walks the table, and the owner's own unmap
 * later counts as a bad unmap.
 *
 * Each call runs inside an RCU read-side section: the reaper frees the
 * domain only a grace period after it took these ops away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>

#include "domain.h"
#include "stats.h"

/* A handle the domain issued and still maps: count the late call. */
static bool late_call(struct siommu_domain *dom, dma_addr_t addr)
{
	if (!siommu_domain_owns(dom, addr))
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

static dma_addr_t fwd_map_page(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir,
			       unsigned long attrs)
{
	const struct dma_map_ops *prev = siommu_domain_fwd_of(dev)->saved_ops;

	if (prev)
		return prev->map_page(dev, page, offset, size, dir, attrs);
	return direct_addr(dev, page_to_phys(page) + offset, size,
			   dma_get_mask(dev));
}

static void fwd_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	struct siommu_domain *dom = siommu_domain_fwd_of(dev);

	rcu_read_lock();
	if (late_call(dom, addr))
		siommu_domain_unmap(dom, addr, size);
	else if (dom->saved_ops && dom->saved_ops->unmap_page)
		dom->saved_ops->unmap_page(dev, addr, size, dir, attrs);
	rcu_read_unlock();
}

static dma_addr_t fwd_map_resource(struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	const struct dma_map_ops *prev = siommu_domain_fwd_of(dev)->saved_ops;

	if (prev)
		return prev->map_resource ?
		       prev->map_resource(dev, phys, size, dir, attrs) :
		       DMA_MAPPING_ERROR;
	/* The direct path hands MMIO out as its physical address. */
	return phys;
}

static void fwd_unmap_resource(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct siommu_domain *dom = siommu_domain_fwd_of(dev);

	rcu_read_lock();
	if (late_call(dom, addr))
		siommu_domain_unmap(dom, addr, size);
	else if (dom->saved_ops && dom->saved_ops->unmap_resource)
		dom->saved_ops->unmap_resource(dev, addr, size, dir, attrs);
	rcu_read_unlock();
}

static int fwd_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	const struct dma_map_ops *prev = siommu_domain_fwd_of(dev)->saved_ops;
	struct scatterlist *sg;
	int i;

	if (prev)
		return prev->map_sg(dev, sgl, nents, dir, attrs);
	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = direct_addr(dev, sg_phys(sg), sg->length,
					      dma_get_mask(dev));
		if (sg->dma_address == DMA_MAPPING_ERROR)
			return -EIO;
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static void fwd_unmap_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct siommu_domain *dom = siommu_domain_fwd_of(dev);

	rcu_read_lock();
	if (late_call(dom, sg_dma_address(sgl)))
		siommu_dma_unmap_sg(dom, sgl, nents);
	else if (dom->saved_ops && dom->saved_ops->unmap_sg)
		dom->saved_ops->unmap_sg(dev, sgl, nents, dir, attrs);
	rcu_read_unlock();
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

static void *fwd_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		       gfp_t gfp, unsigned long attrs)
{
	const struct dma_map_ops *prev = siommu_domain_fwd_of(dev)->saved_ops;
	struct page *page;

	if (prev)
		return prev->alloc(dev, size, handle, gfp, attrs);
	page = direct_pages(dev, size, handle, gfp | __GFP_ZERO);
	return page ? page_address(page) : NULL;
}

static void fwd_free(struct device *dev, size_t size, void *cpu_addr,
		     dma_addr_t handle, unsigned long attrs)
{
	struct siommu_domain *dom = siommu_domain_fwd_of(dev);

	rcu_read_lock();
	if (late_call(dom, handle)) {
		siommu_domain_unmap(dom, handle, size);
		free_pages((unsigned long)cpu_addr, get_order(size));
	} else if (dom->saved_ops) {
		dom->saved_ops->free(dev, size, cpu_addr, handle, attrs);
	} else {
		free_pages((unsigned long)cpu_addr, get_order(size));
	}
	rcu_read_unlock();
}

static struct page *fwd_alloc_pages(struct device *dev, size_t size,
				    dma_addr_t *handle,
				    enum dma_data_direction dir, gfp_t gfp)
{
	const struct dma_map_ops *prev = siommu_domain_fwd_of(dev)->saved_ops;

	if (prev)
		return prev->alloc_pages ?
		       prev->alloc_pages(dev, size, handle, dir, gfp) : NULL;
	return direct_pages(dev, size, handle, gfp);
}

static void fwd_free_pages(struct device *dev, size_t size,
			   struct page *page, dma_addr_t handle,
			   enum dma_data_direction dir)
{
	struct siommu_domain *dom = siommu_domain_fwd_of(dev);

	rcu_read_lock();
	if (late_call(dom, handle)) {
		siommu_domain_unmap(dom, handle, size);
		__free_pages(page, get_order(size));
	} else if (dom->saved_ops && dom->saved_ops->free_pages) {
		dom->saved_ops->free_pages(dev, size, page, handle, dir);
	} else {
		__free_pages(page, get_order(size));
	}
	rcu_read_unlock();
}

/* x86 DMA is coherent: nothing to copy, whichever side a buffer is on. */
static void fwd_sync_single(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir)
{
}

static void fwd_sync_sg(struct device *dev, struct scatterlist *sg,
			int nents, enum dma_data_direction dir)
{
}

static int fwd_dma_supported(struct device *dev, u64 mask)
{
	const struct dma_map_ops *prev = siommu_domain_fwd_of(dev)->saved_ops;

	if (prev && prev->dma_supported)
		return prev->dma_supported(dev, mask);
	/* The lowest zone the direct path allocates from is 24 bits. */
	return mask >= DMA_BIT_MASK(24);
}

/*
 * No max_mapping_size: without bounce buffering the direct path has no
 * limit either.  No get_required_mask: the DMA API then answers 32 bits,
 * a hint drivers use to pick descriptor formats, safe either way.
 */
const struct dma_map_ops siommu_fwd_dma_ops = {
	.alloc = fwd_alloc,
	.free = fwd_free,
	.alloc_pages = fwd_alloc_pages,
	.free_pages = fwd_free_pages,
	.mmap = siommu_dma_mmap,
	.get_sgtable = siommu_dma_get_sgtable,
	.map_page = fwd_map_page,
	.unmap_page = fwd_unmap_page,
	.map_sg = fwd_map_sg,
	.unmap_sg = fwd_unmap_sg,
	.map_resource = fwd_map_resource,
	.unmap_resource = fwd_unmap_resource,
	.sync_single_for_cpu = fwd_sync_single,
	.sync_single_for_device = fwd_sync_single,
	.sync_sg_for_cpu = fwd_sync_sg,
	.sync_sg_for_device = fwd_sync_sg,
	.dma_supported = fwd_dma_supported,
};
