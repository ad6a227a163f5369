/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/irqflags.h>.  There are no interrupts:
 * masking them only gives @flags a value.  Per-CPU data stays private to
 * one thread as each test thread is its own CPU (<linux/percpu.h>).
 */
#ifndef SHIM_LINUX_IRQFLAGS_H
#define SHIM_LINUX_IRQFLAGS_H
#define local_irq_save(flags)		((flags) = 0)
#define local_irq_restore(flags)	((void)(flags))
#endif
