# SPDX-License-Identifier: GPL-2.0
# Guest part: two e1000e NICs joined by a QEMU hub, both attached, one
# moved into a network namespace; iperf3 both ways and sockperf
# ping-pong between them through our translation.  No fault may be
# reported.  Needs --device nics.
. "$(dirname "$0")/lib.sh"
IP=/usr/sbin/ip

/usr/local/sbin/modprobe e1000e
wait_for 10 sh -c '[ $(ls -d /sys/bus/pci/drivers/e1000e/0000:* | wc -l) = 2 ]'
nics=$(ls -d /sys/bus/pci/drivers/e1000e/0000:* 2>/dev/null | xargs -n1 basename)
expect_eq nic.count 2 "$(echo "$nics" | grep -c .)"

grep -q '^scalable_iommu ' /proc/modules || load_module
faults0=$(siommu_stat faults)
maps0=$(siommu_stat maps)

for nic in $nics; do
	expect_eq "nic.attach.$nic" ok "$(sysfs_write $SIOMMU_SYSFS/attach "$nic")"
	check "nic.listed.$nic" "devices lists $nic with driver e1000e" \
		grep -q "^$nic .*driver=e1000e" $SIOMMU_SYSFS/devices
done

# The interface names, after the rebind, in PCI order.
netdev_of() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | head -n1; }
wait_for 10 sh -c "ls /sys/bus/pci/devices/$(echo $nics | cut -d' ' -f2)/net >/dev/null"
a=$(netdev_of "$(echo $nics | cut -d' ' -f1)")
b=$(netdev_of "$(echo $nics | cut -d' ' -f2)")
check nic.netdevs "interfaces $a and $b" test -n "$a" -a -n "$b"

check nic.link "ping across the hub" nic_pair_up "$a" "$b"

$IP netns exec peer /usr/bin/iperf3 -s -D -1 >/dev/null 2>&1
sleep 0.5
out=$(/usr/bin/iperf3 -c $PEER_IP -t 3 -f m 2>&1)
rate=$(echo "$out" | sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver/\1/p')
check nic.iperf3-send "iperf3 to the peer: ${rate:-none} Mbit/s" test -n "$rate"
value nic.iperf3.send_mbps "${rate:-0}"

$IP netns exec peer /usr/bin/iperf3 -s -D -1 >/dev/null 2>&1
sleep 0.5
out=$(/usr/bin/iperf3 -c $PEER_IP -t 3 -f m -R 2>&1)
rate=$(echo "$out" | sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver/\1/p')
check nic.iperf3-receive "iperf3 from the peer: ${rate:-none} Mbit/s" test -n "$rate"
value nic.iperf3.receive_mbps "${rate:-0}"

$IP netns exec peer /usr/bin/sockperf server -i $PEER_IP >/dev/null 2>&1 &
spid=$!
sleep 0.5
out=$(/usr/bin/sockperf ping-pong -i $PEER_IP -t 3 2>&1)
kill $spid 2>/dev/null
lat=$(echo "$out" | sed -n 's/.*avg-latency=\([0-9.]*\).*/\1/p' | head -n1)
check nic.sockperf "sockperf ping-pong: avg ${lat:-none} usec" test -n "$lat"
value nic.sockperf.avg_usec "${lat:-0}"

# Hand both back: the peer's interface must leave the namespace first,
# as unbinding destroys it wherever it is.
$IP netns del peer
for nic in $nics; do
	expect_eq "nic.detach.$nic" ok "$(sysfs_write $SIOMMU_SYSFS/detach "$nic")"
done
check nic.maps "maps counted" test "$(siommu_stat maps)" -gt "$maps0"
expect_eq nic.faults 0 $(( $(siommu_stat faults) - faults0 ))
