/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <trace/define_trace.h>: no second pass. */
