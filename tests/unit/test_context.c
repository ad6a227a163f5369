// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the root and context tables (src/vtd/context.c over the shim):
 * entries land in the bit layout the VT-d specification fixes (checked on
 * the raw words, as the hardware reads them), present entries are never
 * rewritten, bad requests change nothing, allocation failure is clean, and
 * non-coherent units get every entry they can read flushed.
 */
#include <errno.h>

#include <linux/gfp.h>

#include "harness.h"
#include "shim.h"
#include "vtd/context.h"

/* The raw 128-bit context entry for (bus, devfn), or NULL. */
static const u64 *raw_entry(const struct vtd_context_tables *ct, u8 bus,
			    u8 devfn)
{
	u64 root_lo = ct->root[2 * bus];

	if (!(root_lo & 1))
		return NULL;
	return (const u64 *)(uintptr_t)(root_lo & ~0xfffULL) + 2 * devfn;
}

static void test_layout(void)
{
	struct vtd_context_tables ct;
	struct vtd_context_entry e = {
		.type = VTD_CTX_TT_TRANSLATED, .did = 5, .levels = 4,
		.pgtable = 0x12345000,
	}, got;
	const u64 *raw;

	EXPECT(vtd_context_init(&ct, true) == 0, "init");
	EXPECT((vtd_context_root_phys(&ct) & 0xfff) == 0, "root aligned");
	EXPECT(atomic_long_read(&ct.nr_tables) == 1, "root only");

	EXPECT(vtd_context_set(&ct, 3, 0x18, &e) == 0, "set translated");
	raw = raw_entry(&ct, 3, 0x18);
	EXPECT(raw && raw[0] == (0x12345000 | 1), "lo %#llx",
	       raw ? (unsigned long long)raw[0] : 0ULL);
	EXPECT(raw && raw[1] == (2 | 5 << 8), "hi %#llx",
	       raw ? (unsigned long long)raw[1] : 0ULL);
	vtd_context_get(&ct, 3, 0x18, &got);
	EXPECT(got.present && got.type == VTD_CTX_TT_TRANSLATED &&
	       got.did == 5 && got.levels == 4 && got.pgtable == 0x12345000,
	       "decode");
	vtd_context_get(&ct, 3, 0x19, &got);
	EXPECT(!got.present, "neighbour blocked");
	vtd_context_get(&ct, 4, 0x18, &got);
	EXPECT(!got.present, "other bus blocked");

	/* A present entry is never rewritten in place. */
	e.did = 9;
	EXPECT(vtd_context_set(&ct, 3, 0x18, &e) == -EBUSY, "busy");
	vtd_context_get(&ct, 3, 0x18, &got);
	EXPECT(got.did == 5, "unchanged after -EBUSY");

	e = (struct vtd_context_entry){ .type = VTD_CTX_TT_PASSTHROUGH,
					.did = 1, .levels = 3 };
	EXPECT(vtd_context_set(&ct, 0, 0xf8, &e) == 0, "set pass-through");
	raw = raw_entry(&ct, 0, 0xf8);
	EXPECT(raw && raw[0] == (2 << 2 | 1) && raw[1] == (1 | 1 << 8),
	       "pass-through layout");
	EXPECT(atomic_long_read(&ct.nr_tables) == 3, "two buses, %ld tables",
	       atomic_long_read(&ct.nr_tables));

	EXPECT(vtd_context_clear(&ct, 3, 0x18) == 5, "clear gives did");
	EXPECT(raw_entry(&ct, 3, 0x18)[0] == 0 &&
	       raw_entry(&ct, 3, 0x18)[1] == 0, "cleared raw");
	EXPECT(vtd_context_clear(&ct, 3, 0x18) == -ENOENT, "clear twice");
	EXPECT(vtd_context_clear(&ct, 200, 0) == -ENOENT, "no table");
	e = (struct vtd_context_entry){ .type = VTD_CTX_TT_TRANSLATED,
					.did = 7, .levels = 3,
					.pgtable = 0x5000 };
	EXPECT(vtd_context_set(&ct, 3, 0x18, &e) == 0, "set after clear");
	vtd_context_destroy(&ct);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld",
	       shim_pages_outstanding());
}

static void test_bad_requests(void)
{
	static const struct vtd_context_entry bad[] = {
		{ .type = 1, .levels = 4, .pgtable = 0x1000 },	/* dev-TLB */
		{ .type = 3, .levels = 4, .pgtable = 0x1000 },
		{ .type = VTD_CTX_TT_TRANSLATED, .levels = 2, .pgtable = 0x1000 },
		{ .type = VTD_CTX_TT_TRANSLATED, .levels = 5, .pgtable = 0x1000 },
		{ .type = VTD_CTX_TT_TRANSLATED, .levels = 4 },	/* no table */
		{ .type = VTD_CTX_TT_TRANSLATED, .levels = 4, .pgtable = 0x1234 },
	};
	struct vtd_context_tables ct;
	unsigned int i;

	vtd_context_init(&ct, true);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT(vtd_context_set(&ct, 1, 0, &bad[i]) == -EINVAL,
		       "bad entry %u accepted", i);
	EXPECT(atomic_long_read(&ct.nr_tables) == 1, "nothing built");
	vtd_context_destroy(&ct);
}

static void test_alloc_failure(void)
{
	struct vtd_context_tables ct;
	struct vtd_context_entry e = { .type = VTD_CTX_TT_PASSTHROUGH,
				       .did = 1, .levels = 4 };

	shim_fail_alloc_after = 0;
	EXPECT(vtd_context_init(&ct, true) == -ENOMEM, "init fails");
	vtd_context_init(&ct, true);
	shim_fail_alloc_after = 0;
	EXPECT(vtd_context_set(&ct, 9, 0, &e) == -ENOMEM, "table fails");
	shim_fail_alloc_after = -1;
	EXPECT(ct.root[2 * 9] == 0, "root entry untouched");
	EXPECT(vtd_context_set(&ct, 9, 0, &e) == 0, "retry works");
	vtd_context_destroy(&ct);
	EXPECT(shim_pages_outstanding() == 0, "leaked %ld",
	       shim_pages_outstanding());
}

static void test_noncoherent_flush(void)
{
	struct vtd_context_tables ct;
	struct vtd_context_entry e = { .type = VTD_CTX_TT_TRANSLATED,
				       .did = 2, .levels = 3,
				       .pgtable = 0x7000 };

	vtd_context_init(&ct, false);
	shim_flush_reset();
	vtd_context_set(&ct, 0x42, 0x08, &e);
	EXPECT(shim_flushed(&ct.root[2 * 0x42]), "root entry flushed");
	EXPECT(shim_flushed(raw_entry(&ct, 0x42, 0x08)), "context entry flushed");
	shim_flush_reset();
	vtd_context_clear(&ct, 0x42, 0x08);
	EXPECT(shim_flushed(raw_entry(&ct, 0x42, 0x08)), "clear flushed");
	vtd_context_destroy(&ct);

	/* The check can fail: coherent tables are not flushed. */
	vtd_context_init(&ct, true);
	shim_flush_reset();
	vtd_context_set(&ct, 0x42, 0x08, &e);
	EXPECT(!shim_flushed(raw_entry(&ct, 0x42, 0x08)), "coherent: none");
	vtd_context_destroy(&ct);
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_layout),
	HARNESS_CASE(test_bad_requests),
	HARNESS_CASE(test_alloc_failure),
	HARNESS_CASE(test_noncoherent_flush),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
