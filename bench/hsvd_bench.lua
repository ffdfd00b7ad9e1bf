-- hsvd_rtol(2.5e-2) of a tall-skinny float32 matrix split along rows (the pipeline's PCA
-- step), with the exact SVD's rank for the same tolerance and peak memory per rank.
-- usage: mpirun -n P heatlua bench/hsvd_bench.lua [rows] [cols] [reps]
-- The NumPy peer (bench/peers/numpy_svd.py) builds the same spectrum: N(0,1) columns
-- scaled by 0.93^j.
local rows = tonumber(arg and arg[1]) or 1000000
local cols = tonumber(arg and arg[2]) or 64
local reps = tonumber(arg and arg[3]) or 3

local function vmhwm()
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("VmHWM:%s*(%d+)")) / 1024
end

ht.random.seed(7)
local w = {}
for j = 1, cols do w[j] = 0.93 ^ (j - 1) end
local X = ht.random.randn(rows, cols, { split = 0, dtype = ht.float32 }) * ht.array(w, { dtype = ht.float32 })
local best, U, err = math.huge, nil, nil
for _ = 1, reps do
  U = nil
  collectgarbage()
  ht.barrier()
  local t0 = ht.wtime()
  U, err = ht.linalg.hsvd_rtol(X, 2.5e-2)
  ht.barrier()
  best = math.min(best, ht.wtime() - t0)
end
-- peak of one call: restart VmHWM (clear_refs 5) with only the input alive
U = nil
collectgarbage()
local f = io.open("/proc/self/clear_refs", "w")
if f then f:write("5"); f:close() end
local before = vmhwm()
U, err = ht.linalg.hsvd_rtol(X, 2.5e-2)
local after = vmhwm()
-- the exact SVD's smallest rank meeting the tolerance, from the singular values
local s = ht.linalg.svd(X, { compute_uv = false }):totable()
local tot, tail, r = 0, 0, 0
for _, v in ipairs(s) do tot = tot + v * v end
tail = tot
while tail > (2.5e-2) ^ 2 * tot do r = r + 1; tail = tail - s[r] ^ 2 end
print(string.format("hsvd_rtol(2.5e-2) %dx%d float32, %d ranks: %.3f s (best of %d), rank %d " ..
  "(exact SVD: %d), estimate %.4f, peak %.0f MiB per rank during the call (%.0f MiB before it; " ..
  "input %.0f MiB, output %.0f MiB per rank)", rows, cols, ht.nprocs(), best, reps, U.shape[2], r, err,
  after, before, rows * cols * 4 / 2 ^ 20 / ht.nprocs(), rows * U.shape[2] * 4 / 2 ^ 20 / ht.nprocs()))
