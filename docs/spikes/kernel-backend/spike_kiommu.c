// SPDX-License-Identifier: GPL-2.0
/*
 * Throwaway feasibility spike for issue 14 (not part of the module): put
 * one PCI device, whose driver is unbound, behind an unmanaged domain of
 * the kernel's own IOMMU driver and route its DMA API calls through a
 * trivial dma_map_ops of ours that maps with iommu_map and unmaps with
 * iommu_unmap_fast + a gather + iommu_iotlb_sync.  rmmod (driver unbound
 * again) flushes, detaches and restores the device's DMA ops.
 *
 *   insmod spike_kiommu.ko bdf=0000:00:03.0 [try_claim=1]
 *   cat /sys/module/spike_kiommu/parameters/stats
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/iommu.h>
#include <linux/dma-map-ops.h>
#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include <linux/version.h>
#include <linux/scatterlist.h>

static char *bdf = "";
module_param(bdf, charp, 0444);
static bool try_claim;
module_param(try_claim, bool, 0444);
static bool keep_claim;	/* claim DMA ownership and hold it while attached */
module_param(keep_claim, bool, 0444);
static bool claimed;
/* 0: strict (sync every unmap); N: merge N unmaps' gathers, one sync */
static unsigned int batch;
module_param(batch, uint, 0444);
#define SPIKE_BATCH_MAX 256
static struct iommu_iotlb_gather batch_g;	/* under spike_lock */
static struct { dma_addr_t iova; unsigned long npages; } pend[SPIKE_BATCH_MAX];
static unsigned int npend;
static atomic64_t st_batches, st_freelist_pages;

/* IOVA space: 128 MiB from 1 MiB, one bit a page (fits 28-bit edu too). */
#define SPIKE_BASE	0x100000UL
#define SPIKE_PAGES	32768UL

static DEFINE_SPINLOCK(spike_lock);
static unsigned long spike_bitmap[BITS_TO_LONGS(SPIKE_PAGES)];
static struct pci_dev *spike_pdev;
static struct iommu_group *spike_group;
static struct iommu_domain *spike_domain, *spike_old_domain;
static const struct dma_map_ops *spike_old_ops;
static bool spike_old_dma_iommu;
static atomic64_t st_map, st_unmap, st_map_fail, st_faults, st_live;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define spike_iommu_map(d, i, p, s, r) iommu_map(d, i, p, s, r, GFP_ATOMIC)
#else
#define spike_iommu_map(d, i, p, s, r) iommu_map_atomic(d, i, p, s, r)
#endif

static int stats_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "map=%lld unmap=%lld map_fail=%lld live_pages=%lld faults=%lld batches=%lld freelist_pages=%lld\n",
			  atomic64_read(&st_map), atomic64_read(&st_unmap),
			  atomic64_read(&st_map_fail), atomic64_read(&st_live),
			  atomic64_read(&st_faults), atomic64_read(&st_batches),
			  atomic64_read(&st_freelist_pages));
}
static const struct kernel_param_ops stats_ops = { .get = stats_get };
module_param_cb(stats, &stats_ops, NULL, 0444);

static dma_addr_t iova_alloc(unsigned long npages)
{
	unsigned long flags, i;

	spin_lock_irqsave(&spike_lock, flags);
	i = bitmap_find_next_zero_area(spike_bitmap, SPIKE_PAGES, 0, npages, 0);
	if (i < SPIKE_PAGES)
		bitmap_set(spike_bitmap, i, npages);
	spin_unlock_irqrestore(&spike_lock, flags);
	if (i >= SPIKE_PAGES)
		return DMA_MAPPING_ERROR;
	return SPIKE_BASE + (i << PAGE_SHIFT);
}

static void iova_free(dma_addr_t iova, unsigned long npages)
{
	unsigned long flags;

	spin_lock_irqsave(&spike_lock, flags);
	bitmap_clear(spike_bitmap, (iova - SPIKE_BASE) >> PAGE_SHIFT, npages);
	spin_unlock_irqrestore(&spike_lock, flags);
}

static int dir_prot(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_TO_DEVICE: return IOMMU_READ;
	case DMA_FROM_DEVICE: return IOMMU_WRITE;
	default: return IOMMU_READ | IOMMU_WRITE;
	}
}

static dma_addr_t spike_map_phys(phys_addr_t phys, size_t size, int prot)
{
	unsigned long npages = PAGE_ALIGN(offset_in_page(phys) + size) >> PAGE_SHIFT;
	dma_addr_t iova = iova_alloc(npages);
	int ret;

	if (iova == DMA_MAPPING_ERROR)
		goto fail;
	ret = spike_iommu_map(spike_domain, iova, phys & PAGE_MASK,
			      npages << PAGE_SHIFT, prot);
	if (ret) {
		iova_free(iova, npages);
		goto fail;
	}
	atomic64_inc(&st_map);
	atomic64_add(npages, &st_live);
	return iova + offset_in_page(phys);
fail:
	atomic64_inc(&st_map_fail);
	return DMA_MAPPING_ERROR;
}

/* Under spike_lock: one sync for every pending unmap, then their IOVAs. */
static void batch_flush_locked(void)
{
	unsigned int i;

	if (!npend)
		return;
	iommu_iotlb_sync(spike_domain, &batch_g);	/* flush + free tables */
	for (i = 0; i < npend; i++)
		bitmap_clear(spike_bitmap, (pend[i].iova - SPIKE_BASE) >> PAGE_SHIFT,
			     pend[i].npages);
	npend = 0;
	iommu_iotlb_gather_init(&batch_g);
	atomic64_inc(&st_batches);
}

static void spike_unmap_batched(dma_addr_t iova, unsigned long npages)
{
	struct iommu_iotlb_gather g;
	unsigned long flags, n = 0;
	struct page *pg;

	iommu_iotlb_gather_init(&g);
	iommu_unmap_fast(spike_domain, iova, npages << PAGE_SHIFT, &g);
	list_for_each_entry(pg, &g.freelist, lru)
		n++;
	atomic64_add(n, &st_freelist_pages);
	spin_lock_irqsave(&spike_lock, flags);
	/* Merge: the union of the ranges, the freed table pages spliced. */
	if (g.end >= g.start) {
		batch_g.start = min(batch_g.start, g.start);
		batch_g.end = max(batch_g.end, g.end);
		batch_g.pgsize = batch_g.pgsize ?: g.pgsize;
	}
	list_splice_init(&g.freelist, &batch_g.freelist);
	pend[npend].iova = iova;
	pend[npend].npages = npages;
	if (++npend >= batch)
		batch_flush_locked();
	spin_unlock_irqrestore(&spike_lock, flags);
}

static void spike_unmap_iova(dma_addr_t addr, size_t size)
{
	unsigned long npages = PAGE_ALIGN(offset_in_page(addr) + size) >> PAGE_SHIFT;
	dma_addr_t iova = addr & PAGE_MASK;
	struct iommu_iotlb_gather gather;
	size_t done;

	if (batch) {
		spike_unmap_batched(iova, npages);
		atomic64_inc(&st_unmap);
		atomic64_sub(npages, &st_live);
		return;
	}
	iommu_iotlb_gather_init(&gather);
	done = iommu_unmap_fast(spike_domain, iova, npages << PAGE_SHIFT, &gather);
	/* Strict: the IOTLB flush (and, on VT-d, freeing of table pages the
	 * unmap put on gather.freelist) happens here, before the IOVA is reused. */
	iommu_iotlb_sync(spike_domain, &gather);
	WARN_ONCE(done != npages << PAGE_SHIFT, "spike: unmapped %zu of %lu\n",
		  done, npages << PAGE_SHIFT);
	iova_free(iova, npages);
	atomic64_inc(&st_unmap);
	atomic64_sub(npages, &st_live);
}

static dma_addr_t spike_map_page(struct device *dev, struct page *page,
				 unsigned long offset, size_t size,
				 enum dma_data_direction dir, unsigned long attrs)
{
	return spike_map_phys(page_to_phys(page) + offset, size, dir_prot(dir));
}

static void spike_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			     enum dma_data_direction dir, unsigned long attrs)
{
	spike_unmap_iova(addr, size);
}

static void spike_unmap_sg(struct device *dev, struct scatterlist *sgl,
			   int nents, enum dma_data_direction dir,
			   unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		if (sg_dma_len(sg))
			spike_unmap_iova(sg_dma_address(sg), sg_dma_len(sg));
}

static int spike_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = spike_map_phys(sg_phys(sg), sg->length,
						 dir_prot(dir));
		if (sg->dma_address == DMA_MAPPING_ERROR) {
			spike_unmap_sg(dev, sgl, i, dir, attrs);
			return -ENOMEM;
		}
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static void *spike_alloc(struct device *dev, size_t size, dma_addr_t *handle,
			 gfp_t gfp, unsigned long attrs)
{
	unsigned int order = get_order(size);
	struct page *page;

	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_COMP);
	page = alloc_pages(gfp | __GFP_ZERO, order);
	if (!page)
		return NULL;
	*handle = spike_map_phys(page_to_phys(page), PAGE_SIZE << order,
				 IOMMU_READ | IOMMU_WRITE);
	if (*handle == DMA_MAPPING_ERROR) {
		__free_pages(page, order);
		return NULL;
	}
	return page_address(page);
}

static void spike_free(struct device *dev, size_t size, void *vaddr,
		       dma_addr_t handle, unsigned long attrs)
{
	unsigned int order = get_order(size);

	spike_unmap_iova(handle, PAGE_SIZE << order);
	free_pages((unsigned long)vaddr, order);
}

static const struct dma_map_ops spike_dma_ops = {
	.map_page = spike_map_page,
	.unmap_page = spike_unmap_page,
	.map_sg = spike_map_sg,
	.unmap_sg = spike_unmap_sg,
	.alloc = spike_alloc,
	.free = spike_free,
};

static int spike_fault(struct iommu_domain *d, struct device *dev,
		       unsigned long iova, int flags, void *token)
{
	atomic64_inc(&st_faults);
	dev_err_ratelimited(dev, "spike: fault iova %#lx flags %#x\n", iova, flags);
	return -ENOSYS;	/* let the driver log it as well */
}

static void spike_set_ops(struct device *dev, const struct dma_map_ops *ops,
			  bool dma_iommu)
{
	set_dma_ops(dev, ops);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	dev->dma_iommu = dma_iommu;
#endif
}

static int __init spike_init(void)
{
	unsigned int dom, bus, slot, fn;
	struct iommu_iotlb_gather gather;
	struct device *dev;
	dma_addr_t iova;
	struct page *p;
	int ret;

	if (batch > SPIKE_BATCH_MAX)
		return -EINVAL;
	iommu_iotlb_gather_init(&batch_g);
	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return -EINVAL;
	spike_pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!spike_pdev)
		return -ENODEV;
	dev = &spike_pdev->dev;
	ret = -EBUSY;
	if (dev->driver) {
		dev_err(dev, "spike: unbind %s first\n", dev->driver->name);
		goto put_pdev;
	}
	spike_group = iommu_group_get(dev);
	if (!spike_group) {
		dev_err(dev, "spike: no iommu group\n");
		ret = -ENODEV;
		goto put_pdev;
	}
	spike_old_domain = iommu_get_domain_for_dev(dev);
	dev_info(dev, "spike: group %d, current domain type %#x, dma_ops %ps\n",
		 iommu_group_id(spike_group),
		 spike_old_domain ? spike_old_domain->type : 0, get_dma_ops(dev));
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	dev_info(dev, "spike: dev->dma_iommu=%d\n", dev->dma_iommu);
#endif
	if (try_claim) {
		ret = iommu_group_claim_dma_owner(spike_group, THIS_MODULE);
		dev_info(dev, "spike: iommu_group_claim_dma_owner: %d; owned: %d\n",
			 ret, iommu_group_dma_owner_claimed(spike_group));
		if (!ret)
			iommu_group_release_dma_owner(spike_group);
	}

	if (keep_claim) {
		ret = iommu_group_claim_dma_owner(spike_group, THIS_MODULE);
		dev_info(dev, "spike: keep_claim: iommu_group_claim_dma_owner: %d\n", ret);
		if (ret)
			goto put_group;
		claimed = true;
	}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	spike_domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(spike_domain)) {
		ret = PTR_ERR(spike_domain);
		spike_domain = NULL;
		dev_err(dev, "spike: iommu_paging_domain_alloc: %d\n", ret);
		goto put_group;
	}
#else
	spike_domain = iommu_domain_alloc(&pci_bus_type);
	if (!spike_domain) {
		ret = -ENOMEM;
		dev_err(dev, "spike: iommu_domain_alloc failed\n");
		goto put_group;
	}
#endif
	dev_info(dev, "spike: domain type %#x pgsize_bitmap %#lx aperture %#llx-%#llx\n",
		 spike_domain->type, spike_domain->pgsize_bitmap,
		 (u64)spike_domain->geometry.aperture_start,
		 (u64)spike_domain->geometry.aperture_end);
	iommu_set_fault_handler(spike_domain, spike_fault, NULL);

	ret = iommu_attach_device(spike_domain, dev);
	dev_info(dev, "spike: iommu_attach_device: %d\n", ret);
	if (ret)
		goto free_domain;
	dev_info(dev, "spike: after attach: aperture %#llx-%#llx pgsize_bitmap %#lx\n",
		 (u64)spike_domain->geometry.aperture_start,
		 (u64)spike_domain->geometry.aperture_end,
		 spike_domain->pgsize_bitmap);

	/* Smoke: one page in, translated, out. */
	p = alloc_page(GFP_KERNEL);
	iova = spike_map_phys(page_to_phys(p), PAGE_SIZE, IOMMU_READ);
	dev_info(dev, "spike: smoke iova %#llx -> phys %#llx (want %#llx)\n",
		 (u64)iova, (u64)iommu_iova_to_phys(spike_domain, iova),
		 (u64)page_to_phys(p));
	iommu_iotlb_gather_init(&gather);
	iommu_unmap_fast(spike_domain, iova, PAGE_SIZE, &gather);
	iommu_iotlb_sync(spike_domain, &gather);
	iova_free(iova, 1);
	atomic64_inc(&st_unmap);
	atomic64_dec(&st_live);
	dev_info(dev, "spike: after unmap iova_to_phys %#llx\n",
		 (u64)iommu_iova_to_phys(spike_domain, iova));

	/* A whole 2 MiB-aligned leaf table mapped, then unmapped in one call:
	 * does the kernel driver hand the freed table page back in the gather? */
	{
		unsigned long a = 0x4000000, off, n = 0;
		struct page *pg;

		for (off = 0; off < SZ_2M; off += PAGE_SIZE)
			if (spike_iommu_map(spike_domain, a + off, page_to_phys(p),
					    PAGE_SIZE, IOMMU_READ))
				break;
		iommu_iotlb_gather_init(&gather);
		off = iommu_unmap_fast(spike_domain, a, SZ_2M, &gather);
		list_for_each_entry(pg, &gather.freelist, lru)
			n++;
		dev_info(dev, "spike: 2M unmap_fast: %#lx bytes, gather [%#lx-%#lx] pgsize %#zx, %lu table pages on gather.freelist\n",
			 off, gather.start, gather.end, gather.pgsize, n);
		iommu_iotlb_sync(spike_domain, &gather);
		dev_info(dev, "spike: after iotlb_sync freelist %s\n",
			 list_empty(&gather.freelist) ? "empty" : "NOT empty");
	}
	__free_page(p);

	spike_old_ops = get_dma_ops(dev);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	spike_old_dma_iommu = dev->dma_iommu;
#endif
	spike_set_ops(dev, &spike_dma_ops, false);
	dev_info(dev, "spike: attached; dma_ops now %ps (were %ps)\n",
		 get_dma_ops(dev), spike_old_ops);
	return 0;

free_domain:
	iommu_domain_free(spike_domain);
put_group:
	if (claimed)
		iommu_group_release_dma_owner(spike_group);
	iommu_group_put(spike_group);
put_pdev:
	pci_dev_put(spike_pdev);
	return ret;
}

static void __exit spike_exit(void)
{
	struct device *dev = &spike_pdev->dev;

	if (dev->driver)
		dev_warn(dev, "spike: %s still bound at rmmod\n", dev->driver->name);
	dev_info(dev, "spike: live pages at detach: %lld\n", atomic64_read(&st_live));
	spike_set_ops(dev, spike_old_ops, spike_old_dma_iommu);
	spin_lock_irq(&spike_lock);
	dev_info(dev, "spike: %u unmaps pending at detach\n", npend);
	batch_flush_locked();
	spin_unlock_irq(&spike_lock);
	iommu_flush_iotlb_all(spike_domain);
	iommu_detach_device(spike_domain, dev);
	dev_info(dev, "spike: detached; domain now %s the default (type %#x), dma_ops %ps\n",
		 iommu_get_domain_for_dev(dev) == spike_old_domain ? "back to" : "NOT",
		 iommu_get_domain_for_dev(dev) ? iommu_get_domain_for_dev(dev)->type : 0,
		 get_dma_ops(dev));
	iommu_domain_free(spike_domain);
	if (claimed)
		iommu_group_release_dma_owner(spike_group);
	iommu_group_put(spike_group);
	pci_dev_put(spike_pdev);
	pr_info("spike_kiommu: %lld maps, %lld unmaps, %lld failed, %lld faults, %lld batch syncs, %lld table pages freed via gathers\n",
		atomic64_read(&st_map), atomic64_read(&st_unmap),
		atomic64_read(&st_map_fail), atomic64_read(&st_faults),
		atomic64_read(&st_batches), atomic64_read(&st_freelist_pages));
}

module_init(spike_init);
module_exit(spike_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("issue 14 spike: DMA through a kernel IOMMU API domain");
