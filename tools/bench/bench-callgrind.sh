#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Instructions per alloc+free pair of each IOVA allocator, counted by
# callgrind over the userspace benchmark (tests/unit/bench_iova.c): one
# thread, PAIRS pairs, collection switched on inside bench_pairs() only.
# Prints CSV: allocator,instr_per_pair.
# Then instructions per map+unmap pair of each allocator x invalidation
# policy (tests/unit/bench_pairs.c: an IOVA alloc plus the policy's
# unmapped(), which frees the range after the fake unit's invalidation,
# SPIN empty-loop iterations, default 1000): allocator,policy,instr_per_pair.
# Then instructions per page of 16-page map+unmap rounds by how they reach
# the page table (tests/unit/bench_range.c: per page, per range, a
# 16-segment scatterlist per segment and as one list of runs), PAIRS / 10
# rounds: mode,instr_per_page.
#   tools/bench/bench-callgrind.sh [PAIRS [1|mix [SPIN]]]
# The count is of the allocator over the shim: kmalloc is glibc malloc,
# a spinlock one atomic exchange (as the kernel's, uncontended).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

pairs=${1:-200000}
size=${2:-1}
spin=${3:-1000}
ensure_packages valgrind
make -s -C "$SIOMMU_ROOT/tests/unit" bench_iova bench_pairs bench_range >&2 ||
	die "bench build failed"
bench=$SIOMMU_ROOT/tests/unit/bench_iova
pairs_bench=$SIOMMU_ROOT/tests/unit/bench_pairs
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# per_unit NAME FUNC UNITS_SED -- CMD...: run CMD under callgrind, counting
# only inside FUNC; print instructions per unit, the number CMD's output
# gives through UNITS_SED (a sed -n script).
per_unit() {
	local name=$1 func=$2 units_sed=$3 res units instr
	shift 4
	res=$(valgrind --tool=callgrind --callgrind-out-file="$out/$name.cg" \
		--collect-atstart=no --toggle-collect="$func" \
		"$@" 2>"$out/$name.log") ||
		{ cat "$out/$name.log" >&2; die "$name: run failed"; }
	units=$(echo "$res" | sed -n "$units_sed")
	instr=$(sed -n 's/^summary: *//p' "$out/$name.cg" | awk '{print $1}')
	if [ -z "$units" ] || [ -z "$instr" ]; then
		die "$name: no count"
	fi
	awk -v i="$instr" -v n="$units" 'BEGIN { printf "%.1f\n", i / n }'
}
collected='s/^pairs_collected=//p'

echo "allocator,instr_per_pair"
for a in $("$bench" -l); do
	v=$(per_unit "$a" bench_pairs "$collected" -- \
		"$bench" -c "$a" -n "$pairs" -s "$size") || exit 1
	echo "$a,$v"
done

echo
echo "allocator,policy,instr_per_pair"
for a in $("$pairs_bench" -l); do
	for p in $("$pairs_bench" -L); do
		v=$(per_unit "$a-$p" bench_ops "$collected" -- \
			"$pairs_bench" -c "$a" -p "$p" -n "$pairs" -f "$spin") ||
			exit 1
		echo "$a,$p,$v"
	done
done

echo
echo "mode,instr_per_page"
range_bench=$SIOMMU_ROOT/tests/unit/bench_range
rounds=$(( pairs / 10 > 0 ? pairs / 10 : 1 ))
for m in $("$range_bench" -l); do
	v=$(per_unit "range-$m" bench_body 's/.* pages=\([0-9]*\) .*/\1/p' \
		-- "$range_bench" -m "$m" -n "$rounds") || exit 1
	echo "$m,$v"
done
