/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ACPI DMAR table, parsed into plain arrays.
 *
 * The parser works on a byte buffer and touches nothing but memory, so the
 * module feeds it the firmware's table and the userspace harness feeds it
 * crafted ones, including malformed tables that must be refused.
 */
#ifndef SCALABLE_IOMMU_DMAR_TABLE_H
#define SCALABLE_IOMMU_DMAR_TABLE_H

#include <linux/types.h>

/* Remapping structure types. */
#define DMAR_TYPE_DRHD		0
#define DMAR_TYPE_RMRR		1

/* DRHD flags */
#define DMAR_DRHD_INCLUDE_PCI_ALL	0x01

/* DMAR table flags */
#define DMAR_FLAG_INTR_REMAP		0x01
#define DMAR_FLAG_X2APIC_OPT_OUT	0x02

/* Device scope types. */
#define DMAR_SCOPE_PCI_ENDPOINT	1
#define DMAR_SCOPE_PCI_BRIDGE	2
#define DMAR_SCOPE_IOAPIC	3
#define DMAR_SCOPE_HPET		4
#define DMAR_SCOPE_ACPI_NAMESPACE 5

/* Firmware describes at most a handful of bridge hops; deeper is corrupt. */
#define DMAR_SCOPE_MAX_PATH	16

struct dmar_dev_scope {
	u8 type;
	u8 enumeration_id;
	u8 start_bus;
	u8 path_len;
	u8 path[DMAR_SCOPE_MAX_PATH];	/* devfn of each hop from start_bus */
};

struct dmar_drhd {
	u64 base;			/* register base, physical */
	u16 segment;
	u8 flags;
	u8 size;			/* register set is 2^size pages; 0: unstated */
	unsigned int nr_scopes;
	struct dmar_dev_scope *scopes;
};

struct dmar_rmrr {
	u64 base;			/* first byte */
	u64 end;			/* last byte, inclusive */
	u16 segment;
	unsigned int nr_scopes;
	struct dmar_dev_scope *scopes;
};

struct dmar_info {
	u8 host_addr_width;		/* bits of physical address */
	u8 flags;
	unsigned int nr_drhds;
	unsigned int nr_rmrrs;
	unsigned int nr_other;		/* structures we do not use (ATSR, ...) */
	struct dmar_drhd *drhds;
	struct dmar_rmrr *rmrrs;
	struct dmar_dev_scope *all_scopes;	/* backs every scopes pointer */
	size_t bad_offset;		/* where parsing stopped, on -EINVAL */
};

int dmar_parse(const u8 *table, size_t len, struct dmar_info *info);
void dmar_info_free(struct dmar_info *info);

#endif /* SCALABLE_IOMMU_DMAR_TABLE_H */
