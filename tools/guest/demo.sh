# SPDX-License-Identifier: GPL-2.0
# Guest side of "make demo": a guided look at what scalable_iommu sees.
. /lib.sh

say() { printf '\n== %s\n' "$*"; }

say "Guest: Debian kernel $(uname -r), $(nproc) vCPUs, kernel command line:"
cat /proc/cmdline

say "Loading Debian's stock drivers: nvme, e1000e"
modprobe -a nvme e1000e && sleep 1

say "PCI devices (address vendor:device driver)"
for d in /sys/bus/pci/devices/*; do
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	printf '  %s %s:%s %s\n' "${d##*/}" "$(sed 's/0x//' "$d/vendor")" \
		"$(sed 's/0x//' "$d/device")" "$drv"
done

say "What the kernel itself did with the VT-d unit at boot"
dmesg | grep -E 'DMAR|IOMMU|remap' | sed 's/^\[[^]]*\] /  /'

say "insmod scalable_iommu.ko"
if load_module; then
	dmesg | grep 'scalable_iommu: ' | grep -v -e taints -e verification |
		sed 's/^\[[^]]*\] /  /'
	say "/sys/kernel/scalable_iommu/units (one line per DMAR unit)"
	cat $SIOMMU_SYSFS/units | tr ' ' '\n' | sed 's/^/    /'
	say "/sys/kernel/scalable_iommu/rmrrs (firmware-reserved DMA ranges)"
	rmrrs=$(cat $SIOMMU_SYSFS/rmrrs)
	echo "  ${rmrrs:-none: QEMU's firmware reserves no DMA range}"
	say "rmmod scalable_iommu"
	unload_module && dmesg | grep 'scalable_iommu: unloaded' |
		sed 's/^\[[^]]*\] /  /'
	pass demo.load-unload
else
	fail demo.load-unload "insmod failed"
fi
say "Attaching devices and driving I/O through our own translation comes next (see README, Status)."
finish
