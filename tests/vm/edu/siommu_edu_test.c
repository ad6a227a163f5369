// SPDX-License-Identifier: GPL-2.0
/*
 * siommu_edu_test: a test-only driver for QEMU's "edu" PCI device
 * (1234:11e8), used by the VM tests to make a real device DMA through the
 * DMA API -- or around it -- and to see what landed in memory.  It is not
 * part of the scalable_iommu module.
 *
 * The edu device has a 4 KiB buffer at device address 0x40000 and one DMA
 * engine that copies between that buffer and a bus address.  QEMU 7.2
 * masks every bus address it is given with its dma_mask property (28 bits
 * by default) instead of refusing it, so this driver sets a DMA mask of
 * dma_bits (module parameter, 28 by default; give the device's width when
 * QEMU runs "-device edu,dma_mask=..."; read at probe, so with edu devices
 * of several widths, write it and bind again (or attach) the one of that
 * width) and refuses raw addresses whose range does not fit below
 * 2^dma_bits.  seg_boundary and max_seg_size (module parameters, read at
 * probe too; 0 leaves the DMA API's defaults) set the device's DMA
 * segment boundary and maximum segment size, for the sg command.  Buffers a translated device used
 * are kept until unbind (see edu_buf_free()).  QEMU
 * 7.2 also stops the whole VM (hw_error) on a transfer that ends at the
 * buffer's last byte, so no DMA here moves more than 2048 bytes, always
 * at the start of the device buffer: a 4096-byte command takes two DMAs
 * per direction.  A DMA completes from a QEMU timer about 100 ms after
 * it starts; the driver polls the busy bit (no interrupt), for at most
 * timeout_ms.
 *
 * Interface: /sys/bus/pci/devices/<bdf>/edu_test/
 *
 *   command (write-only)  one command per write; the write returns when
 *                         the command has finished:
 *     roundtrip [size]       random bytes RAM -> device -> second buffer,
 *                            both through dma_map_single(); compare
 *     after_unmap [size]     map a buffer filled with a canary, unmap it,
 *                            then DMA the device buffer to that IOVA
 *     write_raw <iova> [size]  device -> RAM DMA to a bus address that
 *                            nothing mapped
 *     read_raw <iova> [size]   RAM -> device DMA from such an address,
 *                            then read the device buffer back (per
 *                            2048-byte chunk: load the pattern, read
 *                            raw, bring back)
 *     past_end [size]        map @size (<= 2048) bytes at the start of two
 *                            pages of canary, DMA 64 bytes to the IOVA
 *                            one page past the mapping's page; the rest
 *                            of the two pages must keep the canary
 *     write_readonly [size]  DMA into a buffer mapped DMA_TO_DEVICE
 *     cross [size]           map a buffer for the peer device (see
 *                            peer), DMA 64 bytes to that IOVA from edu
 *     sg <nents> <seglen> [offset]  two scatterlists of nents (1..16)
 *                            segments of seglen bytes (1..65536), each
 *                            at offset (0..65535) in a buffer of its own
 *                            aligned to its power-of-two size, through
 *                            dma_map_sg() (DMA_TO_DEVICE, and
 *                            DMA_FROM_DEVICE); counts DMA segments that
 *                            cross the segment boundary, exceed the
 *                            maximum segment size or end beyond the
 *                            mask; then per segment the first and last
 *                            2048 bytes (or all, when shorter) go
 *                            RAM -> device -> the other list's segment,
 *                            compared after dma_unmap_sg()
 *     coherent_2m            a 2 MiB dma_alloc_coherent() buffer of
 *                            random bytes, read by the device at its
 *                            start, past its middle and at its end
 *                            into a mapped buffer; compare (a 2 MiB
 *                            leaf, where the translation has them)
 *     stale <step> [attempts]  write to a buffer's IOVA after its unmap,
 *                            with <step> (0..1024) map+unmap pairs of
 *                            another buffer between writes, until one
 *                            does not land (at most attempts, 1..1000,
 *                            default 20); see edu_cmd_stale()
 *   size is 1..4096 (default 4096); numbers take a 0x prefix for hex.
 *   write_raw, read_raw and after_unmap first load the device buffer
 *   with the byte 0xa5 (through a mapped buffer), so what a DMA left
 *   in memory can be told apart.  The write fails with -EINVAL (bad
 *   command or argument, an address range beyond 2^28), -EBUSY
 *   (another command or a DMA still in flight), -ETIMEDOUT (the DMA did
 *   not finish), -ENOMEM (allocation or mapping failed).
 *
 *   result (read-only)    the last command's outcome, one line,
 *                         "<command> <status> key=value...":
 *     roundtrip ok|mismatch size= iova_src= phys_src= iova_dst= phys_dst=
 *               match=0|1 first_diff=<offset or -1> zone= ms=
 *     after_unmap intact|overwritten size= iova= phys= canary=0x3c
 *               pattern=0xa5 canary_intact=0|1 changed=<bytes> zone= ms=
 *     write_raw done iova= size= pattern=0xa5 ms=
 *     read_raw done iova= size= crc32= head=<first 16 bytes, hex>
 *               pattern_kept=0|1 ms=
 *     past_end intact|overwritten size= iova= target= changed= ms=
 *     write_readonly intact|overwritten size= iova= changed= ms=
 *     cross intact|overwritten size= peer= iova= changed= ms=
 *     sg ok|bad nents= seglen= offset= boundary= max_seg= segments=
 *               crossings= oversize= beyond_mask= mismatches=
 *               first_dma= ms=
 *     stale faulted|still_landing step= hits= unmaps_at_last_hit=
 *               us_at_last_hit= unmaps_at_fault= us_at_fault= ms=
 *     <command> timeout|error err=<-errno> ms=
 *     invalid err=-22           (the last write did not parse)
 *   zone= is "dma" when the DMA API maps directly (no dma_ops: buffers
 *   come from ZONE_DMA so a 28-bit device reaches them) and "normal" when
 *   dma_ops translate.  Addresses are hex with a 0x prefix.  Before any
 *   command: "none".
 *
 *   peer (write-only)     a PCI address, "0000:00:01.0": the device
 *                         "cross" maps for (-EINVAL, -ENODEV)
 *
 *   info (read-only)      "ident=0x010000ed dma_mask=0xfffffff busy=0|1
 *                         engine=idle|running orphans=<n> timeout_ms=<n>
 *                         xfer_max=2048 dma=direct|ops
 *                         [ops=<symbol> [module]]"
 *
 * A buffer that a timed-out DMA may still reach is not freed but kept
 * (an "orphan") until the engine is seen idle, at the latest on unbind.
 * Probe takes the DMA mask, and every command the DMA ops, from the DMA
 * API as they are then, so the driver can be unbound, the device's DMA
 * ops switched, and the driver bound again.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
/* get_dma_ops(): direct mapping or not decides where buffers come from. */
#include <linux/dma-map-ops.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/log2.h>
#include <linux/crc32.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>

/* The module's compat header (src/compat.h) serves this driver too. */
#include "../../../src/compat.h"

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

/* BAR0 registers (4-byte access below 0x80, 4 or 8 bytes from 0x80). */
#define EDU_REG_IDENT		0x00	/* major:8 minor:8 rsvd:8 0xed */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_IDENT_MAGIC		0xed
#define EDU_DMA_RUN		BIT_ULL(0)
#define EDU_DMA_TO_RAM		BIT_ULL(1)	/* clear: RAM -> device */

#define EDU_BUF_ADDR		0x40000	/* the device buffer, device side */
#define EDU_BUF_SIZE		4096	/* the most one command moves */
/*
 * QEMU 7.2 refuses (hw_error: the VM stops) a transfer that ends at the
 * device buffer's last byte, so 4095 bytes is the most one DMA can move;
 * commands go through the buffer's first half a chunk at a time.
 */
#define EDU_XFER_MAX		2048
#define EDU_DMA_BITS		28	/* QEMU's default dma_mask */

#define EDU_PATTERN		0xa5	/* device buffer before raw DMA */
#define EDU_CANARY		0x3c	/* RAM that a DMA must not reach */
/* Beside a sub-page mapping: never inside any mapping, so never copied. */
#define EDU_SECRET		0x5e
#define EDU_GIVEN		0x11	/* what a sub-page mapping holds */
#define EDU_SUBPAGE_OFF		1024	/* where it sits in its page */
#define EDU_HEAD_BYTES		16
#define EDU_PROBE_BYTES		64	/* what a probing write moves */
/* subpage_split: more than a 64 KiB shadow buffer, over 19 pages. */
#define EDU_SPLIT_BYTES		(18 * 4096 + 1000)
#define EDU_SPLIT_BUF		(20 * 4096)
#define EDU_STALE_STEP_MAX	1024
#define EDU_STALE_ATTEMPTS	20
#define EDU_RESULT_LEN		320
#define EDU_MAX_ARGS		4
#define EDU_SG_MAX		16	/* segments of an sg command */
#define EDU_SG_SEG_MAX		65536	/* bytes a segment, and its offset */

static unsigned int timeout_ms = 3000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "how long one DMA may take (ms, default 3000)");

/*
 * A slow remove, so that a test can act while this module is on its way
 * out and the driver is still bound to another edu device.
 */
static unsigned int remove_delay_ms;
module_param(remove_delay_ms, uint, 0644);
MODULE_PARM_DESC(remove_delay_ms, "sleep this long in remove (ms, default 0)");

/* Must match the device's: QEMU's "-device edu,dma_mask=..." */
static unsigned int dma_bits = EDU_DMA_BITS;
module_param(dma_bits, uint, 0644);
MODULE_PARM_DESC(dma_bits, "the device's DMA address width, 28 (QEMU's default) to 64; read at probe");

static unsigned long seg_boundary;
module_param(seg_boundary, ulong, 0644);
MODULE_PARM_DESC(seg_boundary, "DMA segment boundary mask to set at probe, e.g. 0xffff (0: the default)");

static unsigned int max_seg_size;
module_param(max_seg_size, uint, 0644);
MODULE_PARM_DESC(max_seg_size, "DMA maximum segment size to set at probe (0: the default)");

struct edu_test {
	struct pci_dev *pdev;
	void __iomem *regs;
	u32 ident;
	unsigned int dma_bits;		/* its mask's width, from probe */
	struct mutex cmd_lock;		/* one command at a time */
	struct list_head orphans;	/* under cmd_lock */
	struct list_head retired;	/* under cmd_lock, freed on unbind */
	unsigned int n_orphans;		/* under cmd_lock; read locklessly */
	struct pci_dev *peer;		/* under cmd_lock: for "cross" */
	spinlock_t result_lock;		/* protects result */
	char result[EDU_RESULT_LEN];
};

/* A kernel buffer and its DMA mapping, if any. */
struct edu_buf {
	struct list_head node;
	void *cpu;
	size_t size;
	dma_addr_t iova;
	enum dma_data_direction dir;
	bool mapped;
	bool stuck;		/* a DMA that timed out may still reach it */
};

struct edu_args {
	u64 iova;
	size_t size;
	unsigned int step;	/* stale */
	unsigned int attempts;	/* stale */
	unsigned int nents;	/* sg */
	unsigned int offset;	/* sg */
};

static struct device *edu_dev(struct edu_test *edu)
{
	return &edu->pdev->dev;
}

static bool edu_dma_direct(struct edu_test *edu)
{
	return !get_dma_ops(edu_dev(edu));
}

static const char *edu_zone(struct edu_test *edu)
{
	return edu_dma_direct(edu) ? "dma" : "normal";
}

static bool edu_engine_busy(struct edu_test *edu)
{
	return readq(edu->regs + EDU_REG_DMA_CMD) & EDU_DMA_RUN;
}

static int edu_wait_idle(struct edu_test *edu)
{
	u64 cmd;

	return readq_poll_timeout(edu->regs + EDU_REG_DMA_CMD, cmd,
				  !(cmd & EDU_DMA_RUN), 1000,
				  (u64)timeout_ms * USEC_PER_MSEC);
}

/*
 * Run one DMA between the start of the device buffer and a bus address,
 * and wait for it.  @b, if given, is the kernel buffer behind the bus
 * address: it is marked stuck when the DMA times out.
 */
static int edu_dma(struct edu_test *edu, struct edu_buf *b, u64 bus,
		   size_t len, bool to_ram)
{
	u64 src = to_ram ? EDU_BUF_ADDR : bus;
	u64 dst = to_ram ? bus : EDU_BUF_ADDR;
	int err;

	/* QEMU 7.2 stops the whole VM on a range it finds out of bounds. */
	if (WARN_ON_ONCE(!len || len > EDU_XFER_MAX))
		return -EINVAL;
	if (edu_engine_busy(edu))
		return -EBUSY;
	writeq(src, edu->regs + EDU_REG_DMA_SRC);
	writeq(dst, edu->regs + EDU_REG_DMA_DST);
	writeq(len, edu->regs + EDU_REG_DMA_CNT);
	writeq(EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0),
	       edu->regs + EDU_REG_DMA_CMD);
	err = edu_wait_idle(edu);
	if (err) {
		dev_err(edu_dev(edu), "DMA %#llx -> %#llx (%zu bytes) timed out after %u ms\n",
			src, dst, len, timeout_ms);
		if (b)
			b->stuck = true;
	}
	return err;
}

static struct edu_buf *edu_buf_alloc(struct edu_test *edu, size_t size,
				     enum dma_data_direction dir)
{
	/*
	 * Without dma_ops the bus address is the physical one, and nothing
	 * bounces (no swiotlb below 4 GiB of RAM): take memory the 28-bit
	 * engine reaches.  With dma_ops, any memory: the IOVA is theirs.
	 */
	gfp_t gfp = GFP_KERNEL | (edu_dma_direct(edu) ? GFP_DMA : 0);
	struct edu_buf *b;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	b->cpu = kzalloc(size, gfp);
	if (!b->cpu) {
		kfree(b);
		return NULL;
	}
	b->size = size;
	b->dir = dir;
	return b;
}

static int edu_buf_map(struct edu_test *edu, struct edu_buf *b)
{
	b->iova = dma_map_single(edu_dev(edu), b->cpu, b->size, b->dir);
	if (dma_mapping_error(edu_dev(edu), b->iova))
		return -ENOMEM;
	b->mapped = true;
	/* The DMA API honours the mask; the engine would silently wrap. */
	if (edu->dma_bits < 64 && b->iova + b->size > BIT_ULL(edu->dma_bits)) {
		dev_err(edu_dev(edu), "mapping %pad+%zu is beyond the %u-bit mask\n",
			&b->iova, b->size, edu->dma_bits);
		return -ERANGE;
	}
	return 0;
}

static void edu_buf_unmap(struct edu_test *edu, struct edu_buf *b)
{
	if (b->mapped)
		dma_unmap_single(edu_dev(edu), b->iova, b->size, b->dir);
	b->mapped = false;
}

static void edu_buf_free(struct edu_test *edu, struct edu_buf *b)
{
	edu_buf_unmap(edu, b);
	/*
	 * Under deferred invalidation the unit may still translate an IOVA
	 * unmapped a moment ago, so a later command's stray DMA could land
	 * in this memory: keep it until unbind (a test driver can afford it).
	 */
	if (!edu_dma_direct(edu)) {
		list_add_tail(&b->node, &edu->retired);
		return;
	}
	kfree(b->cpu);
	kfree(b);
}

/* Free a buffer, or keep it until the engine is idle if it is stuck. */
static void edu_buf_put(struct edu_test *edu, struct edu_buf *b)
{
	if (!b)
		return;
	if (b->stuck) {
		list_add_tail(&b->node, &edu->orphans);
		WRITE_ONCE(edu->n_orphans, edu->n_orphans + 1);
		return;
	}
	edu_buf_free(edu, b);
}

/* Free the orphans once the engine is idle; -EBUSY while it is not. */
static int edu_reap(struct edu_test *edu)
{
	struct edu_buf *b, *tmp;

	if (edu_engine_busy(edu))
		return -EBUSY;
	list_for_each_entry_safe(b, tmp, &edu->orphans, node) {
		list_del(&b->node);
		edu_buf_free(edu, b);
	}
	WRITE_ONCE(edu->n_orphans, 0);
	return 0;
}

/* Load the device buffer with EDU_XFER_MAX bytes of @byte. */
static int edu_fill_device(struct edu_test *edu, u8 byte)
{
	struct edu_buf *b;
	int err;

	b = edu_buf_alloc(edu, EDU_XFER_MAX, DMA_TO_DEVICE);
	if (!b)
		return -ENOMEM;
	memset(b->cpu, byte, EDU_XFER_MAX);
	err = edu_buf_map(edu, b);
	if (!err)
		err = edu_dma(edu, b, b->iova, EDU_XFER_MAX, false);
	edu_buf_put(edu, b);
	return err;
}

/* The length of the chunk at @off of a @size-byte transfer. */
static size_t edu_chunk(size_t size, size_t off)
{
	return min_t(size_t, size - off, EDU_XFER_MAX);
}

/* Bytes of @b, from @from for @len, that are no longer the canary. */
static size_t edu_changed(const struct edu_buf *b, size_t from, size_t len)
{
	size_t i, n = 0;

	for (i = from; i < from + len; i++)
		n += ((u8 *)b->cpu)[i] != EDU_CANARY;
	return n;
}

/*
 * The start of a probe: the device buffer loaded with EDU_PATTERN and a
 * kernel buffer of @size filled with EDU_CANARY, so that what a DMA left
 * in memory can be told apart.  NULL, with *@err set, on failure.
 */
static struct edu_buf *edu_probe_buf(struct edu_test *edu, size_t size,
				     enum dma_data_direction dir, int *err)
{
	struct edu_buf *b;

	*err = edu_fill_device(edu, EDU_PATTERN);
	if (*err)
		return NULL;
	b = edu_buf_alloc(edu, size, dir);
	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	memset(b->cpu, EDU_CANARY, size);
	return b;
}

static int edu_cmd_roundtrip(struct edu_test *edu, const struct edu_args *a,
			     char *line, size_t len)
{
	struct edu_buf *src, *dst;
	phys_addr_t phys_src, phys_dst;
	long first_diff = -1;
	size_t off, i;
	int err;

	src = edu_buf_alloc(edu, a->size, DMA_TO_DEVICE);
	dst = edu_buf_alloc(edu, a->size, DMA_FROM_DEVICE);
	if (!src || !dst) {
		err = -ENOMEM;
		goto out;
	}
	get_random_bytes(src->cpu, a->size);
	phys_src = virt_to_phys(src->cpu);
	phys_dst = virt_to_phys(dst->cpu);
	err = edu_buf_map(edu, src);
	if (!err)
		err = edu_buf_map(edu, dst);
	/* Through the device buffer a chunk at a time: see EDU_XFER_MAX. */
	for (off = 0; !err && off < a->size; off += EDU_XFER_MAX) {
		err = edu_dma(edu, src, src->iova + off,
			      edu_chunk(a->size, off), false);
		if (!err)
			err = edu_dma(edu, dst, dst->iova + off,
				      edu_chunk(a->size, off), true);
	}
	if (err)
		goto out;
	edu_buf_unmap(edu, src);
	edu_buf_unmap(edu, dst);

	for (i = 0; i < a->size; i++) {
		if (((u8 *)src->cpu)[i] != ((u8 *)dst->cpu)[i]) {
			first_diff = i;
			break;
		}
	}
	scnprintf(line, len,
		  "roundtrip %s size=%zu iova_src=%pad phys_src=%pa iova_dst=%pad phys_dst=%pa match=%d first_diff=%ld zone=%s",
		  first_diff < 0 ? "ok" : "mismatch", a->size, &src->iova,
		  &phys_src, &dst->iova, &phys_dst, first_diff < 0, first_diff,
		  edu_zone(edu));
out:
	edu_buf_put(edu, dst);
	edu_buf_put(edu, src);
	return err;
}

static int edu_cmd_after_unmap(struct edu_test *edu, const struct edu_args *a,
			       char *line, size_t len)
{
	size_t changed, off;
	struct edu_buf *b;
	phys_addr_t phys;
	dma_addr_t iova;
	int err;

	b = edu_probe_buf(edu, a->size, DMA_FROM_DEVICE, &err);
	if (!b)
		return err;
	phys = virt_to_phys(b->cpu);
	err = edu_buf_map(edu, b);
	if (err)
		goto out;
	iova = b->iova;
	edu_buf_unmap(edu, b);
	/* The buffer stays ours: without an IOMMU, this lands in it. */
	for (off = 0; !err && off < a->size; off += EDU_XFER_MAX)
		err = edu_dma(edu, b, iova + off, edu_chunk(a->size, off), true);
	if (err)
		goto out;
	changed = edu_changed(b, 0, a->size);
	scnprintf(line, len,
		  "after_unmap %s size=%zu iova=%pad phys=%pa canary=%#x pattern=%#x canary_intact=%d changed=%zu zone=%s",
		  changed ? "overwritten" : "intact", a->size, &iova, &phys,
		  EDU_CANARY, EDU_PATTERN, !changed, changed, edu_zone(edu));
out:
	edu_buf_put(edu, b);
	return err;
}

static int edu_cmd_write_raw(struct edu_test *edu, const struct edu_args *a,
			     char *line, size_t len)
{
	size_t off;
	int err;

	err = edu_fill_device(edu, EDU_PATTERN);
	for (off = 0; !err && off < a->size; off += EDU_XFER_MAX)
		err = edu_dma(edu, NULL, a->iova + off,
			      edu_chunk(a->size, off), true);
	if (err)
		return err;
	scnprintf(line, len, "write_raw done iova=%#llx size=%zu pattern=%#x",
		  a->iova, a->size, EDU_PATTERN);
	return 0;
}

static int edu_cmd_read_raw(struct edu_test *edu, const struct edu_args *a,
			    char *line, size_t len)
{
	struct edu_buf *b;
	size_t off, n;
	int err;

	/* What the engine holds after each read, brought back mapped. */
	b = edu_buf_alloc(edu, a->size, DMA_FROM_DEVICE);
	if (!b)
		return -ENOMEM;
	err = edu_buf_map(edu, b);
	for (off = 0; !err && off < a->size; off += EDU_XFER_MAX) {
		n = edu_chunk(a->size, off);
		/*
		 * Each chunk starts from the pattern: a read that does
		 * not land leaves it there.
		 */
		err = edu_fill_device(edu, EDU_PATTERN);
		if (!err)
			err = edu_dma(edu, NULL, a->iova + off, n, false);
		if (!err)
			err = edu_dma(edu, b, b->iova + off, n, true);
	}
	if (err)
		goto out;
	edu_buf_unmap(edu, b);
	scnprintf(line, len,
		  "read_raw done iova=%#llx size=%zu crc32=%#010x head=%*phN pattern_kept=%d",
		  a->iova, a->size, crc32_le(~0, b->cpu, a->size) ^ ~0,
		  (int)min_t(size_t, a->size, EDU_HEAD_BYTES), b->cpu,
		  !memchr_inv(b->cpu, EDU_PATTERN, a->size));
out:
	edu_buf_put(edu, b);
	return err;
}

/*
 * past_end [size]: two pages of canary, the first @size bytes mapped for
 * the device to write; the device writes EDU_PROBE_BYTES at the IOVA one
 * page past the mapping's page.  The second page, the memory physically
 * next to the mapping, must keep its canary whatever that IOVA is.
 */
static int edu_cmd_past_end(struct edu_test *edu, const struct edu_args *a,
			    char *line, size_t len)
{
	struct edu_buf *b;
	dma_addr_t target;
	size_t changed;
	int err;

	if (a->size > PAGE_SIZE / 2)
		return -EINVAL;
	/* kmalloc() aligns a power-of-two size to itself: a page start. */
	b = edu_probe_buf(edu, 2 * PAGE_SIZE, DMA_FROM_DEVICE, &err);
	if (!b)
		return err;
	b->size = a->size;		/* map just that much */
	err = edu_buf_map(edu, b);
	if (err)
		goto out;
	target = (b->iova & PAGE_MASK) + PAGE_SIZE;
	err = edu_dma(edu, b, target, EDU_PROBE_BYTES, true);
	if (err)
		goto out;
	changed = edu_changed(b, PAGE_SIZE, PAGE_SIZE) +
		  edu_changed(b, a->size, PAGE_SIZE - a->size);
	scnprintf(line, len,
		  "past_end %s size=%zu iova=%pad target=%pad changed=%zu",
		  changed ? "overwritten" : "intact", a->size, &b->iova,
		  &target, changed);
out:
	edu_buf_put(edu, b);
	return err;
}

/* Bytes of the @len at @from in @p equal to @byte. */
static size_t edu_count(const u8 *p, size_t from, size_t len, u8 byte)
{
	size_t i, n = 0;

	for (i = from; i < from + len; i++)
		n += p[i] == byte;
	return n;
}

/*
 * Read the page of @iova through the device into @out (PAGE_SIZE bytes,
 * mapped for the device to write): what a device could read there.
 */
static int edu_read_page(struct edu_test *edu, dma_addr_t iova,
			 struct edu_buf *out)
{
	size_t off;
	int err = 0;

	for (off = 0; !err && off < PAGE_SIZE; off += EDU_XFER_MAX) {
		err = edu_fill_device(edu, EDU_PATTERN);
		if (!err)
			err = edu_dma(edu, NULL, (iova & PAGE_MASK) + off,
				      EDU_XFER_MAX, false);
		if (!err)
			err = edu_dma(edu, out, out->iova + off,
				      EDU_XFER_MAX, true);
	}
	return err;
}

/*
 * subpage [size]: a page of EDU_SECRET with @size bytes of EDU_GIVEN at
 * EDU_SUBPAGE_OFF, those bytes mapped DMA_BIDIRECTIONAL.  The device
 * reads them (they must arrive: given_ok), reads its mapping's whole page
 * (leaked: secret bytes it got), writes EDU_PATTERN over its whole page
 * and EDU_PROBE_BYTES just past the mapping's end; after the unmap the
 * secret bytes changed are landed, and the given bytes must be the
 * pattern (written_ok).  Under protection=subpage nothing leaks and
 * nothing lands; under page both are the rest of the page.
 */
static int edu_cmd_subpage(struct edu_test *edu, const struct edu_args *a,
			   char *line, size_t len)
{
	const size_t at = EDU_SUBPAGE_OFF;
	struct edu_buf *b, *out;
	size_t leaked, landed, off;
	bool given_ok, written_ok;
	dma_addr_t iova;
	int err;

	if (a->size > PAGE_SIZE - at - EDU_PROBE_BYTES)
		return -EINVAL;
	b = edu_buf_alloc(edu, PAGE_SIZE, DMA_BIDIRECTIONAL);
	out = edu_buf_alloc(edu, PAGE_SIZE, DMA_FROM_DEVICE);
	if (!b || !out) {
		err = -ENOMEM;
		goto out;
	}
	memset(b->cpu, EDU_SECRET, PAGE_SIZE);
	memset(b->cpu + at, EDU_GIVEN, a->size);
	err = edu_buf_map(edu, out);
	if (err)
		goto out;
	iova = dma_map_single(edu_dev(edu), b->cpu + at, a->size,
			      DMA_BIDIRECTIONAL);
	if (dma_mapping_error(edu_dev(edu), iova)) {
		err = -ENOMEM;
		goto out;
	}

	/* What it was given, then the page around it. */
	err = edu_fill_device(edu, EDU_PATTERN) ?:
	      edu_dma(edu, NULL, iova, min_t(size_t, a->size, EDU_XFER_MAX),
		      false) ?:
	      edu_dma(edu, out, out->iova, EDU_XFER_MAX, true);
	given_ok = !err && !memchr_inv(out->cpu, EDU_GIVEN,
				       min_t(size_t, a->size, EDU_XFER_MAX));
	if (!err)
		err = edu_read_page(edu, iova, out);
	leaked = err ? 0 : edu_count(out->cpu, 0, PAGE_SIZE, EDU_SECRET);

	/* Write the whole page, then past the end. */
	if (!err)
		err = edu_fill_device(edu, EDU_PATTERN);
	for (off = 0; !err && off < PAGE_SIZE; off += EDU_XFER_MAX)
		err = edu_dma(edu, b, (iova & PAGE_MASK) + off, EDU_XFER_MAX,
			      true);
	if (!err)
		err = edu_dma(edu, b, iova + a->size, EDU_PROBE_BYTES, true);
	dma_unmap_single(edu_dev(edu), iova, a->size, DMA_BIDIRECTIONAL);
	if (err)
		goto out;
	landed = PAGE_SIZE - a->size -
		 edu_count(b->cpu, 0, at, EDU_SECRET) -
		 edu_count(b->cpu, at + a->size, PAGE_SIZE - at - a->size,
			   EDU_SECRET);
	written_ok = !memchr_inv(b->cpu + at, EDU_PATTERN, a->size);
	scnprintf(line, len,
		  "subpage size=%zu iova=%pad leaked=%zu landed=%zu given_ok=%d written_ok=%d",
		  a->size, &iova, leaked, landed, given_ok, written_ok);
out:
	edu_buf_put(edu, out);
	edu_buf_put(edu, b);
	return err;
}

/*
 * subpage_split: subpage for a mapping too large for a shadow buffer:
 * EDU_SPLIT_BYTES of EDU_GIVEN at EDU_SUBPAGE_OFF of EDU_SPLIT_BUF bytes
 * of EDU_SECRET, mapped DMA_BIDIRECTIONAL.  Under protection=subpage it is
 * split: its whole pages in place, its end pages the pool's.  The device
 * reads its first bytes (given_ok) and the whole of its first and last
 * page (leaked: secret bytes it got); writes EDU_PATTERN over its first,
 * a middle and its last page and EDU_PROBE_BYTES past its end.  The
 * middle page must hold the pattern before the unmap (middle_now: in
 * place), all the pages written after it (written_ok); landed counts
 * the secret bytes changed.  Under page, leaked and landed are the rest
 * of the two end pages.
 */
static int edu_cmd_subpage_split(struct edu_test *edu,
				 const struct edu_args *a, char *line,
				 size_t len)
{
	const size_t at = EDU_SUBPAGE_OFF, size = EDU_SPLIT_BYTES;
	const size_t mid_at = 8 * PAGE_SIZE;	/* a page in the middle */
	size_t leaked = 0, landed, off;
	bool given_ok, written_ok, middle_now = false;
	struct edu_buf *b, *out;
	dma_addr_t iova, first, last;
	int err;

	b = edu_buf_alloc(edu, EDU_SPLIT_BUF, DMA_BIDIRECTIONAL);
	out = edu_buf_alloc(edu, PAGE_SIZE, DMA_FROM_DEVICE);
	if (!b || !out) {
		err = -ENOMEM;
		goto out;
	}
	if (offset_in_page(b->cpu)) {	/* kmalloc of 80 KiB: whole pages */
		err = -EINVAL;
		goto out;
	}
	memset(b->cpu, EDU_SECRET, EDU_SPLIT_BUF);
	memset(b->cpu + at, EDU_GIVEN, size);
	err = edu_buf_map(edu, out);
	if (err)
		goto out;
	iova = dma_map_single(edu_dev(edu), b->cpu + at, size,
			      DMA_BIDIRECTIONAL);
	if (dma_mapping_error(edu_dev(edu), iova)) {
		err = -ENOMEM;
		goto out;
	}
	first = iova & PAGE_MASK;
	last = (iova + size - 1) & PAGE_MASK;

	err = edu_fill_device(edu, EDU_PATTERN) ?:
	      edu_dma(edu, NULL, iova, EDU_XFER_MAX, false) ?:
	      edu_dma(edu, out, out->iova, EDU_XFER_MAX, true);
	given_ok = !err && !memchr_inv(out->cpu, EDU_GIVEN, EDU_XFER_MAX);
	if (!err)
		err = edu_read_page(edu, first, out);
	if (!err)
		leaked = edu_count(out->cpu, 0, PAGE_SIZE, EDU_SECRET);
	if (!err)
		err = edu_read_page(edu, last, out);
	if (!err)
		leaked += edu_count(out->cpu, 0, PAGE_SIZE, EDU_SECRET);

	if (!err)
		err = edu_fill_device(edu, EDU_PATTERN);
	for (off = 0; !err && off < PAGE_SIZE; off += EDU_XFER_MAX)
		err = edu_dma(edu, b, first + off, EDU_XFER_MAX, true) ?:
		      edu_dma(edu, b, first + mid_at + off, EDU_XFER_MAX,
			      true) ?:
		      edu_dma(edu, b, last + off, EDU_XFER_MAX, true);
	if (!err)
		err = edu_dma(edu, b, iova + size, EDU_PROBE_BYTES, true);
	if (!err)
		middle_now = !memchr_inv(b->cpu + mid_at, EDU_PATTERN,
					 PAGE_SIZE);
	dma_unmap_single(edu_dev(edu), iova, size, DMA_BIDIRECTIONAL);
	if (err)
		goto out;
	landed = EDU_SPLIT_BUF - size -
		 edu_count(b->cpu, 0, at, EDU_SECRET) -
		 edu_count(b->cpu, at + size, EDU_SPLIT_BUF - at - size,
			   EDU_SECRET);
	written_ok = !memchr_inv(b->cpu + at, EDU_PATTERN, PAGE_SIZE - at) &&
		     !memchr_inv(b->cpu + 18 * PAGE_SIZE, EDU_PATTERN,
				 at + size - 18 * PAGE_SIZE);
	scnprintf(line, len,
		  "subpage_split size=%zu iova=%pad leaked=%zu landed=%zu given_ok=%d middle_now=%d written_ok=%d",
		  size, &iova, leaked, landed, given_ok, middle_now,
		  written_ok);
out:
	edu_buf_put(edu, out);
	edu_buf_put(edu, b);
	return err;
}

/*
 * write_readonly [size]: a buffer of canary mapped DMA_TO_DEVICE (the
 * device may only read it); the device writes to its IOVA.
 */
static int edu_cmd_write_readonly(struct edu_test *edu,
				  const struct edu_args *a, char *line,
				  size_t len)
{
	size_t changed, off;
	struct edu_buf *b;
	int err;

	b = edu_probe_buf(edu, a->size, DMA_TO_DEVICE, &err);
	if (!b)
		return err;
	err = edu_buf_map(edu, b);
	for (off = 0; !err && off < a->size; off += EDU_XFER_MAX)
		err = edu_dma(edu, b, b->iova + off, edu_chunk(a->size, off),
			      true);
	if (err)
		goto out;
	changed = edu_changed(b, 0, a->size);
	scnprintf(line, len, "write_readonly %s size=%zu iova=%pad changed=%zu",
		  changed ? "overwritten" : "intact", a->size, &b->iova,
		  changed);
out:
	edu_buf_put(edu, b);
	return err;
}

/*
 * stale <step> [attempts]: how long the unit keeps translating an IOVA
 * after its unmap.  A buffer is mapped, written once by the device (so
 * the unit caches the translation) and unmapped; then, until a write no
 * longer lands or @attempts ran out, the device writes to that IOVA
 * again after @step more map+unmap pairs of another buffer, all on this
 * CPU (per-CPU batches are per CPU).  Reports the unmaps and the time
 * since the unmap at the last write that landed and at the first that
 * did not.  The time is taken as the DMA starts: the translation happens
 * later, so a write that lands after flush_timeout_us proves the bound
 * broken.  The buffer stays ours: a stale write only reaches it.
 */
static int edu_cmd_stale(struct edu_test *edu, const struct edu_args *a,
			 char *line, size_t len)
{
	u64 t0, at, hit_us = 0, fault_us = 0;
	unsigned int attempt, hits = 0, unmaps = 0, hit_unmaps = 0;
	unsigned int fault_unmaps = 0, i;
	struct edu_buf *b, *scratch;
	bool faulted = false;
	int err;

	err = edu_fill_device(edu, EDU_PATTERN);
	if (err)
		return err;
	b = edu_buf_alloc(edu, PAGE_SIZE, DMA_FROM_DEVICE);
	scratch = edu_buf_alloc(edu, PAGE_SIZE, DMA_TO_DEVICE);
	if (!b || !scratch) {
		err = -ENOMEM;
		goto out;
	}
	memset(b->cpu, EDU_CANARY, PAGE_SIZE);
	migrate_disable();
	err = edu_buf_map(edu, b);
	if (!err)
		err = edu_dma(edu, b, b->iova, EDU_PROBE_BYTES, true);
	if (!err && !edu_changed(b, 0, EDU_PROBE_BYTES))
		err = -EIO;	/* not even the mapped write landed */
	if (err)
		goto enable;
	memset(b->cpu, EDU_CANARY, PAGE_SIZE);
	dma_unmap_single(edu_dev(edu), b->iova, b->size, b->dir);
	b->mapped = false;
	t0 = ktime_get_ns();
	for (attempt = 0; attempt < a->attempts; attempt++) {
		at = div_u64(ktime_get_ns() - t0, NSEC_PER_USEC);
		err = edu_dma(edu, b, b->iova, EDU_PROBE_BYTES, true);
		if (err)
			break;
		if (!edu_changed(b, 0, EDU_PROBE_BYTES)) {
			faulted = true;
			fault_unmaps = unmaps;
			fault_us = at;
			break;
		}
		hits++;
		hit_unmaps = unmaps;
		hit_us = at;
		memset(b->cpu, EDU_CANARY, PAGE_SIZE);
		for (i = 0; !err && i < a->step; i++) {
			err = edu_buf_map(edu, scratch);
			edu_buf_unmap(edu, scratch);
			unmaps++;
		}
		if (err)
			break;
	}
enable:
	migrate_enable();
	if (err)
		goto out;
	scnprintf(line, len,
		  "stale %s step=%u hits=%u unmaps_at_last_hit=%u us_at_last_hit=%llu unmaps_at_fault=%u us_at_fault=%llu",
		  faulted ? "faulted" : "still_landing", a->step, hits,
		  hit_unmaps, hit_us, fault_unmaps, fault_us);
out:
	edu_buf_put(edu, scratch);
	edu_buf_put(edu, b);
	return err;
}

/*
 * cross [size]: a buffer of canary mapped for the peer device (edu_test/
 * peer) to write; edu writes to that IOVA.  Under the identity allocator
 * the IOVA is the same function of the address in every domain, so this
 * is a device reaching for a page another device has mapped: it must
 * fault in edu's domain and leave the canary.
 */
static int edu_cmd_cross(struct edu_test *edu, const struct edu_args *a,
			 char *line, size_t len)
{
	struct device *peer;
	struct edu_buf *b;
	dma_addr_t iova;
	size_t changed;
	int err;

	if (!edu->peer)
		return -ENODEV;
	peer = &edu->peer->dev;
	b = edu_probe_buf(edu, a->size, DMA_FROM_DEVICE, &err);
	if (!b)
		return err;
	iova = dma_map_single(peer, b->cpu, a->size, DMA_FROM_DEVICE);
	if (dma_mapping_error(peer, iova)) {
		err = -ENOMEM;
		goto out;
	}
	if (edu->dma_bits < 64 &&
	    iova + EDU_PROBE_BYTES > BIT_ULL(edu->dma_bits))
		err = -ERANGE;
	else
		err = edu_dma(edu, b, iova, EDU_PROBE_BYTES, true);
	dma_unmap_single(peer, iova, a->size, DMA_FROM_DEVICE);
	if (err)
		goto out;
	changed = edu_changed(b, 0, a->size);
	scnprintf(line, len, "cross %s size=%zu peer=%s iova=%pad changed=%zu",
		  changed ? "overwritten" : "intact", a->size,
		  pci_name(edu->peer), &iova, changed);
out:
	edu_buf_put(edu, b);
	return err;
}

/* What the DMA API made of a mapped list, against the device's limits. */
struct edu_sg_check {
	unsigned int crossings, oversize, beyond;
};

static void edu_sg_check(struct edu_test *edu, struct scatterlist *sgl,
			 int n, struct edu_sg_check *c)
{
	struct device *dev = edu_dev(edu);
	u64 boundary = dma_get_seg_boundary(dev);
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, n, i) {
		dma_addr_t at = sg_dma_address(sg);
		unsigned int len = sg_dma_len(sg);

		if (!len)
			continue;
		if ((at ^ (at + len - 1)) & ~boundary)
			c->crossings++;
		if (len > dma_get_max_seg_size(dev))
			c->oversize++;
		if (edu->dma_bits < 64 && at + len > BIT_ULL(edu->dma_bits))
			c->beyond++;
	}
}

/*
 * The ends of segment @i, RAM -> device -> RAM: where the layout pads or
 * a boundary falls, the ends are what a wrong translation would show.
 */
static int edu_sg_move(struct edu_test *edu, struct edu_buf *sb,
		       struct edu_buf *db, struct scatterlist *s,
		       struct scatterlist *d, size_t seglen)
{
	size_t chunk = min_t(size_t, seglen, EDU_XFER_MAX);
	size_t offs[2] = { 0, seglen - chunk };
	unsigned int k;
	int err = 0;

	for (k = 0; !err && k < (offs[1] ? 2 : 1); k++) {
		err = edu_dma(edu, sb, sg_dma_address(s) + offs[k], chunk,
			      false);
		if (!err)
			err = edu_dma(edu, db, sg_dma_address(d) + offs[k],
				      chunk, true);
	}
	return err;
}

static size_t edu_sg_mismatches(struct edu_buf *sb, struct edu_buf *db,
				size_t offset, size_t seglen)
{
	size_t chunk = min_t(size_t, seglen, EDU_XFER_MAX);
	u8 *src = (u8 *)sb->cpu + offset, *dst = (u8 *)db->cpu + offset;
	size_t i, n = 0;

	for (i = 0; i < seglen; i++)
		if ((i < chunk || i >= seglen - chunk) && src[i] != dst[i])
			n++;
	return n;
}

static int edu_cmd_sg(struct edu_test *edu, const struct edu_args *a,
		      char *line, size_t len)
{
	size_t bytes = roundup_pow_of_two(a->offset + a->size);
	struct device *dev = edu_dev(edu);
	struct scatterlist *ssg, *dsg, *s, *d;
	struct edu_buf **sb, **db;
	struct edu_sg_check c = { };
	int ns = 0, nd = 0, err = 0;
	size_t mismatches = 0;
	dma_addr_t first = 0;
	unsigned int i;

	ssg = kcalloc(a->nents, sizeof(*ssg), GFP_KERNEL);
	dsg = kcalloc(a->nents, sizeof(*dsg), GFP_KERNEL);
	sb = kcalloc(a->nents, sizeof(*sb), GFP_KERNEL);
	db = kcalloc(a->nents, sizeof(*db), GFP_KERNEL);
	if (!ssg || !dsg || !sb || !db) {
		err = -ENOMEM;
		goto out;
	}
	sg_init_table(ssg, a->nents);
	sg_init_table(dsg, a->nents);
	/* kmalloc aligns a power-of-two size to itself: @offset is exact. */
	for (i = 0; i < a->nents; i++) {
		sb[i] = edu_buf_alloc(edu, bytes, DMA_TO_DEVICE);
		db[i] = edu_buf_alloc(edu, bytes, DMA_FROM_DEVICE);
		if (!sb[i] || !db[i]) {
			err = -ENOMEM;
			goto out;
		}
		get_random_bytes(sb[i]->cpu, bytes);
		memset(db[i]->cpu, EDU_CANARY, bytes);
		sg_set_buf(&ssg[i], sb[i]->cpu + a->offset, a->size);
		sg_set_buf(&dsg[i], db[i]->cpu + a->offset, a->size);
	}
	ns = dma_map_sg(dev, ssg, a->nents, DMA_TO_DEVICE);
	nd = ns ? dma_map_sg(dev, dsg, a->nents, DMA_FROM_DEVICE) : 0;
	if (!ns || !nd) {
		err = -ENOMEM;
		goto unmap;
	}
	first = sg_dma_address(ssg);
	edu_sg_check(edu, ssg, ns, &c);
	edu_sg_check(edu, dsg, nd, &c);
	/* Segments pair up one to one only where none were merged. */
	if (ns != a->nents || nd != a->nents || c.beyond) {
		err = -ERANGE;
		goto unmap;
	}
	s = ssg;
	d = dsg;
	for (i = 0; !err && i < a->nents; i++) {
		err = edu_sg_move(edu, sb[i], db[i], s, d, a->size);
		s = sg_next(s);
		d = sg_next(d);
	}
unmap:
	if (nd)
		dma_unmap_sg(dev, dsg, a->nents, DMA_FROM_DEVICE);
	if (ns)
		dma_unmap_sg(dev, ssg, a->nents, DMA_TO_DEVICE);
	if (err)
		goto out;
	for (i = 0; i < a->nents; i++)
		mismatches += edu_sg_mismatches(sb[i], db[i], a->offset,
						a->size);
	scnprintf(line, len,
		  "sg %s nents=%u seglen=%zu offset=%u boundary=%#llx max_seg=%u segments=%d crossings=%u oversize=%u beyond_mask=%u mismatches=%zu first_dma=%pad",
		  c.crossings || c.oversize || mismatches ? "bad" : "ok",
		  a->nents, a->size, a->offset,
		  (u64)dma_get_seg_boundary(dev), dma_get_max_seg_size(dev),
		  ns, c.crossings, c.oversize, c.beyond, mismatches, &first);
out:
	for (i = 0; sb && db && i < a->nents; i++) {
		/* Not mapped as edu_bufs: the lists held them. */
		edu_buf_put(edu, sb[i]);
		edu_buf_put(edu, db[i]);
	}
	kfree(db);
	kfree(sb);
	kfree(dsg);
	kfree(ssg);
	return err;
}

static int edu_cmd_coherent_2m(struct edu_test *edu, const struct edu_args *a,
			       char *line, size_t len)
{
	static const size_t offs[] = {
		0, SZ_1M + PAGE_SIZE + 0x100, SZ_2M - EDU_XFER_MAX,
	};
	struct edu_buf *dst;
	unsigned int i, bad = 0;
	dma_addr_t iova;
	void *cpu;
	int err;

	cpu = dma_alloc_coherent(edu_dev(edu), SZ_2M, &iova, GFP_KERNEL);
	if (!cpu)
		return -ENOMEM;
	get_random_bytes(cpu, SZ_2M);
	dst = edu_buf_alloc(edu, EDU_XFER_MAX, DMA_FROM_DEVICE);
	err = dst ? edu_buf_map(edu, dst) : -ENOMEM;
	for (i = 0; !err && i < ARRAY_SIZE(offs); i++) {
		err = edu_dma(edu, NULL, iova + offs[i], EDU_XFER_MAX, false);
		if (!err)
			err = edu_dma(edu, dst, dst->iova, EDU_XFER_MAX, true);
		if (err)
			break;
		dma_sync_single_for_cpu(edu_dev(edu), dst->iova, EDU_XFER_MAX,
					DMA_FROM_DEVICE);
		bad += !!memcmp(dst->cpu, cpu + offs[i], EDU_XFER_MAX);
		dma_sync_single_for_device(edu_dev(edu), dst->iova,
					   EDU_XFER_MAX, DMA_FROM_DEVICE);
	}
	if (!err)
		scnprintf(line, len,
			  "coherent_2m %s iova=%pad aligned=%d chunks=%zu mismatches=%u",
			  bad ? "mismatch" : "ok", &iova,
			  !(iova & (SZ_2M - 1)), ARRAY_SIZE(offs), bad);
	if (dst) {
		edu_buf_unmap(edu, dst);
		edu_buf_put(edu, dst);
	}
	/* A DMA that timed out may still read it: then it is left. */
	if (err != -ETIMEDOUT)
		dma_free_coherent(edu_dev(edu), SZ_2M, cpu, iova);
	return err;
}

static const struct edu_command {
	const char *name;
	bool takes_iova;
	int (*run)(struct edu_test *edu, const struct edu_args *a,
		   char *line, size_t len);
} edu_commands[] = {
	{ "roundtrip", false, edu_cmd_roundtrip },
	{ "after_unmap", false, edu_cmd_after_unmap },
	{ "write_raw", true, edu_cmd_write_raw },
	{ "read_raw", true, edu_cmd_read_raw },
	{ "past_end", false, edu_cmd_past_end },
	{ "write_readonly", false, edu_cmd_write_readonly },
	{ "stale", false, edu_cmd_stale },
	{ "cross", false, edu_cmd_cross },
	{ "sg", false, edu_cmd_sg },
	{ "coherent_2m", false, edu_cmd_coherent_2m },
	{ "subpage", false, edu_cmd_subpage },
	{ "subpage_split", false, edu_cmd_subpage_split },
};

/* Record a command's outcome; @ms < 0: no time (it never ran). */
static void edu_set_result(struct edu_test *edu, const char *line, s64 ms)
{
	spin_lock(&edu->result_lock);
	if (ms < 0)
		strscpy(edu->result, line, sizeof(edu->result));
	else
		scnprintf(edu->result, sizeof(edu->result), "%s ms=%lld",
			  line, ms);
	spin_unlock(&edu->result_lock);
}

/* Split "<command> [iova] [size]" and check it; NULL on bad input. */
static const struct edu_command *edu_parse(struct edu_test *edu, char *input,
					   struct edu_args *a)
{
	const struct edu_command *cmd = NULL;
	char *argv[EDU_MAX_ARGS], *tok;
	unsigned int argc = 0, next, i, size;

	while ((tok = strsep(&input, " \t\n")) != NULL) {
		if (!*tok)
			continue;
		if (argc == EDU_MAX_ARGS)
			return NULL;
		argv[argc++] = tok;
	}
	if (!argc)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(edu_commands); i++)
		if (!strcmp(argv[0], edu_commands[i].name))
			cmd = &edu_commands[i];
	if (!cmd)
		return NULL;

	if (cmd->run == edu_cmd_stale) {
		a->attempts = EDU_STALE_ATTEMPTS;
		if (argc < 2 || argc > 3 ||
		    kstrtouint(argv[1], 0, &a->step) ||
		    a->step > EDU_STALE_STEP_MAX ||
		    (argc == 3 && (kstrtouint(argv[2], 0, &a->attempts) ||
				   !a->attempts || a->attempts > 1000)))
			return NULL;
		return cmd;
	}
	if (cmd->run == edu_cmd_sg) {
		a->offset = 0;
		if (argc < 3 || kstrtouint(argv[1], 0, &a->nents) ||
		    kstrtouint(argv[2], 0, &size) ||
		    (argc == 4 && kstrtouint(argv[3], 0, &a->offset)) ||
		    !a->nents || a->nents > EDU_SG_MAX || !size ||
		    size > EDU_SG_SEG_MAX || a->offset >= EDU_SG_SEG_MAX)
			return NULL;
		a->size = size;
		return cmd;
	}
	next = 1;
	a->iova = 0;
	a->size = EDU_BUF_SIZE;
	if (cmd->takes_iova) {
		if (argc < 2 || kstrtou64(argv[1], 0, &a->iova))
			return NULL;
		next = 2;
	}
	if (argc > next + 1)
		return NULL;
	if (argc == next + 1) {
		if (kstrtouint(argv[next], 0, &size))
			return NULL;
		a->size = size;
	}
	if (!a->size || a->size > EDU_BUF_SIZE)
		return NULL;
	/* The engine masks addresses to its width: refuse what would wrap. */
	if (cmd->takes_iova && edu->dma_bits < 64 &&
	    (a->iova >= BIT_ULL(edu->dma_bits) ||
	     a->size > BIT_ULL(edu->dma_bits) - a->iova))
		return NULL;
	return cmd;
}

static ssize_t command_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct edu_test *edu = dev_get_drvdata(dev);
	const struct edu_command *cmd;
	char line[EDU_RESULT_LEN] = "";
	char input[64];
	struct edu_args a;
	ktime_t start;
	int err;

	if (count >= sizeof(input))
		return -EINVAL;
	memcpy(input, buf, count);
	input[count] = '\0';
	cmd = edu_parse(edu, input, &a);
	if (!cmd) {
		edu_set_result(edu, "invalid err=-22", -1);
		return -EINVAL;
	}

	/* The result of a command in flight belongs to it: leave it alone. */
	if (!mutex_trylock(&edu->cmd_lock))
		return -EBUSY;
	start = ktime_get();
	err = edu_reap(edu);
	if (!err)
		err = cmd->run(edu, &a, line, sizeof(line));
	if (err)
		scnprintf(line, sizeof(line), "%s %s err=%d", cmd->name,
			  err == -ETIMEDOUT ? "timeout" : "error", err);
	edu_set_result(edu, line, ktime_ms_delta(ktime_get(), start));
	mutex_unlock(&edu->cmd_lock);
	return err ? err : count;
}
static DEVICE_ATTR_WO(command);

static ssize_t result_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct edu_test *edu = dev_get_drvdata(dev);
	int n;

	spin_lock(&edu->result_lock);
	n = sysfs_emit(buf, "%s\n", edu->result);
	spin_unlock(&edu->result_lock);
	return n;
}
static DEVICE_ATTR_RO(result);

static ssize_t info_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct edu_test *edu = dev_get_drvdata(dev);
	const struct dma_map_ops *ops = get_dma_ops(dev);
	int n;

	n = sysfs_emit(buf,
		       "ident=%#010x dma_mask=%#llx busy=%d engine=%s orphans=%u timeout_ms=%u xfer_max=%d dma=%s",
		       edu->ident, dma_get_mask(dev),
		       mutex_is_locked(&edu->cmd_lock),
		       edu_engine_busy(edu) ? "running" : "idle",
		       READ_ONCE(edu->n_orphans), timeout_ms, EDU_XFER_MAX,
		       ops ? "ops" : "direct");
	if (ops)
		n += sysfs_emit_at(buf, n, " ops=%ps", ops);
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}
static DEVICE_ATTR_RO(info);

/* peer (write-only): the PCI address "cross" maps its buffer for. */
static ssize_t peer_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct edu_test *edu = dev_get_drvdata(dev);
	unsigned int domain, bus, slot, fn;
	struct pci_dev *pdev;
	char tail;

	if (sscanf(buf, "%x:%x:%x.%x%c", &domain, &bus, &slot, &fn,
		   &tail) < 4 || bus > 0xff || slot > 0x1f || fn > 7)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENODEV;
	if (!mutex_trylock(&edu->cmd_lock)) {
		pci_dev_put(pdev);
		return -EBUSY;
	}
	pci_dev_put(edu->peer);
	edu->peer = pdev;
	mutex_unlock(&edu->cmd_lock);
	return count;
}
static DEVICE_ATTR_WO(peer);

/*
 * untrusted: "1" marks the device as the kernel marks one behind an
 * external-facing port (pdev->untrusted), which QEMU cannot describe;
 * read at the next attach.  Test only.
 */
static ssize_t untrusted_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_pci_dev(dev)->untrusted);
}

static ssize_t untrusted_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	bool on;

	if (kstrtobool(buf, &on))
		return -EINVAL;
	to_pci_dev(dev)->untrusted = on;
	return count;
}
static DEVICE_ATTR_RW(untrusted);

static struct attribute *edu_attrs[] = {
	&dev_attr_command.attr,
	&dev_attr_untrusted.attr,
	&dev_attr_result.attr,
	&dev_attr_info.attr,
	&dev_attr_peer.attr,
	NULL,
};

static const struct attribute_group edu_group = {
	.name = "edu_test",
	.attrs = edu_attrs,
};

static const struct attribute_group *edu_groups[] = {
	&edu_group,
	NULL,
};

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_test *edu;
	int err;

	edu = kzalloc(sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->cmd_lock);
	INIT_LIST_HEAD(&edu->orphans);
	INIT_LIST_HEAD(&edu->retired);
	spin_lock_init(&edu->result_lock);
	strscpy(edu->result, "none", sizeof(edu->result));

	err = pci_enable_device_mem(pdev);
	if (err)
		goto err_free;
	err = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (err)
		goto err_disable;
	edu->regs = pci_iomap(pdev, 0, 0);
	if (!edu->regs) {
		err = -ENOMEM;
		goto err_release;
	}

	edu->ident = readl(edu->regs + EDU_REG_IDENT);
	if ((edu->ident & 0xff) != EDU_IDENT_MAGIC) {
		dev_err(&pdev->dev, "ident %#010x is not an edu device's\n",
			edu->ident);
		err = -ENODEV;
		goto err_unmap;
	}
	if (dma_bits < EDU_DMA_BITS || dma_bits > 64) {
		dev_err(&pdev->dev, "dma_bits=%u: want 28 to 64\n", dma_bits);
		err = -EINVAL;
		goto err_unmap;
	}
	edu->dma_bits = dma_bits;
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(dma_bits));
	if (err) {
		dev_err(&pdev->dev, "no %u-bit DMA: %d\n", dma_bits, err);
		goto err_unmap;
	}
	if (seg_boundary)
		err = siommu_dma_set_seg_boundary(&pdev->dev, seg_boundary);
	if (!err && max_seg_size)
		err = siommu_dma_set_max_seg_size(&pdev->dev, max_seg_size);
	if (err) {
		dev_err(&pdev->dev, "segment limits not set: %d\n", err);
		goto err_unmap;
	}
	/* A DMA left running by an earlier binding finishes first. */
	err = edu_wait_idle(edu);
	if (err) {
		dev_err(&pdev->dev, "DMA engine stays busy\n");
		err = -EBUSY;
		goto err_unmap;
	}
	pci_set_master(pdev);
	pci_set_drvdata(pdev, edu);
	dev_info(&pdev->dev, "edu %u.%u, %u-bit DMA, %s mapping\n",
		 edu->ident >> 24, (edu->ident >> 16) & 0xff, dma_bits,
		 edu_dma_direct(edu) ? "direct" : "dma_ops");
	return 0;

err_unmap:
	pci_iounmap(pdev, edu->regs);
err_release:
	pci_release_region(pdev, 0);
err_disable:
	pci_disable_device(pdev);
err_free:
	mutex_destroy(&edu->cmd_lock);
	kfree(edu);
	return err;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_test *edu = pci_get_drvdata(pdev);
	unsigned int delay = READ_ONCE(remove_delay_ms);
	struct edu_buf *b, *tmp;

	if (delay) {
		dev_info(&pdev->dev, "remove: waiting %u ms first\n", delay);
		msleep(delay);
	}
	/*
	 * The driver core removed edu_test/ before calling us, after any
	 * write in progress returned: no command runs or can start.
	 */
	if (edu_wait_idle(edu) || edu_reap(edu))
		dev_err(&pdev->dev, "DMA engine still busy: leaving %u buffers allocated\n",
			edu->n_orphans);
	pci_clear_master(pdev);
	pci_dev_put(edu->peer);
	/* No DMA now, through a stale translation or otherwise. */
	list_for_each_entry_safe(b, tmp, &edu->retired, node) {
		list_del(&b->node);
		kfree(b->cpu);
		kfree(b);
	}
	pci_iounmap(pdev, edu->regs);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	mutex_destroy(&edu->cmd_lock);
	kfree(edu);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
	.dev_groups = edu_groups,
};
module_pci_driver(edu_driver);

MODULE_DESCRIPTION("Test-only driver for QEMU's edu DMA device (scalable_iommu VM tests)");
MODULE_LICENSE("GPL");
