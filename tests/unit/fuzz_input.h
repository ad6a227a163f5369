/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzz targets' reader of libFuzzer's input: bytes taken in order,
 * 0 once it is used up, so that every read is defined and a short input
 * is just a run that ends early.
 */
#ifndef SIOMMU_FUZZ_INPUT_H
#define SIOMMU_FUZZ_INPUT_H
#include <stddef.h>
#include <linux/types.h>

struct input {
	const u8 *p;
	size_t left;
};

static inline u8 in_u8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* @n bytes, little-endian. */
static inline u64 in_bytes(struct input *in, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)in_u8(in) << (8 * i);
	return v;
}

static inline u16 in_u16(struct input *in)
{
	return in_bytes(in, 2);
}
#endif
