# SPDX-License-Identifier: GPL-2.0
# Helpers for guest scenarios (busybox sh).  Every scenario begins with
#   . "$(dirname "$0")/lib.sh"
# tools/vm/vm-run copies this file into the guest beside the scenario
# files it runs, so the line names the same file there as here.  Several
# scenarios run in one shell, one after the other, and each sources it:
# only the first time counts, so that one count of failures covers them all.
[ -n "${SIOMMU_LIB_SOURCED:-}" ] && return 0
SIOMMU_LIB_SOURCED=1

# Results are KTAP, version 1 (the kernel's Documentation/dev-tools/ktap.rst):
#   KTAP version 1                printed here, once
#   ok <n> <name> # <detail>      a check that passed
#   not ok <n> <name> # <detail>  one that failed
#   # value <name>=<value>        a measurement, not a check (value below)
#   1..<n>                        the plan, printed last by finish
# A name is one word (no blank, no "#"); a detail is free text, kept on
# its line.  The host (tools/vm/vm-run, ktap_results in tools/lib.sh)
# reads these lines back.  A scenario's exit status is the number of
# failed checks.
echo "KTAP version 1"
ktap_n=0
failures=0
SIOMMU_SYSFS=/sys/kernel/scalable_iommu

# ktap_line <ok|not ok> <name> [detail]
ktap_line() {
	ktap_n=$((ktap_n + 1))
	_d=${3:-}
	case $_d in
	# One line per result: a detail that spans several is joined.
	*"
"*) _d=$(printf '%s' "$_d" | tr '\n' ' ') ;;
	esac
	case $_d in
	'') echo "$1 $ktap_n $2"; return ;;
	# After "#", KTAP reads SKIP or TODO as a directive: never ours.
	[Ss][Kk][Ii][Pp]*|[Tt][Oo][Dd][Oo]*) _d="- $_d" ;;
	esac
	echo "$1 $ktap_n $2 # $_d"
}
pass() { ktap_line ok "$1" "${2:-}"; }
fail() { ktap_line "not ok" "$1" "${2:-}"; failures=$((failures + 1)); }

# check <name> <detail> <command...>: PASS when the command succeeds.
check() {
	name=$1 detail=$2
	shift 2
	if "$@"; then pass "$name" "$detail"; else fail "$name" "$detail"; fi
}

# expect_eq <name> <expected> <actual>
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1" "$3"
	else
		fail "$1" "expected '$2' got '$3'"
	fi
}

# value <name> <value>: report a measurement that is not a pass/fail
# check, as a KTAP diagnostic line: "# value <name>=<value>".
value() { echo "# value $1=$(printf '%s' "$2" | tr '\n' ' ')"; }

# The field <key>=<value> of a units line.
unit_field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# Debian's kmod by full path: busybox's own applets would win otherwise.
# SIOMMU_PARAMS (vm-run --env) adds module parameters to every load.
# shellcheck disable=SC2086
load_module() { /usr/local/sbin/insmod /scalable_iommu.ko ${SIOMMU_PARAMS:-} "$@"; }
unload_module() { /usr/local/sbin/rmmod scalable_iommu; }

# QEMU's edu device and its test driver (vm-run --device edu puts the
# driver in /test-modules; interface at the top of tests/vm/edu/*.c).
# EDU_PARAMS (vm-run --env) adds driver parameters, e.g. dma_bits=48.
EDU_KO=/test-modules/siommu_edu_test.ko
# shellcheck disable=SC2086
edu_load() { /usr/local/sbin/insmod $EDU_KO ${EDU_PARAMS:-} "$@"; }
edu_unload() { /usr/local/sbin/rmmod siommu_edu_test; }
# The sysfs directory of the first edu device, empty when there is none.
edu_dev() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] &&
			[ "$(cat "$d/device")" = 0x11e8 ] && { echo "$d"; return; }
	done
}
# edu_cmd <dev> <command> [args]: run a command; print its result line.
# Fails (and prints the write's error) when the command did.
edu_cmd() {
	_edu=$1
	shift
	{ echo "$*" >"$_edu/edu_test/command"; } 2>&1 || {
		cat "$_edu/edu_test/result"
		return 1
	}
	cat "$_edu/edu_test/result"
}

# finish: the KTAP plan (how many results came before it), then exit
# with the number of failed checks.
finish() {
	echo "1..$ktap_n"
	exit "$failures"
}

# monitor <command>: have the host run a QEMU monitor command, e.g.
# "device_add nvme,id=hp1,drive=hpdisk,bus=rp1" (vm-run --device hotplug
# forwards the line; nothing answers here: wait for its effect).
monitor() { echo "@@MONITOR $*"; }

# A counter from stats/ (not "stat": that would hide the command).
siommu_stat() { cat "$SIOMMU_SYSFS/stats/$1"; }

# Who holds the page tables: vtd (ours) or kernel (the kernel's driver).
siommu_backend() { cat $SIOMMU_SYSFS/backend; }

# device_field <bdf> <name>: a managed device's name=value from devices.
device_field() {
	grep "^$1 " $SIOMMU_SYSFS/devices | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# drain_batches: flush every pending batch (a write of flush_timeout_us,
# even of the value it has, drains them).
drain_batches() {
	sysfs_write $SIOMMU_SYSFS/flush_timeout_us \
		"$(cat $SIOMMU_SYSFS/flush_timeout_us)" >/dev/null
}

# kernel_fault_logged <bdf> <read|write> <page>: on the kernel backend,
# has the kernel's VT-d driver logged, since log_mark, a DMA-remapping
# fault of that device at that page?  Its driver tells no one else (the
# domain's fault handler is never called), so its log line is the witness.
# It logs at most 10 faults in 5 s (printk ratelimit).
kernel_fault_logged() {
	_rw=$(echo "$2" | sed 's/^r/R/; s/^w/W/')
	log_since | grep -q "DMA $_rw.*Request device \[${1#0000:}\] fault addr $3 "
}

# The PCI address of the first device bound to (or matching) a driver.
pci_of_driver() {
	for d in /sys/bus/pci/drivers/"$1"/0000:*; do
		[ -e "$d" ] && { basename "$d"; return 0; }
	done
	return 1
}

# The PCI address of a vendor:device pair, e.g. 1234:11e8.
pci_of_id() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x${1%:*}:0x${1#*:}" ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

# sysfs_write <file> <value>: one write(2) of the value as given; prints
# "ok", or the errno's text (busybox's own printf does not report it, dd
# does: "dd: error writing 'FILE': Invalid argument").
sysfs_write() {
	if err=$(printf '%s' "$2" | dd of="$1" bs=65536 2>&1); then
		echo ok
	else
		echo "$err" | sed -n 's/.*error writing.*: //p' | head -n1
	fi
}

# wait_for <seconds> <command...>: poll until the command succeeds.
wait_for() {
	t=$(( $1 * 10 ))
	shift
	while [ $t -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

# Lines the module logged since the mark set by log_mark.
log_mark() { log_from=$(dmesg | wc -l); }
log_since() { dmesg | tail -n +$((log_from + 1)); }

# nic_pair_up <if-a> <if-b>: the two NICs on the QEMU hub as a link: if-b
# moved into network namespace "peer", 169.254.51.1 and .2 (link-local),
# both up.  Succeeds once the peer answers a ping.
PEER_IP=169.254.51.2
nic_pair_up() {
	/usr/sbin/ip netns add peer &&
	/usr/sbin/ip link set "$2" netns peer &&
	/usr/sbin/ip addr add 169.254.51.1/16 dev "$1" &&
	/usr/sbin/ip link set "$1" up &&
	/usr/sbin/ip -n peer addr add "$PEER_IP"/16 dev "$2" &&
	/usr/sbin/ip -n peer link set "$2" up &&
	/usr/sbin/ip -n peer link set lo up &&
	wait_for 15 ping -c 1 -W 1 "$PEER_IP" >/dev/null
}

# The disk and NIC pair most scenarios use: load their drivers, wait for
# them, set $nvme and $nics (PCI addresses).
disk_and_nics() {
	/usr/local/sbin/modprobe -a nvme e1000e
	wait_for 10 test -b /dev/nvme0n1
	nvme=$(pci_of_driver nvme)
	wait_for 10 sh -c '[ $(ls -d /sys/bus/pci/drivers/e1000e/0000:* | wc -l) = 2 ]'
	nics=$(ls -d /sys/bus/pci/drivers/e1000e/0000:* | xargs -n1 basename)
}

# disk_and_edu: the NVMe disk's driver, edu's test driver and the module
# loaded; set $nvme (PCI address), $edu (sysfs directory) and $edu_bdf.
disk_and_edu() {
	/usr/local/sbin/modprobe nvme
	wait_for 10 test -b /dev/nvme0n1
	nvme=$(pci_of_driver nvme)
	grep -q '^siommu_edu_test ' /proc/modules || edu_load
	edu=$(edu_dev)
	edu_bdf=${edu##*/}
	grep -q '^scalable_iommu ' /proc/modules || load_module
}

# fio_run <name> [key=value ...] [--fio-option ...]: fio on a disk, the
# one way the scenarios drive it: direct I/O, libaio, queue depth 16, one
# report for all jobs.  The keys, and their defaults:
#   dev=/dev/nvme0n1  the block device
#   rw=randrw         fio's --rw
#   bs=4k             block size
#   size=             bytes per job (none: the whole device)
#   runtime=          seconds, time-based (none: until size is done)
#   jobs=1            fio jobs; more than one on one device needs
#                     --offset_increment=, or they verify each other's data
#   verify=crc32c     every block written is read back and checked, the
#                     first mismatch fatal; verify=off: no check (reads)
# Anything beginning with "--" goes to fio as it is.  Prints fio's output;
# the exit status is fio's.
fio_run() {
	_fio_name=$1 _fio_dev=/dev/nvme0n1 _fio_rw=randrw _fio_bs=4k
	_fio_verify=crc32c _fio_more=
	shift
	for _a in "$@"; do
		case $_a in
		dev=*) _fio_dev=${_a#*=} ;;
		rw=*) _fio_rw=${_a#*=} ;;
		bs=*) _fio_bs=${_a#*=} ;;
		size=*) _fio_more="$_fio_more --size=${_a#*=}" ;;
		runtime=*) _fio_more="$_fio_more --time_based --runtime=${_a#*=}" ;;
		jobs=*) _fio_more="$_fio_more --numjobs=${_a#*=}" ;;
		verify=*) _fio_verify=${_a#*=} ;;
		--*) _fio_more="$_fio_more $_a" ;;
		*) echo "fio_run: unknown argument $_a" >&2; return 2 ;;
		esac
	done
	[ "$_fio_verify" = off ] ||
		_fio_more="$_fio_more --verify=$_fio_verify --verify_fatal=1 --do_verify=1"
	# One word per option: none of them holds a blank.
	# shellcheck disable=SC2086
	/usr/bin/fio --name="$_fio_name" --filename="$_fio_dev" --direct=1 \
		--ioengine=libaio --iodepth=16 --rw="$_fio_rw" --bs="$_fio_bs" \
		--group_reporting $_fio_more
}

# check_disk_verifies <name> <detail> [disk]: 16 MiB of random 4 KiB writes
# and reads on the NVMe disk (default /dev/nvme0n1), every block checked
# (crc32c); a check.
check_disk_verifies() {
	_disk=${3:-/dev/nvme0n1}
	# An attach or detach rebinds the driver, and nvme probes
	# asynchronously: under a loaded TCG host the disk can take longer
	# than 20 s to come back (fuzz-sysfs saw it).
	if ! wait_for 60 test -b "$_disk"; then
		fail "$1" "$2: no $_disk after 60 s"
		return
	fi
	_out=$(fio_run "$1" dev="$_disk" size=16M 2>&1)
	if echo "$_out" | grep -q "err= 0"; then
		pass "$1" "$2: fio --verify err=0"
	else
		fail "$1" "$2: fio --verify failed"
		echo "$_out" | tail -n 15
	fi
}
