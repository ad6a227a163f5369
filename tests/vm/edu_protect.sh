# SPDX-License-Identifier: GPL-2.0
# Guest part: protection, with QEMU's edu device and its test driver
# attached.  A DMA round trip through our translation brings the bytes
# back at IOVAs (not physical addresses) below edu's 28-bit mask; a write
# to a never-mapped IOVA, a read from one, and a write to an IOVA just
# unmapped each fault once, reported with the device and the address, and
# the unmapped buffer keeps its canary.  On the kernel backend the fault
# report is the kernel's VT-d driver's log line.  Needs --device edu.
. "$(dirname "$0")/lib.sh"
LIMIT=$((1 << 28))

grep -q '^siommu_edu_test ' /proc/modules || edu_load
edu=$(edu_dev)
edu_bdf=${edu##*/}
grep -q '^scalable_iommu ' /proc/modules || load_module
expect_eq edu.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$edu_bdf")"
check edu.rebound "edu_test driver bound again" wait_for 5 test -e "$edu/edu_test"
info=$(cat "$edu/edu_test/info")
value edu.info "$info"
expect_eq edu.ops dma_ops "dma_$(unit_field "$info" dma)"

r=$(edu_cmd "$edu" roundtrip 4096)
value edu.roundtrip "$r"
expect_eq edu.translated.match 1 "$(unit_field "$r" match)"
check edu.translated.iova-not-phys "iova $(unit_field "$r" iova_src) phys $(unit_field "$r" phys_src)" \
	test "$(unit_field "$r" iova_src)" != "$(unit_field "$r" phys_src)"
for k in iova_src iova_dst; do
	check "edu.translated.$k-in-mask" "$(unit_field "$r" $k) + 4096 <= 2^28" \
		test $(( $(unit_field "$r" $k) + 4096 )) -le $LIMIT
done

# expect_fault <tag> <page address> <read|write>: exactly one new fault,
# reported with the edu device and that page.
expect_fault() {
	if [ "$(siommu_backend)" = kernel ]; then
		page=$(printf '%#x' $(( $2 & ~0xfff )))
		check "$1.kernel-logged" "the kernel's VT-d driver logged a $3 fault of $edu_bdf at $page" \
			wait_for 2 kernel_fault_logged "$edu_bdf" "$3" "$page"
		return
	fi
	wait_for 2 sh -c "[ \$(cat $SIOMMU_SYSFS/stats/faults) -gt $faults_before ]"
	sleep 0.1
	expect_eq "$1.faults" 1 $(( $(siommu_stat faults) - faults_before ))
	page=$(printf '%#x' $(( $2 & ~0xfff )))
	line=$(log_since | grep "DMA $3 fault from $edu_bdf" | head -n1)
	value "$1.report" "${line:-none}"
	check "$1.reported" "fault line names $edu_bdf and IOVA $page" \
		sh -c 'echo "$1" | grep -q "at IOVA $2:"' _ "$line" "$page"
}

# A write to an IOVA nothing ever mapped: the middle of edu's space.
faults_before=$(siommu_stat faults)
log_mark
r=$(edu_cmd "$edu" write_raw 0x8000000 256)
value edu.write_raw "$r"
expect_fault edu.unmapped-write 0x8000000 write

faults_before=$(siommu_stat faults)
log_mark
r=$(edu_cmd "$edu" read_raw 0x8100000 256)
value edu.read_raw "$r"
expect_fault edu.unmapped-read 0x8100000 read

# A write to the IOVA of a buffer unmapped a moment before: strict
# invalidation must have made the unit forget it.
faults_before=$(siommu_stat faults)
log_mark
r=$(edu_cmd "$edu" after_unmap 256)
value edu.after_unmap "$r"
expect_eq edu.after-unmap.canary-intact 1 "$(unit_field "$r" canary_intact)"
expect_fault edu.after-unmap "$(unit_field "$r" iova)" write

r=$(edu_cmd "$edu" roundtrip 2048)
expect_eq edu.after-faults.match 1 "$(unit_field "$r" match)"

# A 2 MiB coherent buffer: read by the device at three places; on our
# tables, where the unit takes 2 MiB leaves, it is one (superpage_maps).
sp_maps() { device_field "$edu_bdf" superpage_maps; }
sp0=$(sp_maps)
r=$(edu_cmd "$edu" coherent_2m)
value edu.coherent-2m "$r"
expect_eq edu.coherent-2m.ok ok "$(echo "$r" | cut -d' ' -f2)"
case $(unit_field "$(head -n1 $SIOMMU_SYSFS/units)" superpages) in
2M*)
	expect_eq edu.coherent-2m.aligned 1 "$(unit_field "$r" aligned)"
	check edu.coherent-2m.superpage "2 MiB leaves installed: ${sp0:-none} -> $(sp_maps)" \
		test "$(sp_maps)" -gt "${sp0:-0}" ;;
esac
expect_eq edu.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$edu_bdf")"
