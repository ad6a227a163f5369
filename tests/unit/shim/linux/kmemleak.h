/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/kmemleak.h>: there is no leak scanner. */
#ifndef SHIM_LINUX_KMEMLEAK_H
#define SHIM_LINUX_KMEMLEAK_H

static inline void kmemleak_ignore(const void *ptr)
{
	(void)ptr;
}
#endif
