#!/usr/bin/env bash
# A save that replaces a large file unlinks the old one on a thread of its own
# (runtime/io/file.c); the process waits for it at exit, so a script that ends right after
# such a save leaves only its files in the folder, at 1 to 4 ranks and without mpirun.
# usage: test_save_exit.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit

# 12 MiB of int32, saved three times (the last two replace a file above the 8 MiB limit),
# then os.exit right away, or the end of the script
cat >"$tmp/save.lua" <<'LUA'
local f = arg[1] .. "/out.h5"
for r = 1, 3 do ht.save_hdf5(ht.arange(3 * 2^20, {dtype = ht.int32, split = 0}) + r, f, "x") end
if arg[2] == "exit" then os.exit(0) end
LUA
for n in 1 2 4; do
  for how in end exit; do
    rm -rf "$tmp/d" && mkdir "$tmp/d"
    run $n "$tmp/save.lua" "$tmp/d" $how
    check "np$n $how: exit status ($(cat "$tmp/err"))" $rc
    [ "$(ls -A "$tmp/d")" = "out.h5" ]; check "np$n $how: only out.h5 remains ($(ls -A "$tmp/d" | tr '\n' ' '))" $?
  done
done
rm -rf "$tmp/d" && mkdir "$tmp/d"
(unset OMPI_COMM_WORLD_SIZE PMIX_RANK PMI_RANK PMI_SIZE HEATLUA_EAGER_MPI
 timeout 60 "$heatlua" "$tmp/save.lua" "$tmp/d" exit >"$tmp/out" 2>"$tmp/err")
check "without mpirun: exit status ($(cat "$tmp/err"))" $?
[ "$(ls -A "$tmp/d")" = "out.h5" ]; check "without mpirun: only out.h5 remains" $?
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
