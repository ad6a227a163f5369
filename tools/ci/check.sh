#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything CI proves, in order, each step reported as
# PASS/FAIL with its time, ending in "check: N passed, N failed".
#   1. build against Debian's stock headers with W=1, no warning allowed
#   2. lint: checkpatch and sparse
#   3. DKMS add/build/install into private trees
#   4. userspace harness (ASan + UBSan), and the host tools' tests
#      (tests/host/: tools/boot-setup.sh on fake roots, the kernel-log
#      report filter tools/vm/vm-run judges guests by, the KTAP results)
#   5. VM tests under QEMU with an emulated VT-d unit, our own backend
#      (intel_iommu=off) and the kernel backend (a default boot; one on
#      QEMU's amd-iommu); the swap soak 30 s (tests/vm/run.sh alone soaks 60);
#      one configuration left to run.sh alone (below)
#   6. the benchmark's smoke run (tools/bench/bench.sh --smoke): the tooling of
#      make bench, end to end, in a minute or two
# and a second pass on Debian 13's kernel, 6.12 (from bookworm-backports,
# made available by tools/vm/stock-kernel.sh):
#   7. build with W=1, no warning allowed
#   8. DKMS add/build/install
#   9. a VM subset: load/unload, one io configuration and the late-call
#      tests on our own backend; on the kernel backend (default boot) the
#      io parts, a shorter swap soak and the protection matrix
# CHECK_612=0 leaves the second pass out.
#
# usage: tools/ci/check.sh [STEP...]: only those steps, of build, lint,
# dkms, unit, host, vm, bench and 612 (the whole second pass); make
# check-build, check-lint, check-dkms, check-unit and check-vm run one.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$SIOMMU_ROOT"

steps=" $* "
for s in "$@"; do
	case $s in
	build|lint|dkms|unit|host|vm|bench|612) ;;
	*) die "unknown step $s (build lint dkms unit host vm bench 612)" ;;
	esac
done
# wanted STEP: true when STEP was asked for, or none was.
wanted() { [ "$steps" = "  " ] || [[ $steps == *" $1 "* ]]; }

ensure_host
kver=$(kernel_version)
headers=$(kernel_headers "$kver")
log "target kernel $kver"

passed=0 failed=0
# step KEY NAME COMMAND...: run it, when KEY is wanted.
step() {
	local key=$1 name=$2 start rc
	shift 2
	wanted "$key" || return 0
	start=$(date +%s)
	"$@"
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS $name ($(( $(date +%s) - start ))s)"
		passed=$((passed + 1))
	else
		echo "FAIL $name ($(( $(date +%s) - start ))s)"
		failed=$((failed + 1))
	fi
}

# build_w1 HEADERS
build_w1() {
	local out
	make -s clean >/dev/null 2>&1
	out=$(make KDIR="$1" W=1 modules 2>&1)
	local rc=$?
	echo "$out" | grep -E 'warning:|error:' && return 1
	[ $rc = 0 ] || { echo "$out"; return 1; }
	[ -f scalable_iommu.ko ]
}

step build "build (W=1, $kver)" build_w1 "$headers"
step lint "lint (checkpatch, sparse)" tools/ci/lint.sh
step dkms "dkms add/build/install" tools/ci/dkms-check.sh
step unit "userspace harness" make -s -C tests/unit check
host_tests() {
	local t out rc=0
	for t in tests/host/*.sh; do
		out=$("$t" 2>&1) || rc=1
		echo "$out" | grep -v '^PASS'
	done
	return $rc
}
step host "host tool tests" host_tests
# Left to tests/vm/run.sh alone, to keep make check near 20 minutes:
# io-aw48-ir-off (io-aw48-ir-on, io-registers and protect-matrix cover
# its parts).  The sysfs fuzzer makes 6000 writes here (12000 alone).
step vm "vm tests" env SOAK_S=30 FUZZ_WRITES=6000 \
	VM_SKIP_RE='^io-aw48-ir-off$' tests/vm/run.sh
step bench "bench smoke" tools/bench/bench.sh --smoke

# The 6.12 VM subset, names as in tests/vm/run.sh.
# Our own backend's load, I/O and late calls, and the kernel backend's
# default boot with live swaps and the protection matrix (the allocators
# and policies are the same code on both backends; 6.1 runs them all).
VM_612_RE='^(load-aw48-ir-on|io-aw48-ir-on|lifecycle-edu|kernel-io|kernel-swap-protect)$'
if [ "${CHECK_612:-1}" != 0 ] && wanted 612; then
	if k612=$(tools/vm/stock-kernel.sh --env bookworm-backports); then
		k612_ver=$(echo "$k612" | sed -n 's/^SIOMMU_KERNEL_VERSION=//p')
		k612_kdir=$(echo "$k612" | sed -n 's/^SIOMMU_KDIR=//p')
		log "second pass: $k612_ver"
		step 612 "build (W=1, $k612_ver)" build_w1 "$k612_kdir"
		# shellcheck disable=SC2086
		step 612 "dkms add/build/install ($k612_ver)" env $k612 tools/ci/dkms-check.sh
		# shellcheck disable=SC2086
		step 612 "vm tests ($k612_ver, subset)" env $k612 SOAK_S=20 \
			VM_TESTS_RE="$VM_612_RE" tests/vm/run.sh
	else
		echo "FAIL second pass: tools/vm/stock-kernel.sh bookworm-backports"
		failed=$((failed + 1))
	fi
fi

echo "check: $passed passed, $failed failed"
[ $failed = 0 ]
