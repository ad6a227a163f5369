/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/device.h>: the name only. */
#ifndef SHIM_LINUX_DEVICE_H
#define SHIM_LINUX_DEVICE_H
struct device;
#endif
