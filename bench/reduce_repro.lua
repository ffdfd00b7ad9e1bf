-- Cost of exact (rank-count independent) float sums: times sum/mean/var along each axis
-- of float64 and float32 data shaped like the pipeline's (rows x 64, split along rows),
-- beside max_axis0 (a plain reduction that reads the same bytes) as the in-run yardstick.
-- Run it with two builds to compare kernels (docs/reliability.md):
--   mpirun -n P heatlua bench/reduce_repro.lua [rows] [reps]
local ht = require "heat"
local core = require "heat.core"
local here = (arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local timed = require "best_of"

local R, reps, C = tonumber(arg[1] or "131072"), tonumber(arg[2] or "7"), 64

local function best_of(f) return timed(f, reps) end

ht.random.seed(1)
local rows = {}
for _, dt in ipairs { "float64", "float32" } do
  local x = ht.random.randn(R, C, { split = 0, dtype = ht[dt] })
  local cases = {
    { "sum_all", function() return x:sum() end },
    { "sum_axis0", function() return x:sum(0) end },
    { "sum_axis1", function() return x:sum(1) end },
    { "mean_axis0", function() return x:mean(0) end },
    { "var_axis0", function() return x:var(0) end },
    { "var_axis1", function() return x:var(1) end },
    { "max_axis0", function() return x:max(0) end },
  }
  for _, c in ipairs(cases) do
    local t = best_of(c[2])
    rows[#rows + 1] = string.format("%-8s %-11s %9.3f ms %7.2f GB/s", dt, c[1], t * 1e3,
      R * C * (dt == "float64" and 8 or 4) / t / 1e9)
  end
end
print(string.format("reduce_repro: %d x %d, %d ranks, %s threads", R, C, core.nprocs(),
  os.getenv "OMP_NUM_THREADS" or "default"))
for _, r in ipairs(rows) do print(r) end
