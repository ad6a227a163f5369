/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SHIM_LINUX_VMALLOC_H
#define SHIM_LINUX_VMALLOC_H
#include <linux/slab.h>

#define vzalloc(size)	kzalloc((size), GFP_KERNEL)
#define vfree(p)	kfree(p)
#endif
