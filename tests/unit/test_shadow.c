// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the shadow buffers of protection=subpage (src/dma/shadow.c),
 * over a stand-in domain (shadow_shim/dma/domain.h) whose page table is
 * the record below of what the pool mapped.  The "device" reads and
 * writes through that record, so what a test sees is what a device could
 * reach: the caller's bytes arrive in the shadow, come back at unmap and
 * sync, only where the direction says; nothing outside the buffer moves;
 * buffers are reused without a new mapping; the device's minimum
 * alignment is kept across a page boundary; too large a mapping, a full
 * window and a failed map are refused with nothing left behind.
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

/* The device's side: copy through the table; false where unmapped. */
static bool device_access(dma_addr_t iova, void *buf, size_t len, bool write)
{
	while (len) {
		u64 page = (iova - SIOMMU_SHADOW_BASE) / PG;
		size_t off = iova % PG, n = PG - off < len ? PG - off : len;
		u8 *mem;

		if (!siommu_shadow_window(iova) || !table[page])
			return false;
		mem = (u8 *)phys_to_virt(table[page]) + off;
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

static void setup(unsigned int min_align_mask)
{
	memset(table, 0, sizeof(table));
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
	iova = siommu_shadow_map(&dom, phys, 2048, DMA_BIDIRECTIONAL, 0);
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
	iova = siommu_shadow_map(&dom, phys, 64, DMA_TO_DEVICE, 0);
	memset(half, 0x99, 32);
	device_access(iova, half, 32, true);	/* a write it may not make */
	siommu_shadow_unmap(&dom, iova, 64, DMA_TO_DEVICE, 0);
	EXPECT(count(b, 64, 0x22) == 64, "to-device: nothing copied out");

	memset(b, 0x33, 64);
	again = siommu_shadow_map(&dom, phys, 64, DMA_FROM_DEVICE, 0);
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
	iova = siommu_shadow_map(&dom, phys, 64, DMA_BIDIRECTIONAL,
				 DMA_ATTR_SKIP_CPU_SYNC);
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
	iova = siommu_shadow_map(&dom, phys, 256, DMA_BIDIRECTIONAL, 0);
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
	iova = siommu_shadow_map(&dom, phys, PG, DMA_BIDIRECTIONAL, 0);
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
	iova = siommu_shadow_map(&dom, phys, PG, DMA_BIDIRECTIONAL, 0);
	siommu_shadow_unmap(&dom, iova - 512, PG, DMA_BIDIRECTIONAL, 0);
	EXPECT(siommu_shadow_in_use(&dom) == 1, "refused: still in use");
	siommu_shadow_unmap(&dom, iova, PG, DMA_BIDIRECTIONAL, 0);
	EXPECT(siommu_shadow_in_use(&dom) == 0, "then given back");
	free(b);
	teardown();
}

/* Refusals: too large, the window full, a failed map; nothing leaks. */
static void test_limits(void)
{
	static dma_addr_t iovas[WINDOW_PAGES / 16 + 1];
	u8 *b = buffer(17, 0x00);
	unsigned long refused = stat(SIOMMU_STAT_SHADOW_REFUSED);
	unsigned int i, n = 0;

	setup(0);
	EXPECT(siommu_shadow_map(&dom, virt_to_phys(b) + 1, 65537,
				 DMA_BIDIRECTIONAL, 0) == DMA_MAPPING_ERROR,
	       "64 KiB and a byte: too large");
	EXPECT(stat(SIOMMU_STAT_SHADOW_REFUSED) == refused + 1, "counted");

	fail_map_after = 1;	/* the second page of a 64 KiB chunk fails */
	EXPECT(siommu_shadow_map(&dom, virt_to_phys(b), 65535,
				 DMA_BIDIRECTIONAL, 0) == DMA_MAPPING_ERROR,
	       "a map that fails is refused");
	fail_map_after = -1;
	EXPECT(siommu_shadow_in_use(&dom) == 0, "nothing in use");

	/* 16-page buffers until the window is full. */
	for (i = 0; i < sizeof(iovas) / sizeof(iovas[0]); i++) {
		iovas[i] = siommu_shadow_map(&dom, virt_to_phys(b), 40000,
					     DMA_TO_DEVICE, 0);
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
	EXPECT(siommu_shadow_map(&dom, virt_to_phys(b), 40000, DMA_TO_DEVICE,
				 0) != DMA_MAPPING_ERROR,
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
			iova[i] = siommu_shadow_map(&dom, virt_to_phys(b) + 8,
						    2000, DMA_TO_DEVICE, 0);
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

static const struct harness_case cases[] = {
	HARNESS_CASE(test_bidirectional),
	HARNESS_CASE(test_directions),
	HARNESS_CASE(test_sync),
	HARNESS_CASE(test_min_align),
	HARNESS_CASE(test_limits),
	HARNESS_CASE(test_cross_cpu),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
