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
#   tools/bench/bench-callgrind.sh [PAIRS [1|mix [SPIN]]]
# The count is of the allocator over the shim: kmalloc is glibc malloc,
# a spinlock one atomic exchange (as the kernel's, uncontended).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

pairs=${1:-200000}
size=${2:-1}
spin=${3:-1000}
ensure_packages valgrind
make -s -C "$SIOMMU_ROOT/tests/unit" bench_iova bench_pairs >&2 ||
	die "bench build failed"
bench=$SIOMMU_ROOT/tests/unit/bench_iova
pairs_bench=$SIOMMU_ROOT/tests/unit/bench_pairs
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "allocator,instr_per_pair"
for a in $("$bench" -l); do
	res=$(valgrind --tool=callgrind --callgrind-out-file="$out/$a.cg" \
		--collect-atstart=no --toggle-collect=bench_pairs \
		"$bench" -c "$a" -n "$pairs" -s "$size" 2>"$out/$a.log") ||
		{ cat "$out/$a.log" >&2; die "$a: run failed"; }
	collected=$(echo "$res" | sed -n 's/^pairs_collected=//p')
	instr=$(sed -n 's/^summary: *//p' "$out/$a.cg" | awk '{print $1}')
	[ -n "$collected" ] && [ -n "$instr" ] || die "$a: no count"
	awk -v a="$a" -v i="$instr" -v n="$collected" \
		'BEGIN { printf "%s,%.1f\n", a, i / n }'
done

echo
echo "allocator,policy,instr_per_pair"
for a in $("$pairs_bench" -l); do
	for p in $("$pairs_bench" -L); do
		res=$(valgrind --tool=callgrind \
			--callgrind-out-file="$out/$a-$p.cg" \
			--collect-atstart=no --toggle-collect=bench_ops \
			"$pairs_bench" -c "$a" -p "$p" -n "$pairs" -f "$spin" \
			2>"$out/$a-$p.log") ||
			{ cat "$out/$a-$p.log" >&2; die "$a+$p: run failed"; }
		collected=$(echo "$res" | sed -n 's/^pairs_collected=//p')
		instr=$(sed -n 's/^summary: *//p' "$out/$a-$p.cg" |
			awk '{print $1}')
		[ -n "$collected" ] && [ -n "$instr" ] ||
			die "$a+$p: no count"
		awk -v a="$a" -v p="$p" -v i="$instr" -v n="$collected" \
			'BEGIN { printf "%s,%s,%.1f\n", a, p, i / n }'
	done
done
