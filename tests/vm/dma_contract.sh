# SPDX-License-Identifier: GPL-2.0
# Guest part: the DMA API contract for devices with masks far below the
# unit's width, and for scatterlists under a segment boundary.  Two edu
# devices, 36-bit addresses at 0000:00:0a.0 and 44-bit at 0000:00:0b.0
# (vm-run --device edu36 --device edu44, a 48-bit unit), their driver
# loaded with a 64 KiB segment boundary and a 16 KiB maximum segment.
# Each device in turn is attached (its driver probed again with its own
# width), and under every allocator:
#   - a 4 KiB round trip through dma_map_single(), IOVAs within the mask;
#   - dma_map_sg() of 8 segments of 12 KiB (laid out one after another
#     they would cross 64 KiB boundaries): no DMA segment crosses one,
#     none exceeds 16 KiB or the mask, and data goes RAM -> device -> RAM
#     through the ends of every segment;
#   - these maps are served by the active allocator: stats/fallbacks and
#     map_errors stay 0.  The exception is kmalloc with the 36-bit
#     device: its IOVAs are the direct map's offsets (2 GiB of RAM: up to
#     2^43), which no 36-bit mask reaches; the module says so once and the
#     32-bit fallback serves (fallbacks > 0, map_errors 0).
# Then 2 segments of 12 KiB at offset 56 KiB in 128 KiB buffers, which
# cross 64 KiB physically: still no DMA segment crosses (under identity,
# whose IOVA follows the physical address, such a list is remapped by
# the fallback instead).
# Needs --aw-bits 48 --device edu36 --device edu44.
. "$(dirname "$0")/lib.sh"
ALLOCATORS=${CONTRACT_ALLOCATORS:-"rbtree magazine kmalloc identity linux"}
BOUNDARY=0xffff
MAX_SEG=16384
PARAMS=/sys/module/siommu_edu_test/parameters

grep -q '^scalable_iommu ' /proc/modules || load_module
edu_load dma_bits=36 seg_boundary=$BOUNDARY max_seg_size=$MAX_SEG
check contract.edu-loaded "edu driver" test -d $PARAMS

# sg_ok <tag> <result>: the list kept to the device's limits, data intact.
sg_ok() {
	check "$1" "$(echo "$2" | cut -d' ' -f1-2,6-12)" \
		test "$(echo "$2" | cut -d' ' -f2)" = ok -a \
		"$(unit_field "$2" crossings)" = 0 -a \
		"$(unit_field "$2" oversize)" = 0 -a \
		"$(unit_field "$2" mismatches)" = 0
}

for bits in 36 44; do
	case $bits in
	36) bdf=0000:00:0a.0 mask=0xfffffffff ;;
	44) bdf=0000:00:0b.0 mask=0xfffffffffff ;;
	esac
	dev=/sys/bus/pci/devices/$bdf
	echo $bits >$PARAMS/dma_bits
	expect_eq "contract.$bits.attach" ok \
		"$(sysfs_write $SIOMMU_SYSFS/attach $bdf)"
	wait_for 5 test -e "$dev/edu_test"
	info=$(cat "$dev/edu_test/info")
	expect_eq "contract.$bits.mask" $mask "$(unit_field "$info" dma_mask)"
	for al in $ALLOCATORS; do
		tag=contract.$bits.$al
		expect_eq "$tag.set" ok \
			"$(sysfs_write $SIOMMU_SYSFS/device/$bdf/allocator $al)"
		fb0=$(siommu_stat fallbacks) me0=$(siommu_stat map_errors)
		log_mark
		r=$(edu_cmd "$dev" roundtrip 4096)
		check "$tag.roundtrip" "$(echo "$r" | cut -d' ' -f1-4)" \
			test "$(unit_field "$r" match)" = 1
		s=$(edu_cmd "$dev" sg 8 12288)
		sg_ok "$tag.sg" "$s"
		fb=$(($(siommu_stat fallbacks) - fb0)) me=$(($(siommu_stat map_errors) - me0))
		value "$tag" "fallbacks=$fb map_errors=$me; $r; $s"
		expect_eq "$tag.map-errors" 0 "$me"
		if [ "$al$bits" = kmalloc36 ]; then
			check "$tag.fallback" "kmalloc cannot serve 36 bits: $fb maps by the fallback" \
				test "$fb" -gt 0
			said=$(log_since | grep 'allocator kmalloc cannot serve its 36-bit DMA mask' | head -n1)
			check "$tag.said-so" "$said" test -n "$said"
		else
			expect_eq "$tag.fallbacks" 0 "$fb"
		fi
		# A segment across 64 KiB physically.
		fb0=$(siommu_stat fallbacks)
		s=$(edu_cmd "$dev" sg 2 12288 57344)
		sg_ok "$tag.sg-phys-cross" "$s"
		value "$tag.sg-phys-cross" "fallbacks=$(($(siommu_stat fallbacks) - fb0)); $s"
	done
	expect_eq "contract.$bits.detach" ok \
		"$(sysfs_write $SIOMMU_SYSFS/detach $bdf)"
done
expect_eq contract.outstanding 0 "$(siommu_stat outstanding)"
expect_eq contract.faults 0 "$(siommu_stat faults)"
