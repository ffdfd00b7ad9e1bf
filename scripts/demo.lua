-- The demo job (until the ML pipeline recipe exists): distributed random data,
-- standardisation, reductions and a redistribution, checked against exact maths.
-- Run: mpirun -n 2 heatlua scripts/demo.lua [rows]
local n = tonumber(arg and arg[1]) or 1000000
local f = 64

ht.random.seed(42)
local t0 = os.clock()
local x = ht.random.randn(n, f, { split = 0 }) * 2 + 5 -- N(5, 2^2), float32
local mean, std = x:mean(0), x:std(0)
local z = (x - mean) / std
print(string.format("heatlua demo on %d ranks: %d x %d float32, split 0", ht.nprocs(), n, f))
print("column means of x (expect ~5):", mean:mean():item())
print("column stds of x (expect ~2):", std:mean():item())
print("max |mean| of standardised columns (expect ~0):", z:mean(0):abs():max():item())
local zt = z:resplit(1)
print("after resplit(1): split", zt.split, "local shape", table.concat(zt.lshape, " x "))
print(ht.arange(10, { split = 0 }) ^ 2)
print(string.format("cpu time on rank 0: %.2f s", os.clock() - t0))
