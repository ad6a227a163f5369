#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM integration tests: every configuration boots Debian's stock kernel
# under QEMU with the options given, runs a guest scenario from tests/vm/,
# and passes when every check in it passed and the kernel log is clean.
#
# usage: [VM_JOBS=N] [VM_TESTS_RE=regex] [VM_KERNELS="suite ..."]
#        tests/vm/run.sh [name-filter]
# The filter is a substring of the names to run; VM_TESTS_RE, an extended
# regular expression they must match too (tools/ci/check-debug.sh's suites);
# VM_SKIP_RE, one they must not match (make check's 6.1 pass).
# The kernel is the stock one tools/lib.sh targets, or the one that
# SIOMMU_KERNEL_VERSION, _ROOT and SIOMMU_KDIR name; VM_KERNELS runs the
# selection on each of the stock kernels tools/vm/stock-kernel.sh knows
# (bookworm: 6.1, bookworm-backports: 6.12), one kernel after the other.
# SOAK_S, when set, goes to every scenario (swap_io.sh's soak length).
# Prints one "PASS|FAIL <name>" line per configuration and a closing
# "vm: N passed, N failed"; console logs of failures go to .cache/logs/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tools/lib.sh"

if [ -n "${VM_KERNELS:-}" ]; then
	rc=0
	for k in $VM_KERNELS; do
		kenv=$("$SIOMMU_ROOT/tools/vm/stock-kernel.sh" --env "$k") ||
			die "no stock kernel $k"
		log "kernel $k: $(echo "$kenv" | sed -n 's/^SIOMMU_KERNEL_VERSION=//p')"
		# shellcheck disable=SC2046
		env $kenv VM_KERNELS= "$0" "$@" || rc=1
	done
	exit $rc
fi

filter=${1:-}
logs="$SIOMMU_CACHE/logs"
mkdir -p "$logs"

# name | vm-run options | scenario parts, run in order in one boot.
# Load and unload run on all four aw-bits x intremap configurations, I/O on
# three of them and on the identity domain: three-level tables (aw39) run
# with interrupt remapping, both settings of it with four levels; the
# fourth combination covered nothing new and cost make check 75 s.
IO="--device nvme --device nics --device edu"
IO_PARTS="unmanaged_io.sh nvme_io.sh nic_io.sh edu_protect.sh bad_input.sh lifecycle.sh"
# late_calls.sh holds a buffer across its driver's unbind on purpose, and
# dma-debug (the debug kernels) warns about exactly that, once.
# A debug kernel's dma-debug reports the buffer late_calls*.sh holds across
# a detach on purpose, of the edu device at 00:01.0 (lifecycle-edu) or,
# behind the NVMe disk and NICs of $IO, at 00:04.0 (kernel-io).
LATE_ALLOW="--allow-report DMA-API:.pci.0000:00:0[14].0:.device.driver.has.pending.DMA.allocations.while.released"
# subpage.sh's fio on huge pages has Linux 6.1.192's lockdep assertion in
# hugetlb_split() fire at fio's munmap (the munmap path splits the
# hugetlbfs mapping without the i_mmap_rwsem it asserts): the kernel's,
# not this module's, and seen on the debug kernels only.
HUGETLB_ALLOW="--allow-report at.include/linux/fs.h:[0-9]+.hugetlb_split"
TESTS=(
	"load-aw39-ir-off|--aw-bits 39 --intremap off|load_unload.sh"
	"load-aw48-ir-off|--aw-bits 48 --intremap off|load_unload.sh"
	"load-aw39-ir-on|--aw-bits 39 --intremap on|load_unload.sh"
	"load-aw48-ir-on|--aw-bits 48 --intremap on --env EXPECT_TRANSLATED=no|default_boot.sh load_unload.sh"
	"io-aw48-ir-off|--aw-bits 48 --intremap off $IO|$IO_PARTS queue_error.sh"
	"io-aw39-ir-on|--aw-bits 39 --intremap on $IO|$IO_PARTS"
	"io-aw48-ir-on|--aw-bits 48 --intremap on $IO|$IO_PARTS queue_error.sh table_reclaim.sh"
	"io-identity-cm|--aw-bits 48 --intremap off --unit-opts pt=off,caching-mode=on $IO --env EXPECT_UNMANAGED=identity|$IO_PARTS"
	"swap-aw48-ir-on|--aw-bits 48 --intremap on --device nvme --device nics --timeout 500|swap_io.sh"
	"reliability|--aw-bits 48 --intremap on --device nvme --device nics --timeout 700|unload_busy.sh alloc_failure.sh cycles.sh"
	"fault-storm|--aw-bits 48 --intremap on --device nvme --device nics --timeout 400|fault_storm.sh"
	"dma-contract|--aw-bits 48 --intremap off --device edu36 --device edu44 --timeout 400|dma_contract.sh"
	"protect-matrix|--aw-bits 48 --intremap off --device nvme --device edu48 --env EDU_PARAMS=dma_bits=48 --timeout 800 $HUGETLB_ALLOW|protect_matrix.sh subpage.sh"
	"fuzz-sysfs|--aw-bits 48 --intremap on --device nvme --device nics --file $(build_sysfs_fuzz):/sysfs_fuzz --env FUZZ_WRITES=${FUZZ_WRITES:-12000} --timeout 600|sysfs_fuzz.sh"
	"io-registers|--aw-bits 48 --intremap off --device nvme --device edu --env SIOMMU_PARAMS=register_invalidation=1 --env EXPECT_INVAL=registers|nvme_io.sh edu_protect.sh queue_error.sh"
	"refuse-no-vtd|--no-iommu --env EXPECT_ERROR=No.such.device --env EXPECT_LOG=no.ACPI.DMAR.table|refusal.sh"
	"kernel-io|--stock-cmdline --intremap on $IO --dma-bench --env EXPECT_TRANSLATED=yes $LATE_ALLOW|default_boot.sh kernel_backend.sh nvme_io.sh nic_io.sh edu_protect.sh bad_input.sh late_calls_kernel.sh lifecycle.sh"
	"kernel-swap-protect|--stock-cmdline --intremap on --device nvme --device nics --device edu48 --env EDU_PARAMS=dma_bits=48 --timeout 900 $HUGETLB_ALLOW|swap_io.sh protect_matrix.sh subpage.sh"
	"kernel-reliability|--stock-cmdline --intremap on --device nvme --device nics --env CYCLES=20 --timeout 700|unload_busy.sh alloc_failure.sh cycles.sh cpu_hotplug.sh"
	"kernel-hotplug|--stock-cmdline --intremap on --device hotplug --timeout 500|hotplug.sh"
	"kernel-intel-iommu-on|--append intel_iommu=on --intremap on --device nvme|kernel_backend.sh"
	"kernel-amd|--stock-cmdline --no-iommu --qemu-arg -device --qemu-arg amd-iommu --device nvme --device nics --env EXPECT_KERNEL_IOMMU=AMD-Vi|kernel_backend.sh nvme_io.sh nic_io.sh lifecycle.sh"
	"edu-dma-no-iommu|--device edu|edu_dma.sh"
	"lifecycle-edu|--aw-bits 48 --intremap off --device edu --device edu $LATE_ALLOW|late_calls.sh driver_pin.sh pgtable_stress.sh"
	"lifecycle-cpuhp|--aw-bits 48 --intremap on --device nvme --timeout 500|cpu_hotplug.sh"
	"hotplug-ir-off|--aw-bits 48 --intremap off --device hotplug --timeout 500|hotplug.sh"
	"hotplug-identity-ir-on|--aw-bits 48 --intremap on --unit-opts pt=off,caching-mode=on --device hotplug --timeout 500|hotplug.sh"
	"bridge-alias|--aw-bits 48 --intremap on --device bridge-nics --timeout 300|bridge_alias.sh"
)

# Build once here: the VMs below run side by side and must not build the
# same objects at the same time.
kver=$(kernel_version)
"$SIOMMU_ROOT/tools/vm/mkinitramfs.sh" "$kver" >/dev/null
build_module "$kver" >/dev/null
build_edu_test "$kver" >/dev/null
build_dma_bench "$kver" >/dev/null	# kernel-io's --dma-bench
export SIOMMU_PREBUILT=1

# VM_JOBS VMs at a time (default 2): most of a VM test's time is waiting
# on emulated devices and timers, so two share the host's cores well.
jobs=${VM_JOBS:-2}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
run_one() {
	local n=$1 name=$2 opts=$3 parts=$4 p out start
	local scenarios=()
	for p in $parts; do scenarios+=("$here/$p"); done
	[ -n "${SOAK_S:-}" ] && opts="$opts --env SOAK_S=$SOAK_S"
	start=$(date +%s)
	# shellcheck disable=SC2086
	if out=$("$SIOMMU_ROOT/tools/vm/vm-run" $opts --log "$logs/$name.log" \
		"${scenarios[@]}" 2>&1); then
		echo "PASS $name ($(echo "$out" | grep -c '^ok ') checks, $(( $(date +%s) - start ))s)" >"$results/$n"
	else
		# vm-run's KTAP less what passed: failures, values, its log.
		{ echo "FAIL $name ($(( $(date +%s) - start ))s, console: $logs/$name.log)"
		  echo "$out" | grep -v -E '^(ok |KTAP version |1[.][.][0-9])' |
			sed 's/^/    /'; } >"$results/$n"
	fi
}

n=0
for t in "${TESTS[@]}"; do
	IFS='|' read -r name opts parts <<<"$t"
	[ -n "$filter" ] && [[ $name != *$filter* ]] && continue
	[ -n "${VM_TESTS_RE:-}" ] && ! [[ $name =~ $VM_TESTS_RE ]] && continue
	[ -n "${VM_SKIP_RE:-}" ] && [[ $name =~ $VM_SKIP_RE ]] && continue
	n=$((n + 1))
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	run_one "$n" "$name" "$opts" "$parts" &
done
wait

passed=0 failed=0
for i in $(seq "$n"); do
	cat "$results/$i"
	if head -n1 "$results/$i" | grep -q '^PASS'; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "vm: $passed passed, $failed failed"
[ $failed = 0 ]
