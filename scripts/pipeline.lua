-- The Heat paper's machine-learning pipeline (Listing 2) in Lua: load the feature
-- datasets of an HDF5 file split along rows, stack them, standardise in place, the
-- hierarchical SVD, k-means, and a weighted Lasso, reporting times, memory and quality.
--
--   mpirun -n 2 heatlua scripts/make_data.lua data.h5 200000 --constituents 12
--   mpirun -n 4 heatlua scripts/pipeline.lua data.h5 [--rtol 2.5e-2] [--clusters 25]
--       [--lam 0.1] [--max-iter 100] [--kmeans-iter 300] [--seed 0]
--       [--features a,b,c] [--labels labels] [--weights weights] [--json FILE]
--
-- Features: every float dataset with the file's row count (2-D, or 1-D as one column) but
-- the labels, weights and true clusters, in name order, or the names given. Memory-saving
-- forms of the paper's steps: one fused load reads the datasets into their columns of one
-- matrix (hstack without a second copy), StandardScaler{copy = false} scales it in place,
-- the hsvd keeps no n x r U (compute_u = false), and the Lasso takes the weights as
-- sample_weight (no weighted copy of X).
local profile = require "heat.profile"
local bytes_sent = require("heat.core")._bytes_sent -- this rank's MPI bytes so far

local usage = "usage: heatlua scripts/pipeline.lua FILE.h5 [--rtol R] [--clusters K] [--lam L] " ..
  "[--max-iter N] [--kmeans-iter N] [--seed S] [--features a,b] [--labels NAME] " ..
  "[--weights NAME] [--json FILE]"
local path = arg[1]
if not path or path:sub(1, 2) == "--" then error(usage, 0) end
local opt = { rtol = 2.5e-2, clusters = 25, lam = 0.1, ["max-iter"] = 100,
              ["kmeans-iter"] = 300, seed = 0 }
local names = { features = true, labels = true, weights = true, json = true }
for i = 2, #arg, 2 do
  local key, val = arg[i]:match("^%-%-([%w-]+)$"), arg[i + 1]
  if not key or val == nil or (opt[key] == nil and not names[key]) then error(usage, 0) end
  if opt[key] ~= nil then
    opt[key] = tonumber(val) or error(usage .. "\n--" .. key .. " needs a number", 0)
  else
    opt[key] = val
  end
end
local label_name, weight_name = opt.labels or "labels", opt.weights or "weights"

local clock = ht.wtime
local times, sent, order = {}, {}, {}
-- a stage's wall time (barriers on both sides, so the slowest rank counts) and the bytes
-- this rank sent during it
local stage_peak = {}
local function stage(name, fn)
  collectgarbage()
  profile.reset_peak_rss() -- each stage's own peak (the run's is the largest of them)
  ht.barrier()
  local t0, b0 = clock(), bytes_sent()
  local r = { fn() }
  sent[name] = bytes_sent() - b0
  stage_peak[name] = profile.peak_rss() or 0
  ht.barrier()
  times[name] = clock() - t0
  order[#order + 1] = name
  return (table.unpack or unpack)(r)
end

-- ---- load + hstack ----
local info = ht.io.hdf5_info(path)
local by_name, n = {}, nil
for _, d in ipairs(info.datasets) do by_name[d.name] = d end
local lab, wts = by_name[label_name], by_name[weight_name]
n = lab and lab.shape[1] or nil
local features = {}
if opt.features then
  for name in opt.features:gmatch("[^,]+") do
    if not by_name[name] then error("pipeline: no dataset '" .. name .. "' in " .. path, 0) end
    features[#features + 1] = by_name[name]
  end
else
  for _, d in ipairs(info.datasets) do
    if (d.dtype == "float32" or d.dtype == "float64") and (d.ndim or #d.shape) <= 2 and
       d.name ~= label_name and d.name ~= weight_name and d.name ~= "cluster" then
      n = n or d.shape[1]
      if d.shape[1] == n then features[#features + 1] = d end
    end
  end
  table.sort(features, function(a, b) return a.name < b.name end)
end
if #features == 0 then error("pipeline: no feature datasets in " .. path, 0) end
n = n or features[1].shape[1]
local ncols = 0
for _, d in ipairs(features) do
  if d.shape[1] ~= n then
    error(string.format("pipeline: dataset '%s' has %d rows, expected %d", d.name, d.shape[1], n), 0)
  end
  ncols = ncols + (d.shape[2] or 1)
end

local X, y, w, truth = stage("load + hstack", function()
  -- one fused read: every feature dataset straight into its columns of X (no per-dataset
  -- arrays, no hstack copy, one collective open of the file)
  local fnames = {}
  for i, d in ipairs(features) do fnames[i] = d.name end
  local X = ht.load_hdf5(path, fnames, { split = 0, dtype = ht.float32 })
  if X.ndim == 1 then X = ht.expand_dims(X, 1) end -- one 1-D feature dataset: one column
  local y = lab and ht.load_hdf5(path, label_name, { split = 0, dtype = ht.float32 }) or nil
  local w = wts and ht.load_hdf5(path, weight_name, { split = 0, dtype = ht.float32 }) or nil
  local truth = by_name.cluster and ht.load_hdf5(path, "cluster", { split = 0 }) or nil
  collectgarbage()
  return X, y, w, truth
end)

-- ---- scale: in place ----
stage("scale", function()
  ht.preprocessing.StandardScaler { copy = false }:fit_transform(X)
end)

-- ---- PCA by the hierarchical SVD ----
local rank, err = stage("hsvd_rtol", function()
  -- only the rank and the error are reported: no n x r U (compute_u = false)
  local _, S, _, e = ht.linalg.hsvd_rtol(X, opt.rtol, { compute_u = false })
  return S.shape[1], e
end)
collectgarbage()

-- ---- k-means ----
local km, ari
local inertia = stage("k-means fit + predict", function()
  km = ht.cluster.KMeans(opt.clusters, { init = "batchparallel", max_iter = opt["kmeans-iter"],
                                         random_state = opt.seed })
  -- labels_ are fit's last E-step against the final centres: predict(X) would repeat that pass
  local labels = km:fit(X).labels_
  if truth then ari = ht.metrics.adjusted_rand_score(truth, labels) end
  return km.inertia_
end)

-- ---- Lasso, weighted ----
local mse, lasso
if y then
  mse = stage("Lasso fit + predict", function()
    lasso = ht.regression.Lasso(opt.lam, { max_iter = opt["max-iter"] })
    lasso:fit(X, y, { sample_weight = w })
    local r = y - lasso:predict(X)
    return (r * r):mean():item()
  end)
end

-- ---- report ----
local total = 0
for _, s in ipairs(order) do total = total + times[s] end
local mine, k = { profile.peak_rss() or 0 }, #order
for i, st in ipairs(order) do
  mine[i + 1], mine[k + i + 1] = sent[st], stage_peak[st]
  mine[1] = math.max(mine[1], stage_peak[st])
end
local peaks, bytes, speaks = {}, {}, {} -- per rank
for r, row in ipairs(profile.allgather(mine)) do
  peaks[r] = row[1]
  for i, st in ipairs(order) do
    bytes[st], speaks[st] = bytes[st] or {}, speaks[st] or {}
    bytes[st][r] = string.format("%d", row[i + 1])
    speaks[st][r] = string.format("%.0f", row[k + i + 1])
  end
end

print(string.format("heatlua pipeline on %d ranks: %s, %d rows x %d features (%d datasets)",
  ht.nprocs(), path, n, ncols, #features))
for _, s in ipairs(order) do
  print(string.format("  %-24s %8.3f s   (peak MiB per rank %s)", s, times[s],
    table.concat(speaks[s], ", ")))
end
print(string.format("  %-24s %8.3f s", "total", total))
local pk = {}
for r, v in ipairs(peaks) do pk[r] = string.format("%.0f", v) end
print("peak memory per rank (MiB): " .. table.concat(pk, ", "))
print(string.format("hsvd_rtol(%g): rank %d, relative error estimate %.4e", opt.rtol, rank, err))
print(string.format("k-means (%d clusters): inertia %.6g, %d iterations%s", opt.clusters, inertia,
  km.n_iter_ or -1, ari and string.format(", adjusted Rand index %.4f", ari) or ""))
if mse then
  print(string.format("Lasso (lam %g): training MSE %.6g, %d iterations, %d non-zero coefficients",
    opt.lam, mse, lasso.n_iter_, lasso.coef_:ne(0):sum():item()))
end

-- --json FILE: the same as one JSON object (rank 0 writes)
if opt.json and ht.rank() == 0 then
  local function num(v) return (v and v == v) and string.format("%.10g", v) or "null" end
  local st, by = {}, {}
  for _, s in ipairs(order) do
    st[#st + 1] = string.format("%q: %s", s, num(times[s]))
    by[#by + 1] = string.format("%q: [%s]", s, table.concat(bytes[s], ", "))
  end
  local fields = {
    string.format('"nprocs": %d', ht.nprocs()), string.format('"file": %q', path),
    string.format('"rows": %d', n), string.format('"features": %d', ncols),
    '"stages": {' .. table.concat(st, ", ") .. "}", '"total": ' .. num(total),
    '"bytes_sent": {' .. table.concat(by, ", ") .. "}",
    '"peak_mib": [' .. table.concat(pk, ", ") .. "]",
    '"rtol": ' .. num(opt.rtol), '"pca_rank": ' .. rank, '"pca_error": ' .. num(err),
    '"clusters": ' .. opt.clusters, '"inertia": ' .. num(inertia), '"ari": ' .. num(ari),
    '"kmeans_iter": ' .. num(km.n_iter_), '"lam": ' .. num(opt.lam), '"mse": ' .. num(mse),
    '"lasso_iter": ' .. num(lasso and lasso.n_iter_),
  }
  local f = assert(io.open(opt.json, "w"))
  f:write("{", table.concat(fields, ", "), "}\n")
  f:close()
end
