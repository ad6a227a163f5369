# SPDX-License-Identifier: GPL-2.0
# Guest part of tools/bench/table-churn.sh: I/O page-table pages over time
# under mixed churn.  NVMe and both NICs attached; per allocator, fio 4 KiB
# randrw with crc32c verify (whole 32 MiB passes, one after another: a
# time-based fio job that wraps around its file reports verify errors of
# its own, with or without translation) and iperf3 between the NICs run
# together for CHURN_SECONDS while table_pages (all devices) is sampled
# every second beside table_pages_needed (the fewest the live mappings
# need: the root and every table with a leaf below); then the batches are
# flushed and the figure read once more.  Prints one "# value churn.<allocator>=..." line per allocator and
# the samples as "# value series.<allocator>=...".
. "$(dirname "$0")/lib.sh"

secs=${CHURN_SECONDS:-60}
disk_and_nics
set -- $nics
grep -q '^scalable_iommu ' /proc/modules || load_module
# CHURN_RECLAIM=0: the same with reclamation off, for comparison.
[ -z "${CHURN_RECLAIM:-}" ] || echo "$CHURN_RECLAIM" >$SIOMMU_SYSFS/reclaim_tables
for d in $nvme $1 $2; do
	expect_eq "churn.attach.$d" ok "$(sysfs_write $SIOMMU_SYSFS/attach "$d")"
done
wait_for 20 test -b /dev/nvme0n1
sleep 2
a_if=$(ls /sys/bus/pci/devices/$1/net); b_if=$(ls /sys/bus/pci/devices/$2/net)
check churn.link "ping across the hub" nic_pair_up "$a_if" "$b_if"
/usr/sbin/ip netns exec peer /usr/bin/iperf3 -s -D >/dev/null 2>&1
sleep 1

for a in ${CHURN_ALLOCATORS:-kmalloc magazine rbtree linux identity}; do
	expect_eq "churn.$a.allocator" ok "$(sysfs_write $SIOMMU_SYSFS/allocator $a)"
	drain_batches
	idle=$(siommu_stat table_pages)
	end=$(($(date +%s) + secs))
	(
		bad=0
		while [ "$(date +%s)" -lt "$end" ]; do
			fio_run "churn-$a" bs=4k size=32M --rwmixread=50 \
				--randrepeat=0 >/tmp/fio.out 2>&1 || { bad=1; break; }
			grep -q "err= 0" /tmp/fio.out || { bad=1; break; }
		done
		exit $bad
	) &
	fio=$!
	/usr/bin/iperf3 -c $PEER_IP -t "$secs" -f m >/tmp/iperf.out 2>&1 &
	iperf=$!
	series= min= max=0 sum=0 n=0 need_sum=0 worst=0
	while kill -0 $fio 2>/dev/null; do
		t=$(siommu_stat table_pages)
		need=$(siommu_stat table_pages_needed)
		series="$series $t/$need"
		[ -z "$min" ] || [ "$t" -lt "$min" ] && min=$t
		[ "$t" -gt "$max" ] && max=$t
		sum=$((sum + t)) need_sum=$((need_sum + need)) n=$((n + 1))
		# Held over needed, in hundredths: the worst second.
		r=$((need ? t * 100 / need : 0))
		[ "$r" -gt "$worst" ] && worst=$r
		sleep 1
	done
	wait $fio; rc=$?
	kill $iperf 2>/dev/null; wait $iperf
	drain_batches
	after=$(siommu_stat table_pages)
	errs=$(sed -n 's/.*err= *\([0-9]*\).*/\1/p' /tmp/fio.out | head -n1)
	mbps=$(sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver/\1/p' /tmp/iperf.out | tail -n1)
	check "churn.$a.fio" "fio exit $rc err=${errs:-none}" test $rc = 0 -a "${errs:-x}" = 0 ||
		grep -iE "verify|bad|err" /tmp/fio.out | head -n 8
	ratio=$(awk -v h="$sum" -v m="$need_sum" 'BEGIN { printf "%.2f", m ? h / m : 0 }')
	value "churn.$a" "seconds=$secs idle=$idle min=${min:-0} avg=$((n ? sum / n : 0)) max=$max after=$after needed_avg=$((n ? need_sum / n : 0)) held_over_needed_avg=$ratio held_over_needed_max=$((worst / 100)).$(printf %02d $((worst % 100))) iperf_mbps=${mbps:-none}"
	value "series.$a" "$series"
done
