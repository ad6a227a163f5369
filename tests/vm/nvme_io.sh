# SPDX-License-Identifier: GPL-2.0
# Guest part: an NVMe disk's real DMA through our translation.  Attach it
# (its driver is rebound under our dma_ops), run fio random read/write at
# 4 KiB and 128 KiB with crc32c verification, detach, attach again and
# verify again.  No fault may be reported.  Needs --device nvme.
. "$(dirname "$0")/lib.sh"

# fio_verify <name> <bs>: random writes, then every block read back and
# checked against its crc32c; a mix of reads and writes on top.
fio_verify() {
	out=$(fio_run "$1" bs="$2" size=32M --rwmixread=50 --randrepeat=0 2>&1)
	rc=$?
	errs=$(echo "$out" | sed -n 's/.*err= *\([0-9]*\).*/\1/p' | head -n1)
	if [ $rc = 0 ] && [ "${errs:-x}" = 0 ]; then
		pass "nvme.$1" "fio randrw bs=$2 verify=crc32c: err=0"
	else
		fail "nvme.$1" "fio exit $rc err=${errs:-none}"
		echo "$out" | tail -n 20
	fi
}

/usr/local/sbin/modprobe nvme
wait_for 10 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)
check nvme.present "NVMe at ${nvme:-none}" test -n "$nvme"

grep -q '^scalable_iommu ' /proc/modules || load_module
if [ -n "${EXPECT_INVAL:-}" ]; then
	expect_eq nvme.invalidation-path "$EXPECT_INVAL" \
		"$(unit_field "$(head -n1 $SIOMMU_SYSFS/units)" invalidation)"
fi
faults0=$(siommu_stat faults)
maps0=$(siommu_stat maps)

for round in 1 2; do
	expect_eq "nvme.attach.$round" ok \
		"$(sysfs_write $SIOMMU_SYSFS/attach "$nvme")"
	check "nvme.listed.$round" "devices lists $nvme with driver nvme" \
		grep -q "^$nvme .*driver=nvme" $SIOMMU_SYSFS/devices
	check "nvme.disk.$round" "/dev/nvme0n1 back after rebind" \
		wait_for 20 test -b /dev/nvme0n1
	fio_verify "randrw-4k.$round" 4k
	fio_verify "randrw-128k.$round" 128k
	value "nvme.devices.$round" "$(grep "^$nvme " $SIOMMU_SYSFS/devices)"
	expect_eq "nvme.detach.$round" ok \
		"$(sysfs_write $SIOMMU_SYSFS/detach "$nvme")"
	check "nvme.unlisted.$round" "devices no longer lists $nvme" \
		sh -c "! grep -q '^$nvme ' $SIOMMU_SYSFS/devices"
	check "nvme.disk-after-detach.$round" "/dev/nvme0n1 back untranslated" \
		wait_for 20 test -b /dev/nvme0n1
done

check nvme.maps "maps counted ($(siommu_stat maps))" test "$(siommu_stat maps)" -gt "$maps0"
check nvme.flushes "IOTLB flushes counted ($(siommu_stat iotlb_flushes))" \
	test "$(siommu_stat iotlb_flushes)" -gt 0
expect_eq nvme.faults 0 $(( $(siommu_stat faults) - faults0 ))
