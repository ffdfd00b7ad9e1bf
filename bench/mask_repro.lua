-- Cost of x[x:gt(0.5)] split in its parts (the comparison, the compress) and of a
-- single-dataset load_hdf5, beside a copy of x (the in-run yardstick, as bench/run's copy
-- probe): rows x 64 float32 split along rows. Run this build and an older one alternately.
--   mpirun -n P heatlua bench/mask_repro.lua [rows] [reps]
local ht = require "heat"
local core = require "heat.core"
local here = (arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local timed = require "best_of"

local R, reps, C = tonumber(arg[1] or "262144"), tonumber(arg[2] or "15"), 64
ht.random.seed(1)
local x = ht.random.rand(R, C, { split = 0 })
local m = x:gt(0.5)
local h5 = string.format("%s/heatlua-mask-repro-%d.h5", os.getenv "TMPDIR" or "/tmp",
  require("heat.profile").allgather { math.floor(os.time() % 1e6) }[1][1])
ht.save_hdf5(x, h5, "x")

local copy = timed(function() return x:copy() end, reps)
local rows = {
  { "copy", copy },
  { "gt", timed(function() return x:gt(0.5) end, reps) },
  { "x[m]", timed(function() return x[m] end, reps) },
  { "x[x:gt(0.5)]", timed(function() return x[x:gt(0.5)] end, reps) },
  { "load_hdf5", timed(function() return ht.load_hdf5(h5, "x", { split = 0 }) end, reps) },
}
core.barrier()
if core.rank() == 0 then os.remove(h5) end
-- bench/run's accounting: copy moves 2N floats; x[x > .5] 2.5N; load_hdf5 N
local bytes = { copy = 2, gt = 1.25, ["x[m]"] = 1.75, ["x[x:gt(0.5)]"] = 2.5, load_hdf5 = 1 }
print(string.format("mask_repro: %d x %d float32, %d ranks, %s threads", R, C, core.nprocs(),
  os.getenv "OMP_NUM_THREADS" or "default"))
for _, r in ipairs(rows) do
  local frac = bytes[r[1]] / r[2] / (2 / copy)
  print(string.format("  %-14s %8.3f ms  %5.2f x copy  %4.0f%% of copy's rate", r[1], r[2] * 1e3,
    r[2] / copy, 100 * frac))
end
