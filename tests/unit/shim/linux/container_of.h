/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SHIM_LINUX_CONTAINER_OF_H
#define SHIM_LINUX_CONTAINER_OF_H
#include <stddef.h>

/* The structure of type @type whose @member is at @ptr. */
#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif
