# SPDX-License-Identifier: GPL-2.0
# Guest side of tools/bench/bench.sh: in-boot A/B measurements.  Every
# configuration's block of measurements is preceded and followed by a
# block with no translation, so the host pairs each with its neighbours
# (round 2, 4, ... visit the configurations in reverse order).
#
#   BENCH_SIDE=ours   loaded with intel_iommu=off.  "none": the devices
#                     detached (direct DMA; the unit passes them through).
#                     A configuration "allocator+policy": attached, with
#                     those as the global settings.
#   BENCH_SIDE=stock  booted with intel_iommu=on.  "none": the devices'
#                     IOMMU groups of type identity.  A configuration
#                     "DMA-FQ" (lazy) or "DMA" (strict): that group type,
#                     switched with the driver unbound.  A configuration
#                     "kernel:allocator+policy": ours over the kernel's
#                     page tables (the module's kernel backend, loaded in
#                     this boot when any such configuration is asked
#                     for): the groups back to DMA-FQ, the kernel's
#                     default (attaching from a group switched to
#                     identity is untested), then attached with those as
#                     the global settings, and detached after the block.
#                     The identity allocator is refused there.
#
# Other settings (tools/bench/bench.sh passes them): BENCH_CONFIGS,
# BENCH_ROUNDS, BENCH_THREADS (microbenchmark threads and fio jobs),
# BENCH_MICRO ("bytes:segments" ...), BENCH_MICRO_MS, BENCH_E2E (1: fio,
# iperf3 and sockperf too), BENCH_FIO_S, BENCH_NET_S.
#
# Output, one line per measurement:
#   @@BENCH <round> <seq> <config> <test> <n> <key>=<value>...
# A check fails (and the host's run with it) when a measurement did not
# produce its number or the device's DMA ops were not the ones the
# configuration stands for.
# tests/vm/lib.sh: tools/vm/vm-run puts it beside every scenario.
. "$(dirname "$0")/lib.sh"
IP=/usr/sbin/ip
BENCH_KO=/test-modules/siommu_dma_bench.ko
BENCH_SYSFS=/sys/kernel/siommu_dma_bench

/usr/local/sbin/modprobe -a nvme e1000e
wait_for 10 test -b /dev/nvme0n1
/usr/local/sbin/insmod $BENCH_KO || { fail bench.load "insmod $BENCH_KO"; finish; }
nvme=$(pci_of_driver nvme)
wait_for 10 sh -c '[ $(ls -d /sys/bus/pci/drivers/e1000e/0000:* | wc -l) = 2 ]'
nics=$(ls -d /sys/bus/pci/drivers/e1000e/0000:* 2>/dev/null | xargs -n1 basename)
devs=$nvme
[ "$BENCH_E2E" = 1 ] && devs="$nvme $nics"
echo "@@BENCHINFO vcpus=$(nproc) side=$BENCH_SIDE kernel=$(uname -r) nvme=$nvme nics=$(echo $nics | tr ' ' ,)"

# The module: always on our side; on the stock side for the kernel
# backend's configurations, which it must then be running.
siommu=no
case " $BENCH_CONFIGS " in *" kernel:"*) siommu=yes ;; esac
[ "$BENCH_SIDE" = ours ] && siommu=yes
if [ $siommu = yes ]; then
	load_module || { fail bench.module "insmod scalable_iommu"; finish; }
fi
if [ "$BENCH_SIDE" = stock ] && [ $siommu = yes ]; then
	expect_eq bench.backend kernel "$(cat "$SIOMMU_SYSFS/backend")"
fi

# The driver's name for a PCI device.
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver")"; }

# Bring the NIC pair's link up again after their drivers were rebound.
# Three tries: a namespace deleted a moment ago returns its NIC
# asynchronously, and a link can take its time under TCG.
net_up() {
	for try in 1 2 3; do
		for nic in $nics; do
			wait_for 10 sh -c "ls /sys/bus/pci/devices/$nic/net >/dev/null" ||
				return 1
		done
		set -- $nics
		set -- "$(ls /sys/bus/pci/devices/$1/net)" \
			"$(ls /sys/bus/pci/devices/$2/net)"
		if wait_for 10 $IP link show "$2" >/dev/null; then
			# A NIC whose driver stayed bound keeps its address.
			$IP addr flush dev "$1" 2>/dev/null
			nic_pair_up "$1" "$2" && return 0
		fi
		net_down
		sleep 1
	done
	return 1
}
# Unbinding a NIC destroys its interface, in whichever namespace.
net_down() { $IP netns del peer 2>/dev/null; }

# stock side: set the group type of every measured device.
set_group_type() {
	for dev in $devs; do
		drv=$(driver_of "$dev")
		g=/sys/bus/pci/devices/$dev/iommu_group/type
		[ "$(cat $g)" = "$1" ] && continue
		r="unbind from $drv failed"
		echo "$dev" >/sys/bus/pci/drivers/$drv/unbind &&
			r=$(sysfs_write $g "$1")
		echo "$dev" >/sys/bus/pci/drivers/$drv/bind
		[ "$r" = ok ] || { fail "bench.group-type.$dev" "$1: $r"; return 1; }
	done
}

# Detach the measured devices that the module holds.
detach_all() {
	[ $siommu = yes ] || return 0
	for dev in $devs; do
		grep -q "^$dev " "$SIOMMU_SYSFS/devices" || continue
		r=$(sysfs_write "$SIOMMU_SYSFS/detach" "$dev")
		[ "$r" = ok ] || { fail "bench.detach.$dev" "$r"; return 1; }
	done
}

# Attach them with pair $1 ("allocator+policy", or
# "allocator+strict+subpage": each device's protection too) as the global
# settings.
attach_all() {
	_alloc=${1%%+*} _rest=${1#*+}
	_policy=${_rest%%+*} _prot=page
	[ "$_rest" = "$_policy" ] || _prot=${_rest#*+}
	for f in allocator:$_alloc invalidation:$_policy; do
		r=$(sysfs_write "$SIOMMU_SYSFS/${f%%:*}" "${f#*:}")
		[ "$r" = ok ] || { fail "bench.set.$f" "$r"; return 1; }
	done
	for dev in $devs; do
		r=$(sysfs_write "$SIOMMU_SYSFS/attach" "$dev")
		[ "$r" = ok ] || { fail "bench.attach.$dev" "$r"; return 1; }
		r=$(sysfs_write "$SIOMMU_SYSFS/device/$dev/protection" "$_prot")
		[ "$r" = ok ] || { fail "bench.protection.$dev" "$r"; return 1; }
	done
}

# Put the devices into a configuration ("none" included).
configure() {
	net_down
	detach_all || return 1
	case $BENCH_SIDE:$1 in
	ours:none) ;;
	ours:*) attach_all "$1" || return 1 ;;
	stock:none) set_group_type identity || return 1 ;;
	stock:kernel:*)
		set_group_type DMA-FQ || return 1
		attach_all "${1#kernel:}" || return 1 ;;
	stock:*) set_group_type "$1" || return 1 ;;
	esac
	wait_for 20 test -b /dev/nvme0n1 || { fail bench.nvme "no disk"; return 1; }
	if [ "$BENCH_E2E" = 1 ]; then
		net_up || { fail bench.net "no link"; return 1; }
	fi
}

# The DMA ops the microbenchmark must see in a configuration.
expected_ops() {
	case $BENCH_SIDE:$1 in
	*:none) echo direct ;;
	stock:kernel:*) echo translated ;;
	stock:*) echo iommu_dma_ops ;;
	ours:*) echo translated ;;
	esac
}

# Our invalidation counters (stats/), summed: unmaps, descriptors, waits
# for the unit, ns a submission lock was held, bytes copied through
# shadow buffers.  Nothing without the module.
inval_counters() {
	[ $siommu = yes ] || return 0
	for s in unmaps inval_descriptors inval_waits inval_lock_ns shadow_bytes; do
		printf '%s ' "$(cat "$SIOMMU_SYSFS/stats/$s")"
	done
}

# What the counters grew by, per unmap: "descs_per_unmap=.. ...".
per_unmap() {
	echo "$1 $2" | awk '{ u = $6 - $1; if (u <= 0) exit
		printf "descs_per_unmap=%.4f waits_per_unmap=%.4f lock_ns_per_unmap=%.1f shadow_bytes_per_unmap=%.1f\n",
			($7 - $2) / u, ($8 - $3) / u, ($9 - $4) / u, ($10 - $5) / u }'
}

seq=0
emit() {
	seq=$((seq + 1))
	echo "@@BENCH $round $seq $*"
}

micro() {
	want=$(expected_ops "$1")
	for spec in $BENCH_MICRO; do
		bytes=${spec%:*} segs=${spec#*:}
		test=micro_$((bytes / 1024))k
		[ $((bytes % 1024)) = 0 ] || test=micro_${bytes}b
		[ "$segs" -gt 1 ] && test=${test}_sg$segs
		for n in $BENCH_THREADS; do
			c0=$(inval_counters)
			r=$(sysfs_write $BENCH_SYSFS/run \
				"$nvme $n $BENCH_MICRO_MS $bytes $segs")
			res=$(cat $BENCH_SYSFS/result)
			c1=$(inval_counters)
			ops=$(echo "$res" | sed -n 's/.* dma_ops=\([^ ]*\).*/\1/p')
			case $want:$ops in
			direct:direct | iommu_dma_ops:iommu_dma_ops) ;;
			translated:direct | translated:iommu_dma_ops | translated:) ops=bad ;;
			translated:*) ;;
			*) ops=bad ;;
			esac
			if [ "$r" != ok ] || [ $ops = bad ]; then
				fail "bench.$1.$test.$n" "run: $r; $res (want $want)"
				continue
			fi
			# x86 DMA is coherent: nothing of ours needs a sync,
			# but for shadow buffers (protection=subpage).
			case $BENCH_SIDE:$want:$1 in
			ours:translated:*+subpage) sync=1 ;;
			ours:translated:*) sync=0 ;;
			*) sync= ;;
			esac
			[ -z "$sync" ] || expect_eq "bench.$1.$test.$n.need-sync" \
				$sync "$(echo "$res" | sed -n 's/.* need_sync=\([0-9]*\).*/\1/p')"
			counters=
			[ "$want" = translated ] && counters=$(per_unmap "$c0" "$c1")
			emit "$1" "$test" "$n" $(echo "$res" | sed 's/ dma_ops=.*//') \
				$counters
		done
	done
}

fio_randread() {
	for n in $BENCH_THREADS; do
		# Terse output: field 8 is the read IOPS.
		iops=$(fio_run bench rw=randread runtime="$BENCH_FIO_S" \
			jobs="$n" verify=off --minimal 2>/dev/null |
			cut -d';' -f8 | head -n1)
		case $iops in
		'' | *[!0-9]*) fail "bench.$1.fio.$n" "no IOPS" ;;
		*) emit "$1" fio_randread_4k "$n" "iops=$iops" ;;
		esac
	done
}

net() {
	$IP netns exec peer /usr/bin/iperf3 -s -D -1 >/dev/null 2>&1
	sleep 0.3
	rate=$(/usr/bin/iperf3 -c $PEER_IP -t $BENCH_NET_S -f m 2>&1 |
		sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver/\1/p')
	if [ -n "$rate" ]; then
		emit "$1" iperf3 1 "mbps=$rate"
	else
		fail "bench.$1.iperf3" "no rate"
	fi
	$IP netns exec peer /usr/bin/sockperf server -i $PEER_IP >/dev/null 2>&1 &
	spid=$!
	sleep 0.3
	lat=$(/usr/bin/sockperf ping-pong -i $PEER_IP -t $BENCH_NET_S 2>&1 |
		sed -n 's/.*avg-latency=\([0-9.]*\).*/\1/p' | head -n1)
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	if [ -n "$lat" ]; then
		emit "$1" sockperf_pingpong 1 "avg_usec=$lat"
	else
		fail "bench.$1.sockperf" "no latency"
	fi
}

block() {
	configure "$1" || return 1
	micro "$1"
	if [ "$BENCH_E2E" = 1 ]; then
		fio_randread "$1"
		net "$1"
	fi
}

reversed() { for c in "$@"; do echo "$c"; done | sed -n '1!G;h;$p'; }

round=1
while [ $round -le "$BENCH_ROUNDS" ]; do
	order=$BENCH_CONFIGS
	[ $((round % 2)) = 0 ] && order=$(reversed $BENCH_CONFIGS)
	block none
	for cfg in $order; do
		block "$cfg"
		block none
	done
	round=$((round + 1))
done
net_down
if [ $siommu = yes ]; then
	detach_all
	unload_module || fail bench.unload "rmmod"
fi
# Ours reports "DMA write fault from ...", the kernel "[DMA Read ...] ... fault".
check bench.faults "no DMA fault reported" \
	sh -c '! dmesg | grep -qiE "DMA (read|write) fault|DMAR: \[DMA"'
