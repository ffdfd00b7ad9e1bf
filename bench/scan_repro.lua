-- Cost of the reproducible float cumsum (docs/reliability.md): cumsum of float64 and
-- float32 data along the split axis (1-d, and rows x 64 along rows) and along the other
-- axis, beside a copy (x + 0, the same bytes read and written) as the in-run yardstick.
-- Run it with this build and an older one to compare: the ratio to copy is printed.
--   mpirun -n P heatlua bench/scan_repro.lua [rows] [reps]
local ht = require "heat"
local core = require "heat.core"
local here = (arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local ratio_cases = require "ratio_cases"

local R, reps, C = tonumber(arg[1] or "65536"), tonumber(arg[2] or "5"), 64

ht.random.seed(1)
local rows = {}
for _, dt in ipairs { "float64", "float32" } do
  local v = ht.random.randn(R * C, { split = 0, dtype = ht[dt] })
  local m = ht.random.randn(R, C, { split = 0, dtype = ht[dt] })
  local cases = {
    { "copy_1d", function() return v + 0 end },
    { "cumsum_1d", function() return v:cumsum(0) end },
    { "copy_2d", function() return m + 0 end },
    { "cumsum_axis0", function() return m:cumsum(0) end },
    { "cumsum_axis1", function() return m:cumsum(1) end },
  }
  for _, r in ipairs(ratio_cases(dt, cases, reps, "copy")) do rows[#rows + 1] = r end
end
print(string.format("scan_repro: %d x %d, %d ranks, %s threads", R, C, core.nprocs(),
  os.getenv "OMP_NUM_THREADS" or "default"))
for _, r in ipairs(rows) do print(r) end
