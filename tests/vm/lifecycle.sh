# SPDX-License-Identifier: GPL-2.0
# Guest part: tracepoints, attach at load (devices=), and unload: refused
# while a device is attached, then "detach all" hands every device back
# with its driver bound and working, and the unit is left as found (on
# the kernel backend: every device is back with the kernel's driver).
# Runs after nvme_io.sh.
. "$(dirname "$0")/lib.sh"
T=/sys/kernel/tracing

# Whatever earlier parts left attached pins the module.
sysfs_write $SIOMMU_SYSFS/detach all >/dev/null
unload_module
check life.unloaded "module gone" sh -c '! grep -q "^scalable_iommu " /proc/modules'
check life.nvme-bound "nvme driver kept" test -e "/sys/bus/pci/devices/$nvme/driver"

log_mark
check life.load-devices "insmod devices=$nvme" load_module "devices=$nvme"
check life.listed "devices= attached $nvme" \
	grep -q "^$nvme .*driver=nvme" $SIOMMU_SYSFS/devices
wait_for 20 test -b /dev/nvme0n1

# Tracepoints: enabled through tracefs, fired by real I/O.
check life.trace-events "scalable_iommu events in tracefs" \
	test -d $T/events/scalable_iommu
echo 1 >$T/events/scalable_iommu/enable
echo >$T/trace
dd if=/dev/nvme0n1 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
echo 0 >$T/events/scalable_iommu/enable
for ev in siommu_map siommu_unmap siommu_inval; do
	n=$(grep -c " $ev: dev=$nvme\| $ev: dmar\| $ev: group" $T/trace)
	check "life.trace.$ev" "$n $ev events" test "$n" -gt 0
done
value life.trace.sample "$(grep -m1 ' siommu_map: ' $T/trace)"

# Unload with the disk attached: refused; detach all, then unload.
check life.unload-attached-refused "rmmod with $nvme attached: EBUSY" \
	sh -c '/usr/local/sbin/rmmod scalable_iommu 2>&1 | grep -q "in use"'
log_mark
expect_eq life.detach-all ok "$(sysfs_write $SIOMMU_SYSFS/detach all)"
check life.handed-back "log says handed back" \
	sh -c 'echo "$1" | grep -q "$2: handed back"' _ "$(log_since)" "$nvme"
backend=$(siommu_backend)
check life.unload "rmmod once detached" unload_module
if [ "$backend" = kernel ]; then
	check life.left-as-found "every device back with the kernel's driver" \
		sh -c 'dmesg | tail -n 5 | grep -q "unloaded; every device back with the kernel.s IOMMU driver"'
else
	check life.left-as-found "every unit left as found" \
		sh -c 'dmesg | tail -n 5 | grep -q "unloaded; every unit left as found"'
fi
check life.disk-after-unload "/dev/nvme0n1 readable untranslated" \
	sh -c 'sleep 1; dd if=/dev/nvme0n1 of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null'
