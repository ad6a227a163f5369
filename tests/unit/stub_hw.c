// SPDX-License-Identifier: GPL-2.0
/*
 * The hardware side of the invalidation policies for the harness and the
 * benchmark: siommu_inval_iotlb_global/_domain/_range() over a fake unit
 * (flush_shim/stub_hw.h), the per-CPU statistics and the flush
 * tracepoint.  An invalidation costs stub_flush_spin iterations of an
 * empty loop under the unit's lock: a fixed amount of work (so callgrind
 * counts are repeatable) that, at the default 1000, takes a few hundred
 * ns on a current core, the order of a queued invalidation and its wait
 * descriptor on real VT-d hardware.
 */
#include <linux/errno.h>
#include <linux/percpu.h>

#include "dma/domain.h"
#include "base/trace.h"
#include "base/stats.h"

DEFINE_PER_CPU(struct siommu_stats, siommu_stats);

unsigned long stub_flush_spin = STUB_FLUSH_SPIN_DEFAULT;

static unsigned long trace_flushes;

/* The calling thread's latest successful page-selective invalidation. */
static __thread struct {
	struct siommu_unit *unit;
	u64 next;			/* its number + 1 */
	u16 did;
	unsigned long pfn, npages;
} last_range;

void stub_unit_init(struct siommu_unit *unit, unsigned int index)
{
	*unit = (struct siommu_unit){ .index = index };
	spin_lock_init(&unit->reg_lock);
}

u64 stub_unit_token(struct siommu_unit *unit)
{
	return __atomic_load_n(&unit->begun, __ATOMIC_ACQUIRE);
}

bool stub_covered(struct siommu_unit *unit, u64 token, u16 did,
		  unsigned long pfn, unsigned long npages)
{
	if (__atomic_load_n(&unit->global_done, __ATOMIC_ACQUIRE) > token)
		return true;
	if (did < STUB_DIDS &&
	    __atomic_load_n(&unit->domain_done[did], __ATOMIC_ACQUIRE) > token)
		return true;
	return last_range.unit == unit && last_range.next > token &&
	       last_range.did == did && last_range.pfn <= pfn &&
	       pfn + npages <= last_range.pfn + last_range.npages;
}

static void spin(void)
{
	unsigned long n = READ_ONCE(stub_flush_spin);

	while (n--)
		__asm__ __volatile__("" ::: "memory");
}

/* Begin one invalidation: its number.  Under reg_lock. */
static u64 begin(struct siommu_unit *unit)
{
	u64 nr = __atomic_fetch_add(&unit->begun, 1, __ATOMIC_ACQ_REL);

	spin();
	return nr;
}

/*
 * A global or domain-selective invalidation: when it succeeds, *@done
 * becomes its number + 1 (what stub_covered() compares) and *@count
 * grows.  @refuse: fail it as a failing unit does.
 */
static int wide_flush(struct siommu_unit *unit, u64 *done,
		      unsigned long *count, bool refuse)
{
	unsigned long flags;
	int ret = 0;
	u64 nr;

	spin_lock_irqsave(&unit->reg_lock, flags);
	nr = begin(unit);
	if (unit->fail || refuse) {
		ret = -EIO;
	} else {
		(*count)++;
		__atomic_store_n(done, nr + 1, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&unit->reg_lock, flags);
	return ret;
}

int siommu_inval_iotlb_global(struct siommu_unit *unit)
{
	return wide_flush(unit, &unit->global_done, &unit->global_flushes,
			  false);
}

/* Only domain ids below STUB_DIDS are tracked: others fail. */
int siommu_inval_iotlb_domain(struct siommu_unit *unit, u16 did)
{
	bool tracked = did < STUB_DIDS;

	return wide_flush(unit, &unit->domain_done[tracked ? did : 0],
			  &unit->domain_flushes, !tracked);
}

int siommu_inval_iotlb_range(struct siommu_unit *unit, u16 did, u64 iova,
			     unsigned long npages)
{
	unsigned long flags;
	int ret = 0;
	u64 nr;

	spin_lock_irqsave(&unit->reg_lock, flags);
	nr = begin(unit);
	if (unit->fail) {
		ret = -EIO;
	} else {
		unit->range_flushes++;
		last_range.unit = unit;
		last_range.next = nr + 1;
		last_range.did = did;
		last_range.pfn = iova >> VTD_PAGE_SHIFT;
		last_range.npages = npages;
	}
	spin_unlock_irqrestore(&unit->reg_lock, flags);
	return ret;
}

/* A count the invalidations keep under reg_lock. */
static unsigned long read_count(struct siommu_unit *unit,
				const unsigned long *count)
{
	unsigned long flags, n;

	spin_lock_irqsave(&unit->reg_lock, flags);
	n = *count;
	spin_unlock_irqrestore(&unit->reg_lock, flags);
	return n;
}

unsigned long stub_global_flushes(struct siommu_unit *unit)
{
	return read_count(unit, &unit->global_flushes);
}

unsigned long stub_domain_flushes(struct siommu_unit *unit)
{
	return read_count(unit, &unit->domain_flushes);
}

unsigned long stub_range_flushes(struct siommu_unit *unit)
{
	return read_count(unit, &unit->range_flushes);
}

void trace_siommu_inval(unsigned int unit, u16 did, u64 iova,
			unsigned long npages)
{
	__atomic_fetch_add(&trace_flushes, 1, __ATOMIC_RELAXED);
}

unsigned long stub_trace_flushes(void)
{
	return __atomic_load_n(&trace_flushes, __ATOMIC_RELAXED);
}

/* The translation seam's invalidations, as the module's vtd.c does them. */
static int stub_inval_range(struct siommu_xlate *xl, u64 iova,
			    unsigned long npages,
			    const struct siommu_unmapped *what)
{
	struct siommu_domain *dom = container_of(xl, struct siommu_domain, xl);

	trace_siommu_inval(dom->unit->index, dom->did, iova, npages);
	return siommu_inval_iotlb_range(dom->unit, dom->did, iova, npages);
}

static int stub_inval_domain(struct siommu_xlate *xl)
{
	struct siommu_domain *dom = container_of(xl, struct siommu_domain, xl);

	trace_siommu_inval(dom->unit->index, dom->did, 0, 0);
	return siommu_inval_iotlb_domain(dom->unit, dom->did);
}

static int stub_inval_all(struct siommu_xlate *xl)
{
	struct siommu_domain *dom = container_of(xl, struct siommu_domain, xl);

	trace_siommu_inval(dom->unit->index, 0, 0, 0);
	return siommu_inval_iotlb_global(dom->unit);
}

const struct siommu_xlate_ops stub_xlate_ops = {
	.name = "stub",
	.inval_range = stub_inval_range,
	.inval_domain = stub_inval_domain,
	.inval_all = stub_inval_all,
};

const struct siommu_unmapped stub_unmapped;
