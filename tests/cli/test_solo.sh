#!/usr/bin/env bash
# heatlua started by hand (no mpirun) is one rank that starts MPI only when it needs the
# communicator (I/O): the specs that mix local collectives with MPI-IO and parallel HDF5
# pass that way too.
# usage: test_solo.sh HEATLUA MPIEXEC
set -u
heatlua=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$(dirname "$0")/harness.sh"
unset OMPI_COMM_WORLD_SIZE PMIX_RANK PMI_RANK PMI_SIZE HEATLUA_EAGER_MPI

for spec in io_fused io reduce manipulation; do
  timeout 170 "$heatlua" "$repo/tests/lua/busted_mpi.lua" "$repo/tests/lua/${spec}_spec.lua" >/dev/null 2>&1
  check "${spec}_spec passes without mpirun" $?
done
out=$("$heatlua" -e 'print(ht.nprocs(), ht.rank(), ht.arange(6):reshape(2, 3):sum(0))' 2>&1)
echo "$out" | grep -q '^1	0	DNDarray(\[3, 5, 7\]'; check "one rank, collectives local ($out)" $?
echo "solo: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
