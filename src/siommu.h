/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalable_iommu: state shared between the module's files.
 */
#ifndef SCALABLE_IOMMU_H
#define SCALABLE_IOMMU_H

#include <linux/kobject.h>
#include <linux/types.h>

#include "dmar_table.h"

/* One DMAR remapping hardware unit (a DRHD). */
struct siommu_unit {
	unsigned int index;		/* dmarN, in table order */
	const struct dmar_drhd *drhd;
	void __iomem *regs;
	resource_size_t reg_size;
	bool region_claimed;		/* false: the kernel holds the region */

	u32 ver;
	u64 cap;
	u64 ecap;
	/* Registers as found at load, to prove unload leaves them so. */
	u32 gsts_at_load;
	u64 rtaddr_at_load;
};

/* The module: one instance, built at load, torn down at unload. */
struct siommu {
	struct dmar_info dmar;
	unsigned int nr_units;
	struct siommu_unit *units;
	struct kobject *kobj;
};

/* unit.c */
int siommu_unit_map(struct siommu_unit *unit);
void siommu_unit_unmap(struct siommu_unit *unit);
bool siommu_unit_registers_unchanged(struct siommu_unit *unit);
int siommu_unit_describe(const struct siommu_unit *unit, char *buf, int at);

/* sysfs.c */
int siommu_scopes_describe(const struct dmar_dev_scope *scopes,
			   unsigned int nr, char *buf, int at);
int siommu_sysfs_init(struct siommu *sio);
void siommu_sysfs_exit(struct siommu *sio);

#endif /* SCALABLE_IOMMU_H */
