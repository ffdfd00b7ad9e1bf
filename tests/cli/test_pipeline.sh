#!/usr/bin/env bash
# scripts/pipeline.lua end to end on a small generated file at 1 and 3 ranks: it completes,
# prints every stage, and the quantities it reports are sane (the data has 25 true clusters
# in an 8-dimensional latent space, so k-means must find them and the PCA rank stays below
# the 64 columns); --json writes one object with the same figures; bad arguments fail.
# usage: test_pipeline.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit

run 2 "$repo/scripts/make_data.lua" "$tmp/d.h5" 3000 --constituents 12
check "make_data writes the file (rc=$rc)" $rc

for n in 1 3; do
  run $n "$repo/scripts/pipeline.lua" "$tmp/d.h5" --clusters 25 --json "$tmp/p$n.json"
  check "pipeline at $n ranks completes (rc=$rc)" $rc
  [ $rc -eq 0 ] || { cat "$tmp/err"; tail -5 "$tmp/out"; }
  grep -q "3000 rows x 64 features" "$tmp/out"; check "pipeline $n: the data's shape" $?
  for s in "load + hstack" "scale" "hsvd_rtol" "k-means fit + predict" "Lasso fit + predict" total; do
    grep -Eq "^  ${s//+/\\+} +[0-9.]+ s" "$tmp/out"; check "pipeline $n: stage '$s' timed" $?
  done
  [ "$(grep -Eo 'per rank \(MiB\): .*' "$tmp/out" | tr -cd ',' | wc -c)" -eq $((n - 1)) ]
  check "pipeline $n: one peak memory per rank" $?
  # sane values: PCA rank in [8, 64), error <= rtol; ARI >= 0.7 (one k-means++ start on
  # 3000 rows can merge two of the 25 clusters); MSE of 0/1 labels in (0, 0.25)
  cat >"$tmp/check.lua" <<'LUA'
local s = io.open(arg[1]):read("a")
local rank, err = s:match("rank (%d+), relative error estimate ([%d.e+-]+)")
local ari = s:match("adjusted Rand index ([%d.]+)")
local mse = s:match("training MSE ([%d.e+-]+)")
local ok = tonumber(rank) and tonumber(rank) >= 8 and tonumber(rank) < 64 and tonumber(err) <= 0.025
  and tonumber(ari) and tonumber(ari) >= 0.7 and tonumber(mse) and tonumber(mse) > 0
  and tonumber(mse) < 0.25
local j = io.open(arg[2]):read("a")
ok = ok and j:match('"pca_rank": ' .. rank) and j:match('"nprocs": ' .. arg[3]) and
  j:match('"stages": {') and (j:match('"ari": 0%.[789]') or j:match('"ari": 1[,}]')) ~= nil
os.exit(ok and 0 or 1)
LUA
  "$heatlua" "$tmp/check.lua" "$tmp/out" "$tmp/p$n.json" $n
  rc=$?
  check "pipeline $n: rank, error, ARI, MSE and JSON are sane" $rc
  [ $rc -eq 0 ] || cat "$tmp/out" "$tmp/p$n.json"
done

run 1 "$repo/scripts/pipeline.lua" "$tmp/d.h5" --clusterz 3
[ $rc -ne 0 ] && grep -q "usage: heatlua scripts/pipeline.lua" "$tmp/err"
check "an unknown option fails with the usage" $?
run 2 "$repo/scripts/pipeline.lua" "$tmp/d.h5" --features nosuch
[ $rc -ne 0 ] && grep -q "no dataset 'nosuch'" "$tmp/err"
check "an unknown dataset fails on every rank" $?

echo "$passes passed, $failures failed"
[ $failures -eq 0 ]
