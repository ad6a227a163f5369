/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-d second-level I/O page tables, populated and reclaimed without a
 * lock.
 *
 * Every link (a non-leaf entry) carries, in bits the hardware ignores, the
 * live count of the table it points at: how many of that table's entries
 * are set, plus entries a mapper has reserved and is about to set.  Count
 * and link change together, by compare-and-exchange on the link, so:
 *
 *  - a mapper raises the count before it sets a leaf (or links a child),
 *    and can raise it only while the link is there;
 *  - an unmapper clears its leaves, then lowers the count; the exchange
 *    that takes it to 0 also clears the link, so the table is out of the
 *    tree at the instant it is empty, and no one can add to it after.
 *    Its parent then has one entry less, and so on up (never the root).
 *
 * A mapper never links under a table being freed: it could only do so
 * through a count it holds, which keeps the table linked.  A walker that
 * read a link before it went reads zeroes from the dead table (RCU keeps
 * the page until every such walker is done) and its next live_add fails,
 * sending it back to the root.  Unlinked pages go to the caller, who frees
 * them (vtd_pgtable_free_tables()) after the invalidation that makes the
 * unit forget its cached paging structures: under the batching policies
 * they wait in the batch with the IOVA ranges.
 *
 * Intermediate tables are installed with a compare-and-exchange on the
 * parent entry, so any number of CPUs may map disjoint IOVA ranges of one
 * table at once; the loser of a race frees its page and walks on through
 * the winner's.  Leaf entries belong to whoever owns the IOVA range (the
 * allocator hands each range to one caller) -- except counted leaves,
 * shared between callers (the identity mapper): vtd_pgtable_share() and
 * vtd_pgtable_unshare() change them only by compare-and-exchange.
 */
#ifndef SCALABLE_IOMMU_VTD_PGTABLE_H
#define SCALABLE_IOMMU_VTD_PGTABLE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/types.h>

struct page;

#include "base/map_run.h"
#include "vtd/regs.h"

#define VTD_PAGE_SHIFT		12
#define VTD_PAGE_SIZE		BIT_ULL(VTD_PAGE_SHIFT)
#define VTD_LEVEL_BITS		9
#define VTD_PTES_PER_TABLE	BIT(VTD_LEVEL_BITS)

/* Second-level entry bits (legacy mode). */
#define VTD_PTE_READ		BIT_ULL(0)
#define VTD_PTE_WRITE		BIT_ULL(1)
/* A leaf above level 1: here a 2 MiB page in a level-2 table. */
#define VTD_PTE_PS		BIT_ULL(7)
#define VTD_SUPERPAGE_SHIFT	(VTD_PAGE_SHIFT + VTD_LEVEL_BITS)
#define VTD_SUPERPAGE_SIZE	BIT_ULL(VTD_SUPERPAGE_SHIFT)
#define VTD_PTE_ADDR_MASK	VTD_ADDR_MASK
/*
 * Bits 52-61 are ignored by hardware: free for software.  A leaf's prot
 * may carry them; vtd_pgtable_pte() reads them back.  The module keeps
 * the IOVA allocator instance that made a mapping in the top three
 * (VTD_PTE_TAG), so an unmap knows where to give the range back.
 */
#define VTD_PTE_SW_SHIFT	52
#define VTD_PTE_SW_MASK		(0x3ffULL << VTD_PTE_SW_SHIFT)
#define VTD_PTE_TAG_SHIFT	59
#define VTD_PTE_TAG_MASK	(7ULL << VTD_PTE_TAG_SHIFT)
#define VTD_PTE_TAG(t)		((u64)(t) << VTD_PTE_TAG_SHIFT)
#define VTD_PTE_TAG_OF(pte)	((unsigned int)(((pte) & VTD_PTE_TAG_MASK) >> \
						VTD_PTE_TAG_SHIFT))
/*
 * A counted leaf (vtd_pgtable_share(), for the identity mapper) keeps, in
 * the seven software bits below the tag, how many mappings share the
 * page: 1 to VTD_PTE_REFS_MAX, never 0.
 */
#define VTD_PTE_REFS_SHIFT	VTD_PTE_SW_SHIFT
#define VTD_PTE_REFS_MAX	0x7fULL
#define VTD_PTE_REFS_MASK	(VTD_PTE_REFS_MAX << VTD_PTE_REFS_SHIFT)
#define VTD_PTE_REFS(n)		((u64)(n) << VTD_PTE_REFS_SHIFT)
#define VTD_PTE_REFS_OF(pte)	(((pte) & VTD_PTE_REFS_MASK) >> \
				 VTD_PTE_REFS_SHIFT)

/*
 * A link's live count of the table it points at (see the top): bits 52-61,
 * which the hardware ignores in non-leaf entries.  Up to 512 entries set
 * plus reservations in flight.
 */
#define VTD_PTE_LIVE_SHIFT	VTD_PTE_SW_SHIFT
#define VTD_PTE_LIVE_MAX	0x3ffULL
#define VTD_PTE_LIVE_MASK	(VTD_PTE_LIVE_MAX << VTD_PTE_LIVE_SHIFT)
#define VTD_PTE_LIVE(n)		((u64)(n) << VTD_PTE_LIVE_SHIFT)
#define VTD_PTE_LIVE_OF(pte)	(((pte) >> VTD_PTE_LIVE_SHIFT) & \
				 VTD_PTE_LIVE_MAX)
/*
 * On a link whose leaf table is empty and kept (at most VTD_KEPT_LEAVES
 * per page table, struct vtd_pgtable's kept_empty): bit 63, which the
 * hardware ignores.
 */
#define VTD_PTE_KEPT		BIT_ULL(63)
/*
 * Emptied leaf tables kept linked per page table.  One was too few: under
 * a batching policy the ranges waiting in the per-CPU batches (250 each)
 * and magazines leave several leaf tables empty at once, and on 4 vCPUs
 * the microbenchmark spent 28% of its time zeroing the table pages that
 * the next maps made again (docs/page_tables.md).  Sixteen cost at most
 * 64 KiB and their parents per domain once idle.
 */
#define VTD_KEPT_LEAVES		16

/* No lock: entries change by compare-and-exchange (see the top). */
struct vtd_pgtable {
	/* Written once at init. */
	u64 *root;			/* top-level table */
	unsigned int levels;		/* 3 (39-bit) or 4 (48-bit) */
	bool coherent;			/* ECAP.C: walks snoop the CPU caches */
	/*
	 * Map aligned 2 MiB runs as one level-2 leaf (CAP.SLLPS bit 0), and
	 * aligned 1 GiB runs as one level-3 leaf (bit 1): set after
	 * vtd_pgtable_init(), before the first map.
	 */
	bool superpages;
	bool gigapages;
	atomic_long_t nr_tables;	/* table pages linked, root included */
	atomic_long_t peak_tables;	/* the most nr_tables has been */
	/*
	 * How many emptied leaf tables stay linked (VTD_PTE_KEPT), so that
	 * mappings coming and going do not free and make tables each time;
	 * beyond kept_max (vtd_pgtable_kept_leaves, written once at init),
	 * those that empty go.
	 */
	atomic_t kept_empty;
	unsigned int kept_max;
	atomic_long_t super_maps;	/* 2 MiB and 1 GiB leaves installed */
};

/*
 * Module-wide: table pages allocated and not yet freed (unlinked ones
 * waiting for an invalidation included; for leak checks), and the most
 * there have been.
 */
extern atomic_long_t vtd_pgtable_pages_live;
extern atomic_long_t vtd_pgtable_pages_peak;
/*
 * 1: free empty tables on unmap (the default); 0 keeps them linked, as
 * before reclamation: the knob the benchmarks compare against.
 */
extern unsigned int vtd_pgtable_reclaim;
/* Emptied leaf tables a new page table keeps: VTD_KEPT_LEAVES. */
extern unsigned int vtd_pgtable_kept_leaves;

int vtd_pgtable_init(struct vtd_pgtable *pt, unsigned int levels,
		     bool coherent);
void vtd_pgtable_destroy(struct vtd_pgtable *pt);
int vtd_pgtable_map(struct vtd_pgtable *pt, u64 iova, u64 phys, u64 size,
		    u64 prot, gfp_t gfp);
int vtd_pgtable_map_runs(struct vtd_pgtable *pt, const struct siommu_run *runs,
			 unsigned int n, u64 prot, gfp_t gfp);
u64 vtd_pgtable_unmap(struct vtd_pgtable *pt, u64 iova, u64 size,
		      struct page **freed);
u64 vtd_pgtable_unmap_mapped(struct vtd_pgtable *pt, u64 iova, u64 size,
			     struct page **freed, u64 *first);
void vtd_pgtable_free_tables(struct page *freed);
u64 vtd_pgtable_clear_all(struct vtd_pgtable *pt);
u64 vtd_pgtable_lookup(struct vtd_pgtable *pt, u64 iova, u64 *prot);
u64 vtd_pgtable_pte(struct vtd_pgtable *pt, u64 iova);
u64 vtd_pgtable_root_phys(const struct vtd_pgtable *pt);
long vtd_pgtable_tables_needed(struct vtd_pgtable *pt);
u64 *vtd_pgtable_leaf_entry(struct vtd_pgtable *pt, u64 iova);
int vtd_pgtable_share(struct vtd_pgtable *pt, u64 iova, u64 phys,
		      unsigned long npages, u64 prot, bool *cleared);
int vtd_pgtable_unshare(struct vtd_pgtable *pt, u64 iova, u64 phys,
			unsigned long npages, u64 prot, struct page **freed);

static inline u64 vtd_pgtable_max_iova(const struct vtd_pgtable *pt)
{
	return (1ULL << (VTD_PAGE_SHIFT + VTD_LEVEL_BITS * pt->levels)) - 1;
}

#endif /* SCALABLE_IOMMU_VTD_PGTABLE_H */
