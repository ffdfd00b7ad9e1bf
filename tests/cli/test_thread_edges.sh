#!/usr/bin/env bash
# Results do not depend on the thread count: thread_edges.lua (every op family at sizes
# aimed at the thread partitions) prints digests and checks exact values; its output at
# 2 and 3 OpenMP threads must equal one thread's, bit for bit, at 1 and 2 ranks.
# usage: test_thread_edges.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
here=$(dirname "$0")
. "$here/harness.sh"
for ranks in 1 2; do
  for t in 1 2 3; do
    OMP_NUM_THREADS=$t run "$ranks" "$here/thread_edges.lua"
    grep -qx ok "$tmp/out"
    ok=$? # before the substitutions below, which set $? again
    check "$ranks ranks x $t threads: exact values $(grep FAIL "$tmp/out" | head -3) (rc $rc: $(head -c 200 "$tmp/err"))" $ok
    if [ "$t" -eq 1 ]; then
      cp "$tmp/out" "$tmp/ref"
    else
      diff "$tmp/ref" "$tmp/out" >"$tmp/diff"
      same=$?
      check "$ranks ranks x $t threads: bits differ from one thread's: $(grep '^>' "$tmp/diff" | head -4 | cut -c1-60 | tr '\n' ';')" $same
    fi
  done
done
echo "thread_edges: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
