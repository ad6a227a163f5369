# SPDX-License-Identifier: GPL-2.0
# Guest part: I/O page-table pages go back when their mappings do (issue
# 15).  With the NVMe disk attached, under each allocator, fio writes and
# verifies (crc32c); once its unmaps are flushed the device's table pages
# must be back to what its standing mappings (queues) need, plus at most
# the emptied leaf tables kept for the next maps with their paths, and
# table_pages_needed (a walk) must agree; the high-water mark shows what
# the I/O took.  Then the same
# with reclaim_tables=0, the control: the tables stay.  Needs --device
# nvme, our own backend.
. "$(dirname "$0")/lib.sh"

# Table pages kept beyond need at most: VTD_KEPT_LEAVES (16, in
# src/vtd/pgtable.h) emptied leaf tables, each with its own level-2 and
# level-3 table at worst; and the root's path.
kept=$((16 * 3 + 1))

# field <name>: the disk's name=value in devices
field() { device_field "$nvme" "$1"; }

# run_io <name>: fio with verification; a check.
run_io() {
	out=$(fio_run "$1" bs=4k size=48M --rwmixread=50 --randrepeat=0 --iodepth=64 2>&1)
	rc=$?
	errs=$(echo "$out" | sed -n 's/.*err= *\([0-9]*\).*/\1/p' | head -n1)
	check "reclaim.$1.fio" "fio randrw 4k verify=crc32c: exit $rc err=${errs:-none}" \
		test $rc = 0 -a "${errs:-x}" = 0
}

/usr/local/sbin/modprobe nvme
wait_for 10 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)
grep -q '^scalable_iommu ' /proc/modules || load_module
expect_eq reclaim.knob-default 1 "$(cat $SIOMMU_SYSFS/reclaim_tables)"
expect_eq reclaim.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$nvme")"
wait_for 20 test -b /dev/nvme0n1
sleep 1
drain_batches
idle=$(field table_pages)
value reclaim.idle-table-pages "$idle"
freeing0=$(siommu_stat table_freeing_unmaps)

for a in kmalloc magazine rbtree linux identity; do
	expect_eq "reclaim.$a.allocator" ok "$(sysfs_write $SIOMMU_SYSFS/allocator $a)"
	freeing_before=$(siommu_stat table_freeing_unmaps)
	run_io "$a"
	drain_batches
	freed_by_last=$(( $(siommu_stat table_freeing_unmaps) - freeing_before ))
	after=$(field table_pages)
	needed=$(field table_pages_needed)
	value "reclaim.$a" "table_pages after=$after needed=$needed idle=$idle peak=$(field table_pages_peak) live_module=$(siommu_stat live_table_pages) peak_module=$(siommu_stat table_pages_peak)"
	# The kept tables at most beyond the standing ones.
	check "reclaim.$a.back" "table pages after the I/O: $after, idle $idle" \
		test "$after" -le $((idle + kept))
	# Beyond what the live mappings need: the kept tables at most.
	check "reclaim.$a.needed" "held $after, the mappings need $needed" \
		test "$needed" -ge 1 -a "$after" -ge "$needed" -a \
		"$after" -le $((needed + kept))
done
freed=$(( $(siommu_stat table_freeing_unmaps) - freeing0 ))
check reclaim.freeing-unmaps "unmaps that freed table pages: $freed" test "$freed" -gt 0

# The control: with reclamation off, emptied tables stay linked.  The
# same I/O under the last allocator (identity: its mappings spread over
# the most tables) freed tables with it on; with it off none may go.
check reclaim.on.identity-freed "with reclaim_tables=1, identity's I/O freed tables in $freed_by_last unmaps" \
	test "$freed_by_last" -gt 0
expect_eq reclaim.knob-off ok "$(sysfs_write $SIOMMU_SYSFS/reclaim_tables 0)"
before_off=$(field table_pages)
freeing_before=$(siommu_stat table_freeing_unmaps)
run_io off
drain_batches
after_off=$(field table_pages)
freed_off=$(( $(siommu_stat table_freeing_unmaps) - freeing_before ))
value reclaim.off "table_pages before=$before_off after=$after_off needed=$(field table_pages_needed) freeing_unmaps=$freed_off"
expect_eq reclaim.off.freed 0 "$freed_off"
check reclaim.off.kept "with reclaim_tables=0 no table goes: $after_off >= $before_off" \
	test "$after_off" -ge "$before_off"
expect_eq reclaim.knob-on ok "$(sysfs_write $SIOMMU_SYSFS/reclaim_tables 1)"
expect_eq reclaim.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$nvme")"
expect_eq reclaim.live-after-detach 0 "$(siommu_stat live_table_pages)"
