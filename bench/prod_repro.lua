-- Cost of the reproducible float prod (docs/reliability.md): prod of float64 and float32
-- data along the split axis (1-d, and rows x 64 along rows) and along the other axis,
-- beside a sum (the same bytes read) as the in-run yardstick. Run it with this build and
-- an older one to compare: the ratio to sum is printed.
--   mpirun -n P heatlua bench/prod_repro.lua [rows] [reps]
local ht = require "heat"
local core = require "heat.core"
local here = (arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local ratio_cases = require "ratio_cases"

local R, reps, C = tonumber(arg[1] or "65536"), tonumber(arg[2] or "5"), 64

local rows = {}
for _, dt in ipairs { "float64", "float32" } do
  -- values near 1 so that products stay finite (the cost does not depend on it)
  local v = ht.random.rand(R * C, { split = 0, dtype = ht[dt] }) * 1e-3 + 1
  local m = ht.random.rand(R, C, { split = 0, dtype = ht[dt] }) * 1e-3 + 1
  local cases = {
    { "sum_1d", function() return v:sum() end },
    { "prod_1d", function() return v:prod() end },
    { "sum_2d", function() return m:sum(0) end },
    { "prod_axis0", function() return m:prod(0) end },
    { "prod_axis1", function() return m:prod(1) end },
  }
  for _, r in ipairs(ratio_cases(dt, cases, reps, "sum")) do rows[#rows + 1] = r end
end
print(string.format("prod_repro: %d x %d, %d ranks, %s threads", R, C, core.nprocs(),
  os.getenv "OMP_NUM_THREADS" or "default"))
for _, r in ipairs(rows) do print(r) end
