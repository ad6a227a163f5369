# SPDX-License-Identifier: GPL-2.0
# Guest part: devices that share a requester id.  Two conventional-PCI
# e1000 NICs behind a PCIe-to-PCI bridge both reach the unit as the
# bridge's (secondary bus, 0): one context entry serves both, so neither
# may be attached alone.  The attach is refused with EXDEV, nothing
# changes, and both NICs keep carrying traffic.  Needs --device
# bridge-nics.
. "$(dirname "$0")/lib.sh"

/usr/local/sbin/modprobe e1000
wait_for 10 sh -c '[ $(ls -d /sys/bus/pci/drivers/e1000/0000:* | wc -l) = 2 ]'
bnics=$(ls -d /sys/bus/pci/drivers/e1000/0000:* 2>/dev/null | xargs -n1 basename)
check alias.nics "two e1000 behind the bridge: $(echo $bnics)" \
	test "$(echo "$bnics" | wc -w)" = 2
grep -q '^scalable_iommu ' /proc/modules || load_module
faults0=$(siommu_stat faults)

for nic in $bnics; do
	other=$(echo "$bnics" | grep -v "$nic")
	log_mark
	expect_eq "alias.refused.$nic" "Invalid cross-device link" \
		"$(sysfs_write $SIOMMU_SYSFS/attach "$nic")"
	# Both reach the unit as the bridge's (secondary bus, 0).
	shared=$(echo "$nic" | cut -d: -f2):00.0
	check "alias.message.$nic" "dmesg names $other and requester id $shared" \
		sh -c "dmesg | tail -n +$((log_from + 1)) | grep -q '$nic: shares requester ids with .*$other (requester id $shared)'"
	check "alias.unlisted.$nic" "devices does not list it" \
		sh -c "! grep -q '^$nic ' $SIOMMU_SYSFS/devices"
	check "alias.bound.$nic" "e1000 still bound" \
		test -e "/sys/bus/pci/drivers/e1000/$nic"
done
wait_for 10 sh -c "ls /sys/bus/pci/devices/$(echo $bnics | cut -d' ' -f2)/net >/dev/null"
check alias.link "the two NICs still talk (ping across the hub)" \
	nic_pair_up "$(ls /sys/bus/pci/devices/$(echo $bnics | cut -d' ' -f1)/net)" \
		"$(ls /sys/bus/pci/devices/$(echo $bnics | cut -d' ' -f2)/net)"
expect_eq alias.faults 0 $(( $(siommu_stat faults) - faults0 ))
check alias.unload "rmmod works" unload_module
