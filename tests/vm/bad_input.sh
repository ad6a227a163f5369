# SPDX-License-Identifier: GPL-2.0
# Guest part: bad writes to every writable control file get the documented errno
# and change nothing.  Runs after a device is attached (any part that
# attaches one), so "state unchanged" covers a managed device too.
. "$(dirname "$0")/lib.sh"
grep -q '^scalable_iommu ' /proc/modules || load_module

# A device to attach for the duration: the first PCI device with a driver
# that is not the host bridge.
victim=
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/driver" ] || continue
	case $(basename "$(readlink "$d/driver")") in
	nvme|e1000e|siommu_edu_test) victim=$(basename "$d"); break ;;
	esac
done
check bad.victim "a device to attach: ${victim:-none}" test -n "$victim"
expect_eq bad.attach-victim ok "$(sysfs_write $SIOMMU_SYSFS/attach "$victim")"

# What a refused write must not change; the device's live counters
# (mappings=, table_pages=) move with its I/O and are left out.
snapshot() {
	sed 's/ mappings=.*//' $SIOMMU_SYSFS/devices
	cat $SIOMMU_SYSFS/allocator $SIOMMU_SYSFS/invalidation \
		$SIOMMU_SYSFS/batch_size $SIOMMU_SYSFS/flush_timeout_us \
		$SIOMMU_SYSFS/reclaim_tables
}
before=$(snapshot)
long=$(head -c 3000 /dev/zero | tr '\0' 'a')
log_mark

# file | input | expected error
while IFS='|' read -r file input want; do
	[ -n "$file" ] || continue
	case $input in
	'<empty-line>') input='
' ;;
	'<long>') input=$long ;;
	'<victim>') input=$victim ;;
	esac
	got=$(sysfs_write "$SIOMMU_SYSFS/$file" "$input")
	expect_eq "bad.$file.$(echo "$input" | head -c 16 | tr -c 'a-zA-Z0-9' _)" \
		"$want" "$got"
done <<'TABLE'
attach|<empty-line>|Invalid argument
attach|garbage|Invalid argument
attach|<long>|Invalid argument
attach|0000:00:04.0x|Invalid argument
attach|0000:00:20.0|Invalid argument
attach|0000:00:1e.0|No such device
attach|0001:00:00.0|No such device
attach|<victim>|File exists
detach|<empty-line>|Invalid argument
detach|garbage|Invalid argument
detach|<long>|Invalid argument
detach|0000:00:1e.0|No such device
detach|0000:00:00.0|No such file or directory
allocator|<empty-line>|Invalid argument
allocator|garbage|Invalid argument
allocator|<long>|Invalid argument
allocator|rbtree2|Invalid argument
invalidation|<empty-line>|Invalid argument
invalidation|garbage|Invalid argument
invalidation|<long>|Invalid argument
invalidation|strictly|Invalid argument
batch_size|<empty-line>|Invalid argument
batch_size|0|Invalid argument
batch_size|513|Invalid argument
batch_size|-1|Invalid argument
batch_size|12abc|Invalid argument
batch_size|99999999999999999999|Invalid argument
flush_timeout_us|<empty-line>|Invalid argument
flush_timeout_us|99|Invalid argument
flush_timeout_us|1000001|Invalid argument
flush_timeout_us|garbage|Invalid argument
reclaim_tables|2|Invalid argument
reclaim_tables|-1|Invalid argument
reclaim_tables|yes|Invalid argument
reclaim_tables|<empty-line>|Invalid argument
flush_timeout_us|<long>|Invalid argument
TABLE

# kmalloc needs a space as wide as RAM: a 39-bit unit cannot hold it.
if [ "$AW_BITS" = 39 ]; then
	expect_eq bad.allocator.kmalloc-on-39-bits "Numerical result out of range" \
		"$(sysfs_write $SIOMMU_SYSFS/allocator kmalloc)"
	check bad.allocator.kmalloc-logged "refusal names the unit" \
		sh -c 'dmesg | tail -n 5 | grep -q "allocator kmalloc cannot serve dmar0"'
fi

expect_eq bad.state-unchanged "$before" "$(snapshot)"
check bad.logged "each refusal logged by the module" \
	test "$(log_since | grep -c 'scalable_iommu')" -ge 30
expect_eq bad.no-warnings 0 "$(log_since | grep -c -e WARNING -e 'Call Trace')"
expect_eq bad.allocator-active "[rbtree]" "$(grep -o '\[[a-z]*\]' $SIOMMU_SYSFS/allocator)"
expect_eq bad.invalidation-active "[strict]" "$(grep -o '\[[a-z]*\]' $SIOMMU_SYSFS/invalidation)"
expect_eq bad.detach-victim ok "$(sysfs_write $SIOMMU_SYSFS/detach "$victim")"
