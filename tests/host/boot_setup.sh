#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tools/boot-setup.sh on fake roots (never the machine's own /etc): the
# dry run changes nothing, install and undo are idempotent and produce the
# command line GRUB would build, a later intel_iommu=on is refused, and the
# DKMS hint speaks exactly when a kernel would boot with DMA remapping on.
# Prints one "PASS|FAIL name" line per check; exits 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tool=$here/../../tools/boot-setup.sh
. "$here/checks.bash"

# A Debian-like root: /etc/default/grub as the installer writes it and the
# stock kernel's configuration (CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF).
new_root() {
	local r=$tmp/$1
	mkdir -p "$r/etc/default" "$r/boot"
	printf '%s\n' 'GRUB_DEFAULT=0' 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' \
		'GRUB_CMDLINE_LINUX=""' >"$r/etc/default/grub"
	printf '%s\n' CONFIG_INTEL_IOMMU=y CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y \
		'# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set' >"$r/boot/config-9.9.9-amd64"
	echo "$r"
}
# The command line the fake root's GRUB would generate, as update-grub
# assembles it from /etc/default/grub and grub.d/*.cfg (sh, in order).
cmdline_of() {
	sh -c '. "$1/etc/default/grub"; for f in "$1"/etc/default/grub.d/*.cfg; do
		[ -f "$f" ] && . "$f"; done; echo "$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT"' _ "$1"
}
tree_sum() { (cd "$1" && find . -type f -exec md5sum {} + | sort); }

r=$(new_root plain)
dropin=$r/etc/default/grub.d/scalable-iommu.cfg

out=$("$tool" --root "$r" hint 9.9.9-amd64)
check hint.default-on has "$out" 'its default: CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y'
check hint.names-fix has "$out" 'boot-setup.sh install'

before=$(tree_sum "$r")
out=$("$tool" --root "$r" --dry-run install)
check dry-run.says-what has "$out" "would write $dropin"
check dry-run.changes-nothing test "$before" = "$(tree_sum "$r")"

out=$("$tool" --root "$r" install)
check install.writes test -f "$dropin"
check install.says has "$out" "wrote $dropin"
check install.says-update-grub has "$out" 'run it before rebooting'
check install.cmdline test "$(cmdline_of "$r" | xargs)" = "intel_iommu=off quiet"
sum=$(tree_sum "$r")
out=$("$tool" --root "$r" install)
check install.idempotent has "$out" 'already installed; nothing to do'
check install.idempotent-tree test "$sum" = "$(tree_sum "$r")"

out=$("$tool" --root "$r" hint 9.9.9-amd64)
check hint.quiet-when-off test -z "$out"

out=$("$tool" --root "$r" --dry-run undo)
check undo-dry-run.changes-nothing test -f "$dropin"
"$tool" --root "$r" undo >/dev/null
check undo.removes test ! -f "$dropin"
check undo.cmdline test "$(cmdline_of "$r" | xargs)" = "quiet"
out=$("$tool" --root "$r" undo)
check undo.idempotent has "$out" 'not installed; nothing to do'
check undo.back-to-start test "$before" = "$(tree_sum "$r")"

# intel_iommu=on in GRUB_CMDLINE_LINUX_DEFAULT comes after our drop-in's
# GRUB_CMDLINE_LINUX on the kernel's command line and would win.
r=$(new_root forced-on)
sed -i 's/"quiet"/"quiet intel_iommu=on"/' "$r/etc/default/grub"
before=$(tree_sum "$r")
out=$("$tool" --root "$r" install 2>&1)
rc=$?
check later-on.refused test "$rc" -ne 0
check later-on.explains has "$out" 'intel_iommu=on'
check later-on.changes-nothing test "$before" = "$(tree_sum "$r")"
out=$("$tool" --root "$r" hint 9.9.9-amd64)
check hint.explicit-on has "$out" 'says intel_iommu=on'

# A kernel whose configuration leaves DMA remapping off by default.
r=$(new_root default-off)
sed -i 's/^CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y/# & is not set/' \
	"$r/boot/config-9.9.9-amd64"
out=$("$tool" --root "$r" hint 9.9.9-amd64)
check hint.quiet-default-off test -z "$out"

# No GRUB: say what to do by hand, change nothing.
r=$tmp/no-grub
mkdir -p "$r"
out=$("$tool" --root "$r" install 2>&1)
rc=$?
check no-grub.refused test "$rc" -ne 0
check no-grub.explains has "$out" 'does not boot with GRUB'
check no-grub.changes-nothing test -z "$(ls -A "$r")"

out=$("$tool" --root "$r" frobnicate 2>&1)
rc=$?
check bad-command.refused test "$rc" -ne 0
check bad-command.explains has "$out" "unknown command 'frobnicate'"

echo "boot-setup: $failed failed"
[ "$failed" = 0 ]
