#!/usr/bin/env bash
# ht.printall prints in rank order, every time (issue 12): rank 0 prints what it gathered,
# since writes from several ranks reach mpirun through separate pipes in any order.
# usage: test_rank_order.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit

for n in 2 3 4; do
  want=$(for i in 1 2 3 4 5 6 7 8; do for r in $(seq 0 $((n - 1))); do echo "[$r] $i x$r"; done; done)
  for try in 1 2 3; do
    run $n -e 'for i = 1, 8 do ht.printall(i, "x" .. ht.rank()) end'
    check "np$n try $try: exit status" $rc
    [ "$(tr '\t' ' ' <"$tmp/out")" = "$want" ]; check "np$n try $try: rank order" $?
  done
done
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
