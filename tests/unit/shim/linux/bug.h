/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/bug.h>.  WARN_ON_ONCE prints once per
 * call site, as the kernel's does, and counts every time its condition
 * holds: shim_warnings() (shim.h) lets a test see it fire.
 */
#ifndef SHIM_LINUX_BUG_H
#define SHIM_LINUX_BUG_H
#include <stdbool.h>

void shim_warn(const char *file, int line, bool *once);

#define WARN_ON_ONCE(cond) ({						\
	static bool __warned;						\
	bool __c = !!(cond);						\
									\
	if (__c)							\
		shim_warn(__FILE__, __LINE__, &__warned);		\
	__c;								\
})
#endif
