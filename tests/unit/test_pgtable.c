// SPDX-License-Identifier: GPL-2.0
/*
 * Unit and stress tests of the I/O page tables (src/vtd/pgtable.c compiled
 * unchanged over the shim).  Built twice: with ASan+UBSan, and with TSan
 * for the concurrent populate test.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "base/alloc_fault.h"
#include "harness.h"
#include "shim.h"
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>

#include "vtd/pgtable.h"

#define PG	VTD_PAGE_SIZE
#define RW	(VTD_PTE_READ | VTD_PTE_WRITE)

/* A plausible physical address for IOVA page @i: distinct per page. */
static u64 phys_of(u64 i)
{
	return 0x100000000ULL + i * PG;
}

#define SP	VTD_SUPERPAGE_SIZE

static void test_init(void)
{
	struct vtd_pgtable pt;

	EXPECT(vtd_pgtable_init(&pt, 2, true) == -EINVAL, "2 levels");
	EXPECT(vtd_pgtable_init(&pt, 5, true) == -EINVAL, "5 levels");
	EXPECT(vtd_pgtable_init(&pt, 3, true) == 0, "3 levels");
	EXPECT(vtd_pgtable_max_iova(&pt) == (1ULL << 39) - 1, "39-bit");
	EXPECT(atomic_long_read(&pt.nr_tables) == 1, "root only");
	vtd_pgtable_destroy(&pt);
	EXPECT(vtd_pgtable_init(&pt, 4, true) == 0, "4 levels");
	EXPECT(vtd_pgtable_max_iova(&pt) == (1ULL << 48) - 1, "48-bit");
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

static void test_map_lookup_unmap(void)
{
	struct vtd_pgtable pt;
	u64 prot, i, bad = 0;
	/* 600 pages from just below a leaf-table boundary: spans 3 leaves. */
	const u64 iova = 0x200000 - 8 * PG, n = 600;

	vtd_pgtable_init(&pt, 4, true);
	EXPECT(vtd_pgtable_map(&pt, 0x5000, 0xabc000, PG, VTD_PTE_READ,
			       GFP_KERNEL) == 0, "map one page");
	EXPECT(vtd_pgtable_lookup(&pt, 0x5123, &prot) == 0xabc123 &&
	       prot == VTD_PTE_READ, "lookup with offset, read-only");
	EXPECT(vtd_pgtable_lookup(&pt, 0x6000, &prot) == 0 && prot == 0,
	       "neighbour not mapped");
	/* root + L3 + L2 + L1 */
	EXPECT(atomic_long_read(&pt.nr_tables) == 4, "%ld tables",
	       atomic_long_read(&pt.nr_tables));

	EXPECT(vtd_pgtable_map(&pt, iova, phys_of(0), n * PG, RW,
			       GFP_ATOMIC) == 0, "map 600 pages");
	for (i = 0; i < n; i++)
		if (vtd_pgtable_lookup(&pt, iova + i * PG, &prot) != phys_of(i) ||
		    prot != RW)
			bad++;
	EXPECT(bad == 0, "%llu pages translate wrong", (unsigned long long)bad);
	EXPECT(vtd_pgtable_unmap(&pt, iova, n * PG, NULL) == n * PG, "unmap all");
	EXPECT(vtd_pgtable_unmap(&pt, iova, n * PG, NULL) == 0, "unmap again: 0");
	EXPECT(vtd_pgtable_lookup(&pt, iova + 300 * PG, NULL) == 0, "gone");
	EXPECT(vtd_pgtable_lookup(&pt, 0x5000, NULL) == 0xabc000, "kept");
	/* Unmapping a range never mapped, with no tables under it. */
	EXPECT(vtd_pgtable_unmap(&pt, 1ULL << 40, 4 * PG, NULL) == 0, "empty range");
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

static void test_bad_requests(void)
{
	struct vtd_pgtable pt;

	vtd_pgtable_init(&pt, 3, true);
	EXPECT(vtd_pgtable_map(&pt, 0x1001, 0, PG, RW, 0) == -EINVAL, "iova");
	EXPECT(vtd_pgtable_map(&pt, 0x1000, 0x10, PG, RW, 0) == -EINVAL, "phys");
	EXPECT(vtd_pgtable_map(&pt, 0x1000, 0, 0, RW, 0) == -EINVAL, "size 0");
	EXPECT(vtd_pgtable_map(&pt, 0x1000, 0, 100, RW, 0) == -EINVAL, "size");
	EXPECT(vtd_pgtable_map(&pt, 0x1000, 0, PG, 0, 0) == -EINVAL, "no rights");
	EXPECT(vtd_pgtable_map(&pt, 0x1000, 0, PG, 4, 0) == -EINVAL, "bad prot");
	EXPECT(vtd_pgtable_map(&pt, 1ULL << 39, 0, PG, RW, 0) == -EINVAL,
	       "past 39 bits");
	EXPECT(vtd_pgtable_map(&pt, (1ULL << 39) - PG, 0, 2 * PG, RW, 0) ==
	       -EINVAL, "straddles the top");
	EXPECT(vtd_pgtable_map(&pt, -PG, 0, 2 * PG, RW, 0) == -EINVAL, "wraps");
	EXPECT(vtd_pgtable_lookup(&pt, 1ULL << 45, NULL) == 0, "lookup past");
	EXPECT(atomic_long_read(&pt.nr_tables) == 1, "nothing built");
	vtd_pgtable_destroy(&pt);
}

static void test_double_map(void)
{
	struct vtd_pgtable pt;

	vtd_pgtable_init(&pt, 3, true);
	vtd_pgtable_map(&pt, 0x10000, 0x70000, PG, VTD_PTE_READ, 0);
	/* A new range over the mapped page: refused, nothing of it left. */
	EXPECT(vtd_pgtable_map(&pt, 0xc000, 0x90000, 8 * PG, RW, 0) == -EEXIST,
	       "overlap refused");
	EXPECT(vtd_pgtable_lookup(&pt, 0xc000, NULL) == 0 &&
	       vtd_pgtable_lookup(&pt, 0xf000, NULL) == 0, "rolled back");
	EXPECT(vtd_pgtable_lookup(&pt, 0x10000, NULL) == 0x70000,
	       "original intact");
	EXPECT(vtd_pgtable_lookup(&pt, 0x11000, NULL) == 0, "after: untouched");
	vtd_pgtable_destroy(&pt);
}

static void test_alloc_failure(void)
{
	struct vtd_pgtable pt;
	long n;

	/* Fail each of the three table allocations a fresh walk needs. */
	for (n = 0; n < 3; n++) {
		vtd_pgtable_init(&pt, 4, true);
		shim_fail_alloc_after = n;
		EXPECT(vtd_pgtable_map(&pt, 0x40000000, 0x1000, 4 * PG, RW,
				       GFP_ATOMIC) == -ENOMEM, "failure %ld", n);
		shim_fail_alloc_after = -1;
		EXPECT(vtd_pgtable_lookup(&pt, 0x40000000, NULL) == 0,
		       "nothing mapped after failure %ld", n);
		/* And the table still works. */
		EXPECT(vtd_pgtable_map(&pt, 0x40000000, 0x1000, 4 * PG, RW,
				       GFP_ATOMIC) == 0, "retry %ld", n);
		vtd_pgtable_destroy(&pt);
	}
	/* A range spanning two leaf tables whose second table fails. */
	vtd_pgtable_init(&pt, 3, true);
	vtd_pgtable_map(&pt, 0, 0, PG, RW, 0);	/* builds the first leaf */
	shim_fail_alloc_after = 0;
	EXPECT(vtd_pgtable_map(&pt, 0x1ff000, 0x5000, 2 * PG, RW, 0) == -ENOMEM,
	       "second leaf fails");
	shim_fail_alloc_after = -1;
	EXPECT(vtd_pgtable_lookup(&pt, 0x1ff000, NULL) == 0,
	       "first half rolled back");
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/*
 * The fail_alloc_ppm knob (src/base/alloc_fault.h): at 30% every map that
 * needs a table page may fail; a failed map leaves nothing mapped, the
 * rest work, and every table page comes back with the table.
 */
static void test_fail_alloc_knob(void)
{
	unsigned long before = shim_fail_alloc_injected, ok = 0, failed = 0;
	struct vtd_pgtable pt;
	u64 iova;
	int ret;

	vtd_pgtable_init(&pt, 4, true);
	siommu_fail_alloc_ppm = 300000;
	for (iova = 0; iova < 2000 * 0x200000ULL; iova += 0x200000) {
		ret = vtd_pgtable_map(&pt, iova, 0x1000, PG, RW, GFP_ATOMIC);
		if (ret) {
			failed++;
			EXPECT(ret == -ENOMEM, "error %d", ret);
			EXPECT(vtd_pgtable_lookup(&pt, iova, NULL) == 0,
			       "nothing mapped at %llx after a failure",
			       (unsigned long long)iova);
		} else {
			ok++;
		}
	}
	siommu_fail_alloc_ppm = 0;
	EXPECT(failed > 100 && ok > 100, "%lu failed, %lu mapped", failed, ok);
	EXPECT(shim_fail_alloc_injected - before >= failed,
	       "%lu injected for %lu failures",
	       shim_fail_alloc_injected - before, failed);
	EXPECT(atomic_long_read(&vtd_pgtable_pages_live) ==
	       atomic_long_read(&pt.nr_tables), "live %ld, table %ld",
	       atomic_long_read(&vtd_pgtable_pages_live),
	       atomic_long_read(&pt.nr_tables));
	vtd_pgtable_destroy(&pt);
	EXPECT(atomic_long_read(&vtd_pgtable_pages_live) == 0,
	       "%ld table pages live after destroy",
	       atomic_long_read(&vtd_pgtable_pages_live));
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/* clear_all: every leaf gone, every table kept, the table still usable. */
static void test_clear_all(void)
{
	struct vtd_pgtable pt;
	long tables;

	vtd_pgtable_init(&pt, 4, true);
	EXPECT(vtd_pgtable_map(&pt, 0x1000, 0x5000, 3 * PG, RW, 0) == 0, "map a");
	EXPECT(vtd_pgtable_map(&pt, 0x7f0000200000ULL, 0x9000, PG, RW, 0) == 0,
	       "map b");
	tables = atomic_long_read(&pt.nr_tables);
	EXPECT(vtd_pgtable_clear_all(&pt) == 4, "4 pages cleared");
	EXPECT(vtd_pgtable_lookup(&pt, 0x2000, NULL) == 0, "a gone");
	EXPECT(vtd_pgtable_lookup(&pt, 0x7f0000200000ULL, NULL) == 0, "b gone");
	EXPECT(atomic_long_read(&pt.nr_tables) == tables, "tables kept");
	EXPECT(vtd_pgtable_clear_all(&pt) == 0, "nothing left to clear");
	EXPECT(vtd_pgtable_map(&pt, 0x1000, 0x5000, PG, RW, 0) == 0,
	       "maps again");
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/* Walk like the hardware: every entry it can read must have been flushed. */
static unsigned long count_unflushed(const u64 *table, unsigned int level)
{
	unsigned long missing = 0;
	unsigned int i;

	for (i = 0; i < VTD_PTES_PER_TABLE; i++) {
		if (!table[i])
			continue;
		if (!shim_flushed(&table[i]))
			missing++;
		if (level > 1)
			missing += count_unflushed((const u64 *)(uintptr_t)
						   (table[i] & VTD_PTE_ADDR_MASK),
						   level - 1);
	}
	return missing;
}

static void test_noncoherent_flush(void)
{
	struct vtd_pgtable pt;

	vtd_pgtable_init(&pt, 4, false);
	shim_flush_reset();
	vtd_pgtable_map(&pt, 0x3ff000, phys_of(0), 100 * PG, RW, 0);
	vtd_pgtable_map(&pt, 0x7f0000000000ULL, phys_of(200), 3 * PG, RW, 0);
	EXPECT(count_unflushed(pt.root, 4) == 0, "%lu entries not flushed",
	       count_unflushed(pt.root, 4));
	vtd_pgtable_destroy(&pt);

	/* The check can fail: a coherent table is never flushed. */
	vtd_pgtable_init(&pt, 4, true);
	shim_flush_reset();
	vtd_pgtable_map(&pt, 0x3ff000, phys_of(0), 4 * PG, RW, 0);
	EXPECT(count_unflushed(pt.root, 4) > 0, "coherent tables flushed");
	vtd_pgtable_destroy(&pt);
}

/*
 * Threads map interleaved pages: thread t owns pages t, t + T, t + 2T...
 * so every leaf and upper table is raced for.  Afterwards every page must
 * translate, and the table count must be exactly what one thread would
 * have built: every lost race freed its page.
 */
#define THREADS		8
#define PAGES		(4 * VTD_PTES_PER_TABLE + 77)
#define BASE		0x123400000000ULL

struct worker {
	struct vtd_pgtable *pt;
	unsigned int id;
	unsigned long errors;
};

static void *map_worker(void *arg)
{
	struct worker *w = arg;
	u64 i;

	for (i = w->id; i < PAGES; i += THREADS)
		if (vtd_pgtable_map(w->pt, BASE + i * PG, phys_of(i), PG, RW,
				    GFP_ATOMIC))
			w->errors++;
	return NULL;
}

/* Empty tables go as their last leaf does, freed at once (no unit here). */
static void *unmap_worker(void *arg)
{
	struct worker *w = arg;
	struct page *freed;
	u64 i;

	for (i = w->id; i < PAGES; i += THREADS) {
		freed = NULL;
		if (vtd_pgtable_unmap(w->pt, BASE + i * PG, PG, &freed) != PG)
			w->errors++;
		vtd_pgtable_free_tables(freed);
	}
	return NULL;
}

/*
 * Map, check and unmap one page after another, every thread in the same
 * leaf table (page i of thread t at BASE + (i * THREADS + t) pages), so
 * that leaf and intermediate tables are emptied, unlinked and made again
 * under the other threads' walks.
 */
static void *churn_worker(void *arg)
{
	struct worker *w = arg;
	struct page *freed;
	unsigned int i;

	for (i = 0; i < 3000; i++) {
		u64 page = (u64)(i % 64) * THREADS + w->id;
		u64 iova = BASE + (i & 64 ? 1ULL << 30 : 0) + page * PG;

		if (vtd_pgtable_map(w->pt, iova, phys_of(page), PG, RW,
				    GFP_ATOMIC) ||
		    vtd_pgtable_lookup(w->pt, iova, NULL) != phys_of(page))
			w->errors++;
		freed = NULL;
		if (vtd_pgtable_unmap(w->pt, iova, PG, &freed) != PG)
			w->errors++;
		vtd_pgtable_free_tables(freed);
	}
	return NULL;
}

/*
 * Lists of runs with gaps (vtd_pgtable_map_runs()) in spans of 8 pages,
 * each thread's beside the others' in the same leaf tables, mapped,
 * checked and unmapped with reclamation: the gaps' reservations given
 * back while other threads fill and empty the same tables.
 */
static void *runs_worker(void *arg)
{
	static const unsigned int first[] = { 0, 3, 7 }, len[] = { 2, 3, 1 };
	struct worker *w = arg;
	struct siommu_run runs[3];
	struct page *freed;
	unsigned int i, r, k;

	for (i = 0; i < 2000; i++) {
		u64 span = BASE + (i & 32 ? 1ULL << 30 : 0) +
			   ((u64)(i % 32) * THREADS + w->id) * 8 * PG;

		for (r = 0; r < 3; r++) {
			runs[r].iova = span + first[r] * PG;
			runs[r].phys = phys_of(i * 8 + first[r] * 3);
			runs[r].size = len[r] * PG;
		}
		if (vtd_pgtable_map_runs(w->pt, runs, 3, RW, GFP_ATOMIC))
			w->errors++;
		for (r = 0; r < 3; r++)
			for (k = 0; k < len[r]; k++)
				if (vtd_pgtable_lookup(w->pt, runs[r].iova +
						       k * PG, NULL) !=
				    runs[r].phys + k * PG)
					w->errors++;
		if (vtd_pgtable_lookup(w->pt, span + 2 * PG, NULL) ||
		    vtd_pgtable_lookup(w->pt, span + 6 * PG, NULL))
			w->errors++;	/* a gap mapped */
		freed = NULL;
		if (vtd_pgtable_unmap(w->pt, span, 8 * PG, &freed) != 6 * PG)
			w->errors++;
		vtd_pgtable_free_tables(freed);
	}
	return NULL;
}

static unsigned long run_workers(struct vtd_pgtable *pt, void *(*fn)(void *))
{
	pthread_t tid[THREADS];
	struct worker w[THREADS];
	unsigned long errors = 0;
	unsigned int t;

	for (t = 0; t < THREADS; t++) {
		w[t] = (struct worker){ .pt = pt, .id = t };
		pthread_create(&tid[t], NULL, fn, &w[t]);
	}
	for (t = 0; t < THREADS; t++) {
		pthread_join(tid[t], NULL);
		errors += w[t].errors;
	}
	return errors;
}

static void test_concurrent_populate(void)
{
	struct vtd_pgtable pt;
	unsigned long bad = 0, round;
	u64 i;

	for (round = 0; round < 20; round++) {
		vtd_pgtable_init(&pt, 4, round & 1);
		EXPECT(run_workers(&pt, map_worker) == 0, "map errors");
		for (i = 0; i < PAGES; i++)
			if (vtd_pgtable_lookup(&pt, BASE + i * PG, NULL) !=
			    phys_of(i))
				bad++;
		/* BASE is leaf-aligned: root + L3 + L2 + 5 leaves. */
		EXPECT(atomic_long_read(&pt.nr_tables) == 3 + 5,
		       "round %lu: %ld tables", round,
		       atomic_long_read(&pt.nr_tables));
		EXPECT(run_workers(&pt, unmap_worker) == 0, "unmap errors");
		EXPECT(atomic_long_read(&pt.nr_tables) == 4,
		       "round %lu: %ld tables after unmapping all", round,
		       atomic_long_read(&pt.nr_tables));
		vtd_pgtable_destroy(&pt);
	}
	rcu_barrier();
	EXPECT(bad == 0, "%lu pages wrong", bad);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/* Software bits ride along in prot and come back in vtd_pgtable_pte(). */
static void test_software_bits(void)
{
	struct vtd_pgtable pt;
	u64 prot, pte;

	vtd_pgtable_init(&pt, 4, true);
	EXPECT(vtd_pgtable_map(&pt, 0x7000, 0x42000, PG,
			       VTD_PTE_READ | VTD_PTE_TAG(5), 0) == 0,
	       "map with tag 5");
	pte = vtd_pgtable_pte(&pt, 0x7000);
	EXPECT(VTD_PTE_TAG_OF(pte) == 5, "tag read back: %u",
	       VTD_PTE_TAG_OF(pte));
	EXPECT((pte & VTD_PTE_ADDR_MASK) == 0x42000, "address intact");
	EXPECT(vtd_pgtable_lookup(&pt, 0x7000, &prot) == 0x42000 &&
	       prot == VTD_PTE_READ, "lookup reports rights only");
	EXPECT(vtd_pgtable_pte(&pt, 0x8000) == 0, "unmapped: 0");
	EXPECT(vtd_pgtable_pte(&pt, 1ULL << 50) == 0, "out of range: 0");
	EXPECT(vtd_pgtable_map(&pt, 0x9000, 0, PG, VTD_PTE_TAG(1), 0) ==
	       -EINVAL, "a tag alone grants nothing");
	EXPECT(vtd_pgtable_map(&pt, 0x9000, 0, PG, RW | BIT_ULL(62), 0) ==
	       -EINVAL, "bit 62 is not software's");
	vtd_pgtable_unmap(&pt, 0x7000, PG, NULL);
	EXPECT(vtd_pgtable_pte(&pt, 0x7000) == 0, "cleared by unmap");
	vtd_pgtable_destroy(&pt);
}

/* One walk: clear only when the first page is mapped, and say its entry. */
static void test_unmap_mapped(void)
{
	struct vtd_pgtable pt;
	u64 first;

	vtd_pgtable_init(&pt, 4, true);
	EXPECT(vtd_pgtable_map(&pt, 0x10000, 0x42000, 4 * PG,
			       RW | VTD_PTE_TAG(3), 0) == 0, "map 4 pages");
	EXPECT(vtd_pgtable_unmap_mapped(&pt, 0xf000, 3 * PG, NULL, &first) ==
	       0 && first == 0, "first page not mapped: 0");
	EXPECT(vtd_pgtable_pte(&pt, 0x10000) && vtd_pgtable_pte(&pt, 0x11000),
	       "and the mapped pages behind it are left alone");
	EXPECT(vtd_pgtable_unmap_mapped(&pt, 1ULL << 40, PG, NULL, &first) ==
	       0 && first == 0, "no table for the first page: 0");
	EXPECT(vtd_pgtable_unmap_mapped(&pt, 0x10000, 4 * PG, NULL, &first) ==
	       4 * PG, "mapped: all cleared");
	EXPECT(VTD_PTE_TAG_OF(first) == 3 &&
	       (first & VTD_PTE_ADDR_MASK) == 0x42000 && (first & RW) == RW,
	       "the first entry as it was: %#llx", (unsigned long long)first);
	EXPECT(vtd_pgtable_unmap_mapped(&pt, 0x10000, 4 * PG, NULL, &first) ==
	       0 && first == 0, "again: 0");
	pt.superpages = true;
	EXPECT(vtd_pgtable_map(&pt, SP, 2 * SP, SP, RW | VTD_PTE_TAG(6), 0) ==
	       0, "a 2 MiB leaf");
	EXPECT(vtd_pgtable_unmap_mapped(&pt, SP, SP, NULL, &first) == SP &&
	       VTD_PTE_TAG_OF(first) == 6 && (first & VTD_PTE_PS),
	       "a 2 MiB leaf's entry: %#llx", (unsigned long long)first);
	vtd_pgtable_destroy(&pt);
}

/* Where a leaf entry is kept, for inspection. */
static void test_leaf_entry(void)
{
	struct vtd_pgtable pt;
	u64 *e;

	vtd_pgtable_init(&pt, 4, true);
	EXPECT(vtd_pgtable_leaf_entry(&pt, 0x7000) == NULL, "no table: NULL");
	EXPECT(atomic_long_read(&pt.nr_tables) == 1, "looking built nothing");
	vtd_pgtable_map(&pt, 0x7000, 0x42000, 2 * PG, RW, 0);
	e = vtd_pgtable_leaf_entry(&pt, 0x7123);
	EXPECT(e && *e == (0x42000 | RW), "the leaf, offset ignored");
	EXPECT(vtd_pgtable_leaf_entry(&pt, 0x8000) == e + 1,
	       "next page, next slot");
	EXPECT(vtd_pgtable_leaf_entry(&pt, 1ULL << 48) == NULL,
	       "beyond the table");
	vtd_pgtable_destroy(&pt);
}

static long chain_length(struct page *freed)
{
	long n = 0;

	for (; freed; freed = (struct page *)page_private(freed))
		n++;
	return n;
}

static long tables(struct vtd_pgtable *pt)
{
	return atomic_long_read(&pt->nr_tables);
}

/* Unmap, free what went, let RCU run: how many table pages went. */
static long unmap_reclaim(struct vtd_pgtable *pt, u64 iova, u64 size)
{
	struct page *freed = NULL;
	long n;

	vtd_pgtable_unmap(pt, iova, size, &freed);
	n = chain_length(freed);
	vtd_pgtable_free_tables(freed);
	rcu_barrier();
	return n;
}

/*
 * A table goes with its last entry, its parents with theirs -- but for
 * one emptied leaf table, kept linked for the next map (VTD_PTE_KEPT):
 * with everything unmapped, the root and one path are left.
 */
static void test_reclaim(void)
{
	struct vtd_pgtable pt;
	long n;

	vtd_pgtable_init(&pt, 4, true);
	vtd_pgtable_map(&pt, 0x7000, phys_of(0), PG, RW, 0);
	vtd_pgtable_map(&pt, 0x9000, phys_of(1), PG, RW, 0);
	/* Another leaf table under the same level-2 table. */
	vtd_pgtable_map(&pt, 0x400000, phys_of(2), PG, RW, 0);
	EXPECT(tables(&pt) == 5 && atomic_long_read(&pt.peak_tables) == 5,
	       "root, L3, L2, two leaves: %ld", tables(&pt));
	EXPECT(unmap_reclaim(&pt, 0x7000, PG) == 0, "a leaf left: none go");
	EXPECT(vtd_pgtable_lookup(&pt, 0x9000, NULL) == phys_of(1),
	       "the other leaf still translates");
	EXPECT(unmap_reclaim(&pt, 0x9000, PG) == 0 && tables(&pt) == 5,
	       "the first leaf table to empty is kept: %ld", tables(&pt));
	EXPECT(vtd_pgtable_lookup(&pt, 0x400000, NULL) == phys_of(2),
	       "the other leaf table is untouched");
	EXPECT(unmap_reclaim(&pt, 0x400000, PG) == 1 && tables(&pt) == 4,
	       "the next one goes: %ld left, the root and one path",
	       tables(&pt));
	EXPECT(shim_pages_outstanding() == 4, "%ld pages allocated",
	       shim_pages_outstanding());
	EXPECT(atomic_long_read(&pt.peak_tables) == 5, "high-water kept");
	/* The kept table serves the next map under it: nothing made. */
	EXPECT(vtd_pgtable_map(&pt, 0x9000, phys_of(3), PG, RW, 0) == 0 &&
	       vtd_pgtable_lookup(&pt, 0x9000, NULL) == phys_of(3) &&
	       tables(&pt) == 4, "reused: %ld", tables(&pt));
	/* A map elsewhere: a new path; the kept one's place is free again. */
	vtd_pgtable_map(&pt, 0x8000000000ULL, phys_of(4), PG, RW, 0);
	EXPECT(tables(&pt) == 7, "second path: %ld", tables(&pt));
	EXPECT(unmap_reclaim(&pt, 0x8000000000ULL, PG) == 0,
	       "its leaf table is the kept one now");
	n = unmap_reclaim(&pt, 0x9000, PG);
	EXPECT(n == 3 && tables(&pt) == 4,
	       "the first path goes whole: %ld went, %ld left", n,
	       tables(&pt));

	/* A range over two leaf tables under a fresh level-3 entry. */
	vtd_pgtable_map(&pt, 0x1ff000, phys_of(0), 3 * PG, RW, 0);
	EXPECT(tables(&pt) == 8, "%ld tables", tables(&pt));
	n = unmap_reclaim(&pt, 0x1ff000, 3 * PG);
	EXPECT(n == 4 && tables(&pt) == 4, "%ld went, %ld left", n,
	       tables(&pt));
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/*
 * At the default, up to VTD_KEPT_LEAVES emptied leaf tables stay (ranges
 * waiting in batches and magazines empty several at once); the next one
 * goes, and a map under a kept one takes it back.
 */
static void test_reclaim_many(void)
{
	const u64 leaf = 512 * PG;
	struct vtd_pgtable pt;
	unsigned int i;

	vtd_pgtable_kept_leaves = VTD_KEPT_LEAVES;
	vtd_pgtable_init(&pt, 4, true);
	vtd_pgtable_kept_leaves = 1;
	EXPECT(pt.kept_max == VTD_KEPT_LEAVES, "kept_max %u", pt.kept_max);
	for (i = 0; i <= VTD_KEPT_LEAVES; i++)
		vtd_pgtable_map(&pt, i * leaf, phys_of(i), PG, RW, 0);
	EXPECT(tables(&pt) == 3 + VTD_KEPT_LEAVES + 1, "%ld tables",
	       tables(&pt));
	for (i = 0; i < VTD_KEPT_LEAVES; i++)
		EXPECT(unmap_reclaim(&pt, i * leaf, PG) == 0,
		       "leaf table %u kept", i);
	EXPECT(atomic_read(&pt.kept_empty) == VTD_KEPT_LEAVES, "%d kept",
	       atomic_read(&pt.kept_empty));
	EXPECT(unmap_reclaim(&pt, i * leaf, PG) == 1 &&
	       tables(&pt) == 3 + VTD_KEPT_LEAVES,
	       "one past the limit goes: %ld left", tables(&pt));
	EXPECT(vtd_pgtable_map(&pt, 0, phys_of(0), PG, RW, 0) == 0 &&
	       tables(&pt) == 3 + VTD_KEPT_LEAVES &&
	       atomic_read(&pt.kept_empty) == VTD_KEPT_LEAVES - 1,
	       "a kept one serves a map: %ld tables, %d kept", tables(&pt),
	       atomic_read(&pt.kept_empty));
	EXPECT(unmap_reclaim(&pt, 0, PG) == 0 &&
	       atomic_read(&pt.kept_empty) == VTD_KEPT_LEAVES,
	       "and is kept again");
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/* Without a place to put them (NULL) or with the knob off, tables stay. */
static void test_reclaim_kept(void)
{
	struct vtd_pgtable pt;

	vtd_pgtable_init(&pt, 4, true);
	vtd_pgtable_map(&pt, 0x7000, phys_of(0), PG, RW, 0);
	vtd_pgtable_map(&pt, 0x40000000, phys_of(1), PG, RW, 0);
	EXPECT(tables(&pt) == 6, "two paths: %ld", tables(&pt));
	EXPECT(vtd_pgtable_unmap(&pt, 0x7000, PG, NULL) == PG &&
	       tables(&pt) == 6, "NULL: kept, %ld", tables(&pt));
	/* The empty tables are used again, and their counts are right. */
	vtd_pgtable_map(&pt, 0x8000, phys_of(1), PG, RW, 0);
	EXPECT(tables(&pt) == 6, "reused: %ld", tables(&pt));
	EXPECT(unmap_reclaim(&pt, 0x8000, PG) == 0, "then kept (the one)");
	EXPECT(unmap_reclaim(&pt, 0x40000000, PG) == 2 && tables(&pt) == 4,
	       "the other path goes: %ld left", tables(&pt));

	vtd_pgtable_reclaim = 0;
	vtd_pgtable_map(&pt, 0x40000000, phys_of(0), PG, RW, 0);
	EXPECT(unmap_reclaim(&pt, 0x40000000, PG) == 0 && tables(&pt) == 6,
	       "knob off: kept, %ld", tables(&pt));
	vtd_pgtable_reclaim = 1;
	vtd_pgtable_map(&pt, 0x40000000, phys_of(0), PG, RW, 0);
	EXPECT(unmap_reclaim(&pt, 0x40000000, PG) == 2, "knob on again");
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/* Failed maps and clear_all keep the counts right: all goes after. */
static void test_reclaim_after_failures(void)
{
	struct vtd_pgtable pt;

	vtd_pgtable_init(&pt, 3, true);
	/* Holds the one kept place, so that emptied tables go. */
	vtd_pgtable_map(&pt, 0x7fc0000000ULL, 0x70000, PG, RW, 0);
	unmap_reclaim(&pt, 0x7fc0000000ULL, PG);
	EXPECT(tables(&pt) == 3, "root and the kept path: %ld", tables(&pt));

	vtd_pgtable_map(&pt, 0x10000, 0x70000, PG, RW, 0);
	EXPECT(vtd_pgtable_map(&pt, 0xc000, 0x90000, 8 * PG, RW, 0) ==
	       -EEXIST, "overlap refused");
	shim_fail_alloc_after = 0;
	EXPECT(vtd_pgtable_map(&pt, 0x40000000, 0x1000, PG, RW, 0) ==
	       -ENOMEM, "no table page");
	shim_fail_alloc_after = -1;
	EXPECT(unmap_reclaim(&pt, 0x10000, PG) == 2 && tables(&pt) == 3,
	       "after an overlap: %ld left", tables(&pt));

	vtd_pgtable_map(&pt, 0x10000, 0x70000, 4 * PG, RW, 0);
	EXPECT(vtd_pgtable_clear_all(&pt) == 4 && tables(&pt) == 5,
	       "clear_all keeps tables: %ld", tables(&pt));
	vtd_pgtable_map(&pt, 0x11000, 0x70000, PG, RW, 0);
	EXPECT(unmap_reclaim(&pt, 0x11000, PG) == 2 && tables(&pt) == 3,
	       "after clear_all: %ld left", tables(&pt));
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}


/* 2 MiB leaves for aligned runs where the unit has them (CAP.SLLPS). */
static void test_superpages(void)
{
	const u64 base = 0x40000000, phys = 0x180000000ULL;
	struct vtd_pgtable pt;
	u64 prot, pte;
	long n;
	int k;

	vtd_pgtable_init(&pt, 4, true);
	pt.superpages = true;
	for (k = 0; k < 8; k++)
		EXPECT(vtd_pgtable_map(&pt, base + k * SP, phys + k * SP, SP,
				       RW | VTD_PTE_TAG(5), 0) == 0, "map %d", k);
	EXPECT(tables(&pt) == 3, "eight 2 MiB maps, no leaf table: %ld tables",
	       tables(&pt));
	EXPECT(vtd_pgtable_lookup(&pt, base + 2 * SP + 0x123456, &prot) ==
	       phys + 2 * SP + 0x123456 && prot == RW, "translates inside");
	pte = vtd_pgtable_pte(&pt, base + 3 * SP + 0x5000);
	EXPECT((pte & VTD_PTE_ADDR_MASK) == phys + 3 * SP + 0x5000 &&
	       VTD_PTE_TAG_OF(pte) == 5 && !(pte & VTD_PTE_PS),
	       "pte reads as the 4 KiB leaf would: %#llx",
	       (unsigned long long)pte);
	EXPECT(vtd_pgtable_map(&pt, base + SP + 0x3000, 0x1000, PG, RW, 0) ==
	       -EEXIST, "a 4 KiB map inside one: refused");
	EXPECT(vtd_pgtable_map(&pt, base, phys, SP, RW, 0) == -EEXIST,
	       "the same 2 MiB again: refused");
	EXPECT(vtd_pgtable_map(&pt, base + 8 * SP, phys + 8 * SP + PG, SP, RW,
			       0) == 0 && tables(&pt) == 4,
	       "physically misaligned: a leaf table (%ld)", tables(&pt));
	EXPECT(vtd_pgtable_clear_all(&pt) == 9 * 512, "clear_all counts pages");
	for (k = 0; k < 8; k++)
		EXPECT(vtd_pgtable_map(&pt, base + k * SP, phys + k * SP, SP,
				       RW, 0) == 0, "again %d", k);

	/* Where a leaf table is already there: 4 KiB leaves instead. */
	EXPECT(vtd_pgtable_map(&pt, base + 8 * SP, phys, SP, RW, 0) == 0 &&
	       tables(&pt) == 4 &&
	       vtd_pgtable_lookup(&pt, base + 8 * SP + SP - PG, NULL) ==
	       phys + SP - PG, "over a leaf table: 4 KiB leaves");

	/* One map of 16 MiB, aligned: eight more, in the next level-2 table. */
	EXPECT(vtd_pgtable_map(&pt, 2ULL << 30, phys, 8 * SP, RW, 0) == 0 &&
	       tables(&pt) == 5, "16 MiB in one call: %ld tables", tables(&pt));

	/* Each goes whole; the emptied level-2 tables go with the last. */
	n = unmap_reclaim(&pt, (2ULL << 30) + 0x1000, PG);
	EXPECT(vtd_pgtable_lookup(&pt, (2ULL << 30) + 0x2000, NULL) == 0,
	       "a 4 KiB unmap inside clears the 2 MiB leaf whole");
	for (k = 1; k < 8; k++)
		n += unmap_reclaim(&pt, (2ULL << 30) + k * SP, SP);
	EXPECT(n == 1 && tables(&pt) == 4, "its level-2 table went: %ld, %ld",
	       n, tables(&pt));
	for (k = 0; k < 9; k++)
		unmap_reclaim(&pt, base + k * SP, SP);
	EXPECT(tables(&pt) == 4, "the root and the kept path left: %ld",
	       tables(&pt));
	vtd_pgtable_destroy(&pt);

	/* Without CAP.SLLPS: a leaf table as always. */
	vtd_pgtable_init(&pt, 4, true);
	vtd_pgtable_map(&pt, base, phys, SP, RW, 0);
	EXPECT(tables(&pt) == 4, "no superpages: %ld", tables(&pt));
	vtd_pgtable_destroy(&pt);
	rcu_barrier();
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}
#define GP	(1ULL << 30)

/*
 * 1 GiB leaves (CAP.SLLPS bit 1): a 1 GiB-aligned run of 1 GiB or more is
 * one level-3 leaf, no level-2 table under it; what is left over goes in
 * 2 MiB and 4 KiB leaves; a smaller map inside one is refused; an unmap
 * touching one clears it whole and the emptied level-3 table goes.  In a
 * 3-level table the 1 GiB leaves sit in the root.
 */
static void test_gigapages(void)
{
	const u64 base = 4 * GP, phys = 8 * GP;
	struct vtd_pgtable pt;
	u64 pte;
	long supers;

	vtd_pgtable_init(&pt, 4, true);
	pt.superpages = true;
	pt.gigapages = true;
	EXPECT(vtd_pgtable_map(&pt, base, phys, 2 * GP + SP + PG, RW, 0) == 0,
	       "2 GiB + 2 MiB + 4 KiB");
	supers = atomic_long_read(&pt.super_maps);
	EXPECT(supers == 3, "two 1 GiB leaves and a 2 MiB one: %ld", supers);
	EXPECT(tables(&pt) == 4, "root, L3, one L2 and one leaf table: %ld",
	       tables(&pt));
	EXPECT(vtd_pgtable_tables_needed(&pt) == 4, "all needed");
	EXPECT(vtd_pgtable_lookup(&pt, base + GP + 0x12345678, NULL) ==
	       phys + GP + 0x12345678, "translates inside the second");
	pte = vtd_pgtable_pte(&pt, base + 0x3ff000);
	EXPECT((pte & VTD_PTE_ADDR_MASK) == phys + 0x3ff000 &&
	       !(pte & VTD_PTE_PS), "pte reads as a 4 KiB leaf would: %#llx",
	       (unsigned long long)pte);
	EXPECT(vtd_pgtable_lookup(&pt, base + 2 * GP + SP, NULL) ==
	       phys + 2 * GP + SP, "the 4 KiB tail");
	EXPECT(vtd_pgtable_map(&pt, base + GP + SP, 0, SP, RW, 0) == -EEXIST &&
	       vtd_pgtable_map(&pt, base + 0x5000, 0, PG, RW, 0) == -EEXIST,
	       "2 MiB and 4 KiB maps inside one: refused");
	EXPECT(vtd_pgtable_unmap(&pt, base + GP + 0x7000, PG, NULL) == GP &&
	       vtd_pgtable_lookup(&pt, base + GP, NULL) == 0 &&
	       vtd_pgtable_lookup(&pt, base, NULL) == phys,
	       "a 4 KiB unmap clears one whole, only it");
	EXPECT(vtd_pgtable_clear_all(&pt) == (GP + SP + PG) / PG,
	       "clear_all counts pages");
	EXPECT(vtd_pgtable_map(&pt, base, phys, 2 * GP, RW, 0) == 0 &&
	       atomic_long_read(&pt.super_maps) == supers + 2, "again");
	EXPECT(unmap_reclaim(&pt, base, 2 * GP) == 0 && tables(&pt) == 4,
	       "unmapped: the tables kept by the tail stay (%ld)", tables(&pt));
	unmap_reclaim(&pt, base + 2 * GP, SP + PG);
	EXPECT(vtd_pgtable_tables_needed(&pt) == 1, "nothing needed");

	/* Not 1 GiB aligned physically: 2 MiB leaves. */
	supers = atomic_long_read(&pt.super_maps);
	EXPECT(vtd_pgtable_map(&pt, 64 * GP, phys + SP, GP, RW, 0) == 0 &&
	       atomic_long_read(&pt.super_maps) == supers + 512,
	       "misaligned: 512 2 MiB leaves");
	unmap_reclaim(&pt, 64 * GP, GP);
	vtd_pgtable_destroy(&pt);

	/* 3 levels: the root holds them. */
	vtd_pgtable_init(&pt, 3, true);
	pt.superpages = true;
	pt.gigapages = true;
	EXPECT(vtd_pgtable_map(&pt, GP, phys, GP, RW, 0) == 0 &&
	       tables(&pt) == 1 && vtd_pgtable_lookup(&pt, GP + 0x1000, NULL) ==
	       phys + 0x1000, "3 levels: a 1 GiB leaf in the root");
	EXPECT(vtd_pgtable_unmap(&pt, GP, GP, NULL) == GP &&
	       vtd_pgtable_lookup(&pt, GP, NULL) == 0, "and gone");
	vtd_pgtable_destroy(&pt);
	rcu_barrier();
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/*
 * A map that may sleep (GFP_KERNEL: the identity domain's all-of-RAM map,
 * RMRRs) allocates its table pages outside its RCU read section: the
 * shim aborts on a sleeping allocation inside one.
 */
static void test_sleeping_gfp(void)
{
	struct siommu_run runs[2] = {
		{ .iova = 5 * GP, .phys = 0x1000, .size = PG },
		{ .iova = 5 * GP + SP, .phys = 2 * SP, .size = SP },
	};
	struct vtd_pgtable pt;

	vtd_pgtable_init(&pt, 4, true);
	pt.superpages = true;
	EXPECT(vtd_pgtable_map(&pt, 3 * GP, 0x5000, 3 * PG, RW,
			       GFP_KERNEL) == 0 &&
	       vtd_pgtable_lookup(&pt, 3 * GP + 2 * PG, NULL) == 0x7000,
	       "a map making three tables, GFP_KERNEL");
	EXPECT(vtd_pgtable_map_runs(&pt, runs, 2, RW, GFP_KERNEL) == 0 &&
	       vtd_pgtable_lookup(&pt, 5 * GP + SP + PG, NULL) == 2 * SP + PG,
	       "a list with a 2 MiB leaf, GFP_KERNEL");
	vtd_pgtable_destroy(&pt);
}

/*
 * A list of runs (a scatterlist's segments) in one pass: each page where
 * its run says, gaps left unmapped, across a leaf-table boundary; a
 * taken page in a later run undoes the whole list; bad lists change
 * nothing; an aligned 2 MiB run among 4 KiB ones is one 2 MiB leaf.  The
 * live counts stay exact: every table goes again once all is unmapped.
 */
static void test_map_runs(void)
{
	const u64 base = 0x40000000 + SP - 8 * PG, phys = 0x7000000;
	struct siommu_run runs[16], bad[2];
	struct vtd_pgtable pt;
	long before;
	u64 at = base;
	int r, k;

	vtd_pgtable_init(&pt, 4, true);
	pt.superpages = true;
	before = tables(&pt);
	for (r = 0; r < 16; r++) {
		runs[r].iova = at;
		runs[r].phys = phys + (15 - r) * 3 * PG;
		runs[r].size = (r % 3 + 1) * PG;
		at += runs[r].size + (r == 5 ? 2 * PG : 0);	/* one gap */
	}
	EXPECT(vtd_pgtable_map_runs(&pt, runs, 16, RW, 0) == 0, "16 runs");
	EXPECT(tables(&pt) == before + 4, "two leaf tables: %ld",
	       tables(&pt) - before);
	for (r = 0; r < 16; r++)
		for (k = 0; k < (int)(runs[r].size / PG); k++)
			EXPECT(vtd_pgtable_lookup(&pt, runs[r].iova + k * PG,
						  NULL) ==
			       runs[r].phys + k * PG, "run %d page %d", r, k);
	EXPECT(vtd_pgtable_lookup(&pt, runs[5].iova + runs[5].size, NULL) ==
	       0, "the gap stays unmapped");
	unmap_reclaim(&pt, base, at - base);
	EXPECT(tables(&pt) == before + 3,
	       "all unmapped: the kept path only (%ld)", tables(&pt) - before);

	/* A page of run 8 taken: nothing of the list stays. */
	EXPECT(vtd_pgtable_map(&pt, runs[8].iova + PG, 0x1000, PG, RW, 0) ==
	       0, "a page taken");
	EXPECT(vtd_pgtable_map_runs(&pt, runs, 16, RW, 0) == -EEXIST,
	       "the list over it: -EEXIST");
	for (r = 0; r < 16; r++)
		for (k = 0; k < (int)(runs[r].size / PG); k++)
			EXPECT(vtd_pgtable_lookup(&pt, runs[r].iova + k * PG,
						  NULL) ==
			       (r == 8 && k == 1 ? 0x1000 : 0),
			       "run %d page %d undone", r, k);
	unmap_reclaim(&pt, runs[8].iova + PG, PG);
	/* The undo frees nothing (no invalidation); a full cycle does. */
	EXPECT(vtd_pgtable_map_runs(&pt, runs, 16, RW, 0) == 0,
	       "the list again");
	unmap_reclaim(&pt, base, at - base);
	EXPECT(tables(&pt) == before + 3, "reservations all given back: %ld",
	       tables(&pt) - before);

	/* Bad lists: out of order, overlapping, empty, misaligned. */
	bad[0] = runs[1];
	bad[1] = runs[0];
	EXPECT(vtd_pgtable_map_runs(&pt, bad, 2, RW, 0) == -EINVAL,
	       "out of order");
	bad[0] = runs[0];
	bad[1] = runs[0];
	EXPECT(vtd_pgtable_map_runs(&pt, bad, 2, RW, 0) == -EINVAL,
	       "overlapping");
	bad[1].iova += runs[0].size;
	bad[1].size = 0;
	EXPECT(vtd_pgtable_map_runs(&pt, bad, 2, RW, 0) == -EINVAL, "empty");
	bad[1].size = PG;
	bad[1].phys += 0x800;
	EXPECT(vtd_pgtable_map_runs(&pt, bad, 2, RW, 0) == -EINVAL,
	       "misaligned");
	EXPECT(vtd_pgtable_map_runs(&pt, bad, 0, RW, 0) == -EINVAL, "none");
	EXPECT(vtd_pgtable_lookup(&pt, runs[0].iova, NULL) == 0,
	       "nothing mapped by them");

	/* 4 KiB, an aligned 2 MiB, 4 KiB: one 2 MiB leaf among them. */
	bad[0].iova = 0x80000000 - PG;
	bad[0].phys = 0x1000;
	bad[0].size = PG;
	bad[1].iova = 0x80000000;
	bad[1].phys = 0x200000000ULL;
	bad[1].size = SP + PG;
	before = atomic_long_read(&pt.super_maps);
	EXPECT(vtd_pgtable_map_runs(&pt, bad, 2, RW, 0) == 0 &&
	       atomic_long_read(&pt.super_maps) == before + 1 &&
	       vtd_pgtable_lookup(&pt, 0x80000000 + SP - PG, NULL) ==
	       0x200000000ULL + SP - PG &&
	       vtd_pgtable_lookup(&pt, 0x80000000 + SP, NULL) ==
	       0x200000000ULL + SP, "a 2 MiB leaf in the list");
	unmap_reclaim(&pt, 0x80000000 - PG, SP + 2 * PG);
	EXPECT(vtd_pgtable_lookup(&pt, 0x80000000, NULL) == 0, "unmapped");
	vtd_pgtable_destroy(&pt);
}
/*
 * The fewest tables the mappings need: the root alone when nothing is
 * mapped (the kept path is not needed), a path per leaf table in use, no
 * leaf table under a 2 MiB leaf -- against nr_tables, which also counts
 * what is kept.
 */
static void test_tables_needed(void)
{
	struct vtd_pgtable pt;

	vtd_pgtable_init(&pt, 4, true);
	pt.superpages = true;
	EXPECT(vtd_pgtable_tables_needed(&pt) == 1, "empty: the root");
	vtd_pgtable_map(&pt, 0x40000000, 0x1000, PG, RW, 0);
	vtd_pgtable_map(&pt, 0x40001000, 0x1000, PG, RW, 0);
	EXPECT(vtd_pgtable_tables_needed(&pt) == 4, "one leaf table: 4 (%ld)",
	       vtd_pgtable_tables_needed(&pt));
	vtd_pgtable_map(&pt, 0x40200000, 0x1000, PG, RW, 0);
	vtd_pgtable_map(&pt, 1ULL << 39, 0x1000, PG, RW, 0);
	EXPECT(vtd_pgtable_tables_needed(&pt) == 8,
	       "another leaf table, another L3 path: 8 (%ld)",
	       vtd_pgtable_tables_needed(&pt));
	vtd_pgtable_map(&pt, 0x80000000, 0x200000, SP, RW, 0);
	EXPECT(vtd_pgtable_tables_needed(&pt) == 9,
	       "a 2 MiB leaf needs its L2 only: 9 (%ld)",
	       vtd_pgtable_tables_needed(&pt));
	unmap_reclaim(&pt, 0x80000000, SP);
	unmap_reclaim(&pt, 1ULL << 39, PG);
	unmap_reclaim(&pt, 0x40200000, PG);
	unmap_reclaim(&pt, 0x40000000, 2 * PG);
	EXPECT(vtd_pgtable_tables_needed(&pt) == 1 && tables(&pt) == 4,
	       "all gone: needed 1, held 4 (the kept path): %ld, %ld",
	       vtd_pgtable_tables_needed(&pt), tables(&pt));
	vtd_pgtable_destroy(&pt);
}



/*
 * The RFC's sparse stress, scaled: one 4 KiB mapping every 2 MiB across
 * 64 GiB of IOVA, so every mapping needs a leaf table of its own.  Table
 * pages follow the live mappings down as they are unmapped.
 */
static void test_sparse(void)
{
	const u64 span = 64ULL << 30, step = 2ULL << 20, n = span / step;
	struct vtd_pgtable pt;
	long full;
	u64 i;

	vtd_pgtable_init(&pt, 4, true);
	for (i = 0; i < n; i++)
		vtd_pgtable_map(&pt, i * step, phys_of(i), PG, RW, 0);
	full = tables(&pt);
	/* Root, one L3, 64 L2s, a leaf table per mapping. */
	EXPECT(full == 1 + 1 + 64 + (long)n, "%ld tables for %llu mappings",
	       full, (unsigned long long)n);
	for (i = 0; i < n; i += 2)
		unmap_reclaim(&pt, i * step, PG);
	/* The first leaf table emptied stays (kept). */
	EXPECT(tables(&pt) == 1 + 1 + 64 + (long)n / 2 + 1,
	       "half unmapped: %ld tables", tables(&pt));
	for (i = 1; i < n; i += 2)
		unmap_reclaim(&pt, i * step, PG);
	EXPECT(tables(&pt) == 4, "all unmapped: %ld tables, the root and one path",
	       tables(&pt));
	vtd_pgtable_destroy(&pt);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

/*
 * Tables emptied and made again under other threads' walks: pages mapped
 * one at a time (rounds 0, 1), or lists of runs with gaps (2, 3).
 */
static void test_concurrent_reclaim(void)
{
	struct vtd_pgtable pt;
	unsigned int round;

	for (round = 0; round < 4; round++) {
		vtd_pgtable_init(&pt, 4, round & 1);
		EXPECT(run_workers(&pt, round & 2 ? runs_worker :
					 churn_worker) == 0,
		       "round %u: errors", round);
		EXPECT(tables(&pt) == 4, "round %u: %ld tables left", round,
		       tables(&pt));
		vtd_pgtable_destroy(&pt);
	}
	rcu_barrier();
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld pages",
	       shim_pages_outstanding());
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_init),
	HARNESS_CASE(test_map_lookup_unmap),
	HARNESS_CASE(test_bad_requests),
	HARNESS_CASE(test_double_map),
	HARNESS_CASE(test_alloc_failure),
	HARNESS_CASE(test_fail_alloc_knob),
	HARNESS_CASE(test_clear_all),
	HARNESS_CASE(test_noncoherent_flush),
	HARNESS_CASE(test_software_bits),
	HARNESS_CASE(test_unmap_mapped),
	HARNESS_CASE(test_leaf_entry),
	HARNESS_CASE(test_reclaim),
	HARNESS_CASE(test_reclaim_many),
	HARNESS_CASE(test_reclaim_kept),
	HARNESS_CASE(test_reclaim_after_failures),
	HARNESS_CASE(test_superpages),
	HARNESS_CASE(test_gigapages),
	HARNESS_CASE(test_map_runs),
	HARNESS_CASE(test_sleeping_gfp),
	HARNESS_CASE(test_tables_needed),
	HARNESS_CASE(test_sparse),
	HARNESS_CASE(test_concurrent_populate),
	HARNESS_CASE(test_concurrent_reclaim),
};

int main(int argc, char **argv)
{
	/*
	 * The cases count tables with one emptied leaf table kept, the
	 * smallest setting; test_reclaim_many() takes the default.
	 */
	vtd_pgtable_kept_leaves = 1;
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
