# SPDX-License-Identifier: GPL-2.0
# Guest side of tools/bench/profile.sh: where the CPU goes, in the guest,
# while the DMA API microbenchmark (4 KiB, dma_map_page) and fio (4 KiB
# random reads) run through one translated configuration of the NVMe disk.
#
#   BENCH_SIDE=ours   booted with intel_iommu=off: the disk attached to
#                     scalable_iommu with PROFILE_PAIR (allocator+policy,
#                     default magazine+percpu) as the global settings
#   BENCH_SIDE=stock  booted with intel_iommu=on: the disk's IOMMU group
#                     of type PROFILE_STOCK (default DMA-FQ, the lazy mode)
#
# Each profile is `perf record -e cpu-clock -a -g` (a software clock: TCG
# has no PMU to sample) at PROFILE_FREQ Hz (default 1000) per vCPU, over
# PROFILE_S seconds (default 3) of a workload of PROFILE_THREADS (default
# 2) microbenchmark threads or fio jobs.  perf starts first, on an idle
# guest (under TCG that takes seconds); the workload starts once it
# records, and the samples begin PROFILE_LEAD seconds (default 1) later
# and end before the workload does: its start and end stay out of them.
#
# Output, per test (micro_4k, fio_randread_4k), for the host to cut out:
#   @@PROFILE-BEGIN <side> <test>
#   # samples=<n> config=<...> workload=<its result>
#   <percent>% [k] <symbol>    the PROFILE_TOP (default 20) hottest, of
#                              all samples (idle too); [.]: user space
#   @@PROFILE-END
# and then, between "@@PROFILE-BEGIN <side> <test>.callers" and
# "@@PROFILE-END", perf's call chains into the hottest symbols.
# tests/vm/lib.sh: tools/vm/vm-run puts it beside every scenario.
. "$(dirname "$0")/lib.sh"
BENCH_KO=/test-modules/siommu_dma_bench.ko
BENCH_SYSFS=/sys/kernel/siommu_dma_bench
PERF=/usr/bin/perf
prof_s=${PROFILE_S:-3}
freq=${PROFILE_FREQ:-1000}
lead=${PROFILE_LEAD:-1}
threads=${PROFILE_THREADS:-2}
top=${PROFILE_TOP:-20}
pair=${PROFILE_PAIR:-magazine+percpu}
stock=${PROFILE_STOCK:-DMA-FQ}

[ -x $PERF ] || { fail profile.perf "no $PERF (vm-run --perf)"; finish; }
# perf names kernel and module symbols from /proc/kallsyms: its
# addresses shown whatever kptr_restrict the kernel came up with; and
# system-wide sampling (-a) allowed.
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid

/usr/local/sbin/modprobe nvme
wait_for 10 test -b /dev/nvme0n1
nvme=$(pci_of_driver nvme)
/usr/local/sbin/insmod $BENCH_KO || { fail profile.load "insmod $BENCH_KO"; finish; }

case $BENCH_SIDE in
ours)
	config=$pair
	load_module || { fail profile.module "insmod scalable_iommu"; finish; }
	expect_eq profile.allocator ok "$(sysfs_write "$SIOMMU_SYSFS/allocator" "${pair%+*}")"
	expect_eq profile.invalidation ok \
		"$(sysfs_write "$SIOMMU_SYSFS/invalidation" "${pair#*+}")"
	expect_eq profile.attach ok "$(sysfs_write "$SIOMMU_SYSFS/attach" "$nvme")"
	;;
stock)
	config=$stock
	# The type changes only while no driver holds the device.
	g=/sys/bus/pci/devices/$nvme/iommu_group/type
	if [ "$(cat "$g")" != "$stock" ]; then
		echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind
		r=$(sysfs_write "$g" "$stock")
		echo "$nvme" >/sys/bus/pci/drivers/nvme/bind
		expect_eq profile.group-type ok "$r"
	fi
	expect_eq profile.group-type.now "$stock" "$(cat "$g")"
	;;
*) fail profile.side "BENCH_SIDE=$BENCH_SIDE"; finish ;;
esac
wait_for 20 test -b /dev/nvme0n1 || { fail profile.nvme "no disk"; finish; }
echo "@@BENCHINFO vcpus=$(nproc) side=$BENCH_SIDE kernel=$(uname -r) nvme=$nvme config=$config"

# The workload's length: the lead, the window and a second more.
work_s=$((lead + prof_s + 1))

# profile <test> <workload...>: run the workload in the background while
# perf records.  perf's own child (its "workload", started once the
# events are set up) says when to start ours and, at the window's end,
# whether ours still runs: if not, the profile holds idle time.  -D
# holds the samples back for the lead; -B: no build-ids, which take
# perf seconds to gather at its end, and the report runs here.
profile() {
	_t=$1
	shift
	rm -f /tmp/go /tmp/done /tmp/in-window
	$PERF record -q -B -e cpu-clock -F "$freq" -a -g -D $((lead * 1000)) \
		-o "/tmp/$_t.data" -- sh -c "touch /tmp/go; sleep $((lead + prof_s))
			[ -e /tmp/done ] || touch /tmp/in-window" \
		>"/tmp/$_t.err" 2>&1 &
	_perf=$!
	wait_for 120 test -e /tmp/go ||
		{ fail "profile.$_t.record" "perf did not start: $(tail -n 3 "/tmp/$_t.err")"; return 1; }
	{ "$@"; touch /tmp/done; } &
	_work=$!
	wait $_perf || { fail "profile.$_t.record" "$(tail -n 3 "/tmp/$_t.err")"; return 1; }
	wait $_work
	check "profile.$_t.window" "the workload outlasted the ${prof_s} s window" \
		test -e /tmp/in-window
}

# report <test> <workload result>: the table between markers.  -g none:
# the call graphs are recorded (perf report -G on the data shows them)
# but the table is flat; -n adds each line's sample count, whose sum is
# the total ("# Samples: 5K" in perf's header rounds).
report() {
	$PERF report -i "/tmp/$1.data" --stdio --no-children --sort symbol \
		-n -g none >"/tmp/$1.txt" 2>"/tmp/$1.err" ||
		{ fail "profile.$1.report" "$(tail -n 3 "/tmp/$1.err")"; return 1; }
	echo "@@PROFILE-BEGIN $BENCH_SIDE $1"
	# "    12.34%   1234  [k] siommu_map_page": percent and symbol.  Of
	# several names at one address perf may pick a section's end marker
	# (__static_call_text_end for the retpoline thunks): the table gives
	# the last name there that is not one, from /proc/kallsyms.
	awk -v top="$top" -v hdr="config=$config workload=$2" '
		NR == FNR {
			if ($3 ~ /^__.*_(start|end)$/) marker[$3] = $1
			else real[$1] = $3
			next
		}
		$1 ~ /^[0-9.]+%$/ && $4 in marker && real[marker[$4]] != "" {
			$4 = real[marker[$4]] "(" $4 ")"
		}
		$1 ~ /^[0-9.]+%$/ {
			total += $2
			if (n >= top) next
			sym = $3 " " $4
			line[++n] = $1 " " sym
		}
		END {
			print "# samples=" total " " hdr
			for (i = 1; i <= n; i++) print line[i]
		}' /proc/kallsyms - <"/tmp/$1.txt"
	echo "@@PROFILE-END"
	# Who called the hottest: a cpu-clock sample lands where interrupts
	# come back on, so time spent with them off shows up in
	# _raw_spin_unlock_irqrestore and the like; the caller chains
	# (5 frames) of every symbol at PROFILE_CALLERS_PCT% or more (default 3).
	echo "@@PROFILE-BEGIN $BENCH_SIDE $1.callers"
	$PERF report -i "/tmp/$1.data" --stdio --no-children --sort symbol \
		-g graph,1,callee,function,percent --max-stack 5 \
		--percent-limit "${PROFILE_CALLERS_PCT:-3}" 2>/dev/null |
		grep -v '^#' | sed '/^[[:space:]|]*$/d; s/ *-  *- *$//' | head -n 400
	echo "@@PROFILE-END"
	pass "profile.$1" "$(grep -c '^ *[0-9.]*%' "/tmp/$1.txt") symbols"
}

# The microbenchmark: one write to run, which returns when it is over.
run_micro() {
	sysfs_write $BENCH_SYSFS/run "$nvme $threads $((work_s * 1000)) 4096 1" >/tmp/micro.rc
}
profile micro_4k run_micro
expect_eq profile.micro_4k.run ok "$(cat /tmp/micro.rc)"
res=$(cat $BENCH_SYSFS/result)
ops=$(echo "$res" | sed -n 's/.*ops_per_sec=\([0-9]*\).*dma_ops=\([^ ]*\).*/\1,\2/p')
case $BENCH_SIDE:${ops#*,} in
ours:direct | ours:iommu_dma_ops | ours: | stock:direct)
	fail profile.micro_4k.ops "$res" ;;
esac
report micro_4k "ops_per_sec=${ops%,*},dma_ops=${ops#*,}"

# fio: terse output, field 8 the read IOPS.
run_fio() {
	fio_run profile rw=randread runtime="$work_s" jobs="$threads" \
		verify=off --minimal >/tmp/fio.out 2>/tmp/fio.err
}
profile fio_randread_4k run_fio
iops=$(cut -d';' -f8 /tmp/fio.out | head -n1)
case $iops in
'' | *[!0-9]*) fail profile.fio_randread_4k.run "$(tail -n 3 /tmp/fio.err)" ;;
esac
report fio_randread_4k "iops=$iops"

if [ "$BENCH_SIDE" = ours ]; then
	expect_eq profile.detach ok "$(sysfs_write "$SIOMMU_SYSFS/detach" "$nvme")"
	check profile.unload "rmmod" unload_module
fi
check profile.faults "no DMA fault reported" \
	sh -c '! dmesg | grep -qiE "DMA (read|write) fault|DMAR: \[DMA"'
