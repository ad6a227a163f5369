/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Taking DMA remapping over on a unit and handing it back (takeover.c).
 */
#ifndef SCALABLE_IOMMU_VTD_TAKEOVER_H
#define SCALABLE_IOMMU_VTD_TAKEOVER_H

struct siommu_unit;

/*
 * The devices already behind a unit: their context entries are set
 * before translation starts and dropped once it has stopped.  Which
 * entries is device policy, not hardware: the caller's (unmanaged.c),
 * called back with the cookie it gave siommu_unit_enable().
 */
struct siommu_unit_devices_ops {
	/* Entries for every device; on failure, leave none. */
	int (*populate)(void *cookie, struct siommu_unit *unit);
	/* Undo populate, once the unit walks the tables no more. */
	void (*depopulate)(void *cookie, struct siommu_unit *unit);
};

int siommu_unit_enable(struct siommu_unit *unit,
		       const struct siommu_unit_devices_ops *devices,
		       void *cookie);
void siommu_unit_disable(struct siommu_unit *unit);
int siommu_unit_describe(const struct siommu_unit *unit, char *buf, int at);

#endif /* SCALABLE_IOMMU_VTD_TAKEOVER_H */
