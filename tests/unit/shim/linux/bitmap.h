/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/bitmap.h>.  Nothing the harness builds
 * uses a bitmap yet; the kernel's header brings min()/max() with it.
 */
#ifndef SHIM_LINUX_BITMAP_H
#define SHIM_LINUX_BITMAP_H
#include <linux/bits.h>
#include <linux/minmax.h>
#endif
