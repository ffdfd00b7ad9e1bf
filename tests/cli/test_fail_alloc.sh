#!/usr/bin/env bash
# The allocation failure policy from the environment (issue 12): HEATLUA_FAIL_ALLOC=rank:n
# fails the n-th data allocation on that rank. A result of 1 MiB or more is agreed (every
# rank raises, the script goes on under pcall); a smaller one ends the whole job with
# "heatlua: rank R: ..." instead of leaving the other ranks waiting; a malformed value is
# refused. Never a hang (each run has a 60 s limit).
# usage: test_fail_alloc.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit

# the first data allocation of the script is x's (2 MiB of float64)
big='local ok, e = pcall(ht.zeros, {262144}, {split = 0, dtype = "float64"})
ht.printall(tostring(ok) .. " " .. tostring(e))
print("sum", ht.ones({4}, {split = 0}):sum():item())'
for n in 1 2 3; do
  last=$((n - 1))
  HEATLUA_FAIL_ALLOC=$last:1 run $n -e "$big"
  check "np$n: an agreed failure does not end the script" $rc
  c=$(grep -c "false ht.zeros: out of memory allocating .* (HEATLUA_FAIL_ALLOC)" "$tmp/out")
  check "np$n: every rank raised it ($c of $n)" $((c != n))
  grep -q "^sum	4" "$tmp/out"; check "np$n: the next collective works" $?

  HEATLUA_FAIL_ALLOC=$last:1 run $n -e 'local x = ht.zeros({3}, {split = 0}); print("not reached")'
  check "np$n: a small failed allocation ends the job" $((rc == 0))
  grep -q "heatlua: rank $last: .*out of memory allocating .* (HEATLUA_FAIL_ALLOC)" "$tmp/err"
  check "np$n: it names the rank and the allocation" $?
  if [ $n -eq 1 ]; then # other ranks may go on until MPI_Abort reaches them
    grep -q "not reached" "$tmp/out"; check "np1: nothing ran after it" $((! $?))
  fi
done

HEATLUA_FAIL_ALLOC=oops run 1 -e 'print(ht.zeros(3))'
check "a malformed HEATLUA_FAIL_ALLOC fails" $((rc == 0))
grep -q "HEATLUA_FAIL_ALLOC=oops: expected rank:n" "$tmp/err"; check "and says the form" $?

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
