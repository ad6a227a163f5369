#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM rig's results, both ends: tests/vm/lib.sh's checks as the guest's
# shell prints them (run here under busybox sh, as in the guest), and
# tools/lib.sh's ktap_results, as tools/vm/vm-run reads them back from a
# console log.  A failed check, a lost line or a missing plan must fail.
# Prints one "PASS|FAIL name" line per check; exits 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tools/lib.sh"
. "$here/checks.bash"

ensure_packages busybox-static
# guest PART...: the parts run as vm-run runs them, one shell sourcing
# each in turn beside lib.sh, then finish; the console it would print,
# with the exit status on an @@EXIT line as tools/vm/guest/init adds it.
guest() {
	local i=0 p
	mkdir -p "$tmp/g"
	rm -f "$tmp"/g/*
	cp "$here/../vm/lib.sh" "$tmp/g/lib.sh"
	# shellcheck disable=SC2016 # for the guest's shell to expand
	echo '. "$(dirname "$0")/lib.sh"' >"$tmp/g/run.sh"
	for p in "$@"; do
		i=$((i + 1))
		# shellcheck disable=SC2016 # for the guest's shell to expand
		printf '. "$(dirname "$0")/lib.sh"\n%s\n' "$p" >"$tmp/g/$i.sh"
		echo ". $tmp/g/$i.sh" >>"$tmp/g/run.sh"
	done
	echo finish >>"$tmp/g/run.sh"
	/bin/busybox sh "$tmp/g/run.sh"
	echo "@@EXIT $?"
}

out=$(guest 'pass a.one "fine"; expect_eq a.two 2 2' 'check b.one "true" true' |
	ktap_results)
check "passing parts: every result, numbered on across parts" \
	bash -c '[ "$(printf "%s\n" "$1" | grep -c "^ok [123] ")" = 3 ]' _ "$out"
check "passing parts: nothing added" hasnt "$out" 'not ok\|vm.ktap'

con=$(guest 'fail a.bad "broke"' 'value b.val "x=1
y=2"; pass b.fine "skip this"')
out=$(ktap_results <<<"$con")
check "a failed check in the first part stays failed" has "$out" '^not ok 1 a.bad # broke$'
check "... and the exit status counts it" has "$con" '^@@EXIT 1$'
check "lib.sh prints one version line for all parts" \
	bash -c '[ "$(grep -c "^KTAP version 1$" <<<"$1")" = 1 ]' _ "$con"
check "a value is one diagnostic line" has "$out" '^# value b.val=x=1 y=2$'
check "a detail starting with SKIP is no directive" has "$out" '^ok 2 b.fine # - skip this$'
check "the plan counts both parts" has "$con" '^1\.\.2$'

out=$(printf '%s\r\n' 'KTAP version 1' 'ok 1 a' 'ok 2 b' '1..2' '@@DMESG-BEGIN' \
	'ok 1 from.the.kernel' '@@DMESG-END' | ktap_results)
check "CRLF lines, and the kernel log's lines are not results" \
	bash -c '[ "$1" = "$(printf "ok 1 a\nok 2 b")" ]' _ "$out"
out=$(printf '%s\n' 'KTAP version 1' 'ok 1 a' 'ok 3 c' '1..3' | ktap_results)
check "a lost result fails (numbers)" has "$out" '^not ok 3 vm.ktap # result 2 numbered 3$'
out=$(printf '%s\n' 'KTAP version 1' 'ok 1 a' 'ok 2 b' '1..3' | ktap_results)
check "a lost result fails (plan)" has "$out" '^not ok 3 vm.ktap # plan 1..3, 2 results$'
out=$(printf '%s\n' 'KTAP version 1' 'ok 1 a' | ktap_results)
check "no plan fails: the scenario stopped short" has "$out" '^not ok 2 vm.ktap # no plan'

[ "$failed" = 0 ]
