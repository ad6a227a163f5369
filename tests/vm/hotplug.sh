# SPDX-License-Identifier: GPL-2.0
# Guest part: PCI devices that come and go while the module is loaded.
# An NVMe disk plugged into an empty PCIe root port after insmod must get
# its pass-through (or identity) context entries before nvme probes it;
# removed while attached, its domain goes and the module reference with
# it; found again by a rescan, it starts untranslated (by us: on the
# kernel backend, a default boot, the kernel's driver translates it, and
# the same holds of its domain and references).  Needs
# --device hotplug (root port rp1, drive hpdisk; the host runs our
# @@MONITOR lines).
. "$(dirname "$0")/lib.sh"

NVME_ID=1b36:0010
refcnt() { awk '$1 == "scalable_iommu" { print $3 }' /proc/modules; }
# The disk behind a controller, e.g. nvme0n1, once its namespace is up.
disk_of() {
	ls "/sys/bus/pci/devices/$1/nvme/"*/ 2>/dev/null |
		grep -m1 '^nvme[0-9]*n[0-9]*$'
}
disk_up() { [ -n "$(disk_of "$1")" ] && test -b "/dev/$(disk_of "$1")"; }
listed() { grep -q "^$1 " $SIOMMU_SYSFS/devices; }
gone() { ! test -e "/sys/bus/pci/devices/$1"; }

/usr/local/sbin/modprobe nvme
check hp.empty "no NVMe before the hot-add" sh -c '! ls /sys/bus/pci/drivers/nvme/0000:* 2>/dev/null'
load_module
faults0=$(siommu_stat faults)

# 1. Hot-add into the empty root port.
monitor device_add nvme,id=hpnvme,serial=siommuhp,drive=hpdisk,bus=rp1
check hp.add.appears "the NVMe shows up on the bus" wait_for 60 pci_of_id $NVME_ID
bdf=$(pci_of_id $NVME_ID)
value hp.bdf "${bdf:-none}"
check hp.add.probed "nvme bound to ${bdf:-none} and its disk is up" \
	wait_for 60 disk_up "$bdf"
check_disk_verifies hp.add.fio "hot-added, untranslated" "/dev/$(disk_of "$bdf")"
expect_eq hp.add.faults 0 $(( $(siommu_stat faults) - faults0 ))

# 2. Attached, then removed through sysfs while attached.
expect_eq hp.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$bdf")"
check hp.attach.listed "devices lists $bdf" listed "$bdf"
value hp.devices "$(grep "^$bdf " $SIOMMU_SYSFS/devices)"
check hp.attach.rids "devices shows its requester id" \
	grep -q "^$bdf .* rids=${bdf#0000:}" $SIOMMU_SYSFS/devices
expect_eq hp.attach.refcnt 1 "$(refcnt)"
check hp.attach.disk "disk back after rebind" wait_for 30 disk_up "$bdf"
check_disk_verifies hp.attach.fio "attached" "/dev/$(disk_of "$bdf")"
echo 1 >"/sys/bus/pci/devices/$bdf/remove"
check hp.remove.gone "$bdf removed from the bus" wait_for 30 gone "$bdf"
check hp.remove.unlisted "devices no longer lists $bdf" \
	wait_for 10 sh -c "! grep -q '^$bdf ' $SIOMMU_SYSFS/devices"
check hp.remove.no-dir "no device/$bdf/ left" \
	wait_for 10 sh -c "! test -e $SIOMMU_SYSFS/device/$bdf"
expect_eq hp.remove.refcnt 0 "$(refcnt)"

# 3. Found again at the same address: untranslated, as a new device.
maps0=$(siommu_stat maps)
echo 1 >/sys/bus/pci/rescan
check hp.rescan.appears "$bdf back after rescan" \
	wait_for 30 test -e "/sys/bus/pci/devices/$bdf"
check hp.rescan.probed "its disk is up" wait_for 60 disk_up "$bdf"
check hp.rescan.unlisted "not attached" \
	sh -c "! grep -q '^$bdf ' $SIOMMU_SYSFS/devices"
check_disk_verifies hp.rescan.fio "re-added" "/dev/$(disk_of "$bdf")"
expect_eq hp.rescan.untranslated "0 maps through us" \
	"$(( $(siommu_stat maps) - maps0 )) maps through us"

# 4. Attached again, unplugged through the monitor (pciehp's 5 s button).
expect_eq hp.attach2 ok "$(sysfs_write $SIOMMU_SYSFS/attach "$bdf")"
expect_eq hp.attach2.refcnt 1 "$(refcnt)"
check hp.attach2.disk "disk back after rebind" wait_for 30 disk_up "$bdf"
monitor device_del hpnvme
check hp.del.gone "$bdf unplugged" wait_for 60 gone "$bdf"
check hp.del.unlisted "devices empty" \
	wait_for 10 sh -c "test -z \"\$(cat $SIOMMU_SYSFS/devices)\""
expect_eq hp.del.refcnt 0 "$(refcnt)"
expect_eq hp.faults 0 $(( $(siommu_stat faults) - faults0 ))
check hp.unload "rmmod works" unload_module
