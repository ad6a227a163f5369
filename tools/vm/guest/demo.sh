# SPDX-License-Identifier: GPL-2.0
# Guest side of "make demo": load scalable_iommu, hand it an NVMe disk and
# two e1000e NICs, move verified data through its translation, show what
# happened, hand everything back.
# tests/vm/lib.sh: tools/vm/vm-run puts it beside every scenario.
. "$(dirname "$0")/lib.sh"
IP=/usr/sbin/ip

say() { printf '\n== %s\n' "$*"; }
klog() { log_since | grep -E "$1" | sed 's/^\[[^]]*\] /  /'; }
stats() {
	for f in maps unmaps pages_mapped iotlb_flushes map_errors faults; do
		printf '  %-14s %s\n' "$f" "$(siommu_stat $f)"
	done
}

say "Guest: Debian kernel $(uname -r), $(nproc) vCPUs, command line: $(cat /proc/cmdline)"
say "Loading Debian's stock drivers: nvme, e1000e"
/usr/local/sbin/modprobe -a nvme e1000e
wait_for 10 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)
nics=$(ls -d /sys/bus/pci/drivers/e1000e/0000:* | xargs -n1 basename)
echo "  NVMe at $nvme; NICs at $(echo $nics)"

say "What the kernel did with the VT-d unit at boot (DMA remapping off, interrupt remapping on)"
dmesg | grep -E 'DMAR: (dmar0|IOMMU)|DMAR-IR: Enabled' | sed 's/^\[[^]]*\] /  /'

say "insmod scalable_iommu.ko"
log_mark
if ! load_module; then
	fail demo.load "insmod failed"
	finish
fi
klog 'scalable_iommu: '
say "/sys/kernel/scalable_iommu/units"
tr ' ' '\n' <$SIOMMU_SYSFS/units | grep -v '^scope=' | sed 's/^/    /'
echo "  allocator:    $(cat $SIOMMU_SYSFS/allocator)"
echo "  invalidation: $(cat $SIOMMU_SYSFS/invalidation)"

say "Attaching the NVMe disk and both NICs (each driver is unbound, switched, rebound)"
log_mark
for dev in $nvme $nics; do
	echo "  echo $dev > $SIOMMU_SYSFS/attach: $(sysfs_write $SIOMMU_SYSFS/attach "$dev")"
done
wait_for 20 test -b /dev/nvme0n1
klog 'attached|RMRR'
echo "  $SIOMMU_SYSFS/devices:"
sed 's/^/    /' $SIOMMU_SYSFS/devices

say "fio: random read/write, 4 KiB, queue depth 16, crc32c-verified, through our page tables"
out=$(fio_run demo size=32M 2>&1)
rc=$?
echo "$out" | grep -E 'err=|IOPS=' | sed 's/^ */  /'
check demo.fio "fio exit $rc, every block verified, no DMA fault" \
	sh -c '[ "$1" = 0 ] && echo "$2" | grep -q "err= 0" && [ "$3" = 0 ]' \
	_ "$rc" "$out" "$(siommu_stat faults)"

say "iperf3 between the two NICs (one moved into a network namespace, linked by a QEMU hub)"
a=$(ls /sys/bus/pci/devices/$(echo $nics | cut -d' ' -f1)/net)
b=$(ls /sys/bus/pci/devices/$(echo $nics | cut -d' ' -f2)/net)
nic_pair_up "$a" "$b"
$IP netns exec peer /usr/bin/iperf3 -s -D -1 >/dev/null 2>&1
sleep 0.5
/usr/bin/iperf3 -c $PEER_IP -t 3 -f m 2>&1 | grep -E 'sender|receiver' |
	sed 's/^/  /'
$IP netns del peer

say "Counters (/sys/kernel/scalable_iommu/stats)"
stats

say "Swapping allocator x invalidation policy live, fio 4k random reads (2 jobs, 3 s) on each pair"
echo "  every switch happens with the disk and both NICs attached and in use"
printf '  %-9s %-9s %8s %12s %10s %9s\n' allocator policy IOPS flushes/1k batches fallbacks
for al in $(tr -d '[]' <$SIOMMU_SYSFS/allocator); do
	for po in $(tr -d '[]' <$SIOMMU_SYSFS/invalidation); do
		sysfs_write $SIOMMU_SYSFS/allocator "$al" >/dev/null
		sysfs_write $SIOMMU_SYSFS/invalidation "$po" >/dev/null
		u0=$(siommu_stat unmaps) f0=$(siommu_stat iotlb_flushes) b0=$(siommu_stat batches)
		fb0=$(siommu_stat fallbacks)
		iops=$(fio_run swap rw=randread runtime=3 jobs=2 verify=off 2>&1 |
			sed -n 's/.*IOPS=\([0-9.k]*\).*/\1/p' | head -n1)
		u=$(( $(siommu_stat unmaps) - u0 ))
		printf '  %-9s %-9s %8s %12s %10s %9s\n' "$al" "$po" "${iops:-?}" \
			$(( ($(siommu_stat iotlb_flushes) - f0) * 1000 / (u > 0 ? u : 1) )) \
			$(( $(siommu_stat batches) - b0 )) $(( $(siommu_stat fallbacks) - fb0 ))
	done
done
echo "  (flushes/1k: IOTLB invalidations per 1000 unmaps.  IOPS under TCG"
echo "   are noisy, one short run each: an illustration, not a benchmark)"
check demo.swaps "no DMA fault across the swaps" test "$(siommu_stat faults)" = 0
sysfs_write $SIOMMU_SYSFS/allocator rbtree >/dev/null
sysfs_write $SIOMMU_SYSFS/invalidation strict >/dev/null

say "Detach everything, unload"
log_mark
for dev in $nvme $nics; do
	echo "  echo $dev > $SIOMMU_SYSFS/detach: $(sysfs_write $SIOMMU_SYSFS/detach "$dev")"
done
unload_module
klog 'handed back|unloaded'
pass demo.run
