# SPDX-License-Identifier: GPL-2.0
# Guest scenario: load the module, check what it reports against two
# independent witnesses -- the kernel's own DMAR boot line and the QEMU
# command line (AW_BITS, INTREMAP) -- and the registers read through
# /dev/mem where the kernel leaves them readable; check translation is on
# (GSTS.TES, as the units file reads it); unload and prove the units are
# left as found.  Twice, so a second load finds a clean slate.
. "$(dirname "$0")/lib.sh"

hex() { echo "$1" | sed 's/^0x//; s/^0*//' | tr 'A-F' 'a-f'; }

# The kernel parsed the same table at boot; its line per unit is
#   DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap d2008c222f0606 ecap f42
kernel_units=$(dmesg | sed -n 's/.*DMAR: dmar[0-9]*: reg_base_addr \([0-9a-f]*\) ver \([0-9]*\):\([0-9]*\) cap \([0-9a-f]*\) ecap \([0-9a-f]*\).*/\1 \2.\3 \4 \5/p')
[ -n "$kernel_units" ] || fail witness.kernel-line "no DMAR line in dmesg"

# Registers as the hardware shows them before we touch anything.  With
# interrupt remapping on, the kernel holds the region and /dev/mem refuses.
first_base=$(echo "$kernel_units" | head -n1 | cut -d' ' -f1)
devmem_gsts=$(devmem "0x$first_base" 32 2>/dev/null >/dev/null &&
	      devmem $((0x$first_base + 0x1c)) 32)
devmem_cap=$(devmem $((0x$first_base + 0x8)) 64 2>/dev/null)
devmem_ecap=$(devmem $((0x$first_base + 0x10)) 64 2>/dev/null)

for round in 1 2; do
	check "load.$round" "insmod succeeds" load_module
	units=$(cat $SIOMMU_SYSFS/units)
	expect_eq "units.$round.count" "$(echo "$kernel_units" | wc -l)" \
		"$(echo "$units" | grep -c '^dmar')"

	echo "$kernel_units" >/tmp/kernel_units
	while read -r kbase kver kcap kecap; do
		line=$(echo "$units" | grep " base=0x$kbase ")
		if [ -z "$line" ]; then
			fail "units.$round.base" "no unit at $kbase"
			continue
		fi
		expect_eq "units.$round.ver" "$kver" "$(unit_field "$line" ver)"
		expect_eq "units.$round.cap" "$kcap" "$(hex "$(unit_field "$line" cap)")"
		expect_eq "units.$round.ecap" "$kecap" "$(hex "$(unit_field "$line" ecap)")"
		expect_eq "units.$round.mgaw" "$AW_BITS" "$(unit_field "$line" mgaw)"
		# QEMU offers 3-level tables always, 4-level ones with aw-bits=48.
		want_agaw=39
		[ "$AW_BITS" = 48 ] && want_agaw=39,48
		expect_eq "units.$round.agaw" "$want_agaw" "$(unit_field "$line" agaw)"
		ecap=$(unit_field "$line" ecap)
		ir_cap=$(( (ecap >> 3) & 1 ))
		owner=off queue=ours inval=own-queue
		[ "$INTREMAP" = on ] && owner=kernel queue=kernel inval=kernel-queue
		expect_eq "units.$round.ecap-ir" "$([ "$INTREMAP" = on ] && echo 1 || echo 0)" "$ir_cap"
		expect_eq "units.$round.intremap" "$owner" "$(unit_field "$line" intremap)"
		expect_eq "units.$round.qi" "$queue" "$(unit_field "$line" qi)"
		expect_eq "units.$round.translation" ours "$(unit_field "$line" translation)"
		expect_eq "units.$round.invalidation" "$inval" "$(unit_field "$line" invalidation)"
		expect_eq "units.$round.unmanaged" passthrough "$(unit_field "$line" unmanaged)"
		if [ "$kbase" = "$first_base" ] && [ -n "$devmem_cap" ]; then
			expect_eq "units.$round.devmem-cap" "$(hex "$devmem_cap")" "$kcap"
			expect_eq "units.$round.devmem-ecap" "$(hex "$devmem_ecap")" "$kecap"
		fi
	done </tmp/kernel_units
	check "rmrrs.$round" "rmrrs file readable" cat $SIOMMU_SYSFS/rmrrs

	check "unload.$round" "rmmod succeeds" unload_module
	check "unload.$round.sysfs-gone" "no /sys/kernel/scalable_iommu" \
		test ! -e $SIOMMU_SYSFS
	expect_eq "unload.$round.left-as-found" 1 \
		"$(dmesg | grep -c 'scalable_iommu: unloaded; every unit left as found' |
		   awk -v r=$round '{ print ($1 >= r) ? 1 : 0 }')"
	if [ -n "$devmem_gsts" ]; then
		# RTPS (bit 30) reports the last root-pointer latch and stays
		# set once we latched ours and then the original back.
		expect_eq "unload.$round.gsts" $(( devmem_gsts & ~0x40000000 )) \
			$(( $(devmem $((0x$first_base + 0x1c)) 32) & ~0x40000000 ))
	fi
done
finish
