-- The communication of the Gram matrix x.T @ x (x split 0): our reduce-scatter of the F×F
-- partials (Heat's result split 1) against one allreduce of as many values (the issue's
-- replicated result), with so few rows per rank that the SYRK is negligible.
-- usage: mpirun -n P heatlua bench/gram_comm.lua [F] [rows_per_rank] [reps]
local F = tonumber(arg and arg[1]) or 64
local per = tonumber(arg and arg[2]) or 64
local reps = tonumber(arg and arg[3]) or 300
local p = ht.nprocs and ht.nprocs() or require("heat.core").nprocs()

local x = ht.random.randn(per * p, F, { split = 0, dtype = ht.float32 })
-- y:sum(0) of a (p, F*F) split-0 array: one local row, one allreduce of F*F float32
local y = ht.random.randn(p, F * F, { split = 0, dtype = ht.float32 })

local function median_time(f)
  local t = {}
  for i = 1, reps do
    ht.barrier()
    local t0 = ht.wtime()
    f()
    t[i] = ht.wtime() - t0
  end
  table.sort(t)
  return t[math.floor(reps / 2) + 1]
end

for _ = 1, 2 do -- the first round warms up
  local g = median_time(function() return x.T:matmul(x) end)
  local gr = median_time(function() return x.T:matmul(x):resplit(nil) end)
  local a = median_time(function() return y:sum(0) end)
  if _ == 2 then
    print(string.format("gram_comm ranks=%d F=%d rows/rank=%d: x.T@x (syrk + reduce-scatter) %.1f us, " ..
      "+ resplit(nil) %.1f us, allreduce of F*F (y:sum(0)) %.1f us, ratio gram/allreduce %.2f",
      p, F, per, g * 1e6, gr * 1e6, a * 1e6, g / a))
  end
end
