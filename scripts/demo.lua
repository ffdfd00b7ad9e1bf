-- The demo job until the paper's ML pipeline recipe exists: load the synthetic
-- ATLAS-like file (scripts/make_data.lua) in parallel, hstack the feature datasets,
-- standardise them, and report what a scientist would look at first.
--   mpirun -n 2 heatlua scripts/make_data.lua data.h5 200000 --constituents 12
--   mpirun -n 2 heatlua scripts/demo.lua data.h5
local path = arg[1] or error("usage: heatlua scripts/demo.lua FILE.h5", 0)
local clock = ht.wtime
local t0 = clock()

-- every float32 feature dataset, in name order (the same order on every rank)
local info = ht.io.hdf5_info(path)
local columns, n = {}, nil
for _, d in ipairs(info.datasets) do
  if d.dtype == "float32" and d.name ~= "weights" then
    local x = ht.load_hdf5(path, d.name, { split = 0 })
    if x.ndim == 1 then x = ht.expand_dims(x, 1) end
    columns[#columns + 1] = x
    n = x.shape[1]
  end
end
local x = ht.hstack(columns)
local labels = ht.load_hdf5(path, "labels", { split = 0, dtype = ht.float32 })
local weights = ht.load_hdf5(path, "weights", { split = 0 })
local t_load = clock() - t0

local t1 = clock()
local mean, std = x:mean(0), x:std(0)
local z = (x - mean) / std
local t_scale = clock() - t1

print(string.format("heatlua %s on %d ranks: %s, %d rows x %d features (float32, split %d)",
                    ht.__version__, ht.nprocs(), path, n, x.shape[2], x.split))
print(string.format("load + hstack %.3f s, standardise %.3f s (wall, rank 0)", t_load, t_scale))
print(string.format("signal fraction %.4f, weighted %.4f", labels:mean():item(),
                    (labels * weights):sum():item() / weights:sum():item()))
print(string.format("standardised columns: max |mean| %.2e, std in [%.4f, %.4f]",
                    z:mean(0):abs():max():item(), z:std(0):min():item(), z:std(0):max():item()))
-- the features that differ most between signal and background
local sig = labels:gt(0.5)
local diff = (z[sig]:mean(0) - z[sig:logical_not()]:mean(0)):abs()
local v, i = ht.topk(diff, 3)
print("most discriminating feature columns (0-based):", table.concat(i:totable(), ", "))
print(v)
