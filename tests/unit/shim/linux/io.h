/* SPDX-License-Identifier: GPL-2.0 */
/* In the harness a "physical" address is the virtual one. */
#ifndef SHIM_LINUX_IO_H
#define SHIM_LINUX_IO_H
#include <linux/types.h>

static inline u64 virt_to_phys(const void *p)
{
	return (u64)(uintptr_t)p;
}

static inline void *phys_to_virt(u64 phys)
{
	return (void *)(uintptr_t)phys;
}
#endif
