// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d root and context tables (see src/vtd/context.h).
 *
 * A root entry points at the context table of one bus; a context entry
 * (128 bits) names a device's domain id, address width and page table.
 * An entry becomes visible to the hardware with its present bit, so the
 * high word and the rest of the low word are written first, and a present
 * entry is never rewritten in place: the caller clears it, invalidates
 * the context cache, and only then sets it again.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>

#include "vtd/context.h"
#include "vtd/regs.h"

#define ENTRY_PRESENT		BIT_ULL(0)
#define CTX_LO_TT_SHIFT		2
#define CTX_LO_TT_MASK		(3ULL << CTX_LO_TT_SHIFT)
#define CTX_HI_AW_MASK		7ULL
#define CTX_HI_DID_SHIFT	8
#define CTX_HI_DID_MASK		(0xffffULL << CTX_HI_DID_SHIFT)
#define ENTRIES			256
#define TABLE_BYTES		(ENTRIES * 2 * sizeof(u64))

/* AW field: 1 = 39-bit (3 levels), 2 = 48-bit (4 levels). */
static u64 aw_of_levels(unsigned int levels)
{
	return levels - 2;
}

static void ct_flush(const struct vtd_context_tables *ct, void *p, size_t n)
{
	if (!ct->coherent)
		clflush_cache_range(p, n);
}

static u64 *table_alloc(struct vtd_context_tables *ct)
{
	u64 *t = (u64 *)get_zeroed_page(GFP_KERNEL);

	if (t) {
		ct_flush(ct, t, TABLE_BYTES);
		atomic_long_inc(&ct->nr_tables);
	}
	return t;
}

/**
 * vtd_context_init() - an empty root table: every source-id blocked
 * @ct: tables to set up
 * @coherent: the unit's walks snoop CPU caches (ECAP.C)
 *
 * Return: 0 or -ENOMEM.
 */
int vtd_context_init(struct vtd_context_tables *ct, bool coherent)
{
	ct->coherent = coherent;
	atomic_long_set(&ct->nr_tables, 0);
	ct->root = table_alloc(ct);
	return ct->root ? 0 : -ENOMEM;
}

/**
 * vtd_context_destroy() - free the root and every context table
 * @ct: tables no unit points at any more
 */
void vtd_context_destroy(struct vtd_context_tables *ct)
{
	unsigned int bus;

	if (!ct->root)
		return;
	for (bus = 0; bus < ENTRIES; bus++) {
		u64 lo = ct->root[2 * bus];

		if (lo & ENTRY_PRESENT) {
			free_page((unsigned long)phys_to_virt(lo & VTD_ADDR_MASK));
			atomic_long_dec(&ct->nr_tables);
		}
	}
	free_page((unsigned long)ct->root);
	atomic_long_dec(&ct->nr_tables);
	ct->root = NULL;
}

/**
 * vtd_context_root_phys() - what RTADDR_REG is set to
 * @ct: the tables
 *
 * Return: the root table's physical address.
 */
u64 vtd_context_root_phys(const struct vtd_context_tables *ct)
{
	return virt_to_phys(ct->root);
}

static u64 *context_table(const struct vtd_context_tables *ct, u8 bus)
{
	u64 lo = READ_ONCE(ct->root[2 * bus]);

	return (lo & ENTRY_PRESENT) ? phys_to_virt(lo & VTD_ADDR_MASK) : NULL;
}

/**
 * vtd_context_set() - make a source-id's context entry present
 * @ct: the tables
 * @bus: PCI bus of the source-id
 * @devfn: device and function
 * @entry: what to install; @entry->present is ignored
 *
 * Return: 0; -EBUSY if the entry is present (clear and invalidate first);
 * -EINVAL for an unknown type, a depth other than 3 or 4, or a translated
 * entry without a page table; -ENOMEM when the bus's table cannot be had.
 */
int vtd_context_set(struct vtd_context_tables *ct, u8 bus, u8 devfn,
		    const struct vtd_context_entry *entry)
{
	u64 *table, *ce, lo, hi;

	if ((entry->type != VTD_CTX_TT_TRANSLATED &&
	     entry->type != VTD_CTX_TT_PASSTHROUGH) ||
	    entry->levels < 3 || entry->levels > 4 ||
	    (entry->pgtable & ~VTD_ADDR_MASK) ||
	    (entry->type == VTD_CTX_TT_TRANSLATED && !entry->pgtable))
		return -EINVAL;

	table = context_table(ct, bus);
	if (!table) {
		table = table_alloc(ct);
		if (!table)
			return -ENOMEM;
		/* The table is flushed and zeroed before the unit can see it. */
		smp_store_release(&ct->root[2 * bus],
				  virt_to_phys(table) | ENTRY_PRESENT);
		ct_flush(ct, &ct->root[2 * bus], 2 * sizeof(u64));
	}
	ce = &table[2 * devfn];
	if (READ_ONCE(ce[0]) & ENTRY_PRESENT)
		return -EBUSY;

	hi = aw_of_levels(entry->levels) |
	     ((u64)entry->did << CTX_HI_DID_SHIFT);
	lo = (u64)entry->type << CTX_LO_TT_SHIFT | ENTRY_PRESENT;
	if (entry->type == VTD_CTX_TT_TRANSLATED)
		lo |= entry->pgtable;
	WRITE_ONCE(ce[1], hi);
	/* The unit may read the entry as soon as the present bit lands. */
	smp_store_release(&ce[0], lo);
	ct_flush(ct, ce, 2 * sizeof(u64));
	return 0;
}

/**
 * vtd_context_clear() - make a source-id's context entry not present
 * @ct: the tables
 * @bus: PCI bus
 * @devfn: device and function
 *
 * The unit may have the old entry cached until the caller invalidates.
 *
 * Return: the domain id the entry had, or -ENOENT if it was not present.
 */
int vtd_context_clear(struct vtd_context_tables *ct, u8 bus, u8 devfn)
{
	u64 *table = context_table(ct, bus), *ce;
	int did;

	if (!table)
		return -ENOENT;
	ce = &table[2 * devfn];
	if (!(READ_ONCE(ce[0]) & ENTRY_PRESENT))
		return -ENOENT;
	did = (READ_ONCE(ce[1]) & CTX_HI_DID_MASK) >> CTX_HI_DID_SHIFT;
	WRITE_ONCE(ce[0], 0ULL);
	ct_flush(ct, ce, 2 * sizeof(u64));
	WRITE_ONCE(ce[1], 0ULL);
	ct_flush(ct, ce, 2 * sizeof(u64));
	return did;
}

/**
 * vtd_context_get() - decode a source-id's context entry
 * @ct: the tables
 * @bus: PCI bus
 * @devfn: device and function
 * @entry: receives the decoded entry (present false when there is none)
 */
void vtd_context_get(const struct vtd_context_tables *ct, u8 bus, u8 devfn,
		     struct vtd_context_entry *entry)
{
	u64 *table = context_table(ct, bus);
	u64 lo = table ? READ_ONCE(table[2 * devfn]) : 0;
	u64 hi = table ? READ_ONCE(table[2 * devfn + 1]) : 0;

	entry->present = lo & ENTRY_PRESENT;
	entry->type = (lo & CTX_LO_TT_MASK) >> CTX_LO_TT_SHIFT;
	entry->did = (hi & CTX_HI_DID_MASK) >> CTX_HI_DID_SHIFT;
	entry->levels = (hi & CTX_HI_AW_MASK) + 2;
	entry->pgtable = entry->type == VTD_CTX_TT_TRANSLATED ?
			 lo & VTD_ADDR_MASK : 0;
}
