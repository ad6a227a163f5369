# SPDX-License-Identifier: GPL-2.0
# Guest part: DMA API calls that come after the device changed hands.
# siommu_late_test (tests/vm/edu/siommu_late_test.c) holds buffers of the
# edu device across detach and re-attach and gives them back late, as
# page pools and a controller's last reference do.
#   1. attach, alloc A, detach, attach again, map B, free A late: B keeps
#      its own IOVA and the device's DMA still reaches it, no fault;
#   2. with no driver bound: alloc and map, detach (the module stays in
#      use), a new map goes untranslated, the late frees reach the old
#      domain (late_calls), it drains, the device gets its own ops back
#      and the module unloads.
# Needs --device edu.
. "$(dirname "$0")/lib.sh"
LATE=/sys/kernel/siommu_late_test

# late_cmd <command...>: run it, print its result line; fails when the
# command did.
late_cmd() {
	_r=$(sysfs_write $LATE/command "$*")
	cat $LATE/result
	[ "$_r" = ok ]
}
draining_of() { grep "^$1 " $SIOMMU_SYSFS/draining; }

/usr/local/sbin/insmod /test-modules/siommu_late_test.ko
grep -q '^siommu_edu_test ' /proc/modules || edu_load
edu=$(edu_dev)
bdf=${edu##*/}
grep -q '^scalable_iommu ' /proc/modules || load_module
faults0=$(siommu_stat faults)
bad0=$(siommu_stat bad_unmaps)

# 1. Re-attach with a late handle out.  rbtree hands a fresh domain the
#    same IOVA again, so a new domain would give B the IOVA of A.
echo rbtree >$SIOMMU_SYSFS/allocator
echo strict >$SIOMMU_SYSFS/invalidation
expect_eq late.reattach.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$bdf")"
check late.reattach.rebound "edu_test bound again" wait_for 5 test -e "$edu/edu_test"
a=$(late_cmd alloc "$bdf")
value late.reattach.a "$a"
expect_eq late.reattach.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$bdf")"
d=$(draining_of "$bdf")
value late.reattach.draining "${d:-none}"
expect_eq late.reattach.draining-mappings 1 "$(unit_field "$d" mappings)"
expect_eq late.reattach.attach-again ok "$(sysfs_write $SIOMMU_SYSFS/attach "$bdf")"
check late.reattach.old-domain-back "draining no longer lists $bdf" \
	sh -c "! grep -q '^$bdf ' $SIOMMU_SYSFS/draining"
check late.reattach.rebound-again "edu_test bound again" \
	wait_for 5 test -e "$edu/edu_test"
b=$(late_cmd map "$bdf")
value late.reattach.b "$b"
check late.reattach.distinct-iova "B $(unit_field "$b" handle) is not A's $(unit_field "$a" handle)" \
	test "$(unit_field "$b" handle)" != "$(unit_field "$a" handle)"
check late.reattach.free-a "late free of A" late_cmd free "$(unit_field "$a" id)"
r=$(late_cmd dma "$(unit_field "$b" id)")
value late.reattach.dma "$r"
expect_eq late.reattach.dma-reaches-b ok "$(echo "$r" | cut -d' ' -f3)"
expect_eq late.reattach.faults 0 $(( $(siommu_stat faults) - faults0 ))
check late.reattach.free-b "free of B" late_cmd free "$(unit_field "$b" id)"
expect_eq late.reattach.outstanding 0 "$(siommu_stat outstanding)"
expect_eq late.reattach.detach-again ok "$(sysfs_write $SIOMMU_SYSFS/detach "$bdf")"

# 2. Detach with mappings out, no driver bound: the late frees reach the
#    old domain (before, a coherent free released the page whose frame
#    number was the IOVA: an oops).  magazine + percpu: ranges come back
#    through per-CPU batches.
echo "$bdf" >/sys/bus/pci/drivers/siommu_edu_test/unbind
echo magazine >$SIOMMU_SYSFS/allocator
echo percpu >$SIOMMU_SYSFS/invalidation
expect_eq late.detached.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$bdf")"
c=$(late_cmd alloc "$bdf")
m=$(late_cmd map "$bdf")
value late.detached.c "$c"
value late.detached.m "$m"
expect_eq late.detached.outstanding-before 2 "$(siommu_stat outstanding)"
late0=$(siommu_stat late_calls)
log_mark
expect_eq late.detached.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$bdf")"
check late.detached.reported "detach says mappings are still out" \
	sh -c "dmesg | tail -n +$((log_from + 1)) | grep -q 'handed back with 2 DMA mapping(s) still out'"
expect_eq late.detached.draining-mappings 2 \
	"$(unit_field "$(draining_of "$bdf")" mappings)"
check late.detached.module-pinned "rmmod refused while mappings are out" \
	sh -c '! /usr/local/sbin/rmmod scalable_iommu 2>/dev/null'
n=$(late_cmd map "$bdf")
value late.detached.new-map "$n"
check late.detached.new-map-untranslated "handle $(unit_field "$n" handle) = phys $(unit_field "$n" phys)" \
	test -n "$(unit_field "$n" handle)" -a \
	"$(unit_field "$n" handle)" = "$(unit_field "$n" phys)"
check late.detached.free-new "free of the untranslated map" \
	late_cmd free "$(unit_field "$n" id)"
expect_eq late.detached.not-late 0 $(( $(siommu_stat late_calls) - late0 ))
check late.detached.free-c "late coherent free" late_cmd free "$(unit_field "$c" id)"
check late.detached.unmap-m "late unmap" late_cmd free "$(unit_field "$m" id)"
expect_eq late.detached.late-calls 2 $(( $(siommu_stat late_calls) - late0 ))
check late.detached.drained "draining empties" \
	wait_for 5 sh -c "[ -z \"\$(cat $SIOMMU_SYSFS/draining)\" ]"
expect_eq late.detached.outstanding-after 0 "$(siommu_stat outstanding)"
expect_eq late.detached.bad-unmaps 0 $(( $(siommu_stat bad_unmaps) - bad0 ))
f=$(late_cmd alloc "$bdf")
value late.detached.own-ops "$f"
expect_eq late.detached.own-ops-back direct "$(unit_field "$f" ops)"
check late.detached.own-ops-untranslated "handle $(unit_field "$f" handle) = phys $(unit_field "$f" phys)" \
	test -n "$(unit_field "$f" handle)" -a \
	"$(unit_field "$f" handle)" = "$(unit_field "$f" phys)"
check late.detached.free-f "free on the device's own ops" \
	late_cmd free "$(unit_field "$f" id)"
expect_eq late.faults 0 $(( $(siommu_stat faults) - faults0 ))
check late.unload "the module unloads once drained" unload_module
echo "$bdf" >/sys/bus/pci/drivers/siommu_edu_test/bind
