-- Prints the bits of threaded kernels' results (float prod tree, blocked cumsum, mask
-- compress) on data past their threading grain; test_threads.sh compares the output
-- across thread and rank counts, which must not change a bit.
ht.random.seed(7)
local function bits(a)
  local t, out = a:resplit(nil):flatten():totable(), {}
  for i = 1, #t, math.max(1, math.floor(#t / 97)) do out[#out + 1] = string.format("%a", t[i]) end
  out[#out + 1] = string.format("%a", t[#t] or 0)
  return table.concat(out, " ")
end
for _, dt in ipairs { "float64", "float32" } do
  local v = ht.random.rand(300001, { split = 0, dtype = ht[dt] }) * 1e-4 + 1
  local m = ht.random.rand(4099, 70, { split = 0, dtype = ht[dt] }) * 1e-2 + 1
  local w = ht.random.randn(1501, 3, 40, { split = 0, dtype = ht[dt] })
  print(dt, "prod", bits(v:prod()), bits(m:prod(0)), bits(m:prod(1)), bits(w:prod(0)))
  print(dt, "cumsum", bits(v:cumsum(0)), bits(m:cumsum(0)), bits(w:cumsum(0)), bits(w:cumsum(2)))
  print(dt, "mask", m[m:gt(1.005)].shape[1], bits(m[m:gt(1.005)]), bits(v[v:lt(1.00002)]))
end
