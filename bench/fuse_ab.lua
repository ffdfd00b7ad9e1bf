-- Fused elementwise expressions (docs/arrays.md, "Fused expressions") against the same
-- expressions eager, alternated in one process (core._fuse toggles deferral), on the
-- micro-benchmark's data: 2^18 x 64 float32 split along rows (SIZE rows by argument).
--   mpirun -n P heatlua bench/fuse_ab.lua [ROWS] [REPS]
local ht = require "heat"
local core = require "heat.core"
local P = require "heat.profile"

local rows, reps = tonumber(arg[1] or "262144"), tonumber(arg[2] or "15")
ht.random.seed(1)
local x = ht.random.rand(rows, 64, { split = 0 })
local y = ht.random.rand(rows, 64, { split = 0 })
local forms = {
  { "y + x*3", function() return y + x * 3.0 end, 3 },
  { "exp(x*3)", function() return ht.exp(x * 3.0) end, 2 },
  { "(x - 1)*y", function() return (x - 1) * y end, 3 },
}
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
    core.barrier() -- the result exists by now either way (a consumer computes it)
    local t = P.clock() - t0
    r = nil -- luacheck: ignore
    if t < best[on] then best[on] = t end
  end
  core._fuse { enabled = true }
  if core.rank() == 0 then
    print(string.format("%-10s ranks %d  fused %7.2f ms %6.1f GB/s   eager %7.2f ms %6.1f GB/s   eager/fused %.2f",
      f[1], core.nprocs(), best[true] * 1e3, f[3] * mb / 1e3 / best[true], best[false] * 1e3,
      f[3] * mb / 1e3 / best[false], best[false] / best[true]))
  end
end
