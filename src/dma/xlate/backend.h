/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The translation seam: how the DMA layer writes a domain's translations
 * and makes the hardware forget them, whatever holds them.  One backend
 * per file beside this one (vtd.c: our own VT-d page tables); the domain,
 * its mappers and the invalidation policies reach translations only
 * through these hooks, in the manner of io-pgtable's ops and the IOMMU
 * API's iotlb_gather.
 *
 * Addresses are bytes, pages VTD_PAGE_SIZE.  @prot is SIOMMU_PROT_READ
 * and/or SIOMMU_PROT_WRITE; @tag (0-7) is kept with each leaf and read
 * back, so an unmap knows which allocator slot made the mapping.
 */
#ifndef SCALABLE_IOMMU_DMA_XLATE_BACKEND_H
#define SCALABLE_IOMMU_DMA_XLATE_BACKEND_H

#include <linux/bits.h>
#include <linux/gfp.h>
#include <linux/types.h>

#include "base/map_run.h"

struct page;

#define SIOMMU_PROT_READ	BIT_ULL(0)
#define SIOMMU_PROT_WRITE	BIT_ULL(1)
#define SIOMMU_PROT_RW		(SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

struct siommu_xlate_ops;

/* Bytes [start, end] no IOVA may take (an interrupt window, say). */
struct siommu_xlate_resv {
	u64 start;
	u64 end;
};

/*
 * One domain's translations: the backend's cookie, which starts with this
 * header.  What an invalidation policy holds of a domain.  Every field is
 * written once, when the backend creates it.
 */
struct siommu_xlate {
	const struct siommu_xlate_ops *ops;
	/* The last IOVA the translations can hold. */
	u64 max_iova;
	/* A write grant lets the device read too (VT-d without CAP.ZLR). */
	bool write_reads;
	/*
	 * What ->inval_all() covers: translations with the same scope are
	 * all forgotten by one call on any of them (a batch issues one).
	 */
	const void *scope;
	/* Besides the ones every domain keeps out (dma/domain.c). */
	const struct siommu_xlate_resv *resv;
	unsigned int nr_resv;
	/*
	 * ->unmap() clears nothing unless the range's first page is mapped,
	 * and then says which leaf it cleared there (siommu_unmapped's tag
	 * and phys): the DMA layer need not look the leaf up first.
	 */
	bool unmap_tells;
};

/* What one leaf holds, as ->lookup() reads it. */
struct siommu_xlate_leaf {
	u64 phys;			/* page address */
	u64 prot;			/* 0: not mapped */
	unsigned int tag;
};

/*
 * What an unmap did, for the invalidation after it (as the IOMMU API's
 * iommu_iotlb_gather): whether table pages went too, so that the
 * paging-structure caches must be invalidated and not only the leaves,
 * and, for a backend whose tables are ours, those pages: the policy hands
 * them to ->free_tables() once that invalidation has completed (never,
 * when it failed: the unit may still walk them).  Start it zeroed.
 */
struct siommu_unmapped {
	bool tables_freed;
	struct page *tables;		/* chained: vtd_pgtable_free_tables() */
	/* With siommu_xlate.unmap_tells: the first page's leaf, cleared. */
	unsigned int tag;
	u64 phys;
};

struct siommu_xlate_ops {
	const char *name;
	/* Free everything; nothing walks the translations any more. */
	void (*destroy)(struct siommu_xlate *xl);
	/*
	 * For reports: where the translations live ("dmar0 domain=3"),
	 * emitted at @at of a sysfs page; the bytes written.
	 */
	int (*describe)(struct siommu_xlate *xl, char *buf, int at);
	/* Page-table pages of ours they hold now, and the most they have. */
	long (*table_pages)(struct siommu_xlate *xl);
	long (*table_pages_peak)(struct siommu_xlate *xl);
	/* The fewest the live mappings need (a walk: for reports only). */
	long (*table_pages_needed)(struct siommu_xlate *xl);
	/* Optional: 2 MiB leaves ever installed (NULL: none are used). */
	long (*superpage_maps)(struct siommu_xlate *xl);
	/*
	 * Optional (NULL: the backend never fills siommu_unmapped.tables).
	 * Free the table pages an unmap unlinked, its invalidation done.
	 * Any context.
	 */
	void (*free_tables)(struct siommu_xlate *xl, struct page *tables);

	/*
	 * Map each of @n runs, all pages unmapped before: ascending, not
	 * overlapping, the span from the first to the end of the last the
	 * caller's alone (one allocated range: a scatterlist's segments
	 * map in one call, each table walked once).  Any context, CPUs
	 * mapping disjoint ranges at once.  Returns 0; -ENOMEM (nothing
	 * left mapped); -EEXIST, -EINVAL (caller bugs).
	 */
	int (*map)(struct siommu_xlate *xl, const struct siommu_run *runs,
		   unsigned int n, u64 prot, unsigned int tag, gfp_t gfp);
	/*
	 * Clear [@iova, @iova + @size); fill @what in.  Returns the bytes
	 * that were mapped.  The hardware may still cache them: the caller
	 * invalidates before the range is reused.  See unmap_tells.
	 */
	u64 (*unmap)(struct siommu_xlate *xl, u64 iova, u64 size,
		     struct siommu_unmapped *what);
	/* The leaf of @iova's page; false (and @leaf zero) when none. */
	bool (*lookup)(struct siommu_xlate *xl, u64 iova,
		       struct siommu_xlate_leaf *leaf);
	/* Clear every leaf (tables stay); the number of pages cleared. */
	u64 (*clear_all)(struct siommu_xlate *xl);
	/*
	 * After a map: whatever the hardware needs to see the new leaves
	 * (a unit caching not-present entries, write buffers).
	 */
	void (*sync_map)(struct siommu_xlate *xl, u64 iova,
			 unsigned long npages);

	/*
	 * Optional (NULL: the identity mapper cannot run on this backend).
	 * Counted leaves, shared by every mapping of a page (the identity
	 * mapper, src/dma/iova/identity.c).  share: take a reference on the
	 * leaf of each of @npages pages from @iova, installing @phys..,
	 * @prot, @tag with a count of 1 where it is clear, adding one where
	 * it already holds exactly that.  Any context, any CPUs at once.
	 * Returns 0; -EBUSY when a leaf holds something else or its count
	 * is saturated, -ENOMEM for a missing table page: the references
	 * taken are dropped, and *@cleared says whether that cleared a leaf
	 * another mapping may have let the hardware cache.
	 */
	int (*share)(struct siommu_xlate *xl, u64 iova, u64 phys,
		     unsigned long npages, u64 prot, unsigned int tag,
		     bool *cleared);
	/*
	 * Drop one reference on each leaf that reads @phys.. and @prot
	 * (any tag), clearing those whose count reaches 0 (and filling
	 * @what in, as ->unmap does).  Returns 1 when one was cleared, 0
	 * when none was, -ENOENT when no leaf held such a reference
	 * (nothing changed).
	 */
	int (*unshare)(struct siommu_xlate *xl, u64 iova, u64 phys,
		       unsigned long npages, u64 prot,
		       struct siommu_unmapped *what);

	/*
	 * Make the hardware forget translations, waiting until it has:
	 * the range's (@what from the unmap that cleared it), the whole
	 * domain's, or those of everything in xl->scope.  Any context.
	 * Returns 0, or an error when the hardware did not confirm: then
	 * the range may still be cached and must not be reused.
	 */
	int (*inval_range)(struct siommu_xlate *xl, u64 iova,
			   unsigned long npages,
			   const struct siommu_unmapped *what);
	int (*inval_domain)(struct siommu_xlate *xl);
	int (*inval_all)(struct siommu_xlate *xl);
};

/* The policies' side of siommu_unmapped.tables: the invalidation is done. */
static inline void siommu_xlate_free_tables(struct siommu_xlate *xl,
					    struct page *tables)
{
	if (tables)
		xl->ops->free_tables(xl, tables);
}

#endif /* SCALABLE_IOMMU_DMA_XLATE_BACKEND_H */
