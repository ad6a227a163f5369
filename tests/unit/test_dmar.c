// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the DMAR table parser (src/vtd/dmar.c, compiled unchanged over
 * the shim): tables shaped like QEMU's and like a server's parse to the
 * right values; every kind of malformation is refused with the offset of
 * the bad structure; random corruption never crashes it (run under ASan
 * and UBSan); allocation failure is reported and leaks nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtd/dmar.h"
#include "harness.h"
#include "shim.h"

/* A table under construction; lengths are patched in as structures close. */
struct builder {
	u8 buf[4096];
	size_t len;
	size_t open_struct;
};

static void put(struct builder *b, u64 v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		b->buf[b->len++] = (u8)(v >> (8 * i));
}

static void patch16(struct builder *b, size_t at, u16 v)
{
	b->buf[at] = (u8)v;
	b->buf[at + 1] = (u8)(v >> 8);
}

static void begin_table(struct builder *b, u8 haw_minus_one, u8 flags)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->buf, "DMAR", 4);
	b->len = 36;		/* ACPI header; length patched at the end */
	put(b, haw_minus_one, 1);
	put(b, flags, 1);
	b->len += 10;
}

static void end_table(struct builder *b)
{
	b->buf[4] = (u8)b->len;
	b->buf[5] = (u8)(b->len >> 8);
}

static void begin_drhd(struct builder *b, u8 flags, u16 seg, u64 base)
{
	b->open_struct = b->len;
	put(b, DMAR_TYPE_DRHD, 2);
	put(b, 0, 2);
	put(b, flags, 1);
	put(b, 0, 1);
	put(b, seg, 2);
	put(b, base, 8);
}

static void begin_rmrr(struct builder *b, u16 seg, u64 base, u64 end)
{
	b->open_struct = b->len;
	put(b, DMAR_TYPE_RMRR, 2);
	put(b, 0, 2);
	put(b, 0, 2);
	put(b, seg, 2);
	put(b, base, 8);
	put(b, end, 8);
}

static void end_struct(struct builder *b)
{
	patch16(b, b->open_struct + 2, (u16)(b->len - b->open_struct));
}

/* A scope with @hops (device, function) pairs. */
static void scope(struct builder *b, u8 type, u8 bus, int hops,
		  const u8 (*path)[2])
{
	int i;

	put(b, type, 1);
	put(b, 6 + 2 * hops, 1);
	put(b, 0, 2);
	put(b, 0, 1);
	put(b, bus, 1);
	for (i = 0; i < hops; i++) {
		put(b, path[i][0], 1);
		put(b, path[i][1], 1);
	}
}

static const u8 hop_00_0[][2] = { { 0x00, 0 } };
static const u8 hop_1f_2[][2] = { { 0x1f, 2 } };
static const u8 hops_bridge[][2] = { { 0x1c, 0 }, { 0x00, 1 } };

/* What QEMU 7.2 builds for q35 with intel-iommu (seen in the VM). */
static void qemu_like(struct builder *b)
{
	begin_table(b, 47, 0x01);
	begin_drhd(b, 0, 0, 0xfed90000);
	scope(b, DMAR_SCOPE_IOAPIC, 0xff, 1, hop_00_0);
	scope(b, DMAR_SCOPE_PCI_ENDPOINT, 0, 1, hop_00_0);
	scope(b, DMAR_SCOPE_PCI_ENDPOINT, 0, 1, hop_1f_2);
	end_struct(b);
	end_table(b);
}

static void test_qemu_table(void)
{
	struct builder b;
	struct dmar_info info;
	int ret;

	qemu_like(&b);
	ret = dmar_parse(b.buf, b.len, &info);
	EXPECT(ret == 0, "ret %d", ret);
	EXPECT(info.host_addr_width == 48, "haw %u", info.host_addr_width);
	EXPECT(info.flags == DMAR_FLAG_INTR_REMAP, "flags %#x", info.flags);
	EXPECT(info.nr_drhds == 1 && info.nr_rmrrs == 0, "%u drhds %u rmrrs",
	       info.nr_drhds, info.nr_rmrrs);
	if (info.nr_drhds == 1) {
		const struct dmar_drhd *d = &info.drhds[0];

		EXPECT(d->base == 0xfed90000, "base %#llx",
		       (unsigned long long)d->base);
		EXPECT(d->nr_scopes == 3, "scopes %u", d->nr_scopes);
		EXPECT(d->scopes[0].type == DMAR_SCOPE_IOAPIC &&
		       d->scopes[0].start_bus == 0xff, "ioapic scope");
		EXPECT(d->scopes[2].path_len == 1 &&
		       d->scopes[2].path[0] == ((0x1f << 3) | 2),
		       "devfn %#x", d->scopes[2].path[0]);
	}
	dmar_info_free(&info);
	dmar_info_free(&info);	/* documented as safe twice */
}

/* Two units, one behind a bridge, an RMRR and a structure we skip. */
static void server_like(struct builder *b)
{
	begin_table(b, 45, 0);
	begin_drhd(b, 0, 0, 0xfbffc000);
	scope(b, DMAR_SCOPE_PCI_BRIDGE, 0, 2, hops_bridge);
	end_struct(b);
	begin_drhd(b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0xfed91000);
	end_struct(b);
	begin_rmrr(b, 0, 0x7f000000, 0x7f7fffff);
	scope(b, DMAR_SCOPE_PCI_ENDPOINT, 0, 1, hop_1f_2);
	end_struct(b);
	/* An ATSR (type 2): counted, skipped. */
	put(b, 2, 2);
	put(b, 8, 2);
	put(b, 0, 4);
	end_table(b);
}

static void test_server_table(void)
{
	struct builder b;
	struct dmar_info info;
	int ret;

	server_like(&b);
	ret = dmar_parse(b.buf, b.len, &info);
	EXPECT(ret == 0, "ret %d", ret);
	EXPECT(info.host_addr_width == 46, "haw %u", info.host_addr_width);
	EXPECT(info.nr_drhds == 2 && info.nr_rmrrs == 1 && info.nr_other == 1,
	       "%u/%u/%u", info.nr_drhds, info.nr_rmrrs, info.nr_other);
	if (info.nr_drhds == 2 && info.nr_rmrrs == 1) {
		EXPECT(info.drhds[0].scopes[0].path_len == 2 &&
		       info.drhds[0].scopes[0].path[1] == 1,
		       "bridge path");
		EXPECT(info.drhds[1].flags & DMAR_DRHD_INCLUDE_PCI_ALL,
		       "include_all");
		EXPECT(info.drhds[1].nr_scopes == 0 && !info.drhds[1].scopes,
		       "no scopes");
		EXPECT(info.rmrrs[0].base == 0x7f000000 &&
		       info.rmrrs[0].end == 0x7f7fffff, "rmrr range");
		EXPECT(info.rmrrs[0].nr_scopes == 1 &&
		       info.rmrrs[0].scopes[0].path[0] == ((0x1f << 3) | 2),
		       "rmrr scope");
	}
	dmar_info_free(&info);
}

/* Apply @mutate to a QEMU-like table; parsing must fail at @bad_offset. */
static void expect_invalid(const char *what, void (*mutate)(struct builder *),
			   size_t bad_offset)
{
	struct builder b;
	struct dmar_info info;
	int ret;

	qemu_like(&b);
	mutate(&b);
	ret = dmar_parse(b.buf, b.len, &info);
	EXPECT(ret == -EINVAL, "%s: ret %d", what, ret);
	EXPECT(info.bad_offset == bad_offset, "%s: bad_offset %zu, want %zu",
	       what, info.bad_offset, bad_offset);
	EXPECT(!info.drhds && !info.all_scopes, "%s: nothing allocated", what);
}

#define FIRST 48	/* offset of the first remapping structure */

static void bad_signature(struct builder *b) { b->buf[0] = 'X'; }
static void table_longer_than_buffer(struct builder *b) { b->buf[4] += 1; }
static void struct_len_zero(struct builder *b) { patch16(b, FIRST + 2, 0); }
static void struct_past_end(struct builder *b) { patch16(b, FIRST + 2, 200); }
static void struct_too_short(struct builder *b) { patch16(b, FIRST + 2, 12); }
static void scope_len_zero(struct builder *b) { b->buf[FIRST + 16 + 1] = 0; }
static void scope_odd_path(struct builder *b) { b->buf[FIRST + 16 + 1] = 7; }
static void scope_past_struct(struct builder *b) { b->buf[FIRST + 32 + 1] = 40; }
static void drhd_unaligned(struct builder *b) { b->buf[FIRST + 8] = 0x10; }

static void test_malformed(void)
{
	struct dmar_info info;
	u8 tiny[20] = "DMAR";

	EXPECT(dmar_parse(tiny, sizeof(tiny), &info) == -EINVAL, "tiny");
	expect_invalid("signature", bad_signature, 0);
	expect_invalid("table length", table_longer_than_buffer, 4);
	expect_invalid("zero-length structure", struct_len_zero, FIRST);
	expect_invalid("structure past the end", struct_past_end, FIRST);
	expect_invalid("DRHD shorter than its header", struct_too_short, FIRST);
	expect_invalid("zero-length scope", scope_len_zero, FIRST + 16);
	expect_invalid("odd path bytes", scope_odd_path, FIRST + 16);
	expect_invalid("scope past its structure", scope_past_struct, FIRST + 32);
	expect_invalid("unaligned DRHD base", drhd_unaligned, FIRST);
}

static void test_bad_rmrr(void)
{
	static const u64 ranges[][2] = {
		{ 0x1000, 0x0fff },		/* end before base */
		{ 0x1800, 0x1fff },		/* base not page aligned */
		{ 0x1000, 0x17ff },		/* end + 1 not page aligned */
	};
	struct dmar_info info;
	struct builder b;
	size_t i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		begin_table(&b, 38, 0);
		begin_rmrr(&b, 0, ranges[i][0], ranges[i][1]);
		end_struct(&b);
		end_table(&b);
		EXPECT(dmar_parse(b.buf, b.len, &info) == -EINVAL,
		       "rmrr %zu accepted", i);
	}
}

static void test_alloc_failure(void)
{
	struct dmar_info info;
	struct builder b;
	long n;

	/* A server table needs three arrays: fail each in turn.  -ENOMEM,
	 * and LeakSanitizer proves the others were released.
	 */
	for (n = 0; n < 3; n++) {
		server_like(&b);
		shim_fail_alloc_after = n;
		EXPECT(dmar_parse(b.buf, b.len, &info) == -ENOMEM,
		       "allocation %ld failing", n);
		EXPECT(!info.drhds && !info.rmrrs && !info.all_scopes,
		       "left allocated after failure %ld", n);
	}
	shim_fail_alloc_after = -1;
}

/*
 * Flip random bytes of valid tables: the parser must return 0 or -EINVAL,
 * never read outside the buffer (ASan watches), and on success describe
 * structures that lie inside the table.
 */
static void test_random_corruption(void)
{
	unsigned int seed = 12345, round, bad = 0;
	struct dmar_info info;
	struct builder b;

	for (round = 0; round < 200000; round++) {
		int flips = 1 + rand_r(&seed) % 4, i, ret;

		if (round & 1)
			qemu_like(&b);
		else
			server_like(&b);
		for (i = 0; i < flips; i++)
			b.buf[36 + rand_r(&seed) % (b.len - 36)] = (u8)rand_r(&seed);
		ret = dmar_parse(b.buf, b.len, &info);
		if (ret != 0 && ret != -EINVAL)
			bad++;
		if (ret == 0 && info.nr_drhds + info.nr_rmrrs > b.len / 4)
			bad++;
		dmar_info_free(&info);
	}
	EXPECT(bad == 0, "%u rounds misbehaved", bad);
}

static const struct harness_case cases[] = {
	HARNESS_CASE(test_qemu_table),
	HARNESS_CASE(test_server_table),
	HARNESS_CASE(test_malformed),
	HARNESS_CASE(test_bad_rmrr),
	HARNESS_CASE(test_alloc_failure),
	HARNESS_CASE(test_random_corruption),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_ARRAY_SIZE(cases));
}
