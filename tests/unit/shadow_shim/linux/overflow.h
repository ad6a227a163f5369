/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in: the sizes, without the kernel's saturation. */
#ifndef SHIM_LINUX_OVERFLOW_H
#define SHIM_LINUX_OVERFLOW_H
#include <stddef.h>

#define array_size(n, size)	((size_t)(n) * (size_t)(size))
#define struct_size(p, member, n) \
	(sizeof(*(p)) + sizeof(*(p)->member) * (size_t)(n))
#endif
