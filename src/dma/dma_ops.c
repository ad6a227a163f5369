// SPDX-License-Identifier: GPL-2.0
/*
 * struct dma_map_ops for managed devices: every DMA API call a driver
 * makes on a device we attached lands here and is translated through the
 * device's domain.
 *
 * Permissions follow the direction: DMA_TO_DEVICE maps read-only, so a
 * device writing through it faults.  DMA_FROM_DEVICE maps writable, and
 * readable too on units without CAP.ZLR, which treat zero-length reads
 * (used by devices to flush posted writes) as reads.
 *
 * x86 DMA is cache-coherent, so a device under protection=page has no
 * sync hooks: with dma_map_ops set and no sync_* in them, the DMA API's
 * sync calls do nothing (it never falls back to the direct path for a
 * device whose ops are set) and dma_need_sync() says false, so drivers
 * that ask (page_pool) skip their sync calls altogether.  A device put
 * under protection=subpage gets them (siommu_dma_ops_add_sync()) for as
 * long as its domain lives: its sub-page mappings are shadow buffers
 * (dma/shadow.c), copied at exactly those sync points.
 *
 * From its first attach until unload a device's dma_ops are its struct
 * siommu_dev's copy of this table, which leads to its domain under RCU:
 * the domain can change (re-attach) or go (freed once drained) while
 * calls run, and under PREEMPT_RCU nothing else would keep it alive.
 * Each call looks the domain up once, inside an RCU read-side section,
 * and takes one of three ways:
 *
 *  - attached: translated, as above;
 *  - detached, mappings still out: forward.c (late calls reach the
 *    domain, new calls go untranslated);
 *  - the device's dma_ops are no longer ours (the call read them before
 *    a drained domain gave the device its own back): the DMA API again.
 *
 * Sleeping work (page allocation) happens outside the RCU section.
 */
#include <linux/dma-map-ops.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>

#include "compat.h"
#include "dma/domain.h"
#include "dma/shadow.h"
#include "base/stats.h"

/* Below this, an IOVA space is too small to be worth handing out. */
#define SIOMMU_MIN_DMA_MASK	DMA_BIT_MASK(24)

static u64 dir_prot(const struct siommu_domain *dom,
		    enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_TO_DEVICE:
		return SIOMMU_PROT_READ;
	case DMA_FROM_DEVICE:
		return SIOMMU_PROT_WRITE |
		       (dom->xlate->write_reads ? SIOMMU_PROT_READ : 0);
	case DMA_BIDIRECTIONAL:
		return SIOMMU_PROT_RW;
	default:
		return 0;
	}
}

/*
 * The domain behind @dev's dma_ops, inside an RCU read-side section;
 * NULL when the dma_ops read are no longer ours (see the top).
 */
static struct siommu_domain *domain_of(struct device *dev)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (unlikely(!siommu_dma_ops_ours(ops)))
		return NULL;
	return rcu_dereference(container_of(ops, struct siommu_dev, ops)->dom);
}

/**
 * siommu_dma_ops_ours() - are these dma_ops a siommu_dev's?
 * @ops: a device's dma_ops, as read once
 */
bool siommu_dma_ops_ours(const struct dma_map_ops *ops)
{
	return ops && ops->unmap_page == siommu_dma_ops.unmap_page;
}

/* Are @dev's dma_ops ours now?  (They can change right after.) */
static bool dma_ops_ours(struct device *dev)
{
	return siommu_dma_ops_ours(get_dma_ops(dev));
}

static bool translating(const struct siommu_domain *dom)
{
	return likely(dom && READ_ONCE(dom->detached) != SIOMMU_DETACHED);
}

/*
 * Under protection=subpage, does this streaming mapping go to a shadow
 * buffer?  Coherent buffers and MMIO never do: their pages are theirs.
 */
static bool shadowed(struct siommu_domain *dom, phys_addr_t phys, size_t size)
{
	return READ_ONCE(dom->subpage) && !siommu_whole_pages(phys, size);
}

/* Is @addr one of @dom's shadow mappings (whatever the protection now)? */
static bool shadow_handle(struct siommu_domain *dom, dma_addr_t addr)
{
	return READ_ONCE(dom->shadow) && siommu_shadow_handle(dom, addr);
}

static dma_addr_t map_buffer(struct siommu_domain *dom, phys_addr_t phys,
			     size_t size, enum dma_data_direction dir, u64 mask)
{
	u64 prot = dir_prot(dom, dir);

	if (!prot || !size)
		return DMA_MAPPING_ERROR;
	return siommu_domain_map(dom, phys, size, prot, mask);
}

/* A streaming mapping: map_buffer(), or a shadow buffer. */
static dma_addr_t map_streaming(struct siommu_domain *dom, phys_addr_t phys,
				size_t size, enum dma_data_direction dir,
				u64 mask, unsigned long attrs)
{
	u64 prot = dir_prot(dom, dir);

	if (size && prot && shadowed(dom, phys, size))
		return siommu_shadow_map(dom, phys, size, dir, prot, mask,
					 attrs);
	return map_buffer(dom, phys, size, dir, mask);
}

/**
 * siommu_domain_unmap_streaming() - undo a streaming mapping of @dom
 * @dom: the domain that made it
 * @addr: its handle
 * @size: its size
 * @dir: its direction
 * @attrs: the unmap's attributes
 */
void siommu_domain_unmap_streaming(struct siommu_domain *dom, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	if (shadow_handle(dom, addr))
		siommu_shadow_unmap(dom, addr, size, dir, attrs);
	else
		siommu_domain_unmap(dom, addr, size);
}

static dma_addr_t siommu_map_page(struct device *dev, struct page *page,
				  unsigned long offset, size_t size,
				  enum dma_data_direction dir,
				  unsigned long attrs)
{
	struct siommu_domain *dom;
	dma_addr_t addr;

	rcu_read_lock();
	dom = domain_of(dev);
	if (translating(dom))
		addr = map_streaming(dom, page_to_phys(page) + offset, size,
				     dir, dma_get_mask(dev), attrs);
	else
		addr = siommu_fwd_map_page(dom, dev, page, offset, size, dir,
					   attrs);
	rcu_read_unlock();
	return addr;
}

/*
 * On the kernel backend, a handle the attached domain does not map may be
 * one the kernel's own DMA path issued before the attach: a buffer a
 * driver gives back after its remove returned (NVMe's asynchronous probe
 * can drop the controller's last reference late).  It must go back
 * there: unmapping it from our domain frees nothing, and the kernel's
 * coherent buffers are not plain pages (iommu-dma remaps them).
 */
static bool prev_path_handle(struct siommu_domain *dom, dma_addr_t handle)
{
	return dom->sdev->prev_path && !siommu_domain_owns(dom, handle);
}

static void prev_path_lost(struct device *dev, dma_addr_t handle)
{
	dev_warn_ratelimited(dev, "DMA handle %pad of the kernel's own path came back through ours, and this kernel offers no way to return it there: left as it is\n",
			     &handle);
}

/* unmap_page and unmap_resource: they differ only once forwarded. */
static void unmap_addr(struct device *dev, dma_addr_t addr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs,
		       bool resource)
{
	struct siommu_domain *dom;

	rcu_read_lock();
	dom = domain_of(dev);
	if (translating(dom) && prev_path_handle(dom, addr)) {
		const struct dma_map_ops *prev = dom->sdev->prev_ops;

		siommu_stat_inc(SIOMMU_STAT_LATE_CALLS);
		if (!resource && prev && prev->unmap_page)
			prev->unmap_page(dev, addr, size, dir, attrs);
		else
			prev_path_lost(dev, addr);
	} else if (translating(dom)) {
		siommu_domain_unmap_streaming(dom, addr, size, dir, attrs);
	} else {
		siommu_fwd_unmap(dom, dev, addr, size, dir, attrs, resource);
	}
	rcu_read_unlock();
}

static void siommu_unmap_page(struct device *dev, dma_addr_t addr,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs)
{
	unmap_addr(dev, addr, size, dir, attrs, false);
}

static dma_addr_t siommu_map_resource(struct device *dev, phys_addr_t phys,
				      size_t size,
				      enum dma_data_direction dir,
				      unsigned long attrs)
{
	struct siommu_domain *dom;
	dma_addr_t addr;

	rcu_read_lock();
	dom = domain_of(dev);
	if (translating(dom))
		addr = map_buffer(dom, phys, size, dir, dma_get_mask(dev));
	else
		addr = siommu_fwd_map_resource(dom, dev, phys, size, dir,
					       attrs);
	rcu_read_unlock();
	return addr;
}

static void siommu_unmap_resource(struct device *dev, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	unmap_addr(dev, addr, size, dir, attrs, true);
}

static unsigned long sg_pages(struct scatterlist *sg)
{
	return DIV_ROUND_UP((sg_phys(sg) & (VTD_PAGE_SIZE - 1)) + sg->length,
			    VTD_PAGE_SIZE);
}

/* Undo the first @done segments of a per-segment mapping. */
static void sg_unmap_segments(struct siommu_domain *dom,
			      struct scatterlist *sgl, int done)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, done, i)
		siommu_domain_unmap_pages(dom, sg->dma_address &
					  ~(VTD_PAGE_SIZE - 1), sg_pages(sg));
}

/*
 * Does a segment of @len bytes from @dma cross a multiple of the device's
 * segment boundary (dma_get_seg_boundary(): a mask, 2^k - 1)?
 */
static bool sg_crosses(dma_addr_t dma, unsigned int len, u64 boundary)
{
	return len && ((dma ^ (dma + len - 1)) & ~boundary);
}

/*
 * Each segment at the IOVA its physical address dictates, where the
 * active slot maps 1:1 (identity); false when it does not or
 * a segment cannot be mapped so (nothing is left mapped then).  There a
 * segment crossing the device's segment boundary physically crosses it
 * at its IOVA too (regions start on 1 GiB boundaries): such a list takes
 * the remapping path, which lays segments out within the boundary.
 */
static bool sg_map_1to1(struct siommu_domain *dom, struct scatterlist *sgl,
			int nents, u64 prot, u64 mask, u64 boundary)
{
	struct scatterlist *sg;
	int i;

	if (!siommu_domain_active_1to1(dom))
		return false;
	for_each_sg(sgl, sg, nents, i) {
		phys_addr_t phys = sg_phys(sg);
		phys_addr_t offset = phys & (VTD_PAGE_SIZE - 1);
		dma_addr_t iova = DMA_MAPPING_ERROR;

		if (!sg_crosses(phys, sg->length, boundary))
			iova = siommu_domain_map_1to1(dom, phys - offset,
						      sg_pages(sg), prot, mask);
		if (iova == DMA_MAPPING_ERROR) {
			sg_unmap_segments(dom, sgl, i);
			return false;
		}
		sg->dma_address = iova + offset;
		sg_dma_len(sg) = sg->length;
	}
	return true;
}

/*
 * Where @sg's first page goes, in bytes from the start of the list's
 * range, when the previous segment ended at page @at: there, or at the
 * next multiple of the segment boundary if it would cross one from
 * there.  The range starts on a multiple of its size rounded up to a
 * power of two (src/dma/iova/allocator.h), so a boundary that falls inside
 * it falls on the same offset whatever range the allocator hands out.
 * Return: the offset, or U64_MAX when no placement keeps the segment
 * within a boundary (it is longer than the boundary's stretch, or the
 * boundary is finer than a page).
 */
static u64 sg_place(u64 at, struct scatterlist *sg, u64 boundary)
{
	u64 offset = sg_phys(sg) & (VTD_PAGE_SIZE - 1);

	if (!sg_crosses(at + offset, sg->length, boundary))
		return at;
	at = (at | boundary) + 1;
	if (boundary < VTD_PAGE_SIZE - 1 ||
	    sg_crosses(at + offset, sg->length, boundary))
		return U64_MAX;
	return at;
}

/*
 * Under protection=subpage, a list with a segment that does not cover
 * whole pages is mapped segment by segment: those from shadow buffers,
 * whole-page ones in place.  Its unmap knows it by a shadow handle among
 * its segments.
 */
static bool sg_shadowed(struct siommu_domain *dom, struct scatterlist *sgl,
			int nents)
{
	struct scatterlist *sg;
	int i;

	if (!READ_ONCE(dom->subpage))
		return false;
	for_each_sg(sgl, sg, nents, i)
		if (!siommu_whole_pages(sg_phys(sg), sg->length))
			return true;
	return false;
}

static void sg_unmap_each(struct siommu_domain *dom, struct scatterlist *sgl,
			  int done, enum dma_data_direction dir,
			  unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, done, i)
		siommu_domain_unmap_streaming(dom, sg_dma_address(sg),
					      sg_dma_len(sg), dir, attrs);
}

static int sg_map_each(struct siommu_domain *dom, struct device *dev,
		       struct scatterlist *sgl, int nents,
		       enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *sg;
	dma_addr_t addr;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		addr = map_streaming(dom, sg_phys(sg), sg->length, dir,
				     dma_get_mask(dev), attrs);
		if (addr == DMA_MAPPING_ERROR) {
			/* Nothing reached the device: nothing to copy out. */
			sg_unmap_each(dom, sgl, i, dir,
				      attrs | DMA_ATTR_SKIP_CPU_SYNC);
			return -ENOMEM;
		}
		sg->dma_address = addr;
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static bool sg_has_shadow(struct siommu_domain *dom, struct scatterlist *sgl,
			  int nents)
{
	struct scatterlist *sg;
	int i;

	if (!READ_ONCE(dom->shadow))
		return false;
	for_each_sg(sgl, sg, nents, i)
		if (siommu_shadow_handle(dom, sg_dma_address(sg)))
			return true;
	return false;
}

/*
 * Runs a scatterlist is mapped in per call to the page table: it walks
 * each table once for all the runs of a call (kept small: it is stack).
 */
#define SG_RUNS_PER_MAP	8

/*
 * Identity mappings segment by segment; otherwise one IOVA range for the
 * whole list, so the list needs one allocation and one invalidation: each
 * segment at the next page boundary in it, or past the next segment
 * boundary when it would cross one (the gap stays unmapped).  DMA
 * segments are never merged, so each is the caller's and keeps within
 * dma_get_max_seg_size() as the caller's do; the page table sees runs,
 * segments that follow each other both in IOVA and physically merged.
 */
static int domain_map_sg(struct siommu_domain *dom, struct device *dev,
			 struct scatterlist *sgl, int nents,
			 enum dma_data_direction dir, unsigned long attrs)
{
	u64 boundary = dma_get_seg_boundary(dev);
	u64 prot = dir_prot(dom, dir);
	struct siommu_run runs[SG_RUNS_PER_MAP];
	unsigned int slot, nr = 0;
	bool some_mapped = false;
	struct scatterlist *sg;
	unsigned long total;
	dma_addr_t iova;
	u64 at = 0;
	int i;

	if (!prot)
		return -EINVAL;
	if (sg_shadowed(dom, sgl, nents))
		return sg_map_each(dom, dev, sgl, nents, dir, attrs);
	if (sg_map_1to1(dom, sgl, nents, prot, dma_get_mask(dev), boundary)) {
		siommu_stat_inc(SIOMMU_STAT_MAPS);
		return nents;
	}
	for_each_sg(sgl, sg, nents, i) {
		at = sg_place(at, sg, boundary);
		if (at == U64_MAX) {
			dev_err_ratelimited(dev, "scatterlist segment of %u bytes cannot keep within the segment boundary %#llx\n",
					    sg->length, boundary);
			return -EINVAL;
		}
		at += (u64)sg_pages(sg) << VTD_PAGE_SHIFT;
	}
	total = at >> VTD_PAGE_SHIFT;
	iova = siommu_domain_alloc_iova(dom, total, dma_get_mask(dev), &slot);
	if (iova == DMA_MAPPING_ERROR)
		return -ENOMEM;

	at = 0;
	for_each_sg(sgl, sg, nents, i) {
		phys_addr_t phys = sg_phys(sg);
		phys_addr_t offset = phys & (VTD_PAGE_SIZE - 1);
		u64 size = (u64)sg_pages(sg) << VTD_PAGE_SHIFT;
		struct siommu_run *prev = nr ? &runs[nr - 1] : NULL;

		at = sg_place(at, sg, boundary);
		sg->dma_address = iova + at + offset;
		sg_dma_len(sg) = sg->length;
		if (prev && prev->iova + prev->size == iova + at &&
		    prev->phys + prev->size == phys - offset) {
			/* Contiguous both ways: one run. */
			prev->size += size;
		} else {
			if (nr == ARRAY_SIZE(runs)) {
				if (siommu_domain_map_runs(dom, runs, nr, prot,
							   slot))
					goto fail;
				nr = 0;
				some_mapped = true;
			}
			runs[nr].iova = iova + at;
			runs[nr].phys = phys - offset;
			runs[nr++].size = size;
		}
		at += size;
	}
	if (siommu_domain_map_runs(dom, runs, nr, prot, slot))
		goto fail;
	siommu_stat_inc(SIOMMU_STAT_MAPS);
	return nents;

fail:
	/* Nothing was handed to the device yet. */
	if (some_mapped)
		siommu_domain_unmap_pages(dom, iova, total);
	else
		siommu_domain_free_iova(dom, iova, total, slot);
	return -ENOMEM;
}

/*
 * Undo siommu_map_sg() on @dom, the domain that mapped the list.  The
 * range a list was mapped in runs from its first segment's page to its
 * last segment's end, gaps included.  Also serves a late call that
 * returns a list to a detached domain (siommu_fwd_late_call()).
 */
static void domain_unmap_sg(struct siommu_domain *dom,
			    struct scatterlist *sgl, int nents,
			    enum dma_data_direction dir, unsigned long attrs)
{
	dma_addr_t first = sg_dma_address(sgl) & ~(VTD_PAGE_SIZE - 1);
	struct scatterlist *sg, *last = sgl;
	int i;

	if (sg_has_shadow(dom, sgl, nents)) {
		sg_unmap_each(dom, sgl, nents, dir, attrs);
		return;
	}
	siommu_stat_inc(SIOMMU_STAT_UNMAPS);
	if (siommu_domain_mapped_1to1(dom, sg_dma_address(sgl))) {
		sg_unmap_segments(dom, sgl, nents);
		return;
	}
	for_each_sg(sgl, sg, nents, i)
		last = sg;
	siommu_domain_unmap_pages(dom, first,
				  (ALIGN(sg_dma_address(last) + sg_dma_len(last),
					 VTD_PAGE_SIZE) - first) >>
				  VTD_PAGE_SHIFT);
}

static int siommu_map_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct siommu_domain *dom;
	int ret;

	rcu_read_lock();
	dom = domain_of(dev);
	if (translating(dom))
		ret = domain_map_sg(dom, dev, sgl, nents, dir, attrs);
	else
		ret = siommu_fwd_map_sg(dom, dev, sgl, nents, dir, attrs);
	rcu_read_unlock();
	return ret;
}

static void siommu_unmap_sg(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
	struct siommu_domain *dom;

	rcu_read_lock();
	dom = domain_of(dev);
	if (translating(dom) ||
	    siommu_fwd_late_call(dom, sg_dma_address(sgl)))
		domain_unmap_sg(dom, sgl, nents, dir, attrs);
	else
		siommu_fwd_unmap_sg(dom, dev, sgl, nents, dir, attrs);
	rcu_read_unlock();
}

/*
 * Map freshly allocated pages for the device, if it is still attached:
 * false when it no longer is (the caller then frees them and asks the
 * untranslated path).
 */
static bool map_new_pages(struct device *dev, struct page *page, size_t size,
			  enum dma_data_direction dir, dma_addr_t *handle)
{
	struct siommu_domain *dom;
	bool attached;

	rcu_read_lock();
	dom = domain_of(dev);
	attached = translating(dom);
	if (attached)
		*handle = map_buffer(dom, page_to_phys(page), size, dir,
				     dev->coherent_dma_mask);
	rcu_read_unlock();
	return attached;
}

/* Is the device attached now?  (A hint: it can change right after.) */
static bool attached_now(struct device *dev)
{
	bool ret;

	rcu_read_lock();
	ret = translating(domain_of(dev));
	rcu_read_unlock();
	return ret;
}

static void *siommu_alloc(struct device *dev, size_t size,
			  dma_addr_t *handle, gfp_t gfp, unsigned long attrs)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (!attached_now(dev))
		return siommu_fwd_alloc(dev, size, handle, gfp, attrs,
					dma_ops_ours(dev));
	page = alloc_pages(gfp | __GFP_ZERO, order);
	if (!page)
		return NULL;
	if (!map_new_pages(dev, page, size, DMA_BIDIRECTIONAL, handle)) {
		/* Detached meanwhile. */
		__free_pages(page, order);
		return siommu_fwd_alloc(dev, size, handle, gfp, attrs,
					dma_ops_ours(dev));
	}
	if (*handle == DMA_MAPPING_ERROR) {
		__free_pages(page, order);
		return NULL;
	}
	return page_address(page);
}

/*
 * Give a handle back to the domain that issued it.  Return: false when
 * it is not one of an existing domain's: the caller frees untranslated.
 */
static bool unmap_handle(struct device *dev, dma_addr_t handle, size_t size)
{
	struct siommu_domain *dom;
	bool ours;

	rcu_read_lock();
	dom = domain_of(dev);
	ours = translating(dom) || siommu_fwd_late_call(dom, handle);
	if (ours)
		siommu_domain_unmap(dom, handle, size);
	rcu_read_unlock();
	return ours;
}

/* A coherent buffer of the kernel's path (see prev_path_handle()). */
static bool free_prev(struct device *dev, size_t size, void *cpu_addr,
		      dma_addr_t handle, unsigned long attrs)
{
	const struct dma_map_ops *prev = NULL;
	struct siommu_domain *dom;
	bool theirs;

	rcu_read_lock();
	dom = domain_of(dev);
	theirs = translating(dom) && prev_path_handle(dom, handle);
	if (theirs)
		prev = dom->sdev->prev_ops;	/* the kernel's: static */
	rcu_read_unlock();
	if (!theirs)
		return false;
	siommu_stat_inc(SIOMMU_STAT_LATE_CALLS);
	if (prev && prev->free)
		prev->free(dev, size, cpu_addr, handle, attrs);
	else
		prev_path_lost(dev, handle);
	return true;
}

static void siommu_free(struct device *dev, size_t size, void *cpu_addr,
			dma_addr_t handle, unsigned long attrs)
{
	if (free_prev(dev, size, cpu_addr, handle, attrs))
		return;
	if (unmap_handle(dev, handle, size))
		free_pages((unsigned long)cpu_addr, get_order(size));
	else
		siommu_fwd_free(dev, size, cpu_addr, handle, attrs,
				dma_ops_ours(dev));
}

static struct page *siommu_alloc_pages(struct device *dev, size_t size,
				       dma_addr_t *handle,
				       enum dma_data_direction dir,
				       gfp_t gfp)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (!attached_now(dev))
		return siommu_fwd_alloc_pages(dev, size, handle, dir, gfp,
					      dma_ops_ours(dev));
	page = alloc_pages(gfp, order);
	if (!page)
		return NULL;
	if (!map_new_pages(dev, page, size, dir, handle)) {
		__free_pages(page, order);
		return siommu_fwd_alloc_pages(dev, size, handle, dir, gfp,
					      dma_ops_ours(dev));
	}
	if (*handle == DMA_MAPPING_ERROR) {
		__free_pages(page, order);
		return NULL;
	}
	return page;
}

static void siommu_free_pages(struct device *dev, size_t size,
			      struct page *page, dma_addr_t handle,
			      enum dma_data_direction dir)
{
	if (unmap_handle(dev, handle, size))
		__free_pages(page, get_order(size));
	else
		siommu_fwd_free_pages(dev, size, page, handle, dir,
				      dma_ops_ours(dev));
}

/*
 * Coherent buffers are plain pages, translated or not: user mappings map
 * those pages.
 */
static int siommu_dma_mmap(struct device *dev, struct vm_area_struct *vma,
			   void *cpu_addr, dma_addr_t handle, size_t size,
			   unsigned long attrs)
{
	unsigned long pages = PAGE_ALIGN(size) >> PAGE_SHIFT;

	if (vma->vm_pgoff >= pages ||
	    vma_pages(vma) > pages - vma->vm_pgoff)
		return -ENXIO;
	return remap_pfn_range(vma, vma->vm_start,
			       PHYS_PFN(virt_to_phys(cpu_addr)) + vma->vm_pgoff,
			       vma->vm_end - vma->vm_start, vma->vm_page_prot);
}

static int siommu_dma_get_sgtable(struct device *dev, struct sg_table *sgt,
				  void *cpu_addr, dma_addr_t handle,
				  size_t size, unsigned long attrs)
{
	int ret = sg_alloc_table(sgt, 1, GFP_KERNEL);

	if (!ret)
		sg_set_page(sgt->sgl, virt_to_page(cpu_addr),
			    PAGE_ALIGN(size), 0);
	return ret;
}

static int siommu_dma_supported(struct device *dev, u64 mask)
{
	return mask >= SIOMMU_MIN_DMA_MASK;
}

/*
 * Any buffer can be mapped below 4 GiB, so a driver asking what mask it
 * needs to reach all memory is told 32 bits.
 */
static u64 siommu_get_required_mask(struct device *dev)
{
	return DMA_BIT_MASK(32);
}

/*
 * Half the space the device can reach: one mapping never starves it.
 * Untranslated, there is no limit (nothing bounces).
 */
static size_t siommu_max_mapping_size(struct device *dev)
{
	struct siommu_domain *dom;
	size_t ret = SIZE_MAX;

	rcu_read_lock();
	dom = domain_of(dev);
	if (translating(dom))
		ret = min_t(u64, SIZE_MAX,
			    (min(dma_get_mask(dev), dom->xlate->max_iova) >> 1) +
			    1);
	rcu_read_unlock();
	return ret;
}

/*
 * Sync hooks, on the ops of devices put under protection=subpage: copy
 * the part of a shadow mapping the call names (of a split, either end's;
 * dma/shadow.c finds it); what was mapped in place needs nothing.
 */
static void sync_single(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir, bool for_device)
{
	struct siommu_domain *dom;

	rcu_read_lock();
	dom = domain_of(dev);
	if (dom && READ_ONCE(dom->shadow))
		siommu_shadow_sync(dom, addr, size, dir, for_device);
	rcu_read_unlock();
}

static void siommu_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				       size_t size,
				       enum dma_data_direction dir)
{
	sync_single(dev, addr, size, dir, false);
}

static void siommu_sync_single_for_device(struct device *dev,
					  dma_addr_t addr, size_t size,
					  enum dma_data_direction dir)
{
	sync_single(dev, addr, size, dir, true);
}

static void sync_sg(struct device *dev, struct scatterlist *sgl, int nents,
		    enum dma_data_direction dir, bool for_device)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		sync_single(dev, sg_dma_address(sg), sg_dma_len(sg), dir,
			    for_device);
}

static void siommu_sync_sg_for_cpu(struct device *dev,
				   struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir)
{
	sync_sg(dev, sgl, nents, dir, false);
}

static void siommu_sync_sg_for_device(struct device *dev,
				      struct scatterlist *sgl, int nents,
				      enum dma_data_direction dir)
{
	sync_sg(dev, sgl, nents, dir, true);
}

/* Calls read the ops while they change: each pointer is written whole. */
static void sync_hooks(struct dma_map_ops *ops, bool on)
{
	WRITE_ONCE(ops->sync_single_for_cpu,
		   on ? siommu_sync_single_for_cpu : NULL);
	WRITE_ONCE(ops->sync_single_for_device,
		   on ? siommu_sync_single_for_device : NULL);
	WRITE_ONCE(ops->sync_sg_for_cpu, on ? siommu_sync_sg_for_cpu : NULL);
	WRITE_ONCE(ops->sync_sg_for_device,
		   on ? siommu_sync_sg_for_device : NULL);
}

/**
 * siommu_dma_ops_add_sync() - the DMA API's sync calls reach us from now
 * @sdev: the device, put under protection=subpage (under siommu.lock)
 *
 * Kept while the domain lives: shadow buffers mapped before a later
 * protection=page still need them (siommu_dma_ops_drop_sync()).  A
 * driver that asked dma_need_sync() before (and was told false) keeps
 * skipping its syncs; each of our shadow mappings is copied in at map
 * and out at unmap all the same, so only a driver that reads a buffer it
 * still has mapped would miss data: detach and attach the device again
 * to have it ask anew.
 */
void siommu_dma_ops_add_sync(struct siommu_dev *sdev)
{
	sync_hooks(&sdev->ops, true);
	siommu_dma_reset_need_sync(&sdev->pdev->dev);
}

/**
 * siommu_dma_ops_drop_sync() - no sync hooks, for a fresh domain at page
 * @sdev: the device, unbound, getting a new domain (under siommu.lock)
 *
 * A new domain is made only when no earlier one of the device is left
 * (a draining one is taken back instead), so no shadow handle can reach
 * these ops any more; the driver that binds next asks dma_need_sync()
 * anew and is told false again.
 */
void siommu_dma_ops_drop_sync(struct siommu_dev *sdev)
{
	sync_hooks(&sdev->ops, false);
}

const struct dma_map_ops siommu_dma_ops = {
	.alloc = siommu_alloc,
	.free = siommu_free,
	.SIOMMU_DMA_OPS_ALLOC_PAGES = siommu_alloc_pages,
	.free_pages = siommu_free_pages,
	.mmap = siommu_dma_mmap,
	.get_sgtable = siommu_dma_get_sgtable,
	.map_page = siommu_map_page,
	.unmap_page = siommu_unmap_page,
	.map_sg = siommu_map_sg,
	.unmap_sg = siommu_unmap_sg,
	.map_resource = siommu_map_resource,
	.unmap_resource = siommu_unmap_resource,
	.dma_supported = siommu_dma_supported,
	.get_required_mask = siommu_get_required_mask,
	.max_mapping_size = siommu_max_mapping_size,
};
