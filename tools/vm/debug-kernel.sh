#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The debug lane, run on demand and not by "make check": build Debian's own
# 6.1 kernel from its linux-source package (Debian's patches applied) with a
# small configuration of our own, everything the VM tests load built in,
# and the kernel's bug detectors on; then, with --run, the VM tests on it.
# KCSAN and KASAN cannot share a kernel, hence two flavours.
#
# usage: tools/vm/debug-kernel.sh [options] kasan|kcsan
#   kasan            KASAN (generic, inline), lockdep (PROVE_LOCKING),
#                    DEBUG_ATOMIC_SLEEP, DMA_API_DEBUG, SLUB_DEBUG_ON, kmemleak
#   kcsan            KCSAN and lockdep
#   --run [filter]   then run tests/vm/run.sh [filter] on that kernel
#   --config-only    stop after writing and checking the .config
#   --env            print the environment for tools/vm/vm-run and
#                    tests/vm/run.sh, one VAR=value a line (for scripts)
#
# The configuration: x86_64_defconfig less what a guest with only an
# initramfs, a serial console and the rig's devices never uses, then what
# the VM rig needs forced on, built in (q35's PCIe ports and hotplug, SR-IOV,
# the VT-d driver and interrupt remapping, NVMe, e1000e, e1000, AHCI, the
# serial console, a gzip initramfs, devtmpfs, network namespaces, kprobes
# and kallsyms for the module, trace events), then the flavour's checkers.
# Every forced option is checked to have survived olddefconfig.
#
# Without --run or --env it prints the tests/vm/run.sh command line.
# Everything lands outside the work tree, in $SIOMMU_DEBUG_CACHE (default
# /var/cache/scalable-iommu/debug-kernel): src/ (the unpacked source, both
# flavours share it), <flavour>/kconfig/ (where the configuration is made)
# and <release>-<key>/ with build/ (the build tree, also the KDIR modules
# build against), root/ (boot/vmlinuz-<release> and lib/modules/<release>,
# as tools/lib.sh wants a kernel) and build.log.  The key hashes the
# source and the configuration: a second call builds nothing.
set -euo pipefail
# This script's target is the stock kernel, whatever the caller's shell has.
unset SIOMMU_KERNEL_VERSION SIOMMU_KERNEL_ROOT SIOMMU_KDIR
. "$(dirname "$0")/../lib.sh"

usage="usage: debug-kernel.sh [--run [filter]] [--config-only] [--env] kasan|kcsan"
flavour='' run=no filter='' config_only=no print_env=no
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
	--env) print_env=yes; shift ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
	*) die "$usage" ;;
	esac
done
[ -n "$flavour" ] || die "$usage"

# Debian's source, with Debian's patches, of the stock kernel's series
# (6.1 for 6.1.0-57-amd64): other series' sources may be installed too.
series=$(kernel_version | sed -n 's/^\([0-9]*\.[0-9]*\)[.-].*/\1/p')
[ -n "$series" ] || die "cannot tell the stock kernel's series"
ensure_packages "linux-source-$series" build-essential bc bison flex \
	libssl-dev libelf-dev kmod cpio xz-utils perl
tarball=/usr/src/linux-source-$series.tar.xz
[ -f "$tarball" ] || die "no $tarball"
src_ver=$(dpkg-query -W -f='${Version}' "$(basename "$tarball" .tar.xz)" 2>/dev/null || true)

dk=${SIOMMU_DEBUG_CACHE:-/var/cache/scalable-iommu/debug-kernel}
src=$dk/src/$(basename "$tarball" .tar.xz)
gen=$dk/$flavour/kconfig
mkdir -p "$dk/src" "$gen" || die "cannot create $dk (set SIOMMU_DEBUG_CACHE)"

# Unpack once per tarball; a half-unpacked tree never takes the final name.
src_stamp="$tarball $src_ver $(stat -c '%s %Y' "$tarball")"
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
# PAHOLE=false: these kernels have no BTF, and without it the host's pahole
# (installed or not, by whatever else runs here) would still land in the
# configuration as CONFIG_PAHOLE_VERSION and change the cache key.
kmake() {
	local obj=$1
	shift
	make -C "$src" O="$obj" LOCALVERSION= PAHOLE=false "$@"
}
kconf() { "$src/scripts/config" --file "$gen/.config" "$@"; }

# The configuration is made in a small tree of its own, so that the build
# tree is only touched when the result differs from what it was built with.
log "configuring $flavour: x86_64_defconfig, trimmed, + the rig's needs"
rm -f "$gen/.config"
kmake "$gen" -s x86_64_defconfig

# What the rig needs, built in: name=y checked after olddefconfig.  The
# drivers the scenarios load come from their list (tools/vm/guest-modules).
rig="MODULES MODULE_UNLOAD MODVERSIONS KALLSYMS KALLSYMS_ALL KPROBES
	SMP HOTPLUG_CPU X86_X2APIC ACPI PCI PCIEPORTBUS HOTPLUG_PCI
	HOTPLUG_PCI_PCIE HOTPLUG_PCI_ACPI PCI_MSI PCI_IOV IOMMU_SUPPORT INTEL_IOMMU IRQ_REMAP
	DMAR_TABLE IOMMU_IOVA ATA SATA_AHCI NETDEVICES ETHERNET
	NET_VENDOR_INTEL SERIAL_8250 SERIAL_8250_CONSOLE
	BLK_DEV_INITRD RD_GZIP DEVTMPFS TMPFS PROC_FS SYSFS NET INET IPV6
	UNIX PACKET NAMESPACES NET_NS AIO SWAP DEBUG_FS FTRACE TRACING
	EVENT_TRACING PREEMPT_DYNAMIC INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF
	DEBUG_KERNEL PROVE_LOCKING LOCKDEP $(guest_modules symbols)"
# QEMU's q35 (7.2) hot-plugs into its root ports through ACPI, and
# Debian's kernel has HOTPLUG_PCI_ACPI=y: without it these kernels hung,
# CPUs busy, at tests/vm/hotplug.sh's hot-add, while the same kernel with
# QEMU's native PCIe hot-plug instead (pciehp) saw the disk and went on.
# As Debian's: the VT-d driver on by default unless an integrated GPU,
# preemption chosen at boot (voluntary).  The rig boots with
# intel_iommu=off, the refusal test with =on.
# No module signing, no debug info (kallsyms names the stack frames).
kconf --set-str LOCALVERSION "-siommu-$flavour" -d LOCALVERSION_AUTO \
	-d MODULE_SIG -d DEBUG_INFO \
	-d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -d DEBUG_INFO_DWARF4 \
	-d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE -e ENABLE_DEFAULT_TRACERS \
	-d WERROR
for o in $rig; do
	kconf -e "$o"
done
# What defconfig has for real machines and the guest never uses (the
# guest's userspace: busybox, fio, iperf3, sockperf, iproute2, all 64-bit,
# on an initramfs): off, for the build's time.  Two cores build what is
# left in well under an hour.
unused="DRM AGP FB SOUND WIRELESS WLAN CFG80211 RFKILL BT USB_SUPPORT HID
	NETWORK_FILESYSTEMS NETFILTER NET_SCHED XFRM_USER NET_KEY NETLABEL
	IP_MULTICAST IP_ADVANCED_ROUTER IP_PNP TCP_CONG_ADVANCED MD
	INPUT_JOYSTICK INPUT_TABLET INPUT_TOUCHSCREEN INPUT_MOUSE
	SECURITY AUDIT EXT4_FS ISO9660_FS VFAT_FS MSDOS_FS FAT_FS AUTOFS_FS
	QUOTA PCCARD ATA_SFF BLK_DEV_SR CHR_DEV_SG HW_RANDOM HWMON THERMAL
	ACPI_THERMAL ACPI_VIDEO ACPI_AC ACPI_BATTERY ACPI_FAN WATCHDOG EDAC
	CPU_FREQ HIBERNATION SUSPEND KEXEC CRASH_DUMP EFI X86_MCE MICROCODE
	PERF_EVENTS_INTEL_UNCORE PERF_EVENTS_INTEL_RAPL
	PERF_EVENTS_INTEL_CSTATE PERF_EVENTS_AMD_POWER NEW_LEDS
	IA32_EMULATION X86_X32_ABI HYPERVISOR_GUEST VIRTIO_MENU
	MACINTOSH_DRIVERS NVRAM PROFILING E100 PHYLIB"
for o in $unused; do
	kconf -d "$o"
done
# Every Ethernet vendor but Intel (e1000e, e1000).
for o in $(sed -n 's/^CONFIG_\(NET_VENDOR_[A-Z0-9_]*\)=y$/\1/p' "$gen/.config"); do
	[ "$o" = NET_VENDOR_INTEL ] || kconf -d "$o"
done
kconf -d INTEL_IOMMU_DEFAULT_ON -e INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF
want="LOCALVERSION=\"-siommu-$flavour\""
for o in $rig; do
	want="$want $o=y"
done
case $flavour in
kasan)
	# Inline: faster than outline calls, and time is what TCG lacks.
	# VMALLOC: module memory and vmalloc'ed tables are checked too.
	kasan="KASAN KASAN_GENERIC KASAN_INLINE KASAN_VMALLOC
		DEBUG_ATOMIC_SLEEP DMA_API_DEBUG SLUB_DEBUG SLUB_DEBUG_ON
		DEBUG_KMEMLEAK"
	kconf -d KASAN_OUTLINE -d DEBUG_KMEMLEAK_DEFAULT_OFF \
		--set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 40000
	for o in $kasan; do
		kconf -e "$o"
		want="$want $o=y"
	done
	# Every report, not only the first; shadow memory, quarantine and
	# SLUB's red zones want room.
	append=kasan_multi_shot mem=4G scale=6 ;;
kcsan)
	kconf -d KASAN -e KCSAN
	want="$want KCSAN=y"
	append='' mem=2G scale=6 ;;
esac
kmake "$gen" -s olddefconfig
dropped=
for w in $want; do
	grep -Fqx "CONFIG_$w" "$gen/.config" || dropped="$dropped CONFIG_$w"
done
[ -z "$dropped" ] || die "olddefconfig dropped:$dropped (see $gen/.config)"
kver=$(kmake "$gen" -s kernelversion)-siommu-$flavour
key=$( { echo "$src_stamp"; cat "$gen/.config"; } | md5sum | cut -c1-12)
out=$dk/$kver-$key
build=$out/build root=$out/root
log "configuration ok: $gen/.config, kernel $kver, build $out"
if [ $config_only = yes ]; then
	echo "$gen/.config"
	exit 0
fi

# Built already from this source and this configuration?
if [ -f "$out/built.stamp" ] && [ -f "$root/boot/vmlinuz-$kver" ] &&
   [ -f "$build/Module.symvers" ] &&
   [ -f "$root/lib/modules/$kver/modules.builtin" ]; then
	log "$kver is built already ($out)"
else
	rm -f "$out/built.stamp"
	mkdir -p "$build"
	cp "$gen/.config" "$build/.config"
	jobs=${SIOMMU_DEBUG_JOBS:-$(nproc)}
	log "building $kver with $jobs jobs; tail -f $out/build.log"
	start=$(date +%s)
	kmake "$build" -j"$jobs" olddefconfig bzImage modules \
		>"$out/build.log" 2>&1 || {
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
	# tools/vm/mkinitramfs.sh keys its cache on the release, which a new
	# build of this flavour keeps.
	rm -f "$SIOMMU_CACHE"/initramfs/base-"$kver"-*.cpio.gz
	# Last: only a complete build is ever taken for one.
	echo "$(( $(date +%s) - start ))" >"$out/build.seconds"
	touch "$out/built.stamp"
	log "built $kver in $(cat "$out/build.seconds")s"
fi

# How tools/lib.sh and tools/vm/vm-run take another kernel.
vars=(SIOMMU_KERNEL_VERSION="$kver" SIOMMU_KERNEL_ROOT="$root"
      SIOMMU_KDIR="$build" SIOMMU_EXTRA_APPEND="$append"
      SIOMMU_VM_MEM="$mem" SIOMMU_VM_TIMEOUT_SCALE="$scale")
if [ $print_env = yes ]; then
	printf '%s\n' "${vars[@]}"
	exit 0
fi
if [ $run = yes ]; then
	exec env "${vars[@]}" "$SIOMMU_ROOT/tests/vm/run.sh" ${filter:+"$filter"}
fi
printf '%q ' "${vars[@]}"
echo "$SIOMMU_ROOT/tests/vm/run.sh"
