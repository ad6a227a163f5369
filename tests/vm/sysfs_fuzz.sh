# SPDX-License-Identifier: GPL-2.0
# Guest part: bad input, fuzzed.  With the NVMe disk and both NICs
# attached (so device/<bdf>/ files exist too), /sysfs_fuzz (built from
# tests/vm/fuzz/sysfs_fuzz.c) makes FUZZ_WRITES (default 12000) random and
# boundary writes to every writable file: only documented errors, state
# unchanged when refused.  Then module parameters at load, random and
# boundary: insmod either refuses with a documented error and leaves
# nothing loaded, or loads (then unloads cleanly).  Afterwards the disk
# still verifies.  The rig fails the run on any kernel warning.
# Needs --device nvme --device nics, --file <sysfs_fuzz>:/sysfs_fuzz.
. "$(dirname "$0")/lib.sh"
writes=${FUZZ_WRITES:-12000}

disk_and_nics
grep -q '^scalable_iommu ' /proc/modules || load_module
for dev in $nvme $nics; do
	sysfs_write $SIOMMU_SYSFS/attach "$dev" >/dev/null
done
check fuzz.attached "3 devices attached" \
	test "$(grep -c . $SIOMMU_SYSFS/devices)" = 3

seed=$(date +%s)
start=$(date +%s)
out=$(/sysfs_fuzz "$writes" "$seed" 2>&1)
rc=$?
echo "$out" | head -n 25
summary=$(echo "$out" | grep '^sysfs_fuzz:')
value fuzz.sysfs "${summary:-none} (seed $seed, $(( $(date +%s) - start )) s)"
check fuzz.sysfs "$writes writes, seed $seed: ${summary:-no summary}" \
	test "$rc" = 0 -a -n "$summary"
check fuzz.devices-kept "the 3 devices still attached" \
	test "$(grep -c . $SIOMMU_SYSFS/devices)" = 3
check_disk_verifies fuzz.disk-after "through the fuzzed module"
sysfs_write $SIOMMU_SYSFS/detach all >/dev/null
check fuzz.unload "unload after the fuzzing" unload_module

# Module parameters: each load refused with a documented error (nothing
# left loaded) or accepted (and unloaded).
n=0 bad=0 loaded=0 last=
for p in "devices=" "devices=," "devices=garbage" "devices=0000:00:20.0" \
	"devices=0000:00:1f.7" "devices=$nvme,$nvme" "devices=$nvme,,$nvme" \
	"devices=0000:00:00.0" "devices=$(printf 'x%.0s' $(seq 300))" \
	"register_invalidation=2" "register_invalidation=yes" \
	"register_invalidation=" "register_invalidation=-1" \
	"fail_alloc_ppm=1000001" "fail_alloc_ppm=-1" "fail_alloc_ppm=0x10" \
	"fail_alloc_ppm=abc" "fail_alloc_ppm=" "fail_alloc_ppm=4294967296" \
	"no_such_param=1" "devices" "fail_alloc_ppm"; do
	n=$((n + 1))
	err=$(load_module "$p" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		loaded=$((loaded + 1))
		sysfs_write $SIOMMU_SYSFS/detach all >/dev/null
		unload_module || { bad=$((bad + 1)); last="$p: no unload"; }
		continue
	fi
	if grep -q '^scalable_iommu ' /proc/modules; then
		bad=$((bad + 1)); last="$p: refused but loaded"
	fi
	case $err in
	*"Invalid argument"* | *"No such device"* | *"Unknown symbol"* | \
	*"Invalid parameters"* | *"Numerical result out of range"* | \
	*"File exists"* | *"No such device or address"*) ;;
	*) bad=$((bad + 1)); last="$p: $err" ;;
	esac
done
check fuzz.params "$n loads with bad parameters: $loaded accepted, the rest refused with a documented error${last:+; last bad: $last}" \
	test "$bad" = 0
