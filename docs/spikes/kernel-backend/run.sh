#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue-14 spike: build spike_kiommu.ko for the rig's kernel (or the one
# SIOMMU_KERNEL_VERSION/SIOMMU_KDIR name) and run kiommu_spike.sh in a VM
# booted with the stock command line.  Extra vm-run options pass through,
# e.g. docs/spikes/kernel-backend/run.sh --device nvme --log /tmp/spike.log
# SPIKE_SCENARIO=fault_spike.sh docs/spikes/kernel-backend/run.sh --device edu: the fault test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../../tools/lib.sh"
kver=$(kernel_version)
kdir=${SIOMMU_KDIR:-/lib/modules/$kver/build}
out=$SIOMMU_CACHE/spike-$kver
rm -rf "$out"; mkdir -p "$out"
cp "$here/Kbuild" "$here/spike_kiommu.c" "$out/"
nice make -s -C "$kdir" M="$out" modules >&2
# vm-run wants its scenarios beside lib.sh's source line; a copy in tests/vm
# is not needed: it checks only the scenario's text.
# SPIKE_UNIT=amd: QEMU's amd-iommu instead of intel-iommu (SPIKE_AMD_OPTS,
# e.g. ",intremap=off", after it).
unit=(--intremap on)
[ "${SPIKE_UNIT:-intel}" = amd ] &&
	unit=(--no-iommu --qemu-arg -device --qemu-arg "amd-iommu${SPIKE_AMD_OPTS:-}")
exec "$SIOMMU_ROOT/tools/vm/vm-run" --stock-cmdline "${unit[@]}" \
	--file "$out/spike_kiommu.ko:/spike_kiommu.ko" \
	--timeout 400 "$@" "$here/${SPIKE_SCENARIO:-kiommu_spike.sh}"
