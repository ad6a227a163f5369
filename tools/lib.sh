# SPDX-License-Identifier: GPL-2.0
# Shared by the tools: where things live, which kernel we target, and how
# missing Debian packages get installed.  Source it; do not run it.

SIOMMU_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIOMMU_CACHE=${SIOMMU_CACHE:-$SIOMMU_ROOT/.cache}
mkdir -p "$SIOMMU_CACHE"

# What the host needs for the build, the lint, DKMS, the VM rig and the
# userspace harness's fuzz targets (clang's libFuzzer and sanitizer runtimes
# are in libclang-rt-14-dev, only recommended by clang-14 and so not
# installed with it here).
SIOMMU_HOST_PACKAGES="build-essential kmod cpio xz-utils linux-headers-amd64
	qemu-system-x86 busybox-static fio iperf3 sockperf iproute2 dkms
	sparse linux-source python3 clang libclang-rt-14-dev"

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return
	apt-get update -qq || die "apt-get update failed"
	apt_updated=1
}

# Install the given Debian packages that are not installed yet.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
	log "installing ${missing[*]}"
	apt_update_once
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

ensure_host() {
	# shellcheck disable=SC2086
	ensure_packages $SIOMMU_HOST_PACKAGES
}

# filter_reports START END RE keep|drop [COUNT_FILE]: copy a kernel log
# from stdin to stdout, judging each report in it, from a line matching
# START to the next line matching END: "keep" keeps only the reports with a
# line matching RE, "drop" drops those.  COUNT_FILE gets how many were
# dropped; lines outside reports always pass.  The patterns are awk
# regexes; write [[] for a literal [ (gawk's -v turns \[ into a plain [).
filter_reports() {
	awk -v start="$1" -v end="$2" -v re="$3" -v mode="$4" -v count="${5:-}" '
	function decide() {
		if (hit == (mode == "keep"))
			printf "%s", buf
		else
			n++
		on = 0
	}
	$0 ~ start { on = 1; buf = ""; hit = 0 }
	!on { print; next }
	{ buf = buf $0 "\n" }
	$0 ~ re { hit = 1 }
	$0 ~ end { decide() }
	END { if (on) decide(); if (count != "") print n + 0 >count }'
}

# ktap_results: from a guest's console log (stdin), the KTAP lines its
# scenario printed (tests/vm/lib.sh): every result ("ok N name # detail",
# "not ok N ...") and value ("# value name=...") as it came, up to the
# kernel log's dump (which is the kernel's text, not results).  When the
# results do not add up -- numbers out of order, no plan ("1..N", printed
# by finish) or a plan other than the count -- one more result follows,
# "not ok <next> vm.ktap # <what>", so a lost or garbled line cannot pass.
ktap_results() {
	awk '
	{ sub(/\r$/, "") }
	/^@@DMESG-BEGIN/ { exit }
	/^(not )?ok [0-9]+( |$)/ {
		n++
		num = $1 == "ok" ? $2 : $3
		if (num != n && bad == "")
			bad = "result " n " numbered " num
		print
		next
	}
	/^# value [^ =]+=/ { print; next }
	/^1[.][.][0-9]+$/ { plan = substr($0, 4) + 0 }
	END {
		if (bad == "" && plan == "")
			bad = "no plan (1..N): the scenario did not finish"
		if (bad == "" && plan != n)
			bad = "plan 1.." plan ", " n " results"
		if (bad != "")
			printf "not ok %d vm.ktap # %s\n", n + 1, bad
	}'
}

# guest_modules names|symbols: the kernel drivers the VM scenarios load,
# from their one list (tools/vm/guest-modules), blank-separated: module
# names (tools/vm/mkinitramfs.sh packs them) or the Kconfig symbols that
# build them (tools/vm/debug-kernel.sh builds them in).
guest_modules() {
	local col list=$SIOMMU_ROOT/tools/vm/guest-modules
	case ${1:-} in
	names) col=1 ;;
	symbols) col=2 ;;
	*) die "usage: guest_modules names|symbols" ;;
	esac
	awk -v col="$col" -v f="$list" '
	/^#/ || NF == 0 { next }
	NF != 2 { printf "%s:%d: want <module> <SYMBOL>\n", f, NR >"/dev/stderr"; bad = 1; exit }
	{ printf "%s%s", sep, $col; sep = " " }
	END { if (bad) exit 1; print "" }' "$list" || die "bad $list"
}

# SIOMMU_KERNEL_VERSION, SIOMMU_KERNEL_ROOT and SIOMMU_KDIR, set together,
# put another kernel in the stock one's place (tools/vm/debug-kernel.sh prints
# them for its debug kernels): its release, a root holding
# boot/vmlinuz-<ver> and lib/modules/<ver>, and the build tree modules are
# compiled against.  True when kernel $1 (default: any) is that one.
kernel_overridden() {
	[ -n "${SIOMMU_KERNEL_VERSION:-}${SIOMMU_KERNEL_ROOT:-}${SIOMMU_KDIR:-}" ] ||
		return 1
	if [ -z "${SIOMMU_KERNEL_VERSION:-}" ] || [ -z "${SIOMMU_KERNEL_ROOT:-}" ] ||
	   [ -z "${SIOMMU_KDIR:-}" ]; then
		die "set all of SIOMMU_KERNEL_VERSION, SIOMMU_KERNEL_ROOT and SIOMMU_KDIR, or none"
	fi
	[ "${1:-$SIOMMU_KERNEL_VERSION}" = "$SIOMMU_KERNEL_VERSION" ]
}

# The kernel we build for and boot: the one Debian's linux-headers-amd64
# currently points at, e.g. 6.1.0-56-amd64.  Never hard-coded.
kernel_version() {
	local v
	if kernel_overridden; then
		echo "$SIOMMU_KERNEL_VERSION"
		return
	fi
	# Any tool may be the first to run on a fresh machine.
	ensure_packages linux-headers-amd64
	v=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/.*linux-headers-\([^ ,]*-amd64\).*/\1/p')
	[ -n "$v" ] || die "linux-headers-amd64 is not installed"
	echo "$v"
}

kernel_headers() {
	local d="/lib/modules/$1/build"
	if kernel_overridden "$1"; then
		# Without Module.symvers modules build but do not load
		# (modversions): a tree only configured is not enough.
		[ -f "$SIOMMU_KDIR/Module.symvers" ] ||
			die "SIOMMU_KDIR=$SIOMMU_KDIR is not a built kernel tree"
		echo "$SIOMMU_KDIR"
		return
	fi
	[ -d "$d" ] || d="/usr/src/linux-headers-$1"
	[ -d "$d" ] || die "no headers for $1"
	echo "$d"
}

# Unpack the matching linux-image package into the cache; print its root.
kernel_image_root() {
	local kver=$1 dir="$SIOMMU_CACHE/kernel/$1" deb pkg
	if kernel_overridden "$kver"; then
		# Its modules' index too (a kernel with everything built in
		# may have no module at all).
		if [ ! -f "$SIOMMU_KERNEL_ROOT/boot/vmlinuz-$kver" ] ||
		   [ ! -f "$SIOMMU_KERNEL_ROOT/lib/modules/$kver/modules.builtin" ]; then
			die "SIOMMU_KERNEL_ROOT=$SIOMMU_KERNEL_ROOT lacks boot/vmlinuz-$kver or lib/modules/$kver"
		fi
		echo "$SIOMMU_KERNEL_ROOT"
		return
	fi
	# "make clean" is Kbuild's clean of the whole tree, .cache included:
	# it deletes the unpacked image's modules.  Unpack again then.
	if [ ! -f "$dir/root/boot/vmlinuz-$kver" ] ||
	   [ -z "$(find "$dir/root/lib/modules/$kver/kernel" -name '*.ko' \
		-print -quit 2>/dev/null)" ]; then
		rm -rf "$dir" && mkdir -p "$dir/deb"
		for pkg in "linux-image-$kver" "linux-image-$kver-unsigned"; do
			apt_update_once
			(cd "$dir/deb" && apt-get download -qq \
				-o APT::Sandbox::User=root "$pkg" >&2) && break
		done
		deb=$(ls "$dir"/deb/*.deb 2>/dev/null | head -n1)
		[ -n "$deb" ] || die "cannot download linux-image-$kver"
		dpkg -x "$deb" "$dir/root" || die "cannot unpack $deb"
		depmod -b "$dir/root" "$kver" || die "depmod failed"
		rm -rf "$dir/deb"
	fi
	echo "$dir/root"
}

# Build the module against the target kernel; print the .ko path.
# SIOMMU_PREBUILT=1 (tests/vm/run.sh, once it has built): print the paths
# only; VMs started side by side must not run make in one tree at once.
build_module() {
	local kver=$1
	if [ -n "${SIOMMU_PREBUILT:-}" ]; then
		echo "$SIOMMU_ROOT/scalable_iommu.ko"
		return
	fi
	make -s -C "$SIOMMU_ROOT" KDIR="$(kernel_headers "$kver")" modules >&2 ||
		die "module build failed"
	echo "$SIOMMU_ROOT/scalable_iommu.ko"
}

# Build a helper module that is not part of the product, against the
# target's headers in its own directory: the VM tests' edu driver
# (tests/vm/edu) or the benchmarks' DMA API microbenchmark (tools/bench/dma_bench).
# Print the .ko path.
build_helper_module() {
	local kver=$1 dir="$SIOMMU_ROOT/$2" name=$3
	if [ -n "${SIOMMU_PREBUILT:-}" ] && [ -f "$dir/$name.ko" ]; then
		echo "$dir/$name.ko"
		return
	fi
	make -s -C "$(kernel_headers "$kver")" M="$dir" modules >&2 ||
		die "$name module build failed"
	echo "$dir/$name.ko"
}
build_edu_test() { build_helper_module "$1" tests/vm/edu siommu_edu_test; }
build_dma_bench() { build_helper_module "$1" tools/bench/dma_bench siommu_dma_bench; }

# The VM tests' sysfs fuzzer (tests/vm/fuzz/sysfs_fuzz.c), static: the
# guest has no C library of its own to speak of.  Print the binary's path.
build_sysfs_fuzz() {
	local src="$SIOMMU_ROOT/tests/vm/fuzz/sysfs_fuzz.c"
	local bin="$SIOMMU_CACHE/sysfs_fuzz"
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		gcc -static -O2 -Wall -Wextra -Werror -o "$bin" "$src" >&2 ||
			die "sysfs_fuzz build failed"
	fi
	echo "$bin"
}
