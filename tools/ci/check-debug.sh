#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug: the VM suites on the debug kernels (tools/vm/debug-kernel.sh
# builds them, or finds them built), one flavour after the other: KASAN with
# lockdep, atomic-sleep checks, dma-debug, SLUB debugging and kmemleak; then
# KCSAN with lockdep.  Any report in a guest's kernel log fails its test
# (tools/vm/vm-run's dmesg check); every report found is also copied, whole,
# into one file per flavour.  On demand: "make check" does not run it.
#
# usage: tools/ci/check-debug.sh [kasan|kcsan ...] [name-filter]
#   FLAVOURS="kasan kcsan"  the kernels (default both; arguments win)
#   DEBUG_SUITES=regex      the tests/vm/run.sh configurations to run:
#                           by default the I/O, allocator-swap, reliability
#                           and protection-matrix suites and any lifecycle,
#                           late-load or hotplug configuration
#   name-filter             a substring of the names, as tests/vm/run.sh's
#
# Prints each flavour's run.sh lines, "check-debug: <flavour>: reports in
# FILE" and, last, "check-debug: N passed, N failed".  Runs the VMs one at
# a time: a debug kernel under TCG wants the host's cores.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

flavours=${FLAVOURS:-kasan kcsan} filter=
args=
for a in "$@"; do
	case $a in
	kasan|kcsan) args="$args $a" ;;
	-h|--help) sed -n '3,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
	*) filter=$a ;;
	esac
done
[ -n "$args" ] && flavours=$args
suites=${DEBUG_SUITES:-'^(io-|swap-|reliability$|protect-matrix$|lifecycle|late-|hotplug-|kernel-(io|swap-protect|reliability|hotplug)$)'}

logs=$SIOMMU_CACHE/logs
passed=0 failed=0
for f in $flavours; do
	if ! env=$("$SIOMMU_ROOT/tools/vm/debug-kernel.sh" --env "$f"); then
		echo "FAIL debug-kernel-$f (the kernel did not build)"
		failed=$((failed + 1))
		continue
	fi
	mapfile -t vars <<<"$env"
	out=$(mktemp)
	env "${vars[@]}" VM_JOBS=1 VM_TESTS_RE="$suites" \
		"$SIOMMU_ROOT/tests/vm/run.sh" ${filter:+"$filter"} | tee "$out"
	# Each configuration's console log, kept per flavour, and every
	# report in its kernel log, whole: from the line that opens it to
	# the end of its stack trace.
	dir=$logs/debug-$f reports=$logs/debug-$f/reports.txt
	mkdir -p "$dir"
	: >"$reports"
	for name in $(awk '/^(PASS|FAIL) / { print $2 }' "$out"); do
		[ -f "$logs/$name.log" ] || continue
		cp "$logs/$name.log" "$dir/$name.log"
		sed -n '/^@@DMESG-BEGIN/,/^@@DMESG-END/p' "$logs/$name.log" |
			awk -v name="$name" '
			/WARNING:|BUG:|Oops|KASAN:|KCSAN:|possible circular locking|suspected memory leak|DMA-API: [^ ]+ [^ ]+: |unreferenced object|INFO: (possible|inconsistent|trying)/ {
				if (!on) print "=== " name
				on = 1; n = 0
			}
			/^@@DMESG-END/ { if (on) print ""; on = 0; next }
			on { print; n++ }
			on && (/---\[ end trace|\] =+$/ && n > 3 || n > 120) { on = 0; print "" }
			' >>"$reports"
	done
	echo "check-debug: $f: reports in $reports ($(grep -c '^=== ' "$reports") found)"
	p=$(grep -c '^PASS ' "$out") x=$(grep -c '^FAIL ' "$out")
	passed=$((passed + p)) failed=$((failed + x))
	rm -f "$out"
done
echo "check-debug: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
