// SPDX-License-Identifier: GPL-2.0
/*
 * What freeing empty I/O page-table pages costs (src/vtd/pgtable.c,
 * optimised, no sanitizers), against the same work with reclamation off
 * (vtd_pgtable_reclaim = 0) in the same run:
 *
 *  sparse: Pasha Tatashin's RFC stress, scaled -- one 4 KiB mapping every
 *          2 MiB across 64 GiB of IOVA (32768 mappings, a leaf table
 *          each), then all unmapped, then the table destroyed; table
 *          pages at the peak and after the unmaps.
 *  churn:  one page mapped and unmapped at the same IOVA, the worst case:
 *          with reclamation, every unmap frees the page's three tables
 *          and the next map makes them again.
 *  dense:  64 KiB maps and unmaps over a 1 GiB window, the common case.
 *
 * The emptied pages are freed at once, as a policy does after its
 * invalidation (the shim's RCU runs the frees when no walker is left).
 * Usage: bench_pgtable [-r rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>

#include "vtd/pgtable.h"

#define PG	VTD_PAGE_SIZE
#define RW	(VTD_PTE_READ | VTD_PTE_WRITE)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void unmap_free(struct vtd_pgtable *pt, u64 iova, u64 size)
{
	struct page *freed = NULL;

	vtd_pgtable_unmap(pt, iova, size, &freed);
	vtd_pgtable_free_tables(freed);
}

struct result {
	double ns_per_op;
	long peak, after;
};

/*
 * Each round a fresh table, mapped, unmapped and destroyed: the same work
 * both ways, the memory given back during the run or at its end.
 */
static struct result sparse(unsigned int rounds)
{
	const u64 step = 2ULL << 20, n = (64ULL << 30) / step;
	struct result r = { 0 };
	struct vtd_pgtable pt;
	unsigned int k;
	double t0;
	u64 i;

	t0 = now();
	for (k = 0; k < rounds; k++) {
		vtd_pgtable_init(&pt, 4, true);
		for (i = 0; i < n; i++)
			vtd_pgtable_map(&pt, i * step, i * PG, PG, RW, 0);
		r.peak = atomic_long_read(&pt.nr_tables);
		for (i = 0; i < n; i++)
			unmap_free(&pt, i * step, PG);
		r.after = atomic_long_read(&pt.nr_tables);
		vtd_pgtable_destroy(&pt);
		rcu_barrier();
	}
	r.ns_per_op = (now() - t0) * 1e9 / (rounds * n);
	return r;
}

static struct result churn(unsigned int rounds)
{
	const u64 n = 200000;
	struct result r = { 0 };
	struct vtd_pgtable pt;
	double t0;
	u64 i;

	vtd_pgtable_init(&pt, 4, true);
	t0 = now();
	for (i = 0; i < n * rounds; i++) {
		vtd_pgtable_map(&pt, 0x40000000, 0x1000, PG, RW, 0);
		r.peak = atomic_long_read(&pt.nr_tables);
		unmap_free(&pt, 0x40000000, PG);
	}
	r.ns_per_op = (now() - t0) * 1e9 / (rounds * n);
	r.after = atomic_long_read(&pt.nr_tables);
	vtd_pgtable_destroy(&pt);
	rcu_barrier();
	return r;
}

/* 64 KiB ranges at pseudo-random 64 KiB slots of a 1 GiB window, 64 live. */
static struct result dense(unsigned int rounds)
{
	const u64 n = 200000, size = 16 * PG, slots = (1ULL << 30) / size;
	u64 live[64] = { 0 }, i, x = 1;
	struct result r = { 0 };
	struct vtd_pgtable pt;
	double t0;

	vtd_pgtable_init(&pt, 4, true);
	t0 = now();
	for (i = 0; i < n * rounds; i++) {
		u64 *slot = &live[i % 64];

		if (*slot)
			unmap_free(&pt, *slot - 1, size);
		do {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			*slot = ((x >> 33) % slots) * size;
		} while (vtd_pgtable_map(&pt, *slot, 0x1000, size, RW, 0));
		*slot += 1;
		if (atomic_long_read(&pt.nr_tables) > r.peak)
			r.peak = atomic_long_read(&pt.nr_tables);
	}
	r.ns_per_op = (now() - t0) * 1e9 / (rounds * n);
	r.after = atomic_long_read(&pt.nr_tables);
	for (i = 0; i < 64; i++)
		if (live[i])
			unmap_free(&pt, live[i] - 1, size);
	vtd_pgtable_destroy(&pt);
	rcu_barrier();
	return r;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name, *what;
		struct result (*run)(unsigned int rounds);
	} cases[] = {
		{ "sparse", "4K every 2M over 64G, map+unmap", sparse },
		{ "churn", "one 4K page, map+unmap", churn },
		{ "dense", "64K maps, 64 live in 1G", dense },
	};
	unsigned int rounds = 3, c;
	int opt;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r') {
			fprintf(stderr, "usage: %s [-r rounds]\n", argv[0]);
			return 2;
		}
		rounds = atoi(optarg) ?: 1;
	}
	printf("%-7s %-34s %12s %12s %9s %16s %16s\n", "case", "workload",
	       "ns/op off", "ns/op on", "overhead", "tables peak/end",
	       "(off) peak/end");
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct result off, on;

		/* Untimed: fills the page pool, so both runs start equal. */
		cases[c].run(1);
		vtd_pgtable_reclaim = 0;
		off = cases[c].run(rounds);
		vtd_pgtable_reclaim = 1;
		on = cases[c].run(rounds);
		printf("%-7s %-34s %12.1f %12.1f %8.1f%% %7ld/%-8ld %7ld/%-8ld\n",
		       cases[c].name, cases[c].what, off.ns_per_op,
		       on.ns_per_op,
		       (on.ns_per_op / off.ns_per_op - 1) * 100, on.peak,
		       on.after, off.peak, off.after);
	}
	return 0;
}
