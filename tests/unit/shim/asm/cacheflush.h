/* SPDX-License-Identifier: GPL-2.0 */
/* Cache flushes are recorded (shim.c) so tests can check their coverage. */
#ifndef SHIM_ASM_CACHEFLUSH_H
#define SHIM_ASM_CACHEFLUSH_H
void clflush_cache_range(void *addr, unsigned int size);
#endif
