# SPDX-License-Identifier: GPL-2.0
# Guest part: a device changes hands only with its driver pinned.  While
# siommu_edu_test is being unloaded (a slow remove on one edu device),
# the driver is still bound to the other one but its module can no longer
# be pinned: attaching that device is refused with EBUSY and nothing
# changes.  Before, attach went ahead with the driver still bound.
# Needs --device edu twice.
. "$(dirname "$0")/lib.sh"
grep -q '^siommu_edu_test ' /proc/modules || edu_load
wait_for 5 sh -c '[ $(ls -d /sys/bus/pci/drivers/siommu_edu_test/0000:* | wc -l) = 2 ]'
bound=$(ls -d /sys/bus/pci/drivers/siommu_edu_test/0000:* | xargs -n1 basename)
grep -q '^scalable_iommu ' /proc/modules || load_module
echo 3000 >/sys/module/siommu_edu_test/parameters/remove_delay_ms
log_mark
/usr/local/sbin/rmmod siommu_edu_test &
rmmod_pid=$!
check pin.remove-started "one edu device is in its slow remove" \
	wait_for 5 sh -c "dmesg | tail -n +$((log_from + 1)) | grep -q 'remove: waiting'"
first=$(log_since | sed -n 's/.* \(0000:[0-9a-f:.]*\): remove: waiting.*/\1/p' | head -n1)
other=$(echo "$bound" | grep -v "^$first\$" | head -n1)
value pin.devices "removing $first, still bound $other"
expect_eq pin.attach-refused "Device or resource busy" \
	"$(sysfs_write $SIOMMU_SYSFS/attach "$other")"
check pin.reported "the refusal names the driver being unloaded" \
	sh -c "dmesg | tail -n +$((log_from + 1)) | grep -q '$other: driver siommu_edu_test is being unloaded'"
expect_eq pin.nothing-attached "" "$(cat $SIOMMU_SYSFS/devices)"
wait $rmmod_pid
expect_eq pin.rmmod-finished 0 $?
expect_eq pin.attach-unbound ok "$(sysfs_write $SIOMMU_SYSFS/attach "$other")"
expect_eq pin.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$other")"
check pin.unload "module unloads" unload_module
