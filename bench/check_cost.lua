-- The cost of collective checking (HEATLUA_CHECK): a loop of reductions with checking off
-- and on, in the same run (core._set_checking toggles it on every rank), best of 7 rounds.
--   mpirun -n 2 heatlua bench/check_cost.lua [calls]
local ht = require "heat"
local core = require "heat.core"

local calls = tonumber(arg and arg[1]) or 2000

local function per_call(x, op, n)
  local best = math.huge
  for _ = 1, 7 do
    ht.barrier()
    local t0 = core.wtime()
    for _ = 1, n do local _ = x[op](x) end
    best = math.min(best, (core.wtime() - t0) / n)
  end
  return best
end

local cases = {
  { "sum, 1000 float64", ht.arange(1000, { split = 0, dtype = "float64" }), "sum", calls },
  { "max, 1000 float64", ht.arange(1000, { split = 0, dtype = "float64" }), "max", calls },
  { "sum, 1e6 float64", ht.arange(1000000, { split = 0, dtype = "float64" }), "sum", math.floor(calls / 20) },
}
print(string.format("collective checking, %d ranks (best of 7 rounds)", ht.nprocs()))
print(string.format("%-20s %12s %12s %7s", "op", "off (us)", "on (us)", "ratio"))
for _, c in ipairs(cases) do
  core._set_checking(false)
  per_call(c[2], c[3], c[4]) -- warm-up
  local off = per_call(c[2], c[3], c[4])
  core._set_checking(true)
  local on = per_call(c[2], c[3], c[4])
  core._set_checking(false)
  print(string.format("%-20s %12.2f %12.2f %7.2f", c[1], off * 1e6, on * 1e6, on / off))
end
