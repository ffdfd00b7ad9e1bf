-- Fused elementwise expressions (docs/arrays.md, "Fused expressions") against the same
-- expressions eager, alternated in one process (core._fuse toggles deferral), on the
-- micro-benchmark's data: 2^18 x 64 float32 split along rows (ROWS by argument); each
-- form's best time both ways, and the peak memory above the inputs of one more call.
--   mpirun -n P heatlua bench/fuse_ab.lua [ROWS] [REPS]
local ht = require "heat"
local core = require "heat.core"
local P = require "heat.profile"

local rows, reps = tonumber(arg[1] or "262144"), tonumber(arg[2] or "15")
ht.random.seed(1)
local x = ht.random.rand(rows, 64, { split = 0 })
local y = ht.random.rand(rows, 64, { split = 0 })
local mu, sd = x:mean(0), x:std(0) -- (64,) replicated, as a scaler has them
local g, b = ht.random.rand(64), ht.random.rand(1, 64)
-- name, expression, arrays of rows x 64 moved by the fused pass (reads + the write)
local forms = {
  { "y + x*3", function() return y + x * 3.0 end, 3 },
  { "exp(x*3)", function() return ht.exp(x * 3.0) end, 2 },
  { "(x - 1)*y", function() return (x - 1) * y end, 3 },
  { "(x - mu)/sd", function() return (x - mu) / sd end, 2 },
  { "a*x + b*y + c", function() return 2.5 * x + 0.5 * y + 1 end, 3 },
  { "(x-mu)/sd*g+b", function() return (x - mu) / sd * g + b end, 2 },
  { "exp(-(x*x)/2)", function() return ht.exp(-(x * x) / 2) end, 2 },
}

-- MiB above the resident size before the call, the result included (max over ranks)
local function peak_mib(f)
  collectgarbage()
  collectgarbage()
  P.reset_peak_rss()
  local base = P.rss() or 0
  local r = f()
  core.barrier() -- computes a deferred result
  local peak = (P.peak_rss() or 0) - base
  r = nil -- luacheck: ignore
  collectgarbage()
  local m = 0
  for _, row in ipairs(P.allgather { peak }) do m = math.max(m, row[1]) end
  return m
end

local mb = rows * 64 * 4 / 1e6 -- MB per array
for _, f in ipairs(forms) do
  local best = { [true] = math.huge, [false] = math.huge }
  for i = 1, 2 * reps do
    local on = i % 2 == 0
    core._fuse { enabled = on }
    collectgarbage()
    core.barrier()
    local t0 = P.clock()
    local r = f[2]()
    core.barrier() -- the result exists by now either way (barrier computes a pending one)
    local t = P.clock() - t0
    r = nil -- luacheck: ignore
    if t < best[on] then best[on] = t end
  end
  core._fuse { enabled = true }
  local pk_on = peak_mib(f[2])
  core._fuse { enabled = false }
  local pk_off = peak_mib(f[2])
  core._fuse { enabled = true }
  if core.rank() == 0 then
    print(string.format("%-14s ranks %d  fused %7.2f ms %6.1f GB/s %5.0f MiB   eager %7.2f ms %6.1f GB/s %5.0f MiB   eager/fused %.2f",
      f[1], core.nprocs(), best[true] * 1e3, f[3] * mb / 1e3 / best[true], pk_on, best[false] * 1e3,
      f[3] * mb / 1e3 / best[false], pk_off, best[false] / best[true]))
  end
end
