/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/percpu.h>: SHIM_NR_CPUS emulated CPUs.
 * Each thread says which CPU it is with shim_set_cpu() (0 until it does);
 * a test gives every concurrent thread its own CPU, as the kernel's code
 * runs on one CPU at a time with interrupts off, so per-CPU data is never
 * shared between threads that run at once.
 *
 * alloc_percpu() counts as one kmalloc object (shim_kmalloc_outstanding)
 * and obeys shim_fail_alloc_after.  Copies are 64-byte aligned apart.
 */
#ifndef SHIM_LINUX_PERCPU_H
#define SHIM_LINUX_PERCPU_H
#include <stddef.h>

#define SHIM_NR_CPUS	64
#define __percpu

void *shim_alloc_percpu(size_t size);
void shim_free_percpu(void *ptr);

/*
 * Inline, as the kernel's are a few instructions: the benchmarks count
 * instructions per operation, and a call here would be most of them.
 */
extern __thread unsigned int shim_cpu;

static inline unsigned int shim_this_cpu(void)
{
	return shim_cpu;
}

/* The block's first 64 bytes hold the stride between CPUs' copies. */
static inline void *shim_per_cpu_ptr(void *ptr, unsigned int cpu)
{
	return (char *)ptr + *(size_t *)((char *)ptr - 64) * cpu;
}

#define alloc_percpu(type)	((type *)shim_alloc_percpu(sizeof(type)))
#define free_percpu(ptr)	shim_free_percpu(ptr)
#define per_cpu_ptr(ptr, cpu)						\
	((__typeof__(ptr))shim_per_cpu_ptr((ptr), (cpu)))
#define this_cpu_ptr(ptr)	per_cpu_ptr((ptr), shim_this_cpu())
#define raw_cpu_ptr(ptr)	this_cpu_ptr(ptr)
#define raw_smp_processor_id()	shim_this_cpu()
#define smp_processor_id()	shim_this_cpu()
#define num_possible_cpus()	SHIM_NR_CPUS
/*
 * Static per-CPU variables are thread-local: as each concurrent thread
 * plays its own CPU, a thread's copy is its CPU's (summing them is left
 * to tests that want it).
 */
#define DECLARE_PER_CPU(type, name)	extern __thread type name
#define DEFINE_PER_CPU(type, name)	__thread type name
#define this_cpu_add(var, n)		((var) += (n))
#define this_cpu_inc(var)		((var)++)
#define for_each_possible_cpu(cpu)					\
	for ((cpu) = 0; (cpu) < SHIM_NR_CPUS; (cpu)++)
#endif
