# SPDX-License-Identifier: GPL-2.0
# Guest part: every allocator x invalidation policy pair carries verified
# NVMe I/O and iperf3 between the two NICs, switched live through sysfs;
# then a soak: fio --verify with 2 jobs while a loop swaps allocator and
# policy through all pairs every second.  0 verify errors, 0 faults, and
# after detach nothing outstanding.  Needs --device nvme --device nics.
. "$(dirname "$0")/lib.sh"
IP=/usr/sbin/ip
SOAK_S=${SOAK_S:-60}

/usr/local/sbin/modprobe -a nvme e1000e
wait_for 10 test -b /dev/nvme0n1
wait_for 10 sh -c '[ $(ls -d /sys/bus/pci/drivers/e1000e/0000:* | wc -l) = 2 ]'
nvme=$(pci_of_driver nvme)
nics=$(ls -d /sys/bus/pci/drivers/e1000e/0000:* | xargs -n1 basename)
grep -q '^scalable_iommu ' /proc/modules || load_module
faults0=$(siommu_stat faults)
allocators=$(tr -d '[]' <$SIOMMU_SYSFS/allocator)
policies=$(tr -d '[]' <$SIOMMU_SYSFS/invalidation)
# On the kernel backend identity is refused (kernel_backend.sh says why).
if [ "$(siommu_backend)" = kernel ]; then
	expect_eq swap.identity-refused "Operation not supported" \
		"$(sysfs_write $SIOMMU_SYSFS/allocator identity)"
	allocators=$(echo $allocators | tr ' ' '\n' | grep -v '^identity$' | tr '\n' ' ')
fi
value swap.allocators "$allocators"
value swap.policies "$policies"

for dev in $nvme $nics; do
	expect_eq "swap.attach.$dev" ok "$(sysfs_write $SIOMMU_SYSFS/attach "$dev")"
done
wait_for 20 test -b /dev/nvme0n1
wait_for 10 sh -c "ls /sys/bus/pci/devices/$(echo $nics | cut -d' ' -f2)/net >/dev/null"
a=$(ls /sys/bus/pci/devices/$(echo $nics | cut -d' ' -f1)/net)
b=$(ls /sys/bus/pci/devices/$(echo $nics | cut -d' ' -f2)/net)
nic_pair_up "$a" "$b"

for al in $allocators; do
	for po in $policies; do
		tag="swap.$al+$po"
		r1=$(sysfs_write $SIOMMU_SYSFS/allocator "$al")
		# kmalloc needs a stretch as wide as RAM: not on 39 bits.
		if [ "$al" = kmalloc ] && [ "$AW_BITS" = 39 ]; then
			expect_eq "$tag.refused" "Numerical result out of range" "$r1"
			continue
		fi
		r2=$(sysfs_write $SIOMMU_SYSFS/invalidation "$po")
		if [ "$r1" != ok ] || [ "$r2" != ok ]; then
			fail "$tag.set" "allocator: $r1, invalidation: $r2"
			continue
		fi
		check "$tag.devices" "every device on $al/$po" sh -c \
			"[ \$(grep -c 'allocator=$al invalidation=$po' $SIOMMU_SYSFS/devices) = 3 ]"
		m0=$(siommu_stat maps) fb0=$(siommu_stat fallbacks)
		out=$(fio_run "$al-$po" size=8M 2>&1)
		check "$tag.fio" "fio verify" sh -c 'echo "$1" | grep -q "err= 0"' _ "$out"
		m=$(( $(siommu_stat maps) - m0 )) fb=$(( $(siommu_stat fallbacks) - fb0 ))
		if [ "$al" = magazine ]; then
			check "$tag.cache-hits" "magazine hits $(siommu_stat cache_hits), misses $(siommu_stat cache_misses), depot exchanges $(siommu_stat depot_exchanges)" \
				test "$(siommu_stat cache_hits)" -gt 0
		fi
		# Most maps must come from the pair's own allocator, not
		# the 32-bit fallback.
		check "$tag.served" "$fb of $m maps fell back" test $((fb * 10)) -lt "$m"
		$IP netns exec peer /usr/bin/iperf3 -s -D -1 >/dev/null 2>&1
		sleep 0.3
		rate=$(/usr/bin/iperf3 -c $PEER_IP -t 1 -f m 2>&1 |
		       sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver/\1/p')
		check "$tag.iperf3" "${rate:-no} Mbit/s" test -n "$rate"
	done
done
expect_eq swap.pairs.faults 0 $(( $(siommu_stat faults) - faults0 ))

# One device alone: its own directory, the others untouched.
D=$SIOMMU_SYSFS/device/$nvme
sysfs_write $SIOMMU_SYSFS/allocator rbtree >/dev/null
sysfs_write $SIOMMU_SYSFS/invalidation strict >/dev/null
expect_eq swap.device.allocator ok "$(sysfs_write $D/allocator magazine)"
expect_eq swap.device.invalidation ok "$(sysfs_write $D/invalidation percpu)"
expect_eq swap.device.shown "[magazine]" "$(grep -o '\[[a-z]*\]' $D/allocator)"
check swap.device.others "the NICs stay on rbtree/strict" sh -c \
	"[ \$(grep -c 'allocator=rbtree invalidation=strict' $SIOMMU_SYSFS/devices) = 2 ]"
check swap.device.listed "devices shows $nvme on magazine/percpu" \
	grep -q "^$nvme .*allocator=magazine invalidation=percpu" $SIOMMU_SYSFS/devices
expect_eq swap.device.bad "Invalid argument" "$(sysfs_write $D/allocator slab)"
out=$(fio_run device-own size=8M 2>&1)
check swap.device.fio "fio verify on its own pair" sh -c 'echo "$1" | grep -q "err= 0"' _ "$out"
check swap.device.outstanding "outstanding readable: $(cat $D/outstanding)" \
	test "$(cat $D/outstanding)" -ge 0
value swap.oldest_batch_age_us "$(siommu_stat oldest_batch_age_us)"

# CPU hotplug under I/O with per-CPU state in use (magazine + percpu): the
# CPU that goes away hands its magazines and batch back; no error.
sysfs_write $SIOMMU_SYSFS/allocator magazine >/dev/null
sysfs_write $SIOMMU_SYSFS/invalidation percpu >/dev/null
CPU1=/sys/devices/system/cpu/cpu1/online
if [ -w $CPU1 ]; then
	fio_run hotplug size=64M runtime=8 jobs=2 --offset_increment=64M \
		>/tmp/hotplug.fio 2>&1 &
	hp_pid=$!
	sleep 2
	echo 0 >$CPU1; off=$(cat $CPU1)
	sleep 2
	echo 1 >$CPU1; on=$(cat $CPU1)
	sleep 1
	echo 0 >$CPU1
	sleep 1
	echo 1 >$CPU1
	wait $hp_pid
	rc=$?
	expect_eq swap.hotplug.cpu1-went 0/1 "$off/$on"
	check swap.hotplug.fio "fio --verify across cpu1 off/on twice: exit $rc" \
		sh -c '[ "$1" = 0 ] && grep -q "err= 0" /tmp/hotplug.fio' _ "$rc"
	expect_eq swap.hotplug.faults 0 $(( $(siommu_stat faults) - faults0 ))
else
	fail swap.hotplug "cpu1 cannot be taken offline here"
fi

# Soak: two verifying fio jobs, swaps every second underneath.
fio_log=/tmp/soak.fio
fio_run soak size=256M runtime="$SOAK_S" jobs=2 --offset_increment=256M \
	>$fio_log 2>&1 &
fio_pid=$!
swaps=0 refused=0
while kill -0 $fio_pid 2>/dev/null; do
	for al in $allocators; do
		for po in $policies; do
			kill -0 $fio_pid 2>/dev/null || break 2
			t=$(date +%s)
			r=$(sysfs_write $SIOMMU_SYSFS/allocator "$al")
			[ "$r" = ok ] || [ "$al/$AW_BITS" = kmalloc/39 ] ||
				refused=$((refused + 1))
			[ "$(sysfs_write $SIOMMU_SYSFS/invalidation "$po")" = ok ] ||
				refused=$((refused + 1))
			swaps=$((swaps + 1))
			# The next change at the next second.
			while [ "$(date +%s)" -le "$t" ]; do sleep 0.1; done
		done
	done
done
wait $fio_pid
rc=$?
value swap.soak.swaps "$swaps"
expect_eq swap.soak.refused 0 "$refused"
value swap.soak.fio "$(grep -E 'err=|IOPS=' $fio_log | tr -s ' ' | tr '\n' ';')"
check swap.soak.fio "fio --verify, 2 jobs, ${SOAK_S}s under swaps: exit $rc" \
	sh -c '[ "$1" = 0 ] && grep -q "err= 0" "$2"' _ "$rc" "$fio_log"
# One change a second, each waiting for RCU grace periods (slow under
# TCG with fio running): most seconds see one; every pair is visited.  A
# debug kernel (tools/vm/debug-kernel.sh, "-siommu-" in its release) runs
# several times slower, so there one second in three is enough.
npairs=$(( $(echo $allocators | wc -w) * $(echo $policies | wc -w) ))
min_swaps=$((SOAK_S * 2 / 3))
case $(uname -r) in *-siommu-*) min_swaps=$((SOAK_S / 3)) ;; esac
check swap.soak.swapped "$swaps pair changes in ${SOAK_S}s (at least $min_swaps), all $npairs pairs visited" \
	test "$swaps" -ge "$npairs" -a "$swaps" -ge "$min_swaps"
expect_eq swap.soak.faults 0 $(( $(siommu_stat faults) - faults0 ))
expect_eq swap.soak.bad-unmaps 0 "$(siommu_stat bad_unmaps)"

$IP netns del peer
for dev in $nvme $nics; do
	expect_eq "swap.detach.$dev" ok "$(sysfs_write $SIOMMU_SYSFS/detach "$dev")"
done
check swap.no-leak "no domain left behind: detach reported no leftover mappings" \
	sh -c '! dmesg | grep -q "mapping(s) behind"'
expect_eq swap.idle.outstanding 0 "$(siommu_stat outstanding)"
expect_eq swap.idle.table-pages 0 "$(siommu_stat table_pages)"
check swap.idle.device-dirs "no device/ directories left" \
	sh -c "[ -z \"\$(ls $SIOMMU_SYSFS/device)\" ]"
