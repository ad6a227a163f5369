#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot setup for scalable_iommu, optional: on a stock boot, where the
# kernel's own DMA remapping is on (Debian 12's 6.1 and Debian 13's 6.12
# turn it on by default: CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF), the
# module runs over the kernel's IOMMU driver (its page tables, our IOVA
# allocators and invalidation policies).  To take the VT-d units over
# with its own page tables (reclamation, superpages, the identity
# allocator), it needs the kernel's DMA remapping off: intel_iommu=off.
# Interrupt remapping is not affected: the kernel keeps it, and the
# module works alongside it.
#
# usage: tools/boot-setup.sh [--dry-run] [--root DIR] [--no-update] COMMAND
#   install      add a GRUB drop-in, /etc/default/grub.d/scalable-iommu.cfg,
#                that appends intel_iommu=off to GRUB_CMDLINE_LINUX, then
#                run update-grub; reboot afterwards
#   undo         remove that drop-in, then run update-grub
#   status       what the running kernel does and what the next boot will do
#   hint KVER    one paragraph on stdout when kernel KVER would boot with
#                its DMA remapping on (DKMS runs this after an install)
#   --dry-run    say what would change; change nothing
#   --root DIR   work on DIR/etc/default/... and DIR/boot (tests, chroots);
#                implies --no-update
#   --no-update  do not run update-grub (say that it is needed)
#   BOOT_SETUP_ROOT in the environment: the default for --root
#
# Both install and undo are idempotent and say what they change; neither
# touches the running kernel.  Self-contained on purpose: DKMS ships it in
# /usr/src/scalable_iommu-<version>/tools/ without the rest of the rig.
set -euo pipefail

prog=${0##*/}
# BOOT_SETUP_ROOT: --root's default, for tools/ci/dkms-check.sh's fake root.
root=${BOOT_SETUP_ROOT:-} dry_run=no update=yes
[ -z "$root" ] || update=no
dropin_name=scalable-iommu.cfg

say() { printf '%s: %s\n' "$prog" "$*"; }
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
usage() { sed -n '9,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
	case $1 in
	--dry-run) dry_run=yes; shift ;;
	--root) [ $# -ge 2 ] || usage; root=${2%/}; update=no; shift 2 ;;
	--no-update) update=no; shift ;;
	-h|--help) usage 0 ;;
	-*) die "unknown option '$1' (try --help)" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
cmd=$1
shift

grub_default=$root/etc/default/grub
grub_dir=$root/etc/default/grub.d
dropin=$grub_dir/$dropin_name

dropin_text() {
	cat <<'EOF'
# Installed by scalable_iommu's tools/boot-setup.sh: the kernel's own DMA
# remapping off, so that the scalable_iommu module can drive the VT-d units.
# Interrupt remapping stays on.  Remove with "tools/boot-setup.sh undo".
GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX intel_iommu=off"
EOF
}

# The kernel command line GRUB will generate: GRUB_CMDLINE_LINUX, then
# GRUB_CMDLINE_LINUX_DEFAULT, from /etc/default/grub and its drop-ins in
# the order update-grub reads them.  $1: "as-is", or "with" (as if our
# drop-in were installed).
grub_cmdline() {
	local with=$1
	(
		# Written for /bin/sh without -e or -u, as update-grub reads them.
		set +eu
		GRUB_CMDLINE_LINUX='' GRUB_CMDLINE_LINUX_DEFAULT=''
		# shellcheck disable=SC1090
		[ -f "$grub_default" ] && . "$grub_default" >/dev/null 2>&1
		for f in "$grub_dir"/*.cfg; do
			[ -f "$f" ] || continue
			# shellcheck disable=SC1090
			. "$f" >/dev/null 2>&1
		done
		if [ "$with" = with ] && [ ! -f "$dropin" ]; then
			eval "$(dropin_text | grep -v '^#')"
		fi
		echo "$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT"
	)
}

# The value of the last intel_iommu= on a command line ("" when none): the
# kernel parses each occurrence, so the last one wins.
intel_iommu_value() {
	local w v=''
	for w in $1; do
		case $w in intel_iommu=*) v=${w#intel_iommu=} ;; esac
	done
	echo "$v"
}

# The value's first comma-separated option decides on/off ("off", "on",
# or something like "on,sm_on"); an empty value means the kernel's default.
turns_off() { case ${1%%,*} in off) return 0 ;; *) return 1 ;; esac; }

# Where kernel $1's configuration is: /boot, else its headers.
kernel_config() {
	local f
	for f in "$root/boot/config-$1" "$root/lib/modules/$1/build/.config"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# Does kernel $1 turn DMA remapping on when the command line says nothing?
# Prints the deciding option.  Unknown configuration: assume yes (the
# stock Debian kernels do), and say so.
default_on() {
	local cfg opt
	cfg=$(kernel_config "$1") || { echo "configuration not found, assumed on"; return 0; }
	grep -q '^CONFIG_INTEL_IOMMU=y' "$cfg" || return 1
	for opt in CONFIG_INTEL_IOMMU_DEFAULT_ON CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF; do
		if grep -q "^$opt=y" "$cfg"; then
			echo "$opt=y"
			return 0
		fi
	done
	return 1
}

need_grub() {
	[ -f "$grub_default" ] && return 0
	die "$grub_default not found: this system does not boot with GRUB; add intel_iommu=off to its boot loader's kernel command line yourself (systemd-boot: /etc/kernel/cmdline, then reinstall the kernel) and reboot"
}

run_update_grub() {
	if [ "$update" = no ]; then
		say "not running update-grub (--root or --no-update): run it before rebooting"
		return 0
	fi
	if [ "$dry_run" = yes ]; then
		say "would run: update-grub"
		return 0
	fi
	command -v update-grub >/dev/null 2>&1 ||
		die "update-grub not found: regenerate the GRUB configuration yourself before rebooting"
	say "running update-grub"
	update-grub
}

do_install() {
	local line value
	need_grub
	line=$(grub_cmdline with)
	value=$(intel_iommu_value "$line")
	if ! turns_off "$value"; then
		die "a later setting overrides intel_iommu=off (the next boot would get intel_iommu=$value from GRUB_CMDLINE_LINUX_DEFAULT or a later drop-in in $grub_dir): remove it first; nothing changed"
	fi
	if [ -f "$dropin" ] && [ "$(cat "$dropin")" = "$(dropin_text)" ]; then
		say "$dropin is already installed; nothing to do"
		return 0
	fi
	if [ "$dry_run" = yes ]; then
		say "would write $dropin:"
		dropin_text | sed 's/^/    /'
		run_update_grub
		say "dry run: nothing changed"
		return 0
	fi
	[ "$(id -u)" = 0 ] || [ -n "$root" ] || die "need root to write $dropin"
	mkdir -p "$grub_dir"
	dropin_text >"$dropin.tmp"
	mv "$dropin.tmp" "$dropin"
	say "wrote $dropin (adds intel_iommu=off to the kernel command line)"
	run_update_grub
	say "reboot, then check: /proc/cmdline has intel_iommu=off and /sys/kernel/iommu_groups/ is empty"
}

do_undo() {
	if [ ! -f "$dropin" ]; then
		say "$dropin is not installed; nothing to do"
		return 0
	fi
	if [ "$dry_run" = yes ]; then
		say "would remove $dropin"
		run_update_grub
		say "dry run: nothing changed"
		return 0
	fi
	[ "$(id -u)" = 0 ] || [ -n "$root" ] || die "need root to remove $dropin"
	rm -f "$dropin"
	say "removed $dropin"
	run_update_grub
	say "the kernel's own DMA remapping comes back with the next boot"
}

# Is the running kernel translating DMA itself?  Any IOMMU group means an
# IOMMU driver manages DMA; interrupt remapping alone creates none.
running_translates() {
	[ -n "$(ls -A "$root/sys/kernel/iommu_groups" 2>/dev/null)" ]
}

do_status() {
	local running cmdline value next why
	running=$(uname -r)
	cmdline=$(cat "$root/proc/cmdline" 2>/dev/null || true)
	value=$(intel_iommu_value "$cmdline")
	say "running kernel $running, intel_iommu=${value:-<not given>} on its command line"
	if running_translates; then
		say "  it translates DMA itself (IOMMU groups in /sys/kernel/iommu_groups): scalable_iommu will refuse to load"
	else
		say "  it does not translate DMA (no IOMMU group): scalable_iommu can load"
	fi
	if [ -f "$dropin" ]; then
		say "drop-in $dropin: installed"
	else
		say "drop-in $dropin: not installed"
	fi
	if [ -f "$grub_default" ]; then
		next=$(intel_iommu_value "$(grub_cmdline as-is)")
		if turns_off "$next"; then
			say "next boot (GRUB): intel_iommu=$next: DMA remapping off"
		elif [ -n "$next" ]; then
			say "next boot (GRUB): intel_iommu=$next: DMA remapping on"
		elif why=$(default_on "$running"); then
			say "next boot (GRUB): no intel_iommu=, and $running turns DMA remapping on by default ($why)"
		else
			say "next boot (GRUB): no intel_iommu=, and $running leaves DMA remapping off by default"
		fi
	else
		say "no $grub_default: not booted by GRUB"
	fi
}

# For DKMS's post-install: quiet unless kernel $1 would boot with its own
# DMA remapping on (the module then runs over the kernel's driver).
do_hint() {
	local kver=$1 value why self
	[ -f "$grub_default" ] || return 0
	value=$(intel_iommu_value "$(grub_cmdline as-is)")
	if turns_off "$value"; then
		return 0
	elif [ -n "$value" ]; then
		why="the boot configuration says intel_iommu=$value"
	elif why=$(default_on "$kver"); then
		why="its default: $why"
	else
		return 0
	fi
	self=$(cd "$(dirname "$0")" && pwd)/$prog
	cat <<EOF

scalable_iommu: kernel $kver will boot with its own DMA remapping on
($why): the module will run over the kernel's IOMMU driver there (our
IOVA allocators and invalidation policies on the kernel's page tables;
no identity allocator).  To hand DMA remapping to scalable_iommu's own
VT-d page tables instead (interrupt remapping stays with the kernel),
add intel_iommu=off to the kernel's command line:
    sudo $self install
(a GRUB drop-in and update-grub; --dry-run shows what it changes), then
reboot.

EOF
}

case $cmd in
install) [ $# -eq 0 ] || usage; do_install ;;
undo) [ $# -eq 0 ] || usage; do_undo ;;
status) [ $# -eq 0 ] || usage; do_status ;;
hint) [ $# -eq 1 ] || usage; do_hint "$1" ;;
*) die "unknown command '$cmd' (install, undo, status or hint; try --help)" ;;
esac
