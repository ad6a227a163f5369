# SPDX-License-Identifier: GPL-2.0
# Sourced by the host tests (tests/host/*.sh; not a test itself, hence not
# .sh): a scratch directory removed on exit, and check NAME COMMAND...,
# which prints "PASS|FAIL NAME" and counts failures in $failed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
check() {
	local name=$1
	shift
	if "$@"; then
		echo "PASS $name"
	else
		echo "FAIL $name"
		failed=$((failed + 1))
	fi
}
has() { grep -q -- "$2" <<<"$1"; }
hasnt() { ! grep -q -- "$2" <<<"$1"; }
