#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: set up what is missing, boot Debian's stock kernel under QEMU
# with an emulated VT-d unit (interrupt remapping on, so the kernel holds
# the unit's invalidation queue), an NVMe disk and two e1000e NICs; load
# scalable_iommu, attach the disk and the NICs, run fio (verified) and
# iperf3 through its translation, print the counters, swap through every
# allocator x invalidation pair under fio, hand everything back.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ensure_host
log "booting the VM (QEMU TCG; the whole demo takes about two minutes)"
exec "$SIOMMU_ROOT/tools/vm/vm-run" --show --aw-bits 48 --intremap on \
	--device nvme --device nics --smp 2 \
	--log "$SIOMMU_CACHE/demo-console.log" \
	"$SIOMMU_ROOT/tools/vm/guest/demo.sh"
