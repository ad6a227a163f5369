/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the part of <linux/xarray.h> shadow.c uses: a
 * small unsorted array of index -> entry pairs, for test_shadow (one
 * thread; its "CPUs" take turns), so its lock is nothing.
 */
#ifndef SHIM_LINUX_XARRAY_H
#define SHIM_LINUX_XARRAY_H
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <linux/gfp.h>

#define XA_FLAGS_LOCK_IRQ	0
#define SHIM_XA_MAX		4096

struct xarray {
	unsigned int n;
	unsigned long *index;
	void **entry;
};

static inline void xa_init_flags(struct xarray *xa, unsigned int flags)
{
	xa->n = 0;
	xa->index = calloc(SHIM_XA_MAX, sizeof(*xa->index));
	xa->entry = calloc(SHIM_XA_MAX, sizeof(*xa->entry));
}

static inline void xa_destroy(struct xarray *xa)
{
	free(xa->index);
	free(xa->entry);
	xa->index = NULL;
	xa->entry = NULL;
	xa->n = 0;
}

static inline bool xa_empty(const struct xarray *xa)
{
	return !xa->n;
}

static inline int shim_xa_find(const struct xarray *xa, unsigned long index)
{
	unsigned int i;

	for (i = 0; i < xa->n; i++)
		if (xa->index[i] == index)
			return i;
	return -1;
}

static inline void *xa_load(struct xarray *xa, unsigned long index)
{
	int i = shim_xa_find(xa, index);

	return i < 0 ? NULL : xa->entry[i];
}

extern bool shim_xa_insert_fails;	/* test_shadow.c: the next fails */

static inline int __xa_insert(struct xarray *xa, unsigned long index,
			      void *entry, gfp_t gfp)
{
	if (shim_xa_insert_fails) {
		shim_xa_insert_fails = false;
		return -ENOMEM;
	}
	if (shim_xa_find(xa, index) >= 0)
		return -EBUSY;
	if (xa->n == SHIM_XA_MAX)
		return -ENOMEM;
	xa->index[xa->n] = index;
	xa->entry[xa->n++] = entry;
	return 0;
}

static inline void *__xa_erase(struct xarray *xa, unsigned long index)
{
	int i = shim_xa_find(xa, index);
	void *old;

	if (i < 0)
		return NULL;
	old = xa->entry[i];
	xa->n--;
	xa->index[i] = xa->index[xa->n];
	xa->entry[i] = xa->entry[xa->n];
	return old;
}

static inline void *__xa_cmpxchg(struct xarray *xa, unsigned long index,
				 void *old, void *entry, gfp_t gfp)
{
	void *cur = xa_load(xa, index);

	if (cur == old && !entry)
		__xa_erase(xa, index);
	return cur;
}

#define xa_lock_irqsave(xa, flags)	((void)(flags))
#define xa_unlock_irqrestore(xa, flags)	((void)(flags))

/* Backwards: the body may erase the entry it is at. */
#define xa_for_each(xa, idx, ent)					\
	for (unsigned int shim_i = (xa)->n; shim_i-- > 0 &&		\
	     ((idx) = (xa)->index[shim_i], (ent) = (xa)->entry[shim_i], 1);)
#endif
