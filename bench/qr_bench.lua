-- qr and svdvals of a tall-skinny float32 matrix split along rows, next to the Gram product
-- of the same data for scale (docs/linalg.md, "Decompositions").
-- usage: mpirun -n P heatlua bench/qr_bench.lua [rows] [cols] [reps]
local rows = tonumber(arg and arg[1]) or 1000000
local cols = tonumber(arg and arg[2]) or 64
local reps = tonumber(arg and arg[3]) or 2
ht.random.seed(7)
local x = ht.random.randn(rows, cols, { split = 0, dtype = ht.float32 })
local best = { math.huge, math.huge, math.huge }
for _ = 1, reps do
  local t = {}
  for i, f in ipairs {
    function() return ht.linalg.qr(x) end,
    function() return ht.linalg.svdvals(x) end,
    function() return x.T:matmul(x) end,
  } do
    collectgarbage()
    ht.barrier()
    local t0 = ht.wtime()
    f()
    ht.barrier()
    best[i] = math.min(best[i], ht.wtime() - t0)
  end
end
print(string.format("qr_bench %d x %d float32 split 0: qr %.3f s, svdvals %.3f s, x.T @ x %.3f s (best of %d)",
  rows, cols, best[1], best[2], best[3], reps))
