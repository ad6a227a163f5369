// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the "identity" allocator (src/dma/iova/identity.c, with
 * src/vtd/pgtable.c), compiled unchanged over the shim.  Built twice: with
 * ASan+UBSan, and with TSan for the concurrent test.
 *
 * The shim's direct map is 2^47 bytes, too much for three copies in a
 * 48-bit table: these tests make it 64 GiB (2^24 pages) and serve the
 * second eighth of a 48-bit space, as the domain's slot 1 would.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "shim.h"
#include <linux/container_of.h>
#include <linux/gfp.h>

#include "dma/iova/allocator.h"
#include "dma/iova/direct_map.h"
#include "dma/xlate/backend.h"
#include "vtd/pgtable.h"

#define PG		VTD_PAGE_SIZE
#define R		VTD_PTE_READ
#define W		VTD_PTE_WRITE
#define RW		(R | W)
#define TAG		VTD_PTE_TAG(1)
#define PHYS_PAGES	(1UL << 24)
#define LO		(1UL << 33)
#define HI		((1UL << 34) - 1)
/* Where each region starts, in that space. */
#define REG_R		LO
#define REG_W		(LO + PHYS_PAGES)
#define REG_RW		(LO + 2 * PHYS_PAGES)
#define NOLIMIT		(~0UL)

static const struct siommu_iova_ops *ops = &siommu_iova_identity_ops;

struct fixture {
	struct vtd_pgtable pt;
	struct siommu_xlate xl;		/* the counted leaves of pt */
	struct siommu_iova *iova;
};

/* The translation seam's counted leaves over pt, as src/dma/xlate/vtd.c. */
static int fx_share(struct siommu_xlate *xl, u64 iova, u64 phys,
		    unsigned long npages, u64 prot, unsigned int tag,
		    bool *cleared)
{
	struct fixture *f = container_of(xl, struct fixture, xl);

	return vtd_pgtable_share(&f->pt, iova, phys, npages,
				 prot | VTD_PTE_TAG(tag), cleared);
}

static int fx_unshare(struct siommu_xlate *xl, u64 iova, u64 phys,
		      unsigned long npages, u64 prot,
		      struct siommu_unmapped *what)
{
	struct fixture *f = container_of(xl, struct fixture, xl);

	return vtd_pgtable_unshare(&f->pt, iova, phys, npages, prot,
				   &what->tables);
}

/* What a policy does once its invalidation is done. */
static void fx_free_tables(struct siommu_xlate *xl, struct page *tables)
{
	vtd_pgtable_free_tables(tables);
}

static const struct siommu_xlate_ops fx_xlate_ops = {
	.name = "test",
	.share = fx_share,
	.unshare = fx_unshare,
	.free_tables = fx_free_tables,
};

/* The ops table's map, with the tag in @prot's VTD_PTE_TAG bits. */
static unsigned long map_tagged(struct fixture *f, u64 phys, unsigned long n,
				u64 prot, unsigned long limit,
				unsigned long *inval)
{
	return ops->map(f->iova, &f->xl, phys, n, prot & ~VTD_PTE_TAG_MASK,
			VTD_PTE_TAG_OF(prot), limit, inval);
}

static void setup(struct fixture *f, bool coherent)
{
	shim_set_cpu(0);
	vtd_pgtable_init(&f->pt, 4, coherent);
	f->xl = (struct siommu_xlate){ .ops = &fx_xlate_ops };
	f->iova = ops->create(LO, HI);
	if (!f->iova)
		abort();
}

static void teardown(struct fixture *f)
{
	ops->destroy(f->iova);
	vtd_pgtable_destroy(&f->pt);
	EXPECT(shim_kmalloc_outstanding() == 0, "leaked %ld objects",
	       shim_kmalloc_outstanding());
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

static unsigned long map(struct fixture *f, u64 phys, unsigned long n,
			 u64 prot)
{
	unsigned long inval = 1;
	unsigned long pfn = map_tagged(f, phys, n, prot,
					  NOLIMIT, &inval);

	EXPECT(inval == 0, "inval_pfn %#lx after map of %#llx", inval,
	       (unsigned long long)phys);
	return pfn;
}

/* Unmap, and free the tables it emptied as the policy would. */
static bool unmap(struct fixture *f, unsigned long pfn, unsigned long n)
{
	struct siommu_unmapped what = { };
	bool ret = ops->unmap(f->iova, &f->xl, pfn, n, &what);

	siommu_xlate_free_tables(&f->xl, what.tables);
	return ret;
}

static u64 pte_of(struct fixture *f, unsigned long pfn)
{
	return vtd_pgtable_pte(&f->pt, (u64)pfn << VTD_PAGE_SHIFT);
}

static unsigned int refs(struct fixture *f, unsigned long pfn)
{
	return VTD_PTE_REFS_OF(pte_of(f, pfn));
}

static void test_space(void)
{
	unsigned long need = 3 * PHYS_PAGES, lo1 = LO + 1;
	struct siommu_iova *i;

	EXPECT(ops->check_space(LO, HI) == 0, "slot 1 of 48 bits");
	EXPECT(ops->check_space(LO, LO + need - 1) == 0, "exact fit");
	EXPECT(ops->check_space(LO, LO + need - 2) == -ERANGE, "a page short");
	/* An unaligned start moves the regions up to the next 1 GiB. */
	EXPECT(ops->check_space(lo1, LO + need - 1) == -ERANGE,
	       "unaligned start, no room");
	EXPECT(ops->check_space(lo1, LO + (1UL << 18) + need - 1) == 0,
	       "unaligned start, room");
	EXPECT(ops->check_space(HI, LO) == -ERANGE, "inverted");
	EXPECT(ops->create(LO, LO + need - 2) == NULL, "create refuses too");
	i = ops->create(1, need + (1UL << 18) - 1);
	EXPECT(i != NULL, "from pfn 1");
	if (i)
		ops->destroy(i);
	shim_direct_map_bytes = 1UL << 47;
	EXPECT(ops->check_space(LO, HI) == -ERANGE,
	       "2^47 bytes three times: not in 2^33 pages");
	shim_direct_map_bytes = PHYS_PAGES * PG;
	EXPECT(ops->alloc == NULL || ops->alloc(NULL, 1, NOLIMIT) == 0,
	       "alloc never serves");
}

/* IOVA = region + phys; each region's entry carries exactly its rights. */
static void test_regions(void)
{
	const u64 phys = 0x12345000ULL;
	const unsigned long ppfn = phys >> VTD_PAGE_SHIFT;
	const u64 rights[3] = { R, W, RW };
	const unsigned long base[3] = { REG_R, REG_W, REG_RW };
	struct fixture f;
	unsigned int r;
	u64 prot, pte;

	setup(&f, true);
	for (r = 0; r < 3; r++) {
		unsigned long pfn = map(&f, phys, 1, rights[r] | TAG);

		EXPECT(pfn == base[r] + ppfn, "region %u: pfn %#lx", r, pfn);
		pte = pte_of(&f, pfn);
		EXPECT((pte & VTD_PTE_ADDR_MASK) == phys, "region %u: address",
		       r);
		EXPECT((pte & RW) == rights[r], "region %u: rights %#llx", r,
		       (unsigned long long)(pte & RW));
		EXPECT(VTD_PTE_TAG_OF(pte) == 1 && VTD_PTE_REFS_OF(pte) == 1,
		       "region %u: tag and count", r);
		EXPECT(vtd_pgtable_lookup(&f.pt, ((u64)pfn << 12) + 0x80,
					  &prot) == phys + 0x80 &&
		       prot == rights[r], "region %u: translates", r);
	}
	/* The read-only copy did not gain write from the other two. */
	EXPECT((pte_of(&f, REG_R + ppfn) & W) == 0, "read-only stays so");
	EXPECT((pte_of(&f, REG_W + ppfn) & R) == 0, "write-only stays so");
	EXPECT(pte_of(&f, REG_R + ppfn + 1) == 0, "next page untouched");
	EXPECT(ops->outstanding(f.iova) == 3, "3 out");
	/* Page 0 and the last page of physical space. */
	EXPECT(map(&f, 0, 1, R | TAG) == REG_R, "page 0");
	EXPECT(map(&f, (u64)(PHYS_PAGES - 2) * PG, 2, RW | TAG) ==
	       REG_RW + PHYS_PAGES - 2, "last pages");
	for (r = 0; r < 3; r++)
		EXPECT(unmap(&f, base[r] + ppfn, 1), "unmap region %u", r);
	EXPECT(unmap(&f, REG_R, 1), "unmap page 0");
	EXPECT(unmap(&f, REG_RW + PHYS_PAGES - 2, 2), "unmap last");
	EXPECT(pte_of(&f, REG_RW + ppfn) == 0, "cleared");
	/* Each unmap cleared: the policy's free finishes each. */
	EXPECT(ops->outstanding(f.iova) == 5, "5 await free");
	for (r = 0; r < 3; r++)
		EXPECT(ops->free(f.iova, base[r] + ppfn, 1) == 0, "free %u", r);
	EXPECT(ops->free(f.iova, REG_R, 1) == 0, "free page 0");
	EXPECT(ops->free(f.iova, REG_RW + PHYS_PAGES - 2, 2) == 0, "free last");
	EXPECT(ops->outstanding(f.iova) == 0, "none out");
	EXPECT(ops->free(f.iova, LO - 1, 1) == -EINVAL, "below the regions");
	EXPECT(ops->free(f.iova, REG_RW + PHYS_PAGES, 1) == -EINVAL,
	       "above the regions");
	EXPECT(ops->free(f.iova, REG_RW + PHYS_PAGES - 1, 2) == -EINVAL,
	       "running out of them");
	teardown(&f);
}

static void test_refcount(void)
{
	const u64 phys = 0x80000000ULL;
	const unsigned long p = REG_RW + (phys >> VTD_PAGE_SHIFT);
	struct fixture f;

	setup(&f, true);
	/* Two sub-page buffers of one page, and the same buffer again. */
	EXPECT(map(&f, phys, 1, RW | TAG) == p, "first");
	EXPECT(map(&f, phys, 1, RW | TAG) == p, "second shares");
	EXPECT(map(&f, phys, 1, RW | TAG) == p, "third shares");
	EXPECT(refs(&f, p) == 3, "count 3: %u", refs(&f, p));
	EXPECT(ops->outstanding(f.iova) == 3, "3 out");
	EXPECT(!unmap(&f, p, 1) && refs(&f, p) == 2, "3 -> 2: kept");
	EXPECT(!unmap(&f, p, 1) && refs(&f, p) == 1, "2 -> 1: kept");
	EXPECT(ops->outstanding(f.iova) == 1, "1 out");
	EXPECT((pte_of(&f, p) & VTD_PTE_ADDR_MASK) == phys && VTD_PTE_TAG_OF(
	       pte_of(&f, p)) == 1, "still present, tag kept");
	EXPECT(unmap(&f, p, 1), "1 -> 0: cleared");
	EXPECT(pte_of(&f, p) == 0, "whole entry clear");
	EXPECT(ops->outstanding(f.iova) == 1, "until the free");
	ops->free(f.iova, p, 1);
	EXPECT(ops->outstanding(f.iova) == 0, "freed");

	/* Overlapping ranges: [p, p+3) and [p+2, p+5). */
	EXPECT(map(&f, phys, 3, RW | TAG) == p, "a");
	EXPECT(map(&f, phys + 2 * PG, 3, RW | TAG) == p + 2, "b");
	EXPECT(refs(&f, p) == 1 && refs(&f, p + 2) == 2 && refs(&f, p + 4) == 1,
	       "counts 1 1 2 1 1");
	EXPECT(unmap(&f, p, 3), "a: its own pages cleared");
	EXPECT(pte_of(&f, p) == 0 && pte_of(&f, p + 1) == 0 &&
	       refs(&f, p + 2) == 1, "shared page kept");
	EXPECT(unmap(&f, p + 2, 3), "b");
	EXPECT(pte_of(&f, p + 2) == 0 && pte_of(&f, p + 4) == 0, "all clear");
	ops->free(f.iova, p, 3);
	ops->free(f.iova, p + 2, 3);
	EXPECT(ops->outstanding(f.iova) == 0, "none out");

	/* A range over a leaf-table boundary. */
	EXPECT(map(&f, 0x1ff000, 4, R | TAG) == REG_R + 0x1ff, "straddle");
	EXPECT(refs(&f, REG_R + 0x1ff) == 1 && refs(&f, REG_R + 0x202) == 1,
	       "both leaves");
	EXPECT(unmap(&f, REG_R + 0x1ff, 4), "straddle unmapped");
	EXPECT(pte_of(&f, REG_R + 0x200) == 0, "second leaf clear");
	ops->free(f.iova, REG_R + 0x1ff, 4);
	teardown(&f);
}

static void test_saturation(void)
{
	const u64 phys = 0x40000000ULL;
	const unsigned long p = REG_R + (phys >> VTD_PAGE_SHIFT);
	unsigned long i, ok = 0, inval;
	struct fixture f;

	setup(&f, true);
	for (i = 0; i < VTD_PTE_REFS_MAX; i++)
		if (map(&f, phys, 1, R | TAG) == p)
			ok++;
	EXPECT(ok == VTD_PTE_REFS_MAX, "%lu maps", ok);
	EXPECT(refs(&f, p) == VTD_PTE_REFS_MAX, "count at max");
	EXPECT(map(&f, phys, 1, R | TAG) == 0, "one more: refused");
	EXPECT(refs(&f, p) == VTD_PTE_REFS_MAX && VTD_PTE_TAG_OF(pte_of(&f, p))
	       == 1 && (pte_of(&f, p) & VTD_PTE_ADDR_MASK) == phys,
	       "nothing overflowed into tag or address");
	EXPECT(ops->outstanding(f.iova) == VTD_PTE_REFS_MAX, "failure not counted");
	/* Other rights of the same page are other entries: fine. */
	EXPECT(map(&f, phys, 1, RW | TAG) != 0, "read-write copy");

	/* Saturated second page: the first page's reference is given back. */
	EXPECT(map(&f, phys - PG, 1, R | TAG) == p - 1, "page before, once");
	EXPECT(map(&f, phys - PG, 2, R | TAG) == 0, "range over it: refused");
	EXPECT(refs(&f, p - 1) == 1, "rolled back to 1: %u", refs(&f, p - 1));
	/* Its first page fresh: the roll-back clears it, and says so. */
	inval = 0;
	EXPECT(map_tagged(&f, phys - 2 * PG, 3, R | TAG,
			     NOLIMIT, &inval) == 0, "fresh first page");
	EXPECT(pte_of(&f, p - 2) == 0 && refs(&f, p - 1) == 1,
	       "cleared, neighbour kept");
	EXPECT(inval == p - 2, "invalidate from %#lx, got %#lx", p - 2, inval);
	EXPECT(ops->outstanding(f.iova) == VTD_PTE_REFS_MAX + 2 + 1,
	       "the pending invalidation counts");
	ops->free(f.iova, inval, 3);

	EXPECT(!unmap(&f, p, 1) && refs(&f, p) == VTD_PTE_REFS_MAX - 1,
	       "127 -> 126");
	EXPECT(map(&f, phys, 1, R | TAG) == p, "room again");
	for (i = 0; i < VTD_PTE_REFS_MAX - 1; i++)
		unmap(&f, p, 1);
	EXPECT(unmap(&f, p, 1) && pte_of(&f, p) == 0, "last one clears");
	ops->free(f.iova, p, 1);
	EXPECT(unmap(&f, p - 1, 1), "page before");
	ops->free(f.iova, p - 1, 1);
	EXPECT(unmap(&f, REG_RW + (phys >> 12), 1), "read-write copy");
	ops->free(f.iova, REG_RW + (phys >> 12), 1);
	EXPECT(ops->outstanding(f.iova) == 0, "balanced");
	teardown(&f);
}

static void test_refusals(void)
{
	const u64 msi = 0xfee00000ULL;
	unsigned long inval;
	struct fixture f;

	setup(&f, true);
	/* The MSI window, as the domain reserves it: physical pfns. */
	EXPECT(ops->reserve(f.iova, msi >> 12, (msi >> 12) + 0xff) == 0, "msi");
	/* An IOVA stretch inside the read-write region only. */
	EXPECT(ops->reserve(f.iova, REG_RW + 0x500, REG_RW + 0x50f) == 0,
	       "iova window");
	EXPECT(ops->reserve(f.iova, REG_RW + 0x508, REG_RW + 0x520) == 0,
	       "overlapping");
	EXPECT(map(&f, msi, 1, W | TAG) == 0, "MSI page refused");
	EXPECT(map(&f, msi + 0xff000, 1, RW | TAG) == 0, "its last page");
	EXPECT(map(&f, msi - 2 * PG, 3, R | TAG) == 0, "range running into it");
	EXPECT(map(&f, msi - 2 * PG, 2, R | TAG) != 0, "just below: fine");
	EXPECT(map(&f, msi + 0x100000, 1, R | TAG) != 0, "just above: fine");
	EXPECT(map(&f, 0x500000, 1, RW | TAG) == 0, "reserved IOVA");
	EXPECT(map(&f, 0x51f000, 2, RW | TAG) == 0, "merged reservation");
	EXPECT(map(&f, 0x521000, 1, RW | TAG) != 0, "after it: fine");
	EXPECT(map(&f, 0x500000, 1, R | TAG) != 0, "other region: fine");
	EXPECT(pte_of(&f, REG_RW + 0x500) == 0, "nothing written there");

	/* The device's limit, the direct map's end, bad requests. */
	inval = 7;
	EXPECT(map_tagged(&f, 0x3000, 2, RW | TAG, REG_RW + 3,
			     &inval) == 0 && inval == 0, "last page over limit");
	EXPECT(map_tagged(&f, 0x3000, 1, RW | TAG, REG_RW + 3,
			     &inval) == REG_RW + 3, "exactly at the limit");
	EXPECT(map_tagged(&f, 0x3000, 1, R | TAG, 0xffffffffUL,
			     &inval) == 0, "32-bit device: fallback");
	EXPECT(map(&f, (u64)PHYS_PAGES * PG, 1, R | TAG) == 0,
	       "beyond the direct map");
	EXPECT(map(&f, (u64)(PHYS_PAGES - 1) * PG, 2, R | TAG) == 0,
	       "running past it");
	EXPECT(map(&f, 0x3800, 1, R | TAG) == 0, "misaligned");
	EXPECT(map(&f, 0x3000, 0, R | TAG) == 0, "no pages");
	EXPECT(map(&f, 0x3000, 1, TAG) == 0, "no rights");
	EXPECT(map(&f, 0x3000, 1, R | VTD_PTE_REFS(2)) == 0, "count bits");
	EXPECT(map(&f, 0x3000, 1, R | BIT_ULL(62)) == 0, "bit 62");
	/* Left mapped: destroy warns, and still frees all it has. */
	EXPECT(ops->outstanding(f.iova) == 5, "only successes counted: %lu",
	       ops->outstanding(f.iova));
	harness_diag("(a warning of 5 outstanding mappings is expected)");
	teardown(&f);

	/* The reservation array fills up. */
	setup(&f, true);
	for (inval = 0; inval < 32; inval++)
		ops->reserve(f.iova, inval * 4, inval * 4 + 1);
	EXPECT(ops->reserve(f.iova, 1000, 1000) == -ENOMEM, "full");
	EXPECT(ops->reserve(f.iova, 2, 3) == 0, "merging still fits");
	EXPECT(ops->reserve(f.iova, 1000, 1000) == 0, "and made room");
	teardown(&f);
}

/* Entries not of this allocator are never changed. */
static void test_foreign_and_tags(void)
{
	const unsigned long p = REG_R + 0x9000;
	long warned = shim_warnings();
	struct fixture f;

	setup(&f, true);
	vtd_pgtable_map(&f.pt, (u64)p << 12, 0x9000000, PG, R | TAG, 0);
	EXPECT(map(&f, 0x9000000, 1, R | TAG) == 0, "countless entry: refused");
	EXPECT(pte_of(&f, p) == (0x9000000 | R | TAG), "untouched");
	EXPECT(!unmap(&f, p, 1) && pte_of(&f, p) == (0x9000000 | R | TAG),
	       "unmap leaves it");
	EXPECT(shim_warnings() > warned, "and warns");
	EXPECT(ops->outstanding(f.iova) == 0, "nothing counted");

	/* The tag: kept through every count; a different one is not ours. */
	EXPECT(map(&f, 0x7000, 1, R | VTD_PTE_TAG(5)) == REG_R + 7, "tag 5");
	EXPECT(map(&f, 0x7000, 1, R | VTD_PTE_TAG(5)) == REG_R + 7, "again");
	EXPECT(VTD_PTE_TAG_OF(pte_of(&f, REG_R + 7)) == 5, "tag 5 at 2");
	EXPECT(map(&f, 0x7000, 1, R | VTD_PTE_TAG(3)) == 0, "tag 3: refused");
	EXPECT(!unmap(&f, REG_R + 7, 1) &&
	       VTD_PTE_TAG_OF(pte_of(&f, REG_R + 7)) == 5 &&
	       refs(&f, REG_R + 7) == 1, "tag 5 at 1");
	EXPECT(unmap(&f, REG_R + 7, 1), "cleared");

	warned = shim_warnings();
	EXPECT(!unmap(&f, REG_R + 7, 1), "unmapped twice: nothing");
	EXPECT(!unmap(&f, REG_R + 0x123456, 3), "never mapped, no table");
	EXPECT(!unmap(&f, LO - 5, 1), "outside the regions");
	EXPECT(shim_warnings() == warned + 3, "each warned");
	EXPECT(ops->outstanding(f.iova) == 1, "only the pending free");
	ops->free(f.iova, REG_R + 7, 1);
	teardown(&f);
}

/* An allocation failure part-way: the references taken go back. */
static void test_rollback(void)
{
	/* 4 pages from 0x3fe: the last two need a second leaf table. */
	const u64 phys = 0x3fe000ULL;
	const unsigned long p = REG_W + 0x3fe;
	unsigned long inval;
	struct fixture f;

	setup(&f, true);
	/* root exists; L3, L2 and the first leaf are allocs 0-2. */
	shim_fail_alloc_after = 3;
	EXPECT(map_tagged(&f, phys, 4, W | TAG, NOLIMIT,
			     &inval) == 0, "second leaf fails");
	shim_fail_alloc_after = -1;
	EXPECT(pte_of(&f, p) == 0 && pte_of(&f, p + 1) == 0, "rolled back");
	EXPECT(inval == p, "cleared: invalidate %#lx", inval);
	EXPECT(ops->outstanding(f.iova) == 1, "pending");
	ops->free(f.iova, inval, 4);

	/* The first page held by someone else: rolled back to its count. */
	EXPECT(map(&f, phys, 1, W | TAG) == p, "someone's page");
	shim_fail_alloc_after = 0;
	EXPECT(map_tagged(&f, phys, 4, W | TAG, NOLIMIT,
			     &inval) == 0, "fails again");
	shim_fail_alloc_after = -1;
	EXPECT(refs(&f, p) == 1 && pte_of(&f, p + 1) == 0, "back to 1, 0");
	EXPECT(inval == p, "the second page was cleared");
	ops->free(f.iova, inval, 4);
	EXPECT(ops->outstanding(f.iova) == 1, "someone's only");

	/* Nothing cleared when every page taken was shared. */
	EXPECT(map(&f, phys + PG, 1, W | TAG) == p + 1, "second page too");
	shim_fail_alloc_after = 0;
	EXPECT(map_tagged(&f, phys, 4, W | TAG, NOLIMIT,
			     &inval) == 0 && inval == 0, "no invalidation");
	shim_fail_alloc_after = -1;
	EXPECT(refs(&f, p) == 1 && refs(&f, p + 1) == 1, "counts restored");

	EXPECT(map(&f, phys, 4, W | TAG) == p, "retry works");
	EXPECT(refs(&f, p) == 2 && refs(&f, p + 3) == 1, "2 2 1 1");
	EXPECT(unmap(&f, p, 4), "unmap: the last two cleared");
	EXPECT(refs(&f, p) == 1 && refs(&f, p + 1) == 1 &&
	       pte_of(&f, p + 2) == 0, "1 1 0 0");
	ops->free(f.iova, p, 4);
	EXPECT(unmap(&f, p, 1) && unmap(&f, p + 1, 1), "the singles");
	ops->free(f.iova, p, 1);
	ops->free(f.iova, p + 1, 1);
	EXPECT(ops->outstanding(f.iova) == 0, "balanced");
	teardown(&f);
}

static void test_noncoherent(void)
{
	struct fixture f;
	u64 *e;

	setup(&f, false);
	shim_flush_reset();
	/* A page that keeps the leaf table (and e) there after the unmap. */
	EXPECT(map(&f, 0x9000, 1, RW | TAG) == REG_RW + 9, "map a keeper");
	EXPECT(map(&f, 0x5000, 3, RW | TAG) == REG_RW + 5, "map");
	e = vtd_pgtable_leaf_entry(&f.pt, (u64)(REG_RW + 5) << 12);
	EXPECT(e && shim_flushed(e) && shim_flushed(e + 2),
	       "entries written back");
	shim_flush_reset();
	EXPECT(unmap(&f, REG_RW + 5, 3), "unmap");
	EXPECT(e && *e == 0 && shim_flushed(e), "clear written back");
	ops->free(f.iova, REG_RW + 5, 3);
	EXPECT(unmap(&f, REG_RW + 9, 1), "unmap the keeper");
	ops->free(f.iova, REG_RW + 9, 1);
	teardown(&f);
}

/*
 * Eight threads (each its own CPU) map and unmap the same few pages at
 * random, with all three rights and ranges of 1-3 pages, so counts,
 * installs and clears race.  After a first phase every page's count must
 * equal the mappings the threads hold over it; after the second, where
 * each thread unmaps what it holds, every entry must be clear.
 */
#define THREADS		8
#define OPS		20000
#define NPAGES		6	/* physical pages 0x100 .. 0x105 */
#define HELD_MAX	6
#define PBASE		0x100UL

struct held {
	unsigned long pfn, n;
	unsigned int region;
	unsigned long first;	/* physical page index, from PBASE */
};

struct worker {
	struct fixture *f;
	unsigned int id;
	unsigned int seed;
	unsigned int nheld;
	struct held held[HELD_MAX];
	unsigned long errors, cleared;
};

static const u64 worker_rights[3] = { R, W, RW };
static const unsigned long worker_base[3] = { REG_R, REG_W, REG_RW };

static void worker_unmap(struct worker *w, unsigned int k)
{
	struct held *h = &w->held[k];

	struct siommu_unmapped what = { };

	if (ops->unmap(w->f->iova, &w->f->xl, h->pfn, h->n, &what)) {
		siommu_xlate_free_tables(&w->f->xl, what.tables);
		w->cleared++;
		/* What the policy would do after its invalidation. */
		if (ops->free(w->f->iova, h->pfn, h->n))
			w->errors++;
	}
	w->held[k] = w->held[--w->nheld];
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	shim_set_cpu(w->id);
	for (i = 0; i < OPS; i++) {
		unsigned int r = rand_r(&w->seed);

		if (w->nheld && (w->nheld == HELD_MAX || (r & 1))) {
			worker_unmap(w, (r >> 1) % w->nheld);
		} else {
			unsigned int region = (r >> 1) % 3;
			unsigned long n = 1 + (r >> 3) % 3;
			unsigned long first = (r >> 5) % (NPAGES - n + 1);
			unsigned long inval = 1, pfn;

			pfn = map_tagged(w->f,
					    (PBASE + first) * PG, n,
					    worker_rights[region] | TAG,
					    NOLIMIT, &inval);
			if (pfn != worker_base[region] + PBASE + first ||
			    inval)
				w->errors++;
			if (pfn)
				w->held[w->nheld++] = (struct held){
					pfn, n, region, first };
		}
	}
	return NULL;
}

static void *worker_release(void *arg)
{
	struct worker *w = arg;

	shim_set_cpu(w->id);
	while (w->nheld)
		worker_unmap(w, w->nheld - 1);
	return NULL;
}

static void run_all(struct worker *w, void *(*fn)(void *))
{
	pthread_t tid[THREADS];
	unsigned int t;

	for (t = 0; t < THREADS; t++)
		pthread_create(&tid[t], NULL, fn, &w[t]);
	for (t = 0; t < THREADS; t++)
		pthread_join(tid[t], NULL);
}

static void test_concurrent(void)
{
	unsigned long bad = 0, errors = 0, cleared = 0, held = 0, round;
	struct worker w[THREADS];
	struct fixture f;

	for (round = 0; round < 4; round++) {
		unsigned int want[3][NPAGES] = { { 0 } };
		unsigned long now_held = 0;
		unsigned int t, k, r, pg;

		setup(&f, round & 1);
		for (t = 0; t < THREADS; t++)
			w[t] = (struct worker){ .f = &f, .id = t,
						.seed = round * 100 + t };
		run_all(w, worker_run);
		/* Counts consistent with what is held. */
		for (t = 0; t < THREADS; t++) {
			now_held += w[t].nheld;
			for (k = 0; k < w[t].nheld; k++)
				for (pg = 0; pg < w[t].held[k].n; pg++)
					want[w[t].held[k].region]
					    [w[t].held[k].first + pg]++;
		}
		for (r = 0; r < 3; r++)
			for (pg = 0; pg < NPAGES; pg++) {
				unsigned long pfn = worker_base[r] + PBASE + pg;
				u64 pte = pte_of(&f, pfn);

				if (refs(&f, pfn) != want[r][pg] ||
				    (want[r][pg] &&
				     pte != (((PBASE + pg) * PG) |
					     worker_rights[r] | TAG |
					     VTD_PTE_REFS(want[r][pg]))))
					bad++;
			}
		EXPECT(ops->outstanding(f.iova) == now_held,
		       "round %lu: %lu out, %lu held", round,
		       ops->outstanding(f.iova), now_held);
		held += now_held;
		run_all(w, worker_release);
		for (r = 0; r < 3; r++)
			for (pg = 0; pg < NPAGES; pg++)
				if (pte_of(&f, worker_base[r] + PBASE + pg))
					bad++;
		for (t = 0; t < THREADS; t++) {
			errors += w[t].errors;
			cleared += w[t].cleared;
		}
		EXPECT(ops->outstanding(f.iova) == 0, "round %lu: %lu out",
		       round, ops->outstanding(f.iova));
		teardown(&f);
	}
	EXPECT(bad == 0, "%lu entries wrong", bad);
	EXPECT(errors == 0, "%lu errors", errors);
	EXPECT(held > 0 && cleared > 0, "phases did something: %lu %lu", held,
	       cleared);
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_space),
	HARNESS_CASE(test_regions),
	HARNESS_CASE(test_refcount),
	HARNESS_CASE(test_saturation),
	HARNESS_CASE(test_refusals),
	HARNESS_CASE(test_foreign_and_tags),
	HARNESS_CASE(test_rollback),
	HARNESS_CASE(test_noncoherent),
	HARNESS_CASE(test_concurrent),
};

int main(int argc, char **argv)
{
	shim_direct_map_bytes = PHYS_PAGES * PG;
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
