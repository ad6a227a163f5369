/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/spinlock.h>: a test-and-test-and-set lock
 * on one atomic word, as cheap uncontended as the kernel's (one atomic
 * exchange to lock, one store to unlock), which matters to the
 * instruction counts the benchmarks report.  ThreadSanitizer sees the
 * acquire/release pair.  A waiter yields the processor, since tests run
 * more threads than the machine has CPUs.  There are no interrupts to
 * mask: the irqsave variants only give @flags a value.
 */
#ifndef SHIM_LINUX_SPINLOCK_H
#define SHIM_LINUX_SPINLOCK_H
#include <sched.h>
#include <linux/irqflags.h>

typedef struct {
	int locked;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(name)	{ 0 }
#define DEFINE_SPINLOCK(name)	spinlock_t name = __SPIN_LOCK_UNLOCKED(name)

static inline void spin_lock_init(spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELAXED);
}

static inline void spin_lock(spinlock_t *lock)
{
	while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
			sched_yield();
}

static inline void spin_unlock(spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

#define spin_lock_irqsave(lock, flags) do {				\
	(flags) = 0;							\
	spin_lock(lock);						\
} while (0)

#define spin_unlock_irqrestore(lock, flags) do {			\
	(void)(flags);							\
	spin_unlock(lock);						\
} while (0)
#endif
