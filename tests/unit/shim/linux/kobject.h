/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/kobject.h>: the name only. */
#ifndef SHIM_LINUX_KOBJECT_H
#define SHIM_LINUX_KOBJECT_H
struct kobject;
#endif
