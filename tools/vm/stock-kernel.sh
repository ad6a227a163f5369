#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make one of Debian's stock kernels available to the rig: the headers
# installed on the host (DKMS and the build want them there), the image
# and its modules unpacked into the cache, and the environment that
# tools/lib.sh takes for "another kernel" printed.
#
# usage: tools/vm/stock-kernel.sh [--env | --version] SUITE [FLAVOUR]
#   SUITE     bookworm            Debian 12's kernel (6.1)
#             bookworm-backports  Debian 13's kernel (6.12) built for 12
#   FLAVOUR   amd64 (default) or rt-amd64 (the PREEMPT_RT flavour)
#   --env     print SIOMMU_KERNEL_VERSION=, SIOMMU_KERNEL_ROOT= and
#             SIOMMU_KDIR=, one VAR=value a line, for
#             env $(tools/vm/stock-kernel.sh --env SUITE) tests/vm/run.sh ...
#   --version only print the kernel release, e.g. 6.12.48+deb12-amd64
#   (neither) print the tests/vm/run.sh command line
#
# The release is never hard-coded: it is what the suite's metapackage
# linux-headers-FLAVOUR depends on today.  apt runs with the rig's own
# configuration, in $SIOMMU_CACHE/apt/SUITE (sources, lists, downloads);
# the machine's own sources are never changed.  The suite's packages
# are signed with the Debian archive key.  Needs root the first time:
# it installs linux-headers-<release> (and the linux-image it depends on)
# with apt, and refuses when that would upgrade, downgrade or remove an
# installed package.  A second call with everything in place downloads
# and installs nothing.
set -euo pipefail
# This script's target is a stock kernel, whatever the caller's shell has.
unset SIOMMU_KERNEL_VERSION SIOMMU_KERNEL_ROOT SIOMMU_KDIR
. "$(dirname "$0")/../lib.sh"

usage="usage: stock-kernel.sh [--env | --version] bookworm|bookworm-backports [amd64|rt-amd64]"
mode=cmd suite='' flavour=amd64
while [ $# -gt 0 ]; do
	case $1 in
	--env) mode=env; shift ;;
	--version) mode=version; shift ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
	-*) die "$usage" ;;
	*)
		if [ -z "$suite" ]; then
			suite=$1
		else
			flavour=$1
		fi
		shift ;;
	esac
done
case $suite in
bookworm|bookworm-backports) ;;
*) die "$usage" ;;
esac
case $flavour in
amd64|rt-amd64) ;;
*) die "$usage" ;;
esac

mirror=http://deb.debian.org/debian
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "no $keyring (package debian-archive-keyring)"
adir="$SIOMMU_CACHE/apt/$suite"
mkdir -p "$adir/lists/partial" "$adir/archives/partial" "$adir/sources.list.d"

# Debian 12 itself always, backports on top when asked for: the headers
# depend on gcc-12 and the like from the release.
suites="bookworm bookworm-updates"
[ "$suite" = bookworm ] || suites="$suites $suite"
cat >"$adir/sources.list.d/siommu.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suites
Components: main
Signed-By: $keyring

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: $keyring
EOF
: >"$adir/sources.list"
# The suite's kernel packages (linux-base, linux-kbuild-*, ...) as good as
# the release's, so the newer wins where the headers need it; anything
# else from the suite only where nothing else has it.  No -t: that would
# prefer the suite for every package apt touches (systemd, say).
mkdir -p "$adir/preferences.d"
: >"$adir/preferences"
printf 'Package: linux-*\nPin: release n=%s\nPin-Priority: 500\n' "$suite" \
	>"$adir/preferences.d/siommu.pref"
apt_opts=(-o Dir::Etc::SourceList="$adir/sources.list"
	  -o Dir::Etc::SourceParts="$adir/sources.list.d"
	  -o Dir::State::Lists="$adir/lists"
	  -o Dir::Cache::Archives="$adir/archives"
	  -o Dir::Etc::Preferences="$adir/preferences"
	  -o Dir::Etc::PreferencesParts="$adir/preferences.d"
	  -o APT::Get::Upgrade-By-Source-Package=false
	  -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
	  -o APT::Sandbox::User=root -o DPkg::Lock::Timeout=900)

# Lists older than a day are fetched again (a new kernel upload moves
# the metapackage).
stamp="$adir/updated.stamp"
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
	log "apt-get update ($suite, rig configuration)"
	apt-get "${apt_opts[@]}" update -qq >&2 || die "apt-get update ($suite) failed"
	touch "$stamp"
fi

# The version of linux-headers-FLAVOUR that apt would install from the
# suite (for bookworm: with its point releases and security updates),
# and the release its Depends names.
tgt=()
[ "$suite" = bookworm ] || tgt=(-t "$suite")
meta=linux-headers-$flavour
metaver=$(apt-cache "${apt_opts[@]}" "${tgt[@]}" policy "$meta" |
	sed -n 's/^ *Candidate: //p')
[ "$metaver" != "(none)" ] || metaver=''
[ -n "$metaver" ] || die "$meta is not in $suite"
kver=$(apt-cache "${apt_opts[@]}" show "$meta=$metaver" |
	sed -n "s/^Depends:.*linux-headers-\([^ ,]*-$flavour\)\b.*/\1/p" |
	head -n1)
[ -n "$kver" ] || die "cannot read the release from $meta $metaver"
if [ $mode = version ]; then
	echo "$kver"
	exit 0
fi

# The headers, installed on the host.
hpkg=linux-headers-$kver
if ! dpkg-query -W -f='${Status}' "$hpkg" 2>/dev/null |
	grep -q 'install ok installed'; then
	[ "$(id -u)" = 0 ] || die "need root to install $hpkg"
	# None of the machine's packages removed, or replaced by the suite's
	# (apt would otherwise upgrade every installed package built from the
	# same source: linux-headers-amd64, linux-libc-dev, ... are src:linux
	# too; hence Upgrade-By-Source-Package=false above).  An upgrade from
	# the machine's own release is allowed, as for any apt-get install: a
	# new dependency (udev, for the image's initramfs hooks) may need its
	# installed library (libudev1) at the release's current point version.
	# The headers depend on the image, which comes too.
	plan=$(apt-get "${apt_opts[@]}" -s install --no-install-recommends \
		"$hpkg") || die "apt-get cannot install $hpkg"
	changed=$(echo "$plan" | awk '$1 == "Remv" ||
		($1 == "Inst" && $3 ~ /^\[/ && /Backports/) { print $2 }')
	[ -z "$changed" ] ||
		die "installing $hpkg would change installed packages:" $changed
	upgraded=$(echo "$plan" | awk '$1 == "Inst" && $3 ~ /^\[/ { print $2 }')
	[ -z "$upgraded" ] ||
		log "upgrading from the machine's own release:" $upgraded
	log "installing $hpkg from $suite"
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq \
		--no-install-recommends "$hpkg" >&2 ||
		die "apt-get install $hpkg failed"
fi
kdir=/usr/src/linux-headers-$kver
[ -f "$kdir/Module.symvers" ] || die "$kdir has no Module.symvers"

# The image, unpacked into the cache as tools/lib.sh does for the
# default kernel; depmod'ed so the initramfs builder finds the modules.
root="$SIOMMU_CACHE/kernel/$kver/root"
if [ ! -f "$root/boot/vmlinuz-$kver" ] ||
   [ ! -f "$root/lib/modules/$kver/modules.builtin" ] ||
   [ -z "$(find "$root/lib/modules/$kver/kernel" -name '*.ko*' \
	-print -quit 2>/dev/null)" ]; then
	dl="$SIOMMU_CACHE/kernel/$kver/deb"
	rm -rf "$root" "$dl" && mkdir -p "$dl"
	for pkg in "linux-image-$kver-unsigned" "linux-image-$kver"; do
		(cd "$dl" && apt-get "${apt_opts[@]}" download -qq \
			"$pkg" >&2) && break
	done
	deb=$(find "$dl" -name '*.deb' -print -quit)
	[ -n "$deb" ] || die "cannot download linux-image-$kver"
	log "unpacking $(basename "$deb")"
	dpkg -x "$deb" "$root" || die "cannot unpack $deb"
	depmod -b "$root" "$kver" || die "depmod failed"
	rm -rf "$dl"
fi

vars=(SIOMMU_KERNEL_VERSION="$kver" SIOMMU_KERNEL_ROOT="$root"
      SIOMMU_KDIR="$kdir")
if [ $mode = env ]; then
	printf '%s\n' "${vars[@]}"
	exit 0
fi
printf '%q ' "${vars[@]}"
echo "$SIOMMU_ROOT/tests/vm/run.sh"
