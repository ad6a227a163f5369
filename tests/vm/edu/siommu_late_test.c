// SPDX-License-Identifier: GPL-2.0
/*
 * siommu_late_test: a test-only module that holds DMA buffers of a PCI
 * device whatever driver is bound to it, or none, and gives them back
 * when told: the late DMA API calls real drivers make after their device
 * changed hands (page pools, work items, a controller's last reference).
 * Used by tests/vm/late_calls.sh; not part of the scalable_iommu module.
 *
 * Interface: /sys/kernel/siommu_late_test/
 *
 *   command (write-only)  one command per write:
 *     alloc <bdf> [size]   dma_alloc_coherent() on the device
 *     map <bdf> [size]     a page mapped with dma_map_page(), both ways
 *     free <id>            the matching dma_free_coherent() or
 *                          dma_unmap_page() (and the page freed)
 *     dma <id>             QEMU edu only: random bytes in the buffer are
 *                          copied by the device to its own buffer and
 *                          back into the zeroed buffer, through the
 *                          handle; the bytes must match
 *   size is 1..4096 (default 4096).  Errors: -EINVAL (bad command),
 *   -ENODEV (no such device), -ENOENT (no such id), -ENOSPC (too many
 *   held), -ENOMEM (allocation or mapping failed), -ETIMEDOUT (the DMA
 *   did not finish), -EIO (the bytes did not match).
 *
 *   result (read-only)   the last command's outcome:
 *     alloc|map id=<n> handle=<hex> phys=<hex> ops=<dma_ops symbol|direct>
 *     free id=<n>
 *     dma id=<n> ok|mismatch|timeout handle=<hex>
 *
 * Buffers still held at unload are given back then.
 */
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iopoll.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sysfs.h>

#define LATE_MAX		16
#define LATE_RESULT_LEN		160

/* QEMU edu: BAR0 registers, its buffer, the most one DMA moves safely. */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		BIT_ULL(0)
#define EDU_DMA_TO_RAM		BIT_ULL(1)
#define EDU_BUF_ADDR		0x40000
#define EDU_XFER		2048

struct late_buf {
	struct pci_dev *pdev;		/* NULL: slot free */
	bool coherent;
	void *cpu;
	struct page *page;
	size_t size;
	dma_addr_t handle;
};

static DEFINE_MUTEX(late_lock);		/* the slots and the result */
static struct late_buf held[LATE_MAX];
static char result[LATE_RESULT_LEN] = "none";
static struct kobject *late_kobj;

static int late_get(struct late_buf *b, bool coherent)
{
	struct device *dev = &b->pdev->dev;

	b->coherent = coherent;
	if (coherent) {
		b->cpu = dma_alloc_coherent(dev, b->size, &b->handle,
					    GFP_KERNEL);
		return b->cpu ? 0 : -ENOMEM;
	}
	/*
	 * From below the device's mask, as a driver of a narrow device
	 * would take it: an untranslated map of a page above it would need
	 * bouncing.
	 */
	b->page = alloc_page(GFP_KERNEL | __GFP_ZERO |
			     (dma_get_mask(dev) < DMA_BIT_MASK(32) ? GFP_DMA :
			      dma_get_mask(dev) < DMA_BIT_MASK(64) ? GFP_DMA32 :
			      0));
	if (!b->page)
		return -ENOMEM;
	b->cpu = page_address(b->page);
	b->handle = dma_map_page(dev, b->page, 0, b->size,
				 DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, b->handle)) {
		__free_page(b->page);
		return -ENOMEM;
	}
	return 0;
}

static void late_put(struct late_buf *b)
{
	struct device *dev = &b->pdev->dev;

	if (b->coherent) {
		dma_free_coherent(dev, b->size, b->cpu, b->handle);
	} else {
		dma_unmap_page(dev, b->handle, b->size, DMA_BIDIRECTIONAL);
		__free_page(b->page);
	}
	pci_dev_put(b->pdev);
	memset(b, 0, sizeof(*b));
}

/* One edu DMA between its buffer and @bus; the engine is polled. */
static int edu_dma(void __iomem *regs, u64 bus, bool to_ram)
{
	u64 cmd;

	writeq(to_ram ? EDU_BUF_ADDR : bus, regs + EDU_REG_DMA_SRC);
	writeq(to_ram ? bus : EDU_BUF_ADDR, regs + EDU_REG_DMA_DST);
	writeq(EDU_XFER, regs + EDU_REG_DMA_CNT);
	writeq(EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0),
	       regs + EDU_REG_DMA_CMD);
	return readq_poll_timeout(regs + EDU_REG_DMA_CMD, cmd,
				  !(cmd & EDU_DMA_RUN), 1000,
				  3 * USEC_PER_SEC);
}

/*
 * Through the device's BAR directly, whether a driver is bound or not:
 * bus mastering is turned on for the transfer if it was off, and left
 * as found.
 */
static int late_dma(struct late_buf *b)
{
	struct pci_dev *pdev = b->pdev;
	u8 *want, *got = b->cpu;
	void __iomem *regs;
	u16 command;
	int err;

	if (b->size < EDU_XFER)
		return -EINVAL;
	want = kmalloc(EDU_XFER, GFP_KERNEL);
	if (!want)
		return -ENOMEM;
	regs = pci_iomap(pdev, 0, 0);
	if (!regs) {
		kfree(want);
		return -ENOMEM;
	}
	pci_read_config_word(pdev, PCI_COMMAND, &command);
	pci_write_config_word(pdev, PCI_COMMAND,
			      command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	get_random_bytes(want, EDU_XFER);
	memcpy(got, want, EDU_XFER);
	err = edu_dma(regs, b->handle, false);
	if (!err) {
		memset(got, 0, EDU_XFER);
		err = edu_dma(regs, b->handle, true);
	}
	if (!err && memcmp(got, want, EDU_XFER))
		err = -EIO;
	pci_write_config_word(pdev, PCI_COMMAND, command);
	pci_iounmap(pdev, regs);
	kfree(want);
	return err;
}

static struct pci_dev *late_pdev(const char *bdf)
{
	unsigned int domain, bus, slot, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) != 4 ||
	    bus > 0xff || slot > 0x1f || fn > 7)
		return NULL;
	return pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
}

static int late_command(char *line)
{
	char *verb = strsep(&line, " "), *arg = strsep(&line, " ");
	unsigned int id, size = PAGE_SIZE;
	const struct dma_map_ops *ops;
	struct late_buf *b;
	int err;

	if (!verb || !arg)
		return -EINVAL;
	if (!strcmp(verb, "alloc") || !strcmp(verb, "map")) {
		if (line && (kstrtouint(line, 0, &size) || !size ||
			     size > PAGE_SIZE))
			return -EINVAL;
		for (id = 0; id < LATE_MAX && held[id].pdev; id++)
			;
		if (id == LATE_MAX)
			return -ENOSPC;
		b = &held[id];
		b->pdev = late_pdev(arg);
		if (!b->pdev)
			return -ENODEV;
		b->size = size;
		err = late_get(b, verb[0] == 'a');
		if (err) {
			pci_dev_put(b->pdev);
			memset(b, 0, sizeof(*b));
			return err;
		}
		ops = get_dma_ops(&b->pdev->dev);
		if (ops)
			scnprintf(result, sizeof(result),
				  "%s id=%u handle=%#llx phys=%#llx ops=%ps",
				  verb, id, (u64)b->handle,
				  (u64)virt_to_phys(b->cpu), ops);
		else
			scnprintf(result, sizeof(result),
				  "%s id=%u handle=%#llx phys=%#llx ops=direct",
				  verb, id, (u64)b->handle,
				  (u64)virt_to_phys(b->cpu));
		return 0;
	}
	if (line || kstrtouint(arg, 0, &id) || id >= LATE_MAX)
		return -EINVAL;
	b = &held[id];
	if (!b->pdev)
		return -ENOENT;
	if (!strcmp(verb, "free")) {
		late_put(b);
		scnprintf(result, sizeof(result), "free id=%u", id);
		return 0;
	}
	if (!strcmp(verb, "dma")) {
		err = late_dma(b);
		scnprintf(result, sizeof(result), "dma id=%u %s handle=%#llx",
			  id, !err ? "ok" : err == -EIO ? "mismatch" :
			  err == -ETIMEDOUT ? "timeout" : "error",
			  (u64)b->handle);
		return err;
	}
	return -EINVAL;
}

static ssize_t command_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	char line[64];
	int err;

	if (count >= sizeof(line))
		return -EINVAL;
	memcpy(line, buf, count);
	line[count] = '\0';
	strim(line);
	mutex_lock(&late_lock);
	err = late_command(line);
	if (err && err != -EIO && err != -ETIMEDOUT)
		scnprintf(result, sizeof(result), "error err=%d", err);
	mutex_unlock(&late_lock);
	return err ? err : count;
}

static ssize_t result_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	ssize_t n;

	mutex_lock(&late_lock);
	n = sysfs_emit(buf, "%s\n", result);
	mutex_unlock(&late_lock);
	return n;
}

static struct kobj_attribute command_attr = __ATTR_WO(command);
static struct kobj_attribute result_attr = __ATTR_RO(result);

static struct attribute *late_attrs[] = {
	&command_attr.attr,
	&result_attr.attr,
	NULL,
};

static const struct attribute_group late_group = {
	.attrs = late_attrs,
};

static int __init late_init(void)
{
	int err;

	late_kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!late_kobj)
		return -ENOMEM;
	err = sysfs_create_group(late_kobj, &late_group);
	if (err)
		kobject_put(late_kobj);
	return err;
}

static void __exit late_exit(void)
{
	unsigned int id;

	sysfs_remove_group(late_kobj, &late_group);
	kobject_put(late_kobj);
	for (id = 0; id < LATE_MAX; id++)
		if (held[id].pdev)
			late_put(&held[id]);
}

module_init(late_init);
module_exit(late_exit);

MODULE_DESCRIPTION("Test-only holder of late DMA buffers (scalable_iommu VM tests)");
MODULE_LICENSE("GPL");
