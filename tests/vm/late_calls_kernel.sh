# SPDX-License-Identifier: GPL-2.0
# Guest part: late DMA API calls on the kernel backend (issue 14), where
# a device is in one domain at a time, so a detach with mappings out
# keeps the device in its old domain, translated, with no driver, until
# the last mapping is back (see src/attach.c).
# siommu_late_test (tests/vm/edu/siommu_late_test.c) holds buffers of the
# edu device across detach and re-attach and gives them back late.
#   1. attach, alloc A, detach: handing back (driver left unbound, the
#      module pinned); attach again takes the same domain back and binds
#      the driver; map B: its own IOVA, DMA reaches it; free A late;
#   2. with no driver bound: alloc and map, detach; a new map is still
#      translated by the old domain; the late frees drain it, the reaper
#      hands the device back to the kernel's driver (no driver probed:
#      none was bound) and the module unloads.
# Needs --device edu, a default boot.
. "$(dirname "$0")/lib.sh"
LATE=/sys/kernel/siommu_late_test

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
expect_eq klate.backend kernel "$(cat $SIOMMU_SYSFS/backend)"
bad0=$(siommu_stat bad_unmaps)

# 1. Detach with A out, attach again.
echo rbtree >$SIOMMU_SYSFS/allocator
echo strict >$SIOMMU_SYSFS/invalidation
expect_eq klate.reattach.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$bdf")"
check klate.reattach.rebound "edu_test bound again" wait_for 5 test -e "$edu/edu_test"
a=$(late_cmd alloc "$bdf")
value klate.reattach.a "$a"
log_mark
expect_eq klate.reattach.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$bdf")"
check klate.reattach.reported "detach says it stays in its old domain" \
	sh -c 'echo "$1" | grep -q "1 DMA mapping(s) still out: it stays in its old domain"' _ "$(log_since)"
d=$(draining_of "$bdf")
value klate.reattach.draining "${d:-none}"
expect_eq klate.reattach.draining-mappings 1 "$(unit_field "$d" mappings)"
check klate.reattach.still-translated "draining says translated" \
	sh -c 'echo "$1" | grep -q " translated$"' _ "$d"
check klate.reattach.no-driver "no driver while handing back" \
	test ! -e "$edu/driver"
check klate.reattach.module-pinned "rmmod refused" \
	sh -c '! /usr/local/sbin/rmmod scalable_iommu 2>/dev/null'
expect_eq klate.reattach.attach-again ok "$(sysfs_write $SIOMMU_SYSFS/attach "$bdf")"
check klate.reattach.old-domain-back "draining no longer lists $bdf" \
	sh -c "! grep -q '^$bdf ' $SIOMMU_SYSFS/draining"
check klate.reattach.rebound-again "edu_test bound again" \
	wait_for 5 test -e "$edu/edu_test"
b=$(late_cmd map "$bdf")
value klate.reattach.b "$b"
check klate.reattach.distinct-iova "B $(unit_field "$b" handle) is not A's $(unit_field "$a" handle)" \
	test "$(unit_field "$b" handle)" != "$(unit_field "$a" handle)"
check klate.reattach.free-a "late free of A" late_cmd free "$(unit_field "$a" id)"
r=$(late_cmd dma "$(unit_field "$b" id)")
value klate.reattach.dma "$r"
expect_eq klate.reattach.dma-reaches-b ok "$(echo "$r" | cut -d' ' -f3)"
check klate.reattach.free-b "free of B" late_cmd free "$(unit_field "$b" id)"
expect_eq klate.reattach.outstanding 0 "$(siommu_stat outstanding)"
log_mark
expect_eq klate.reattach.detach-again ok "$(sysfs_write $SIOMMU_SYSFS/detach "$bdf")"
check klate.reattach.handed-back "nothing out: handed back at once" \
	sh -c 'echo "$1" | grep -q "handed back to the kernel.s IOMMU driver"' _ "$(log_since)"
check klate.reattach.driver-back "edu_test bound on the kernel's domain" \
	wait_for 5 test -e "$edu/edu_test"

# 2. No driver bound: C and M out across the detach.
echo "$bdf" >/sys/bus/pci/drivers/siommu_edu_test/unbind
echo magazine >$SIOMMU_SYSFS/allocator
echo percpu >$SIOMMU_SYSFS/invalidation
expect_eq klate.detached.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$bdf")"
c=$(late_cmd alloc "$bdf")
m=$(late_cmd map "$bdf")
value klate.detached.c "$c"
expect_eq klate.detached.outstanding-before 2 "$(siommu_stat outstanding)"
expect_eq klate.detached.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$bdf")"
expect_eq klate.detached.draining-mappings 2 \
	"$(unit_field "$(draining_of "$bdf")" mappings)"
n=$(late_cmd map "$bdf")
value klate.detached.new-map "$n"
check klate.detached.new-map-translated "handle $(unit_field "$n" handle) != phys $(unit_field "$n" phys)" \
	test -n "$(unit_field "$n" handle)" -a \
	"$(unit_field "$n" handle)" != "$(unit_field "$n" phys)"
check klate.detached.free-new "free of the new map" late_cmd free "$(unit_field "$n" id)"
check klate.detached.free-c "late coherent free" late_cmd free "$(unit_field "$c" id)"
log_mark
check klate.detached.unmap-m "late unmap" late_cmd free "$(unit_field "$m" id)"
check klate.detached.drained "draining empties" \
	wait_for 5 sh -c "[ -z \"\$(cat $SIOMMU_SYSFS/draining)\" ]"
check klate.detached.reaper-says "the reaper hands it back" \
	sh -c 'dmesg | tail -n 20 | grep -q "handed back to the kernel.s IOMMU driver"'
check klate.detached.no-driver-probed "none was bound: none probed" \
	test ! -e "$edu/driver"
expect_eq klate.detached.bad-unmaps 0 $(( $(siommu_stat bad_unmaps) - bad0 ))
f=$(late_cmd alloc "$bdf")
value klate.detached.own-ops "$f"
check klate.detached.own-ops-back "ops $(unit_field "$f" ops): the kernel's" \
	sh -c '! echo "$1" | grep -q scalable_iommu' _ "$(unit_field "$f" ops)"
check klate.detached.own-ops-translated "the kernel translates: handle $(unit_field "$f" handle) != phys $(unit_field "$f" phys)" \
	test -n "$(unit_field "$f" handle)" -a \
	"$(unit_field "$f" handle)" != "$(unit_field "$f" phys)"
check klate.detached.free-f "free on the device's own ops" \
	late_cmd free "$(unit_field "$f" id)"
check klate.unload "the module unloads once drained" unload_module
echo "$bdf" >/sys/bus/pci/drivers/siommu_edu_test/bind
