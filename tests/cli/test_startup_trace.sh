#!/usr/bin/env bash
# HEATLUA_TRACE_STARTUP=1: every rank prints one line with its start-up and shut-down
# steps (milliseconds) at its end, alone and under mpirun; without it, nothing.
# usage: test_startup_trace.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=${2:-mpirun}
. "$(dirname "$0")/harness.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
steps='mpi_init [0-9.]+ threads\+end_comm [0-9.]+ lua_state [0-9.]+ require_heat [0-9.]+ script [0-9.]+ lua_close [0-9.]+ end_agree [0-9.]+ mpi_finalize [0-9.]+, total [0-9.]+$'

err=$(HEATLUA_TRACE_STARTUP=1 "$heatlua" -e 'print(1)' 2>&1 >/dev/null)
echo "$err" | grep -Eq "^heatlua: rank 0: start-up trace \(ms\): $steps"; check "one line alone ($err)" $?
err=$("$heatlua" -e 'print(1)' 2>&1 >/dev/null)
[ -z "$err" ]; check "silent without the variable ($err)" $?
err=$(HEATLUA_TRACE_STARTUP=0 "$heatlua" -e '' 2>&1 >/dev/null)
[ -z "$err" ]; check "silent with 0 ($err)" $?
err=$($mpiexec --oversubscribe -x HEATLUA_TRACE_STARTUP=1 -n 3 "$heatlua" -e '' 2>&1 >/dev/null)
for r in 0 1 2; do
  echo "$err" | grep -Eq "^heatlua: rank $r: start-up trace \(ms\): $steps"; check "rank $r under mpirun" $?
done
echo "startup_trace: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
