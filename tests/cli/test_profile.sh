#!/usr/bin/env bash
# HEATLUA_PROFILE=1: the runner prints the profiler's table once, from rank 0, when the
# script ends; unset or 0, nothing is printed and nothing is wrapped.
# usage: test_profile.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit
cat >"$tmp/script.lua" <<'LUA'
local x = ht.ones({ 10, 3 }, { split = 0 })
local y = x + x
y = y + 1
local s = y:sum(0)
local r = x:resplit(1)
print("wrapped:", ht.add ~= require("heat.core").add)
LUA

HEATLUA_PROFILE=1 run 3 "$tmp/script.lua"
[ "$rc" -eq 0 ]; check "a profiled script runs (rc=$rc)" $?
[ "$(grep -c '^heatlua profile: 3 ranks' "$tmp/out")" -eq 1 ]; check "the report is printed once, for 3 ranks" $?
grep -Eq '^add +2 ' "$tmp/out"; check "x + x and y + 1: add, 2 calls" $?
grep -Eq '^sum +1 ' "$tmp/out"; check "y:sum(0): sum, 1 call" $?
grep -Eq '^resplit +1 .* [0-9.]+$' "$tmp/out"; check "resplit is listed with its MPI bytes" $?
grep -Eq '^ones +1 ' "$tmp/out"; check "factories are listed" $?
grep -q '^peak RSS per rank (MiB): 0: [0-9.]*, 1: [0-9.]*, 2: ' "$tmp/out"; check "each rank's peak memory" $?
grep -q 'wrapped:	true' "$tmp/out"; check "recording wraps the ht functions" $?

run 2 "$tmp/script.lua"
! grep -q 'heatlua profile' "$tmp/out" && grep -q 'wrapped:	false' "$tmp/out"
check "without HEATLUA_PROFILE: no report, nothing wrapped" $?

HEATLUA_PROFILE=0 run 2 "$tmp/script.lua"
! grep -q 'heatlua profile' "$tmp/out"; check "HEATLUA_PROFILE=0 is off" $?

HEATLUA_PROFILE=1 run 1 -e 'local z = ht.zeros({4}); ht.profile.stop(); ht.profile.reset()
local a = z + 1; ht.profile.start(); local b = z * 2; ht.profile.stop(); local c = z - 1'
grep -Eq '^mul +1 ' "$tmp/out" && ! grep -Eq '^(zeros|add|sub) ' "$tmp/out"
check "ht.profile.start/stop/reset delimit what is reported" $?

echo "profile: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
