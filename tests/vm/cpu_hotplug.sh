# SPDX-License-Identifier: GPL-2.0
# Guest part: CPU hotplug against attach, detach and allocator swaps.
# CPU 1 goes offline and online in a loop while another loop attaches the
# NVMe disk, swaps linux <-> magazine (the kernel's IOVA caches register
# CPU-hotplug instances) and detaches it (driver probe and remove take
# the hotplug lock too).  Before, the CPU-dead callback waited for the
# module lock that those hold while they wait for the hotplug lock: a
# deadlock.  Both loops must finish, every step succeed, the disk verify.
# Needs --device nvme and 2 vCPUs.
. "$(dirname "$0")/lib.sh"
/usr/local/sbin/modprobe nvme
wait_for 10 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)
grep -q '^scalable_iommu ' /proc/modules || load_module
ONLINE=/sys/devices/system/cpu/cpu1/online
rm -f /tmp/cpuhp.*
# A PCI driver's probe disables CPU hotplug while it runs: an offline or
# online then answers EBUSY, and is tried again (up to 10 s).
# set_online <0|1>: prints nothing, or the error that stayed.
set_online() {
	for _t in $(seq 100); do
		_r=$(sysfs_write $ONLINE "$1")
		[ "$_r" = "Device or resource busy" ] || break
		sleep 0.1
	done
	[ "$_r" = ok ] || echo "online=$1: $_r"
}
(
	errs=
	for i in $(seq 20); do
		errs="$errs$(set_online 0)$(set_online 1)"
	done
	echo "${errs:-none}" >/tmp/cpuhp.cpu
) &
(
	bad=0
	for i in $(seq 8); do
		for w in "attach $nvme" "allocator linux" "allocator magazine" \
			 "detach $nvme"; do
			[ "$(sysfs_write "$SIOMMU_SYSFS/${w% *}" "${w#* }")" = ok ] ||
				bad=$((bad + 1))
		done
	done
	echo $bad >/tmp/cpuhp.swap
) &
check cpuhp.finished "both loops finished within 300 s" \
	wait_for 300 test -e /tmp/cpuhp.cpu -a -e /tmp/cpuhp.swap
expect_eq cpuhp.cpu-errors none "$(cat /tmp/cpuhp.cpu 2>/dev/null)"
expect_eq cpuhp.swap-errors 0 "$(cat /tmp/cpuhp.swap 2>/dev/null)"
expect_eq cpuhp.cpu1-online 1 "$(cat $ONLINE)"
expect_eq cpuhp.attach-last ok "$(sysfs_write $SIOMMU_SYSFS/attach "$nvme")"
check_disk_verifies cpuhp.disk "attached after the loops"
expect_eq cpuhp.detach-last ok "$(sysfs_write $SIOMMU_SYSFS/detach "$nvme")"
check cpuhp.unload "module unloads" unload_module
