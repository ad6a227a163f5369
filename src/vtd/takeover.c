// SPDX-License-Identifier: GPL-2.0
/*
 * Taking DMA remapping over on a unit and handing it back, and saying
 * who drives what on it: the steps of unit.c, inval.c, context.c and
 * fault.c in their order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/sysfs.h>

#include "vtd/fault.h"
#include "vtd/inval.h"
#include "vtd/regs.h"
#include "vtd/takeover.h"
#include "vtd/topology.h"
#include "vtd/unit.h"

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
	/* The large leaves our tables use: those CAP.SLLPS allows. */
	n += sysfs_emit_at(buf, at + n, " superpages=%s",
			   (VTD_CAP_SLLPS(unit->cap) & 3) == 3 ? "2M,1G" :
			   VTD_CAP_SLLPS(unit->cap) & 1 ? "2M" : "none");
	n += sysfs_emit_at(buf, at + n,
			   " translation=%s invalidation=%s unmanaged=%s intremap=%s qi=%s include_all=%u scope=",
			   (gsts & VTD_GSTS_TES) && unit->translating ? "ours" :
				unit_owner(gsts, VTD_GSTS_TES),
			   unit->translating ? siommu_inval_path_name(unit) :
				"none",
			   !unit->translating ? "untranslated" :
				unit->si_domain ? "identity" :
				"passthrough",
			   unit_owner(gsts, VTD_GSTS_IRES),
			   unit->inval_path == SIOMMU_INVAL_OWN_QUEUE ? "ours" :
				unit_owner(gsts, VTD_GSTS_QIES),
			   !!(unit->drhd->flags & DMAR_DRHD_INCLUDE_PCI_ALL));
	n += siommu_scopes_describe(unit->drhd->scopes, unit->drhd->nr_scopes,
				    buf, at + n);
	n += sysfs_emit_at(buf, at + n, "\n");
	return n;
}

/* The deepest table the unit walks that we implement: 4 or 3 levels. */
static unsigned int unit_levels(const struct siommu_unit *unit)
{
	unsigned int sagaw = VTD_CAP_SAGAW(unit->cap);

	if (sagaw & BIT(2))
		return VTD_SAGAW_LEVELS(2);
	if (sagaw & BIT(1))
		return VTD_SAGAW_LEVELS(1);
	return 0;
}

/**
 * siommu_unit_enable() - take over DMA remapping on a unit
 * @unit: a mapped unit, translation off
 * @devices: fills the context tables for the devices already there
 * @cookie: passed to @devices' callbacks
 *
 * Every device behind the unit gets its context entry (@devices decides
 * which: pass-through or identity domain) before translation starts, so
 * devices we do not manage keep working.
 *
 * Return: 0, or a negative errno with the unit left as found.
 */
int siommu_unit_enable(struct siommu_unit *unit,
		       const struct siommu_unit_devices_ops *devices,
		       void *cookie)
{
	int ret;

	unit->levels = unit_levels(unit);
	if (!unit->levels) {
		pr_err("dmar%u: supports neither 3- nor 4-level page tables (SAGAW %#x)\n",
		       unit->index, VTD_CAP_SAGAW(unit->cap));
		return -EOPNOTSUPP;
	}
	unit->max_iova = min_t(u64, BIT_ULL(VTD_CAP_MGAW(unit->cap)) - 1,
			       (1ULL << (VTD_PAGE_SHIFT +
					 VTD_LEVEL_BITS * unit->levels)) - 1);
	ida_init(&unit->dids);

	ret = siommu_inval_init(unit);
	if (ret)
		return ret;
	ret = vtd_context_init(&unit->ctx, VTD_ECAP_C(unit->ecap));
	if (ret)
		goto exit_inval;
	unit->devices = devices;
	unit->devices_cookie = cookie;
	ret = devices->populate(cookie, unit);
	if (ret)
		goto free_ctx;

	siommu_fault_mask(unit);
	ret = siommu_unit_set_root(unit, vtd_context_root_phys(&unit->ctx));
	if (!ret)
		ret = siommu_inval_context_global(unit);
	if (!ret)
		ret = siommu_inval_iotlb_global(unit);
	if (!ret)
		ret = siommu_unit_flush_write_buffer(unit);
	if (!ret)
		ret = siommu_unit_gcmd(unit, VTD_GSTS_TES, true);
	if (ret) {
		pr_err("dmar%u: the unit did not accept our tables (%d)\n",
		       unit->index, ret);
		siommu_unit_gcmd(unit, VTD_GSTS_TES, false);
		siommu_unit_set_root(unit, unit->rtaddr_at_load);
		siommu_fault_restore(unit);
		goto depopulate;
	}
	unit->translating = true;
	pr_info("dmar%u: translating, %u-level tables, invalidation through %s\n",
		unit->index, unit->levels, siommu_inval_path_name(unit));
	return 0;

depopulate:
	devices->depopulate(cookie, unit);
free_ctx:
	vtd_context_destroy(&unit->ctx);
exit_inval:
	siommu_inval_exit(unit);
	ida_destroy(&unit->dids);
	return ret;
}

/**
 * siommu_unit_disable() - hand DMA remapping on a unit back
 * @unit: an enabled unit with no device attached
 */
void siommu_unit_disable(struct siommu_unit *unit)
{
	if (!unit->translating)
		return;
	if (siommu_unit_gcmd(unit, VTD_GSTS_TES, false)) {
		/* The unit may still walk our tables: never free them. */
		pr_err("dmar%u: the unit did not turn translation off; leaving our tables in place\n",
		       unit->index);
		return;
	}
	unit->translating = false;
	siommu_unit_set_root(unit, unit->rtaddr_at_load);
	/* Nothing cached from our tables may outlive them. */
	siommu_inval_context_global(unit);
	siommu_inval_iotlb_global(unit);
	siommu_inval_exit(unit);
	siommu_fault_restore(unit);
	unit->devices->depopulate(unit->devices_cookie, unit);
	vtd_context_destroy(&unit->ctx);
	ida_destroy(&unit->dids);
}
