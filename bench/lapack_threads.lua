-- Wall time of the LAPACK paths (inv, svd, qr, eigh) of square and tall float64 matrices, to
-- compare builds and OMP_NUM_THREADS (LAPACK runs with OpenBLAS on one thread, cpu/lapack.c).
-- usage: OMP_NUM_THREADS=T heatlua bench/lapack_threads.lua
ht.random.seed(3)
local A = ht.random.randn(2000, 2000, { dtype = ht.float64 }) + ht.eye(2000) * 10
local B = ht.random.randn(1000, 1000, { dtype = ht.float64 })
local C = ht.random.randn(3000, 600, { dtype = ht.float64 })
local function best(f) local b = math.huge for _ = 1, 3 do local t0 = ht.wtime(); f(); b = math.min(b, ht.wtime() - t0) end return b end
print(string.format("inv 2000 %.3f  svd 1000 %.3f  qr 3000x600 %.3f  eigh 1000 %.3f",
  best(function() ht.linalg.inv(A) end), best(function() ht.linalg.svd(B) end),
  best(function() ht.linalg.qr(C) end), best(function() ht.linalg.eigh(B + B.T) end)))
