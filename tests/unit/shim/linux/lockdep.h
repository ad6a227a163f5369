/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/lockdep.h>: lockdep_assert_held() checks
 * what the shim's locks can tell.  A spinlock_t must be held (by some
 * thread: the shim does not record which).  A local_lock_t is no lock
 * here (<linux/local_lock.h>), so nothing is checked for it.
 */
#ifndef SHIM_LINUX_LOCKDEP_H
#define SHIM_LINUX_LOCKDEP_H
#include <assert.h>
#include <linux/local_lock.h>
#include <linux/spinlock.h>

static inline void shim_assert_spin_held(spinlock_t *lock)
{
	assert(__atomic_load_n(&lock->locked, __ATOMIC_RELAXED));
}

static inline void shim_assert_local_held(local_lock_t *lock)
{
}

#define lockdep_assert_held(l)						\
	_Generic((l),							\
		 spinlock_t *: shim_assert_spin_held,			\
		 local_lock_t *: shim_assert_local_held)(l)
#endif
