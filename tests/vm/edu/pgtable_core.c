// SPDX-License-Identifier: GPL-2.0
/*
 * src/vtd/pgtable.c as it is, compiled into the sparse-stress test module
 * (siommu_pgtable_stress, pgtable_stress.c): the same source as the
 * module's and the userspace harness's, here over the real kernel's page
 * allocator, RCU and KASAN.  Included rather than linked so that the
 * object lands in this directory, not beside the module's own.
 */
#include "../../../src/vtd/pgtable.c"
