# SPDX-License-Identifier: GPL-2.0
# Guest scenario for the issue-14 spike: QEMU's edu device in the kernel
# driver's unmanaged domain through spike_kiommu.ko; a DMA that works
# (roundtrip) and one to an IOVA nothing mapped (write_raw): does the
# fault reach the handler set with iommu_set_fault_handler?
. "$(dirname "$0")/lib.sh"

SPIKE=/spike_kiommu.ko
P=/sys/module/spike_kiommu/parameters
edu_load
e=$(edu_dev)
bdf=$(basename "$e")
check fault.edu "edu at $bdf, group $(basename "$(readlink $e/iommu_group)")" test -n "$bdf"
value fault.default-roundtrip "$(edu_cmd "$e" roundtrip 2048)"
log_mark
echo "$bdf" >"$e/driver/unbind"
out=$(/usr/local/sbin/insmod $SPIKE bdf=$bdf ${SPIKE_PARAMS:-} 2>&1)
check fault.insmod "$out" test $? -eq 0
echo "$bdf" >/sys/bus/pci/drivers/siommu_edu_test/bind
r=$(edu_cmd "$e" roundtrip 2048)
check fault.roundtrip-through-ours "$r" test $? -eq 0
value fault.stats-before "$(cat $P/stats)"
value fault.write-raw "$(edu_cmd "$e" write_raw 0x9000000 2048)"
sleep 1
s=$(cat $P/stats)
value fault.stats-after "$s"
check fault.handler-called "$s" sh -c "! echo '$s' | grep -q 'faults=0'"
echo "$bdf" >"$e/driver/unbind"
out=$(/usr/local/sbin/rmmod spike_kiommu 2>&1)
check fault.rmmod "$out" test $? -eq 0
value fault.log "$(log_since | grep -v -e taints -e 'verification failed' | head -n 30)"
