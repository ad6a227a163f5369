// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the I/O page tables: src/vtd/pgtable.c compiled
 * unchanged over the shim.
 *
 * The first input byte picks a 3- or 4-level table, coherent or not, and
 * may fail the root's allocation or ask for an unsupported depth first,
 * and whether 2 MiB leaves are allowed (maps may then align both
 * addresses to 2 MiB to get them).  The rest is a sequence of operations: map, a list of runs
 * (vtd_pgtable_map_runs()), unmap (reclaiming emptied tables or keeping
 * them), lookup, leaf_entry(), and allocation failure injection
 * (shim_fail_alloc_after).  Addresses are offsets of up to +-32767 pages
 * from the table's boundaries (0, the end of the first leaf table, of the
 * first level-2 table, of the first level-3 table, and the top of the
 * address space), so ranges straddle tables and overlap each other;
 * sizes, offsets, physical addresses and rights may be invalid.
 *
 * A model of the mapped pages (pfn -> entry, an open-addressing hash
 * table) asserts, with abort() so that libFuzzer keeps the input:
 *  - map returns -EINVAL exactly for the requests its comment calls bad,
 *    -ENOMEM exactly when an injected failure hit it, -EEXIST when a page
 *    of the range is already mapped, else 0; on any error every page of
 *    the range (and its neighbours) is as before: no partial mapping;
 *  - unmap returns the bytes the model had mapped in the range, each
 *    2 MiB leaf it touches whole (read from the table: whether a map made
 *    one depends on empty tables the model does not track), 0 for a bad
 *    range, and leaves none of them mapped;
 *  - lookup() and vtd_pgtable_pte() agree with the model at any address;
 *  - leaf_entry() finds the model's entry, is NULL only where it may be;
 *  - at the end: walking the table finds exactly the model's entries (a
 *    2 MiB leaf as its 512 pages),
 *    each link's live count is the number of entries set in its table,
 *    every table page allocated is reachable and counted in nr_tables,
 *    and vtd_pgtable_destroy() gives back every page.
 *
 * Cache flushes of non-coherent tables are test_pgtable.c's: the shim
 * records "flushed since the last reset", a reset costs 8 MiB of zeroing,
 * and a table page is flushed whole when allocated, so a per-input check
 * would cost most of the run and see little.
 *
 * "make fuzz-smoke" and "make fuzz" run it (see the Makefile).  By hand:
 * ./fuzz_pgtable DIR fuzz_corpus/fuzz_pgtable, with the seeds second, as
 * libFuzzer adds what it finds to the first directory; ./fuzz_pgtable FILE
 * replays one input, e.g. a fuzz_work/fuzz_pgtable-crash-* one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "shim.h"
#include <linux/gfp.h>
#include <linux/io.h>

#include "fuzz_input.h"
#include <linux/mm.h>
#include <linux/rcupdate.h>

#include "vtd/pgtable.h"

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_pgtable: %s:%d: %s: ", __FILE__,	\
			__LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

#define PG		VTD_PAGE_SIZE
#define SP		VTD_SUPERPAGE_SIZE
#define RW		(VTD_PTE_READ | VTD_PTE_WRITE)
/* Pages one map or unmap covers at most: checked page by page. */
#define MAX_RUN		1024
/* Mapped pages the model holds at most; its table is 4 times as large. */
#define MODEL_MAX	BIT(14)
#define MODEL_BITS	16
#define MODEL_SLOTS	BIT(MODEL_BITS)

/*
 * The model: pfn -> leaf entry as stored, for every nonzero entry.  A
 * slot is in use when its generation is the current input's, so a new
 * input starts empty without clearing 1.5 MiB.
 */
struct slot {
	u64 pfn;
	u64 pte;
	u32 gen;
};

static struct slot slots[MODEL_SLOTS];
static u32 gen;
static unsigned int nr_mapped;

static unsigned int slot_of(u64 pfn)
{
	return (pfn * 0x9e3779b97f4a7c15ULL) >> (64 - MODEL_BITS);
}

static bool slot_used(unsigned int s)
{
	return slots[s].gen == gen;
}

/* The slot holding @pfn, or the empty one where it would go. */
static unsigned int model_find(u64 pfn)
{
	unsigned int s = slot_of(pfn);

	while (slot_used(s) && slots[s].pfn != pfn)
		s = (s + 1) & (MODEL_SLOTS - 1);
	return s;
}

static u64 model_get(u64 pfn)
{
	unsigned int s = model_find(pfn);

	return slot_used(s) ? slots[s].pte : 0;
}

/* Linear probing's deletion: pull later entries of the chain back. */
static void model_del(unsigned int s)
{
	unsigned int j = s, home;

	slots[s].gen = 0;
	nr_mapped--;
	for (;;) {
		j = (j + 1) & (MODEL_SLOTS - 1);
		if (!slot_used(j))
			return;
		home = slot_of(slots[j].pfn);
		/* Stays if its home lies cyclically in (s, j]. */
		if (s <= j ? (s < home && home <= j) : (s < home || home <= j))
			continue;
		slots[s] = slots[j];
		slots[j].gen = 0;
		s = j;
	}
}

/* Record what the entry of @pfn now holds (0: nothing). */
static void model_set(u64 pfn, u64 pte)
{
	unsigned int s = model_find(pfn);

	if (slot_used(s)) {
		if (pte)
			slots[s].pte = pte;
		else
			model_del(s);
	} else if (pte) {
		slots[s] = (struct slot){ pfn, pte, gen };
		nr_mapped++;
	}
}

static struct vtd_pgtable pt;

static u64 max_pfn(void)
{
	return vtd_pgtable_max_iova(&pt) >> VTD_PAGE_SHIFT;
}

/* What the API calls a good range (pgtable.c's range_ok()). */
static bool range_good(u64 iova, u64 size)
{
	return size && !((iova | size) & (PG - 1)) &&
	       iova + size - 1 >= iova &&
	       iova + size - 1 <= vtd_pgtable_max_iova(&pt);
}

/* Did the shim fail an allocation since @before was its countdown? */
static bool injected_since(long before)
{
	return before >= 0 && shim_fail_alloc_after < 0;
}

/* Does the table translate @iova as the model says? */
static void check_addr(u64 iova)
{
	u64 pte = iova <= vtd_pgtable_max_iova(&pt) ?
		  model_get(iova >> VTD_PAGE_SHIFT) : 0;
	u64 want = (pte & RW) ? (pte & VTD_PTE_ADDR_MASK) | (iova & (PG - 1))
			      : 0;
	u64 prot = ~0ULL, got = vtd_pgtable_lookup(&pt, iova, &prot);

	FUZZ_CHECK(got == want && prot == (pte & RW),
		   "lookup %#llx: %#llx prot %#llx, model %#llx",
		   (unsigned long long)iova, (unsigned long long)got,
		   (unsigned long long)prot, (unsigned long long)pte);
	got = vtd_pgtable_pte(&pt, iova);
	FUZZ_CHECK(got == pte, "pte %#llx: %#llx, model %#llx",
		   (unsigned long long)iova, (unsigned long long)got,
		   (unsigned long long)pte);
}

/* Every page of [iova, iova + npages pages) and the two beside it. */
static void check_run(u64 iova, u64 npages, unsigned int offset)
{
	u64 i;

	for (i = 0; i < npages; i++)
		check_addr(iova + i * PG + offset);
	check_addr(iova - PG + offset);
	check_addr(iova + npages * PG + offset);
}

/*
 * An address near a table boundary: the ends of the first leaf, level-2
 * and level-3 tables' spans, 0 and the top, each +-32767 pages.  Below 0
 * wraps to the top of the 64-bit space: a bad address.
 */
static u64 pick_iova(struct input *in)
{
	const u64 anchors[] = {
		0, 1ULL << 9, 1ULL << 18, 1ULL << 27, max_pfn() + 1,
	};
	u64 pfn = anchors[in_u8(in) % 5];

	return (pfn + (s64)(int16_t)in_u16(in)) << VTD_PAGE_SHIFT;
}

/* Bytes: mostly a few pages; (@how & 3) == 3: 0 or not whole pages. */
static u64 pick_size(struct input *in, u8 how)
{
	u64 pages;

	switch (how & 3) {
	case 0:
		return PG;
	case 1:
		return (1 + in_u8(in) % 32) * PG;
	case 2:
		return (1 + in_u16(in) % MAX_RUN) * PG;
	default:
		/* 0, or a few pages and some bytes (read in this order). */
		pages = in_u8(in) % 4;
		return pages * PG + in_u8(in) % PG;
	}
}

/* Rights and software bits; sometimes a bit no leaf may carry. */
static u64 pick_prot(struct input *in)
{
	static const u64 bad_bits[] = {
		BIT_ULL(2), BIT_ULL(7), BIT_ULL(11), BIT_ULL(12),
		BIT_ULL(51), BIT_ULL(62), BIT_ULL(63), 0,
	};
	u16 v = in_u16(in);
	u64 prot = (v & RW) | ((u64)((v >> 2) & 0x3ff) << VTD_PTE_SW_SHIFT);

	if (v & 0x1000)
		prot |= bad_bits[in_u8(in) % 8];
	return prot;
}

/* A page-aligned physical address, or (@bad) one that is not. */
static u64 pick_phys(struct input *in, bool bad)
{
	/*
	 * Up to 2^44: with MAX_RUN pages added it stays inside the address
	 * field; a range running past it would carry into software bits,
	 * which map does not promise to refuse.
	 */
	u64 phys = in_bytes(in, 4) << VTD_PAGE_SHIFT;

	if (bad)
		phys |= (in_u8(in) & 1) ? 1 + in_u8(in) % (PG - 1) :
					  BIT_ULL(52 + in_u8(in) % 12);
	return phys;
}

/*
 * What a map must return (pgtable.c's kernel-doc): -EINVAL for a bad
 * request (@good false; it allocates nothing), -ENOMEM exactly when an
 * injected failure hit it, -EEXIST when @mapped of its pages were taken,
 * else 0.
 */
static int map_expected(bool good, long before, u64 mapped)
{
	if (!good)
		return -EINVAL;
	if (injected_since(before))
		return -ENOMEM;
	return mapped ? -EEXIST : 0;
}

static void op_map(struct input *in)
{
	u8 how = in_u8(in);
	u64 iova = pick_iova(in), size = pick_size(in, how), i, n, mapped = 0;
	u64 phys = pick_phys(in, how & 8), prot = pick_prot(in);
	bool good;
	long before;
	int ret, want;

	if (how & 0x10) {
		/* 2 MiB aligned both ways: a 2 MiB leaf where allowed. */
		iova &= ~(SP - 1);
		phys &= ~(SP - 1);
	}
	if (how & 4)
		iova += 1 + in_u16(in) % (PG - 1);
	/* pgtable.c's kernel-doc: what is refused with -EINVAL. */
	good = range_good(iova, size) && !(phys & ~VTD_PTE_ADDR_MASK) &&
	       (prot & RW) && !(prot & ~(RW | VTD_PTE_SW_MASK));
	n = size / PG;
	if (good) {
		if (nr_mapped + n > MODEL_MAX)
			return;
		for (i = 0; i < n; i++)
			if (model_get((iova >> VTD_PAGE_SHIFT) + i))
				mapped++;
	}
	before = shim_fail_alloc_after;
	ret = vtd_pgtable_map(&pt, iova, phys, size, prot, GFP_ATOMIC);
	want = map_expected(good, before, mapped);
	FUZZ_CHECK(ret == want && (good || !injected_since(before)),
		   "map %#llx +%#llx phys %#llx prot %#llx over %llu mapped pages: %d, want %d",
		   (unsigned long long)iova, (unsigned long long)size,
		   (unsigned long long)phys, (unsigned long long)prot,
		   (unsigned long long)mapped, ret, want);
	if (!good)
		return;
	if (!ret)
		for (i = 0; i < n; i++)
			model_set((iova >> VTD_PAGE_SHIFT) + i,
				  (phys + i * PG) | prot);
	/* On error: nothing changed, no part of the range left mapped. */
	check_run(iova, n, in_u16(in) % PG);
}

/*
 * vtd_pgtable_map_runs(): up to four runs of 1-32 pages from near a
 * boundary, each after a gap of 0-3 pages, anywhere physically.  Its
 * contract makes the span from the first run to the end of the last the
 * caller's: a list whose gaps hold mapped pages is not made.  Checked as
 * a map: -EINVAL exactly for bad rights or a span off the table, else as
 * op_map() over the pages of all the runs; on error, no run left mapped.
 */
static void op_map_runs(struct input *in)
{
	unsigned int n = 1 + in_u8(in) % 4, r;
	u64 at = pick_iova(in), prot = pick_prot(in), mapped = 0, pages = 0;
	struct siommu_run runs[4];
	u64 i, p, first;
	bool good;
	long before;
	int ret, want;

	for (r = 0; r < n; r++) {
		u8 b = in_u8(in);

		at += (b & 3) * PG;
		runs[r].iova = at;
		runs[r].size = (1 + (b >> 2) % 32) * PG;
		runs[r].phys = pick_phys(in, false);
		at += runs[r].size;
		pages += runs[r].size / PG;
	}
	first = runs[0].iova;
	good = range_good(first, at - first) && (prot & RW) &&
	       !(prot & ~(RW | VTD_PTE_SW_MASK));
	if (good) {
		if (nr_mapped + pages > MODEL_MAX)
			return;
		for (r = 0, p = first; p < at; p += PG) {
			if (p >= runs[r].iova + runs[r].size)
				r++;
			if (!model_get(p >> VTD_PAGE_SHIFT))
				continue;
			if (p < runs[r].iova)
				return;		/* a mapped page in a gap */
			mapped++;
		}
	}
	before = shim_fail_alloc_after;
	ret = vtd_pgtable_map_runs(&pt, runs, n, prot, GFP_ATOMIC);
	want = map_expected(good, before, mapped);
	FUZZ_CHECK(ret == want && (good || !injected_since(before)),
		   "map_runs from %#llx to %#llx prot %#llx over %llu mapped pages: %d, want %d",
		   (unsigned long long)first, (unsigned long long)at,
		   (unsigned long long)prot, (unsigned long long)mapped, ret,
		   want);
	for (r = 0; r < n && !ret; r++)
		for (i = 0; i < runs[r].size / PG; i++)
			model_set((runs[r].iova >> VTD_PAGE_SHIFT) + i,
				  (runs[r].phys + i * PG) | prot);
	for (r = 0; r < n; r++)
		check_run(runs[r].iova, runs[r].size / PG, 0);
}

/*
 * The level of the leaf that maps @iova now, read from the table itself
 * (1: a 4 KiB leaf, 2: a 2 MiB one), 0 for none: the model cannot know
 * whether a map made a 2 MiB leaf (an empty leaf table may be in the way).
 */
static unsigned int leaf_level(u64 iova)
{
	const u64 *table = pt.root;
	unsigned int level;
	u64 e;

	if (iova > vtd_pgtable_max_iova(&pt))
		return 0;
	for (level = pt.levels;; level--) {
		e = table[(iova >> (VTD_PAGE_SHIFT +
				    VTD_LEVEL_BITS * (level - 1))) &
			  (VTD_PTES_PER_TABLE - 1)];
		if (!e)
			return 0;
		if (level == 1 || (e & VTD_PTE_PS))
			return level;
		table = (const u64 *)(uintptr_t)(e & VTD_PTE_ADDR_MASK);
	}
}

/*
 * Unmap: the model's pages of the range go, and every 2 MiB leaf the range
 * touches goes whole (its 512 pages), counted once.  how & 0x20: through
 * vtd_pgtable_unmap_mapped(), which touches nothing when the first page
 * is not mapped and otherwise returns its entry.
 */
static void op_unmap(struct input *in)
{
	u8 how = in_u8(in);
	u64 iova = pick_iova(in), size = pick_size(in, how), i, n, want = 0;
	u64 supers[MAX_RUN / 512 + 2];
	unsigned int nr_supers = 0, k;
	struct page *freed = NULL;
	u64 got, first = 0, first_pte;
	long before;

	if (how & 4)
		iova += 1 + in_u16(in) % (PG - 1);
	n = size / PG;
	if (range_good(iova, size)) {
		for (i = 0; i < n; i++) {
			u64 a = iova + i * PG;

			if (leaf_level(a) == 2) {
				a &= ~(SP - 1);
				if (!nr_supers || supers[nr_supers - 1] != a) {
					supers[nr_supers++] = a;
					want += SP;
				}
			} else if (model_get(a >> VTD_PAGE_SHIFT)) {
				want += PG;
			}
		}
	}
	first_pte = range_good(iova, size) ?
		    vtd_pgtable_pte(&pt, iova & ~(PG - 1)) : 0;
	if ((how & 0x20) && !first_pte) {
		want = 0;
		nr_supers = 0;
	}
	before = shim_fail_alloc_after;
	if (how & 0x20)
		got = vtd_pgtable_unmap_mapped(&pt, iova, size,
					       (how & 8) ? &freed : NULL,
					       &first);
	else
		got = vtd_pgtable_unmap(&pt, iova, size,
					(how & 8) ? &freed : NULL);
	/* No unit to invalidate: the emptied tables can go at once. */
	vtd_pgtable_free_tables(freed);
	rcu_barrier();
	FUZZ_CHECK(got == want && !injected_since(before),
		   "unmap %#llx +%#llx: %#llx, model %#llx",
		   (unsigned long long)iova, (unsigned long long)size,
		   (unsigned long long)got, (unsigned long long)want);
	/* pte() reads a 2 MiB leaf as its page's entry would be. */
	FUZZ_CHECK(!(how & 0x20) || !want ||
		   ((first ^ first_pte) & ~(VTD_PTE_ADDR_MASK | VTD_PTE_PS)) == 0,
		   "unmap_mapped %#llx: first entry %#llx, was %#llx",
		   (unsigned long long)iova, (unsigned long long)first,
		   (unsigned long long)first_pte);
	if (!want)
		return;
	for (i = 0; i < n; i++)
		model_set((iova >> VTD_PAGE_SHIFT) + i, 0);
	for (k = 0; k < nr_supers; k++)
		for (i = 0; i < SP / PG; i++)
			model_set((supers[k] >> VTD_PAGE_SHIFT) + i, 0);
	check_run(iova, n, 0);
	for (k = 0; k < nr_supers; k++)
		check_run(supers[k], SP / PG, 0);
}

static void op_lookup(struct input *in)
{
	u8 how = in_u8(in);

	/* Near a boundary with any page offset, or anywhere at all. */
	if (how & 1)
		check_addr(in_bytes(in, 8));
	else
		check_addr(pick_iova(in) + in_u16(in) % PG);
}

/* Where a leaf entry is kept: the model's entry, or none where none is. */
static void op_leaf(struct input *in)
{
	u64 iova = pick_iova(in), cur, *e;

	in_u8(in);	/* once how to change it: kept for the corpus */
	e = vtd_pgtable_leaf_entry(&pt, iova);
	if (iova > vtd_pgtable_max_iova(&pt)) {
		FUZZ_CHECK(!e, "leaf entry beyond the table");
		return;
	}
	cur = model_get(iova >> VTD_PAGE_SHIFT);
	/* A missing leaf table: nothing mapped, or a 2 MiB leaf there. */
	FUZZ_CHECK(e || !cur || leaf_level(iova) == 2,
		   "no leaf entry for mapped %#llx", (unsigned long long)iova);
	if (e)
		FUZZ_CHECK(*e == cur, "leaf entry %#llx: %#llx, model %#llx",
			   (unsigned long long)iova, (unsigned long long)*e,
			   (unsigned long long)cur);
}

/*
 * Walk the table at @level covering pfns from @base: every entry must be
 * the model's, every table linked with both rights.  Returns the table
 * pages found; *@leaves counts nonzero leaf entries.
 */
static unsigned int entries_set(const u64 *table)
{
	unsigned int i, n = 0;

	for (i = 0; i < VTD_PTES_PER_TABLE; i++)
		n += !!table[i];
	return n;
}

/* Links walk() found marked VTD_PTE_KEPT. */
static long kept_links;

static long walk(const u64 *table, unsigned int level, u64 base,
		 unsigned long *leaves)
{
	u64 span = 1ULL << (VTD_LEVEL_BITS * (level - 1));
	long tables = 1;
	unsigned int i;

	for (i = 0; i < VTD_PTES_PER_TABLE; i++) {
		u64 e = table[i];

		if (!e)
			continue;
		if (level == 1) {
			FUZZ_CHECK(e == model_get(base + i),
				   "leaf of pfn %#llx: %#llx, model %#llx",
				   (unsigned long long)(base + i),
				   (unsigned long long)e,
				   (unsigned long long)model_get(base + i));
			(*leaves)++;
			continue;
		}
		if (level == 2 && (e & VTD_PTE_PS)) {
			u64 k, want;

			/* A 2 MiB leaf: the model's 512 pages, in order. */
			for (k = 0; k < VTD_PTES_PER_TABLE; k++) {
				want = (e & ~VTD_PTE_PS) + k * PG;
				FUZZ_CHECK(model_get(base + i * span + k) == want,
					   "2 MiB leaf %#llx, page %llu: model %#llx",
					   (unsigned long long)e,
					   (unsigned long long)k,
					   (unsigned long long)
					   model_get(base + i * span + k));
			}
			*leaves += VTD_PTES_PER_TABLE;
			continue;
		}
		FUZZ_CHECK((e & ~(VTD_PTE_ADDR_MASK | VTD_PTE_LIVE_MASK |
				  VTD_PTE_KEPT)) == RW,
			   "level %u entry %#llx", level, (unsigned long long)e);
		kept_links += !!(e & VTD_PTE_KEPT);
		FUZZ_CHECK(!(e & VTD_PTE_KEPT) ||
			   (level == 2 && !VTD_PTE_LIVE_OF(e)),
			   "level %u link %#llx: kept but not an empty leaf table",
			   level, (unsigned long long)e);
		FUZZ_CHECK(VTD_PTE_LIVE_OF(e) ==
			   entries_set((const u64 *)(uintptr_t)
				       (e & VTD_PTE_ADDR_MASK)),
			   "level %u link %#llx: live count off", level,
			   (unsigned long long)e);
		tables += walk((const u64 *)(uintptr_t)(e & VTD_PTE_ADDR_MASK),
			       level - 1, base + i * span, leaves);
	}
	return tables;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	long pages_base = shim_pages_outstanding();
	long kmalloc_base = shim_kmalloc_outstanding();
	unsigned long leaves = 0;
	unsigned int levels;
	long tables;
	u8 head = in_u8(&in), op;

	shim_fail_alloc_after = -1;
	if (++gen == 0)
		gen = 1;
	nr_mapped = 0;

	/* An unsupported depth is refused before anything is allocated. */
	levels = (head >> 2) & 7;
	if (levels != 3 && levels != 4)
		FUZZ_CHECK(vtd_pgtable_init(&pt, levels, true) == -EINVAL &&
			   shim_pages_outstanding() == pages_base,
			   "%u levels", levels);
	levels = 3 + (head & 1);
	if (head & 0x20) {
		shim_fail_alloc_after = 0;
		FUZZ_CHECK(vtd_pgtable_init(&pt, levels, head & 2) == -ENOMEM,
			   "root allocation failure not reported");
		shim_fail_alloc_after = -1;
		vtd_pgtable_destroy(&pt);
		FUZZ_CHECK(shim_pages_outstanding() == pages_base,
			   "failed init leaked %ld pages",
			   shim_pages_outstanding() - pages_base);
		return 0;
	}
	FUZZ_CHECK(vtd_pgtable_init(&pt, levels, head & 2) == 0, "init");
	/* 2 MiB leaves (CAP.SLLPS bit 0) for some inputs. */
	pt.superpages = head & 0x40;
	/* Keep one emptied leaf table, or the default number. */
	if (head & 0x10)
		pt.kept_max = 1;

	while (in.left) {
		op = in_u8(&in);
		switch (op % 7) {
		case 0:
		case 1:
			op_map(&in);
			break;
		case 2:
			op_unmap(&in);
			break;
		case 3:
			op_lookup(&in);
			break;
		case 4:
			op_leaf(&in);
			break;
		case 5:
			/* The n-th table allocation from now fails; 255: none. */
			op = in_u8(&in);
			shim_fail_alloc_after = op == 0xff ? -1 : op % 8;
			break;
		case 6:
			op_map_runs(&in);
			break;
		}
	}
	shim_fail_alloc_after = -1;

	/* The whole table: the model's entries, no page unaccounted for. */
	FUZZ_CHECK(vtd_pgtable_root_phys(&pt) == virt_to_phys(pt.root),
		   "root at %#llx",
		   (unsigned long long)vtd_pgtable_root_phys(&pt));
	kept_links = 0;
	tables = walk(pt.root, pt.levels, 0, &leaves);
	FUZZ_CHECK(kept_links == atomic_read(&pt.kept_empty) &&
		   kept_links <= pt.kept_max,
		   "%ld kept links, count %d, at most %u", kept_links,
		   atomic_read(&pt.kept_empty), pt.kept_max);
	FUZZ_CHECK(leaves == nr_mapped, "%lu leaf entries, model %u", leaves,
		   nr_mapped);
	FUZZ_CHECK(tables == atomic_long_read(&pt.nr_tables) &&
		   tables == shim_pages_outstanding() - pages_base,
		   "%ld tables reachable, %ld counted, %ld pages allocated",
		   tables, atomic_long_read(&pt.nr_tables),
		   shim_pages_outstanding() - pages_base);
	vtd_pgtable_destroy(&pt);
	FUZZ_CHECK(!pt.root && !atomic_long_read(&pt.nr_tables) &&
		   shim_pages_outstanding() == pages_base &&
		   shim_kmalloc_outstanding() == kmalloc_base,
		   "destroy left %ld pages, %ld objects",
		   shim_pages_outstanding() - pages_base,
		   shim_kmalloc_outstanding() - kmalloc_base);
	return 0;
}
