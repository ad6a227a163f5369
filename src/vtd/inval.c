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
 *
 * Strict unmapping submits one invalidation per unmap from every CPU at
 * once, so neither queue path holds a lock while the unit works:
 *
 *  - our queue: a submitter appends its descriptor under reg_lock and
 *    leaves.  Descriptors appended while the unit still works on the last
 *    group form the next group; whoever first finds the unit idle closes
 *    it with ONE wait descriptor, carrying the group's sequence number,
 *    and writes the tail.  Every waiter watches the status word the
 *    unit's wait descriptors write, without a lock, until it reaches its
 *    group's number.  One group in flight at a time keeps the tail
 *    writes in order although they happen outside the lock.
 *  - the kernel's queue: each submitter calls qi_submit_sync(), which
 *    drops its queue lock between looks at its own status word.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>

#include "vtd/inval.h"
#include "vtd/kernel_queue.h"
#include "vtd/unit.h"
#include "base/stats.h"
#include "vtd/regs.h"

/*
 * How long one invalidation may spin.  Strict unmapping calls from any
 * context, interrupt handlers and interrupts-off sections included, so
 * the wait can neither sleep nor be long.  A unit
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
/*
 * Spins on the status word between two looks at the clock, and between
 * two looks at the unit's fault status (a refused descriptor stops the
 * unit until someone skips it).  Both are reads that, under TCG, exit to
 * the emulator and take its global lock -- the clock is the HPET there
 * -- which the unit's emulation needs too: read on every spin by every
 * waiter, they made strict unmaps on two vCPUs half as fast as on one.
 * Nor is the clock read before the first QUEUE_CLOCK_SPINS spins: an
 * invalidation QEMU completes inside the tail write never reads it.
 */
#define QUEUE_CLOCK_SPINS	256
#define QUEUE_CHECK_SPINS	1024

/* A wait's 10 ms, counted from the first look at the clock. */
struct queue_deadline {
	u64 end;			/* 0: the clock not read yet */
	unsigned int spins;
};

/* One more spin: has the wait run out?  Reads the clock now and then. */
static bool queue_late(struct queue_deadline *d)
{
	u64 now;

	if (++d->spins % QUEUE_CLOCK_SPINS)
		return false;
	now = ktime_get_ns();
	if (!d->end)
		d->end = now + INVAL_SPIN_NS;
	return now > d->end;
}

/* Skipped descriptors remembered for their waiters (a power of two). */
#define QUEUE_SKIP_LOG		8

/*
 * Our queue's bookkeeping, under reg_lock: the group each slot went in
 * (the sequence number of the wait descriptor that closes it), where each
 * group ends, and the last descriptors the unit refused.  A waiter that
 * saw skips unchanged since it appended knows none of its own was refused
 * without reading the log (the common case); one that saw more than the
 * log holds cannot tell, and reports failure, which is safe.
 */
struct siommu_queue_book {
	u32 group[QUEUE_ENTRIES];
	/* The slot after group g's wait descriptor, at g % QUEUE_ENTRIES. */
	u16 end[QUEUE_ENTRIES];
	u32 skips;			/* read lock-free too */
	struct {
		u32 group;
		u16 slot;
	} skipped[QUEUE_SKIP_LOG];
};

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

/*
 * stats/inval_lock_ns samples one lock hold (or kernel queue call) in
 * LOCK_SAMPLE per CPU and counts it LOCK_SAMPLE times: reading the clock
 * twice on every submission cost a strict unmap more than the lock
 * itself under TCG, where a clock read is an exit to the emulator.
 */
#define LOCK_SAMPLE		32
static DEFINE_PER_CPU(unsigned int, lock_samples);

/* The clock now, for one call in LOCK_SAMPLE on this CPU; else 0. */
static u64 lock_clock(void)
{
	return this_cpu_inc_return(lock_samples) % LOCK_SAMPLE ? 0 :
	       local_clock();
}

static void lock_held(u64 since)
{
	if (since)
		siommu_stat_add(SIOMMU_STAT_INVAL_LOCK_NS,
				(local_clock() - since) * LOCK_SAMPLE);
}

/* reg_lock, timed for stats/inval_lock_ns. */
static u64 unit_lock(struct siommu_unit *unit, unsigned long *flags)
	__acquires(&unit->reg_lock)
{
	raw_spin_lock_irqsave(&unit->reg_lock, *flags);
	return lock_clock();
}

static void unit_unlock(struct siommu_unit *unit, unsigned long flags,
			u64 since)
	__releases(&unit->reg_lock)
{
	lock_held(since);
	raw_spin_unlock_irqrestore(&unit->reg_lock, flags);
}

static bool seq_reached(u32 now, u32 seq)
{
	return (s32)(now - seq) >= 0;
}

/* The slot the unit fetches next (or stopped at). */
static unsigned int queue_head(struct siommu_unit *unit)
{
	return (readq(unit->regs + VTD_REG_IQH) >> VTD_IQ_TAIL_SHIFT) %
	       QUEUE_ENTRIES;
}

/* writeq orders the descriptor stores before the tail update. */
static void queue_write_tail(struct siommu_unit *unit, unsigned int tail)
{
	writeq((u64)tail << VTD_IQ_TAIL_SHIFT, unit->regs + VTD_REG_IQT);
}

/*
 * Drop reg_lock and, when @closed, write the tail of the group just closed
 * (@tail): outside the lock, so that other CPUs append meanwhile (QEMU's
 * unit works inside the write), but with interrupts still off, so that
 * nothing interrupting this CPU waits for a group whose tail it has yet to
 * write.
 */
static void unit_unlock_tail(struct siommu_unit *unit, unsigned long flags,
			     u64 since, bool closed, unsigned int tail)
	__releases(&unit->reg_lock)
{
	lock_held(since);
	raw_spin_unlock(&unit->reg_lock);
	if (closed)
		queue_write_tail(unit, tail);
	local_irq_restore(flags);
}

/* Has the unit completed every group it was given? */
static bool queue_idle(struct siommu_unit *unit)
{
	return READ_ONCE(*unit->wait_status) == READ_ONCE(unit->wait_seq);
}

/*
 * Slots in use: from the end of the last group the unit completed (it
 * may be further on) to the tail, groups not yet closed included.
 */
static unsigned int queue_used(struct siommu_unit *unit)
{
	u32 done = READ_ONCE(*unit->wait_status);
	unsigned int from = unit->book->end[done % QUEUE_ENTRIES];

	return (unit->queue_tail + QUEUE_ENTRIES - from) % QUEUE_ENTRIES;
}

/*
 * Add @n descriptors to the open group; false when the ring has no room
 * for them and a wait, one slot left free (tail == head means empty).
 * A group has two slots at least, so fewer than QUEUE_ENTRIES groups are
 * ever in the ring and book->end[] never wraps onto a live one.
 */
static bool queue_append(struct siommu_unit *unit, const struct vtd_desc *d,
			 unsigned int n, unsigned int *first, u32 *seq)
{
	unsigned int t = unit->queue_tail, i;

	lockdep_assert_held(&unit->reg_lock);
	if (queue_used(unit) + n + 2 >= QUEUE_ENTRIES)
		return false;
	*first = t;
	*seq = unit->wait_seq + 1;
	for (i = 0; i < n; i++) {
		unit->book->group[t] = *seq;
		unit->queue[t] = d[i];
		t = (t + 1) % QUEUE_ENTRIES;
	}
	unit->queue_tail = t;
	siommu_stat_add(SIOMMU_STAT_INVAL_DESCS, n);
	return true;
}

/*
 * Close the open group with a wait descriptor and publish it: the tail
 * the caller writes once it has dropped reg_lock (unit_unlock_tail()).
 * Only when the unit is idle, so that tail writes, outside the lock,
 * still reach it in order.
 */
static unsigned int queue_close(struct siommu_unit *unit)
{
	unsigned int t = unit->queue_tail;
	u32 seq = unit->wait_seq + 1;

	lockdep_assert_held(&unit->reg_lock);
	unit->book->group[t] = seq;
	unit->queue[t] = vtd_desc_wait(virt_to_phys(unit->wait_status), seq);
	t = (t + 1) % QUEUE_ENTRIES;
	unit->book->end[seq % QUEUE_ENTRIES] = t;
	unit->queue_tail = t;
	unit->queue_published = t;
	WRITE_ONCE(unit->wait_seq, seq);
	siommu_stat_inc(SIOMMU_STAT_INVAL_WAITS);
	return t;
}

/* Is there an open group the unit is ready for? */
static bool queue_can_close(struct siommu_unit *unit)
{
	return unit->queue_tail != unit->queue_published && queue_idle(unit);
}

/*
 * The unit refused the descriptor at @head (FSTS.IQE): IQH stays on it and
 * nothing behind it runs until IQE is cleared.  Log it for its waiter
 * and overwrite it with a wait descriptor that writes the number
 * the status word holds when the unit gets there (everything before is
 * done: the group before its own), or its own group's, if it was its
 * group's wait: every unit takes one, and it invalidates nothing.  Then
 * clear IQE (write 1) and write IQT again: the spec has the unit resume
 * at IQH once IQE is clear, but QEMU resumes only on a tail write.  One
 * report per error.
 */
static void queue_skip(struct siommu_unit *unit, unsigned int head, u32 fsts)
{
	struct siommu_queue_book *b = unit->book;
	struct vtd_desc bad = unit->queue[head];
	u64 status = virt_to_phys(unit->wait_status);
	u32 group = b->group[head];
	bool wait = VTD_DESC_TYPE(bad.lo) == VTD_DESC_WAIT && bad.hi == status;

	lockdep_assert_held(&unit->reg_lock);
	b->skipped[b->skips % QUEUE_SKIP_LOG].group = group;
	b->skipped[b->skips % QUEUE_SKIP_LOG].slot = head;
	WRITE_ONCE(b->skips, b->skips + 1);
	unit->queue[head] = vtd_desc_wait(status, wait ? group : group - 1);
	siommu_stat_inc(SIOMMU_STAT_QUEUE_ERRORS);
	pr_err_ratelimited("dmar%u: invalidation queue error: the unit refused descriptor %#018llx %#018llx (slot %u, fault status %#x); skipped it\n",
			   unit->index, bad.lo, bad.hi, head, fsts);
	writel(VTD_FSTS_IQE, unit->regs + VTD_REG_FSTS);
	queue_write_tail(unit, unit->queue_published);
}

/*
 * Look at the unit's fault status: skip a descriptor it refused.  ITE
 * and ICE come from device-TLB invalidations, which we never queue;
 * after ITE the unit drops pending waits, ours perhaps: clear, report,
 * fail rather than wait for nothing.
 */
static int queue_check(struct siommu_unit *unit)
{
	u32 fsts = readl(unit->regs + VTD_REG_FSTS);

	lockdep_assert_held(&unit->reg_lock);
	if (fsts & (VTD_FSTS_ITE | VTD_FSTS_ICE)) {
		writel(fsts & (VTD_FSTS_ITE | VTD_FSTS_ICE),
		       unit->regs + VTD_REG_FSTS);
		siommu_stat_inc(SIOMMU_STAT_QUEUE_ERRORS);
		pr_err_ratelimited("dmar%u: invalidation %s error (fault status %#x); invalidation failed\n",
				   unit->index, fsts & VTD_FSTS_ITE ?
				   "time-out" : "completion", fsts);
		return -EIO;
	}
	if (fsts & VTD_FSTS_IQE)
		queue_skip(unit, queue_head(unit), fsts);
	return 0;
}

/*
 * Help the unit on: close the open group if the unit is idle, or, every
 * QUEUE_CHECK_SPINS calls (@look), skip a descriptor it refused.
 */
static int queue_help(struct siommu_unit *unit, bool look)
{
	unsigned int tail = 0;
	unsigned long flags;
	bool closed;
	int ret = 0;
	u64 t0;

	if (!look && !queue_can_close(unit))
		return 0;
	t0 = unit_lock(unit, &flags);
	closed = queue_can_close(unit);
	if (closed)
		tail = queue_close(unit);
	else if (look)
		ret = queue_check(unit);
	unit_unlock_tail(unit, flags, t0, closed, tail);
	return ret;
}

/*
 * Was one of the @n slots from @first, in group @seq, refused since the
 * log held @skips0 entries?  Unknown (true, to be safe) once it has
 * overflowed since.
 */
static bool queue_refused(struct siommu_unit *unit, u32 seq,
			  unsigned int first, unsigned int n, u32 skips0)
{
	struct siommu_queue_book *b = unit->book;
	unsigned long flags;
	bool ret = false;
	u32 k;
	u64 t0;

	t0 = unit_lock(unit, &flags);
	if (b->skips - skips0 > QUEUE_SKIP_LOG)
		ret = true;
	for (k = skips0; !ret && k != b->skips; k++)
		ret = b->skipped[k % QUEUE_SKIP_LOG].group == seq &&
		      (b->skipped[k % QUEUE_SKIP_LOG].slot + QUEUE_ENTRIES -
		       first) % QUEUE_ENTRIES < n;
	unit_unlock(unit, flags, t0);
	return ret;
}

/*
 * Wait, without reg_lock, until the unit completes group @seq, where our
 * @n descriptors from slot @first went (the skip log held @skips0 then).
 * -EIO when it refused one of them, -ETIMEDOUT once @d runs out.  The
 * status word is read once more after the deadline, so a vCPU descheduled
 * mid-wait does not time out on a unit that completed.
 */
static int queue_wait(struct siommu_unit *unit, unsigned int first,
		      unsigned int n, u32 seq, u32 skips0,
		      struct queue_deadline *d)
{
	int ret;

	for (;;) {
		bool late;

		if (seq_reached(READ_ONCE(*unit->wait_status), seq))
			break;
		late = queue_late(d);
		ret = queue_help(unit, late || !(d->spins % QUEUE_CHECK_SPINS));
		if (ret)
			return ret;
		if (late) {
			if (seq_reached(READ_ONCE(*unit->wait_status), seq))
				break;
			return -ETIMEDOUT;
		}
		cpu_relax();
	}
	/* A skip is logged before the wait that completes us runs. */
	smp_rmb();
	if (READ_ONCE(unit->book->skips) != skips0 &&
	    queue_refused(unit, seq, first, n, skips0))
		return -EIO;
	return 0;
}

static int submit_own_queue(struct siommu_unit *unit,
			    const struct vtd_desc *d, unsigned int n)
{
	struct queue_deadline dl = { };
	unsigned int first, tail = 0;
	unsigned long flags;
	bool room, closed;
	u32 seq, skips0;
	u64 t0;
	int ret;

	for (;;) {
		t0 = unit_lock(unit, &flags);
		skips0 = unit->book->skips;
		room = queue_append(unit, d, n, &first, &seq);
		closed = room && queue_idle(unit);
		if (closed)
			tail = queue_close(unit);
		unit_unlock_tail(unit, flags, t0, closed, tail);
		if (room)
			break;
		/* Full: the unit is behind, or stopped on a refused one. */
		if (queue_late(&dl)) {
			pr_err_ratelimited("dmar%u: invalidation queue full: the unit stopped fetching\n",
					   unit->index);
			return -EBUSY;
		}
		ret = queue_help(unit, true);
		if (ret)
			return ret;
		cpu_relax();
	}
	return queue_wait(unit, first, n, seq, skips0, &dl);
}

/*
 * The kernel's queue: qi_submit_sync() queues the descriptor and its own
 * wait, and spins (interrupts off, its queue lock dropped between looks)
 * until the unit completes them.  Called directly: combining submitters
 * in front of it (one call for all listed while a call runs) measured
 * worse -- 0.74x of stock strict at 2 vCPUs, 0.27x at 4 oversubscribed
 * (docs/invalidation.md).
 */
static int submit_kernel_queue(struct siommu_unit *unit, struct vtd_desc d)
{
	u64 t0 = lock_clock();
	int ret;

	ret = siommu_kernel_queue_submit(unit->kernel_iommu, d);
	/* Its queue lock is held for most of the call (all of it on QEMU). */
	lock_held(t0);
	siommu_stat_inc(SIOMMU_STAT_INVAL_DESCS);
	siommu_stat_inc(SIOMMU_STAT_INVAL_WAITS);
	return ret;
}

/**
 * siommu_inval_submit() - run one invalidation descriptor to completion
 * @unit: a unit set up by siommu_inval_init()
 * @desc: a context-cache or IOTLB descriptor
 *
 * Callable from any context, interrupts included.  On our queue and the
 * registers it spins at most INVAL_SPIN_NS; on the kernel's queue,
 * qi_submit_sync() waits as long as the kernel's does.
 *
 * Return: 0; -ETIMEDOUT when the unit does not complete it in time; -EIO
 * when the unit refused it (the queue recovered); -EBUSY when the queue
 * is full of entries the unit stopped fetching.
 */
int siommu_inval_submit(struct siommu_unit *unit, struct vtd_desc desc)
{
	unsigned long flags;
	int ret;
	u64 t0;

	switch (unit->inval_path) {
	case SIOMMU_INVAL_KERNEL_QUEUE:
		return submit_kernel_queue(unit, desc);
	case SIOMMU_INVAL_OWN_QUEUE:
		ret = submit_own_queue(unit, &desc, 1);
		break;
	default:
		t0 = unit_lock(unit, &flags);
		ret = submit_registers(unit, desc);
		unit_unlock(unit, flags, t0);
		siommu_stat_inc(SIOMMU_STAT_INVAL_DESCS);
		siommu_stat_inc(SIOMMU_STAT_INVAL_WAITS);
	}
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
							0, unit->drain, 0));
}

int siommu_inval_iotlb_domain(struct siommu_unit *unit, u16 did)
{
	return siommu_inval_submit(unit, vtd_desc_iotlb(VTD_GRAN_DOMAIN, did,
							0, 0, unit->drain, 0));
}

/**
 * siommu_inval_iotlb_range() - invalidate the IOTLB for an IOVA range
 * @unit: the unit
 * @did: domain id
 * @iova: first byte (page aligned)
 * @npages: pages in the range
 * @leaves_only: no table on the range's path changed (no table page was
 *	freed or added): the unit may keep its paging-structure caches
 *
 * One page-selective descriptor with the smallest address mask whose
 * aligned block covers the range, where CAP.PSI and CAP.MAMV allow; the
 * whole domain otherwise.
 */
int siommu_inval_iotlb_range(struct siommu_unit *unit, u16 did, u64 iova,
			     unsigned long npages, bool leaves_only)
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
				       am, unit->drain,
				       leaves_only ? VTD_DESC_IOTLB_IH : 0));
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

/* Append, and close its group if the unit is idle; nobody waits for it. */
static int inject_queued(struct siommu_unit *unit, struct vtd_desc bad)
{
	unsigned int first, tail = 0;
	unsigned long flags;
	bool room, closed;
	u32 seq;
	u64 t0;

	t0 = unit_lock(unit, &flags);
	room = queue_append(unit, &bad, 1, &first, &seq);
	closed = room && queue_idle(unit);
	if (closed)
		tail = queue_close(unit);
	unit_unlock_tail(unit, flags, t0, closed, tail);
	return room ? 0 : -EBUSY;
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
	struct vtd_desc bad = vtd_desc_iotlb(VTD_GRAN_GLOBAL, 0, 0, 0, 0, 0);

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
	unit->book = kzalloc(sizeof(*unit->book), GFP_KERNEL);
	if (!unit->queue || !unit->wait_status || !unit->book) {
		ret = -ENOMEM;
		goto fail;
	}
	/* Group 0, done before anything was queued, ends at slot 0. */
	unit->queue_tail = 0;
	unit->queue_published = 0;
	unit->wait_seq = 0;
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
	kfree(unit->book);
	unit->queue = NULL;
	unit->wait_status = NULL;
	unit->book = NULL;
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
	kfree(unit->book);
	unit->queue = NULL;
	unit->wait_status = NULL;
	unit->book = NULL;
	unit->inval_path = SIOMMU_INVAL_REGISTERS;
}
