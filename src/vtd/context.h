/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-d root and context tables (legacy mode): which page table, domain id
 * and translation type the unit uses for each source-id (bus, devfn).
 *
 * Changing them is the slow path (attach, detach), serialised by the
 * caller.  This layer only writes entries in the order the hardware needs
 * and flushes them when the unit's walks do not snoop; invalidating the
 * unit's context cache and IOTLB afterwards is the caller's job.
 */
#ifndef SCALABLE_IOMMU_VTD_CONTEXT_H
#define SCALABLE_IOMMU_VTD_CONTEXT_H

#include <linux/atomic.h>
#include <linux/types.h>

/* Translation types (context entry bits 3:2). */
#define VTD_CTX_TT_TRANSLATED	0	/* through the second-level table */
#define VTD_CTX_TT_PASSTHROUGH	2	/* untranslated: ECAP.PT */

struct vtd_context_entry {
	bool present;
	unsigned int type;		/* VTD_CTX_TT_* */
	u16 did;			/* domain id */
	unsigned int levels;		/* page-table depth: 3 or 4 */
	u64 pgtable;			/* physical; 0 for pass-through */
};

struct vtd_context_tables {
	u64 *root;			/* 256 root entries, 2 words each */
	bool coherent;			/* ECAP.C */
	atomic_long_t nr_tables;	/* root and context table pages */
};

int vtd_context_init(struct vtd_context_tables *ct, bool coherent);
void vtd_context_destroy(struct vtd_context_tables *ct);
u64 vtd_context_root_phys(const struct vtd_context_tables *ct);
int vtd_context_set(struct vtd_context_tables *ct, u8 bus, u8 devfn,
		    const struct vtd_context_entry *entry);
int vtd_context_clear(struct vtd_context_tables *ct, u8 bus, u8 devfn);
void vtd_context_get(const struct vtd_context_tables *ct, u8 bus, u8 devfn,
		     struct vtd_context_entry *entry);

#endif /* SCALABLE_IOMMU_VTD_CONTEXT_H */
