#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: every allocator x invalidation policy of ours side by side
# with the stock kernel's IOMMU (lazy and strict) and with no translation,
# as ratios measured inside one boot (DESIGN.md section 5); and our pairs
# over the kernel's own page tables (the kernel backend) beside the stock
# modes in their boot, so that only IOVA allocation and invalidation
# differ.  Writes a
# Markdown report with CSV data and SVG plots to results/<date-time>/
# (results/latest points to it).
#
# usage: tools/bench/bench.sh [--smoke] [--out DIR]
#   --smoke   seconds-long version for make check: one vCPU count, one
#             round, one pair of ours, the stock lazy mode and one pair
#             over the kernel backend, short runs; fails when any step or
#             number is missing
#   --out     write there instead (emptied first)
#
# Per vCPU count, two boots of Debian's kernel under QEMU with the same
# devices (an NVMe disk, two e1000e NICs on a hub) and interrupt
# remapping on:
#   ours   intel_iommu=off + scalable_iommu: blocks detached ("none") and
#          attached with each pair, interleaved (tools/bench/guest.sh)
#   stock  intel_iommu=on: groups of type identity ("none"), DMA-FQ, DMA,
#          and scalable_iommu loaded over the kernel's IOMMU driver (its
#          kernel backend): blocks attached with each pair of
#          BENCH_KERNEL_PAIRS, reported as "kernel:<pair>" (the identity
#          allocator is refused there, so it has no such block)
# Each block runs the DMA API microbenchmark (tools/bench/dma_bench) at 1, 2,
# 4, ... threads up to the vCPUs, and at the vCPU counts in
# BENCH_E2E_VCPUS also fio 4k random reads (same job counts, iodepth 16),
# iperf3 and sockperf ping-pong.  Then the userspace harness's scaling
# curves and callgrind counts.  tools/bench/bench_report.py turns it into the
# report.
#
# Settings (environment; defaults in brackets):
#   BENCH_VCPUS [2 4 8]   BENCH_E2E_VCPUS [the largest of BENCH_VCPUS
#   not above the host's cores]   BENCH_ROUNDS [3]   BENCH_PAIRS [every
#   allocator+policy; "allocator+strict+subpage" also takes each device
#   to protection=subpage]   BENCH_STOCK [DMA-FQ DMA]   BENCH_KERNEL_PAIRS
#   [every allocator+policy but identity's; empty: none]   BENCH_MICRO [4096:1
#   65536:1 4096:16] (bytes:segments)   BENCH_MICRO_MS [500]
#   BENCH_FIO_S [2]   BENCH_NET_S [2]   BENCH_HARNESS_THREADS [1,2,4,8]
#   BENCH_HARNESS_S [0.5]   BENCH_CALLGRIND_PAIRS [200000]
#   BENCH_INTREMAP [on] (off: the unit's invalidation queue is free, and
#   ours uses its own instead of the kernel's; docs/invalidation.md)
# The smoke run's pairs: magazine+percpu for both.  The default run takes
# nearly two hours on a 2-core machine (BENCH_KERNEL_PAIRS= saves most of an
# hour).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

smoke=no out=
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=yes; shift ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done

ALLOCATORS="rbtree magazine kmalloc identity linux"
POLICIES="strict deferred percpu"
all_pairs=$(for a in $ALLOCATORS; do for p in $POLICIES; do
	printf '%s+%s ' "$a" "$p"; done; done)
# The kernel backend refuses identity (EOPNOTSUPP): no page tables of its own.
kernel_pairs=$(for p in $all_pairs; do
	case $p in identity+*) ;; *) printf '%s ' "$p" ;; esac; done)
if [ $smoke = yes ]; then
	: "${BENCH_VCPUS:=2}" "${BENCH_E2E_VCPUS:=2}" "${BENCH_ROUNDS:=1}"
	: "${BENCH_PAIRS:=magazine+percpu}" "${BENCH_STOCK:=DMA-FQ}"
	: "${BENCH_KERNEL_PAIRS=magazine+percpu}"
	: "${BENCH_MICRO:=4096:1 4096:16}" "${BENCH_MICRO_MS:=100}"
	: "${BENCH_FIO_S:=1}" "${BENCH_NET_S:=1}"
	: "${BENCH_HARNESS_THREADS:=1,2}" "${BENCH_HARNESS_S:=0.02}"
	: "${BENCH_CALLGRIND_PAIRS:=2000}"
	out=${out:-$SIOMMU_CACHE/bench-smoke}
fi
host_cores=$(nproc)
: "${BENCH_VCPUS:=2 4 8}" "${BENCH_ROUNDS:=3}" "${BENCH_PAIRS:=$all_pairs}"
: "${BENCH_STOCK:=DMA-FQ DMA}" "${BENCH_MICRO:=4096:1 65536:1 4096:16}"
: "${BENCH_INTREMAP:=on}"
# Unlike the others, set but empty means "no kernel-backend blocks".
: "${BENCH_KERNEL_PAIRS=$kernel_pairs}"
: "${BENCH_MICRO_MS:=500}" "${BENCH_FIO_S:=2}" "${BENCH_NET_S:=2}"
: "${BENCH_HARNESS_THREADS:=1,2,4,8}" "${BENCH_HARNESS_S:=0.5}"
: "${BENCH_CALLGRIND_PAIRS:=200000}"
if [ -z "${BENCH_E2E_VCPUS:-}" ]; then
	BENCH_E2E_VCPUS=$host_cores
	for v in $BENCH_VCPUS; do
		[ "$v" -le "$host_cores" ] || continue
		BENCH_E2E_VCPUS=$v
	done
fi

for p in $BENCH_PAIRS; do
	case $p in
	*+strict+subpage) p=${p%+subpage} ;;
	*+subpage) die "$p: protection=subpage needs strict" ;;
	esac
	case " $all_pairs " in *" $p "*) ;; *) die "unknown pair $p" ;; esac
done
for s in $BENCH_STOCK; do
	case $s in DMA-FQ|DMA) ;; *) die "unknown stock mode $s" ;; esac
done
for p in $BENCH_KERNEL_PAIRS; do
	case $p in identity+*) die "$p: the kernel backend refuses identity" ;; esac
	case " $kernel_pairs " in *" $p "*) ;; *) die "unknown pair $p" ;; esac
done
kernel_configs=$(for p in $BENCH_KERNEL_PAIRS; do printf 'kernel:%s ' "$p"; done)

ensure_host
ensure_packages gnuplot-nox valgrind
if [ -z "$out" ]; then
	stamp=$(date +%Y%m%d-%H%M%S)
	out=$SIOMMU_ROOT/results/$stamp
	mkdir -p "$SIOMMU_ROOT/results"
	ln -sfn "$stamp" "$SIOMMU_ROOT/results/latest"
fi
rm -rf "$out"
mkdir -p "$out/logs"
log "results in $out"

# 1, 2, 4, ... up to v, and v itself.
thread_counts() {
	local n=1 list=
	while [ $n -lt "$1" ]; do list="$list $n"; n=$((n * 2)); done
	echo "$list $1"
}

{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit=$(git -C "$SIOMMU_ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "host_cores=$host_cores"
	echo "host_cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)"
	echo "qemu=$(qemu-system-x86_64 --version | head -n1)"
	echo "kernel=$(kernel_version)"
	echo "settings=$([ $smoke = yes ] && echo "smoke run, ")rounds $BENCH_ROUNDS, microbenchmark ${BENCH_MICRO_MS} ms a run ($BENCH_MICRO bytes:segments), fio ${BENCH_FIO_S} s, iperf3/sockperf ${BENCH_NET_S} s, interrupt remapping $BENCH_INTREMAP"
	echo "vcpus=$BENCH_VCPUS"
	echo "e2e_vcpus=$BENCH_E2E_VCPUS"
} >"$out/meta.txt"

echo "vcpus,side,round,seq,config,test,n,metric,value" >"$out/measurements.csv"
status=0
for v in $BENCH_VCPUS; do
	e2e=0
	for e in $BENCH_E2E_VCPUS; do [ "$e" = "$v" ] && e2e=1; done
	threads=$(thread_counts "$v")
	for side in ours stock; do
		if [ $side = ours ]; then
			configs=$BENCH_PAIRS append=intel_iommu=off
		else
			configs="$BENCH_STOCK $kernel_configs"
			append=intel_iommu=on
		fi
		nconf=$(echo $configs | wc -w)
		nthr=$(echo $threads | wc -w)
		# A generous bound: TCG on oversubscribed vCPUs is slow.
		per_block=$(( nthr * $(echo $BENCH_MICRO | wc -w) *
			(BENCH_MICRO_MS / 100 + 1) / 3 + 20 ))
		[ $e2e = 1 ] && per_block=$(( per_block +
			nthr * (BENCH_FIO_S + 4) + 2 * (BENCH_NET_S + 4) ))
		limit=$(( BENCH_ROUNDS * (2 * nconf + 1) * per_block * 2 + 300 ))
		console="$out/logs/console-$side-$v.log"
		log "$side, $v vCPUs, threads:$threads, e2e=$e2e, configs: $configs"
		start=$(date +%s)
		if ! "$SIOMMU_ROOT/tools/vm/vm-run" --aw-bits 48 \
			--intremap "$BENCH_INTREMAP" \
			--append "$append" --smp "$v" --device nvme --device nics \
			--dma-bench --timeout "$limit" --log "$console" \
			--env BENCH_SIDE=$side --env "BENCH_CONFIGS=$configs" \
			--env BENCH_ROUNDS="$BENCH_ROUNDS" \
			--env "BENCH_THREADS=$threads" \
			--env "BENCH_MICRO=$BENCH_MICRO" \
			--env BENCH_MICRO_MS="$BENCH_MICRO_MS" \
			--env BENCH_E2E=$e2e --env BENCH_FIO_S="$BENCH_FIO_S" \
			--env BENCH_NET_S="$BENCH_NET_S" \
			"$SIOMMU_ROOT/tools/bench/guest.sh" >"$out/logs/vm-$side-$v.txt" 2>&1; then
			log "$side, $v vCPUs: the VM reported failures:"
			grep -v -E '^(ok |KTAP version |1[.][.][0-9])' \
				"$out/logs/vm-$side-$v.txt" | sed 's/^/    /' >&2
			status=1
		fi
		log "$side, $v vCPUs: $(grep -ac '^@@BENCH ' "$console" || true) measurements in $(( $(date +%s) - start ))s"
		# @@BENCH round seq config test n key=value...
		tr -d '\r' <"$console" | awk -v v="$v" -v side=$side '
			$1 == "@@BENCH" {
				for (i = 7; i <= NF; i++) {
					split($i, kv, "=")
					printf "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", v, side,
						$2, $3, $4, $5, $6, kv[1], kv[2]
				}
			}' >>"$out/measurements.csv"
	done
done

log "userspace harness: allocator x policy pairs at threads $BENCH_HARNESS_THREADS"
make -s -C "$SIOMMU_ROOT/tests/unit" bench_pairs >&2 || die "harness build failed"
"$SIOMMU_ROOT/tests/unit/bench_pairs" -T "$BENCH_HARNESS_THREADS" \
	-d "$BENCH_HARNESS_S" >"$out/harness_pairs.csv" || status=1
log "callgrind: instructions per pair ($BENCH_CALLGRIND_PAIRS pairs)"
"$SIOMMU_ROOT/tools/bench/bench-callgrind.sh" "$BENCH_CALLGRIND_PAIRS" \
	>"$out/callgrind.txt" || status=1
awk 'NF == 0 { part++; next }
	{ print > (part == 0 ? alloc : part == 1 ? pairs : range) }' \
	alloc="$out/callgrind_allocators.csv" pairs="$out/callgrind_pairs.csv" \
	range="$out/callgrind_range.csv" "$out/callgrind.txt"
rm -f "$out/callgrind.txt"

log "report"
expect="--expect-configs=$(echo $BENCH_PAIRS $BENCH_STOCK $kernel_configs | tr ' ' ,)"
python3 "$SIOMMU_ROOT/tools/bench/bench_report.py" "$expect" "$out" || status=1
log "report: $out/report.md"
exit $status
