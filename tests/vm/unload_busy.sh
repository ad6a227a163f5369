# SPDX-License-Identifier: GPL-2.0
# Guest part: unload and detach under load.  An attached device pins the
# module: rmmod is refused (EBUSY) while fio --verify runs on the attached
# disk, and fio finishes without an error; "detach all" under fio unbinds
# the driver first (the I/O in flight then fails, as with any unbind),
# nothing crashes, the disk works untranslated afterwards and the module
# unloads.  Needs --device nvme.
. "$(dirname "$0")/lib.sh"

/usr/local/sbin/modprobe nvme
wait_for 10 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)
grep -q '^scalable_iommu ' /proc/modules || load_module

# fio_bg <name> <seconds>: verified random writes and reads in the
# background, output in /tmp/<name>.fio; sets fio_pid.
fio_bg() {
	fio_run "$1" size=32M runtime="$2" jobs=2 --offset_increment=64M \
		>/tmp/"$1".fio 2>&1 &
	fio_pid=$!
}

expect_eq busy.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$nvme")"
wait_for 20 test -b /dev/nvme0n1
fio_bg busy 8
sleep 2
err=$(/usr/local/sbin/rmmod scalable_iommu 2>&1)
rc=$?
check busy.rmmod-refused "rmmod under fio refused: exit $rc, '$err'" \
	sh -c '[ "$1" != 0 ] && echo "$2" | grep -q "in use"' _ "$rc" "$err"
check busy.still-loaded "module still loaded" grep -q '^scalable_iommu ' /proc/modules
check busy.still-attached "$nvme still attached" \
	grep -q "^$nvme .*driver=nvme" $SIOMMU_SYSFS/devices
wait $fio_pid
rc=$?
check busy.fio "fio --verify through the refused rmmod: exit $rc, err=0" \
	sh -c '[ "$1" = 0 ] && grep -q "err= 0" /tmp/busy.fio' _ "$rc"
# Idle but attached: still refused, until detached.
check busy.rmmod-idle-refused "rmmod refused while attached (idle)" \
	sh -c '! /usr/local/sbin/rmmod scalable_iommu 2>/dev/null'

# Detach under fio: the driver is unbound first, so the disk vanishes
# under fio (its errors are expected); nothing else may break.
fio_bg detach 8
sleep 2
log_mark
expect_eq busy.detach-all ok "$(sysfs_write $SIOMMU_SYSFS/detach all)"
wait $fio_pid
check busy.handed-back "log: handed back" \
	sh -c 'echo "$1" | grep -q "$2: handed back"' _ "$(log_since)" "$nvme"
check busy.no-devices "devices empty" test -z "$(cat $SIOMMU_SYSFS/devices)"
expect_eq busy.detach-all-none "No such file or directory" \
	"$(sysfs_write $SIOMMU_SYSFS/detach all)"
check_disk_verifies busy.disk-after "the disk, untranslated"
check busy.idle-counters "outstanding, live_table_pages, live_magazines: 0 0 0" \
	test "$(siommu_stat outstanding) $(siommu_stat live_table_pages) $(siommu_stat live_magazines)" = "0 0 0"
check busy.rmmod "rmmod once nothing is attached" unload_module
