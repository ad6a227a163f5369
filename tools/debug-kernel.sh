#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The debug lane, run on demand and not by "make check": build Debian's own
# 6.1 kernel from its linux-source package, with Debian's configuration and
# the kernel's bug detectors on, and run the VM tests on it.  KCSAN and
# KASAN cannot share a kernel, hence two flavours.
#
# usage: tools/debug-kernel.sh [options] kasan|kcsan
#   kasan            KASAN (generic, inline), lockdep (PROVE_LOCKING),
#                    DEBUG_ATOMIC_SLEEP, DMA_API_DEBUG, SLUB_DEBUG_ON, kmemleak
#   kcsan            KCSAN and lockdep
#   --run [filter]   then run tests/vm/run.sh [filter] on that kernel
#   --config-only    stop after writing and checking the .config
#   --all-modules    build all of Debian's modules, not only the ones the
#                    VM tests load (many more hours)
#
# Without --run it prints the tests/vm/run.sh command line for that kernel.
# Everything lands in .cache/debug-kernel/: src/ (the unpacked source, both
# flavours share it) and <flavour>/ with build/ (the build tree, also the
# KDIR modules build against), root/ (boot/vmlinuz-<ver> and
# lib/modules/<ver>, as tools/lib.sh wants a kernel) and build.log.  A
# second call with the same source and configuration builds nothing.
set -euo pipefail
# This script's target is the stock kernel, whatever the caller's shell has.
unset SIOMMU_KERNEL_VERSION SIOMMU_KERNEL_ROOT SIOMMU_KDIR
. "$(dirname "$0")/lib.sh"

usage="usage: debug-kernel.sh [--run [filter]] [--config-only] [--all-modules] kasan|kcsan"
flavour='' run=no filter='' config_only=no all_modules=no
while [ $# -gt 0 ]; do
	case $1 in
	kasan|kcsan) flavour=$1; shift ;;
	--run)
		run=yes; shift
		case ${1:-} in
		''|-*|kasan|kcsan) ;;
		*) filter=$1; shift ;;
		esac ;;
	--config-only) config_only=yes; shift ;;
	--all-modules) all_modules=yes; shift ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
	*) die "$usage" ;;
	esac
done
[ -n "$flavour" ] || die "$usage"

# Debian 12's names for what a kernel build needs.  dwarves (pahole) only
# matters if BTF is turned back on; perl runs localmodconfig; openssl makes
# the throwaway signing key.
ensure_packages linux-source build-essential bc bison flex libssl-dev \
	libelf-dev dwarves kmod cpio xz-utils perl openssl

# Debian's source, with Debian's patches: the newest if there are several.
tarball=$(printf '%s\n' /usr/src/linux-source-*.tar.xz | sort -V | tail -n1)
[ -f "$tarball" ] || die "no /usr/src/linux-source-*.tar.xz"
# Debian's configuration of the stock kernel the tests boot otherwise.
stock=$(kernel_version)
stock_root=$(kernel_image_root "$stock")
base_config=$stock_root/boot/config-$stock
[ -f "$base_config" ] || die "no $base_config"
src_ver=$(dpkg-query -W -f='${Version}' "$(basename "$tarball" .tar.xz)" 2>/dev/null || true)
stock_ver=$(dpkg-query -W -f='${Version}' "linux-headers-$stock" 2>/dev/null || true)
[ "$src_ver" = "$stock_ver" ] ||
	log "warning: source $src_ver is not the stock kernel's $stock_ver; olddefconfig bridges the configs"

dk=$SIOMMU_CACHE/debug-kernel
out=$dk/$flavour
src=$dk/src/$(basename "$tarball" .tar.xz)
gen=$out/kconfig build=$out/build root=$out/root
mkdir -p "$dk/src" "$gen"

# Unpack once per tarball; a half-unpacked tree never takes the final name.
src_stamp="$tarball $(stat -c '%s %Y' "$tarball")"
if [ "$(cat "$src.stamp" 2>/dev/null)" != "$src_stamp" ] ||
   [ ! -f "$src/Makefile" ]; then
	log "unpacking $tarball into $src"
	rm -rf "$src" "$src.tmp" "$src.stamp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
	echo "$src_stamp" >"$src.stamp"
fi

# LOCALVERSION= (set, empty) keeps setlocalversion from adding a "+".
kmake() {
	local obj=$1
	shift
	make -C "$src" O="$obj" LOCALVERSION= "$@"
}
kconf() { "$src/scripts/config" --file "$gen/.config" "$@"; }

# The configuration is made in a small tree of its own, so that the build
# tree is only touched when the result differs from what it was built with.
log "configuring $flavour from $base_config"
cp "$base_config" "$gen/.config"
kmake "$gen" -s olddefconfig
if [ $all_modules = no ]; then
	# Debian builds some 4000 modules; the guest only ever loads the
	# ones tools/mkinitramfs.sh packs (KMODS there, with what they
	# depend on), ours and the test modules, which need none.  Turning
	# every other "m" off saves most of the build; built-in code stays.
	kmods=$(sed -n 's/^KMODS="\(.*\)"$/\1/p' "$SIOMMU_ROOT/tools/mkinitramfs.sh")
	[ -n "$kmods" ] || die "no KMODS in tools/mkinitramfs.sh"
	{
		echo "Module                  Size  Used by"
		for m in $kmods; do
			modprobe -d "$stock_root" -S "$stock" --show-depends "$m"
		done | awk '$1 == "insmod" {
			n = $2; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n)
			gsub(/-/, "_", n); print n, 0, 0 }' | sort -u
	} >"$gen/lsmod"
	# What "make localmodconfig" runs, minus its interactive oldconfig:
	# the olddefconfig below answers with the defaults instead.
	(cd "$gen" && SRCARCH=x86 LSMOD="$gen/lsmod" perl \
		"$src/scripts/kconfig/streamline_config.pl" --localmodconfig \
		"$src" Kconfig >.config.trimmed 2>localmodconfig.log) ||
		die "localmodconfig failed, see $gen/localmodconfig.log"
	mv "$gen/.config.trimmed" "$gen/.config"
fi

# Common to both: our own release name, so that its modules never mix with
# the stock kernel's; no module signing: Debian's lockdown LSM keeps
# MODULE_SIG on, but without Debian's keys the build makes a throwaway one
# and signs nothing (the VM loads unsigned modules, as it does ours on the
# stock kernel); no debug info and no BTF, the biggest costs of a build,
# which stack traces (kallsyms) do without.
kconf --set-str LOCALVERSION "-siommu-$flavour" -d LOCALVERSION_AUTO \
	-d MODULE_SIG_ALL --set-str MODULE_SIG_KEY certs/signing_key.pem \
	--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
	-d DEBUG_INFO_BTF -d DEBUG_INFO_BTF_MODULES \
	-d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -d DEBUG_INFO_DWARF4 \
	-d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE \
	-e DEBUG_KERNEL -e PROVE_LOCKING
# What must still be set after olddefconfig, or the lane tests less than
# it claims.
want="LOCALVERSION=\"-siommu-$flavour\" DEBUG_INFO_NONE=y PROVE_LOCKING=y LOCKDEP=y"
want="$want MODULE_SIG_KEY=\"certs/signing_key.pem\""
case $flavour in
kasan)
	# Inline: faster than outline calls, and time is what TCG lacks.
	# VMALLOC: module memory and vmalloc'ed tables are checked too.
	kconf -e KASAN -e KASAN_GENERIC -d KASAN_OUTLINE -e KASAN_INLINE \
		-e KASAN_VMALLOC -e DEBUG_ATOMIC_SLEEP -e DMA_API_DEBUG \
		-e SLUB_DEBUG -e SLUB_DEBUG_ON -e DEBUG_KMEMLEAK
	want="$want KASAN=y KASAN_GENERIC=y KASAN_INLINE=y KASAN_VMALLOC=y"
	want="$want DEBUG_ATOMIC_SLEEP=y DMA_API_DEBUG=y SLUB_DEBUG_ON=y"
	want="$want DEBUG_KMEMLEAK=y"
	# Every report, not only the first; shadow memory and quarantine
	# want room.
	append=kasan_multi_shot mem=4G scale=4 ;;
kcsan)
	kconf -d KASAN -e KCSAN
	want="$want KCSAN=y"
	append='' mem=2G scale=4 ;;
esac
kmake "$gen" -s olddefconfig
dropped=
for w in $want; do
	grep -Fqx "CONFIG_$w" "$gen/.config" || dropped="$dropped CONFIG_$w"
done
[ -z "$dropped" ] || die "olddefconfig dropped:$dropped (see $gen/.config)"
kver=$(kmake "$gen" -s kernelversion)-siommu-$flavour
log "configuration ok: $gen/.config, kernel $kver"
if [ $config_only = yes ]; then
	echo "$gen/.config"
	exit 0
fi

# Built already from this source and this configuration?  Check the
# outputs too: the repository's "make clean" (Kbuild's, over the whole
# tree, .cache included) deletes the objects and the installed modules.
{ echo "$src_stamp"; cat "$gen/.config"; } >"$gen/stamp"
if cmp -s "$gen/stamp" "$out/built.stamp" &&
   [ -f "$root/boot/vmlinuz-$kver" ] && [ -f "$build/Module.symvers" ] &&
   [ -n "$(find "$root/lib/modules/$kver/kernel" -name '*.ko' -print -quit 2>/dev/null)" ]; then
	log "$kver is built already"
else
	rm -f "$out/built.stamp"
	mkdir -p "$build"
	cp "$gen/.config" "$build/.config"
	log "building $kver with $(nproc) jobs: hours; tail -f $out/build.log"
	kmake "$build" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 || {
		tail -n 30 "$out/build.log" >&2
		die "kernel build failed, see $out/build.log"
	}
	[ "$(cat "$build/include/config/kernel.release")" = "$kver" ] ||
		die "built $(cat "$build/include/config/kernel.release"), expected $kver"
	rm -rf "$root"
	kmake "$build" INSTALL_MOD_PATH="$root" modules_install \
		>>"$out/build.log" 2>&1 || die "modules_install failed, see $out/build.log"
	install -D -m 644 "$build/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$kver"
	install -m 644 "$build/System.map" "$root/boot/System.map-$kver"
	install -m 644 "$build/.config" "$root/boot/config-$kver"
	# tools/mkinitramfs.sh keys its cache on the release, which a new
	# build of this flavour keeps: its nvme and e1000e would be stale.
	rm -f "$SIOMMU_CACHE"/initramfs/base-"$kver"-*.cpio.gz
	# Last: only a complete build is ever taken for one.
	cp "$gen/stamp" "$out/built.stamp"
	log "built $kver"
fi

# How tools/lib.sh and tools/vm-run take another kernel.
vars=(SIOMMU_KERNEL_VERSION="$kver" SIOMMU_KERNEL_ROOT="$root"
      SIOMMU_KDIR="$build" SIOMMU_EXTRA_APPEND="$append"
      SIOMMU_VM_MEM="$mem" SIOMMU_VM_TIMEOUT_SCALE="$scale")
if [ $run = yes ]; then
	exec env "${vars[@]}" "$SIOMMU_ROOT/tests/vm/run.sh" ${filter:+"$filter"}
fi
printf '%q ' "${vars[@]}"
echo "$SIOMMU_ROOT/tests/vm/run.sh"
