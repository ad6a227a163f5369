// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d second-level I/O page tables (see src/vtd/pgtable.h).
 *
 * When the unit's page walks do not snoop the CPU caches (ECAP.C == 0, as
 * on QEMU's unit), every entry the hardware may read is written back from
 * the cache before it can be reached: a new table is flushed whole before
 * it is linked in, and each run of leaf entries after it is written.
 */
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>

#include "base/alloc_fault.h"
#include "vtd/pgtable.h"

/* Non-leaf entries grant both rights; the leaf decides. */
#define VTD_PTE_TABLE	(VTD_PTE_READ | VTD_PTE_WRITE)

static unsigned int vtd_index(u64 iova, unsigned int level)
{
	return (iova >> (VTD_PAGE_SHIFT + VTD_LEVEL_BITS * (level - 1))) &
	       (VTD_PTES_PER_TABLE - 1);
}

static u64 *table_of(u64 pte)
{
	return phys_to_virt(pte & VTD_PTE_ADDR_MASK);
}

static void pt_flush(const struct vtd_pgtable *pt, void *addr, size_t len)
{
	if (!pt->coherent)
		clflush_cache_range(addr, len);
}

/* Table pages of every table, live: all go back when the tables go. */
atomic_long_t vtd_pgtable_pages_live = ATOMIC_LONG_INIT(0);

static u64 *table_alloc(struct vtd_pgtable *pt, gfp_t gfp)
{
	u64 *table;

	if (siommu_fail_alloc())
		return NULL;
	table = (u64 *)get_zeroed_page(gfp);
	if (!table)
		return NULL;
	pt_flush(pt, table, VTD_PAGE_SIZE);
	atomic_long_inc(&pt->nr_tables);
	atomic_long_inc(&vtd_pgtable_pages_live);
	return table;
}

static void table_free(struct vtd_pgtable *pt, u64 *table)
{
	free_page((unsigned long)table);
	atomic_long_dec(&pt->nr_tables);
	atomic_long_dec(&vtd_pgtable_pages_live);
}

/**
 * vtd_pgtable_init() - an empty table
 * @pt: table to set up
 * @levels: 3 for a 39-bit, 4 for a 48-bit address space
 * @coherent: the unit's page walks snoop CPU caches (ECAP.C)
 *
 * Return: 0, -EINVAL for an unsupported depth, -ENOMEM.
 */
int vtd_pgtable_init(struct vtd_pgtable *pt, unsigned int levels,
		     bool coherent)
{
	if (levels < 3 || levels > 4)
		return -EINVAL;
	pt->levels = levels;
	pt->coherent = coherent;
	atomic_long_set(&pt->nr_tables, 0);
	pt->root = table_alloc(pt, GFP_KERNEL);
	return pt->root ? 0 : -ENOMEM;
}

static void table_destroy(struct vtd_pgtable *pt, u64 *table,
			  unsigned int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < VTD_PTES_PER_TABLE; i++)
			if (table[i])
				table_destroy(pt, table_of(table[i]), level - 1);
	}
	table_free(pt, table);
}

/**
 * vtd_pgtable_destroy() - free every table page
 * @pt: a table no hardware walks any more (its context entries are gone
 *      and the IOTLB was flushed)
 */
void vtd_pgtable_destroy(struct vtd_pgtable *pt)
{
	if (pt->root)
		table_destroy(pt, pt->root, pt->levels);
	pt->root = NULL;
}

/* Clear every leaf below @table; tables stay.  How many were set. */
static u64 table_clear_leaves(struct vtd_pgtable *pt, u64 *table,
			      unsigned int level)
{
	u64 cleared = 0, old;
	unsigned int i;

	for (i = 0; i < VTD_PTES_PER_TABLE; i++) {
		old = READ_ONCE(table[i]);
		if (!old)
			continue;
		if (level > 1) {
			cleared += table_clear_leaves(pt, table_of(old),
						      level - 1);
		} else if (xchg(&table[i], 0ULL)) {
			cleared++;
		}
	}
	if (level == 1)
		pt_flush(pt, table, VTD_PAGE_SIZE);
	return cleared;
}

/**
 * vtd_pgtable_clear_all() - clear every mapping, keep every table page
 * @pt: the table
 *
 * Safe against concurrent map and unmap (no table is freed); what they do
 * meanwhile may or may not survive.  The caller invalidates the IOTLB.
 *
 * Return: the number of 4 KiB entries that were mapped.
 */
u64 vtd_pgtable_clear_all(struct vtd_pgtable *pt)
{
	return pt->root ? table_clear_leaves(pt, pt->root, pt->levels) : 0;
}

/*
 * The leaf table covering @iova, created on the way down when @gfp allows
 * (@alloc); NULL when a table is missing and may not or cannot be made.
 */
static u64 *leaf_table(struct vtd_pgtable *pt, u64 iova, bool alloc,
		       gfp_t gfp)
{
	u64 *table = pt->root;
	unsigned int level;

	for (level = pt->levels; level > 1; level--) {
		u64 *pte = &table[vtd_index(iova, level)];
		/* Pairs with the cmpxchg that published a zeroed child. */
		u64 old = smp_load_acquire(pte);

		if (!old) {
			u64 *child, new;

			if (!alloc)
				return NULL;
			child = table_alloc(pt, gfp);
			if (!child)
				return NULL;
			new = virt_to_phys(child) | VTD_PTE_TABLE;
			old = cmpxchg64(pte, 0ULL, new);
			if (old) {
				/* Another CPU linked a table first: use it. */
				table_free(pt, child);
			} else {
				pt_flush(pt, pte, sizeof(*pte));
				old = new;
			}
		}
		table = table_of(old);
	}
	return table;
}

/* Clear the leaf entries of [iova, iova + size); return bytes cleared. */
static u64 unmap_range(struct vtd_pgtable *pt, u64 iova, u64 size)
{
	u64 end = iova + size, cleared = 0;

	while (iova < end) {
		unsigned int first = vtd_index(iova, 1), i;
		unsigned int last = VTD_PTES_PER_TABLE;
		u64 *leaf = leaf_table(pt, iova, false, 0);
		u64 chunk;

		if ((end - iova) >> VTD_PAGE_SHIFT < last - first)
			last = first + ((end - iova) >> VTD_PAGE_SHIFT);
		chunk = (u64)(last - first) << VTD_PAGE_SHIFT;
		if (leaf) {
			for (i = first; i < last; i++)
				if (xchg(&leaf[i], 0ULL))
					cleared += VTD_PAGE_SIZE;
			pt_flush(pt, &leaf[first], (last - first) * sizeof(u64));
		}
		iova += chunk;
	}
	return cleared;
}

static bool range_ok(const struct vtd_pgtable *pt, u64 iova, u64 size)
{
	return size && !((iova | size) & (VTD_PAGE_SIZE - 1)) &&
	       iova + size - 1 >= iova &&
	       iova + size - 1 <= vtd_pgtable_max_iova(pt);
}

/**
 * vtd_pgtable_map() - map [iova, iova + size) to [phys, phys + size)
 * @pt: the table
 * @iova: page-aligned I/O virtual address
 * @phys: page-aligned physical address
 * @size: bytes, a multiple of the page size
 * @prot: VTD_PTE_READ and/or VTD_PTE_WRITE
 * @gfp: how table pages may be allocated (GFP_ATOMIC on the DMA path)
 *
 * Return: 0; -EINVAL for a misaligned or out-of-range request; -EEXIST if
 * a page is already mapped (a caller bug: nothing is changed); -ENOMEM if
 * a table page cannot be had (nothing is left mapped).
 */
int vtd_pgtable_map(struct vtd_pgtable *pt, u64 iova, u64 phys, u64 size,
		    u64 prot, gfp_t gfp)
{
	u64 done = 0;
	int ret = 0;

	if (!range_ok(pt, iova, size) || (phys & ~VTD_PTE_ADDR_MASK) ||
	    !(prot & VTD_PTE_TABLE) ||
	    (prot & ~(VTD_PTE_TABLE | VTD_PTE_SW_MASK)))
		return -EINVAL;

	while (done < size) {
		u64 at = iova + done;
		unsigned int first = vtd_index(at, 1), i;
		unsigned int last = VTD_PTES_PER_TABLE;
		u64 *leaf = leaf_table(pt, at, true, gfp);

		if (!leaf) {
			ret = -ENOMEM;
			break;
		}
		if ((size - done) >> VTD_PAGE_SHIFT < last - first)
			last = first + ((size - done) >> VTD_PAGE_SHIFT);
		for (i = first; i < last; i++) {
			u64 pte = (phys + done) | prot;

			if (cmpxchg64(&leaf[i], 0ULL, pte)) {
				last = i;
				ret = -EEXIST;
				break;
			}
			done += VTD_PAGE_SIZE;
		}
		pt_flush(pt, &leaf[first], (last - first) * sizeof(u64));
		if (ret)
			break;
	}
	if (ret && done)
		unmap_range(pt, iova, done);
	return ret;
}

/**
 * vtd_pgtable_unmap() - clear the mapping of [iova, iova + size)
 * @pt: the table
 * @iova: page-aligned I/O virtual address
 * @size: bytes, a multiple of the page size
 *
 * The hardware may still hold the old translations in its IOTLB: the
 * caller invalidates before the IOVA range is reused.
 *
 * Return: bytes that were mapped and are now cleared (0 for a bad range).
 */
u64 vtd_pgtable_unmap(struct vtd_pgtable *pt, u64 iova, u64 size)
{
	if (!range_ok(pt, iova, size))
		return 0;
	return unmap_range(pt, iova, size);
}

/**
 * vtd_pgtable_lookup() - translate one address as the hardware would
 * @pt: the table
 * @iova: I/O virtual address
 * @prot: if not NULL, receives the leaf's access bits
 *
 * Return: the physical address, or 0 (and *prot 0) when not mapped.
 */
u64 vtd_pgtable_lookup(struct vtd_pgtable *pt, u64 iova, u64 *prot)
{
	u64 *leaf = iova <= vtd_pgtable_max_iova(pt) ?
		    leaf_table(pt, iova, false, 0) : NULL;
	u64 pte = leaf ? READ_ONCE(leaf[vtd_index(iova, 1)]) : 0;

	if (prot)
		*prot = pte & VTD_PTE_TABLE;
	if (!(pte & VTD_PTE_TABLE))
		return 0;
	return (pte & VTD_PTE_ADDR_MASK) | (iova & (VTD_PAGE_SIZE - 1));
}

/**
 * vtd_pgtable_pte() - the leaf entry that maps @iova, as stored
 * @pt: the table
 * @iova: I/O virtual address
 *
 * Return: the raw entry, software bits included; 0 when not mapped.
 */
u64 vtd_pgtable_pte(struct vtd_pgtable *pt, u64 iova)
{
	u64 *leaf = iova <= vtd_pgtable_max_iova(pt) ?
		    leaf_table(pt, iova, false, 0) : NULL;

	return leaf ? READ_ONCE(leaf[vtd_index(iova, 1)]) : 0;
}

/**
 * vtd_pgtable_root_phys() - what a context entry points at
 * @pt: the table
 *
 * Return: the root table's physical address.
 */
u64 vtd_pgtable_root_phys(const struct vtd_pgtable *pt)
{
	return virt_to_phys(pt->root);
}

/**
 * vtd_pgtable_leaf_entry() - where the leaf entry for @iova is kept
 * @pt: the table
 * @iova: I/O virtual address (its page offset is ignored)
 * @alloc: make the missing tables on the way down (lock-free, as
 *         vtd_pgtable_map() does); false: only look
 * @gfp: how those tables are allocated (GFP_ATOMIC on the DMA path)
 *
 * Tables are freed only by vtd_pgtable_destroy(), so the pointer stays
 * good for the table's life.  Change the entry only with
 * vtd_pgtable_leaf_cmpxchg(): other CPUs may be changing it too.
 *
 * Return: the entry, or NULL when @iova is beyond the table or a table
 * on the way is missing and may not (!@alloc) or cannot be made.
 */
u64 *vtd_pgtable_leaf_entry(struct vtd_pgtable *pt, u64 iova, bool alloc,
			    gfp_t gfp)
{
	u64 *leaf;

	if (iova > vtd_pgtable_max_iova(pt))
		return NULL;
	leaf = leaf_table(pt, iova, alloc, gfp);
	return leaf ? &leaf[vtd_index(iova, 1)] : NULL;
}

/**
 * vtd_pgtable_leaf_cmpxchg() - replace a leaf entry that still holds @old
 * @pt: the table
 * @entry: from vtd_pgtable_leaf_entry() on @pt
 * @old: the value expected
 * @new: the value to store, any leaf value (0 clears the entry)
 *
 * A full barrier, as cmpxchg64().  When the exchange happens and the
 * unit's walks do not snoop the caches, the entry's cache line is written
 * back before this returns, so the unit sees @new (or a later value) from
 * then on.  The caller invalidates the IOTLB where a cleared or weakened
 * entry may be cached.
 *
 * Return: the value found: @old when @new was stored.
 */
u64 vtd_pgtable_leaf_cmpxchg(struct vtd_pgtable *pt, u64 *entry, u64 old,
			     u64 new)
{
	u64 found = cmpxchg64(entry, old, new);

	if (found == old)
		pt_flush(pt, entry, sizeof(*entry));
	return found;
}

/*
 * Counted leaves.  A leaf installed by vtd_pgtable_share() reads phys |
 * prot | VTD_PTE_REFS(n), 1 <= n <= VTD_PTE_REFS_MAX: the number of live
 * mappings through it.  Every change is a cmpxchg from the value just
 * read, retried on a race, so counts are exact however many CPUs share
 * one page.  A share racing with the unshare that takes a count to 0
 * either adds to the old leaf before it is cleared (the unshare then
 * only decrements) or installs a new one after it, which translates as
 * the old one did: the invalidation the unshare asks for harms nothing.
 */

/*
 * The entry of IOVA @iova, where @entry was that of the page before (or
 * NULL): the next slot of the same leaf table, unless @iova starts one.
 */
static u64 *next_entry(struct vtd_pgtable *pt, u64 *entry, u64 iova,
		       bool alloc)
{
	if (entry && vtd_index(iova, 1))
		return entry + 1;
	return vtd_pgtable_leaf_entry(pt, iova, alloc,
				      GFP_ATOMIC | __GFP_NOWARN);
}

/* Take a reference on @entry, which is to read @want plus a count. */
static bool share_one(struct vtd_pgtable *pt, u64 *entry, u64 want)
{
	u64 old = READ_ONCE(*entry), new, found;

	for (;;) {
		/* Not the same leaf, or saturated: no reference here. */
		if (old && ((old & ~VTD_PTE_REFS_MASK) != want ||
			    !VTD_PTE_REFS_OF(old) ||
			    VTD_PTE_REFS_OF(old) == VTD_PTE_REFS_MAX))
			return false;
		new = old ? old + VTD_PTE_REFS(1) : want | VTD_PTE_REFS(1);
		found = vtd_pgtable_leaf_cmpxchg(pt, entry, old, new);
		if (found == old)
			return true;
		old = found;
	}
}

/*
 * Drop a reference on @entry (NULL: no table there), which is to read
 * @want plus any tag and a count.  1: cleared; 0: decremented; -ENOENT:
 * it holds no such reference (nothing changed).
 */
static int unshare_one(struct vtd_pgtable *pt, u64 *entry, u64 want)
{
	u64 old = entry ? READ_ONCE(*entry) : 0, new, found;

	for (;;) {
		if ((old & ~(VTD_PTE_REFS_MASK | VTD_PTE_TAG_MASK)) != want ||
		    !VTD_PTE_REFS_OF(old))
			return -ENOENT;
		new = VTD_PTE_REFS_OF(old) == 1 ? 0 : old - VTD_PTE_REFS(1);
		found = vtd_pgtable_leaf_cmpxchg(pt, entry, old, new);
		if (found == old)
			return !new;
		old = found;
	}
}

/**
 * vtd_pgtable_unshare() - drop one reference on each of a run of leaves
 * @pt: the table
 * @iova: page-aligned first address
 * @phys: page-aligned physical address the first leaf is to read
 * @npages: pages
 * @prot: the rights the leaves are to read (their tag is not compared)
 *
 * Leaves whose count reaches 0 are cleared; those that do not read
 * @phys.. and @prot with a count are skipped.
 *
 * Return: 1 when a leaf was cleared (the caller invalidates), 0 when
 * none was, -ENOENT when no leaf held such a reference.
 */
int vtd_pgtable_unshare(struct vtd_pgtable *pt, u64 iova, u64 phys,
			unsigned long npages, u64 prot)
{
	bool held = false, cleared = false;
	u64 *entry = NULL;
	unsigned long i;
	int ret;

	for (i = 0; i < npages; i++, iova += VTD_PAGE_SIZE) {
		entry = next_entry(pt, entry, iova, false);
		ret = unshare_one(pt, entry, (phys + i * VTD_PAGE_SIZE) | prot);
		if (ret < 0)
			continue;
		held = true;
		if (ret)
			cleared = true;
	}
	if (!held)
		return -ENOENT;
	return cleared;
}

/**
 * vtd_pgtable_share() - take one reference on each of a run of leaves
 * @pt: the table
 * @iova: page-aligned first address
 * @phys: page-aligned physical address
 * @npages: pages
 * @prot: VTD_PTE_READ and/or VTD_PTE_WRITE, and software bits outside
 *	  VTD_PTE_REFS_MASK (a tag)
 * @cleared: set when a failure, dropping the references it took, cleared
 *	     a leaf (another mapping may have let the IOTLB cache it)
 *
 * References are taken in page order, tables made as vtd_pgtable_map()
 * makes them (GFP_ATOMIC).
 *
 * Return: 0; -EINVAL for a bad request; -EBUSY when a leaf holds
 * something else or VTD_PTE_REFS_MAX references; -ENOMEM when a table
 * page cannot be had.  On failure no reference is left taken.
 */
int vtd_pgtable_share(struct vtd_pgtable *pt, u64 iova, u64 phys,
		      unsigned long npages, u64 prot, bool *cleared)
{
	u64 want = phys | prot, *entry = NULL;
	unsigned long i;
	int ret = 0;

	*cleared = false;
	if (!npages || !range_ok(pt, iova, (u64)npages << VTD_PAGE_SHIFT) ||
	    (phys & ~VTD_PTE_ADDR_MASK) || !(prot & VTD_PTE_TABLE) ||
	    (prot & ~(VTD_PTE_TABLE | (VTD_PTE_SW_MASK & ~VTD_PTE_REFS_MASK))))
		return -EINVAL;
	for (i = 0; i < npages; i++) {
		entry = next_entry(pt, entry, iova + i * VTD_PAGE_SIZE, true);
		if (!entry) {
			ret = -ENOMEM;
			break;
		}
		if (!share_one(pt, entry, want + i * VTD_PAGE_SIZE)) {
			ret = -EBUSY;
			break;
		}
	}
	if (ret && i)
		*cleared = vtd_pgtable_unshare(pt, iova, phys, i,
					       prot & VTD_PTE_TABLE) > 0;
	return ret;
}
