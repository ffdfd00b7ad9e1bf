#!/usr/bin/env bash
# The iterator's thread pieces cover every element at 2 and 3 OpenMP threads (the specs
# run at one thread, where a short last piece cannot show): iter_split.lua checks exact
# values at sizes where a 64-aligned piece used to stop one element short.
# usage: test_iter_split.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
here=$(dirname "$0")
. "$here/harness.sh"
for ranks in 1 2; do
  for t in 2 3; do
    OMP_NUM_THREADS=$t run "$ranks" "$here/iter_split.lua"
    grep -qx ok "$tmp/out"
    ok=$? # before the substitutions below, which set $? again
    check "$ranks ranks x $t threads: $(grep FAIL "$tmp/out" | head -3) (rc $rc: $(head -c 200 "$tmp/err"))" $ok
  done
done
echo "iter_split: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
