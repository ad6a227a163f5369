# SPDX-License-Identifier: GPL-2.0
# Guest part: the module on a default boot, where the kernel's own IOMMU
# driver translates DMA (issue 14).  It loads and says it runs over the
# kernel's driver (backend, units, its log line); identity is refused
# with its reason, globally and per device, and nothing changes; a device
# that shares its IOMMU group is refused; an attached NVMe disk sits in a
# domain of the kernel's driver (its group's domain is no longer the
# default) with our ops, and detach gives the group its default domain
# back.  Runs first; later parts (nvme_io.sh, nic_io.sh, ...) find the
# module loaded.  EXPECT_KERNEL_IOMMU: VT-d (default) or AMD-Vi.
. "$(dirname "$0")/lib.sh"

/usr/local/sbin/modprobe nvme
wait_for 10 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)

log_mark
check kb.load "insmod on a default boot" load_module
expect_eq kb.backend kernel "$(cat $SIOMMU_SYSFS/backend 2>&1)"
units=$(cat $SIOMMU_SYSFS/units)
value kb.units "$units"
check kb.units "units names the kernel's ${EXPECT_KERNEL_IOMMU:-VT-d}" \
	sh -c 'echo "$1" | grep -q "^kernel $2: "' _ "$units" "${EXPECT_KERNEL_IOMMU:-VT-d}"
check kb.log "load says it runs over the kernel's driver" \
	sh -c 'echo "$1" | grep -q "ready, over the kernel.s IOMMU driver"' _ "$(log_since)"
expect_eq kb.no-rmrrs "" "$(cat $SIOMMU_SYSFS/rmrrs)"

# identity cannot count references in the kernel's tables: refused,
# with the reason in the log, and the default stays.
before=$(cat $SIOMMU_SYSFS/allocator)
log_mark
expect_eq kb.identity-refused "Operation not supported" \
	"$(sysfs_write $SIOMMU_SYSFS/allocator identity)"
check kb.identity-reason "the log says why" \
	sh -c 'echo "$1" | grep -q "allocator identity keeps its reference counts in spare bits"' _ "$(log_since)"
expect_eq kb.identity-unchanged "$before" "$(cat $SIOMMU_SYSFS/allocator)"

# A device whose group holds others (q35's ICH9 functions share one).
shared=$(for g in /sys/kernel/iommu_groups/*; do
	[ "$(ls "$g/devices" | wc -l)" -gt 1 ] && ls "$g/devices" | head -n1 && break
done)
if [ -n "$shared" ]; then
	log_mark
	expect_eq kb.shared-group-refused "Invalid cross-device link" \
		"$(sysfs_write $SIOMMU_SYSFS/attach "$shared")"
	check kb.shared-group-reason "the log names the group" \
		sh -c 'echo "$1" | grep -q "shares IOMMU group"' _ "$(log_since)"
else
	fail kb.shared-group "no multi-device IOMMU group in this machine"
fi

group=/sys/bus/pci/devices/$nvme/iommu_group
type0=$(cat $group/type)
value kb.group-type "$type0"
expect_eq kb.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$nvme")"
wait_for 20 test -b /dev/nvme0n1
line=$(grep "^$nvme " $SIOMMU_SYSFS/devices)
value kb.devices "$line"
check kb.devices-kernel "devices says kernel group=$(basename "$(readlink $group)")" \
	sh -c 'echo "$1" | grep -q " kernel group=$2 allocator="' _ "$line" \
	"$(basename "$(readlink $group)")"
log_mark
expect_eq kb.per-device-identity-refused "Operation not supported" \
	"$(sysfs_write $SIOMMU_SYSFS/device/$nvme/allocator identity)"
check kb.per-device-identity-reason "the log says why" \
	sh -c 'echo "$1" | grep -q "allocator identity keeps"' _ "$(log_since)"
check kb.disk-reads "8 MiB read through our domain" \
	dd if=/dev/nvme0n1 of=/dev/null bs=1M count=8 iflag=direct
check kb.maps "maps counted ($(siommu_stat maps))" test "$(siommu_stat maps)" -gt 0
expect_eq kb.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$nvme")"
wait_for 20 test -b /dev/nvme0n1
expect_eq kb.group-type-back "$type0" "$(cat $group/type)"
check kb.disk-after-detach "8 MiB read on the kernel's own domain" \
	dd if=/dev/nvme0n1 of=/dev/null bs=1M count=8 iflag=direct
expect_eq kb.live-table-pages 0 "$(siommu_stat live_table_pages)"

# Table pages the kernel's driver frees in an unmap wait for the
# invalidation that covers them (dma/xlate/kernel.c).  A 16 MiB
# scatterlist (64 x 256 KiB, one IOVA range) covers whole leaf tables,
# which VT-d's driver frees on unmap; under strict and under percpu
# (where they wait in the batch), the disk attached and verifying after.
# The bench's buffers are gapped: physically adjacent ones merge into
# one run, which the driver may map in 2 MiB superpages with no leaf
# table to free (our reading of one CI run that saw "0 unmaps freed
# table pages" under both policies; local runs never did).  The list is
# a whole number of 2 MiB: on 6.1, an unmap that the core splits into
# pieces of two sizes has the driver sync, and free, the first piece's
# tables itself before the gather returns (64 x 252 KiB: 0 of 956).
BENCH=/test-modules/siommu_dma_bench.ko
if [ -e $BENCH ] && [ "${EXPECT_KERNEL_IOMMU:-VT-d}" = VT-d ]; then
	/usr/local/sbin/insmod $BENCH gapped=1
	expect_eq kb.tables.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$nvme")"
	wait_for 20 test -b /dev/nvme0n1
	for po in strict percpu; do
		sysfs_write $SIOMMU_SYSFS/device/$nvme/invalidation $po >/dev/null
		f0=$(siommu_stat table_freeing_unmaps)
		r=$(sysfs_write /sys/kernel/siommu_dma_bench/run "$nvme 2 300 262144 64")
		res=$(cat /sys/kernel/siommu_dma_bench/result)
		value "kb.tables.$po.bench" "$res"
		check "kb.tables.$po.ran" "16 MiB scatterlists mapped and unmapped: $r, $(unit_field "$res" ops) ops, $(unit_field "$res" errors) errors" \
			test "$r" = ok -a "$(unit_field "$res" errors)" = 0 -a "$(unit_field "$res" ops)" -gt 0
		f=$(( $(siommu_stat table_freeing_unmaps) - f0 ))
		check "kb.tables.$po.freed" "$f unmaps freed table pages" test "$f" -gt 0
	done
	check_disk_verifies kb.tables.disk "after table pages were freed and reused"
	expect_eq kb.tables.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$nvme")"
	/usr/local/sbin/rmmod siommu_dma_bench
fi
