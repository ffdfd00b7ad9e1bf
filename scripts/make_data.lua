-- Writes a synthetic HDF5 file shaped like the ATLAS Top Tagging Open Data Set (the data of
-- the Heat paper's pipeline): per-constituent datasets (fjet_clus_pt, _eta, _phi, _E) of
-- `constituents` columns, a dozen or so per-jet scalars (fjet_pt, fjet_m, fjet_C2, ...),
-- `labels` (0/1), positive `weights`, and the true `cluster` of every row.
--
-- Structure that PCA, k-means and Lasso can find: every row belongs to one of `clusters`
-- clusters whose centres live in a `latent`-dimensional space; each feature is a fixed
-- linear map of the row's latent point plus noise (so the data has low rank plus noise),
-- and the label is the sign of a linear function of the latent point plus noise.
--
-- Seeded, and identical for any number of ranks (ht.random is keyed by the global index).
--
--   mpirun -n 4 heatlua scripts/make_data.lua atlas.h5 1000000
--   mpirun -n 2 heatlua scripts/make_data.lua small.h5 100000 --constituents 12 --seed 7
--
-- (--constituents 12 gives 4 x 12 + 16 = 64 feature columns: the shape of PERFORMANCE.md.)
local usage = "usage: heatlua scripts/make_data.lua OUT.h5 ROWS [--constituents 200] " ..
  "[--clusters 25] [--latent 8] [--seed 42]"

local out, rows = arg[1], tonumber(arg[2])
local opt = { constituents = 200, clusters = 25, latent = 8, seed = 42 }
for i = 3, #arg, 2 do
  local key = arg[i]:match("^%-%-(%w+)$")
  if not key or opt[key] == nil or not tonumber(arg[i + 1]) then error(usage, 0) end
  opt[key] = tonumber(arg[i + 1])
end
if not out or not rows or rows < 0 or rows ~= math.floor(rows) then error(usage, 0) end

local n, r, K = rows, opt.latent, opt.clusters
ht.random.seed(opt.seed)

-- Small replicated tables of coefficients: the same numbers on every rank.
local function coefficients(...) return ht.random.randn(...):totable() end

-- The latent point of every row: its cluster's centre plus unit noise.
local centres = ht.random.randn(K, r) * 4
local cluster = ht.random.randint(0, K, { n }, { split = 0 })
local z = (centres[cluster] + ht.random.randn(n, r, { split = 0 })):resplit(0)
local zk = {} -- the latent columns, (n, 1) each
for k = 1, r do zk[k] = z[{ ht.all, { k - 1, k } }] end

-- sum_k zk[k] * w[k], where each w[k] is a number or a (1, m) row
local function combine(w)
  local acc
  for k = 1, r do
    local term = zk[k] * w[k]
    acc = acc and acc + term or term
  end
  return acc
end

-- An (n, m) per-constituent dataset: a linear map of the latent point, noise, then a
-- per-column scale and offset (constituents are ordered by falling scale, like pt).
local function constituents(m, scale, offset, decay)
  local W = ht.random.randn(r, m) / math.sqrt(r)
  local rows_of_w = {}
  for k = 1, r do rows_of_w[k] = W[{ { k - 1, k }, ht.all }] end
  local x = combine(rows_of_w) + ht.random.randn(n, m, { split = 0 }) * 0.5
  local colscale = {}
  for j = 1, m do colscale[j] = scale * math.exp(-(j - 1) / decay) end
  return (x * ht.array({ colscale }, { dtype = "float32" }) + offset):astype("float32")
end

-- An (n,) per-jet scalar: a linear function of the latent point plus noise.
local function scalar(scale, offset)
  local w = coefficients(r)
  for k = 1, r do w[k] = w[k] / math.sqrt(r) end
  local x = combine(w) + ht.random.randn(n, 1, { split = 0 }) * 0.3
  return (x * scale + offset):astype("float32"):reshape({ n })
end

local c = opt.constituents
local datasets = {
  { "fjet_clus_pt", function() return constituents(c, 40, 60, 40) end },
  { "fjet_clus_eta", function() return constituents(c, 0.4, 0, 1e9) end },
  { "fjet_clus_phi", function() return constituents(c, 0.4, 0, 1e9) end },
  { "fjet_clus_E", function() return constituents(c, 80, 120, 40) end },
}
local scalars = { -- name, scale, offset: roughly the ranges of the real variables
  { "fjet_pt", 150, 700 }, { "fjet_eta", 0.8, 0 }, { "fjet_phi", 1.5, 0 }, { "fjet_m", 30, 120 },
  { "fjet_C2", 0.1, 0.25 }, { "fjet_D2", 0.8, 1.8 }, { "fjet_ECF1", 150, 700 },
  { "fjet_ECF2", 2e4, 5e4 }, { "fjet_ECF3", 1e6, 2e6 }, { "fjet_L2", 0.5, 1.5 },
  { "fjet_L3", 0.5, 1.5 }, { "fjet_Qw", 20, 60 }, { "fjet_Split12", 20, 50 },
  { "fjet_Split23", 8, 15 }, { "fjet_Tau2_wta", 0.05, 0.1 }, { "fjet_Tau3_wta", 0.03, 0.06 },
}
for _, s in ipairs(scalars) do
  datasets[#datasets + 1] = { s[1], function() return scalar(s[2], s[3]) end }
end

-- labels: the sign of a latent linear function plus noise; weights: log-normal
datasets[#datasets + 1] = { "labels", function()
  local score = combine(coefficients(r)) + ht.random.randn(n, 1, { split = 0 }) * 0.5
  return score:gt(0):astype("uint8"):reshape({ n })
end }
datasets[#datasets + 1] = { "weights", function()
  return (ht.random.randn(n, { split = 0 }) * 0.25):exp():astype("float32")
end }
datasets[#datasets + 1] = { "cluster", function() return cluster:astype("int32") end }

-- One dataset at a time keeps memory at one dataset; the file appears under its name only
-- when complete (the same promise ht.save_hdf5 makes for a single call).
local partial = out .. ".partial"
local t0 = os.time()
for i, d in ipairs(datasets) do
  local x = d[2]()
  ht.save_hdf5(x, partial, d[1], { mode = i == 1 and "w" or "a", atomic = false })
  x = nil
  collectgarbage()
end
ht.save_hdf5({ ["/"] = {
  description = "synthetic data shaped like the ATLAS Top Tagging Open Data Set",
  generator = "heatlua scripts/make_data.lua", rows = n, seed = opt.seed,
  clusters = K, latent = r, constituents = c,
} }, partial, { mode = "r+", atomic = false })
ht.barrier()
if ht.rank() == 0 then assert(os.rename(partial, out)) end
ht.barrier()
print(string.format("%s: %d rows, %d datasets, %d feature columns (%d s on %d ranks)", out, n,
  #datasets, 4 * c + #scalars, os.time() - t0, ht.nprocs()))
