// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI DMAR table parser.
 *
 * Two passes over the table: the first validates every length and counts
 * units, RMRRs and device scopes; the second fills arrays sized by the
 * first.  Nothing is trusted: a length that runs past its container makes
 * the whole table invalid, because a firmware table that lies about one
 * structure cannot be trusted about the devices it places behind a unit.
 */
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "vtd/dmar.h"

#define DMAR_HEADER_LEN		48	/* ACPI header + width, flags, reserved */
#define DMAR_STRUCT_HDR_LEN	4	/* type, length */
#define DMAR_DRHD_LEN		16
#define DMAR_RMRR_LEN		24
#define DMAR_SCOPE_HDR_LEN	6
#define DMAR_PAGE_MASK		0xfffULL

struct dmar_counts {
	unsigned int drhds;
	unsigned int rmrrs;
	unsigned int scopes;
	unsigned int other;
};

/*
 * Walk the device scopes in [start, end).  With @out NULL only validate and
 * count; otherwise fill @out.
 */
static int dmar_walk_scopes(const u8 *table, size_t start, size_t end,
			    struct dmar_dev_scope *out, unsigned int *count,
			    size_t *bad)
{
	size_t off = start;
	unsigned int n = 0;

	while (off < end) {
		const u8 *s = table + off;
		unsigned int slen, i;

		if (end - off < DMAR_SCOPE_HDR_LEN)
			goto invalid;
		slen = s[1];
		if (slen < DMAR_SCOPE_HDR_LEN || slen > end - off ||
		    (slen - DMAR_SCOPE_HDR_LEN) % 2 ||
		    (slen - DMAR_SCOPE_HDR_LEN) / 2 > DMAR_SCOPE_MAX_PATH)
			goto invalid;
		if (out) {
			struct dmar_dev_scope *d = &out[n];

			memset(d, 0, sizeof(*d));
			d->type = s[0];
			d->enumeration_id = s[4];
			d->start_bus = s[5];
			d->path_len = (slen - DMAR_SCOPE_HDR_LEN) / 2;
			/* Each hop is (device, function): keep it as a devfn. */
			for (i = 0; i < d->path_len; i++)
				d->path[i] = (s[6 + 2 * i] & 0x1f) << 3 |
					     (s[7 + 2 * i] & 0x7);
		}
		n++;
		off += slen;
	}
	*count = n;
	return 0;
invalid:
	*bad = off;
	return -EINVAL;
}

/* One pass over the remapping structures; fill @info when @fill. */
static int dmar_walk(const u8 *table, size_t len, struct dmar_info *info,
		     struct dmar_counts *cnt, bool fill)
{
	size_t off = DMAR_HEADER_LEN;
	unsigned int scope_idx = 0;

	memset(cnt, 0, sizeof(*cnt));
	while (off < len) {
		const u8 *s = table + off;
		struct dmar_dev_scope *scopes = NULL;
		unsigned int type, slen, nscopes;
		size_t hdr;
		int ret;

		if (len - off < DMAR_STRUCT_HDR_LEN)
			goto invalid;
		type = get_unaligned_le16(s);
		slen = get_unaligned_le16(s + 2);
		if (slen < DMAR_STRUCT_HDR_LEN || slen > len - off)
			goto invalid;

		switch (type) {
		case DMAR_TYPE_DRHD:
			hdr = DMAR_DRHD_LEN;
			break;
		case DMAR_TYPE_RMRR:
			hdr = DMAR_RMRR_LEN;
			break;
		default:
			cnt->other++;
			off += slen;
			continue;
		}
		if (slen < hdr)
			goto invalid;
		if (fill)
			scopes = &info->all_scopes[scope_idx];
		ret = dmar_walk_scopes(table, off + hdr, off + slen, scopes,
				       &nscopes, &info->bad_offset);
		if (ret)
			return ret;

		if (type == DMAR_TYPE_DRHD) {
			if (fill) {
				struct dmar_drhd *d = &info->drhds[cnt->drhds];

				d->flags = s[4];
				d->size = s[5] & 0xf;
				d->segment = get_unaligned_le16(s + 6);
				d->base = get_unaligned_le64(s + 8);
				d->nr_scopes = nscopes;
				d->scopes = nscopes ? scopes : NULL;
			} else if (get_unaligned_le64(s + 8) & DMAR_PAGE_MASK) {
				goto invalid;
			}
			cnt->drhds++;
		} else {
			u64 base = get_unaligned_le64(s + 8);
			u64 end = get_unaligned_le64(s + 16);

			/* An RMRR is whole pages: base aligned, end + 1 aligned. */
			if (end < base || (base & DMAR_PAGE_MASK) ||
			    ((end + 1) & DMAR_PAGE_MASK))
				goto invalid;
			if (fill) {
				struct dmar_rmrr *r = &info->rmrrs[cnt->rmrrs];

				r->segment = get_unaligned_le16(s + 6);
				r->base = base;
				r->end = end;
				r->nr_scopes = nscopes;
				r->scopes = nscopes ? scopes : NULL;
			}
			cnt->rmrrs++;
		}
		scope_idx += nscopes;
		cnt->scopes += nscopes;
		off += slen;
	}
	return 0;
invalid:
	info->bad_offset = off;
	return -EINVAL;
}

/**
 * dmar_parse() - parse an ACPI DMAR table held in memory
 * @table: the table, starting at its ACPI header
 * @len: bytes readable at @table
 * @info: filled on success; release with dmar_info_free()
 *
 * Return: 0, -EINVAL for a malformed table (@info->bad_offset says where),
 * or -ENOMEM.
 */
int dmar_parse(const u8 *table, size_t len, struct dmar_info *info)
{
	struct dmar_counts cnt;
	size_t table_len;
	int ret;

	memset(info, 0, sizeof(*info));
	if (len < DMAR_HEADER_LEN || memcmp(table, "DMAR", 4))
		return -EINVAL;
	table_len = get_unaligned_le32(table + 4);
	if (table_len < DMAR_HEADER_LEN || table_len > len) {
		info->bad_offset = 4;
		return -EINVAL;
	}
	info->host_addr_width = table[36] + 1;
	info->flags = table[37];

	ret = dmar_walk(table, table_len, info, &cnt, false);
	if (ret)
		return ret;

	info->drhds = kcalloc(cnt.drhds, sizeof(*info->drhds), GFP_KERNEL);
	info->rmrrs = kcalloc(cnt.rmrrs, sizeof(*info->rmrrs), GFP_KERNEL);
	info->all_scopes = kcalloc(cnt.scopes, sizeof(*info->all_scopes),
				   GFP_KERNEL);
	if ((cnt.drhds && !info->drhds) || (cnt.rmrrs && !info->rmrrs) ||
	    (cnt.scopes && !info->all_scopes)) {
		dmar_info_free(info);
		return -ENOMEM;
	}

	/* Firmware tables are immutable: pass two sees what pass one checked. */
	dmar_walk(table, table_len, info, &cnt, true);
	info->nr_drhds = cnt.drhds;
	info->nr_rmrrs = cnt.rmrrs;
	info->nr_other = cnt.other;
	return 0;
}

/**
 * dmar_info_free() - release what dmar_parse() allocated
 * @info: parsed table; safe to call twice
 */
void dmar_info_free(struct dmar_info *info)
{
	kfree(info->drhds);
	kfree(info->rmrrs);
	kfree(info->all_scopes);
	info->drhds = NULL;
	info->rmrrs = NULL;
	info->all_scopes = NULL;
	info->nr_drhds = 0;
	info->nr_rmrrs = 0;
}
