# SPDX-License-Identifier: GPL-2.0
# Guest part: with the module translating, a device we do not manage (the
# NVMe disk, not attached) keeps doing verified I/O, through pass-through
# or, where the unit has no pass-through, through the identity domain.
# Needs --device nvme.  EXPECT_UNMANAGED: passthrough (default) or identity.
. "$(dirname "$0")/lib.sh"
/usr/local/sbin/modprobe nvme
wait_for 10 test -b /dev/nvme0n1
grep -q '^scalable_iommu ' /proc/modules || load_module
expect_eq unmanaged.kind "${EXPECT_UNMANAGED:-passthrough}" \
	"$(unit_field "$(head -n1 $SIOMMU_SYSFS/units)" unmanaged)"
out=$(fio_run unmanaged size=8M 2>&1)
rc=$?
check unmanaged.fio "fio verify on the unattached disk: exit $rc" \
	sh -c '[ "$1" = 0 ] && echo "$2" | grep -q "err= 0"' _ "$rc" "$out"
expect_eq unmanaged.faults 0 "$(siommu_stat faults)"
