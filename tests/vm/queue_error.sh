# SPDX-License-Identifier: GPL-2.0
# Guest part: an invalidation-queue error, injected, and recovered from.
# On a unit that invalidates through our own queue (intremap off), with
# the NVMe disk attached under strict invalidation (every unmap waits for
# its IOTLB invalidation), write the unit's name to inject_queue_error:
# a malformed descriptor goes onto the queue, the unit stops at it
# (FSTS.IQE), and we must skip it.  Then: the write fails with EIO (the
# submitter of the bad descriptor gets the error), dmesg holds exactly one
# queue-error report and no timeout, stats/queue_errors grew by 1, and
# fio --verify on the disk runs clean with every unmap's invalidation
# succeeding: the device's mappings come back to what they were before
# fio (strict keeps a range whose invalidation failed allocated for good).
# Then "<unit> queued" leaves one in the queue, as a timed-out submission
# would: the next unmap's invalidation skips it and succeeds, the same
# checks hold.
# On the kernel's queue (intremap on) and the register path the write is
# refused with EOPNOTSUPP.  Needs --device nvme.
. "$(dirname "$0")/lib.sh"
KNOB=$SIOMMU_SYSFS/inject_queue_error

/usr/local/sbin/modprobe nvme
wait_for 10 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)
grep -q '^scalable_iommu ' /proc/modules || load_module
unit=$(head -n1 $SIOMMU_SYSFS/units)
qunit=${unit%% *}
qpath=$(unit_field "$unit" invalidation)
qerr0=$(siommu_stat queue_errors)
check qerr.counter "stats/queue_errors readable: ${qerr0:-missing}" \
	test -n "$qerr0"
qerr0=${qerr0:-0}
expect_eq qerr.bad-name "Invalid argument" "$(sysfs_write $KNOB garbage)"
expect_eq qerr.bad-mode "Invalid argument" "$(sysfs_write $KNOB "dmar0 later")"
expect_eq qerr.no-unit "No such device" "$(sysfs_write $KNOB dmar99)"
log_mark

if [ "$qpath" != own-queue ]; then
	expect_eq "qerr.refused-$qpath" "Operation not supported" \
		"$(sysfs_write $KNOB "$qunit")"
	expect_eq "qerr.refused-$qpath.log" 1 \
		"$(log_since | grep -c "inject_queue_error: $qunit invalidates through $qpath")"
	expect_eq "qerr.refused-$qpath.count" 0 $(( $(siommu_stat queue_errors) - qerr0 ))
else
	policy=$(sed 's/.*\[\(.*\)\].*/\1/' $SIOMMU_SYSFS/invalidation)
	sysfs_write $SIOMMU_SYSFS/invalidation strict >/dev/null
	expect_eq qerr.attach ok "$(sysfs_write $SIOMMU_SYSFS/attach "$nvme")"
	check_disk_verifies qerr.fio-before "before the error"
	maps0=$(sed -n "s/^$nvme .* mappings=\([0-9]*\).*/\1/p" \
		$SIOMMU_SYSFS/devices)
	flushes0=$(siommu_stat iotlb_flushes)
	log_mark

	expect_eq qerr.inject "Input/output error" "$(sysfs_write $KNOB "$qunit")"
	check_disk_verifies qerr.fio-after "strict invalidation after the error"

	maps=$(sed -n "s/^$nvme .* mappings=\([0-9]*\).*/\1/p" \
		$SIOMMU_SYSFS/devices)
	expect_eq qerr.no-leak "${maps0:-none}" "${maps:-none}"
	check qerr.flushed "strict flushes since: $(( $(siommu_stat iotlb_flushes) - flushes0 ))" \
		test $(( $(siommu_stat iotlb_flushes) - flushes0 )) -gt 1000
	expect_eq qerr.count 1 $(( $(siommu_stat queue_errors) - qerr0 ))
	reports=$(log_since | grep -c "invalidation queue error")
	expect_eq qerr.reported-once 1 "$reports"
	expect_eq qerr.no-timeouts 0 "$(log_since | grep -c 'timed out')"
	log_since | grep -m 3 "invalidation"

	# Left queued, as a submission that timed out leaves its entries:
	# the next invalidation (an unmap's) finds the unit stopped on a
	# descriptor not its own, skips it, and succeeds itself.
	log_mark
	expect_eq qerr.inject-queued ok "$(sysfs_write $KNOB "$qunit queued")"
	check_disk_verifies qerr.fio-queued "after a queued error"
	maps=$(sed -n "s/^$nvme .* mappings=\([0-9]*\).*/\1/p" \
		$SIOMMU_SYSFS/devices)
	expect_eq qerr.queued-no-leak "${maps0:-none}" "${maps:-none}"
	expect_eq qerr.queued-count 2 $(( $(siommu_stat queue_errors) - qerr0 ))
	expect_eq qerr.queued-reported-once 1 \
		"$(log_since | grep -c "invalidation queue error")"
	expect_eq qerr.queued-no-timeouts 0 "$(log_since | grep -c 'timed out')"

	expect_eq qerr.detach ok "$(sysfs_write $SIOMMU_SYSFS/detach "$nvme")"
	sysfs_write $SIOMMU_SYSFS/invalidation "$policy" >/dev/null
fi
