# SPDX-License-Identifier: GPL-2.0
# Guest scenario: what the stock kernel does with DMA remapping when the
# command line says nothing about it (vm-run --stock-cmdline), or says
# intel_iommu=off.  EXPECT_TRANSLATED=yes: the kernel translates DMA itself
# (a fresh Debian install), as README and tools/boot-setup.sh status say;
# no: it leaves that to us, interrupt remapping or not.  Runs before
# refusal.sh or load_unload.sh in the same boot.
. "$(dirname "$0")/lib.sh"

groups=$(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)
domain=$(dmesg | sed -n 's/.*iommu: Default domain type: \([A-Za-z-]*\).*/\1/p' | head -n1)
value platform.cmdline "$(cat /proc/cmdline)"
value platform.iommu-groups "$groups"
if [ "$EXPECT_TRANSLATED" = yes ]; then
	check platform.no-intel-iommu-param "the kernel's default" \
		sh -c '! grep -q intel_iommu= /proc/cmdline'
	expect_eq platform.default-domain Translated "$domain"
	check platform.dmar-in-sysfs "/sys/class/iommu/dmar0" test -e /sys/class/iommu/dmar0
	check platform.iommu-groups "$groups groups" test "$groups" -gt 0
else
	check platform.intel-iommu-off "intel_iommu=off given" \
		grep -q 'intel_iommu=off' /proc/cmdline
	# Not the default domain line: the iommu core prints its type
	# whether a driver registers or not (6.1: "Translated" here too; this
	# check failed unseen while load_unload.sh's own ". /lib.sh" reset the
	# failure count).  The VT-d driver's unit in sysfs is the witness.
	value platform.default-domain-line "${domain:-none}"
	check platform.no-dmar-in-sysfs "no /sys/class/iommu/dmar0" \
		test ! -e /sys/class/iommu/dmar0
	expect_eq platform.no-iommu-groups 0 "$groups"
fi
