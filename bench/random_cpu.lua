-- CPU time per call of one ht.random generator at 262144 x 64 (float32): run it with
-- OMP_NUM_THREADS=1, old and new builds alternately (docs/performance-notes.md, randn float32).
-- usage: heatlua bench/random_cpu.lua [rand|randn|...] [calls]
local what, n = arg[1] or "randn", tonumber(arg[2] or 30)
ht.random.seed(1)
local x = ht.random[what](262144, 64) -- warm-up
local t0 = os.clock()
for _ = 1, n do
  x = nil
  x = ht.random[what](262144, 64)
end
print(string.format("%s %.2f ms/call (cpu)", what, (os.clock() - t0) * 1000 / n))
