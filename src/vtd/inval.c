// SPDX-License-Identifier: GPL-2.0
/*
 * Invalidation of a unit's context cache and IOTLB, through one of three
 * paths chosen per unit at enable time:
 *
 *  - our own invalidation queue, when the unit has one and nobody uses it;
 *  - the kernel's queue, when the kernel's interrupt-remapping code turned
 *    it on before us: the spec forbids register-based invalidation while
 *    the queue is enabled, and a second queue cannot exist, so we hand our
 *    descriptors to the kernel (kernel_queue.c);
 *  - the CCMD and IOTLB registers, on units without queued invalidation.
 *
 * Every call is synchronous: it returns once the unit reports the
 * invalidation complete, which is what strict unmapping needs, or fails:
 * after a bounded wait (INVAL_SPIN_NS), or when the unit refused the
 * descriptor, which on our queue is skipped so that the queue runs on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "vtd/inval.h"
#include "vtd/kernel_queue.h"
#include "vtd/unit.h"
#include "base/stats.h"
#include "vtd/regs.h"

/*
 * How long one invalidation may spin.  Every caller holds reg_lock with
 * interrupts off, and strict unmapping calls from any context, interrupt
 * handlers included, so the wait can neither sleep nor be long.  A unit
 * completes a context-cache or IOTLB invalidation in microseconds (QEMU's
 * inside the register write itself); one that has not after 10 ms is
 * broken, and the invalidation fails with -ETIMEDOUT rather than keep
 * interrupts off longer.  Its callers then keep what it covered allocated
 * (strict.c, batch.c).  The condition is read once more after the
 * deadline, so a vCPU descheduled mid-wait does not time out on a unit
 * that completed meanwhile.
 */
#define INVAL_SPIN_MS		10
#define INVAL_SPIN_NS		((u64)INVAL_SPIN_MS * NSEC_PER_MSEC)
#define QUEUE_ENTRIES		(PAGE_SIZE / sizeof(struct vtd_desc))
/* Refused descriptors one submission skips before it gives up. */
#define QUEUE_MAX_SKIPS		4

/*
 * Units without queued invalidation are rare and QEMU's unit always has
 * it, so the register path can be chosen on purpose where the queue is
 * free: that is how the tests reach it.
 */
static bool register_invalidation;
module_param(register_invalidation, bool, 0444);
MODULE_PARM_DESC(register_invalidation,
		 "Invalidate through the CCMD/IOTLB registers, not a queue, on units whose queue nobody holds (for testing; default off)");

/* Wait until @busy clears in the register at @off, or ktime_get_ns() @end. */
static int poll_reg64(struct siommu_unit *unit, unsigned int off, u64 busy,
		      u64 end)
{
	for (;;) {
		bool late = ktime_get_ns() > end;

		if (!(readq(unit->regs + off) & busy))
			return 0;
		if (late)
			return -ETIMEDOUT;
		cpu_relax();
	}
}

/*
 * The register path: decode the descriptor into CCMD or IOTLB writes.  A
 * command that timed out earlier may still be running, and a register
 * takes no new command while busy: wait for it first, in the same budget.
 */
static int submit_registers(struct siommu_unit *unit, struct vtd_desc d)
{
	u64 end = ktime_get_ns() + INVAL_SPIN_NS;
	unsigned int iotlb = VTD_ECAP_IRO(unit->ecap);
	unsigned int gran = VTD_DESC_GRAN(d.lo);
	u64 cmd;

	lockdep_assert_held(&unit->reg_lock);
	switch (VTD_DESC_TYPE(d.lo)) {
	case VTD_DESC_CONTEXT:
		cmd = VTD_CCMD_ICC | (u64)gran << VTD_CCMD_CIRG_SHIFT |
		      (u64)VTD_DESC_FM(d.lo) << VTD_CCMD_FM_SHIFT |
		      (u64)VTD_DESC_SID(d.lo) << VTD_CCMD_SID_SHIFT |
		      VTD_DESC_DID(d.lo);
		if (poll_reg64(unit, VTD_REG_CCMD, VTD_CCMD_ICC, end))
			return -ETIMEDOUT;
		writeq(cmd, unit->regs + VTD_REG_CCMD);
		return poll_reg64(unit, VTD_REG_CCMD, VTD_CCMD_ICC, end);
	case VTD_DESC_IOTLB:
		cmd = VTD_IOTLB_IVT | (u64)gran << VTD_IOTLB_IIRG_SHIFT |
		      (u64)VTD_DESC_DID(d.lo) << VTD_IOTLB_DID_SHIFT;
		if (d.lo & VTD_DESC_IOTLB_DR)
			cmd |= VTD_IOTLB_DR;
		if (d.lo & VTD_DESC_IOTLB_DW)
			cmd |= VTD_IOTLB_DW;
		if (poll_reg64(unit, iotlb + 8, VTD_IOTLB_IVT, end))
			return -ETIMEDOUT;
		if (gran == VTD_GRAN_PAGE)
			writeq(d.hi, unit->regs + iotlb);
		writeq(cmd, unit->regs + iotlb + 8);
		return poll_reg64(unit, iotlb + 8, VTD_IOTLB_IVT, end);
	}
	return -EINVAL;
}

/* The slot the unit fetches next (or stopped at). */
static unsigned int queue_head(struct siommu_unit *unit)
{
	return (readq(unit->regs + VTD_REG_IQH) >> VTD_IQ_TAIL_SHIFT) %
	       QUEUE_ENTRIES;
}

static void queue_write_tail(struct siommu_unit *unit)
{
	/* writeq orders the descriptor stores before the tail update. */
	writeq((u64)unit->queue_tail << VTD_IQ_TAIL_SHIFT,
	       unit->regs + VTD_REG_IQT);
}

/*
 * The unit refused the descriptor at @head (FSTS.IQE): IQH stays on it and
 * nothing behind it runs until IQE is cleared.  Overwrite it with a wait
 * descriptor writing a stale sequence number: every unit takes one, it
 * invalidates nothing, and no waiter waits for that value, so whoever
 * queued behind it still waits for their own.  Then clear IQE (write 1)
 * and write IQT again: the spec has the unit resume at IQH once IQE is
 * clear, but QEMU resumes only on a tail write.  One report per error.
 */
static void queue_skip(struct siommu_unit *unit, unsigned int head, u32 fsts)
{
	struct vtd_desc bad = unit->queue[head];

	lockdep_assert_held(&unit->reg_lock);
	unit->queue[head] = vtd_desc_wait(virt_to_phys(unit->wait_status),
					  unit->wait_seq - 1);
	siommu_stat_inc(SIOMMU_STAT_QUEUE_ERRORS);
	pr_err_ratelimited("dmar%u: invalidation queue error: the unit refused descriptor %#018llx %#018llx (slot %u, fault status %#x); skipped it\n",
			   unit->index, bad.lo, bad.hi, head, fsts);
	writel(VTD_FSTS_IQE, unit->regs + VTD_REG_FSTS);
	queue_write_tail(unit);
}

/*
 * Wait for our wait descriptor (in slot @mine + 1) to write @seq, skipping
 * descriptors the unit refuses on the way.  Our own descriptor refused
 * (or our wait): -EIO for us, though the queue runs on.  Someone else's
 * (left by a submission that timed out): skipped, and ours still counts.
 */
static int queue_wait(struct siommu_unit *unit, unsigned int mine, u32 seq,
		      u64 end)
{
	unsigned int skips = 0, head;
	int ret = 0;
	u32 fsts;

	for (;;) {
		bool late = ktime_get_ns() > end;

		if (READ_ONCE(*unit->wait_status) == seq)
			return ret;
		fsts = readl(unit->regs + VTD_REG_FSTS);
		/*
		 * ITE and ICE come from device-TLB invalidations, which we
		 * never queue; after ITE the unit drops pending waits, ours
		 * perhaps: clear, report, fail rather than wait for nothing.
		 */
		if (fsts & (VTD_FSTS_ITE | VTD_FSTS_ICE)) {
			writel(fsts & (VTD_FSTS_ITE | VTD_FSTS_ICE),
			       unit->regs + VTD_REG_FSTS);
			siommu_stat_inc(SIOMMU_STAT_QUEUE_ERRORS);
			pr_err_ratelimited("dmar%u: invalidation %s error (fault status %#x); invalidation failed\n",
					   unit->index, fsts & VTD_FSTS_ITE ?
					   "time-out" : "completion", fsts);
			return -EIO;
		}
		if (fsts & VTD_FSTS_IQE) {
			if (++skips > QUEUE_MAX_SKIPS) {
				pr_err_ratelimited("dmar%u: invalidation queue still stopped after %u skipped descriptors\n",
						   unit->index, QUEUE_MAX_SKIPS);
				return -EIO;
			}
			head = queue_head(unit);
			if (head == mine || head == (mine + 1) % QUEUE_ENTRIES)
				ret = -EIO;
			queue_skip(unit, head, fsts);
			continue;
		}
		if (late)
			return -ETIMEDOUT;
		cpu_relax();
	}
}

/*
 * Our queue: the descriptor, then a wait descriptor that writes a new
 * sequence number once the first has completed.  The lock is held until
 * then, so after a completed submission the unit has consumed everything
 * queued.  Only a submission that did not complete leaves entries behind;
 * until one completes again, check that the ring has room.
 */
static int queue_put(struct siommu_unit *unit, struct vtd_desc d,
		     unsigned int *mine, u32 *seq)
{
	unsigned int t = unit->queue_tail;

	lockdep_assert_held(&unit->reg_lock);
	if (unit->queue_unfinished &&
	    (t + QUEUE_ENTRIES - queue_head(unit)) % QUEUE_ENTRIES + 2 >=
	    QUEUE_ENTRIES) {
		/* Two more, one slot left free: tail == head means empty. */
		pr_err_ratelimited("dmar%u: invalidation queue full: the unit stopped fetching\n",
				   unit->index);
		return -EBUSY;
	}
	*mine = t;
	*seq = ++unit->wait_seq;
	unit->queue[t] = d;
	t = (t + 1) % QUEUE_ENTRIES;
	unit->queue[t] = vtd_desc_wait(virt_to_phys(unit->wait_status), *seq);
	t = (t + 1) % QUEUE_ENTRIES;
	unit->queue_tail = t;
	queue_write_tail(unit);
	return 0;
}

static int submit_own_queue(struct siommu_unit *unit, struct vtd_desc d)
{
	u64 end = ktime_get_ns() + INVAL_SPIN_NS;
	unsigned int mine;
	u32 seq;
	int ret;

	ret = queue_put(unit, d, &mine, &seq);
	if (ret)
		return ret;
	ret = queue_wait(unit, mine, seq, end);
	unit->queue_unfinished = READ_ONCE(*unit->wait_status) != seq;
	return ret;
}

/**
 * siommu_inval_submit() - run one invalidation descriptor to completion
 * @unit: a unit set up by siommu_inval_init()
 * @desc: a context-cache or IOTLB descriptor
 *
 * Callable from any context, interrupts included.  On our queue and the
 * registers it spins at most INVAL_SPIN_NS with interrupts off; on the
 * kernel's queue, qi_submit_sync() waits as long as the kernel's does.
 *
 * Return: 0; -ETIMEDOUT when the unit does not complete it in time; -EIO
 * when the unit refused it (the queue recovered); -EBUSY when the queue
 * is full of entries the unit stopped fetching.
 */
int siommu_inval_submit(struct siommu_unit *unit, struct vtd_desc desc)
{
	unsigned long flags;
	int ret;

	if (unit->inval_path == SIOMMU_INVAL_KERNEL_QUEUE)
		return siommu_kernel_queue_submit(unit->kernel_iommu, desc);

	raw_spin_lock_irqsave(&unit->reg_lock, flags);
	if (unit->inval_path == SIOMMU_INVAL_OWN_QUEUE)
		ret = submit_own_queue(unit, desc);
	else
		ret = submit_registers(unit, desc);
	raw_spin_unlock_irqrestore(&unit->reg_lock, flags);
	if (ret == -ETIMEDOUT)
		pr_err_ratelimited("dmar%u: invalidation timed out after %u ms (%s)\n",
				   unit->index, INVAL_SPIN_MS,
				   siommu_inval_path_name(unit));
	return ret;
}

int siommu_inval_context_global(struct siommu_unit *unit)
{
	return siommu_inval_submit(unit,
				   vtd_desc_context(VTD_GRAN_GLOBAL, 0, 0));
}

int siommu_inval_context_device(struct siommu_unit *unit, u16 did, u16 sid)
{
	return siommu_inval_submit(unit,
				   vtd_desc_context(VTD_GRAN_DEVICE, did, sid));
}

int siommu_inval_iotlb_global(struct siommu_unit *unit)
{
	return siommu_inval_submit(unit, vtd_desc_iotlb(VTD_GRAN_GLOBAL, 0, 0,
							0, unit->drain));
}

int siommu_inval_iotlb_domain(struct siommu_unit *unit, u16 did)
{
	return siommu_inval_submit(unit, vtd_desc_iotlb(VTD_GRAN_DOMAIN, did,
							0, 0, unit->drain));
}

/**
 * siommu_inval_iotlb_range() - invalidate the IOTLB for an IOVA range
 * @unit: the unit
 * @did: domain id
 * @iova: first byte (page aligned)
 * @npages: pages in the range
 *
 * Page-selective with the smallest address mask whose aligned block
 * covers the range, where CAP.PSI and CAP.MAMV allow; the whole domain
 * otherwise.
 */
int siommu_inval_iotlb_range(struct siommu_unit *unit, u16 did, u64 iova,
			     unsigned long npages)
{
	u64 first = iova >> VTD_PAGE_SHIFT, last = first + npages - 1;
	unsigned int am = 0;

	if (!VTD_CAP_PSI(unit->cap))
		return siommu_inval_iotlb_domain(unit, did);
	while ((first >> am) != (last >> am))
		am++;
	if (am > VTD_CAP_MAMV(unit->cap))
		return siommu_inval_iotlb_domain(unit, did);
	return siommu_inval_submit(unit,
			vtd_desc_iotlb(VTD_GRAN_PAGE, did,
				       (first >> am) << (am + VTD_PAGE_SHIFT),
				       am, unit->drain));
}

const char *siommu_inval_path_name(const struct siommu_unit *unit)
{
	switch (unit->inval_path) {
	case SIOMMU_INVAL_OWN_QUEUE:
		return "own-queue";
	case SIOMMU_INVAL_KERNEL_QUEUE:
		return "kernel-queue";
	default:
		return "registers";
	}
}

/*
 * Debug knob /sys/kernel/scalable_iommu/inject_queue_error: write a unit's
 * name ("dmar0") to submit a malformed descriptor on its own queue, as a
 * caller would submit any other, so that tests can watch the queue fail
 * and recover; the write returns what the submission returned.  With
 * " queued" after the name, the descriptor is queued and left there, as a
 * submission that timed out leaves its entries: the next invalidation
 * finds the unit stopped on someone else's descriptor.  The descriptor is
 * an IOTLB global invalidation with a reserved bit set: the unit must
 * refuse it (FSTS.IQE), and should one run it anyway, a global
 * invalidation costs time and breaks nothing.  The kernel's queue is not
 * ours to break, and the register path has no queue: both refused.
 */
#define VTD_DESC_MALFORMED_BIT	BIT_ULL(63)	/* reserved in IOTLB descriptors */

static int inject_queued(struct siommu_unit *unit, struct vtd_desc bad)
{
	unsigned long flags;
	unsigned int mine;
	u32 seq;
	int ret;

	raw_spin_lock_irqsave(&unit->reg_lock, flags);
	ret = queue_put(unit, bad, &mine, &seq);
	if (!ret)
		unit->queue_unfinished = true;
	raw_spin_unlock_irqrestore(&unit->reg_lock, flags);
	return ret;
}

/**
 * siommu_inval_inject_error() - debug: make our queue report an error
 * @unit: a unit that invalidates through a queue of ours
 * @queued: leave the malformed descriptor queued for the next submission,
 *	instead of submitting it now
 *
 * Return: 0, -EOPNOTSUPP for another invalidation path, or what the
 * submission returned.
 */
int siommu_inval_inject_error(struct siommu_unit *unit, bool queued)
{
	struct vtd_desc bad = vtd_desc_iotlb(VTD_GRAN_GLOBAL, 0, 0, 0, 0);

	if (!unit->translating || unit->inval_path != SIOMMU_INVAL_OWN_QUEUE) {
		pr_err("inject_queue_error: dmar%u invalidates through %s, not a queue of ours; refused\n",
		       unit->index, unit->translating ?
		       siommu_inval_path_name(unit) : "nothing");
		return -EOPNOTSUPP;
	}
	bad.lo |= VTD_DESC_MALFORMED_BIT;
	pr_info("debug: dmar%u: %s malformed descriptor %#018llx %#018llx\n",
		unit->index, queued ? "queueing" : "submitting", bad.lo, bad.hi);
	return queued ? inject_queued(unit, bad) : siommu_inval_submit(unit, bad);
}

/**
 * siommu_inval_init() - choose and set up the unit's invalidation path
 * @unit: a mapped unit, translation off
 *
 * Return: 0; -ENOMEM; -EOPNOTSUPP when the kernel holds the queue and its
 * submission function cannot be found; -ETIMEDOUT if the unit does not
 * enable our queue.
 */
int siommu_inval_init(struct siommu_unit *unit)
{
	int ret;

	unit->drain = (VTD_CAP_DRD(unit->cap) ? VTD_DESC_IOTLB_DR : 0) |
		      (VTD_CAP_DWD(unit->cap) ? VTD_DESC_IOTLB_DW : 0);

	if (!VTD_ECAP_QI(unit->ecap)) {
		unit->inval_path = SIOMMU_INVAL_REGISTERS;
		return 0;
	}
	if (readl(unit->regs + VTD_REG_GSTS) & VTD_GSTS_QIES) {
		if (register_invalidation)
			pr_notice("dmar%u: register_invalidation ignored: the kernel's queue is on, and the spec forbids register invalidation then\n",
				  unit->index);
		unit->kernel_iommu = siommu_kernel_iommu_of(unit->drhd->base);
		if (!unit->kernel_iommu) {
			pr_err("dmar%u: the kernel's interrupt remapping holds the invalidation queue, and its submission path cannot be found in this kernel\n",
			       unit->index);
			return -EOPNOTSUPP;
		}
		unit->inval_path = SIOMMU_INVAL_KERNEL_QUEUE;
		return 0;
	}
	if (register_invalidation) {
		unit->inval_path = SIOMMU_INVAL_REGISTERS;
		return 0;
	}

	unit->queue = (struct vtd_desc *)get_zeroed_page(GFP_KERNEL);
	unit->wait_status = kzalloc(L1_CACHE_BYTES, GFP_KERNEL);
	if (!unit->queue || !unit->wait_status) {
		ret = -ENOMEM;
		goto fail;
	}
	unit->queue_tail = 0;
	unit->wait_seq = 0;
	unit->queue_unfinished = false;
	writeq(0, unit->regs + VTD_REG_IQT);
	/* QS = 0: one 4 KiB page of 256 legacy descriptors. */
	writeq(virt_to_phys(unit->queue), unit->regs + VTD_REG_IQA);
	ret = siommu_unit_gcmd(unit, VTD_GSTS_QIES, true);
	if (ret) {
		pr_err("dmar%u: the unit did not enable our invalidation queue\n",
		       unit->index);
		goto fail;
	}
	unit->inval_path = SIOMMU_INVAL_OWN_QUEUE;
	return 0;
fail:
	free_page((unsigned long)unit->queue);
	kfree(unit->wait_status);
	unit->queue = NULL;
	unit->wait_status = NULL;
	return ret;
}

/**
 * siommu_inval_exit() - turn our queue off and restore its registers
 * @unit: a unit whose translation is off
 */
void siommu_inval_exit(struct siommu_unit *unit)
{
	if (unit->inval_path != SIOMMU_INVAL_OWN_QUEUE)
		return;
	if (siommu_unit_gcmd(unit, VTD_GSTS_QIES, false)) {
		/* The unit may still read the queue: leak it, do not free. */
		pr_err("dmar%u: the unit did not disable our invalidation queue; leaving its pages allocated\n",
		       unit->index);
		return;
	}
	free_page((unsigned long)unit->queue);
	writeq(0, unit->regs + VTD_REG_IQT);
	writeq(unit->iqa_at_load, unit->regs + VTD_REG_IQA);
	kfree(unit->wait_status);
	unit->queue = NULL;
	unit->wait_status = NULL;
	unit->inval_path = SIOMMU_INVAL_REGISTERS;
}
