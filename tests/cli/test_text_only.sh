#!/usr/bin/env bash
# Code is loaded as text only (issue 12): a script file, `heatlua -`, -e and the REPL refuse
# LuaJIT bytecode unless HEATLUA_BYTECODE=1 asks for it, and a REPL line that starts with
# an escape byte (an arrow key under `mpirun -i`) is a syntax error, not bytecode.
# usage: test_text_only.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
unset HEATLUA_BYTECODE
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit

# bytecode of `print("from bytecode")`, made by the same LuaJIT
run 1 -e "io.open('$tmp/chunk.luac', 'wb'):write(string.dump(function() print('from bytecode') end))"
check "string.dump wrote a chunk" $rc

for n in 1 2; do
  run $n "$tmp/chunk.luac"
  check "np$n: a bytecode script fails" $((rc == 0))
  grep -q "starts like LuaJIT bytecode" "$tmp/err"; check "np$n: it says bytecode" $?
  grep -q "from bytecode" "$tmp/out"; check "np$n: the bytecode did not run" $((! $?))

  timeout 60 "$mpiexec" --oversubscribe -n $n "$heatlua" - <"$tmp/chunk.luac" >"$tmp/out" 2>"$tmp/err"
  check "np$n: bytecode on stdin fails" $(($? == 0))
  grep -q "LuaJIT bytecode" "$tmp/err"; check "np$n: stdin says bytecode" $?

  # an Up arrow (ESC [ A) typed first, then a line that works: the loop goes on
  printf '\033[A\nprint(40 + 2)\n' | timeout 60 "$mpiexec" --oversubscribe -n $n "$heatlua" -i \
    >"$tmp/out" 2>"$tmp/err"
  check "np$n: the REPL survives an escape byte" $?
  grep -q "42" "$tmp/out"; check "np$n: the REPL evaluated the next line" $?
  grep -q "incompatible bytecode" "$tmp/out" "$tmp/err"; check "np$n: not read as bytecode" $((! $?))

  HEATLUA_BYTECODE=1 run $n "$tmp/chunk.luac"
  check "np$n: HEATLUA_BYTECODE=1 runs bytecode" $rc
  grep -q "from bytecode" "$tmp/out"; check "np$n: and it printed" $?
done
run 1 -e "$(printf '\033')"
check "-e with bytecode fails" $((rc == 0))

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
