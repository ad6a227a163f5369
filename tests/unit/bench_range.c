// SPDX-License-Identifier: GPL-2.0
/*
 * What a mapping costs per page, by how it reaches the page table
 * (src/vtd/pgtable.c, optimised, no sanitizers): map + unmap of 16 pages,
 *
 *  4k:       sixteen 4 KiB maps and sixteen 4 KiB unmaps, each a walk;
 *  64k:      one 64 KiB map and one unmap, a walk per table;
 *  sg16-seg: a 16-segment scatterlist (4 KiB segments, scattered
 *            physically) mapped segment by segment at consecutive IOVAs,
 *            as dma_ops.c did before the runs, unmapped in one call;
 *  sg16:     the same list mapped as one list of runs
 *            (vtd_pgtable_map_runs()), as dma_ops.c does now.
 *
 * Sixteen-page ranges at 31 slots of one leaf table, a page at its end
 * kept mapped so that the table stays: the common, warm case.  Prints
 * nanoseconds per page; tools/bench/bench-callgrind.sh counts the
 * instructions of bench_body() per page instead.  RCU is the shim's
 * single-threaded one (SHIM_FAST_RCU), about what the kernel's costs.
 * Usage: bench_range [-m mode] [-n rounds]   (-l lists the modes)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>

#include "vtd/pgtable.h"

#define PG	VTD_PAGE_SIZE
#define RW	(VTD_PTE_READ | VTD_PTE_WRITE)
#define PAGES	16
#define BASE	0x40000000ULL
#define SLOTS	31

static const char *const modes[] = { "4k", "64k", "sg16-seg", "sg16" };

static struct vtd_pgtable pt;

static void unmap_free(u64 iova, u64 size)
{
	struct page *freed = NULL;

	vtd_pgtable_unmap(&pt, iova, size, &freed);
	vtd_pgtable_free_tables(freed);
}

/* One round: PAGES pages mapped and unmapped at @iova.  Not inlined:
 * callgrind counts from its entry (--toggle-collect=bench_body). */
__attribute__((noinline)) void bench_body(int mode, u64 iova);
__attribute__((noinline)) void bench_body(int mode, u64 iova)
{
	const u64 phys = 0x100000;
	struct siommu_run runs[PAGES];
	int i;

	switch (mode) {
	case 0:
		for (i = 0; i < PAGES; i++)
			vtd_pgtable_map(&pt, iova + i * PG, phys + i * PG, PG,
					RW, 0);
		for (i = 0; i < PAGES; i++)
			unmap_free(iova + i * PG, PG);
		break;
	case 1:
		vtd_pgtable_map(&pt, iova, phys, PAGES * PG, RW, 0);
		unmap_free(iova, PAGES * PG);
		break;
	case 2:
		for (i = 0; i < PAGES; i++)
			vtd_pgtable_map(&pt, iova + i * PG, phys + i * 7 * PG,
					PG, RW, 0);
		unmap_free(iova, PAGES * PG);
		break;
	case 3:
		for (i = 0; i < PAGES; i++) {
			runs[i].iova = iova + i * PG;
			runs[i].phys = phys + i * 7 * PG;
			runs[i].size = PG;
		}
		vtd_pgtable_map_runs(&pt, runs, PAGES, RW, 0);
		unmap_free(iova, PAGES * PG);
		break;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned int rounds = 200000, k, m, first = 0, last = 3;
	double t0;
	int opt;

	while ((opt = getopt(argc, argv, "m:n:l")) != -1) {
		switch (opt) {
		case 'm':
			for (m = 0; m < 4 && strcmp(optarg, modes[m]); m++)
				;
			if (m == 4) {
				fprintf(stderr, "unknown mode %s\n", optarg);
				return 2;
			}
			first = last = m;
			break;
		case 'n':
			rounds = atoi(optarg) ?: 1;
			break;
		case 'l':
			for (m = 0; m < 4; m++)
				printf("%s\n", modes[m]);
			return 0;
		default:
			fprintf(stderr, "usage: %s [-m mode] [-n rounds] [-l]\n",
				argv[0]);
			return 2;
		}
	}
	vtd_pgtable_init(&pt, 4, true);
	vtd_pgtable_map(&pt, BASE + (2 << 20) - PG, 0x1000, PG, RW, 0);
	for (m = first; m <= last; m++) {
		t0 = now();
		for (k = 0; k < rounds; k++)
			bench_body(m, BASE + (k % SLOTS) * PAGES * PG);
		printf("mode=%s pages=%llu ns_per_page=%.1f\n", modes[m],
		       (unsigned long long)rounds * PAGES,
		       (now() - t0) * 1e9 / ((double)rounds * PAGES));
	}
	unmap_free(BASE + (2 << 20) - PG, PG);
	vtd_pgtable_destroy(&pt);
	rcu_barrier();
	return 0;
}
