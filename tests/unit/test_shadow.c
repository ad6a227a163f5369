// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the shadow buffers of protection=subpage (src/dma/shadow.c),
 * over a stand-in domain (shadow_shim/dma/domain.h) whose page table is
 * the record below of what the pool mapped.  The "device" reads and
 * writes through that record, so what a test sees is what a device could
 * reach: the caller's bytes arrive in the shadow, come back at unmap and
 * sync, only where the direction says; nothing outside the buffer moves;
 * buffers are reused without a new mapping; the device's minimum
 * alignment is kept across a page boundary; a full window and a failed
 * map are refused with nothing left behind.  A mapping over 64 KiB is
 * split: its middle the caller's pages, its end pages the pool's, found
 * by a sync at either end; failing, it leaves nothing behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/io.h>

#include "harness.h"
#include "shim.h"

#include "base/stats.h"
#include "dma/domain.h"
#include "dma/shadow.h"

DEFINE_PER_CPU(struct siommu_stats, siommu_stats);

#define PG		4096UL
#define WINDOW_PAGES	SIOMMU_SHADOW_PAGES
/* Pages of 2 KiB buffers that a batch of them fills (SHADOW_BATCH 32). */
#define SHADOW_BATCH_PAGES	16

/* The stand-in page table: a window page's physical address, or 0. */
static u64 table[WINDOW_PAGES];
static unsigned int maps_done;
static long fail_map_after = -1;	/* maps left before one fails */

int siommu_domain_map_at(struct siommu_domain *dom, dma_addr_t iova,
			 phys_addr_t phys, size_t size, u64 prot,
			 unsigned int slot)
{
	u64 page = (iova - SIOMMU_SHADOW_BASE) / PG;

	if (fail_map_after == 0)
		return -ENOMEM;
	if (fail_map_after > 0)
		fail_map_after--;
	if (size != PG || prot != SIOMMU_PROT_RW ||
	    slot != SIOMMU_FALLBACK_SLOT || page >= WINDOW_PAGES ||
	    table[page])
		return -EINVAL;	/* checked: never expected */
	table[page] = phys;
	maps_done++;
	return 0;
}

/*
 * The ranges of splits: a second table above the window, from a
 * first-fit allocator over it, each page with the access it was given.
 */
#define SPLIT_BASE	0x100000000ULL
#define SPLIT_PAGES	256
static struct {
	u64 phys;
	u64 prot;
	bool allocated;
} split_table[SPLIT_PAGES];
static bool fail_runs;			/* the next map_runs fails */
static unsigned long pages_unmapped;
bool shim_xa_insert_fails;

dma_addr_t siommu_domain_alloc_iova(struct siommu_domain *dom,
				    unsigned long npages, u64 dma_mask,
				    unsigned int *slot)
{
	unsigned long first, i;

	*slot = 1;
	for (first = 0; first + npages <= SPLIT_PAGES; first++) {
		for (i = 0; i < npages; i++)
			if (split_table[first + i].allocated)
				break;
		if (i < npages)
			continue;
		for (i = 0; i < npages; i++)
			split_table[first + i].allocated = true;
		return SPLIT_BASE + first * PG;
	}
	return DMA_MAPPING_ERROR;
}

void siommu_domain_free_iova(struct siommu_domain *dom, dma_addr_t iova,
			     unsigned long npages, unsigned int slot)
{
	unsigned long first = (iova - SPLIT_BASE) / PG, i;

	for (i = 0; i < npages; i++) {
		EXPECT(split_table[first + i].allocated && slot == 1 &&
		       !split_table[first + i].phys, "free of %#llx",
		       (unsigned long long)iova);
		split_table[first + i].allocated = false;
	}
}

int siommu_domain_map_runs(struct siommu_domain *dom,
			   const struct siommu_run *runs, unsigned int n,
			   u64 prot, unsigned int slot)
{
	unsigned int r;
	u64 at;

	if (fail_runs) {
		fail_runs = false;
		return -ENOMEM;
	}
	for (r = 0; r < n; r++)
		for (at = 0; at < runs[r].size; at += PG) {
			u64 page = (runs[r].iova + at - SPLIT_BASE) / PG;

			EXPECT(page < SPLIT_PAGES &&
			       split_table[page].allocated &&
			       !split_table[page].phys, "map of %#llx",
			       (unsigned long long)(runs[r].iova + at));
			split_table[page].phys = runs[r].phys + at;
			split_table[page].prot = prot;
		}
	return 0;
}

/* Strict: the range is free again at once. */
void siommu_domain_unmap_pages(struct siommu_domain *dom, dma_addr_t iova,
			       unsigned long npages)
{
	unsigned long first = (iova - SPLIT_BASE) / PG, i;

	for (i = 0; i < npages; i++) {
		EXPECT(split_table[first + i].phys, "unmap of a mapped page");
		split_table[first + i].phys = 0;
		split_table[first + i].allocated = false;
	}
	pages_unmapped += npages;
}

/* The device's side: copy through the tables; false where it may not. */
static bool device_access(dma_addr_t iova, void *buf, size_t len, bool write)
{
	while (len) {
		u64 page = (iova - SIOMMU_SHADOW_BASE) / PG;
		size_t off = iova % PG, n = PG - off < len ? PG - off : len;
		u64 phys = 0;
		u8 *mem;

		if (siommu_shadow_window(iova)) {
			phys = table[page];
		} else if (iova >= SPLIT_BASE &&
			   iova < SPLIT_BASE + SPLIT_PAGES * PG) {
			page = (iova - SPLIT_BASE) / PG;
			if (split_table[page].prot &
			    (write ? SIOMMU_PROT_WRITE : SIOMMU_PROT_READ))
				phys = split_table[page].phys;
		}
		if (!phys)
			return false;
		mem = (u8 *)phys_to_virt(phys) + off;
		if (write)
			memcpy(mem, buf, n);
		else
			memcpy(buf, mem, n);
		iova += n;
		buf = (u8 *)buf + n;
		len -= n;
	}
	return true;
}

static unsigned long stat(enum siommu_stat s)
{
	return this_cpu_ptr(&siommu_stats)->v[s];
}

static spinlock_t lock;
static struct pci_dev pdev;
static struct siommu_domain dom = { .lock = &lock, .pdev = &pdev };

static u64 prot_of(enum dma_data_direction dir)
{
	return dir == DMA_TO_DEVICE ? SIOMMU_PROT_READ :
	       dir == DMA_FROM_DEVICE ? SIOMMU_PROT_WRITE : SIOMMU_PROT_RW;
}

/* A streaming map as dma_ops.c makes it, for a device of any mask. */
static dma_addr_t smap(phys_addr_t phys, size_t size,
		       enum dma_data_direction dir, unsigned long attrs)
{
	return siommu_shadow_map(&dom, phys, size, dir, prot_of(dir), ~0ULL,
				 attrs);
}

static void setup(unsigned int min_align_mask)
{
	memset(table, 0, sizeof(table));
	memset(split_table, 0, sizeof(split_table));
	pages_unmapped = 0;
	maps_done = 0;
	fail_map_after = -1;
	pdev.dev.min_align_mask = min_align_mask;
	dom.shadow = NULL;
	spin_lock(&lock);
	EXPECT(siommu_shadow_create(&dom) == 0 && dom.shadow, "pool made");
	EXPECT(siommu_shadow_create(&dom) == 0, "made once");
	spin_unlock(&lock);
}

static void teardown(void)
{
	siommu_shadow_free(dom.shadow);
	dom.shadow = NULL;
	EXPECT(shim_pages_outstanding() == 0, "%ld pages left",
	       shim_pages_outstanding());
	EXPECT(shim_kmalloc_outstanding() == 0, "%ld objects left",
	       shim_kmalloc_outstanding());
}

/* A page-aligned buffer of @pages pages, filled with @byte. */
static u8 *buffer(unsigned int pages, u8 byte)
{
	u8 *b = aligned_alloc(PG, pages * PG);

	memset(b, byte, pages * PG);
	return b;
}

static size_t count(const u8 *p, size_t len, u8 byte)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += p[i] == byte;
	return n;
}

/*
 * Bidirectional, 2 KiB in the middle of a page: the device reads the
 * caller's bytes and none of the page around them, writes over its whole
 * page, and only its bytes come back.
 */
static void test_bidirectional(void)
{
	u8 *b = buffer(1, 0x5e), dev[PG];
	phys_addr_t phys = virt_to_phys(b) + 1024;
	dma_addr_t iova;

	setup(0);
	memset(b + 1024, 0x11, 2048);
	iova = smap(phys, 2048, DMA_BIDIRECTIONAL, 0);
	EXPECT(iova != DMA_MAPPING_ERROR && siommu_shadow_window(iova),
	       "shadowed at %#llx", (unsigned long long)iova);
	EXPECT(iova % 2048 == 0, "a 2 KiB buffer on a 2 KiB boundary");
	EXPECT(siommu_shadow_in_use(&dom) == 1, "one in use");
	EXPECT(device_access(iova & ~(PG - 1), dev, PG, false),
	       "its page is mapped");
	EXPECT(count(dev, PG, 0x5e) == 0, "no byte of the page around it");
	EXPECT(count(dev, PG, SHIM_STALE_BYTE) == 0,
	       "nor what the shadow's page held before");
	EXPECT(count(dev + (iova % PG), 2048, 0x11) == 2048,
	       "the caller's bytes arrived");
	memset(dev, 0x77, PG);
	EXPECT(device_access(iova & ~(PG - 1), dev, PG, true), "written");
	siommu_shadow_unmap(&dom, iova, 2048, DMA_BIDIRECTIONAL, 0);
	EXPECT(count(b + 1024, 2048, 0x77) == 2048, "its bytes came back");
	EXPECT(count(b, 1024, 0x5e) == 1024 &&
	       count(b + 3072, 1024, 0x5e) == 1024, "nothing else changed");
	EXPECT(siommu_shadow_in_use(&dom) == 0, "none in use");
	EXPECT(stat(SIOMMU_STAT_SHADOW_BYTES) >= 4096, "bytes counted");
	free(b);
	teardown();
}

/*
 * DMA_FROM_DEVICE: copied in at map too, so a device that writes half of
 * its buffer leaves the caller's bytes in the other half, not what the
 * buffer held for an earlier mapping.  DMA_TO_DEVICE: nothing comes back.
 */
static void test_directions(void)
{
	u8 *b = buffer(1, 0x22), half[32];
	phys_addr_t phys = virt_to_phys(b);
	dma_addr_t iova, again;

	setup(0);
	iova = smap(phys, 64, DMA_TO_DEVICE, 0);
	memset(half, 0x99, 32);
	device_access(iova, half, 32, true);	/* a write it may not make */
	siommu_shadow_unmap(&dom, iova, 64, DMA_TO_DEVICE, 0);
	EXPECT(count(b, 64, 0x22) == 64, "to-device: nothing copied out");

	memset(b, 0x33, 64);
	again = smap(phys, 64, DMA_FROM_DEVICE, 0);
	EXPECT(again == iova, "the buffer reused at once: %#llx",
	       (unsigned long long)again);
	EXPECT(maps_done == 1, "no new mapping: %u", maps_done);
	memset(half, 0x44, 32);
	device_access(again, half, 32, true);
	siommu_shadow_unmap(&dom, again, 64, DMA_FROM_DEVICE, 0);
	EXPECT(count(b, 32, 0x44) == 32 && count(b + 32, 32, 0x33) == 32,
	       "half written, the other half the caller's");

	/* DMA_ATTR_SKIP_CPU_SYNC: no copy either way. */
	memset(b, 0x55, 64);
	iova = smap(phys, 64, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	device_access(iova, half, 32, false);
	EXPECT(count(half, 32, 0x55) == 0, "not copied in");
	siommu_shadow_unmap(&dom, iova, 64, DMA_BIDIRECTIONAL,
			    DMA_ATTR_SKIP_CPU_SYNC);
	EXPECT(count(b, 64, 0x55) == 64, "not copied out");
	free(b);
	teardown();
}

/* Syncs copy the part they name, the way the direction allows. */
static void test_sync(void)
{
	u8 *b = buffer(1, 0x10), dev[256];
	phys_addr_t phys = virt_to_phys(b) + 100;
	dma_addr_t iova;

	setup(0);
	iova = smap(phys, 256, DMA_BIDIRECTIONAL, 0);
	memset(dev, 0x66, sizeof(dev));
	device_access(iova, dev, 256, true);
	siommu_shadow_sync(&dom, iova + 16, 32, DMA_BIDIRECTIONAL, false);
	EXPECT(count(b + 100 + 16, 32, 0x66) == 32 &&
	       count(b + 100, 16, 0x10) == 16 &&
	       count(b + 100 + 48, 208, 0x10) == 208,
	       "for the CPU: those 32 bytes only");
	memset(b + 100, 0x12, 256);
	siommu_shadow_sync(&dom, iova, 256, DMA_FROM_DEVICE, true);
	device_access(iova, dev, 256, false);
	EXPECT(count(dev, 256, 0x12) == 0, "for the device, from-device: none");
	siommu_shadow_sync(&dom, iova, 256, DMA_BIDIRECTIONAL, true);
	device_access(iova, dev, 256, false);
	EXPECT(count(dev, 256, 0x12) == 256, "bidirectional: copied in");
	siommu_shadow_sync(&dom, iova + 200, 100, DMA_BIDIRECTIONAL, false);
	EXPECT(count(b + 100, 256, 0x12) == 256, "past its end: ignored");
	siommu_shadow_unmap(&dom, iova, 256, DMA_TO_DEVICE, 0);
	free(b);
	teardown();
}

/*
 * A device with a 4 KiB minimum alignment (NVMe) gets its 4 KiB at the
 * caller's offset in its page: an 8 KiB buffer, two pages, both copied.
 */
static void test_min_align(void)
{
	u8 *b = buffer(2, 0x01), dev[PG];
	phys_addr_t phys = virt_to_phys(b) + 512;
	dma_addr_t iova;
	unsigned int i;

	setup(PG - 1);
	for (i = 0; i < PG; i++)
		b[512 + i] = (u8)i;
	iova = smap(phys, PG, DMA_BIDIRECTIONAL, 0);
	EXPECT(iova != DMA_MAPPING_ERROR && iova % PG == 512,
	       "offset kept: %#llx", (unsigned long long)iova);
	EXPECT(maps_done == 2, "an 8 KiB buffer, two pages: %u", maps_done);
	EXPECT(device_access(iova, dev, PG, false), "reachable");
	for (i = 0; i < PG && dev[i] == (u8)i; i++)
		;
	EXPECT(i == PG, "across the page boundary: first bad byte %u", i);
	memset(dev, 0xee, PG);
	device_access(iova, dev, PG, true);
	siommu_shadow_unmap(&dom, iova, PG, DMA_FROM_DEVICE, 0);
	EXPECT(count(b + 512, PG, 0xee) == PG && count(b, 512, 0x01) == 512,
	       "back across it, nothing before it touched");
	/* A wrong handle: the buffer's start, not the caller's byte. */
	iova = smap(phys, PG, DMA_BIDIRECTIONAL, 0);
	siommu_shadow_unmap(&dom, iova - 512, PG, DMA_BIDIRECTIONAL, 0);
	EXPECT(siommu_shadow_in_use(&dom) == 1, "refused: still in use");
	siommu_shadow_unmap(&dom, iova, PG, DMA_BIDIRECTIONAL, 0);
	EXPECT(siommu_shadow_in_use(&dom) == 0, "then given back");
	free(b);
	teardown();
}

/* Refusals: the window full, a failed map; nothing leaks. */
static void test_limits(void)
{
	static dma_addr_t iovas[WINDOW_PAGES / 16 + 1];
	u8 *b = buffer(17, 0x00);
	unsigned int i, n = 0;

	setup(0);
	fail_map_after = 1;	/* the second page of a 64 KiB chunk fails */
	EXPECT(smap(virt_to_phys(b), 65535, DMA_BIDIRECTIONAL, 0) ==
	       DMA_MAPPING_ERROR, "a map that fails is refused");
	fail_map_after = -1;
	EXPECT(siommu_shadow_in_use(&dom) == 0, "nothing in use");

	/* 16-page buffers until the window is full. */
	for (i = 0; i < sizeof(iovas) / sizeof(iovas[0]); i++) {
		iovas[i] = smap(virt_to_phys(b), 40000, DMA_TO_DEVICE, 0);
		if (iovas[i] == DMA_MAPPING_ERROR)
			break;
		n++;
	}
	/* The failed chunk's 16 pages stay carved: one fewer. */
	EXPECT(n == WINDOW_PAGES / 16 - 1, "%u of 64 KiB fit", n);
	EXPECT(siommu_shadow_in_use(&dom) == n, "%lu in use",
	       siommu_shadow_in_use(&dom));
	for (i = 0; i < n; i++)
		EXPECT(iovas[i] % 65536 == 0, "buffer %u aligned", i);
	for (i = 0; i < n; i++)
		siommu_shadow_unmap(&dom, iovas[i], 40000, DMA_TO_DEVICE, 0);
	EXPECT(siommu_shadow_in_use(&dom) == 0, "all back");
	EXPECT(smap(virt_to_phys(b), 40000, DMA_TO_DEVICE, 0) !=
	       DMA_MAPPING_ERROR,
	       "and served again from the lists");
	free(b);
	teardown();
}

/*
 * One CPU maps, another unmaps (a NIC's transmit and its completion):
 * the buffers must come back to the mapping CPU through the depot, not
 * pile up on the other while the pool grows to the window's end.
 */
static void test_cross_cpu(void)
{
	u8 *b = buffer(1, 0x00);
	unsigned long refused = stat(SIOMMU_STAT_SHADOW_REFUSED);
	dma_addr_t iova[8];
	unsigned int round, i;
	bool ok = true;

	setup(0);
	for (round = 0; round < 20000; round++) {
		shim_set_cpu(0);
		for (i = 0; i < 8; i++) {
			iova[i] = smap(virt_to_phys(b) + 8, 2000,
				       DMA_TO_DEVICE, 0);
			ok &= iova[i] != DMA_MAPPING_ERROR;
		}
		shim_set_cpu(1);
		for (i = 0; i < 8; i++)
			siommu_shadow_unmap(&dom, iova[i], 2000, DMA_TO_DEVICE,
					    0);
	}
	shim_set_cpu(0);
	EXPECT(ok && stat(SIOMMU_STAT_SHADOW_REFUSED) == refused,
	       "160,000 maps, none refused");
	/* 2 KiB buffers, two a page: at most the lists' and depot's worth. */
	EXPECT(maps_done <= 3 * SHADOW_BATCH_PAGES, "%u pages mapped",
	       maps_done);
	EXPECT(siommu_shadow_in_use(&dom) == 0, "none in use");
	free(b);
	teardown();
}

/* Bytes the device reads of the page of @iova equal to @byte. */
static size_t device_page_count(dma_addr_t iova, u8 byte)
{
	u8 page[PG];

	if (!device_access(iova & ~(PG - 1), page, PG, false))
		return (size_t)-1;
	return count(page, PG, byte);
}

/*
 * Larger than a shadow buffer: 72 KiB (18 pages) 100 bytes into a page
 * of secret bytes spans 19 pages.  The 17 whole ones are mapped in place;
 * each end page is the pool's, with the caller's bytes and zeros.  The
 * device reaches the given bytes and no secret one, its writes to them
 * land (at once in place, at unmap at the ends) and nowhere else.
 */
static void test_split(void)
{
	const size_t at = 100, size = 18 * PG;
	u8 *b = buffer(20, 0x5e), pattern[PG];
	phys_addr_t phys = virt_to_phys(b) + at;
	unsigned long maps = stat(SIOMMU_STAT_SHADOW_MAPS);
	unsigned long splits = stat(SIOMMU_STAT_SHADOW_SPLITS);
	dma_addr_t iova, last;

	setup(0);
	memset(b + at, 0x11, size);
	iova = smap(phys, size, DMA_BIDIRECTIONAL, 0);
	EXPECT(iova != DMA_MAPPING_ERROR && !siommu_shadow_window(iova) &&
	       iova % PG == at, "split at %#llx", (unsigned long long)iova);
	EXPECT(siommu_shadow_handle(&dom, iova), "known as a shadow mapping");
	EXPECT(stat(SIOMMU_STAT_SHADOW_MAPS) == maps + 1 &&
	       stat(SIOMMU_STAT_SHADOW_SPLITS) == splits + 1, "counted");
	EXPECT(siommu_shadow_in_use(&dom) == 0,
	       "no buffer in use: its range is the allocator's");
	last = iova + size - 1;
	/* What it can read: the given bytes, zeros, no secret. */
	EXPECT(device_page_count(iova, 0x11) == PG - at &&
	       device_page_count(iova, 0x00) == at, "first page");
	EXPECT(device_page_count(iova + PG, 0x11) == PG, "a middle page");
	EXPECT(device_page_count(last, 0x11) == at &&
	       device_page_count(last, 0x00) == PG - at, "last page");
	EXPECT(split_table[1].phys == virt_to_phys(b) + PG,
	       "the middle is the caller's own memory");

	/* It writes over all its pages. */
	memset(pattern, 0x77, PG);
	device_access(iova & ~(PG - 1), pattern, PG, true);
	device_access(iova - at + 5 * PG, pattern, PG, true);
	device_access(last & ~(PG - 1), pattern, PG, true);
	EXPECT(count(b + 5 * PG, PG, 0x77) == PG, "in place: at once");
	EXPECT(count(b + at, PG - at, 0x11) == PG - at,
	       "an end page: not before the unmap");
	siommu_shadow_unmap(&dom, iova, size, DMA_BIDIRECTIONAL, 0);
	EXPECT(count(b + at, PG - at, 0x77) == PG - at &&
	       count(b + 18 * PG, at, 0x77) == at, "its ends came back");
	EXPECT(count(b, at, 0x5e) == at &&
	       count(b + 18 * PG + at, PG - at, 0x5e) == PG - at,
	       "no secret byte around it changed");
	EXPECT(pages_unmapped == 19, "its 19 pages unmapped");
	EXPECT(!siommu_shadow_handle(&dom, iova), "and forgotten");

	/* Again, at the start of a page: its end pages are reused, zeroed. */
	memset(b, 0x22, 20 * PG);
	iova = smap(virt_to_phys(b), size + 1, DMA_TO_DEVICE, 0);
	EXPECT(iova % PG == 0 && split_table[0].phys == virt_to_phys(b),
	       "a whole first page is the caller's");
	EXPECT(device_page_count(iova + size, 0x22) == 1 &&
	       device_page_count(iova + size, 0x00) == PG - 1,
	       "the spare end page holds one byte, zeros else");
	EXPECT(!device_access(iova + PG, pattern, 16, true) &&
	       !device_access(iova + size, pattern, 1, true),
	       "to the device: no writes, in place or at the end");
	siommu_shadow_unmap(&dom, iova, size + 1, DMA_TO_DEVICE, 0);
	EXPECT(count(b, 20 * PG, 0x22) == 20 * PG, "nothing came back");
	free(b);
	teardown();
}

/* Syncs reach the end pages through either end of the range. */
static void test_split_sync(void)
{
	const size_t at = 3000, size = 70000;
	u8 *b = buffer(20, 0x00), dev[64];
	dma_addr_t iova;
	size_t tail;

	setup(0);
	iova = smap(virt_to_phys(b) + at, size, DMA_FROM_DEVICE, 0);
	tail = (at + size) % PG;
	memset(dev, 0x33, sizeof(dev));
	/* The device writes the first and the last 64 bytes it was given. */
	device_access(iova, dev, 64, true);
	device_access(iova + size - 64, dev, 64, true);
	/* A sync of the last 64 bytes alone, from inside the last page. */
	siommu_shadow_sync(&dom, iova + size - 64, 64, DMA_FROM_DEVICE, false);
	EXPECT(count(b + at + size - 64, 64, 0x33) == 64,
	       "the tail's bytes came to the CPU");
	EXPECT(count(b + at, 64, 0x33) == 0, "the head's not yet");
	/* From a middle page into the last. */
	EXPECT(tail >= 64, "the tail page holds %zu bytes", tail);
	memset(dev, 0x55, sizeof(dev));
	device_access(iova + size - 64, dev, 64, true);
	siommu_shadow_sync(&dom, iova + PG, size - PG, DMA_FROM_DEVICE, false);
	EXPECT(count(b + at + size - 64, 64, 0x55) == 64,
	       "found by its last page");
	siommu_shadow_sync(&dom, iova, 64, DMA_FROM_DEVICE, false);
	EXPECT(count(b + at, 64, 0x33) == 64, "then the head's");
	/* Past the mapping: refused. */
	memset(b + at, 0x44, 64);
	siommu_shadow_sync(&dom, iova, size + 1, DMA_FROM_DEVICE, false);
	EXPECT(count(b + at, 64, 0x44) == 64, "a sync past its end: nothing");
	/* A bad unmap (the wrong size) leaves it mapped. */
	siommu_shadow_unmap(&dom, iova, size - 1, DMA_FROM_DEVICE, 0);
	EXPECT(siommu_shadow_handle(&dom, iova) && !pages_unmapped,
	       "the wrong size: refused");
	siommu_shadow_unmap(&dom, iova, size, DMA_FROM_DEVICE,
			    DMA_ATTR_SKIP_CPU_SYNC);
	EXPECT(count(b + at, 64, 0x44) == 64, "SKIP_CPU_SYNC: no copy out");
	EXPECT(!siommu_shadow_handle(&dom, iova) && pages_unmapped == 18,
	       "then unmapped");
	free(b);
	teardown();
}

/*
 * A split that cannot be made leaves nothing behind; one the driver
 * never unmapped goes with the pool.
 */
static void test_split_failures(void)
{
	unsigned long refused = stat(SIOMMU_STAT_SHADOW_REFUSED);
	u8 *b = buffer(250, 0x00);
	dma_addr_t iova;
	unsigned int i;

	setup(0);
	fail_runs = true;
	EXPECT(smap(virt_to_phys(b) + 1, 20 * PG, DMA_BIDIRECTIONAL, 0) ==
	       DMA_MAPPING_ERROR, "a map of its runs fails: refused");
	shim_xa_insert_fails = true;
	EXPECT(smap(virt_to_phys(b) + 1, 20 * PG, DMA_BIDIRECTIONAL, 0) ==
	       DMA_MAPPING_ERROR, "no room in the record: refused");
	EXPECT(pages_unmapped == 21, "what it had mapped, unmapped");
	EXPECT(stat(SIOMMU_STAT_SHADOW_REFUSED) == refused + 2, "counted");
	for (i = 0; i < SPLIT_PAGES; i++)
		EXPECT(!split_table[i].allocated, "IOVA page %u free", i);
	iova = smap(virt_to_phys(b) + 1, 20 * PG, DMA_BIDIRECTIONAL, 0);
	EXPECT(iova != DMA_MAPPING_ERROR, "then it maps");
	/* 241 pages where 235 are free. */
	EXPECT(smap(virt_to_phys(b) + 1, 240 * PG, DMA_BIDIRECTIONAL, 0) ==
	       DMA_MAPPING_ERROR, "no IOVA space: refused");
	EXPECT(stat(SIOMMU_STAT_SHADOW_REFUSED) == refused + 3, "counted");
	EXPECT(siommu_shadow_handle(&dom, iova), "the first still mapped");
	free(b);
	teardown();	/* the pool frees the split left mapped */
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_bidirectional),
	HARNESS_CASE(test_directions),
	HARNESS_CASE(test_sync),
	HARNESS_CASE(test_min_align),
	HARNESS_CASE(test_limits),
	HARNESS_CASE(test_cross_cpu),
	HARNESS_CASE(test_split),
	HARNESS_CASE(test_split_sync),
	HARNESS_CASE(test_split_failures),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
