#!/usr/bin/env bash
# Collective checking and the watchdog (issue 13): HEATLUA_CHECK=1 turns a mismatched
# collective into one error naming each side's operation and file:line; HEATLUA_WATCHDOG=3
# ends a job whose ranks wait past 3 s, each rank saying where it is; the REPL checks by
# default, so a rank that stops early (an error, an interrupt) no longer leaves the others
# waiting. Never a hang: every run has a 60 s limit.
# usage: test_check.sh HEATLUA MPIEXEC
set -u
heatlua=$(realpath "$1") mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit
cd "$tmp" || exit 1

cat >maxsum.lua <<'LUA'
local x = ht.arange(10, {split = 0, dtype = "float64"})
local r
if ht.rank() == 0 then
  r = x:max()
else
  r = x:sum()
end
print("not reached", r)
LUA
cat >shapes.lua <<'LUA'
local y = ht.ones({ht.rank() == 0 and 100 or 101}, {split = 0})
local ok, e = pcall(function() local s = y:sum(); return s:item() end)
ht.printall(tostring(ok) .. " " .. tostring(e))
print("next", ht.ones({5}, {split = 0}):sum():item())
LUA
cat >skip.lua <<'LUA'
local x = ht.arange(10, {split = 0, dtype = "float64"})
if ht.rank() == 0 then
  local s = x:sum()
end
LUA
cat >spin.lua <<'LUA'
local x = ht.arange(10, {split = 0, dtype = "float64"})
if ht.rank() == 1 then while true do end end
local s = x:sum()
LUA

for n in 2 3 4; do
  HEATLUA_CHECK=1 run $n maxsum.lua
  check "np$n: a mismatch ends the script (rc=$rc)" $((rc == 0 || rc == 124))
  grep -q "rank 0 called .* in max(float64 (10,) split 0) at maxsum.lua:4; ranks\? 1[-,0-9]* called .* in sum(float64 (10,) split 0) at maxsum.lua:6" "$tmp/err"
  check "np$n: the message names max at line 4 and sum at line 6" $?
  [ "$(grep -c "collective mismatch" "$tmp/err")" -eq 1 ]; check "np$n: printed once" $?
  ! grep -q "not reached" "$tmp/out"; check "np$n: nothing ran after it" $?

  HEATLUA_CHECK=1 run $n shapes.lua
  [ "$rc" -eq 0 ] && [ "$(grep -c "^\[[0-9]\] false .*collective mismatch.*(100,).*(101,)" "$tmp/out")" -eq $n ]
  check "np$n: shapes 100 and 101 are an error on every rank, under pcall (rc=$rc)" $?
  grep -q "^next	5" "$tmp/out"; check "np$n: the next collective works" $?

  start=$(date +%s)
  HEATLUA_WATCHDOG=3 run $n skip.lua
  took=$(($(date +%s) - start))
  check "np$n: a skipped collective ends the job (rc=$rc)" $((rc == 0 || rc == 124))
  check "np$n: within 3-20 s (took $took s)" $((took < 3 || took > 20))
  grep -q "rank 0: watchdog.* in agree in sum(float64 (10,) split 0) at skip.lua:3" "$tmp/err"
  check "np$n: rank 0 says it waits in sum at skip.lua:3" $?
  [ "$(grep -c "rank [1-9]: watchdog.* at the end of the run" "$tmp/err")" -eq $((n - 1)) ]
  check "np$n: the other ranks say they are at the end of the run" $?
done

HEATLUA_WATCHDOG=3 run 3 spin.lua
check "np3: a rank spinning in Lua ends the job (rc=$rc)" $((rc == 0 || rc == 124))
grep -q "watchdog: rank 1 reached no collective" "$tmp/err"; check "np3: the spinning rank is named" $?
[ "$(grep -c "rank [02]: watchdog.* in agree in sum(float64 (10,) split 0) at spin.lua:3" "$tmp/err")" -eq 2 ]
check "np3: the waiting ranks say where they wait" $?

# checking on: correct results, status 0; HEATLUA_CHECK=0 wins over HEATLUA_WATCHDOG
prog='local a = ht.arange(12, {split = 0, dtype = "float64"}):reshape({6, 2})
print(a:sum():item(), a:resplit(1):sum(0):totable()[2], ht.spatial.cdist(a, a):max():item(), require("heat.core")._checking())'
HEATLUA_CHECK=1 run 3 -e "$prog"
[ "$rc" -eq 0 ] && grep -q "^66	36	14.142135623731	true" "$tmp/out"
check "HEATLUA_CHECK=1: sum, resplit, cdist are right and checked (rc=$rc)" $?
HEATLUA_CHECK=0 HEATLUA_WATCHDOG=3 run 2 -e "$prog"
grep -q "	false	0$" "$tmp/out"; check "HEATLUA_CHECK=0 turns checking off" $?

# the REPL checks by default: a mismatch is an error (each side with its traceback) and
# the session goes on
printf '%s\n' 'x = ht.arange(10, {split = 0, dtype = "float64"})' \
  'if ht.rank() == 0 then r = x:max() else r = x:sum() end' 'print(x:sum():item())' |
  timeout 60 "$mpiexec" --oversubscribe -n 3 "$heatlua" -i >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && grep -q "rank 0 of 3: .*collective mismatch: rank 0 called .*in max.* at stdin:1; ranks 1,2 called .*in sum" "$tmp/out" &&
  grep -q "^\(> \)*45$" "$tmp/out"
check "REPL: a mismatch is one error, the session goes on (rc=$rc)" $?

# a rank that fails alone before a collective: the others stop waiting at once
printf '%s\n' 'if ht.rank() == 1 then error("left early") end ht.barrier()' 'print("still " .. "here")' |
  timeout 60 "$mpiexec" --oversubscribe -n 3 "$heatlua" -i >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && grep -q "rank 1 of 3: stdin:1: left early" "$tmp/out" &&
  grep -q "ranks 0,2 of 3: .*barrier at stdin:1: rank 1 stopped before it (stdin:1: left early)" "$tmp/out" &&
  grep -q "still here" "$tmp/out"
check "REPL: a one-rank error releases the ranks waiting in a collective (rc=$rc)" $?

# interrupting a loop of collectives (SIGUSR1, which mpirun forwards; Ctrl-C in heatlua -n):
# one rank may stop in Lua while another waits in the next collective's check; that rank
# stops waiting, and the next statement runs on every rank in step. Several tries, as the
# desynchronisation depended on timing (1 in 4 before).
mkfifo "$tmp/in"
for try in 1 2 3; do
  background 3
  printf '%s\n' 'x = ht.arange(10, {split = 0, dtype = "float64"})' \
    'for i = 1, 1e9 do local s = x:sum() end' >&3
  sleep 2.$try
  kill -USR1 "$job"
  printf '%s\n' 'print("sum " .. x:sum():item())' >&3
  exec 3>&-
  wait "$guard"
  rc=$?
  [ "$rc" -eq 0 ] && grep -q "interrupted" "$tmp/out" && grep -q "^\(> \)*sum 45$" "$tmp/out"
  check "REPL try $try: an interrupted loop of collectives, then the next statement (rc=$rc)" $?
done

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
