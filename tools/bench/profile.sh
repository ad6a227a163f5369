#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In-guest CPU profiles of the DMA API microbenchmark (4 KiB, dma_map_page)
# and of fio (4 KiB random reads) on the NVMe disk: ours with one
# allocator+policy pair beside the stock kernel's IOMMU in one mode, each
# in the boot tools/bench/bench.sh gives that side (Debian's kernel under
# QEMU, the same devices, interrupt remapping on).  Where bench.sh says
# how fast, this says where the time goes.  perf samples a software clock
# (cpu-clock): TCG emulates no PMU, and cycles or instructions would be
# the host's anyway.  Not part of make check.
#
# usage: tools/bench/profile.sh [--out DIR] [ours] [stock]
#   --out   write there (default results/); the sides named (default both)
# Given a bench.sh results folder as DIR, "tools/bench/bench_report.py DIR"
# then shows the profiles in its report ("Where the cycles go").
#
# Writes <out>/profile-<side>-<test>.txt, for test micro_4k and
# fio_randread_4k: a "# ..." line (samples, configuration, the workload's
# own result under perf, which slows it) and the PROFILE_TOP hottest
# symbols, "<percent>% [k] <symbol>" ([.]: user space), percent of all
# samples of both vCPUs, idle included; and profile-<side>-<test>.callers.txt,
# perf's call chains into those at PROFILE_CALLERS_PCT% or more.  A
# cpu-clock sample is taken in a timer interrupt, so time with interrupts
# off counts where they come back on (_raw_spin_unlock_irqrestore,
# handle_softirqs): the callers say whose it is.  Likewise under TCG the
# time QEMU takes to emulate a device register access counts at the
# instruction after it: read_hpet (the guest's clock), _raw_spin_unlock in
# nvme_queue_rq (after the doorbell write).  Tail calls leave chains short
# of their callers: dma_map_page_attrs jumps to the ops' map_page, so no
# chain shows it.  The consoles go to <out>/logs/.
#
# Settings (environment; defaults in brackets): PROFILE_PAIR
#   [magazine+percpu]   PROFILE_STOCK [DMA-FQ]   PROFILE_S [3] (seconds
#   sampled)   PROFILE_THREADS [2] (microbenchmark threads, fio jobs)
#   PROFILE_FREQ [1000] (samples a second per vCPU)   PROFILE_TOP [20]
#   PROFILE_CALLERS_PCT [3]   PROFILE_VCPUS [2]   BENCH_INTREMAP [on]
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

out=$SIOMMU_ROOT/results sides=
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	ours|stock) sides="$sides $1"; shift ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
: "${sides:=ours stock}"
: "${PROFILE_PAIR:=magazine+percpu}" "${PROFILE_STOCK:=DMA-FQ}"
: "${PROFILE_S:=3}" "${PROFILE_THREADS:=2}" "${PROFILE_TOP:=20}"
: "${PROFILE_VCPUS:=2}" "${BENCH_INTREMAP:=on}" "${PROFILE_FREQ:=1000}"
: "${PROFILE_CALLERS_PCT:=3}"
case $PROFILE_STOCK in DMA-FQ|DMA) ;; *) die "PROFILE_STOCK: DMA-FQ or DMA" ;; esac

ensure_host
mkdir -p "$out/logs"
status=0
for side in $sides; do
	if [ "$side" = ours ]; then
		append=intel_iommu=off config=$PROFILE_PAIR
	else
		append=intel_iommu=on config=$PROFILE_STOCK
	fi
	console="$out/logs/console-profile-$side.log"
	log "$side ($config), $PROFILE_VCPUS vCPUs: profiling"
	start=$(date +%s)
	if ! "$SIOMMU_ROOT/tools/vm/vm-run" --aw-bits 48 --intremap "$BENCH_INTREMAP" \
		--append "$append" --smp "$PROFILE_VCPUS" --device nvme --device nics \
		--dma-bench --perf --timeout 900 --log "$console" \
		--env BENCH_SIDE="$side" --env PROFILE_PAIR="$PROFILE_PAIR" \
		--env PROFILE_STOCK="$PROFILE_STOCK" --env PROFILE_S="$PROFILE_S" \
		--env PROFILE_THREADS="$PROFILE_THREADS" --env PROFILE_TOP="$PROFILE_TOP" \
		--env PROFILE_FREQ="$PROFILE_FREQ" \
		--env PROFILE_CALLERS_PCT="$PROFILE_CALLERS_PCT" \
		"$SIOMMU_ROOT/tools/bench/profile_guest.sh" >"$out/logs/vm-profile-$side.txt" 2>&1; then
		log "$side: the VM reported failures:"
		grep -v -E '^(ok |KTAP version |1[.][.][0-9])' \
			"$out/logs/vm-profile-$side.txt" | sed 's/^/    /' >&2
		status=1
	fi
	# Each block, from "@@PROFILE-BEGIN <side> <test>[.callers]" to
	# "@@PROFILE-END", to its own file.
	tr -d '\r' <"$console" | awk -v dir="$out" '
		$1 == "@@PROFILE-BEGIN" { f = dir "/profile-" $2 "-" $3 ".txt"; printf "" >f; next }
		$1 == "@@PROFILE-END" { close(f); f = ""; next }
		f != "" { print >>f }'
	for t in micro_4k fio_randread_4k; do
		f="$out/profile-$side-$t.txt"
		if [ -s "$f" ]; then
			log "$side $t: $f"
		else
			log "$side $t: no profile"
			status=1
		fi
	done
	log "$side: $(( $(date +%s) - start ))s"
done
exit $status
