/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/compiler.h>: READ_ONCE and WRITE_ONCE. */
#ifndef SHIM_LINUX_COMPILER_H
#define SHIM_LINUX_COMPILER_H
#include <linux/atomic.h>
#endif
