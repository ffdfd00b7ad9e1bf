#!/usr/bin/env bash
# Smoke test of bench/run: at the tiny size it completes, prints its table and writes one
# valid JSON line per measurement with the machine's facts (no timing is asserted).
# usage: test_bench.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$(dirname "$0")/harness.sh" # makes $tmp, removed at exit

plot=--no-plot
command -v gnuplot >/dev/null && plot=
MPIEXEC=$mpiexec BENCH_NO_INSTALL=1 timeout 170 "$repo/bench/run" --size tiny --ranks 1,2 --reps 2 --peers numpy \
  --build "$(dirname "$heatlua")" --out "$tmp/results" $plot >"$tmp/out" 2>"$tmp/err"
rc=$?
check "bench/run completes (rc=$rc)" $rc
[ $rc -eq 0 ] || { tail -20 "$tmp/err"; tail -20 "$tmp/out"; }

jsonl=$(ls "$tmp"/results/*.jsonl 2>/dev/null | head -1)
[ -n "$jsonl" ] && [ -s "$jsonl" ]; check "a JSON-lines file is written" $?
grep -q "heatlua micro-benchmarks" "$tmp/out"; check "the table is printed" $?
grep -Eq '^  add +triad +2 ' "$tmp/out"; check "the table has add at 2 ranks" $?

# every line decodes, carries the machine, and the expected kinds of measurement are there
cat >"$tmp/check.lua" <<'LUA'
package.path = arg[1] .. "/bench/lib/?.lua;" .. package.path
local json = require "json"
local n, kinds, bad = 0, {}, 0
for line in io.lines(arg[2]) do
  local ok, rec = pcall(json.decode, line)
  if ok and type(rec) == "table" and rec.machine and rec.machine.cores and rec.run then
    n = n + 1
    local key = rec.bench .. ":" .. tostring(rec.op or rec.kernel or rec.what) .. ":" .. tostring(rec.ranks)
    kinds[key] = rec
  else
    bad = bad + 1
  end
end
local function has(k) return kinds[k] ~= nil end
local function timed(k) return has(k) and (kinds[k].time or 0) > 0 end
local numpy_ok = has("numpy:add:1") or io.open(arg[2]):read("*a"):find("NumPy peer skipped", 1, true)
local checks = {
  { "every line is JSON with machine facts", bad == 0 and n > 0 },
  { "stream triad probe", timed("probe:triad:nil") },
  { "sgemm probe", timed("probe:sgemm:nil") },
  { "MPI ping-pong at 2 ranks", timed("probe:pingpong_latency:2") },
  { "heatlua add at 1 and 2 ranks", timed("heatlua:add:1") and timed("heatlua:add:2") },
  { "reductions along and across split", timed("heatlua:sum_axis0:2") and timed("heatlua:sum_axis1:2") },
  { "resplit with MPI bytes", timed("heatlua:resplit_0_1:2") and kinds["heatlua:resplit_0_1:2"].mpi_bytes_sent > 0 },
  { "peak memory per rank", has("heatlua:add:2") and #kinds["heatlua:add:2"].peak_rss_mib_ranks == 2 },
  { "start-up of heatlua", timed("startup:heatlua -e '':1") },
  { "profiler cost", timed("profiler:x + 1, 1 element:1") },
  { "NumPy peer, or a note why not", numpy_ok },
}
local failed = 0
for _, c in ipairs(checks) do
  if not c[2] then print("FAIL: " .. c[1]); failed = failed + 1 end
end
os.exit(failed == 0 and 0 or 1)
LUA
"$heatlua" "$tmp/check.lua" "$repo" "$jsonl"
check "the JSON lines hold the measurements" $?

# the guard's three cases from made-up fractions: a shortfall with a known reason, one
# below that known level (a regression), and one with no known reason
guard=$("$heatlua" -e "package.path = '$repo/bench/lib/?.lua;' .. package.path
for _, l in ipairs(require('targets').check({ 'var_axis1', 'random_randn', 'argmin_axis1', 'add' },
  { var_axis1 = 0.41, random_randn = 0.2, argmin_axis1 = 0.7, add = 0.9 }, {}, {})) do print(l) end" 2>&1)
[ "$(echo "$guard" | wc -l)" -eq 3 ] &&
  echo "$guard" | grep -q '^var_axis1 .*41% of its probe, target 80%  (known: ' &&
  echo "$guard" | grep -q '^random_randn .*20% .*REGRESSION: below the known 30%' &&
  echo "$guard" | grep -Eq '^argmin_axis1 +70% of its probe, target 80%$'
check "the guard tells known shortfalls from regressions ($guard)" $?

if [ -z "$plot" ]; then
  png=$(ls "$tmp"/results/*.png 2>/dev/null | head -1)
  [ -n "$png" ] && [ "$(head -c 4 "$png" | tail -c 3)" = PNG ]; check "the plot is a PNG" $?
fi

echo "bench: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
