// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow buffers for sub-page protection (after Markuze, Morrison and
 * Tsafrir, "True IOMMU Protection from DMA Attacks", ASPLOS'16).
 *
 * An IOMMU maps pages.  A 512-byte buffer mapped in place hands the
 * device the whole 4 KiB page it sits in: the other objects of that slab
 * page, another device's buffer, a key.  Under protection=subpage a
 * mapping that does not cover whole pages is instead served from a
 * buffer of the domain's pool, and the data is copied at the DMA API's
 * sync points: in at map and sync_for_device, out at sync_for_cpu and
 * unmap.  The pool's pages hold nothing but this device's buffers and
 * stay mapped for it, read and write, for the domain's life: no
 * invalidation per I/O, no window in which the device reaches a page
 * after it went back to the kernel.
 *
 * Layout.  The pool lives in a fixed IOVA window of the fallback slot
 * (SIOMMU_SHADOW_BASE, reserved at domain create), so an unmap or a sync
 * knows a shadow handle by its address, whatever the protection is by
 * then.  The window is carved, never given back before the domain goes,
 * into chunks: one page of equal buffers for a size class up to 4 KiB,
 * or one buffer of 8-64 KiB over as many pages.  page_chunk[] leads from
 * a window page to its chunk: a handle's buffer is found with no search
 * and no lock.
 *
 * Free buffers sit on per-CPU lists, one per size class, changed with
 * interrupts off (the DMA API is called from any context).  A buffer
 * goes back to the list of the CPU that unmaps it, as slab objects do,
 * and batches move between those lists and a depot (SHADOW_BATCH).  Only
 * the depot and growing take the pool's lock.
 *
 * A device with a minimum alignment (dma_get_min_align_mask(): NVMe
 * computes its PRP entries from the CPU address's offset in its page)
 * gets its bytes at the same offset in a buffer aligned to it, as
 * swiotlb does.
 *
 * At map the caller's bytes are copied in for every direction, unless
 * DMA_ATTR_SKIP_CPU_SYNC: for DMA_FROM_DEVICE too, so a device that
 * writes less than it was given leaves the caller's bytes, not another
 * I/O's, in the rest at unmap (the leak swiotlb closed the same way).
 *
 * Larger than a buffer (over 64 KiB with its offset), a mapping is split:
 * its whole pages are the caller's alone and are mapped in place, and
 * only the page at either end that it shares is served from a page of
 * the pool's own, with the caller's bytes at their offset and zeros
 * around them.  The range comes from the domain's allocators like any
 * mapping; a record under its first and its last IOVA page lets an unmap
 * or a sync find it.  The end pages go back to the pool's spare list, not
 * to the kernel, for the domain's life: the range's invalidation may be
 * a lazy one (a policy swapped in after protection went back to page) or
 * may have failed, and a page that only this device's bytes pass through
 * may stay within its reach.
 */
#include <asm/barrier.h>
#include <linux/align.h>
#include <linux/bug.h>
#include <linux/dma-mapping.h>
#include <linux/errno.h>
#include <linux/highmem.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "base/stats.h"
#include "dma/domain.h"
#include "dma/shadow.h"

#define SHADOW_CLASSES	(SIOMMU_SHADOW_MAX_SHIFT - SIOMMU_SHADOW_MIN_SHIFT + 1)

/* One buffer: on a free list, or the caller's while mapped. */
struct shadow_buf {
	struct shadow_buf *next;	/* free list, the CPU's */
	struct shadow_chunk *chunk;	/* where it is */
	phys_addr_t orig;		/* the caller's bytes, while mapped */
	unsigned int off;		/* where they start in it */
};

/* A split mapping (see the top). */
struct shadow_split {
	dma_addr_t iova;		/* the range's first page */
	unsigned long npages;
	phys_addr_t orig;		/* the caller's first byte */
	size_t size;
	struct page *head, *tail;	/* the end pages; NULL: a whole page */
};

/* A stretch of the window and the pages behind it. */
struct shadow_chunk {
	dma_addr_t iova;
	unsigned int shift;		/* its buffers' size, 2^shift */
	unsigned int npages;
	struct page **pages;		/* npages of them */
	/* The pages are one block of 2^order (else one page each). */
	bool block;
	unsigned int order;
	struct shadow_buf bufs[];	/* VTD_PAGE_SIZE >> shift, or 1 */
};

/* Free buffers of one class. */
struct shadow_list {
	struct shadow_buf *head;
	unsigned int n;
};

struct shadow_free {
	struct shadow_list cls[SHADOW_CLASSES];
	/*
	 * Buffers this CPU handed out less those it took back (either may
	 * be another CPU's): summed, the buffers mapped now.  Per CPU, so
	 * that no map or unmap writes a line another CPU writes.
	 */
	long in_use;
};

/*
 * Buffers move between a CPU's list and the depot SHADOW_BATCH at a time:
 * a CPU that holds twice that gives a batch back, an empty one takes a
 * batch before the pool grows.  Without it, buffers that one CPU maps
 * and another unmaps (a NIC's transmit and its completion) pile up on
 * the second while the first grows the pool until the window is full.
 */
#define SHADOW_BATCH	32

struct siommu_shadow {
	/* Protects @used, @depot and @spare; taken with interrupts off. */
	spinlock_t lock;
	unsigned int used;		/* window pages carved */
	struct shadow_list depot[SHADOW_CLASSES];
	/* End pages of splits gone, chained through page_private(). */
	struct page *spare;
	/* IOVA pfn of a split's first page, and of its last -> the split. */
	struct xarray splits;
	/*
	 * Written once per page, by the CPU that carved it (release), read
	 * lock-free.
	 */
	struct shadow_chunk **page_chunk;
	struct shadow_free __percpu *free;
};

static void list_push(struct shadow_list *l, struct shadow_buf *b)
{
	b->next = l->head;
	l->head = b;
	l->n++;
}

static struct shadow_buf *list_pop(struct shadow_list *l)
{
	struct shadow_buf *b = l->head;

	if (b) {
		l->head = b->next;
		l->n--;
	}
	return b;
}

static struct siommu_shadow *pool_of(struct siommu_domain *dom)
{
	/* Pairs with siommu_shadow_create()'s release. */
	return smp_load_acquire(&dom->shadow);
}

static unsigned int size_shift(size_t size)
{
	return max_t(unsigned int, SIOMMU_SHADOW_MIN_SHIFT,
		     order_base_2(size));
}

/**
 * siommu_shadow_create() - give @dom a pool, if it has none
 * @dom: the domain, its window reserved; under *dom->lock
 *
 * Return: 0, or -ENOMEM.
 */
int siommu_shadow_create(struct siommu_domain *dom)
{
	struct siommu_shadow *sh;

	lockdep_assert_held(dom->lock);
	if (dom->shadow)
		return 0;
	sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	if (!sh)
		return -ENOMEM;
	spin_lock_init(&sh->lock);
	xa_init_flags(&sh->splits, XA_FLAGS_LOCK_IRQ);
	sh->page_chunk = vzalloc(array_size(SIOMMU_SHADOW_PAGES,
					    sizeof(*sh->page_chunk)));
	sh->free = alloc_percpu(struct shadow_free);
	if (!sh->page_chunk || !sh->free) {
		siommu_shadow_free(sh);
		return -ENOMEM;
	}
	/*
	 * Readers find it lock-free, inside a DMA API call: pairs with
	 * pool_of(), so that the pool is whole before it is seen.
	 */
	smp_store_release(&dom->shadow, sh);
	return 0;
}

/* A chunk's memory: its first @pages pages, its arrays. */
static void chunk_free(struct shadow_chunk *c, unsigned int pages)
{
	if (c->block)
		__free_pages(c->pages[0], c->order);
	else
		while (pages--)
			__free_page(c->pages[pages]);
	kfree(c->pages);
	kfree(c);
}

/*
 * A chunk's pages, zeroed: the device reaches all of them, and whatever a
 * page held before (another user's data) must not be among what it can
 * read.  Physically contiguous where memory allows, so that a
 * buffer over several pages is one contiguous stretch for the device as
 * for the CPU (QEMU's e1000e drops a transmit buffer its translation
 * splits); page by page otherwise, which the unit does not mind.
 */
static bool chunk_pages(struct shadow_chunk *c)
{
	struct page *block = NULL;
	unsigned int i;

	if (c->npages > 1)
		block = alloc_pages(GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO,
				    order_base_2(c->npages));
	if (block) {
		c->block = true;
		c->order = order_base_2(c->npages);
		for (i = 0; i < c->npages; i++)
			c->pages[i] = block + i;
		return true;
	}
	for (i = 0; i < c->npages; i++) {
		c->pages[i] = alloc_page(GFP_ATOMIC | __GFP_ZERO);
		if (!c->pages[i]) {
			chunk_free(c, i);
			return false;
		}
	}
	return true;
}

/*
 * An end page for a split, zeroed: from the spare list, else new.  Any
 * context.
 */
static struct page *spare_get(struct siommu_shadow *sh)
{
	unsigned long flags;
	struct page *pg;

	spin_lock_irqsave(&sh->lock, flags);
	pg = sh->spare;
	if (pg)
		sh->spare = (struct page *)page_private(pg);
	spin_unlock_irqrestore(&sh->lock, flags);
	if (!pg)
		return alloc_page(GFP_ATOMIC | __GFP_ZERO);
	set_page_private(pg, 0);
	clear_page(page_address(pg));
	return pg;
}

/* Keep @pg (may be NULL) for the next split: see the top. */
static void spare_put(struct siommu_shadow *sh, struct page *pg)
{
	unsigned long flags;

	if (!pg)
		return;
	spin_lock_irqsave(&sh->lock, flags);
	set_page_private(pg, (unsigned long)sh->spare);
	sh->spare = pg;
	spin_unlock_irqrestore(&sh->lock, flags);
}

/**
 * siommu_shadow_free() - the pool's memory, once no device reaches it
 * @sh: the pool (may be NULL): its domain's translations are gone
 */
void siommu_shadow_free(struct siommu_shadow *sh)
{
	struct shadow_split *split;
	struct shadow_chunk *c;
	unsigned long pfn;
	unsigned int p = 0;
	struct page *pg;

	if (!sh)
		return;
	/* Splits a driver never unmapped: each is there twice. */
	xa_for_each(&sh->splits, pfn, split) {
		if (pfn != split->iova >> VTD_PAGE_SHIFT)
			continue;
		spare_put(sh, split->head);
		spare_put(sh, split->tail);
		kfree(split);
	}
	xa_destroy(&sh->splits);
	while ((pg = sh->spare)) {
		sh->spare = (struct page *)page_private(pg);
		set_page_private(pg, 0);
		__free_page(pg);
	}
	while (sh->page_chunk && p < sh->used) {
		c = sh->page_chunk[p];
		if (!c) {
			p++;	/* skipped for alignment */
			continue;
		}
		p += c->npages;
		chunk_free(c, c->npages);
	}
	vfree(sh->page_chunk);
	free_percpu(sh->free);
	kfree(sh);
}

/*
 * A new chunk of 2^@shift-byte buffers, mapped for the device, its
 * buffers on this CPU's list.  Return: false when the window is full or
 * memory short (the map is refused: the driver sees a mapping error).
 */
static bool shadow_grow(struct siommu_domain *dom, struct siommu_shadow *sh,
			unsigned int shift)
{
	unsigned int cls = shift - SIOMMU_SHADOW_MIN_SHIFT;
	unsigned int npages = 1, nbufs = 1, first, mapped, i;
	struct shadow_free *f;
	struct shadow_chunk *c;
	unsigned long flags;

	if (shift > VTD_PAGE_SHIFT)
		npages = 1U << (shift - VTD_PAGE_SHIFT);
	else
		nbufs = 1U << (VTD_PAGE_SHIFT - shift);
	c = kzalloc(struct_size(c, bufs, nbufs), GFP_ATOMIC);
	if (!c)
		return false;
	c->pages = kcalloc(npages, sizeof(*c->pages), GFP_ATOMIC);
	if (!c->pages) {
		kfree(c);
		return false;
	}
	c->shift = shift;
	c->npages = npages;
	if (!chunk_pages(c))
		return false;

	/*
	 * Each buffer on a multiple of its size: one never crosses a
	 * segment boundary the buffer's size could fit in.
	 */
	spin_lock_irqsave(&sh->lock, flags);
	first = ALIGN(sh->used, npages);
	if (first + npages <= SIOMMU_SHADOW_PAGES)
		sh->used = first + npages;
	spin_unlock_irqrestore(&sh->lock, flags);
	if (first + npages > SIOMMU_SHADOW_PAGES) {
		chunk_free(c, npages);
		return false;
	}

	c->iova = SIOMMU_SHADOW_BASE + ((dma_addr_t)first << VTD_PAGE_SHIFT);
	for (mapped = 0; mapped < npages; mapped++)
		if (siommu_domain_map_at(dom, c->iova + mapped * VTD_PAGE_SIZE,
					 page_to_phys(c->pages[mapped]),
					 VTD_PAGE_SIZE, SIOMMU_PROT_RW,
					 SIOMMU_FALLBACK_SLOT))
			break;
	/*
	 * Published even when a map failed, for siommu_shadow_free(): the
	 * pages mapped so far stay mapped (the device may reach them),
	 * empty, until the pool goes.
	 */
	for (i = 0; i < npages; i++)
		/* Pairs with buf_of(): the chunk is whole before it is seen. */
		smp_store_release(&sh->page_chunk[first + i], c);
	if (mapped < npages)
		return false;

	local_irq_save(flags);
	f = this_cpu_ptr(sh->free);
	for (i = 0; i < nbufs; i++) {
		c->bufs[i].chunk = c;
		list_push(&f->cls[cls], &c->bufs[i]);
	}
	local_irq_restore(flags);
	return true;
}

/*
 * Take a free buffer of class @cls off this CPU's list, refilled from the
 * depot when empty; NULL when both are.  Interrupts off.
 */
static struct shadow_buf *buf_get(struct siommu_shadow *sh, unsigned int cls)
{
	struct shadow_free *f = this_cpu_ptr(sh->free);
	struct shadow_list *l = &f->cls[cls], *d = &sh->depot[cls];
	struct shadow_buf *b;

	if (!l->head && READ_ONCE(d->n)) {
		spin_lock(&sh->lock);
		while (d->head && l->n < SHADOW_BATCH)
			list_push(l, list_pop(d));
		spin_unlock(&sh->lock);
	}
	b = list_pop(l);
	if (b)
		WRITE_ONCE(f->in_use, f->in_use + 1);
	return b;
}

/* Put @b on this CPU's list, a batch to the depot past two.  Irqs off. */
static void buf_put(struct siommu_shadow *sh, unsigned int cls,
		    struct shadow_buf *b)
{
	struct shadow_free *f = this_cpu_ptr(sh->free);
	struct shadow_list *l = &f->cls[cls];

	WRITE_ONCE(f->in_use, f->in_use - 1);
	/* The batch goes first: @b, the cache-hot one, stays here. */
	if (l->n + 1 >= 2 * SHADOW_BATCH) {
		spin_lock(&sh->lock);
		while (l->n >= SHADOW_BATCH)
			list_push(&sh->depot[cls], list_pop(l));
		spin_unlock(&sh->lock);
	}
	list_push(l, b);
}

/* The buffer behind shadow handle @addr, and its IOVA; NULL if none. */
static struct shadow_buf *buf_of(struct siommu_shadow *sh, dma_addr_t addr,
				 struct shadow_chunk **chunk)
{
	unsigned long page = (addr - SIOMMU_SHADOW_BASE) >> VTD_PAGE_SHIFT;
	struct shadow_chunk *c;

	if (!sh || !siommu_shadow_window(addr))
		return NULL;
	/* Pairs with shadow_grow()'s release. */
	c = smp_load_acquire(&sh->page_chunk[page]);
	if (!c)
		return NULL;
	*chunk = c;
	return &c->bufs[(addr - c->iova) >> c->shift];
}

static dma_addr_t buf_iova(const struct shadow_chunk *c,
			   const struct shadow_buf *b)
{
	return c->iova + ((dma_addr_t)(b - c->bufs) << c->shift);
}

/*
 * Copy @size bytes between the caller's buffer at @orig and the shadow
 * at @off in chunk @c: to the shadow when @in.
 */
static void shadow_copy(const struct shadow_chunk *c, size_t off,
			phys_addr_t orig, size_t size, bool in)
{
	u8 *buf = phys_to_virt(orig);

	siommu_stat_add(SIOMMU_STAT_SHADOW_BYTES, size);
	while (size) {
		size_t in_page = off & (VTD_PAGE_SIZE - 1);
		size_t n = min_t(size_t, size, VTD_PAGE_SIZE - in_page);
		u8 *sh = (u8 *)page_address(c->pages[off >> VTD_PAGE_SHIFT]) +
			 in_page;

		if (in)
			memcpy(sh, buf, n);
		else
			memcpy(buf, sh, n);
		buf += n;
		off += n;
		size -= n;
	}
}

static bool copies_out(enum dma_data_direction dir)
{
	return dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL;
}

/* Bytes of @s in its first page, if that is an end page; else 0. */
static size_t split_head_bytes(const struct shadow_split *s)
{
	return s->head ? VTD_PAGE_SIZE - (s->orig & (VTD_PAGE_SIZE - 1)) : 0;
}

/* Bytes of @s in its last page, if that is an end page; else 0. */
static size_t split_tail_bytes(const struct shadow_split *s)
{
	return s->tail ? (s->orig + s->size) & (VTD_PAGE_SIZE - 1) : 0;
}

/*
 * Copy @len bytes at @orig, all in one page, between the caller and the
 * same offset of end page @pg: to @pg when @in.
 */
static void split_copy_page(struct page *pg, phys_addr_t orig, size_t len,
			    bool in)
{
	u8 *sh = (u8 *)page_address(pg) + (orig & (VTD_PAGE_SIZE - 1));

	siommu_stat_add(SIOMMU_STAT_SHADOW_BYTES, len);
	if (in)
		memcpy(sh, phys_to_virt(orig), len);
	else
		memcpy(phys_to_virt(orig), sh, len);
}

/*
 * Copy the part of [@from, @from + @len) (bytes from the caller's first)
 * that lies in @s's end pages: to them when @in.  The middle is the
 * caller's own memory.
 */
static void split_copy(const struct shadow_split *s, size_t from, size_t len,
		       bool in)
{
	size_t head = split_head_bytes(s);
	size_t tail_from = s->size - split_tail_bytes(s);
	size_t at;

	if (from < head)
		split_copy_page(s->head, s->orig + from, min(len, head - from),
				in);
	if (from + len > tail_from) {
		at = max(from, tail_from);
		split_copy_page(s->tail, s->orig + at, from + len - at, in);
	}
}

/* The split that has @pfn as its first or last IOVA page; NULL if none. */
static struct shadow_split *split_at(struct siommu_shadow *sh,
				     unsigned long pfn)
{
	if (!sh || xa_empty(&sh->splits))
		return NULL;
	return xa_load(&sh->splits, pfn);
}

/* Record @s under its first and last page.  Return: 0 or -errno. */
static int split_record(struct siommu_shadow *sh, struct shadow_split *s)
{
	unsigned long first = s->iova >> VTD_PAGE_SHIFT;
	unsigned long flags;
	int ret;

	xa_lock_irqsave(&sh->splits, flags);
	ret = __xa_insert(&sh->splits, first, s, GFP_ATOMIC);
	if (!ret) {
		ret = __xa_insert(&sh->splits, first + s->npages - 1, s,
				  GFP_ATOMIC);
		if (ret)
			__xa_erase(&sh->splits, first);
	}
	xa_unlock_irqrestore(&sh->splits, flags);
	return ret;
}

/*
 * Take @s out of the record; false when it is not there (an unmap of it
 * raced another: only one may have it).
 */
static bool split_unrecord(struct siommu_shadow *sh, struct shadow_split *s)
{
	unsigned long first = s->iova >> VTD_PAGE_SHIFT;
	unsigned long flags;
	bool mine;

	xa_lock_irqsave(&sh->splits, flags);
	mine = __xa_cmpxchg(&sh->splits, first, s, NULL, 0) == s;
	if (mine)
		__xa_erase(&sh->splits, first + s->npages - 1);
	xa_unlock_irqrestore(&sh->splits, flags);
	return mine;
}

/* Map @size bytes at @phys split (see the top): its device address. */
static dma_addr_t split_map(struct siommu_domain *dom,
			    struct siommu_shadow *sh, phys_addr_t phys,
			    size_t size, u64 prot, u64 dma_mask,
			    unsigned long attrs)
{
	size_t off = phys & (VTD_PAGE_SIZE - 1);
	size_t tail = (off + size) & (VTD_PAGE_SIZE - 1);
	struct siommu_run runs[3];
	struct shadow_split *s;
	unsigned long middle;
	unsigned int n = 0, slot;
	dma_addr_t iova;

	s = kzalloc(sizeof(*s), GFP_ATOMIC);
	if (!s)
		goto refused;
	s->orig = phys;
	s->size = size;
	s->npages = DIV_ROUND_UP(off + size, VTD_PAGE_SIZE);
	if (off)
		s->head = spare_get(sh);
	if (tail)
		s->tail = spare_get(sh);
	if ((off && !s->head) || (tail && !s->tail))
		goto free;
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		split_copy(s, 0, size, true);

	iova = siommu_domain_alloc_iova(dom, s->npages, dma_mask, &slot);
	if (iova == DMA_MAPPING_ERROR)
		goto free;
	s->iova = iova;
	middle = s->npages - !!s->head - !!s->tail;
	if (s->head)
		runs[n++] = (struct siommu_run){ .iova = iova,
			.phys = page_to_phys(s->head), .size = VTD_PAGE_SIZE };
	if (middle)
		runs[n++] = (struct siommu_run){
			.iova = iova + (s->head ? VTD_PAGE_SIZE : 0),
			.phys = phys - off + (s->head ? VTD_PAGE_SIZE : 0),
			.size = (u64)middle << VTD_PAGE_SHIFT };
	if (s->tail)
		runs[n++] = (struct siommu_run){
			.iova = iova + ((u64)(s->npages - 1) << VTD_PAGE_SHIFT),
			.phys = page_to_phys(s->tail), .size = VTD_PAGE_SIZE };
	if (siommu_domain_map_runs(dom, runs, n, prot, slot)) {
		siommu_domain_free_iova(dom, iova, s->npages, slot);
		goto free;
	}
	if (split_record(sh, s)) {
		/* Mapped, never handed out: unmapped as any range is. */
		siommu_domain_unmap_pages(dom, iova, s->npages);
		goto free;
	}
	siommu_stat_inc(SIOMMU_STAT_SHADOW_SPLITS);
	siommu_stat_inc(SIOMMU_STAT_SHADOW_MAPS);
	siommu_stat_inc(SIOMMU_STAT_MAPS);
	return iova + off;

free:
	spare_put(sh, s->head);
	spare_put(sh, s->tail);
	kfree(s);
refused:
	siommu_stat_inc(SIOMMU_STAT_SHADOW_REFUSED);
	siommu_stat_inc(SIOMMU_STAT_MAP_ERRORS);
	return DMA_MAPPING_ERROR;
}

/* Undo split_map(); false when @addr is no split's handle. */
static bool split_unmap(struct siommu_domain *dom, struct siommu_shadow *sh,
			dma_addr_t addr, size_t size,
			enum dma_data_direction dir, unsigned long attrs)
{
	struct shadow_split *s = split_at(sh, addr >> VTD_PAGE_SHIFT);

	if (!s || addr != s->iova + (s->orig & (VTD_PAGE_SIZE - 1)) ||
	    size != s->size || !split_unrecord(sh, s))
		return false;
	if (copies_out(dir) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		split_copy(s, 0, s->size, false);
	siommu_domain_unmap_pages(dom, s->iova, s->npages);
	spare_put(sh, s->head);
	spare_put(sh, s->tail);
	kfree(s);
	return true;
}

/*
 * siommu_shadow_sync() for a split, found by either end of the range;
 * nothing for a range in none (its pages are the caller's).
 */
static void split_sync(struct siommu_domain *dom, struct siommu_shadow *sh,
		       dma_addr_t addr, size_t size,
		       enum dma_data_direction dir, bool for_device)
{
	struct shadow_split *s;
	dma_addr_t first;

	s = split_at(sh, addr >> VTD_PAGE_SHIFT) ?:
	    split_at(sh, (addr + size - 1) >> VTD_PAGE_SHIFT);
	if (!s)
		return;
	first = s->iova + (s->orig & (VTD_PAGE_SIZE - 1));
	if (addr < first || addr - first + size > s->size) {
		dev_err_ratelimited(&dom->pdev->dev, "sync of %pad (%zu bytes) reaches past its mapping: ignored\n",
				    &addr, size);
		return;
	}
	if (for_device && dir != DMA_FROM_DEVICE)
		split_copy(s, addr - first, size, true);
	else if (!for_device && copies_out(dir))
		split_copy(s, addr - first, size, false);
}

/**
 * siommu_shadow_map() - serve a sub-page mapping from the pool
 * @dom: the domain, its pool made
 * @phys: the caller's buffer
 * @size: its bytes; with its offset in the device's minimum alignment
 *	  over 2^SIOMMU_SHADOW_MAX_SHIFT, it is split (see the top)
 * @dir: the direction
 * @prot: what @dir allows the device, for a split's pages in place
 * @dma_mask: the device's mask, for a split's range
 * @attrs: DMA_ATTR_SKIP_CPU_SYNC skips the copy in
 *
 * Return: the shadow's device address, or DMA_MAPPING_ERROR when the
 * pool cannot grow or memory or IOVA space is short.
 */
dma_addr_t siommu_shadow_map(struct siommu_domain *dom, phys_addr_t phys,
			     size_t size, enum dma_data_direction dir,
			     u64 prot, u64 dma_mask, unsigned long attrs)
{
	struct siommu_shadow *sh = pool_of(dom);
	unsigned int align = dma_get_min_align_mask(&dom->pdev->dev);
	unsigned int off = phys & align, shift, cls;
	struct shadow_chunk *c;
	struct shadow_buf *b;
	unsigned long flags;
	dma_addr_t iova;

	if (WARN_ON_ONCE(!sh))
		return DMA_MAPPING_ERROR;	/* subpage is set after the pool */
	shift = max_t(unsigned int, size_shift(off + size),
		      align ? order_base_2((u64)align + 1) : 0);
	if (shift > SIOMMU_SHADOW_MAX_SHIFT)
		return split_map(dom, sh, phys, size, prot, dma_mask, attrs);
	cls = shift - SIOMMU_SHADOW_MIN_SHIFT;
	for (;;) {
		local_irq_save(flags);
		b = buf_get(sh, cls);
		local_irq_restore(flags);
		if (b)
			break;
		if (!shadow_grow(dom, sh, shift)) {
			siommu_stat_inc(SIOMMU_STAT_SHADOW_REFUSED);
			siommu_stat_inc(SIOMMU_STAT_MAP_ERRORS);
			return DMA_MAPPING_ERROR;
		}
	}
	b->orig = phys;
	b->off = off;
	c = b->chunk;
	iova = buf_iova(c, b) + off;
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		shadow_copy(c, iova - c->iova, phys, size, true);
	siommu_stat_inc(SIOMMU_STAT_SHADOW_MAPS);
	siommu_stat_inc(SIOMMU_STAT_MAPS);
	return iova;
}

/**
 * siommu_shadow_unmap() - undo siommu_shadow_map()
 * @dom: the domain
 * @addr: the handle siommu_shadow_map() returned (siommu_shadow_handle())
 * @size: the size it was given
 * @dir: the direction it was given
 * @attrs: DMA_ATTR_SKIP_CPU_SYNC skips the copy out
 *
 * A buffer goes back to this CPU's list at once: it stays mapped, and
 * holds only what this device was given.  A split is unmapped as the
 * domain's policy unmaps any range (strict, while protection=subpage).
 */
void siommu_shadow_unmap(struct siommu_domain *dom, dma_addr_t addr,
			 size_t size, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct siommu_shadow *sh = pool_of(dom);
	struct shadow_chunk *c;
	struct shadow_buf *b = buf_of(sh, addr, &c);
	unsigned long flags;

	siommu_stat_inc(SIOMMU_STAT_UNMAPS);
	if (!b && split_unmap(dom, sh, addr, size, dir, attrs))
		return;
	if (!b || !b->orig || addr != buf_iova(c, b) + b->off ||
	    b->off + size > (1UL << c->shift)) {
		siommu_stat_inc(SIOMMU_STAT_BAD_UNMAPS);
		dev_err_ratelimited(&dom->pdev->dev, "unmap of %pad (%zu bytes): no shadow mapping of that size is there\n",
				    &addr, size);
		return;
	}
	if (copies_out(dir) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		shadow_copy(c, addr - c->iova, b->orig, size, false);
	b->orig = 0;
	local_irq_save(flags);
	buf_put(sh, c->shift - SIOMMU_SHADOW_MIN_SHIFT, b);
	local_irq_restore(flags);
}

/**
 * siommu_shadow_sync() - the DMA API's sync on part of a mapping
 * @dom: the domain, with a pool
 * @addr: inside a mapping of the device: copied where its pool serves it
 * @size: bytes from @addr
 * @dir: the mapping's direction
 * @for_device: to the device (copy in) rather than to the CPU (out)
 */
void siommu_shadow_sync(struct siommu_domain *dom, dma_addr_t addr,
			size_t size, enum dma_data_direction dir,
			bool for_device)
{
	struct siommu_shadow *sh = pool_of(dom);
	struct shadow_chunk *c;
	struct shadow_buf *b = buf_of(sh, addr, &c);
	size_t off;

	if (!b && !siommu_shadow_window(addr)) {
		split_sync(dom, sh, addr, size, dir, for_device);
		return;
	}
	if (!b || !b->orig)
		return;
	/* From the caller's first byte. */
	off = addr - buf_iova(c, b) - b->off;
	if (addr < buf_iova(c, b) + b->off ||
	    b->off + off + size > (1UL << c->shift)) {
		dev_err_ratelimited(&dom->pdev->dev, "sync of %pad (%zu bytes) reaches past its shadow buffer: ignored\n",
				    &addr, size);
		return;
	}
	if (for_device && dir != DMA_FROM_DEVICE)
		shadow_copy(c, (addr - c->iova), b->orig + off, size, true);
	else if (!for_device && copies_out(dir))
		shadow_copy(c, (addr - c->iova), b->orig + off, size, false);
}

/**
 * siommu_shadow_handle() - did @dom's pool serve handle @addr?
 * @dom: the domain
 * @addr: a handle a map returned, whatever the protection is now
 *
 * Return: true for a buffer of the window and for a split (by the page of
 * @addr, which is a split's first).
 */
bool siommu_shadow_handle(struct siommu_domain *dom, dma_addr_t addr)
{
	struct siommu_shadow *sh = pool_of(dom);

	return sh && (siommu_shadow_window(addr) ||
		      split_at(sh, addr >> VTD_PAGE_SHIFT));
}

/*
 * Shadow buffers mapped now.  Not splits: their ranges are the domain's
 * allocators', counted there.
 */
unsigned long siommu_shadow_in_use(struct siommu_domain *dom)
{
	struct siommu_shadow *sh = pool_of(dom);
	unsigned int cpu;
	long n = 0;

	if (!sh)
		return 0;
	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(sh->free, cpu)->in_use);
	return max(n, 0L);
}
