#!/usr/bin/env bash
# Threads must not change a bit: the float prod tree, the blocked cumsum and the mask
# compress (threaded past their grains) give the same results at 1, 2 and 3 OpenMP threads
# and at 1 and 2 ranks (the specs run at one thread).
# usage: test_threads.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
here=$(dirname "$0")
. "$here/harness.sh"
OMP_NUM_THREADS=1 run 1 "$here/threads_bits.lua"
check "one thread runs (rc $rc: $(head -c 300 "$tmp/err"))" "$rc"
cp "$tmp/out" "$tmp/ref"
[ "$(wc -l <"$tmp/ref")" -eq 6 ]; check "six lines of bits" $?
for ranks in 1 2; do
  for t in 2 3; do
    OMP_NUM_THREADS=$t run "$ranks" "$here/threads_bits.lua"
    cmp -s "$tmp/out" "$tmp/ref"; check "bits at $ranks ranks x $t threads equal one thread's" $?
  done
done
echo "threads: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
