#!/usr/bin/env bash
# The heatlua runner: -v, -e, -i after -e, script arguments, rank-0 print (collective for
# arrays), printall, and errors that end every rank (raised on one rank or on all) with a
# traceback and a non-zero status, no hang. The REPL has its own test (test_repl.sh).
# usage: test_runner.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit

run 1 -v
grep -q '^heatlua [0-9]' "$tmp/out"; check "-v prints the version" $?

run 2 -e 'print(1 + 1)'
[ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "2" ]; check "-e runs on every rank, print shows once" $?

printf 'print(arg[0] ~= nil, arg[1], arg[2], select("#", ...))\n' >"$tmp/args.lua"
run 2 "$tmp/args.lua" alpha beta
[ "$(cat "$tmp/out")" = "$(printf 'true\talpha\tbeta\t2')" ]; check "script arguments in arg and ..." $?

run 3 -e 'ht.printall("hello")'
[ "$(sort "$tmp/out" | tr '\n' ' ')" = "[0] hello [1] hello [2] hello " ]; check "printall prints on every rank" $?

run 3 -e 'print(ht.rank() < ht.nprocs(), ht.nprocs())'
[ "$(cat "$tmp/out")" = "$(printf 'true\t3')" ]; check "rank and nprocs" $?

# an error on one rank only: the others wait in a barrier that never completes
printf 'local function f()\n  if ht.rank() == 1 then error("boom on one rank") end\nend\nf()\nht.barrier()\nprint("unreachable")\n' >"$tmp/one.lua"
run 3 "$tmp/one.lua"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; check "an error on one rank ends the job (rc=$rc), no hang" $?
grep -q "heatlua: rank 1: .*boom on one rank" "$tmp/err"; check "the failing rank names itself" $?
grep -q "stack traceback" "$tmp/err"; check "the error carries a traceback" $?
! grep -q unreachable "$tmp/out"; check "nothing runs after the error" $?

# one failure, one message: an error raised by every rank together prints once, with one
# traceback; the others say in one line why they stopped; MPI ends without MPI_Abort
for n in 2 3 4; do
  run "$n" -e 'local x = ht.zeros({3}, {split = 0}); local y = x + ht.zeros({4})'
  [ "$rc" -eq 1 ] && [ "$(grep -c 'cannot be broadcast' "$tmp/err")" -eq 1 ] &&
    [ "$(grep -c 'stack traceback' "$tmp/err")" -eq 1 ] && ! grep -q MPI_ABORT "$tmp/err" &&
    [ "$(grep -c "stopped because rank 0 failed" "$tmp/err")" -eq $((n - 1)) ]
  check "an error on all $n ranks prints one message, no MPI_ABORT (rc=$rc)" $?
done
run 3 -e 'if ht.rank() == 2 then error("late") end'
[ "$rc" -eq 1 ] && [ "$(grep -c 'heatlua: rank' "$tmp/err")" -eq 1 ] &&
  grep -q "heatlua: rank 2: (command line):1: late" "$tmp/err" && ! grep -q MPI_ABORT "$tmp/err"
check "an error on one rank while the others finish: its message only, no MPI_ABORT (rc=$rc)" $?
# the others blocked in a collective the failing rank left: it ends the job after the wait
HEATLUA_FAIL_WAIT=1 run 3 "$tmp/one.lua"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "did not reach the end within 1 s" "$tmp/err"
check "a rank that cannot tell the others ends the job after HEATLUA_FAIL_WAIT (rc=$rc)" $?

# Lua's message for x < 3 on an array gets the method to use; an allocation that fails
# names the function and the size
run 2 -e 'local x = ht.zeros({3}, {split = 0}); if x < 3 then end'
[ "$rc" -eq 1 ] && grep -q "attempt to compare userdata with number (heat arrays compare elementwise with methods: x:lt(3)" "$tmp/err"
check "x < 3 says to use x:lt(3) (rc=$rc)" $?
# ASan's shadow memory needs far more address space than ulimit -v allows: the sanitizer
# run (./build.sh asan-test sets HEATLUA_ASAN=1) skips this case and says so.
if [ "${HEATLUA_ASAN:-0}" = 1 ]; then
  echo "skipped under HEATLUA_ASAN=1: out of memory names ht.zeros (needs ulimit -v)"
else
  (ulimit -v 2000000; timeout 60 "$heatlua" -e 'local x = ht.zeros({1e9})') >"$tmp/out" 2>"$tmp/err"
  grep -q "(command line):1: ht.zeros: out of memory allocating 4000000000 bytes" "$tmp/err"
  check "out of memory names ht.zeros and the 4e9 bytes asked for" $?
fi

run 2 -e 'error("everywhere")'
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; check "an error on every rank gives a non-zero status" $?
grep -q "heatlua: rank 0: .*everywhere" "$tmp/err"; check "rank 0 reports it" $?

run 1 -e 'error("single")'
[ "$rc" -eq 1 ]; check "one rank: status 1" $?

run 2 -e 'os.exit(0)'
[ "$rc" -eq 0 ]; check "os.exit(0) leaves MPI cleanly" $?

# printing an array gathers it: print converts on every rank, then rank 0 writes once
run 3 -e 'local x = ht.zeros({2}, {split = 0}); print(x, "and", 1)'
[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ] && grep -q '^DNDarray(\[0\., 0\.\].*	and	1$' "$tmp/out"
check "print of a split array (2 rows on 3 ranks) is collective and prints once (rc=$rc)" $?

# -e then -i: the REPL sees the chunk's globals
printf 'y * 2\n' | timeout 60 "$mpiexec" --oversubscribe -n 2 "$heatlua" -e 'y = 21' -i >"$tmp/out" 2>"$tmp/err"
grep -q '^> 42$' "$tmp/out"; check "-e then -i keeps the globals" $?

run 2 -n 2 -e 'print(1)'
[ "$rc" -eq 2 ] && grep -q "under mpirun leave it out" "$tmp/err"; check "-n under mpirun is refused" $?

run 1 --no-such-option
[ "$rc" -eq 2 ] && grep -q usage "$tmp/err"; check "unknown option: usage, status 2" $?

echo "runner: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
