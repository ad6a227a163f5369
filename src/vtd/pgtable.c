// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d second-level I/O page tables (see src/vtd/pgtable.h).
 *
 * When the unit's page walks do not snoop the CPU caches (ECAP.C == 0, as
 * on QEMU's unit), every entry the hardware may read is written back from
 * the cache before it can be reached: a new table is flushed whole before
 * it is linked in, each link and unlink once written, and each run of
 * leaf entries after it is written.  The live counts a link carries sit
 * in bits the hardware ignores, so changing only them needs no flush.
 */
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/container_of.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>

#include "base/alloc_fault.h"
#include "vtd/pgtable.h"

/* Non-leaf entries grant both rights; the leaf decides. */
#define VTD_PTE_TABLE	(VTD_PTE_READ | VTD_PTE_WRITE)

/* Deepest table supported (vtd_pgtable_init()). */
#define VTD_MAX_LEVELS	4

unsigned int vtd_pgtable_reclaim = 1;
unsigned int vtd_pgtable_kept_leaves = VTD_KEPT_LEAVES;

/* Table pages of every table, live and at most: all go back with them. */
atomic_long_t vtd_pgtable_pages_live = ATOMIC_LONG_INIT(0);
atomic_long_t vtd_pgtable_pages_peak = ATOMIC_LONG_INIT(0);

/*
 * The links a walk went through: link[l] (2 <= l <= levels) is the entry
 * of the level-l table that points at the level-(l - 1) table on the
 * way, and carries that table's live count.  @super: where a walk to a
 * leaf table found a 2 MiB or 1 GiB leaf instead (else NULL), in a table
 * of level @super_level.
 */
struct walk {
	u64 *link[VTD_MAX_LEVELS + 1];
	u64 *super;
	unsigned int super_level;
};

static unsigned int vtd_index(u64 iova, unsigned int level)
{
	return (iova >> (VTD_PAGE_SHIFT + VTD_LEVEL_BITS * (level - 1))) &
	       (VTD_PTES_PER_TABLE - 1);
}

/* A link to a table: rights set, and not a 2 MiB or 1 GiB leaf. */
static bool linked(u64 link)
{
	return (link & VTD_PTE_TABLE) && !(link & VTD_PTE_PS);
}

static bool super_leaf(u64 entry)
{
	return entry & VTD_PTE_PS;
}

/* Bytes an entry of a level-@level table maps: 4 KiB, 2 MiB, 1 GiB. */
static u64 level_size(unsigned int level)
{
	return BIT_ULL(VTD_PAGE_SHIFT + VTD_LEVEL_BITS * (level - 1));
}

static u64 *table_of(u64 link)
{
	return phys_to_virt(link & VTD_PTE_ADDR_MASK);
}

static void pt_flush(const struct vtd_pgtable *pt, void *addr, size_t len)
{
	if (!pt->coherent)
		clflush_cache_range(addr, len);
}

/* Raise a high-water mark to @now if it is lower. */
static void raise_peak(atomic_long_t *peak, long now)
{
	long seen = atomic_long_read(peak);

	while (now > seen) {
		long found = atomic_long_cmpxchg(peak, seen, now);

		if (found == seen)
			break;
		seen = found;
	}
}

static u64 *table_alloc(struct vtd_pgtable *pt, gfp_t gfp)
{
	u64 *table;

	if (siommu_fail_alloc())
		return NULL;
	table = (u64 *)get_zeroed_page(gfp);
	if (!table)
		return NULL;
	pt_flush(pt, table, VTD_PAGE_SIZE);
	raise_peak(&pt->peak_tables, atomic_long_inc_return(&pt->nr_tables));
	raise_peak(&vtd_pgtable_pages_peak,
		   atomic_long_inc_return(&vtd_pgtable_pages_live));
	return table;
}

/* A page no walk has reached (never linked, or its table is gone). */
static void table_free(struct vtd_pgtable *pt, u64 *table)
{
	free_page((unsigned long)table);
	atomic_long_dec(&pt->nr_tables);
	atomic_long_dec(&vtd_pgtable_pages_live);
}

/*
 * An unlinked table goes onto @freed (chained through page->private) to
 * wait for the caller's invalidation: the unit may still reach it through
 * its paging-structure caches, CPUs through a walk that read the link.
 */
static void table_retire(struct vtd_pgtable *pt, u64 *table,
			 struct page **freed)
{
	struct page *page = virt_to_page(table);

	set_page_private(page, (unsigned long)*freed);
	*freed = page;
	atomic_long_dec(&pt->nr_tables);
}

static void table_free_rcu(struct rcu_head *head)
{
	free_page((unsigned long)page_address(container_of(head, struct page,
							   rcu_head)));
	atomic_long_dec(&vtd_pgtable_pages_live);
}

/**
 * vtd_pgtable_free_tables() - free the table pages an unmap unlinked
 * @freed: the chain vtd_pgtable_unmap() or vtd_pgtable_unshare() built
 *
 * Call only once an invalidation that drops the unit's paging-structure
 * caches for the unmapped range (IH clear, or a wider one) has completed.
 * The pages go after an RCU grace period besides, so that a CPU still
 * walking through a link it read before the unlink reads zeroes, not
 * someone else's page.  Any context.
 */
void vtd_pgtable_free_tables(struct page *freed)
{
	while (freed) {
		struct page *next = (struct page *)page_private(freed);

		set_page_private(freed, 0);
		call_rcu(&freed->rcu_head, table_free_rcu);
		freed = next;
	}
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
	if (levels < 3 || levels > VTD_MAX_LEVELS)
		return -EINVAL;
	pt->levels = levels;
	pt->coherent = coherent;
	pt->superpages = false;
	atomic_long_set(&pt->nr_tables, 0);
	atomic_long_set(&pt->peak_tables, 0);
	atomic_set(&pt->kept_empty, 0);
	pt->kept_max = vtd_pgtable_kept_leaves;
	atomic_long_set(&pt->super_maps, 0);
	pt->root = table_alloc(pt, GFP_KERNEL);
	return pt->root ? 0 : -ENOMEM;
}

static void table_destroy(struct vtd_pgtable *pt, u64 *table,
			  unsigned int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < VTD_PTES_PER_TABLE; i++)
			if (linked(table[i]))
				table_destroy(pt, table_of(table[i]), level - 1);
	}
	table_free(pt, table);
}

/**
 * vtd_pgtable_destroy() - free every table page
 * @pt: a table no hardware walks any more (its context entries are gone
 *      and the IOTLB was flushed), and no CPU
 */
void vtd_pgtable_destroy(struct vtd_pgtable *pt)
{
	if (pt->root)
		table_destroy(pt, pt->root, pt->levels);
	pt->root = NULL;
}

/*
 * Add @n to the live count of @table, linked at @link -- as long as it
 * still is: false when it was unlinked meanwhile (walk again from the
 * root) or the count would not fit (*@err = -EBUSY).  Taking the kept
 * empty table frees the place for the next one.
 */
static bool live_add(struct vtd_pgtable *pt, u64 *link, u64 *table,
		     unsigned int n, int *err)
{
	u64 old = READ_ONCE(*link), found;

	for (;;) {
		if (!linked(old) || table_of(old) != table)
			return false;
		if (VTD_PTE_LIVE_OF(old) + n > VTD_PTE_LIVE_MAX) {
			*err = -EBUSY;
			return false;
		}
		found = cmpxchg64(link, old,
				  (old & ~VTD_PTE_KEPT) + VTD_PTE_LIVE(n));
		if (found == old)
			break;
		old = found;
	}
	if (old & VTD_PTE_KEPT)
		atomic_dec(&pt->kept_empty);
	return true;
}

/*
 * Take @n off the live count of the level-(@level - 1) table that
 * @w->link[@level] holds: entries of it the caller cleared, or counts it
 * reserved and did not use.  A table whose count reaches 0 is unlinked in
 * the same exchange -- nobody can add to it after that, as live_add()
 * needs the link -- and onto @freed; one entry less in its parent, and so
 * on up.  With @freed NULL (a caller that cannot invalidate) or
 * reclamation switched off, empty tables stay linked; and up to
 * @pt->kept_max emptied leaf tables per page table stay
 * (VTD_PTE_KEPT), the next maps'.
 */
static void live_sub(struct vtd_pgtable *pt, struct walk *w,
		     unsigned int level, unsigned int n, struct page **freed)
{
	bool unlink = freed && READ_ONCE(vtd_pgtable_reclaim), kept = false;

	for (; level <= pt->levels; level++, n = 1) {
		u64 *link = w->link[level], old = READ_ONCE(*link), new, found;

		for (;;) {
			/* The place taken by this loop's last try, given back. */
			if (kept) {
				atomic_dec(&pt->kept_empty);
				kept = false;
			}
			if (WARN_ON_ONCE(!linked(old) ||
					 VTD_PTE_LIVE_OF(old) < n))
				return;
			new = old - VTD_PTE_LIVE(n);
			if (!VTD_PTE_LIVE_OF(new) && unlink)
				new = level == 2 &&
				      atomic_add_unless(&pt->kept_empty, 1,
							pt->kept_max) ?
				      new | VTD_PTE_KEPT : 0;
			kept = new & VTD_PTE_KEPT;
			found = cmpxchg64(link, old, new);
			if (found == old)
				break;
			old = found;
		}
		if (new)
			return;
		pt_flush(pt, link, sizeof(*link));
		table_retire(pt, table_of(old), freed);
	}
}

/*
 * The leaf table of @iova as it is now, recording the links on the way;
 * NULL where a table is missing.  Only as good as the caller's hold: a
 * table under a mapping the caller owns stays linked until the caller
 * clears it; any other may be unlinked meanwhile (it then reads zeroes
 * until the RCU grace period ends).  Inside rcu_read_lock().
 */
static u64 *leaf_find(struct vtd_pgtable *pt, u64 iova, struct walk *w)
{
	u64 *table = pt->root;
	unsigned int level;

	w->super = NULL;
	for (level = pt->levels; level > 1; level--) {
		u64 *link = &table[vtd_index(iova, level)];
		/* Pairs with the cmpxchg that published a zeroed child. */
		u64 old = smp_load_acquire(link);

		if (!linked(old)) {
			if (super_leaf(old)) {
				w->super = link;
				w->super_level = level;
			}
			return NULL;
		}
		w->link[level] = link;
		table = table_of(old);
	}
	return table;
}

/*
 * The level-@stop table of @iova (1: its leaf table) with @n of its
 * entries reserved for the caller (its live count raised by @n), making
 * the tables on the way as needed.
 *
 * A new table is linked only after its parent's count was raised for the
 * link, so no one can unlink the parent under it; tables on the way that
 * exist are passed with no hold on them -- if one goes meanwhile, the
 * live_add() under it fails and the walk starts again from the root.
 * NULL with *@err: -ENOMEM, -EBUSY for a count that would not fit, or
 * -EEXIST where a 2 MiB or 1 GiB leaf covers @iova.  Inside one
 * rcu_read_lock() of the caller's, which a @gfp that may sleep leaves
 * for the allocation.
 */
static u64 *table_reserve(struct vtd_pgtable *pt, u64 iova,
			  unsigned int stop, unsigned int n, gfp_t gfp,
			  struct walk *w, int *err)
{
	u64 *table, *child = NULL;
	unsigned int level;

	*err = 0;
again:
	table = pt->root;
	for (level = pt->levels; level > stop; level--) {
		u64 *link = &table[vtd_index(iova, level)];
		unsigned int want = level == stop + 1 ? n : 0;
		/* Pairs with the cmpxchg that published a zeroed child. */
		u64 old = smp_load_acquire(link), new;

		w->link[level] = link;
		if (linked(old)) {
			if (want && !live_add(pt, link, table_of(old), want, err)) {
				if (*err)
					break;
				goto again;
			}
			table = table_of(old);
			continue;
		}
		if (old) {
			*err = -EEXIST;		/* a large leaf */
			break;
		}
		if (!child && gfpflags_allow_blocking(gfp)) {
			/*
			 * An allocation that may sleep must not in the
			 * caller's RCU read section (its only one: a caller
			 * that may sleep holds no other).  Nothing of this
			 * walk is held yet: leave, allocate, walk again.
			 */
			rcu_read_unlock();
			child = table_alloc(pt, gfp);
			rcu_read_lock();
			if (!child) {
				*err = -ENOMEM;
				break;
			}
			goto again;
		}
		if (!child) {
			child = table_alloc(pt, gfp);
			if (!child) {
				*err = -ENOMEM;
				break;
			}
		}
		/* The link is one more live entry of @table. */
		if (level < pt->levels &&
		    !live_add(pt, w->link[level + 1], table, 1, err)) {
			if (*err)
				break;
			goto again;
		}
		new = virt_to_phys(child) | VTD_PTE_TABLE | VTD_PTE_LIVE(want);
		/* A full barrier: the zeroed child is visible first. */
		old = cmpxchg64(link, 0ULL, new);
		if (old) {
			/*
			 * Another CPU linked a table first: give the count
			 * back (an empty @table stays: no invalidation here)
			 * and walk on through theirs.
			 */
			if (level < pt->levels)
				live_sub(pt, w, level + 1, 1, NULL);
			goto again;
		}
		pt_flush(pt, link, sizeof(*link));
		table = child;
		child = NULL;
	}
	if (child)
		table_free(pt, child);
	return *err ? NULL : table;
}

/*
 * The leaf table of @iova with @n entries reserved, as table_reserve():
 * first by a plain walk and one raise of its count, the common case of a
 * table that is there.
 */
static u64 *leaf_reserve(struct vtd_pgtable *pt, u64 iova, unsigned int n,
			 gfp_t gfp, struct walk *w, int *err)
{
	u64 *leaf = leaf_find(pt, iova, w);

	*err = 0;
	if (leaf && live_add(pt, w->link[2], leaf, n, err))
		return leaf;
	return *err ? NULL : table_reserve(pt, iova, 1, n, gfp, w, err);
}

/* Clear every leaf below @table; tables stay.  How many were set. */
static u64 table_clear_leaves(struct vtd_pgtable *pt, u64 *table,
			      unsigned int level, struct walk *w)
{
	u64 cleared = 0, n = 0, old;
	unsigned int i;

	for (i = 0; i < VTD_PTES_PER_TABLE; i++) {
		old = READ_ONCE(table[i]);
		if (!old)
			continue;
		if (level > 1 && super_leaf(old)) {
			/* Only the leaf read: a link may have replaced it. */
			if (cmpxchg64(&table[i], old, 0ULL) == old) {
				pt_flush(pt, &table[i], sizeof(u64));
				cleared += level_size(level) >> VTD_PAGE_SHIFT;
				n++;
			}
			continue;
		}
		if (level > 1) {
			if (!linked(old))
				continue;
			w->link[level] = &table[i];
			cleared += table_clear_leaves(pt, table_of(old),
						      level - 1, w);
		} else if (xchg(&table[i], 0ULL)) {
			n++;
		}
	}
	if (level == 1) {
		pt_flush(pt, table, VTD_PAGE_SIZE);
		if (n)
			live_sub(pt, w, 2, n, NULL);
		cleared = n;
	} else if (n && level < pt->levels) {
		live_sub(pt, w, level + 1, n, NULL);	/* its large leaves */
	}
	return cleared;
}

/**
 * vtd_pgtable_clear_all() - clear every mapping, keep every table page
 * @pt: the table
 *
 * Safe against concurrent map and unmap; what they do meanwhile may or
 * may not survive.  The caller invalidates the IOTLB.
 *
 * Return: the number of 4 KiB entries that were mapped.
 */
u64 vtd_pgtable_clear_all(struct vtd_pgtable *pt)
{
	struct walk w;
	u64 cleared;

	if (!pt->root)
		return 0;
	rcu_read_lock();
	cleared = table_clear_leaves(pt, pt->root, pt->levels, &w);
	rcu_read_unlock();
	return cleared;
}

/* Leaves of [iova, iova + size) the leaf table of @iova holds. */
static unsigned int chunk_pages(u64 iova, u64 size)
{
	unsigned int first = vtd_index(iova, 1);

	if (size >> VTD_PAGE_SHIFT < VTD_PTES_PER_TABLE - first)
		return size >> VTD_PAGE_SHIFT;
	return VTD_PTES_PER_TABLE - first;
}

/*
 * Clear the leaf entries of [iova, iova + size); return bytes cleared.
 * With @first (holding 0), only if the first page is mapped: its old
 * entry, read by the exchange that clears it, goes to *@first; when it
 * is not mapped nothing is touched and 0 returned.
 */
static u64 unmap_range(struct vtd_pgtable *pt, u64 iova, u64 size,
		       struct page **freed, u64 *first)
{
	u64 end = iova + size, cleared = 0;
	struct walk w;

	while (iova < end) {
		unsigned int n = chunk_pages(iova, end - iova), i, gone = 0;
		u64 *leaf = leaf_find(pt, iova, &w), old;

		old = !leaf && w.super ? READ_ONCE(*w.super) : 0;
		if (super_leaf(old) && cmpxchg64(w.super, old, 0ULL) == old) {
			u64 big = level_size(w.super_level);

			if (first && !*first)
				*first = old;

			/* A large leaf goes whole, as it was mapped. */
			pt_flush(pt, w.super, sizeof(u64));
			if (w.super_level < pt->levels)
				live_sub(pt, &w, w.super_level + 1, 1, freed);
			cleared += big;
			iova = (iova | (big - 1)) + 1;
			continue;
		}
		if (leaf) {
			leaf += vtd_index(iova, 1);
			i = 0;
			if (first && !*first) {
				*first = xchg(&leaf[0], 0ULL);
				if (!*first)
					return 0;
				gone = 1;
				i = 1;
			}
			for (; i < n; i++)
				if (xchg(&leaf[i], 0ULL))
					gone++;
			pt_flush(pt, leaf, n * sizeof(u64));
			/* Only now may the table go: nothing reads it after. */
			if (gone)
				live_sub(pt, &w, 2, gone, freed);
			cleared += (u64)gone << VTD_PAGE_SHIFT;
		} else if (first && !*first) {
			return 0;	/* no table for the first page */
		}
		iova += (u64)n << VTD_PAGE_SHIFT;
	}
	return cleared;
}

/*
 * Map one leaf of a level-@level table at @iova (2 MiB at level 2, 1 GiB
 * at level 3; both addresses aligned to it): 0; -EAGAIN when a table is
 * there (the caller maps smaller leaves instead); -EEXIST when a large
 * leaf is; -ENOMEM.  A root entry (a 3-level table's 1 GiB leaves) has no
 * count to reserve in.
 */
static int map_leaf_at(struct vtd_pgtable *pt, unsigned int level, u64 iova,
		       u64 phys, u64 prot, gfp_t gfp)
{
	struct walk w;
	u64 *table, *entry, found;
	int err;

	table = table_reserve(pt, iova, level, 1, gfp, &w, &err);
	if (!table)
		return err == -EBUSY ? -EEXIST : err;
	entry = &table[vtd_index(iova, level)];
	found = cmpxchg64(entry, 0ULL, phys | prot | VTD_PTE_PS);
	if (!found) {
		pt_flush(pt, entry, sizeof(*entry));
		atomic_long_inc(&pt->super_maps);
		return 0;
	}
	if (level < pt->levels)
		live_sub(pt, &w, level + 1, 1, NULL);
	return super_leaf(found) ? -EEXIST : -EAGAIN;
}

/* May a level-@level leaf map @iova to @phys with @left bytes to go? */
static bool large_fits(const struct vtd_pgtable *pt, unsigned int level,
		       u64 iova, u64 phys, u64 left)
{
	u64 size = level_size(level);

	return (level == 2 ? pt->superpages : pt->gigapages) &&
	       level <= pt->levels && left >= size &&
	       !((iova | phys) & (size - 1));
}

/*
 * The largest leaf that fits at @iova, 1 GiB then 2 MiB: 0 and its size
 * in *@size; -EAGAIN when none fits or tables are in the way (the caller
 * maps 4 KiB leaves); -EEXIST, -ENOMEM.
 */
static int map_large(struct vtd_pgtable *pt, u64 iova, u64 phys, u64 left,
		     u64 prot, gfp_t gfp, u64 *size)
{
	unsigned int level;
	int ret = -EAGAIN;

	for (level = 3; level >= 2 && ret == -EAGAIN; level--) {
		if (!large_fits(pt, level, iova, phys, left))
			continue;
		ret = map_leaf_at(pt, level, iova, phys, prot, gfp);
		if (!ret)
			*size = level_size(level);
	}
	return ret;
}

static bool range_ok(const struct vtd_pgtable *pt, u64 iova, u64 size)
{
	return size && !((iova | size) & (VTD_PAGE_SIZE - 1)) &&
	       iova + size - 1 >= iova &&
	       iova + size - 1 <= vtd_pgtable_max_iova(pt);
}

/*
 * Each run well formed and after the one before it: page-aligned, not
 * empty, within the table, its address one a leaf can hold.
 */
static bool runs_ok(const struct vtd_pgtable *pt, const struct siommu_run *runs,
		    unsigned int n, u64 prot)
{
	u64 iova_bits = 0, phys_bits = 0, end = 0;
	unsigned int r;

	if (!n || !(prot & VTD_PTE_TABLE) ||
	    (prot & ~(VTD_PTE_TABLE | VTD_PTE_SW_MASK)))
		return false;
	for (r = 0; r < n; r++) {
		/* Before the last end, or empty, or wrapping around. */
		if (runs[r].iova < end ||
		    runs[r].iova + runs[r].size <= runs[r].iova)
			return false;
		end = runs[r].iova + runs[r].size;
		iova_bits |= runs[r].iova | runs[r].size;
		phys_bits |= runs[r].phys;
	}
	return !(iova_bits & (VTD_PAGE_SIZE - 1)) &&
	       !(phys_bits & ~VTD_PTE_ADDR_MASK) &&
	       end - 1 <= vtd_pgtable_max_iova(pt);
}

/* Where a map over a list of runs has got to: run @r, @off bytes in. */
struct run_pos {
	unsigned int r;
	u64 off;
};

/*
 * Write the leaves from @pos on that fall in @leaf, the leaf table of
 * the page at @pos (up to @last, its last byte or the runs' if sooner),
 * advancing @pos past those written; stop at the first that is taken
 * (*@err = -EEXIST).  Return: how many were written.
 */
static unsigned int fill_leaves(struct vtd_pgtable *pt, u64 *leaf,
				const struct siommu_run *runs, unsigned int n,
				struct run_pos *pos, u64 last, u64 prot,
				int *err)
{
	/* Locals: each exchange is a compiler barrier that would reload them. */
	unsigned int r = pos->r, done = 0, take, i;
	u64 iova = runs[r].iova + pos->off;

	for (;;) {
		const struct siommu_run *run = &runs[r];
		u64 run_last = run->iova + run->size - 1;
		u64 stop = min(run_last, last);
		u64 *entry = &leaf[vtd_index(iova, 1)];
		u64 pte = (run->phys + (iova - run->iova)) | prot;

		take = (stop + 1 - iova) >> VTD_PAGE_SHIFT;
		for (i = 0; i < take; i++, pte += VTD_PAGE_SIZE)
			if (cmpxchg64(&entry[i], 0ULL, pte))
				break;
		pt_flush(pt, entry, i * sizeof(u64));
		done += i;
		iova += (u64)i << VTD_PAGE_SHIFT;
		if (i < take) {
			*err = -EEXIST;
			break;
		}
		if (stop != run_last)
			break;		/* the run goes on in the next table */
		if (++r == n)
			break;
		iova = runs[r].iova;
		if (iova > last)
			break;
	}
	pos->r = r;
	pos->off = r < n ? iova - runs[r].iova : 0;
	return done;
}

/* Clear what a failed map wrote: the runs before @pos.  Nothing freed. */
static void unmap_runs_before(struct vtd_pgtable *pt,
			      const struct siommu_run *runs, struct run_pos pos)
{
	unsigned int r;

	for (r = 0; r < pos.r; r++)
		unmap_range(pt, runs[r].iova, runs[r].size, NULL, NULL);
	if (pos.off)
		unmap_range(pt, runs[pos.r].iova, pos.off, NULL, NULL);
}

/**
 * vtd_pgtable_map_runs() - map a list of runs, each table walked once
 * @pt: the table
 * @runs: what to map, in ascending IOVA order, not overlapping; the span
 *	  from the first run's start to the last one's end, gaps included,
 *	  is the caller's alone (a range it allocated)
 * @n: how many runs
 * @prot: VTD_PTE_READ and/or VTD_PTE_WRITE, and software bits
 * @gfp: how table pages may be allocated (GFP_ATOMIC on the DMA path)
 *
 * All the leaves the runs put into one leaf table -- a long run's share
 * of it, or several short runs' (a scatterlist's segments) -- are
 * reserved with one walk and one raise of its live count, then written
 * in place.  Where @pt->gigapages or @pt->superpages allows and both
 * addresses are so aligned, a 1 GiB or 2 MiB stretch of a run is one
 * level-3 or level-2 leaf (unless a table is already there).  A failure
 * leaves the tables it made (empty: the next map there uses them), never
 * a leaf.
 *
 * Return: 0; -EINVAL for a misaligned, out-of-range or unordered run;
 * -EEXIST if a page is already mapped (a caller bug: nothing is changed);
 * -ENOMEM if a table page cannot be had (nothing is left mapped).
 */
int vtd_pgtable_map_runs(struct vtd_pgtable *pt, const struct siommu_run *runs,
			 unsigned int n, u64 prot, gfp_t gfp)
{
	struct run_pos pos = { 0, 0 };
	u64 span_last;
	struct walk w;
	int ret = 0;

	if (!runs_ok(pt, runs, n, prot))
		return -EINVAL;
	span_last = runs[n - 1].iova + runs[n - 1].size - 1;

	rcu_read_lock();
	while (pos.r < n) {
		const struct siommu_run *run = &runs[pos.r];
		u64 iova = run->iova + pos.off, phys = run->phys + pos.off;
		u64 last = min_t(u64, iova | (VTD_SUPERPAGE_SIZE - 1), span_last);
		unsigned int pages, written;
		u64 *leaf, big = 0;

		ret = map_large(pt, iova, phys, run->size - pos.off, prot, gfp,
				&big);
		if (!ret) {
			pos.off += big;
			if (pos.off == run->size) {
				pos.r++;
				pos.off = 0;
			}
			continue;
		}
		if (ret != -EAGAIN)
			break;
		/*
		 * Reserve every entry from here to the end of the leaf
		 * table or of the span, gaps between runs included (the
		 * span is the caller's alone, so the count stays within
		 * the table), and give back what no leaf took.
		 */
		pages = (last + 1 - iova) >> VTD_PAGE_SHIFT;
		leaf = leaf_reserve(pt, iova, pages, gfp, &w, &ret);
		if (!leaf) {
			/* Only a caller bug overflows a live count. */
			if (ret == -EBUSY)
				ret = -EEXIST;
			break;
		}
		written = fill_leaves(pt, leaf, runs, n, &pos, last, prot,
				      &ret);
		if (written < pages)
			live_sub(pt, &w, 2, pages - written, NULL);
		if (ret)
			break;
	}
	if (ret)
		unmap_runs_before(pt, runs, pos);
	rcu_read_unlock();
	return ret;
}

/**
 * vtd_pgtable_map() - map [iova, iova + size) to [phys, phys + size)
 * @pt: the table
 * @iova: page-aligned I/O virtual address
 * @phys: page-aligned physical address
 * @size: bytes, a multiple of the page size
 * @prot: VTD_PTE_READ and/or VTD_PTE_WRITE, and software bits
 * @gfp: how table pages may be allocated (GFP_ATOMIC on the DMA path)
 *
 * One run of vtd_pgtable_map_runs(): each leaf table on the way walked
 * to once, its live count raised once for all the leaves it takes.
 *
 * Return: as vtd_pgtable_map_runs().
 */
int vtd_pgtable_map(struct vtd_pgtable *pt, u64 iova, u64 phys, u64 size,
		    u64 prot, gfp_t gfp)
{
	struct siommu_run run = { .iova = iova, .phys = phys, .size = size };

	return vtd_pgtable_map_runs(pt, &run, 1, prot, gfp);
}

/**
 * vtd_pgtable_unmap() - clear the mapping of [iova, iova + size)
 * @pt: the table
 * @iova: page-aligned I/O virtual address
 * @size: bytes, a multiple of the page size
 * @freed: if not NULL, receives the table pages the unmap emptied and
 *	   unlinked (chained, see vtd_pgtable_free_tables()); NULL keeps
 *	   empty tables linked
 *
 * The hardware may still hold the old translations in its IOTLB and the
 * unlinked tables in its paging-structure caches: the caller invalidates
 * before the IOVA range is reused and before the pages in @freed go.  A
 * 2 MiB or 1 GiB leaf the range touches is cleared whole.
 *
 * Return: bytes that were mapped and are now cleared (0 for a bad range).
 */
u64 vtd_pgtable_unmap(struct vtd_pgtable *pt, u64 iova, u64 size,
		      struct page **freed)
{
	u64 cleared;

	if (!range_ok(pt, iova, size))
		return 0;
	rcu_read_lock();
	cleared = unmap_range(pt, iova, size, freed, NULL);
	rcu_read_unlock();
	return cleared;
}

/**
 * vtd_pgtable_unmap_mapped() - clear a mapping whose first page is mapped
 * @pt: the table
 * @iova: page-aligned I/O virtual address
 * @size: bytes, a multiple of the page size
 * @freed: as for vtd_pgtable_unmap()
 * @first: receives the first page's entry as it was (0 when not mapped)
 *
 * As vtd_pgtable_unmap(), in the same walk, but only when @iova's page is
 * mapped: the exchange that clears it returns its entry (software bits
 * included), so a caller that needs the entry (its tag) and to refuse
 * ranges that are not mapped does not walk twice.  A range whose first
 * page is not mapped is left alone.
 *
 * Return: bytes that were mapped and are now cleared; 0 when the first
 * page was not mapped or the range is bad.
 */
u64 vtd_pgtable_unmap_mapped(struct vtd_pgtable *pt, u64 iova, u64 size,
			     struct page **freed, u64 *first)
{
	u64 cleared;

	*first = 0;
	if (!range_ok(pt, iova, size))
		return 0;
	rcu_read_lock();
	cleared = unmap_range(pt, iova, size, freed, first);
	rcu_read_unlock();
	return cleared;
}

/**
 * vtd_pgtable_pte() - the leaf entry that maps @iova, as stored
 * @pt: the table
 * @iova: I/O virtual address
 *
 * Inside a large leaf, the entry a 4 KiB leaf for @iova's page would be:
 * the same bits, the address of that page.
 *
 * Return: the raw entry, software bits included; 0 when not mapped.
 */
u64 vtd_pgtable_pte(struct vtd_pgtable *pt, u64 iova)
{
	struct walk w;
	u64 *leaf, pte = 0;

	if (iova > vtd_pgtable_max_iova(pt))
		return 0;
	rcu_read_lock();
	leaf = leaf_find(pt, iova, &w);
	if (leaf)
		pte = READ_ONCE(leaf[vtd_index(iova, 1)]);
	else if (w.super)
		pte = READ_ONCE(*w.super);
	rcu_read_unlock();
	if (super_leaf(pte))
		pte = (pte & ~VTD_PTE_PS) +
		      (iova & (level_size(w.super_level) - VTD_PAGE_SIZE));
	return pte;
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
	u64 pte = vtd_pgtable_pte(pt, iova);

	if (prot)
		*prot = pte & VTD_PTE_TABLE;
	if (!(pte & VTD_PTE_TABLE))
		return 0;
	return (pte & VTD_PTE_ADDR_MASK) | (iova & (VTD_PAGE_SIZE - 1));
}

/* Tables from @table (a level-@level one) down that hold a leaf below. */
static long tables_needed(const u64 *table, unsigned int level)
{
	long n = 0;
	bool leaf = false;
	unsigned int i;

	for (i = 0; i < VTD_PTES_PER_TABLE; i++) {
		u64 e = READ_ONCE(table[i]);
		long below;

		if (!e)
			continue;
		if (level == 1)
			return 1;
		if (super_leaf(e)) {
			leaf = true;
			continue;
		}
		if (!linked(e))
			continue;
		below = tables_needed(table_of(e), level - 1);
		n += below;
		leaf |= below > 0;
	}
	return leaf ? n + 1 : 0;
}

/**
 * vtd_pgtable_tables_needed() - the fewest table pages the mappings need
 * @pt: the table
 *
 * The root and every table with a leaf below it: what @pt->nr_tables
 * would be had every emptied table gone at once.  A walk of every linked
 * table, for reports; a snapshot only while maps and unmaps go on.
 *
 * Return: the count, at least 1 (the root).
 */
long vtd_pgtable_tables_needed(struct vtd_pgtable *pt)
{
	long n;

	if (!pt->root)
		return 0;
	rcu_read_lock();
	n = tables_needed(pt->root, pt->levels);
	rcu_read_unlock();
	return max(n, 1L);
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
 * vtd_pgtable_leaf_entry() - where the leaf entry for @iova is kept now
 * @pt: the table
 * @iova: I/O virtual address (its page offset is ignored)
 *
 * For inspection (tests): the pointer stays good only while a mapping
 * under the same leaf table does, and the entry is only to be read.
 *
 * Return: the entry, or NULL when @iova is beyond the table or its leaf
 * table is missing.
 */
u64 *vtd_pgtable_leaf_entry(struct vtd_pgtable *pt, u64 iova)
{
	struct walk w;
	u64 *leaf;

	if (iova > vtd_pgtable_max_iova(pt))
		return NULL;
	rcu_read_lock();
	leaf = leaf_find(pt, iova, &w);
	rcu_read_unlock();
	return leaf ? &leaf[vtd_index(iova, 1)] : NULL;
}

/* Exchange a leaf; written back for a unit that does not snoop. */
static u64 leaf_cmpxchg(struct vtd_pgtable *pt, u64 *entry, u64 old, u64 new)
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
 *
 * The leaf table's live count counts a counted leaf once, whatever its
 * references: a share that installs one reserves an entry for it first
 * (and gives the reservation back if it found the leaf already there).
 */

/* Take a reference on @leaf[@i], which is to read @want plus a count. */
static int share_one(struct vtd_pgtable *pt, struct walk *w, u64 *leaf,
		     unsigned int i, u64 want)
{
	u64 *entry = &leaf[i], old = READ_ONCE(*entry), new, found;
	bool reserved = false;
	int err = 0;

	for (;;) {
		/* Not the same leaf, or saturated: no reference here. */
		if (old && ((old & ~VTD_PTE_REFS_MASK) != want ||
			    !VTD_PTE_REFS_OF(old) ||
			    VTD_PTE_REFS_OF(old) == VTD_PTE_REFS_MAX)) {
			err = -EBUSY;
			break;
		}
		if (!old && !reserved) {
			if (!live_add(pt, w->link[2], leaf, 1, &err))
				return err ?: -EAGAIN;
			reserved = true;
		}
		new = old ? old + VTD_PTE_REFS(1) : want | VTD_PTE_REFS(1);
		found = leaf_cmpxchg(pt, entry, old, new);
		if (found == old)
			break;
		old = found;
	}
	/* A reservation that no new leaf took (the table keeps others). */
	if (reserved && (err || old))
		live_sub(pt, w, 2, 1, NULL);
	return err;
}

/*
 * Drop a reference on @entry, which is to read @want plus any tag and a
 * count.  1: cleared; 0: decremented; -ENOENT: it holds no such reference
 * (nothing changed).
 */
static int unshare_one(struct vtd_pgtable *pt, u64 *entry, u64 want)
{
	u64 old = READ_ONCE(*entry), new, found;

	for (;;) {
		if ((old & ~(VTD_PTE_REFS_MASK | VTD_PTE_TAG_MASK)) != want ||
		    !VTD_PTE_REFS_OF(old))
			return -ENOENT;
		new = VTD_PTE_REFS_OF(old) == 1 ? 0 : old - VTD_PTE_REFS(1);
		found = leaf_cmpxchg(pt, entry, old, new);
		if (found == old)
			return !new;
		old = found;
	}
}

static int unshare_range(struct vtd_pgtable *pt, u64 iova, u64 phys,
			 unsigned long npages, u64 prot, struct page **freed)
{
	bool held = false, cleared = false;
	u64 *leaf = NULL;
	unsigned long i;
	struct walk w;
	int ret;

	for (i = 0; i < npages; i++, iova += VTD_PAGE_SIZE) {
		if (!leaf || !vtd_index(iova, 1))
			leaf = leaf_find(pt, iova, &w);
		if (!leaf)
			continue;
		ret = unshare_one(pt, &leaf[vtd_index(iova, 1)],
				  (phys + i * VTD_PAGE_SIZE) | prot);
		if (ret < 0)
			continue;
		held = true;
		if (ret) {
			cleared = true;
			/* No later leaf of ours is in it if this empties it. */
			live_sub(pt, &w, 2, 1, freed);
		}
	}
	if (!held)
		return -ENOENT;
	return cleared;
}

/**
 * vtd_pgtable_unshare() - drop one reference on each of a run of leaves
 * @pt: the table
 * @iova: page-aligned first address
 * @phys: page-aligned physical address the first leaf is to read
 * @npages: pages
 * @prot: the rights the leaves are to read (their tag is not compared)
 * @freed: as for vtd_pgtable_unmap()
 *
 * Leaves whose count reaches 0 are cleared; those that do not read
 * @phys.. and @prot with a count are skipped.
 *
 * Return: 1 when a leaf was cleared (the caller invalidates), 0 when
 * none was, -ENOENT when no leaf held such a reference.
 */
int vtd_pgtable_unshare(struct vtd_pgtable *pt, u64 iova, u64 phys,
			unsigned long npages, u64 prot, struct page **freed)
{
	int ret;

	rcu_read_lock();
	ret = unshare_range(pt, iova, phys, npages, prot, freed);
	rcu_read_unlock();
	return ret;
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
 * makes them (GFP_ATOMIC).  A failure keeps the tables (empty ones stay
 * linked): there is no invalidation to free them after.
 *
 * Return: 0; -EINVAL for a bad request; -EBUSY when a leaf holds
 * something else or VTD_PTE_REFS_MAX references; -ENOMEM when a table
 * page cannot be had.  On failure no reference is left taken.
 */
int vtd_pgtable_share(struct vtd_pgtable *pt, u64 iova, u64 phys,
		      unsigned long npages, u64 prot, bool *cleared)
{
	u64 want = phys | prot, *leaf = NULL;
	unsigned long i;
	struct walk w;
	int ret = 0;

	*cleared = false;
	if (!npages || !range_ok(pt, iova, (u64)npages << VTD_PAGE_SHIFT) ||
	    (phys & ~VTD_PTE_ADDR_MASK) || !(prot & VTD_PTE_TABLE) ||
	    (prot & ~(VTD_PTE_TABLE | (VTD_PTE_SW_MASK & ~VTD_PTE_REFS_MASK))))
		return -EINVAL;
	rcu_read_lock();
	for (i = 0; i < npages; i++) {
		u64 at = iova + i * VTD_PAGE_SIZE;

		if (!leaf || !vtd_index(at, 1)) {
			leaf = leaf_reserve(pt, at, 0,
					    GFP_ATOMIC | __GFP_NOWARN, &w,
					    &ret);
			if (!leaf)
				break;
		}
		ret = share_one(pt, &w, leaf, vtd_index(at, 1),
				want + i * VTD_PAGE_SIZE);
		if (ret == -EAGAIN) {
			/* Its leaf table went meanwhile: walk again. */
			leaf = NULL;
			i--;
			continue;
		}
		if (ret)
			break;
	}
	if (ret && i)
		*cleared = unshare_range(pt, iova, phys, i,
					 prot & VTD_PTE_TABLE, NULL) > 0;
	rcu_read_unlock();
	return ret;
}
