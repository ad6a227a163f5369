#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything CI proves, in order, each step reported as
# PASS/FAIL with its time, ending in "check: N passed, N failed".
#   1. build against Debian's stock headers with W=1, no warning allowed
#   2. lint: checkpatch and sparse
#   3. DKMS add/build/install into private trees
#   4. userspace harness (ASan + UBSan), and the host tools' tests
#      (tests/host/: tools/boot-setup.sh on fake roots)
#   5. VM tests under QEMU with an emulated VT-d unit
#   6. the benchmark's smoke run (tools/bench.sh --smoke): the tooling of
#      make bench, end to end, in a minute or two
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$SIOMMU_ROOT"

ensure_host
kver=$(kernel_version)
headers=$(kernel_headers "$kver")
log "target kernel $kver"

passed=0 failed=0
step() {
	local name=$1 start rc
	shift
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

build_w1() {
	local out
	make -s clean >/dev/null 2>&1
	out=$(make KDIR="$headers" W=1 modules 2>&1)
	local rc=$?
	echo "$out" | grep -E 'warning:|error:' && return 1
	[ $rc = 0 ] || { echo "$out"; return 1; }
	[ -f scalable_iommu.ko ]
}

step "build (W=1, $kver)" build_w1
step "lint (checkpatch, sparse)" tools/lint.sh
step "dkms add/build/install" tools/dkms-check.sh
step "userspace harness" make -s -C tests/unit check
host_tests() {
	local t out rc=0
	for t in tests/host/*.sh; do
		out=$("$t" 2>&1) || rc=1
		echo "$out" | grep -v '^PASS'
	done
	return $rc
}
step "host tool tests" host_tests
step "vm tests" tests/vm/run.sh
step "bench smoke" tools/bench.sh --smoke

echo "check: $passed passed, $failed failed"
[ $failed = 0 ]
