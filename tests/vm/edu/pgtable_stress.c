// SPDX-License-Identifier: GPL-2.0
/*
 * siommu_pgtable_stress: Pasha Tatashin's sparse stress ("iommu/intel:
 * Free empty page tables on unmaps"), scaled, run in the kernel on our
 * page-table code (pgtable_core.c) with no device: one 4 KiB mapping every
 * 2 MiB across GIB GiB of IOVA (a leaf table each), then every one
 * unmapped (the emptied tables freed as a policy frees them after its
 * invalidation: through RCU), then the table destroyed -- with
 * reclamation off and on, ROUNDS times each, alternating.  The table is
 * never given to a unit: it only has to be built and torn down.
 *
 * At load it prints one line and stays loaded (rmmod it):
 *   siommu_pgtable_stress: gib=<n> mappings=<n> rounds=<n> error=<errno>
 *     off_ns_per_map=<n> on_ns_per_map=<n> overhead_permille=<n>
 *     off_peak=<pages> off_after=<pages> on_peak=<pages> on_after=<pages>
 *     live_after=<pages>
 * ns per map+unmap pair, the fastest round of each; *_peak the table
 * pages with everything mapped, *_after with everything unmapped (before
 * the destroy); live_after the pages still allocated once all is over (0
 * unless something leaked).  tests/vm/pgtable_stress.sh reads it.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sizes.h>

#include "base/alloc_fault.h"
#include "vtd/pgtable.h"

/* pgtable.c's allocation fault knob: never fails here. */
unsigned int siommu_fail_alloc_ppm;

bool siommu_fail_alloc_roll(void)
{
	return false;
}

static unsigned int gib = 64;
module_param(gib, uint, 0444);
MODULE_PARM_DESC(gib, "GiB of IOVA the mappings spread over, 1..256 (64)");
static unsigned int rounds = 3;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds of each, off and on, 1..10 (3)");

struct pass {
	u64 ns;
	long peak, after;
};

static void unmap_free(struct vtd_pgtable *pt, u64 iova)
{
	struct page *freed = NULL;

	vtd_pgtable_unmap(pt, iova, SZ_4K, &freed);
	vtd_pgtable_free_tables(freed);
}

static int one_pass(unsigned int reclaim, u64 n, struct pass *p)
{
	struct vtd_pgtable pt;
	u64 i, mapped, t0;
	int ret;

	vtd_pgtable_reclaim = reclaim;
	ret = vtd_pgtable_init(&pt, 4, true);
	if (ret)
		return ret;
	t0 = ktime_get_ns();
	for (mapped = 0; mapped < n; mapped++) {
		ret = vtd_pgtable_map(&pt, mapped * SZ_2M, mapped * SZ_4K, SZ_4K,
				      VTD_PTE_READ | VTD_PTE_WRITE, GFP_KERNEL);
		if (ret)
			break;
		if (!(mapped % 1024))
			cond_resched();
	}
	p->peak = atomic_long_read(&pt.nr_tables);
	for (i = 0; i < mapped; i++) {
		unmap_free(&pt, i * SZ_2M);
		if (!(i % 1024))
			cond_resched();
	}
	p->after = atomic_long_read(&pt.nr_tables);
	vtd_pgtable_destroy(&pt);
	rcu_barrier();
	p->ns = div64_u64(ktime_get_ns() - t0, max(mapped, 1ULL));
	return ret;
}

static int __init stress_init(void)
{
	struct pass best[2] = { { .ns = U64_MAX }, { .ns = U64_MAX } }, p;
	u64 n = (u64)clamp(gib, 1U, 256U) * (SZ_1G / SZ_2M);
	unsigned int r, on;
	int ret = 0;

	rounds = clamp(rounds, 1U, 10U);
	for (r = 0; r < rounds && !ret; r++) {
		for (on = 0; on < 2 && !ret; on++) {
			ret = one_pass(on, n, &p);
			if (p.ns < best[on].ns)
				best[on] = p;
		}
	}
	vtd_pgtable_reclaim = 1;
	pr_info("siommu_pgtable_stress: gib=%u mappings=%llu rounds=%u error=%d off_ns_per_map=%llu on_ns_per_map=%llu overhead_permille=%lld off_peak=%ld off_after=%ld on_peak=%ld on_after=%ld live_after=%ld\n",
		gib, n, rounds, ret, best[0].ns, best[1].ns,
		best[0].ns ? div64_s64(((s64)best[1].ns - (s64)best[0].ns) *
				       1000, best[0].ns) : 0,
		best[0].peak, best[0].after, best[1].peak, best[1].after,
		atomic_long_read(&vtd_pgtable_pages_live));
	return 0;
}

static void __exit stress_exit(void)
{
}

module_init(stress_init);
module_exit(stress_exit);
MODULE_DESCRIPTION("scalable_iommu test: the sparse page-table stress, in the kernel");
MODULE_LICENSE("GPL");
