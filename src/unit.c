// SPDX-License-Identifier: GPL-2.0
/*
 * A VT-d remapping unit's register window: mapping it, reading what the
 * unit can do and what is already switched on, and describing it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/ioport.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sysfs.h>

#include "siommu.h"
#include "vtd_regs.h"

/* The window must cover the IOTLB and fault recording registers too. */
static resource_size_t unit_reg_size(u64 cap, u64 ecap)
{
	resource_size_t end;

	end = max_t(resource_size_t,
		    VTD_ECAP_IRO(ecap) + VTD_IOTLB_REGS_SIZE,
		    VTD_CAP_FRO(cap) + VTD_CAP_NFR(cap) * VTD_FRCD_SIZE);
	return max_t(resource_size_t, PAGE_ALIGN(end), VTD_REG_MIN_SIZE);
}

static void unit_release(struct siommu_unit *unit)
{
	if (unit->regs)
		iounmap(unit->regs);
	if (unit->region_claimed)
		release_mem_region(unit->drhd->base, unit->reg_size);
	unit->regs = NULL;
	unit->region_claimed = false;
}

/*
 * Claim the register region when it is free, so /proc/iomem names us; when
 * the kernel's interrupt-remapping code already holds it, share it.
 */
static int unit_ioremap(struct siommu_unit *unit, resource_size_t size)
{
	unit->reg_size = size;
	unit->region_claimed = !!request_mem_region(unit->drhd->base, size,
						    KBUILD_MODNAME);
	unit->regs = ioremap(unit->drhd->base, size);
	if (!unit->regs) {
		pr_err("dmar%u: cannot map registers at %#llx\n",
		       unit->index, unit->drhd->base);
		unit_release(unit);
		return -ENOMEM;
	}
	return 0;
}

/**
 * siommu_unit_map() - map a unit's registers and read its identity
 * @unit: unit with @drhd and @index set
 *
 * Return: 0; -ENOMEM if the window cannot be mapped; -ENODEV if the unit
 * does not answer (all-ones registers).
 */
int siommu_unit_map(struct siommu_unit *unit)
{
	resource_size_t size;
	int ret;

	ret = unit_ioremap(unit, VTD_REG_MIN_SIZE);
	if (ret)
		return ret;

	unit->ver = readl(unit->regs + VTD_REG_VER);
	unit->cap = lo_hi_readq(unit->regs + VTD_REG_CAP);
	unit->ecap = lo_hi_readq(unit->regs + VTD_REG_ECAP);
	if (unit->cap == ~0ULL || unit->ecap == ~0ULL) {
		pr_err("dmar%u: no unit answers at %#llx (registers read all-ones)\n",
		       unit->index, unit->drhd->base);
		unit_release(unit);
		return -ENODEV;
	}

	size = unit_reg_size(unit->cap, unit->ecap);
	if (size > unit->reg_size) {
		unit_release(unit);
		ret = unit_ioremap(unit, size);
		if (ret)
			return ret;
	}

	unit->gsts_at_load = readl(unit->regs + VTD_REG_GSTS);
	unit->rtaddr_at_load = lo_hi_readq(unit->regs + VTD_REG_RTADDR);
	return 0;
}

/**
 * siommu_unit_registers_unchanged() - compare state with what load found
 * @unit: a mapped unit
 *
 * Return: true when the unit's global status and root table pointer are
 * as they were at load.  A difference is reported, not corrected: it means
 * someone else (or a bug of ours) changed the unit.
 */
bool siommu_unit_registers_unchanged(struct siommu_unit *unit)
{
	u32 gsts = readl(unit->regs + VTD_REG_GSTS);
	u64 rtaddr = lo_hi_readq(unit->regs + VTD_REG_RTADDR);

	if (gsts == unit->gsts_at_load && rtaddr == unit->rtaddr_at_load)
		return true;
	pr_err("dmar%u: registers changed while loaded: gsts %#x -> %#x, rtaddr %#llx -> %#llx\n",
	       unit->index, unit->gsts_at_load, gsts,
	       unit->rtaddr_at_load, rtaddr);
	return false;
}

void siommu_unit_unmap(struct siommu_unit *unit)
{
	unit_release(unit);
}

/* Who drives a feature: nobody, or the kernel (it was on before we came). */
static const char *unit_owner(u32 gsts, u32 bit)
{
	return (gsts & bit) ? "kernel" : "off";
}

/**
 * siommu_unit_describe() - one line of /sys/kernel/scalable_iommu/units
 * @unit: a mapped unit
 * @buf: sysfs page
 * @at: offset in @buf to write at
 *
 * Return: bytes written.
 */
int siommu_unit_describe(const struct siommu_unit *unit, char *buf, int at)
{
	u32 gsts = readl(unit->regs + VTD_REG_GSTS);
	unsigned int sagaw = VTD_CAP_SAGAW(unit->cap), bit;
	int n;

	n = sysfs_emit_at(buf, at,
			  "dmar%u base=%#llx segment=%u ver=%u.%u cap=%#018llx ecap=%#018llx mgaw=%u agaw=",
			  unit->index, unit->drhd->base, unit->drhd->segment,
			  VTD_VER_MAJOR(unit->ver), VTD_VER_MINOR(unit->ver),
			  unit->cap, unit->ecap, VTD_CAP_MGAW(unit->cap));
	if (!sagaw)
		n += sysfs_emit_at(buf, at + n, "none");
	for (bit = 0; bit < 5; bit++) {
		if (!(sagaw & (1u << bit)))
			continue;
		sagaw &= ~(1u << bit);
		n += sysfs_emit_at(buf, at + n, "%u%s", VTD_SAGAW_WIDTH(bit),
				   sagaw ? "," : "");
	}
	n += sysfs_emit_at(buf, at + n,
			   " translation=%s intremap=%s qi=%s include_all=%u scope=",
			   unit_owner(gsts, VTD_GSTS_TES),
			   unit_owner(gsts, VTD_GSTS_IRES),
			   unit_owner(gsts, VTD_GSTS_QIES),
			   !!(unit->drhd->flags & DMAR_DRHD_INCLUDE_PCI_ALL));
	n += siommu_scopes_describe(unit->drhd->scopes, unit->drhd->nr_scopes,
				    buf, at + n);
	n += sysfs_emit_at(buf, at + n, "\n");
	return n;
}
