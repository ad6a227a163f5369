#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Style and static checks: checkpatch (from Debian's linux-source, just the
# script and its data files) and sparse through Kbuild (C=2: every file).
# Exit status: 0 only when both are clean.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ensure_packages sparse linux-source linux-headers-amd64 xz-utils perl
kver=$(kernel_version)
cd "$SIOMMU_ROOT"

# checkpatch.pl finds spelling.txt and const_structs.checkpatch beside it.
cp_dir="$SIOMMU_CACHE/checkpatch"
if [ ! -f "$cp_dir/checkpatch.pl" ]; then
	src=$(ls /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -n1)
	[ -n "$src" ] || die "no /usr/src/linux-source-*.tar.*"
	top=$(basename "$src" | sed 's/\.tar\..*//')
	mkdir -p "$cp_dir"
	tar -xf "$src" -C "$cp_dir" --strip-components=2 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi

status=0
# The helper modules (the VM tests' edu driver, the benchmarks' DMA API
# microbenchmark) are held to the same style.
files=$({ find src -name '*.[ch]' ! -path src/compat.h | sort
	ls tests/vm/edu/siommu_*_test.c tools/bench/dma_bench/siommu_dma_bench.c; })
log "checkpatch on $(echo "$files" | wc -w) files and src/compat.h"
# CONST_STRUCT is ignored: each managed device's struct siommu_dev embeds
# its own writable copy of struct dma_map_ops, as that is how a DMA API
# call leads back to its domain (src/dma/domain.h); every other ops table is
# const.
# shellcheck disable=SC2086
if ! perl "$cp_dir/checkpatch.pl" --no-tree --terse --show-types \
	--strict --ignore CONST_STRUCT -f $files; then
	status=1
fi
# src/compat.h is where the kernel version tests live, in the kernel's
# own spelling (LINUX_VERSION_CODE >= KERNEL_VERSION(...)); its wrappers of
# macros that lost an argument ignore that argument.
if ! perl "$cp_dir/checkpatch.pl" --no-tree --terse --show-types --strict \
	--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_ARG_UNUSED \
	-f src/compat.h; then
	status=1
fi

log "sparse (make C=2) against $kver"
# -Wsparse-all, less two warnings that fire inside the kernel's own macros
# whatever the caller writes: sizeof(void) in the fortified string helpers
# and min()/max(), sizeof on the flexible records TRACE_EVENT declares.
SPARSE="sparse -Wsparse-all -Wno-declaration-after-statement -Wno-pointer-arith -Wno-flexible-array-sizeof"
# From 6.12 on, module_init()/module_exit() and TRACE_EVENT's static
# tables expand to initializers Debian 12's sparse (0.6.4) takes for
# non-constant, whatever the caller writes: that check is off there.
if [ "$(printf '%s\n' 6.12 "$kver" | sort -V | head -n1)" = 6.12 ]; then
	SPARSE="$SPARSE -Wno-constexpr-not-const"
fi
# sparse_module <dir> <what> <pattern>: build the module in <dir> under
# sparse; its findings in files matching <pattern> (after "<dir>/", which
# make may print or not), and W=1's, fail the lint.  Only our files count:
# the kernel's own headers are not ours to fix.  W=1 also makes the flags
# those of make check's build step, so Kbuild reuses its objects and only
# sparse runs.
sparse_module() {
	local dir=$1 what=$2 pattern=$3 out ours
	out=$(make -s -C "$(kernel_headers "$kver")" M="$dir" C=2 W=1 \
		CHECK="$SPARSE" modules 2>&1) ||
		{ echo "$out"; die "$what build under sparse failed"; }
	ours=$(echo "$out" | grep -E "^($dir/)?$pattern.*(warning|error):" || true)
	if [ -n "$ours" ]; then
		echo "$ours"
		status=1
	fi
}
sparse_module "$SIOMMU_ROOT" "module" "src/"
for helper in tests/vm/edu tools/bench/dma_bench; do
	log "sparse (make C=2) on $helper"
	sparse_module "$SIOMMU_ROOT/$helper" "$helper" '[^ ]*\.c:'
done
[ $status = 0 ] && log "lint clean" || log "lint found problems"
exit $status
