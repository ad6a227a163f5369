# SPDX-License-Identifier: GPL-2.0
# Guest scenario for the issue-14 spike (docs/spikes/kernel-backend/spike_kiommu.ko, put at
# /spike_kiommu.ko by vm-run --file): on a boot where the kernel's own
# IOMMU driver translates, move the NVMe disk into an unmanaged domain of
# that driver with our own dma_map_ops, do real I/O through it, and put
# everything back.  Run from docs/spikes/kernel-backend/run.sh.
. "$(dirname "$0")/lib.sh"

SPIKE=/spike_kiommu.ko
P=/sys/module/spike_kiommu/parameters
value spike.cmdline "$(cat /proc/cmdline)"
value spike.uname "$(uname -r)"
value spike.iommu-lines "$(dmesg | grep -iE 'DMAR|AMD-Vi|iommu' | grep -v -i 'scalable' | head -n 25)"
value spike.iommu-class "$(ls /sys/class/iommu 2>/dev/null)"
value spike.groups "$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
/usr/local/sbin/modprobe nvme
wait_for 60 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)
check spike.nvme-bound "nvme at $nvme" test -n "$nvme"
[ -n "$nvme" ] || finish
grp=$(basename "$(readlink /sys/bus/pci/devices/$nvme/iommu_group)")
value spike.nvme-group "$grp: $(ls /sys/kernel/iommu_groups/$grp/devices | tr '\n' ' ') type=$(cat /sys/kernel/iommu_groups/$grp/type 2>/dev/null)"

# Data written through the kernel's own DMA path.
dd if=/dev/urandom of=/tmp/a bs=1M count=8 2>/dev/null
dd if=/tmp/a of=/dev/nvme0n1 bs=1M oflag=direct 2>/dev/null
sum_a=$(md5sum </tmp/a | cut -d' ' -f1)

log_mark
echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind
out=$(/usr/local/sbin/insmod $SPIKE bdf=$nvme try_claim=1 ${SPIKE_PARAMS:-} 2>&1)
check spike.insmod "$out" test $? -eq 0
value spike.insmod-log "$(log_since | grep -E 'spike|DMAR|AMD-Vi|iommu')"
echo "$nvme" >/sys/bus/pci/drivers/nvme/bind 2>/tmp/bind.err
value spike.bind "$(cat /tmp/bind.err)"
check spike.disk-back "nvme rebound over our domain" wait_for 60 test -b /dev/nvme0n1
s0=$(cat $P/stats)
got=$(dd if=/dev/nvme0n1 bs=1M count=8 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
expect_eq spike.read-through-ours "$sum_a" "$got"
dd if=/dev/urandom of=/tmp/b bs=1M count=8 2>/dev/null
dd if=/tmp/b of=/dev/nvme0n1 bs=1M seek=16 oflag=direct 2>/dev/null
sum_b=$(md5sum </tmp/b | cut -d' ' -f1)
got=$(dd if=/dev/nvme0n1 bs=1M skip=16 count=8 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
expect_eq spike.write-read-through-ours "$sum_b" "$got"
s1=$(cat $P/stats)
value spike.stats "before I/O: $s0; after: $s1"
m1=$(echo "$s1" | sed 's/^map=\([0-9]*\) .*/\1/')
check spike.ops-used "maps $m1 > 0" test "${m1:-0}" -gt 100
check spike.no-faults "$s1" sh -c "echo '$s1' | grep -q 'faults=0'"

echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind
value spike.stats-unbound "$(cat $P/stats)"
out=$(/usr/local/sbin/rmmod spike_kiommu 2>&1)
check spike.rmmod "$out" test $? -eq 0
echo "$nvme" >/sys/bus/pci/drivers/nvme/bind
check spike.disk-back-default "nvme rebound on the default domain" wait_for 60 test -b /dev/nvme0n1
got=$(dd if=/dev/nvme0n1 bs=1M count=8 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
expect_eq spike.read-a-after "$sum_a" "$got"
got=$(dd if=/dev/nvme0n1 bs=1M skip=16 count=8 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
expect_eq spike.read-b-after "$sum_b" "$got"
value spike.type-after "$(cat /sys/kernel/iommu_groups/$grp/type 2>/dev/null)"

# Ownership claimed and held: does the driver still bind?
echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind
out=$(/usr/local/sbin/insmod $SPIKE bdf=$nvme keep_claim=1 2>&1)
value spike.claim-insmod "rc=$? $out"
echo "$nvme" >/sys/bus/pci/drivers/nvme/bind 2>/tmp/bind.err
value spike.claim-bind "rc=$? $(cat /tmp/bind.err)"
echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind 2>/dev/null
/usr/local/sbin/rmmod spike_kiommu 2>/dev/null
echo "$nvme" >/sys/bus/pci/drivers/nvme/bind
check spike.disk-back-final "nvme on the default domain" wait_for 60 test -b /dev/nvme0n1
value spike.log "$(log_since | grep -E 'spike|DMAR|AMD-Vi|iommu|nvme' | head -n 60)"

# A device in a group of several (q35's 00:1f.x functions share one).
log_mark
for m in /sys/bus/pci/devices/0000:00:1f.*; do
	[ -e "$m/driver" ] && continue
	multi=$(basename "$m")
	break
done
value spike.multi-group "${multi:-none}: group $(basename "$(readlink /sys/bus/pci/devices/${multi:-x}/iommu_group 2>/dev/null)" 2>/dev/null) holds $(ls /sys/bus/pci/devices/${multi:-x}/iommu_group/devices 2>/dev/null | tr '\n' ' ')"
if [ -n "${multi:-}" ]; then
	out=$(/usr/local/sbin/insmod $SPIKE bdf=$multi 2>&1)
	value spike.multi-insmod "rc=$? $out"
	/usr/local/sbin/rmmod spike_kiommu 2>/dev/null
	value spike.multi-log "$(log_since | grep spike)"
fi
