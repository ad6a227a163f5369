#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-rt: the core VM tests on Debian's real-time (PREEMPT_RT)
# kernel, on demand ("make check" does not run it).  Installs the -rt
# headers (the release Debian 12's linux-headers-rt-amd64 names), downloads
# and unpacks the matching linux-image into .cache/kernel/<release>/root
# as tools/lib.sh does for the stock kernel, and runs tests/vm/run.sh
# with that kernel in the stock one's place (SIOMMU_KERNEL_VERSION,
# SIOMMU_KERNEL_ROOT, SIOMMU_KDIR).  Any report in a guest's kernel log
# fails its test (tools/vm/vm-run's dmesg check); on RT the telling ones are
# "BUG: sleeping function called from invalid context", "BUG: scheduling
# while atomic" and lockdep's "BUG: Invalid wait context".  Debian's -rt
# kernel has neither DEBUG_ATOMIC_SLEEP nor lockdep: it reports a sleeping
# lock taken with interrupts off only when the lock is contended.
#
# usage: tools/ci/check-rt.sh [--env] [kernel] [name-filter]
#   kernel        which -rt kernel: 6.1 (default, Debian 12's
#                 linux-image-rt-amd64) or 6.12 (Debian 13's, from
#                 bookworm-backports by tools/vm/stock-kernel.sh); see
#                 rt_release below for adding another
#   name-filter   a substring of the names, as tests/vm/run.sh's
#   --env         print the environment for tools/vm/vm-run and
#                 tests/vm/run.sh, one VAR=value a line, and stop
#   RT_SUITES=regex   the tests/vm/run.sh configurations to run (default:
#                 load, I/O and allocator swap with interrupt remapping
#                 on, CPU hotplug, the edu lifecycle)
#   VM_JOBS=N     VMs at a time (default 1)
#
# Prints run.sh's lines, last "vm: N passed, N failed".
set -euo pipefail
# This script picks the kernel, whatever the caller's shell has.
unset SIOMMU_KERNEL_VERSION SIOMMU_KERNEL_ROOT SIOMMU_KDIR
. "$(dirname "$0")/../lib.sh"

kernel=6.1 filter='' print_env=no
for a in "$@"; do
	case $a in
	--env) print_env=yes ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
	[0-9]*.[0-9]*) kernel=$a ;;
	*) filter=$a ;;
	esac
done
suites=${RT_SUITES:-'^((load|io|swap)-aw48-ir-on|lifecycle-(cpuhp|edu))$'}

# The release of the -rt kernel $1, its headers installed; on stdout.
# The hook for more kernels: a case that installs that kernel's headers
# (with whatever apt configuration its archive needs, e.g. Debian 13's
# 6.12-rt from bookworm-backports) and prints its release.  The image is
# then fetched by kernel_image_root (tools/lib.sh) with apt-get download,
# so that archive must be in the apt configuration it runs with, too.
rt_release() {
	local v
	case $1 in
	6.1)
		# Debian 12's own, not whatever linux-headers-rt-amd64 is
		# installed (bookworm-backports has one for 6.12): the newest
		# version of the meta-package in the apt sources, less
		# backports, depends on exactly one release.
		v=$(apt-cache madison linux-headers-rt-amd64 |
			awk -F'|' '$2 !~ /bpo/ { gsub(/ /, "", $2); print $2 }' |
			sort -V | tail -n1)
		[ -n "$v" ] || die "no linux-headers-rt-amd64 in the apt sources"
		v=$(apt-cache show "linux-headers-rt-amd64=$v" |
			sed -n 's/^Depends:.*linux-headers-\([^ ,]*-rt-amd64\).*/\1/p' |
			head -n1)
		[ -n "$v" ] && ensure_packages "linux-headers-$v"
		;;
	*) die "no recipe for the $1 -rt kernel yet (see rt_release in $0)" ;;
	esac
	[ -n "$v" ] || die "cannot tell the $1 -rt release"
	echo "$v"
}

ensure_packages build-essential kmod cpio xz-utils qemu-system-x86 \
	busybox-static fio iperf3 sockperf iproute2
if [ "$kernel" = 6.12 ]; then
	# Debian 13's, from bookworm-backports through the rig's own apt
	# configuration (tools/vm/stock-kernel.sh): headers, image, release.
	kenv=$("$SIOMMU_ROOT/tools/vm/stock-kernel.sh" --env bookworm-backports rt-amd64) ||
		die "cannot make the 6.12 -rt kernel available"
	kver=$(echo "$kenv" | sed -n 's/^SIOMMU_KERNEL_VERSION=//p')
	root=$(echo "$kenv" | sed -n 's/^SIOMMU_KERNEL_ROOT=//p')
	kdir=$(echo "$kenv" | sed -n 's/^SIOMMU_KDIR=//p')
else
	kver=$(rt_release "$kernel")
	kdir=/usr/src/linux-headers-$kver
	# Not overridden yet: downloaded and unpacked into the cache.
	root=$(kernel_image_root "$kver")
fi
[ -f "$kdir/Module.symvers" ] || die "no $kdir/Module.symvers"
grep -qx 'CONFIG_PREEMPT_RT=y' "$kdir/.config" ||
	die "$kver is not a PREEMPT_RT kernel"

vars=(SIOMMU_KERNEL_VERSION="$kver" SIOMMU_KERNEL_ROOT="$root"
      SIOMMU_KDIR="$kdir"
      SIOMMU_VM_TIMEOUT_SCALE="${SIOMMU_VM_TIMEOUT_SCALE:-2}")
if [ $print_env = yes ]; then
	printf '%s\n' "${vars[@]}"
	exit 0
fi
log "kernel $kver ($kernel-rt), headers $kdir, image $root"
exec env "${vars[@]}" VM_JOBS="${VM_JOBS:-1}" VM_TESTS_RE="$suites" \
	"$SIOMMU_ROOT/tests/vm/run.sh" ${filter:+"$filter"}
