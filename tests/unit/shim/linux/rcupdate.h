/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for RCU, built to be exact rather than fast: a read
 * section holds a process-wide reader lock; a callback runs only once the
 * writer side of that lock was had after it was queued, so every reader
 * that could see the old data has left.  ThreadSanitizer sees the lock,
 * so a callback that frees memory a reader still uses is reported.
 * call_rcu() runs what is due when it can without waiting; rcu_barrier()
 * waits and runs everything.
 *
 * Built with SHIM_FAST_RCU (the single-threaded benchmarks only), a read
 * section is a nesting count, about what the kernel's costs, so that the
 * instructions counted are the code's and not a lock's; callbacks then
 * run at the next call_rcu() outside every section, or rcu_barrier().
 */
#ifndef SHIM_LINUX_RCUPDATE_H
#define SHIM_LINUX_RCUPDATE_H

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

/* Read sections the calling thread is in. */
extern __thread unsigned int shim_rcu_nesting;

#ifdef SHIM_FAST_RCU

static inline void rcu_read_lock(void)
{
	shim_rcu_nesting++;
}

static inline void rcu_read_unlock(void)
{
	shim_rcu_nesting--;
}
#else
void rcu_read_lock(void);
void rcu_read_unlock(void);
#endif
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void synchronize_rcu(void);
void rcu_barrier(void);
#endif
