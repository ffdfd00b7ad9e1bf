#!/usr/bin/env bash
# HEATLUA_HUGEPAGES=1 (opt-in transparent huge pages for arrays of 4 MiB or more,
# runtime/device.c) changes where large buffers start, never what they hold: arithmetic,
# a reduction and an HDF5 round trip on 8 MiB arrays give the exact values, at 1 and 2 ranks.
# usage: test_hugepages.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
. "$(dirname "$0")/harness.sh"
export HEATLUA_HUGEPAGES=1
cat >"$tmp/huge.lua" <<LUA
local n = 1048576
local x = ht.arange(n, { dtype = ht.float64, split = 0 })
local y = (x * 2 + 1):sum()               -- sum(2i + 1, i < n) = n^2, exact in float64
ht.save_hdf5(x, "$tmp/huge.h5", "x")
local z = ht.load_hdf5("$tmp/huge.h5", "x", { split = 0 })
local same = ht.all(z:eq(x))
local total, equal = y:item(), same:item() -- on every rank: item() may agree across ranks
if ht.rank() == 0 then print(string.format("%.0f %s", total, tostring(equal))) end
LUA
for n in 1 2; do
  run "$n" "$tmp/huge.lua"
  grep -q '^1099511627776 true$' "$tmp/out"
  ok=$? got=$(cat "$tmp/out" "$tmp/err")
  check "$n ranks: n^2 and the round trip ($got)" $ok
done
echo "hugepages: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
