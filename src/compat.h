/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences between the kernels the module builds for:
 * Debian 12's 6.1 and Debian 13's 6.12 (bookworm-backports has it for
 * Debian 12), and their -rt flavours.  Every kernel version test lives
 * here; the code uses what this header defines and nothing else.
 * The userspace harness (tests/unit) compiles some of the files that
 * include it against its shims: what needs the kernel's headers is
 * inside __KERNEL__.
 */
#ifndef SIOMMU_COMPAT_H
#define SIOMMU_COMPAT_H

#include <linux/version.h>

/* 6.12 moved asm/unaligned.h to linux/unaligned.h. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * 6.10: __assign_str() takes the field only; the source is the one
 * __string() was given.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define siommu_assign_str(field, src)	__assign_str(field)
#else
#define siommu_assign_str(field, src)	__assign_str(field, src)
#endif

/* 6.10: dma_map_ops.alloc_pages became alloc_pages_op. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define SIOMMU_DMA_OPS_ALLOC_PAGES	alloc_pages_op
#else
#define SIOMMU_DMA_OPS_ALLOC_PAGES	alloc_pages
#endif

/*
 * 6.10: a device caches whether its sync calls can be skipped
 * (dev->dma_skip_sync, set from its dma_ops when the driver sets its
 * mask); ops that gain sync hooks later must clear it.  Before, the DMA
 * API asked the ops on every call.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define siommu_dma_reset_need_sync(dev)	dma_reset_need_sync(dev)
#else
#define siommu_dma_reset_need_sync(dev)	do { } while (0)
#endif

/*
 * 6.12: a device whose dev->dma_iommu is set has its DMA API calls go to
 * iommu-dma directly, whatever its dma_ops say.  The kernel sets it when
 * its own IOMMU driver gives the device a DMA domain; then dma_ops of
 * ours would never be called.  Before, iommu-dma came as dma_ops, which
 * the attach path sees as someone else's.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && defined(CONFIG_IOMMU_DMA)
#define siommu_dev_uses_iommu_dma(dev)	((dev)->dma_iommu)
#else
#define siommu_dev_uses_iommu_dma(dev)	((void)(dev), false)
#endif

#ifdef __KERNEL__
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/dma-mapping.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

/*
 * A device's driver_override: a member of struct pci_dev up to 6.12.y's
 * stable updates, which moved it (a name and its own lock) into struct
 * device.  No version number tells which a kernel has; Kbuild looks for
 * __device_set_driver_override() in the headers and defines
 * SIOMMU_HAVE_DEVICE_DRIVER_OVERRIDE.
 *
 * siommu_driver_override_dup() - a copy of @pdev's driver_override, NULL
 * when it has none, ERR_PTR(-ENOMEM) when it cannot be copied.
 */
static inline char *siommu_driver_override_dup(struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;
	char *copy = NULL;
	bool set;

#ifdef SIOMMU_HAVE_DEVICE_DRIVER_OVERRIDE
	spin_lock(&dev->driver_override.lock);
	set = dev->driver_override.name;
	if (set)
		copy = kstrdup(dev->driver_override.name, GFP_ATOMIC);
	spin_unlock(&dev->driver_override.lock);
#else
	device_lock(dev);
	set = pdev->driver_override;
	if (set)
		copy = kstrdup(pdev->driver_override, GFP_KERNEL);
	device_unlock(dev);
#endif
	return set && !copy ? ERR_PTR(-ENOMEM) : copy;
}

/* Set @pdev's driver_override to @s; "" clears it. */
static inline int siommu_driver_override_set(struct pci_dev *pdev,
					     const char *s)
{
#ifdef SIOMMU_HAVE_DEVICE_DRIVER_OVERRIDE
	return __device_set_driver_override(&pdev->dev, s, strlen(s));
#else
	return driver_set_override(&pdev->dev, &pdev->driver_override, s,
				   strlen(s));
#endif
}

/*
 * 6.12: dma_set_seg_boundary() and dma_set_max_seg_size() return nothing
 * (they warn when the device has no dma_parms).  For the VM tests' edu
 * driver: these return 0, or the older kernels' error.
 */
static inline int siommu_dma_set_seg_boundary(struct device *dev,
					      unsigned long mask)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dma_set_seg_boundary(dev, mask);
	return 0;
#else
	return dma_set_seg_boundary(dev, mask);
#endif
}

static inline int siommu_dma_set_max_seg_size(struct device *dev,
					      unsigned int size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dma_set_max_seg_size(dev, size);
	return 0;
#else
	return dma_set_max_seg_size(dev, size);
#endif
}

/* Set or clear dev->dma_iommu (see siommu_dev_uses_iommu_dma()). */
static inline void siommu_dev_set_iommu_dma(struct device *dev, bool on)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && defined(CONFIG_IOMMU_DMA)
	dev->dma_iommu = on;
#endif
}

/*
 * An unmanaged domain of the kernel's IOMMU driver for @dev, or an
 * ERR_PTR.  6.11 made the domain per device and made it say why not.
 */
static inline struct iommu_domain *siommu_iommu_domain_alloc(struct device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return iommu_paging_domain_alloc(dev);
#else
	struct iommu_domain *d = iommu_domain_alloc(dev->bus);

	return d ?: ERR_PTR(-ENOMEM);
#endif
}

/*
 * iommu_map() from any context: 6.3 gave it a gfp argument; before, it
 * might sleep and iommu_map_atomic() was the one for atomic callers.
 */
static inline int siommu_iommu_map(struct iommu_domain *domain,
				   unsigned long iova, phys_addr_t paddr,
				   size_t size, int prot, gfp_t gfp)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return iommu_map(domain, iova, paddr, size, prot, gfp);
#else
	if (gfpflags_allow_blocking(gfp))
		return iommu_map(domain, iova, paddr, size, prot);
	return iommu_map_atomic(domain, iova, paddr, size, prot);
#endif
}
#endif /* __KERNEL__ */

#endif /* SIOMMU_COMPAT_H */
