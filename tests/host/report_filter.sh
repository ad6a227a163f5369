#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tools/lib.sh's filter_reports, as tools/vm/vm-run uses it to judge a guest's
# kernel log: a KCSAN report is kept only when one of its stacks is in this
# module, and an --allow-report WARNING is dropped and counted while any
# other WARNING, and every line outside a report, passes untouched.
# Prints one "PASS|FAIL name" line per check; exits 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tools/lib.sh"
. "$here/checks.bash"

kcsan() { # kcsan 'SECOND-STACK-FRAME'
	cat <<-EOT
	[    5.000000] before
	[    5.100000] ==================================================================
	[    5.100001] BUG: KCSAN: data-race in foo / ${1%%+*}
	[    5.100002] write to 0xffff888 of 8 bytes by task 1 on cpu 0:
	[    5.100003]  foo+0x1/0x2
	[    5.100004] read to 0xffff888 of 8 bytes by task 2 on cpu 1:
	[    5.100005]  $1
	[    5.100006] ==================================================================
	[    5.200000] after
	EOT
}
keep_ours() {
	filter_reports 'BUG: KCSAN:' '=+$' '[[]scalable_iommu[]]|siommu_' keep
}
out=$(kcsan 'siommu_unmap+0x3/0x4 [scalable_iommu]' | keep_ours)
check "kcsan: a report in this module is kept" has "$out" 'BUG: KCSAN'
check "kcsan: ... whole, to its closing line" has "$out" 'siommu_unmap+0x3'
out=$(kcsan 'tick_sched_timer+0x3/0x4' | keep_ours)
check "kcsan: the kernel's own race is dropped" hasnt "$out" 'KCSAN\|tick_sched'
check "kcsan: lines around reports pass" \
	bash -c '[ "$(grep -c "before\|after" <<<"$1")" = 2 ]' _ "$out"
# "[scalable_iommu]" must be literal: as a bracket expression it would
# match any line with one of its letters.
out=$(kcsan 'mutex_lock+0x3/0x4' | keep_ours)
check "kcsan: [scalable_iommu] is not a character class" hasnt "$out" KCSAN

warning() { # warning MESSAGE
	cat <<-EOT
	[    9.000000] ------------[ cut here ]------------
	[    9.000001] $1
	[    9.000002] WARNING: CPU: 0 PID: 1 at kernel/dma/debug.c:1 dma_debug_device_change+0x1
	[    9.000003] Call Trace:
	[    9.000004] ---[ end trace 0000000000000000 ]---
	EOT
}
allow() {
	filter_reports '-+[[] cut here []]-+' '---[[] end trace' \
		'DMA-API:.pci.0000:00:01.0:.device.driver.has.pending' drop \
		"$tmp/count"
}
out=$( { warning 'DMA-API: pci 0000:00:01.0: device driver has pending DMA allocations while released'
	 echo '[   10.000000] between'
	 warning 'DMA-API: nvme 0000:00:03.0: device driver frees DMA memory with wrong function'; } |
	allow)
check "allow: the allowed report is dropped" hasnt "$out" 'pending DMA'
check "allow: another WARNING is kept, whole" \
	bash -c '[ "$(grep -c "WARNING:\|wrong function\|end trace" <<<"$1")" = 3 ]' _ "$out"
check "allow: lines between reports pass" has "$out" between
check "allow: the dropped report is counted" \
	bash -c '[ "$(cat "$1")" = 1 ]' _ "$tmp/count"
out=$(printf '%s\n' '[ 1.0] ------------[ cut here ]------------' \
	'[ 1.1] DMA-API: pci 0000:00:01.0: device driver has pending x' | allow)
check "allow: a report the log cuts short is still judged" \
	bash -c '[ -z "$1" ] && [ "$(cat "$2")" = 1 ]' _ "$out" "$tmp/count"

[ $failed = 0 ]
