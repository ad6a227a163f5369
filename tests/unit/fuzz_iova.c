// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the IOVA allocators: src/dma/iova/rbtree.c,
 * src/dma/iova/magazine.c (over an rbtree instance) and src/dma/iova/kmalloc.c,
 * compiled unchanged over the shim and driven through their ops tables.
 *
 * The first input byte picks the allocator and its space; the rest is a
 * sequence of operations: alloc (one or a burst, size and limit from the
 * input), free of a live range picked by index (optionally freed twice),
 * a free the allocator must refuse, reserve (only before the first alloc,
 * as the ops table's contract says), allocation failure injection
 * (shim_fail_alloc_after), and for magazine: switching the emulated CPU,
 * cpu_dead() of another CPU and drain().
 *
 * A model of the live ranges and reservations asserts, with abort() so
 * that libFuzzer keeps the input:
 *  - a range handed out lies in the space and under the limit, starts on
 *    a multiple of roundup_pow_of_two(npages), and overlaps no live range
 *    or reservation (magazine: its whole size class, which it takes);
 *  - an alloc that fails had no room, where the model can tell: rbtree
 *    always, magazine while no other CPU caches ranges, kmalloc with no
 *    reservation and a limit over the whole heap; never when a failure
 *    was injected;
 *  - freeing a live range always works, even with failures injected (free
 *    must not fail for want of memory), and the frees the ops table
 *    documents as refused return -EINVAL and change nothing;
 *  - outstanding() equals the model's count after every operation, and
 *    after freeing everything it is 0 (and, for magazine after drain(),
 *    the backing allocator's too);
 *  - destroy() at the end of each input gives back every shim kmalloc
 *    object, and no WARN fired; LeakSanitizer checks the rest.
 *
 * "make fuzz-smoke" and "make fuzz" run it (see the Makefile).  By hand:
 * ./fuzz_iova DIR fuzz_corpus/fuzz_iova, with the seeds second, as
 * libFuzzer adds what it finds to the first directory; ./fuzz_iova FILE
 * replays one input, e.g. a fuzz_work/fuzz_iova-crash-* one.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "shim.h"
#include <linux/bits.h>
#include <linux/log2.h>
#include <linux/slab.h>

#include "fuzz_input.h"
#include "dma/iova/allocator.h"
#include "dma/iova/direct_map.h"

/* The shim has no <linux/array_size.h>. */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_iova: %s:%d: %s: ", __FILE__,	\
			__LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* Live ranges the model tracks: enough to fill two magazines and more. */
#define MAX_LIVE	1024
#define MAX_RESV	64
/* Emulated CPUs used: few, so that CPUs share each other's ranges. */
#define FUZZ_CPUS	8
/* As in src/dma/iova/magazine.c: requests up to this are rounded up. */
#define MAG_MAX_CLASS	32
/* The shim's direct map is the 47-bit user address space. */
#define WIDE_END	((1UL << 47) - 1)
/*
 * kmalloc ranges are real heap objects of (about) npages bytes: a cap
 * keeps a burst of them small for ASan.
 */
#define KM_MAX_PAGES	BIT(14)

enum { A_RBTREE, A_MAGAZINE, A_KMALLOC, NR_ALLOCATORS };

static const struct siommu_iova_ops *const allocators[NR_ALLOCATORS] = {
	[A_RBTREE] = &siommu_iova_rbtree_ops,
	[A_MAGAZINE] = &siommu_iova_magazine_ops,
	[A_KMALLOC] = &siommu_iova_kmalloc_ops,
};

struct range {
	unsigned long lo, hi;		/* inclusive */
};

struct live {
	unsigned long pfn, npages;	/* as alloc was asked */
};

struct model {
	int kind;
	const struct siommu_iova_ops *ops;
	struct siommu_iova *iova;
	unsigned long start, end;
	struct live live[MAX_LIVE];
	unsigned int nr_live;
	/* Reservations that succeeded, clipped to the space. */
	struct range resv[MAX_RESV];
	unsigned int nr_resv;
	/* Any reserve call, even one that failed or reserved nothing. */
	bool resv_tried;
	/* A reserve failed part-way: what is reserved is not known exactly. */
	bool resv_unknown;
	/* The contract: reserve only before any alloc. */
	bool alloc_called;
	/* magazine: CPUs whose magazines may hold freed ranges. */
	unsigned long cached_cpus;
	unsigned int cpu;
};

/* Static: too large for the stack, and reset per input by its counts. */
static struct model m;
/* Scratch for the "does anything fit" sweep. */
static struct range busy[MAX_LIVE + MAX_RESV];

/* Pages a live range really takes: magazine rounds up to its class. */
static unsigned long span_of(unsigned long npages)
{
	if (m.kind == A_MAGAZINE && npages >= 1 && npages <= MAG_MAX_CLASS)
		return roundup_pow_of_two(npages);
	return npages;
}

/* The bytes kmalloc.c asks of kmalloc() for @npages: alignment of free. */
static unsigned long km_bytes(unsigned long npages)
{
	unsigned long bytes = roundup_pow_of_two(npages);

	return bytes < sizeof(void *) ? sizeof(void *) : bytes;
}

static bool overlaps(unsigned long lo, unsigned long hi,
		     const struct range *r)
{
	return lo <= r->hi && r->lo <= hi;
}

static bool in_resv(unsigned long lo, unsigned long hi)
{
	unsigned int i;

	for (i = 0; i < m.nr_resv; i++)
		if (overlaps(lo, hi, &m.resv[i]))
			return true;
	return false;
}

static int live_index(unsigned long pfn, unsigned long npages)
{
	unsigned int i;

	for (i = 0; i < m.nr_live; i++)
		if (m.live[i].pfn == pfn && m.live[i].npages == npages)
			return i;
	return -1;
}

/*
 * Where a kmalloc object of @bytes would be placed now, as a pfn: the
 * shim's objects are heap addresses, so a reservation or start_pfn meant
 * to matter to the kmalloc allocator has to be near one.  Neither counted
 * by the shim nor subject to its failure injection.
 */
static unsigned long heap_probe(unsigned long bytes)
{
	void *p = shim_kmalloc_raw(bytes);
	unsigned long pfn = (uintptr_t)p - SIOMMU_DIRECT_MAP_BASE;

	free(p);
	return pfn ? pfn : 1;
}

static int by_lo(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Is there an @align-aligned run of @len pages in [lo, hi]? */
static bool gap_fits(unsigned long lo, unsigned long hi, unsigned long len,
		     unsigned long align)
{
	/* 128 bits: rounding up near ULONG_MAX must not wrap. */
	unsigned __int128 p = ((unsigned __int128)lo + align - 1) &
			      ~(unsigned __int128)(align - 1);

	return lo <= hi && p + len - 1 <= hi;
}

/*
 * Could an allocator that searches the whole space place @len pages,
 * aligned to @align, at or below @top?  Every live range (its span) and
 * every reservation is in the way; nothing else is.
 */
static bool room_for(unsigned long len, unsigned long align,
		     unsigned long top)
{
	unsigned long cur = m.start;
	unsigned int i, n = 0;

	if (top > m.end)
		top = m.end;
	if (!len || top < m.start)
		return false;
	for (i = 0; i < m.nr_live; i++)
		busy[n++] = (struct range){ m.live[i].pfn, m.live[i].pfn +
					    span_of(m.live[i].npages) - 1 };
	for (i = 0; i < m.nr_resv; i++)
		busy[n++] = m.resv[i];
	qsort(busy, n, sizeof(busy[0]), by_lo);
	for (i = 0; i < n; i++) {
		if (busy[i].hi < cur)
			continue;
		if (busy[i].lo > cur &&
		    gap_fits(cur, busy[i].lo - 1 < top ? busy[i].lo - 1 : top,
			     len, align))
			return true;
		if (busy[i].hi >= top)
			return false;
		cur = busy[i].hi + 1;
	}
	return gap_fits(cur, top, len, align);
}

/* A failed alloc of @npages under @limit: was that allowed? */
static void check_no_room(unsigned long npages, unsigned long limit,
			  bool injected, unsigned long others_cache)
{
	unsigned long len;

	if (injected || !npages || npages > (~0UL >> 1) + 1)
		return;
	switch (m.kind) {
	case A_RBTREE:
		/* First fit over the whole tree, cached ranges purged. */
		if (!m.resv_unknown)
			FUZZ_CHECK(!room_for(npages, roundup_pow_of_two(npages),
					     limit),
				   "rbtree: %lu pages under %#lx refused with room",
				   npages, limit);
		break;
	case A_MAGAZINE:
		/*
		 * A failure spills this CPU's magazines and the depot and
		 * tries again; only other CPUs' magazines stay out of reach.
		 */
		len = span_of(npages);
		if (!m.resv_unknown && !others_cache)
			FUZZ_CHECK(!room_for(len, roundup_pow_of_two(len),
					     limit),
				   "magazine: %lu pages under %#lx refused with room",
				   npages, limit);
		break;
	case A_KMALLOC:
		/*
		 * Every heap address is below 2^47, the space starts at 1
		 * and, with no reservation, kmalloc.c quarantines nothing:
		 * the first object it gets will do.
		 */
		if (!m.resv_tried && m.start == 1 && npages <= KM_MAX_PAGES &&
		    limit >= WIDE_END)
			FUZZ_CHECK(false, "kmalloc: %lu pages refused", npages);
		break;
	}
}

/* A range alloc just returned: check it against the model, then add it. */
static void check_new(unsigned long pfn, unsigned long npages,
		      unsigned long limit)
{
	unsigned long span, last, top;
	unsigned int i;

	FUZZ_CHECK(npages && npages <= (~0UL >> 1) + 1,
		   "%s: pfn %#lx for %lu pages", m.ops->name, pfn, npages);
	span = span_of(npages);
	last = pfn + span - 1;
	top = limit < m.end ? limit : m.end;
	FUZZ_CHECK(last >= pfn && pfn >= m.start && last <= top,
		   "%s: [%#lx, +%lu) outside [%#lx, %#lx]", m.ops->name, pfn,
		   span, m.start, top);
	FUZZ_CHECK(!(pfn & (roundup_pow_of_two(npages) - 1)),
		   "%s: pfn %#lx misaligned for %lu pages", m.ops->name, pfn,
		   npages);
	for (i = 0; i < m.nr_live; i++) {
		struct range r = { m.live[i].pfn, m.live[i].pfn +
				   span_of(m.live[i].npages) - 1 };

		FUZZ_CHECK(!overlaps(pfn, last, &r),
			   "%s: [%#lx, %#lx] overlaps live [%#lx, %#lx]",
			   m.ops->name, pfn, last, r.lo, r.hi);
	}
	FUZZ_CHECK(!in_resv(pfn, last), "%s: [%#lx, %#lx] is reserved",
		   m.ops->name, pfn, last);
	m.live[m.nr_live++] = (struct live){ pfn, npages };
}

/* Would free(@pfn, @npages) be refused, by what the ops tables promise? */
static bool must_refuse(unsigned long pfn, unsigned long npages)
{
	unsigned long cls;

	switch (m.kind) {
	case A_RBTREE:
		/* Exact: anything but a live range, size as asked. */
		return live_index(pfn, npages) < 0;
	case A_MAGAZINE:
		/* Sizes above the classes (and 0) are the backing's: exact. */
		if (npages - 1 >= MAG_MAX_CLASS)
			return live_index(pfn, npages) < 0;
		cls = roundup_pow_of_two(npages);
		return pfn < m.start || pfn > m.end ||
		       cls - 1 > m.end - pfn || (pfn & (cls - 1));
	case A_KMALLOC:
		if (!npages || npages > KMALLOC_MAX_SIZE)
			return true;
		return pfn < m.start || pfn > m.end ||
		       npages - 1 > m.end - pfn ||
		       (pfn & (km_bytes(npages) - 1)) ||
		       in_resv(pfn, pfn + npages - 1) || !m.nr_live;
	}
	return false;
}

/* Did the shim fail an allocation since @before was its countdown? */
static bool injected_since(long before)
{
	return before >= 0 && shim_fail_alloc_after < 0;
}

static unsigned long pick_npages(struct input *in)
{
	static const unsigned long odd[] = {
		0, ULONG_MAX, (~0UL >> 1) + 1, (~0UL >> 1) + 2,
		KMALLOC_MAX_SIZE + 1,
	};
	unsigned long space = m.end - m.start + 1, n;
	u8 sel = in_u8(in);

	if (sel < 200) {
		/* Around the magazine classes and the rbtree reuse stacks. */
		n = 1 + sel % 70;
	} else if (sel < 240) {
		n = 1 + in_u16(in);
	} else if (sel < 248) {
		/* The whole space, or one page more. */
		n = space + (sel & 1);
	} else {
		n = odd[sel % ARRAY_SIZE(odd)];
	}
	/* Real heap objects: keep them small, refusals of any size. */
	if (m.kind == A_KMALLOC && n > KM_MAX_PAGES &&
	    n <= KMALLOC_MAX_SIZE)
		n = KM_MAX_PAGES;
	return n;
}

static unsigned long pick_limit(struct input *in)
{
	switch (in_u8(in) & 3) {
	case 0:
		return ULONG_MAX;
	case 1:
		return m.end;
	case 2:
		return m.start + in_u16(in);	/* may wrap: below the space */
	default:
		return in_bytes(in, 8);
	}
}

static void op_alloc(struct input *in, unsigned int repeat)
{
	unsigned long npages = pick_npages(in), limit = pick_limit(in), pfn;
	unsigned long others;
	long before;

	/* A device maps the same size under the same mask over and over. */
	while (repeat-- && m.nr_live < MAX_LIVE) {
		others = m.cached_cpus & ~(1UL << m.cpu);
		before = shim_fail_alloc_after;
		pfn = m.ops->alloc(m.iova, npages, limit);
		m.alloc_called = true;
		if (pfn) {
			check_new(pfn, npages, limit);
		} else {
			check_no_room(npages, limit, injected_since(before),
				      others);
			/* Every failing path spilled this CPU's magazines. */
			m.cached_cpus &= ~(1UL << m.cpu);
		}
	}
}

static void free_at(unsigned int i, bool twice)
{
	struct live r = m.live[i];
	int ret = m.ops->free(m.iova, r.pfn, r.npages);

	FUZZ_CHECK(ret == 0, "%s: free of live [%#lx, +%lu) returned %d",
		   m.ops->name, r.pfn, r.npages, ret);
	m.live[i] = m.live[--m.nr_live];
	m.cached_cpus |= 1UL << m.cpu;
	/*
	 * The usual double unmap, right away on the same CPU: rbtree knows
	 * what is out; magazine sees the range on top of this CPU's
	 * magazine (or asks the backing); kmalloc only when nothing is out.
	 */
	if (twice && (m.kind != A_KMALLOC || !m.nr_live)) {
		ret = m.ops->free(m.iova, r.pfn, r.npages);
		FUZZ_CHECK(ret == -EINVAL,
			   "%s: double free of [%#lx, +%lu) returned %d",
			   m.ops->name, r.pfn, r.npages, ret);
	}
}

static void op_free(struct input *in, unsigned int repeat)
{
	u8 how = in_u8(in);
	unsigned int i = in_u16(in);

	while (repeat-- && m.nr_live)
		free_at(i++ % m.nr_live, how & 1);
}

/* A free no alloc can have returned: refused, nothing changed. */
static void op_bad_free(struct input *in)
{
	u8 how = in_u8(in);
	unsigned long pfn, npages;
	int ret;

	if (m.nr_live && (how & 1)) {
		/* Close to a live range: off by a little, in place or size. */
		struct live *r = &m.live[in_u16(in) % m.nr_live];

		pfn = r->pfn + (long)(int8_t)in_u8(in);
		npages = r->npages + (long)(int8_t)in_u8(in);
	} else {
		pfn = (how & 2) ? in_bytes(in, 8) : m.start + in_u16(in);
		npages = pick_npages(in);
	}
	if (!must_refuse(pfn, npages))
		return;
	ret = m.ops->free(m.iova, pfn, npages);
	FUZZ_CHECK(ret == -EINVAL, "%s: bad free [%#lx, +%lu) returned %d",
		   m.ops->name, pfn, npages, ret);
}

static void op_reserve(struct input *in)
{
	u8 how = in_u8(in);
	unsigned long base = m.start, lo, hi, clo, chi;
	long before = shim_fail_alloc_after, off;
	int ret;

	if (m.alloc_called || m.nr_resv == MAX_RESV)
		return;
	if (m.kind == A_KMALLOC && (how & 1))
		base = heap_probe(km_bytes(1 + in_u8(in)));
	/* Around @base, clamped at both ends of the pfns. */
	off = (int16_t)in_u16(in);
	if (off < 0)
		lo = (unsigned long)-off > base ? 0 : base + off;
	else
		lo = base + off < base ? ULONG_MAX : base + off;
	/* (how & 2): hi below lo, a request for nothing (unless it wraps). */
	hi = (how & 2) ? lo - 1 - in_u8(in) : lo + in_u16(in);
	if (hi < lo && !(how & 2))
		hi = ULONG_MAX;
	ret = m.ops->reserve(m.iova, lo, hi);
	m.resv_tried = true;
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM, "%s: reserve returned %d",
		   m.ops->name, ret);
	if (ret) {
		/* rbtree fills gaps one allocation at a time: part stays. */
		if (m.kind != A_KMALLOC) {
			FUZZ_CHECK(injected_since(before),
				   "%s: reserve -ENOMEM, nothing injected",
				   m.ops->name);
			m.resv_unknown = true;
		}
		return;
	}
	clo = lo > m.start ? lo : m.start;
	chi = hi < m.end ? hi : m.end;
	if (clo <= chi)
		m.resv[m.nr_resv++] = (struct range){ clo, chi };
}

static void op_cpu_dead(struct input *in)
{
	unsigned int cpu = in_u8(in) % FUZZ_CPUS;

	/* Runs on another CPU, about one that is offline. */
	if (!m.ops->cpu_dead || cpu == m.cpu)
		return;
	m.ops->cpu_dead(m.iova, cpu);
	m.cached_cpus &= ~(1UL << cpu);
}

/* After a drain a magazine's backing instance holds exactly the live ones. */
static void op_drain(void)
{
	unsigned long held;

	if (!m.ops->drain)
		return;
	m.ops->drain(m.iova);
	m.cached_cpus = 0;
	if (m.kind == A_MAGAZINE) {
		held = siommu_iova_magazine_backing_out(m.iova);
		FUZZ_CHECK(held == m.nr_live,
			   "magazine: drained, backing holds %lu for %u live",
			   held, m.nr_live);
	}
}

static bool make_instance(struct input *in)
{
	u8 head = in_u8(in);
	unsigned long size;
	long before;

	m.kind = (head & 3) % NR_ALLOCATORS;
	m.ops = allocators[m.kind];
	if (m.kind == A_KMALLOC) {
		/* A space as wide as the shim's direct map (the heap). */
		m.start = (head & 16) ? heap_probe(km_bytes(1 + in_u8(in))) &
					~0xfffUL : 1;
		m.end = (head & 8) ? ULONG_MAX : WIDE_END;
		/*
		 * One starting past the first MiB of offsets would
		 * quarantine most objects: refused by check_space, yet
		 * created here to drive the quarantine.
		 */
		FUZZ_CHECK(m.ops->check_space(m.start, m.end) ==
			   (m.start > (1UL << 20) ? -ERANGE : 0),
			   "kmalloc: space [%#lx, %#lx] misjudged", m.start,
			   m.end);
	} else {
		/* Small spaces fill up; one ending at ULONG_MAX tests wraps. */
		size = 1 + in_u16(in);
		if (head & 8) {
			m.end = ULONG_MAX;
			m.start = m.end - size + 1;
		} else {
			m.start = 1 + in_u8(in);
			m.end = m.start + size - 1;
		}
	}
	if (head & 4)
		shim_fail_alloc_after = in_u16(in) % 1024;
	before = shim_fail_alloc_after;
	m.iova = m.ops->create(m.start, m.end);
	if (!m.iova)
		FUZZ_CHECK(injected_since(before), "%s: create failed",
			   m.ops->name);
	shim_fail_alloc_after = -1;
	return m.iova;
}

/*
 * ASan keeps 256 MiB of freed memory in quarantine by default.  Each
 * magazine instance is ~800 KiB of 1 KiB magazines made and freed within
 * one input; cycling that much fresh memory made runs five times slower.
 * 16 MiB still spans whole inputs, and nothing an input allocates
 * outlives it, so a use after free is still caught.  ASAN_OPTIONS may
 * override this.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	long kmalloc_base = shim_kmalloc_outstanding();
	long warnings = shim_warnings();
	unsigned int repeat;
	u8 op;

	/* Every input starts from the same shim state. */
	shim_fail_alloc_after = -1;
	shim_set_cpu(0);
	m.nr_live = 0;
	m.nr_resv = 0;
	m.resv_tried = false;
	m.resv_unknown = false;
	m.alloc_called = false;
	m.cached_cpus = 0;
	m.cpu = 0;

	if (!make_instance(&in)) {
		FUZZ_CHECK(shim_kmalloc_outstanding() == kmalloc_base,
			   "%s: failed create leaked %ld", m.ops->name,
			   shim_kmalloc_outstanding() - kmalloc_base);
		return 0;
	}

	while (in.left) {
		op = in_u8(&in);
		/* The top bit makes a burst: magazines fill at 255. */
		repeat = (op & 0x80) ? 1 + in_u8(&in) % 64 : 1;
		switch ((op & 0x7f) % 9) {
		case 0:
		case 1:
			op_alloc(&in, repeat);
			break;
		case 2:
			op_free(&in, repeat);
			break;
		case 3:
			op_bad_free(&in);
			break;
		case 4:
			op_reserve(&in);
			break;
		case 5:
			/* The n-th allocation from now fails; 255: none. */
			op = in_u8(&in);
			shim_fail_alloc_after = op == 0xff ? -1 : op % 32;
			break;
		case 6:
			m.cpu = in_u8(&in) % FUZZ_CPUS;
			shim_set_cpu(m.cpu);
			break;
		case 7:
			op_cpu_dead(&in);
			break;
		case 8:
			op_drain();
			break;
		}
		FUZZ_CHECK(m.ops->outstanding(m.iova) == m.nr_live,
			   "%s: outstanding %lu, model %u", m.ops->name,
			   m.ops->outstanding(m.iova), m.nr_live);
	}

	/* Give everything back: the count must reach 0 with no failures. */
	shim_fail_alloc_after = -1;
	while (m.nr_live)
		free_at(m.nr_live - 1, false);
	FUZZ_CHECK(m.ops->outstanding(m.iova) == 0, "%s: %lu left",
		   m.ops->name, m.ops->outstanding(m.iova));
	op_drain();
	m.ops->destroy(m.iova);
	shim_set_cpu(0);
	FUZZ_CHECK(shim_kmalloc_outstanding() == kmalloc_base,
		   "%s: destroy leaked %ld objects", m.ops->name,
		   shim_kmalloc_outstanding() - kmalloc_base);
	FUZZ_CHECK(shim_warnings() == warnings, "%s: %ld warnings",
		   m.ops->name, shim_warnings() - warnings);
	return 0;
}
