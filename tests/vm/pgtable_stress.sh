# SPDX-License-Identifier: GPL-2.0
# Guest part: the sparse page-table stress in the kernel (issue 15).
# siommu_pgtable_stress (tests/vm/edu/pgtable_stress.c) builds our page
# table over the kernel's page allocator and RCU with no device: one
# 4 KiB mapping every 2 MiB across 64 GiB, all unmapped, destroyed; with
# reclamation off and on.  Checked: table pages proportional to the live
# mappings (a leaf table each, a level-2 table per GiB) and, with
# reclamation on, back to the root and the kept emptied leaf tables with
# their paths once all is unmapped; kept, with it off; nothing left allocated.  The time overhead
# is a value, a benchmark figure, not a check.  Needs --device edu (which
# puts the module into /test-modules/); scalable_iommu is not loaded.
. "$(dirname "$0")/lib.sh"

log_mark
/usr/local/sbin/insmod /test-modules/siommu_pgtable_stress.ko gib=64 rounds=2
line=$(log_since | sed -n 's/.*siommu_pgtable_stress: //p' | tail -n1)
/usr/local/sbin/rmmod siommu_pgtable_stress
f() { unit_field "$line" "$1"; }
value pgstress "$line"
n=$(f mappings)
expect_eq pgstress.error 0 "$(f error)"
expect_eq pgstress.mappings 32768 "$n"
# A leaf table per mapping, a level-2 table per GiB, one level-3, root.
check pgstress.on.peak "reclaim on, all mapped: $(f on_peak) table pages for $n mappings" \
	test "$(f on_peak)" -eq $((n + 64 + 2))
# VTD_KEPT_LEAVES (16, src/vtd/pgtable.h) emptied leaf tables stay, each
# with its own level-2 and level-3 table at worst, and the root.
kept=$((16 * 3 + 1))
check pgstress.on.after "reclaim on, all unmapped: $(f on_after) (the root and the kept leaf tables' paths: at most $kept)" \
	test "$(f on_after)" -le $kept
check pgstress.off.kept "reclaim off, all unmapped: $(f off_after) of $(f off_peak) kept" \
	test "$(f off_after)" -eq "$(f off_peak)" -a "$(f off_peak)" -eq $((n + 64 + 2))
expect_eq pgstress.live-after 0 "$(f live_after)"
value pgstress.overhead-permille "$(f overhead_permille)"
