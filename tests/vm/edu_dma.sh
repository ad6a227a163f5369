# SPDX-License-Identifier: GPL-2.0
# Guest scenario (vm-run --device edu), no IOMMU module: the edu test
# driver binds, a 4 KiB DMA round trip through the DMA API brings back the
# bytes it sent, at bus addresses the device's 28 bits reach; its commands
# refuse bad input and a second command while one runs; it unbinds and
# binds again cleanly.  after_unmap is reported, not judged: with nothing
# translating, the device's write to the unmapped IOVA lands -- the
# baseline the IOMMU tests will turn around.
. "$(dirname "$0")/lib.sh"

LIMIT=$((1 << 28))

# in_reach <result line> <iova key> <size>: the range ends below 2^28.
in_reach() { [ $(($(unit_field "$1" "$2") + $3)) -le $LIMIT ]; }

roundtrip() {
	tag=$1 size=$2
	r=$(edu_cmd "$dev" roundtrip "$size")
	check "$tag.roundtrip" "$r" test $? = 0
	expect_eq "$tag.match" 1 "$(unit_field "$r" match)"
	expect_eq "$tag.size" "$size" "$(unit_field "$r" size)"
	check "$tag.iova-src-below-2^28" "$(unit_field "$r" iova_src)" \
		in_reach "$r" iova_src "$size"
	check "$tag.iova-dst-below-2^28" "$(unit_field "$r" iova_dst)" \
		in_reach "$r" iova_dst "$size"
}

check edu.load "insmod siommu_edu_test" edu_load
dev=$(edu_dev)
check edu.device "edu at ${dev##*/}" test -n "$dev"
[ -n "$dev" ] || finish
bdf=${dev##*/}
drv=/sys/bus/pci/drivers/siommu_edu_test
expect_eq edu.bound siommu_edu_test "$(basename "$(readlink "$dev/driver")")"
info=$(cat "$dev/edu_test/info")
value edu.info "$info"
expect_eq edu.ident 0x010000ed "$(unit_field "$info" ident)"
expect_eq edu.dma-mask 0xfffffff "$(unit_field "$info" dma_mask)"
expect_eq edu.dma direct "$(unit_field "$info" dma)"
expect_eq edu.result-before none "$(cat "$dev/edu_test/result")"

roundtrip rt4096 4096
value edu.roundtrip "$r"
# Nothing translates: the bus address is the physical one.
value edu.roundtrip.iova-is-phys \
	"$([ "$(unit_field "$r" iova_src)" = "$(unit_field "$r" phys_src)" ] &&
	   echo 1 || echo 0)"
roundtrip rt1 1
roundtrip rt1000 1000

# Bad input: -EINVAL, and the result says so.
n=0
for bad in "roundtrip 0" "roundtrip 4097" "roundtrip x" "roundtrip 1 2" \
	   "frobnicate" "write_raw" "write_raw 0x10000000" \
	   "read_raw 0xffff800 0x1000"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	out=$(edu_cmd "$dev" $bad)
	rc=$?
	check "edu.einval.$n" "'$bad': $out" \
		sh -c '[ "$1" != 0 ] && echo "$2" | grep -q "Invalid argument"' \
		_ "$rc" "$out"
done
expect_eq edu.einval.result "invalid err=-22" "$(cat "$dev/edu_test/result")"

# A second command while one runs: -EBUSY, and the first still succeeds.
edu_cmd "$dev" roundtrip 4096 >/tmp/first 2>&1 &
first=$!
i=0
while [ "$(unit_field "$(cat "$dev/edu_test/info")" busy)" != 1 ] && [ $i -lt 200 ]; do
	i=$((i + 1))
done
out=$(edu_cmd "$dev" roundtrip 64)
check edu.ebusy "$out" sh -c 'echo "$1" | grep -q "busy"' _ "$out"
wait $first
check edu.ebusy.first-done "$(cat /tmp/first)" grep -q 'roundtrip ok' /tmp/first

# A harmless raw read: the real-mode interrupt vector table at 0.
r=$(edu_cmd "$dev" read_raw 0x0 256)
check edu.read-raw "$r" test $? = 0
value edu.read_raw "$r"

# The device writes to a buffer's IOVA after it was unmapped; the buffer
# stays allocated, so with no IOMMU this overwrites only the canary.
r=$(edu_cmd "$dev" after_unmap)
value edu.after_unmap "$r"
value edu.after_unmap.canary_intact "$(unit_field "$r" canary_intact)"

# Unbind and bind again, as the IOMMU tests will around switching ops.
echo "$bdf" >"$drv/unbind"
check edu.unbind "edu_test/ gone" test ! -e "$dev/edu_test"
echo "$bdf" >"$drv/bind"
check edu.rebind "edu_test/ back" test -e "$dev/edu_test"
roundtrip rebound 4096

check edu.unload "rmmod siommu_edu_test" edu_unload
check edu.unload.sysfs-gone "no edu_test/" test ! -e "$dev/edu_test"
check edu.unload.no-iomem "BAR0 released" \
	sh -c '! grep -q siommu_edu_test /proc/iomem'
finish
