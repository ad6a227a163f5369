/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which unit translates a device, and the requester ids its DMA carries
 * (topology.c).
 */
#ifndef SCALABLE_IOMMU_VTD_TOPOLOGY_H
#define SCALABLE_IOMMU_VTD_TOPOLOGY_H

#include <linux/types.h>

struct dmar_dev_scope;
struct pci_dev;
struct siommu_unit;

/* The requester ids a device's DMA may carry. */
#define SIOMMU_MAX_ALIASES	8
struct siommu_aliases {
	unsigned int nr;
	u16 sid[SIOMMU_MAX_ALIASES];
};

bool siommu_scope_matches(const struct dmar_dev_scope *scope, u16 segment,
			  struct pci_dev *pdev);
struct siommu_unit *siommu_unit_of(struct siommu_unit *units,
				   unsigned int nr_units, struct pci_dev *pdev);
void siommu_device_aliases(struct pci_dev *pdev, struct siommu_aliases *a);
struct pci_dev *siommu_next_sid_user(struct siommu_unit *units,
				     unsigned int nr_units,
				     struct siommu_unit *unit, u16 sid,
				     struct pci_dev *except,
				     struct pci_dev *from);
int siommu_alias_check(struct siommu_unit *units, unsigned int nr_units,
		       struct siommu_unit *unit, struct pci_dev *pdev);
int siommu_rids_describe(struct pci_dev *pdev, char *buf, int at);
int siommu_scopes_describe(const struct dmar_dev_scope *scopes,
			   unsigned int nr, char *buf, int at);

#endif /* SCALABLE_IOMMU_VTD_TOPOLOGY_H */
