/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/local_lock.h>.  Each test thread is its
 * own CPU (<linux/percpu.h>) and there are no interrupts, so a CPU's data
 * is never reached by another thread while its owner runs: taking a local
 * lock only gives @flags a value, as local_irq_save() does here.
 */
#ifndef SHIM_LINUX_LOCAL_LOCK_H
#define SHIM_LINUX_LOCAL_LOCK_H

typedef struct {
	int unused;
} local_lock_t;

#define INIT_LOCAL_LOCK(lockname)	{ 0 }
#define local_lock_init(lock)		((void)(lock))
#define local_lock(lock)		((void)(lock))
#define local_unlock(lock)		((void)(lock))
#define local_lock_irqsave(lock, flags)	((void)(lock), (flags) = 0)
#define local_unlock_irqrestore(lock, flags)				\
	((void)(lock), (void)(flags))
#endif
