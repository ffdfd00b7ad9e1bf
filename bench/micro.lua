-- heatlua micro-benchmarks: each kernel timed on float32 data shaped like the pipeline's
-- (rows x 64, split along rows), with its bytes or flops, its peak memory per rank and
-- the MPI bytes it sent. Run by bench/run under mpirun; rank 0 appends JSON lines.
--   mpirun -n P heatlua bench/micro.lua SIZE REPS OUT.jsonl [only-these-ops,...]
local ht = require "heat"
local core = require "heat.core"
local P = require "heat.profile"

local here = arg[0]:match "^(.*)/[^/]*$" or "."
package.path = here .. "/lib/?.lua;" .. package.path
local json = require "json"

local size, reps, outpath, only = arg[1] or "small", tonumber(arg[2] or "10"), arg[3], arg[4]
-- rows of 64 float32: tiny 1 MiB (smoke test), small 64 MiB, medium 256 MiB per array
local rows_of = { tiny = 2 ^ 12, small = 2 ^ 18, medium = 2 ^ 20 }
local gemm_of = { tiny = 128, small = 1024, medium = 2048 }
-- seconds of timed calls per kernel at most (after the warm-up), so a slow kernel cannot
-- stretch the run: reps is an upper bound
local budget = tonumber(os.getenv "BENCH_BUDGET" or "") or ({ tiny = 0.2, small = 1, medium = 3 })[size]
local R, C = rows_of[size], 64
if not R or not reps or not outpath then
  error("usage: heatlua bench/micro.lua tiny|small|medium REPS OUT.jsonl [ops]")
end
local N = R * C
local F32 = 4
local wanted
if only and only ~= "" then
  wanted = {}
  for name in only:gmatch "[^,]+" do wanted[name] = true end
end

local threads = tonumber(os.getenv "BENCH_THREADS" or os.getenv "OMP_NUM_THREADS" or "1")
local out = core.rank() == 0 and assert(io.open(outpath, "a")) or nil
local function emit(rec)
  if out then
    out:write(json.encode(rec), "\n")
    out:flush()
  end
end

-- Times f up to reps times (within the budget) after one warm-up call; each call is fenced by barriers so the time
-- is the slowest rank's. Results are dropped and collected outside the timed region;
-- the peak memory comes from one extra call (P.reset_peak_rss).
local function measure(name, f, work)
  if wanted and not wanted[name] then return end
  collectgarbage()
  collectgarbage()
  core.barrier()
  local w0 = P.clock()
  local ok, err = pcall(f) -- warm-up; also tells whether the op exists in this build
  local warm = P.clock() - w0
  if not ok then
    emit { bench = "heatlua", op = name, ranks = core.nprocs(), skipped = tostring(err) }
    if core.rank() == 0 then io.stderr:write("micro: ", name, " skipped: ", tostring(err), "\n") end
    return
  end
  err = nil -- on success it holds the warm-up's result: let it be collected
  collectgarbage()
  collectgarbage()
  local sent0 = core._bytes_sent()
  -- repetitions within the time budget (at least 2); the slowest rank's warm-up decides,
  -- so every rank runs the same number of barriers
  local slowest = 0
  for _, row in ipairs(P.allgather { warm }) do slowest = math.max(slowest, row[1]) end
  local n = math.max(2, math.min(reps, math.floor(budget / math.max(slowest, 1e-9))))
  local times = {}
  for i = 1, n do
    core.barrier()
    local t0 = P.clock()
    local r = f()
    core.barrier()
    times[i] = P.clock() - t0
    r = nil -- luacheck: ignore
    collectgarbage()
  end
  local sent = (core._bytes_sent() - sent0) / n
  table.sort(times)
  -- memory: one more call, after the heap's free arrays went back to the system
  collectgarbage()
  collectgarbage()
  P.reset_peak_rss()
  local base_rss = P.rss() or 0
  local kept = f()
  core.barrier() -- computes a deferred result (docs/arrays.md, "Fused expressions")
  local peak_rss = P.peak_rss() or 0
  kept = nil -- luacheck: ignore
  collectgarbage()
  local per_rank = P.allgather { peak_rss, base_rss, sent }
  local peak, peaks, sent_total, base_max = 0, {}, 0, 0
  for r, row in ipairs(per_rank) do
    peaks[r] = row[1]
    peak = math.max(peak, row[1])
    base_max = math.max(base_max, row[2])
    sent_total = sent_total + row[3]
  end
  local rec = {
    bench = "heatlua", op = name, ranks = core.nprocs(), threads = threads, size = size,
    rows = R, cols = C,
    dtype = work.dtype or "float32", reps = n, time = times[1],
    time_median = times[math.floor((#times + 1) / 2)],
    bytes = work.bytes, flops = work.flops, probe = work.probe,
    peak_rss_mib = peak, peak_rss_mib_ranks = peaks, inputs_rss_mib = base_max,
    mpi_bytes_sent = sent_total,
  }
  if work.bytes then rec.gbs = work.bytes / times[1] / 1e9 end
  if work.flops then rec.gflops = work.flops / times[1] / 1e9 end
  emit(rec)
end

ht.random.seed(1)
local x = ht.random.rand(R, C, { split = 0 })
local y = ht.random.rand(R, C, { split = 0 })

-- Elementwise: STREAM's accounting, every operand read once and the result written once.
measure("add", function() return x + y end, { bytes = 3 * N * F32, probe = "triad" })
measure("triad", function() return y + x * 3.0 end, { bytes = 3 * N * F32, probe = "triad" })
measure("exp", function() return x:exp() end, { bytes = 2 * N * F32, probe = "triad" })
measure("sqrt", function() return ht.sqrt(x) end, { bytes = 2 * N * F32, probe = "triad" })
measure("astype_f64", function() return x:astype("float64") end,
  { bytes = N * (F32 + 8), probe = "triad" })

-- Reductions read the input once. Along the split axis (axis 0) the partial results are
-- combined over MPI; across it (axis 1) every rank reduces its own rows.
for _, red in ipairs { "sum", "mean", "var" } do
  measure(red .. "_axis0", function() return x[red](x, 0) end, { bytes = N * F32, probe = "read" })
  measure(red .. "_axis1", function() return x[red](x, 1) end, { bytes = N * F32, probe = "read" })
end
measure("sum_all", function() return x:sum() end, { bytes = N * F32, probe = "read" })
measure("max_axis0", function() return x:max(0) end, { bytes = N * F32, probe = "read" })
measure("argmin_axis1", function() return x:argmin(1) end, { bytes = N * F32, probe = "read" })
-- The reproducible scans and products (docs/reliability.md): cumsum reads and writes,
-- prod reads factors near 1 (rand would underflow to subnormals within a few hundred rows).
measure("cumsum_axis0", function() return x:cumsum(0) end, { bytes = 2 * N * F32, probe = "copy" })
local near1 = x * 1e-3 + 1
measure("prod_axis0", function() return near1:prod(0) end, { bytes = N * F32, probe = "read" })

-- Generators write their output once.
measure("random_rand", function() return ht.random.rand(R, C, { split = 0 }) end,
  { bytes = N * F32, probe = "triad" })
measure("random_randn", function() return ht.random.randn(R, C, { split = 0 }) end,
  { bytes = N * F32, probe = "triad" })
measure("zeros", function() return ht.zeros({ R, C }, { split = 0 }) end,
  { bytes = N * F32, probe = "triad" })

-- Redistribution reads and writes the whole array once (plus the MPI traffic).
measure("resplit_0_1", function() return x:resplit(1) end, { bytes = 2 * N * F32, probe = "copy" })

-- Later capabilities, measured when the build has them (skipped lines otherwise).
local G = gemm_of[size]
local ga, gb
if ht.matmul then
  ga = ht.random.rand(G, G, { split = 0 })
  gb = ht.random.rand(G, G)
end
measure("matmul", function() return ht.matmul(ga, gb) end,
  { flops = 2 * G * G * G, probe = "sgemm" })
-- Matrix products (docs/linalg.md). matmul_local: a replicated square product, one GEMM
-- per rank (read it at 1 rank); matmul_inner: split inner dimension (split 1 @ split 0),
-- a local GEMM per rank plus one reduce-scatter; gram: x.T @ x of the rows x 64 array,
-- one SYRK per rank plus a 64 x 64 reduce-scatter, against cblas_ssyrk on same-sized data
-- measured here (probe "ssyrk", 1 rank only: same threads as the Gram at 1 rank).
local M = ({ tiny = 256, small = 2048, medium = 4096 })[size]
if ht.matmul then
  local sa, sb = ht.random.rand(M, M), ht.random.rand(M, M)
  measure("matmul_local", function() return ht.matmul(sa, sb) end, { flops = 2 * M ^ 3, probe = "sgemm" })
  local da, db = sa:astype(ht.float64), sb:astype(ht.float64)
  measure("matmul_local_f64", function() return ht.matmul(da, db) end,
    { flops = 2 * M ^ 3, probe = "dgemm", dtype = "float64" })
  da, db, sa, sb = nil, nil, nil, nil
  local ia, ib = ht.random.rand(M, M, { split = 1 }), ht.random.rand(M, M, { split = 0 })
  measure("matmul_inner", function() return ht.matmul(ia, ib) end, { flops = 2 * M ^ 3, probe = "sgemm" })
  ia, ib = nil, nil
  measure("gram", function() return x.T:matmul(x) end, { flops = R * C * C, probe = "ssyrk" })
  local ok, ffi = pcall(require, "ffi")
  if ok and core.nprocs() == 1 and (not wanted or wanted.gram) then
    pcall(ffi.cdef, [[void cblas_ssyrk(int order, int uplo, int trans, int n, int k, float alpha,
      const float *a, int lda, float beta, float *c, int ldc);]])
    local a, c = ffi.new("float[?]", R * C), ffi.new("float[?]", C * C)
    for i = 0, R * C - 1 do a[i] = (i % 7) * 0.25 end
    local best = math.huge
    for i = 0, reps do -- row-major (101), upper (121), trans (112): c = a^T a
      local t0 = P.clock()
      ffi.C.cblas_ssyrk(101, 121, 112, C, R, 1.0, a, C, 0.0, c, C)
      if i > 0 then best = math.min(best, P.clock() - t0) end
    end
    emit { bench = "probe", probe = "syrk", kernel = "ssyrk", rows = R, cols = C, threads = threads,
      time = best, flops = R * C * C, gflops = R * C * C / best / 1e9 }
  end
end
measure("getitem_rows", function() return x[{ { 1, R - 1 }, ht.all }]:copy() end,
  { bytes = 2 * (R - 2) * C * F32, probe = "copy" })
measure("getitem_mask", function() return x[x:gt(0.5)] end,
  { bytes = (2 * N + N / 2) * F32, probe = "copy" })
measure("hstack", function() return ht.hstack { x, y } end,
  { bytes = 4 * N * F32, probe = "copy" })
measure("concatenate_0", function() return ht.concatenate({ x, y }, 0) end,
  { bytes = 4 * N * F32, probe = "copy" })
measure("reshape_flat", function() return x:reshape(N) end, { bytes = 2 * N * F32, probe = "copy" })
measure("sort_axis1", function() return ht.sort(x, 1) end, { bytes = 2 * N * F32, probe = "copy" })
-- Each run its own file (rank 0's pid and clock, shared with all ranks): two bench runs
-- writing one default name at once hung a 2-rank run in MPI_File_open (docs/io.md).
local function bench_h5_name()
  local ok, ffi = pcall(require, "ffi")
  local pid = 0
  if ok then
    pcall(ffi.cdef, "int getpid(void);")
    pid = ffi.C.getpid()
  end
  local id = P.allgather { pid, math.floor(P.clock() * 1e6) % 1e9 }[1]
  return string.format("%s/heatlua-bench-%d-%d.h5", os.getenv "TMPDIR" or "/tmp", id[1], id[2])
end
local h5 = bench_h5_name()
measure("save_hdf5", function() return ht.save_hdf5(x, h5, "x") end,
  { bytes = N * F32, probe = "copy" })
measure("load_hdf5", function() return ht.load_hdf5(h5, "x", { split = 0 }) end,
  { bytes = N * F32, probe = "copy" })
if core.rank() == 0 then os.remove(h5) end
if ht.spatial and ht.spatial.cdist then
  local a = ht.random.rand(G * 4, C, { split = 0 })
  local b = ht.random.rand(G / 4, C)
  measure("cdist", function() return ht.spatial.cdist(a, b) end,
    { flops = 3 * (G * 4) * (G / 4) * C, probe = "sgemm" })
end

if out then out:close() end
