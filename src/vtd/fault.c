// SPDX-License-Identifier: GPL-2.0
/*
 * DMA faults: the unit's fault recording registers, polled.
 *
 * Polling rather than the fault interrupt: with intel_iommu=off the kernel
 * gives a module no way to allocate the unit's fault-event MSI, and with
 * interrupt remapping on the kernel's own handler already owns that
 * interrupt and would report and clear our faults before we saw them.
 * So while we translate, the fault event is masked (FECTL.IM; restored on
 * unload) and a worker reads the records every few milliseconds.  A record
 * is read, reported and cleared by one worker, so each fault is reported
 * once; faults arriving while every record is full set the overflow bit,
 * which we count as lost.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/pci.h>

#include "vtd/fault.h"
#include "vtd/unit.h"
#include "base/trace.h"
#include "base/stats.h"
#include "vtd/regs.h"

#define FAULT_POLL_MS	4

static const char *fault_reason(unsigned int reason)
{
	static const char * const reasons[] = {
		[0x1] = "root entry not present",
		[0x2] = "context entry not present",
		[0x3] = "invalid context entry",
		[0x4] = "address beyond the domain's width",
		[0x5] = "write not permitted by the page table",
		[0x6] = "read not permitted by the page table",
		[0x7] = "page-table entry unreadable",
		[0x8] = "root table unreadable",
		[0x9] = "context table unreadable",
		[0xa] = "reserved bits set in root entry",
		[0xb] = "reserved bits set in context entry",
		[0xc] = "reserved bits set in page-table entry",
		[0xd] = "translation type blocked by context entry",
	};

	if (reason < ARRAY_SIZE(reasons) && reasons[reason])
		return reasons[reason];
	if (reason >= 0x20 && reason <= 0x26)
		return "interrupt remapping fault";
	return "unknown reason";
}

static void fault_report(struct siommu_unit *unit, u64 lo, u64 hi)
{
	u16 sid = VTD_FRCD_SID(hi);
	unsigned int reason = VTD_FRCD_REASON(hi);
	bool read = VTD_FRCD_READ(hi);
	struct pci_dev *pdev;
	const char *driver = "unknown device";

	pdev = pci_get_domain_bus_and_slot(unit->drhd->segment, sid >> 8,
					   sid & 0xff);
	if (pdev)
		driver = dev_driver_string(&pdev->dev);
	siommu_stat_inc(SIOMMU_STAT_FAULTS);
	trace_siommu_fault(unit->index, sid, lo, reason, read ? 0 : 1);
	pr_err_ratelimited("dmar%u: DMA %s fault from %04x:%02x:%02x.%u (%s) at IOVA %#llx: %s (reason %#x)\n",
			   unit->index, read ? "read" : "write",
			   unit->drhd->segment, sid >> 8, PCI_SLOT(sid & 0xff),
			   PCI_FUNC(sid & 0xff), driver && *driver ? driver :
			   "no driver", lo & VTD_ADDR_MASK, fault_reason(reason),
			   reason);
	pci_dev_put(pdev);
}

static void fault_poll_unit(struct siommu_unit *unit)
{
	unsigned int nfr = VTD_CAP_NFR(unit->cap);
	unsigned int fro = VTD_CAP_FRO(unit->cap);
	u32 fsts = readl(unit->regs + VTD_REG_FSTS);
	unsigned int i, idx;

	if (!(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO)))
		return;
	/* Records fill circularly from FRI; walk until an empty one. */
	for (i = 0, idx = VTD_FSTS_FRI(fsts) % nfr; i < nfr;
	     i++, idx = (idx + 1) % nfr) {
		void __iomem *rec = unit->regs + fro + idx * VTD_FRCD_SIZE;
		u64 hi = readq(rec + 8);
		u64 lo;

		if (!(hi & VTD_FRCD_F))
			break;
		lo = readq(rec);
		/* F is the top bit of the record's last dword: write 1. */
		writel((u32)(VTD_FRCD_F >> 32), rec + 12);
		fault_report(unit, lo, hi);
	}
	if (fsts & VTD_FSTS_PFO) {
		unit->faults_lost++;
		siommu_stat_inc(SIOMMU_STAT_FAULTS_LOST);
		pr_err_ratelimited("dmar%u: fault records overflowed; faults were lost\n",
				   unit->index);
	}
	writel(VTD_FSTS_PFO, unit->regs + VTD_REG_FSTS);
}

static void fault_work(struct work_struct *work)
{
	struct siommu_fault_poller *p =
		container_of(to_delayed_work(work), struct siommu_fault_poller,
			     work);
	unsigned int i;

	for (i = 0; i < p->nr_units; i++)
		if (p->units[i].translating)
			fault_poll_unit(&p->units[i]);
	schedule_delayed_work(&p->work, msecs_to_jiffies(FAULT_POLL_MS));
}

/**
 * siommu_fault_mask() - mask a unit's fault event before we translate
 * @unit: a mapped unit
 *
 * Faults the unit recorded before we came are the kernel's business and
 * stay where they are; we clear only what we report.
 */
void siommu_fault_mask(struct siommu_unit *unit)
{
	writel(VTD_FECTL_IM, unit->regs + VTD_REG_FECTL);
}

/**
 * siommu_fault_restore() - give the fault event back as found
 * @unit: a unit whose translation is off
 */
void siommu_fault_restore(struct siommu_unit *unit)
{
	fault_poll_unit(unit);
	writel(unit->fectl_at_load & VTD_FECTL_IM, unit->regs + VTD_REG_FECTL);
}

/**
 * siommu_fault_start() - poll the fault records of translating units
 * @p: the poller
 * @units: the units, read on every poll
 * @nr_units: entries in @units
 */
void siommu_fault_start(struct siommu_fault_poller *p,
			struct siommu_unit *units, unsigned int nr_units)
{
	p->units = units;
	p->nr_units = nr_units;
	INIT_DELAYED_WORK(&p->work, fault_work);
	p->polling = true;
	schedule_delayed_work(&p->work, msecs_to_jiffies(FAULT_POLL_MS));
}

void siommu_fault_stop(struct siommu_fault_poller *p)
{
	if (!p->polling)
		return;
	cancel_delayed_work_sync(&p->work);
	p->polling = false;
}
