/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/spinlock.h> over a pthread mutex, which
 * ThreadSanitizer understands.  There are no interrupts to mask: the
 * irqsave variants only give @flags a value.
 */
#ifndef SHIM_LINUX_SPINLOCK_H
#define SHIM_LINUX_SPINLOCK_H
#include <pthread.h>
#include <linux/irqflags.h>

typedef struct {
	pthread_mutex_t m;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(name)	{ PTHREAD_MUTEX_INITIALIZER }
#define DEFINE_SPINLOCK(name)	spinlock_t name = __SPIN_LOCK_UNLOCKED(name)

#define spin_lock_init(lock)	pthread_mutex_init(&(lock)->m, NULL)
#define spin_lock(lock)		pthread_mutex_lock(&(lock)->m)
#define spin_unlock(lock)	pthread_mutex_unlock(&(lock)->m)

#define spin_lock_irqsave(lock, flags) do {				\
	(flags) = 0;							\
	pthread_mutex_lock(&(lock)->m);					\
} while (0)

#define spin_unlock_irqrestore(lock, flags) do {			\
	(void)(flags);							\
	pthread_mutex_unlock(&(lock)->m);				\
} while (0)
#endif
