#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse from the cache) the guest's base initramfs for a kernel:
# busybox-static, the real clients (fio, iperf3, sockperf, iproute2) with
# their shared libraries, the kernel modules the scenarios load, and /init.
# Prints the path of the gzipped cpio archive.
#
# usage: tools/vm/mkinitramfs.sh [--perf] <kernel-version>
#   --perf   Debian's perf too, with its libraries (tools/bench/profile.sh):
#            some 20 MB more, so only the boots that profile carry it, from
#            an image of their own
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

perf=no
[ "${1:-}" = --perf ] && { perf=yes; shift; }
kver=${1:?usage: mkinitramfs.sh [--perf] <kernel-version>}
# Drivers whose devices the scenarios attach; their dependencies come too.
KMODS=$(guest_modules names)
# kmod, not busybox: busybox insmod retries a failed finit_module with
# init_module, so a module that refuses to load would be asked twice.
BINARIES="/usr/bin/fio /usr/bin/iperf3 /usr/bin/sockperf /usr/sbin/ip /usr/bin/kmod"

ensure_packages busybox-static cpio fio iperf3 sockperf iproute2 kmod
if [ $perf = yes ]; then
	# linux-perf's /usr/bin/perf is the binary itself (it diverts
	# the version-picking wrapper aside), from the same Debian release
	# as the guest's kernel.
	ensure_packages linux-perf
	BINARIES="$BINARIES /usr/bin/perf"
fi
kroot=$(kernel_image_root "$kver")

key=$( { echo "$kver $KMODS $BINARIES"; cat "$0" "$SIOMMU_ROOT"/tools/vm/guest/init;
	 for b in $BINARIES; do md5sum "$b"; done; } | md5sum | cut -c1-12)
out="$SIOMMU_CACHE/initramfs/base-$kver-$key.cpio.gz"
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

log "building base initramfs for $kver"
mkdir -p "$SIOMMU_CACHE/initramfs"
# Older builds go once a day has passed: another checkout sharing this
# cache may still be booting its own.
find "$SIOMMU_CACHE/initramfs" -name "base-$kver-*.cpio.gz" -mtime +0 -delete
stage=$(mktemp -d "$SIOMMU_CACHE/initramfs/stage.XXXXXX")
trap 'rm -rf "$stage" "$stage.cpio.gz"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run/netns,tmp,etc,root,lib/modules}
cp /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
mknod -m 600 "$stage/dev/console" c 5 1
mknod -m 666 "$stage/dev/null" c 1 3

# A binary and every library the dynamic loader would pull in.
copy_binary() {
	local bin=$1 lib
	mkdir -p "$stage$(dirname "$bin")"
	cp -L "$bin" "$stage$bin"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}
for b in $BINARIES; do
	copy_binary "$b"
done
# kmod picks its personality from argv[0]; scenarios call these by full
# path because busybox sh runs its own applets before anything on PATH.
mkdir -p "$stage/usr/local/sbin"
for tool in insmod rmmod modprobe lsmod; do
	ln -s /usr/bin/kmod "$stage/usr/local/sbin/$tool"
done
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
printf '127.0.0.1 localhost\n' >"$stage/etc/hosts"

# Kernel modules, placed where modprobe looks for them.  A kernel that has
# one built in (the debug kernels, tools/vm/debug-kernel.sh) lists it in
# modules.builtin, copied below, and the guest's modprobe of it succeeds
# with nothing to load.  --show-depends takes one module; words after it
# would be its parameters.
deps=
for m in $KMODS; do
	d=$(modprobe -d "$kroot" -S "$kver" --show-depends "$m") ||
		die "$kver has no module $m, loadable or built in"
	deps="$deps$d"$'\n'
done
for ko in $(echo "$deps" | awk '$1 == "insmod" { print $2 }' | sort -u); do
	rel=${ko#"$kroot"}
	mkdir -p "$stage$(dirname "$rel")"
	cp "$ko" "$stage$rel"
done
mkdir -p "$stage/lib/modules/$kver"
cp "$kroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} \
	"$stage/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$stage" "$kver"

install -m 755 "$SIOMMU_ROOT/tools/vm/guest/init" "$stage/init"

# Written aside and renamed: whoever builds the same key at the same time
# renames an identical file.
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$stage.cpio.gz"
mv "$stage.cpio.gz" "$out"
echo "$out"
