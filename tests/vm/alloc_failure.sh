# SPDX-License-Identifier: GPL-2.0
# Guest part: the fail_alloc_ppm debug knob.  Bad values are refused and
# change nothing.  With 5% of page-table, magazine and IOVA-node
# allocations failing, fio --verify on the attached disk (each pair that
# allocates: rbtree, magazine, kmalloc) and iperf3 between the attached
# NICs keep working: maps fail (map_errors grows, injected_failures
# counts them), drivers retry (NVMe requeues) or drop (e1000e), no data
# is corrupted, nothing crashes, and after detach nothing is left
# (outstanding, live_table_pages, live_magazines read 0).
# Needs --device nvme --device nics.
. "$(dirname "$0")/lib.sh"
IP=/usr/sbin/ip
KNOB=/sys/module/scalable_iommu/parameters/fail_alloc_ppm

disk_and_nics
grep -q '^scalable_iommu ' /proc/modules || load_module

expect_eq fail.knob-default 0 "$(cat $KNOB)"
for v in 1000001 -1 abc 4294967296 ' ' '1 2'; do
	r=$(sysfs_write $KNOB "$v")
	check "fail.knob-refused.'$v'" "$r; still $(cat $KNOB)" \
		test "$r" = "Invalid argument" -a "$(cat $KNOB)" = 0
done

for dev in $nvme $nics; do
	expect_eq "fail.attach.$dev" ok "$(sysfs_write $SIOMMU_SYSFS/attach "$dev")"
done
wait_for 20 test -b /dev/nvme0n1
set -- $nics
wait_for 10 sh -c "ls /sys/bus/pci/devices/$2/net >/dev/null"
check fail.link "NIC pair up" nic_pair_up "$(ls /sys/bus/pci/devices/$1/net)" \
	"$(ls /sys/bus/pci/devices/$2/net)"

errors0=$(siommu_stat map_errors)
inj0=$(siommu_stat injected_failures)
expect_eq fail.knob-on ok "$(sysfs_write $KNOB 50000)"
for pair in rbtree+strict magazine+percpu kmalloc+deferred; do
	sysfs_write $SIOMMU_SYSFS/allocator "${pair%+*}" >/dev/null
	sysfs_write $SIOMMU_SYSFS/invalidation "${pair#*+}" >/dev/null
	e0=$(siommu_stat map_errors)
	out=$(fio_run fail size=16M jobs=2 --offset_increment=64M 2>&1)
	rc=$?
	check "fail.fio.$pair" "fio --verify with 5% allocations failing: exit $rc, $(( $(siommu_stat map_errors) - e0 )) maps refused" \
		sh -c '[ "$1" = 0 ] && echo "$2" | grep -q "err= 0"' _ "$rc" "$out"
done
$IP netns exec peer /usr/bin/iperf3 -s -D -1 >/dev/null 2>&1
sleep 0.5
rate=$(/usr/bin/iperf3 -c $PEER_IP -t 3 -f m 2>&1 |
	sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver/\1/p')
check fail.iperf3 "iperf3 with allocations failing: ${rate:-none} Mbit/s" test -n "$rate"
expect_eq fail.knob-off ok "$(sysfs_write $KNOB 0)"
inj=$(( $(siommu_stat injected_failures) - inj0 ))
errs=$(( $(siommu_stat map_errors) - errors0 ))
value fail.injected "$inj"
value fail.map_errors "$errs"
check fail.injected "failures injected: $inj, maps refused: $errs" \
	test "$inj" -gt 0 -a "$errs" -gt 0
check fail.no-faults "no DMA fault" test "$(siommu_stat faults)" = 0

$IP netns del peer
expect_eq fail.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach all)"
check fail.idle "outstanding, live_table_pages, live_magazines after detach: $(siommu_stat outstanding) $(siommu_stat live_table_pages) $(siommu_stat live_magazines)" \
	test "$(siommu_stat outstanding) $(siommu_stat live_table_pages) $(siommu_stat live_magazines)" = "0 0 0"
