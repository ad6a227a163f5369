# SPDX-License-Identifier: GPL-2.0
# Guest scenario: the module must refuse to load, with the errno named by
# EXPECT_ERROR (as insmod prints it) and a dmesg line matching EXPECT_LOG,
# and leave nothing behind.
. "$(dirname "$0")/lib.sh"

out=$(load_module 2>&1)
rc=$?
check refuse.insmod-fails "insmod exit status $rc" test "$rc" -ne 0
check refuse.errno "$out" sh -c "echo \"\$1\" | grep -q \"\$2\"" _ "$out" "$EXPECT_ERROR"
msg=$(dmesg | grep 'scalable_iommu: ' | grep -v -e taints -e 'verification failed')
check refuse.message "$(echo "$msg" | head -n1)" sh -c "echo \"\$1\" | grep -q \"\$2\"" _ "$msg" "$EXPECT_LOG"
expect_eq refuse.one-line 1 "$(echo "$msg" | grep -c .)"
check refuse.no-sysfs "nothing in /sys/kernel" test ! -e $SIOMMU_SYSFS
check refuse.not-loaded "not in /proc/modules" sh -c '! grep -q "^scalable_iommu " /proc/modules'
check refuse.no-iomem "no region left claimed" sh -c '! grep -q scalable_iommu /proc/iomem'
finish
