-- Benchmarks of ht.spatial.cdist and ht.cluster.KMeans on generated float32 data, with the
-- sgemm probe (build/bench/probe_gemm) measured in the same run for the cdist ratio.
--   mpirun -n P heatlua bench/cluster_bench.lua [rows=1000000] [features=64] [k=25]
-- Prints, from rank 0: cdist GFLOP/s and its fraction of the sgemm probe; KMeans(k) fit +
-- predict seconds for init = "k-means++" and "batchparallel", iterations, inertia, the
-- ARI against the generating clusters, and peak array memory per rank; then, in the same
-- run, scikit-learn's KMeans on data of the same recipe (bench/peers/sklearn_kmeans.py, with
-- $BENCH_PYTHON or python3; skipped with a note when scikit-learn is missing).
local ht = require "heat"
local core = require "heat.core"

local N = tonumber(arg[1] or "1000000")
local F = tonumber(arg[2] or "64")
local K = tonumber(arg[3] or "25")

local function timeit(f)
  ht.barrier()
  local t0 = ht.wtime()
  local r = { f() }
  ht.barrier()
  return ht.wtime() - t0, (table.unpack or unpack)(r)
end

-- the probe, from the build folder next to the heatlua that runs this
local probe = nil
if ht.rank() == 0 then
  local exe = arg[-1] or "build/heatlua"
  local dir = exe:match("^(.*)/[^/]*$") or "."
  local p = io.popen(dir .. "/bench/probe_gemm 2048 3 2>/dev/null")
  local out = p and p:read("*a") or ""
  if p then p:close() end
  probe = tonumber(out:match('"kernel":"sgemm".-"gflops":([%d%.]+)'))
end

-- data: K well separated Gaussian blobs (centres uniform in [-10, 10]^F, unit noise)
ht.random.seed(1)
local centres = ht.random.uniform(-10, 10, { K, F }, { dtype = ht.float32 })
local truth = ht.random.randint(0, K, { N }, { dtype = ht.int64, split = 0 })
local X = centres[truth] + ht.random.randn(N, F, { dtype = ht.float32, split = 0 })
X = X:balance()

-- cdist: a block of 4096 rows of X against 4096 rows (X split, Y replicated) = a GEMM
local M = math.min(4096, N)
local Y = X[{ { 0, M } }]:resplit(nil)
local Xc = X[{ { 0, math.min(N, 8 * M) } }]:balance()
ht.spatial.cdist(Xc, Y, { quadratic_expansion = true }) -- warm-up
local best = math.huge
for _ = 1, 3 do
  local t = timeit(function() return ht.spatial.cdist(Xc, Y, { quadratic_expansion = true }) end)
  best = math.min(best, t)
end
local gflops = 2 * Xc.shape[1] * M * F / best / 1e9 / ht.nprocs()
print(string.format("cdist %dx%d vs %dx%d float32, quadratic: %.4f s, %.1f GFLOP/s per rank%s",
  Xc.shape[1], F, M, F, best, gflops,
  probe and string.format(", %.0f%% of the sgemm probe (%.1f GFLOP/s)", 100 * gflops / probe, probe) or ""))

local base = core._bytes_live()
for _, init in ipairs { "k-means++", "batchparallel" } do
  local km
  local t = timeit(function()
    km = ht.cluster.KMeans(K, { init = init, random_state = 0 })
    km:fit(X)
    return km:predict(X)
  end)
  local ari = ht.metrics.adjusted_rand_score(truth, km.labels_)
  print(string.format("KMeans(%d, init=%s) fit+predict on %dx%d float32, %d ranks: %.3f s, " ..
    "%d iterations, inertia %.6g, ARI %.4f", K, init, N, F, ht.nprocs(), t, km.n_iter_,
    km.inertia_, ari))
end
print(string.format("array bytes live on rank 0 after the runs: %.1f MiB (data %.1f MiB)",
  core._bytes_live() / 2 ^ 20, base / 2 ^ 20))

-- the peer, after heatlua's runs so they do not compete for the cores
if ht.rank() == 0 then
  local py = os.getenv("BENCH_PYTHON") or "python3"
  local dir = (debug.getinfo(1, "S").source:match("^@(.*/)") or "bench/")
  local p = io.popen(string.format("%s %speers/sklearn_kmeans.py %d %d %d 2>&1", py, dir, N, F, K))
  local out = p and p:read("*a") or ""
  if p then p:close() end
  if out:match("scikit%-learn KMeans") then io.write(out)
  else print("scikit-learn peer skipped (" .. py .. " without scikit-learn? set BENCH_PYTHON)") end
end
ht.barrier()
