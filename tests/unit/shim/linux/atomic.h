/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-ins for the kernel's atomics, on the compiler's builtins. */
#ifndef SHIM_LINUX_ATOMIC_H
#define SHIM_LINUX_ATOMIC_H
#include <linux/types.h>

typedef struct { long counter; } atomic_long_t;
#define ATOMIC_LONG_INIT(v)	{ (v) }

#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* The kernel's cmpxchg is a full barrier and returns the old value. */
#define cmpxchg64(ptr, old, new) ({					\
	__typeof__(*(ptr)) __old = (old);				\
	__atomic_compare_exchange_n((ptr), &__old, (new), false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__old;								\
})
#define cmpxchg(ptr, old, new)	cmpxchg64(ptr, old, new)
#define xchg(ptr, v)	__atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST)

static inline void atomic_long_set(atomic_long_t *a, long v)
{
	__atomic_store_n(&a->counter, v, __ATOMIC_RELAXED);
}

static inline long atomic_long_read(const atomic_long_t *a)
{
	return __atomic_load_n(&a->counter, __ATOMIC_RELAXED);
}

static inline void atomic_long_inc(atomic_long_t *a)
{
	__atomic_fetch_add(&a->counter, 1, __ATOMIC_RELAXED);
}

static inline void atomic_long_dec(atomic_long_t *a)
{
	__atomic_fetch_sub(&a->counter, 1, __ATOMIC_RELAXED);
}

static inline long atomic_long_inc_return(atomic_long_t *a)
{
	return __atomic_add_fetch(&a->counter, 1, __ATOMIC_SEQ_CST);
}

/* Store @new if the value is @old (a full barrier); the value found. */
static inline long atomic_long_cmpxchg(atomic_long_t *a, long old, long new)
{
	__atomic_compare_exchange_n(&a->counter, &old, new, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return old;
}

typedef struct { int counter; } atomic_t;

static inline void atomic_set(atomic_t *a, int v)
{
	__atomic_store_n(&a->counter, v, __ATOMIC_SEQ_CST);
}

static inline int atomic_read(const atomic_t *a)
{
	return __atomic_load_n(&a->counter, __ATOMIC_RELAXED);
}

static inline int atomic_cmpxchg(atomic_t *a, int old, int new)
{
	__atomic_compare_exchange_n(&a->counter, &old, new, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return old;
}

/*
 * Add @v to *@c unless it is @u; true when it added (a full barrier).
 * Both widths: atomic_add_unless(), atomic_long_add_unless().
 */
#define shim_add_unless(c, v, u) ({					\
	__typeof__(*(c)) __old = __atomic_load_n((c), __ATOMIC_RELAXED);	\
	bool __added = false;						\
									\
	while (!__added && __old != (u))				\
		__added = __atomic_compare_exchange_n((c), &__old,	\
				__old + (v), false, __ATOMIC_SEQ_CST,	\
				__ATOMIC_RELAXED);			\
	__added;							\
})

static inline bool atomic_add_unless(atomic_t *a, int v, int u)
{
	return shim_add_unless(&a->counter, v, u);
}

static inline void atomic_dec(atomic_t *a)
{
	__atomic_fetch_sub(&a->counter, 1, __ATOMIC_SEQ_CST);
}

static inline bool atomic_long_add_unless(atomic_long_t *a, long v, long u)
{
	return shim_add_unless(&a->counter, v, u);
}
#endif
