// SPDX-License-Identifier: GPL-2.0
/*
 * A VT-d remapping unit's register window: mapping it, reading what the
 * unit can do and what is already switched on, and its global commands.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>

#include "vtd/regs.h"
#include "vtd/unit.h"

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

	raw_spin_lock_init(&unit->reg_lock);
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
	unit->iqa_at_load = lo_hi_readq(unit->regs + VTD_REG_IQA);
	unit->fectl_at_load = readl(unit->regs + VTD_REG_FECTL);
	return 0;
}

/*
 * The enables a unit keeps in GSTS.  RTPS and WBFS are left out: they
 * report the last one-shot command, and setting a root pointer (ours,
 * then the original back) leaves RTPS set for good.
 */
#define GSTS_STATE	((u32)(VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES | \
			       VTD_GSTS_IRTPS | VTD_GSTS_CFIS))
/* Enables written back with every GCMD write, so a command keeps them. */
#define GCMD_KEEP	((u32)(VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES | \
			       VTD_GSTS_CFIS))
/*
 * Enables and the root pointer switch at load and unload, in process
 * context with interrupts on: a unit gets a second.  The write-buffer
 * flush runs under reg_lock with interrupts off, on the map path: it gets
 * what an invalidation gets (inval.c), then fails.
 */
#define GCMD_TIMEOUT_NS	(1000 * NSEC_PER_MSEC)
#define WBF_TIMEOUT_NS	(10 * NSEC_PER_MSEC)

/**
 * siommu_unit_registers_unchanged() - compare state with what load found
 * @unit: a mapped unit
 *
 * Return: true when the unit's enables, root table pointer and fault
 * interrupt mask are as they were at load.  A difference is reported, not
 * corrected: it means someone else (or a bug of ours) changed the unit.
 * The queue address is restored but not compared: units may report the
 * base latched when the queue was last enabled (QEMU does).
 */
bool siommu_unit_registers_unchanged(struct siommu_unit *unit)
{
	u32 gsts = readl(unit->regs + VTD_REG_GSTS) & GSTS_STATE;
	u64 rtaddr = lo_hi_readq(unit->regs + VTD_REG_RTADDR);
	u32 fectl = readl(unit->regs + VTD_REG_FECTL) & (u32)VTD_FECTL_IM;

	if (gsts == (unit->gsts_at_load & GSTS_STATE) &&
	    rtaddr == unit->rtaddr_at_load &&
	    fectl == (unit->fectl_at_load & (u32)VTD_FECTL_IM))
		return true;
	pr_err("dmar%u: registers differ from load: gsts %#x -> %#x, rtaddr %#llx -> %#llx, fectl %#x -> %#x\n",
	       unit->index, unit->gsts_at_load & GSTS_STATE, gsts,
	       unit->rtaddr_at_load, rtaddr,
	       unit->fectl_at_load & (u32)VTD_FECTL_IM, fectl);
	return false;
}

void siommu_unit_unmap(struct siommu_unit *unit)
{
	unit_release(unit);
}

/* Read once more after the deadline: a descheduled vCPU is not a slow unit. */
static int wait_gsts(struct siommu_unit *unit, u32 bit, bool set, u64 end)
{
	for (;;) {
		bool late = ktime_get_ns() > end;

		if (!!(readl(unit->regs + VTD_REG_GSTS) & bit) == set)
			return 0;
		if (late)
			return -ETIMEDOUT;
		cpu_relax();
	}
}

/**
 * siommu_unit_gcmd() - switch one of the unit's persistent enables
 * @unit: a mapped unit
 * @bit: VTD_GSTS_TES or VTD_GSTS_QIES (GCMD and GSTS share positions)
 * @on: the state wanted
 *
 * GCMD is write-only and every write sets all enables at once, so the
 * command carries the enables GSTS reports now: the kernel's interrupt
 * remapping stays on while we switch translation.
 *
 * Return: 0, or -ETIMEDOUT when the unit does not report the new state.
 */
int siommu_unit_gcmd(struct siommu_unit *unit, u32 bit, bool on)
{
	u32 cmd = readl(unit->regs + VTD_REG_GSTS) & GCMD_KEEP;

	writel(on ? cmd | bit : cmd & ~bit, unit->regs + VTD_REG_GCMD);
	return wait_gsts(unit, bit, on, ktime_get_ns() + GCMD_TIMEOUT_NS);
}

/**
 * siommu_unit_set_root() - latch the root table pointer
 * @unit: a mapped unit
 * @rtaddr: what RTADDR gets
 *
 * A one-shot command, complete when RTPS is set again.
 *
 * Return: 0, or -ETIMEDOUT.
 */
int siommu_unit_set_root(struct siommu_unit *unit, u64 rtaddr)
{
	u32 cmd = readl(unit->regs + VTD_REG_GSTS) & GCMD_KEEP;

	lo_hi_writeq(rtaddr, unit->regs + VTD_REG_RTADDR);
	writel(cmd | VTD_GSTS_RTPS, unit->regs + VTD_REG_GCMD);
	return wait_gsts(unit, VTD_GSTS_RTPS, true,
			 ktime_get_ns() + GCMD_TIMEOUT_NS);
}

/**
 * siommu_unit_flush_write_buffer() - drain the unit's write buffers
 * @unit: a mapped unit
 *
 * Units with CAP.RWBF may buffer table updates internally; they must be
 * drained before the unit is trusted to see new entries.  A no-op on
 * every other unit.  Callable from any context.
 *
 * Return: 0, or -ETIMEDOUT.
 */
int siommu_unit_flush_write_buffer(struct siommu_unit *unit)
{
	unsigned long flags;
	u64 end;
	u32 cmd;
	int ret;

	if (!VTD_CAP_RWBF(unit->cap))
		return 0;
	end = ktime_get_ns() + WBF_TIMEOUT_NS;
	raw_spin_lock_irqsave(&unit->reg_lock, flags);
	/* One that timed out before may still run: no second meanwhile. */
	ret = wait_gsts(unit, VTD_GSTS_WBFS, false, end);
	if (!ret) {
		cmd = readl(unit->regs + VTD_REG_GSTS) & GCMD_KEEP;
		writel(cmd | VTD_GSTS_WBFS, unit->regs + VTD_REG_GCMD);
		ret = wait_gsts(unit, VTD_GSTS_WBFS, false, end);
	}
	raw_spin_unlock_irqrestore(&unit->reg_lock, flags);
	return ret;
}
