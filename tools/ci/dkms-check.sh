#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove the DKMS packaging: add, build and install the module for the
# target kernel exactly as a user would, but into private trees under a
# temporary folder, so that the machine's own DKMS state is not touched.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

ensure_packages dkms linux-headers-amd64 kmod
kver=$(kernel_version)
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$SIOMMU_ROOT/dkms.conf")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$SIOMMU_ROOT/dkms.conf")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/modules")
# An install tree holds one folder per kernel that "exists" there.
mkdir -p "$tmp/src/$name-$ver" "$tmp/dkms" "$tmp/modules/$kver"
# What a source package would ship: the tracked sources, not build output.
(cd "$SIOMMU_ROOT" && cp -r Kbuild Makefile dkms.conf LICENSE src \
	"$tmp/src/$name-$ver/" &&
	mkdir "$tmp/src/$name-$ver/tools" &&
	cp tools/boot-setup.sh "$tmp/src/$name-$ver/tools/")

# The post-install hint reads the boot configuration: give it a Debian-like
# fake root (GRUB's defaults as installed, the target kernel's own
# configuration), so that it must speak, without reading the machine's.
boot_root=$tmp/boot-root
mkdir -p "$boot_root/etc/default" "$boot_root/boot"
echo 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' >"$boot_root/etc/default/grub"
cp "$(kernel_headers "$kver")/.config" "$boot_root/boot/config-$kver"
export BOOT_SETUP_ROOT=$boot_root

# DKMS talks a lot; keep it for when something fails.
dlog="$tmp/dkms.log"
run_dkms() {
	dkms "$@" "${trees[@]}" >>"$dlog" 2>&1 && return 0
	cat "$dlog" "$tmp/dkms/$name/$ver/build/make.log" >&2 2>/dev/null
	die "dkms $1 failed"
}
run_dkms add -m "$name" -v "$ver"
# The headers tools/lib.sh names (SIOMMU_KDIR for another kernel).
run_dkms build -m "$name" -v "$ver" -k "$kver" \
	--kernelsourcedir "$(kernel_headers "$kver")"
run_dkms install -m "$name" -v "$ver" -k "$kver" --no-depmod
run_dkms status -m "$name"
grep -q "$name/$ver, $kver, .*: installed" "$dlog" ||
	die "dkms status does not say installed"
if grep -q '^CONFIG_INTEL_IOMMU_DEFAULT_ON\(_INTGPU_OFF\)\?=y' "$boot_root/boot/config-$kver"; then
	grep -q "kernel $kver will boot with its own DMA remapping on" "$dlog" ||
		{ cat "$dlog" >&2; die "dkms install did not print the boot-setup hint"; }
	log "dkms install printed the boot-setup hint for $kver"
fi

ko=$(find "$tmp/modules/$kver" -name "$name.ko*" | head -n1)
[ -n "$ko" ] || die "dkms install put no $name.ko under $tmp/modules/$kver"
magic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
[ "$magic" = "$kver" ] || die "built for '$magic', not $kver"
log "dkms add/build/install for $kver: ok ($ko, version $(modinfo -F version "$ko"))"
