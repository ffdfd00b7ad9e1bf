-- ht.random: the same seed gives the same global array for any split and rank count
-- (Philox keyed by the seed, counted by global index), ranges, dtypes and statistics.
local ht = require "heat"
local T = require "heat.testing"

local function flat(t, out)
  out = out or {}
  if type(t) ~= "table" then
    out[#out + 1] = t
    return out
  end
  for i = 1, #t do flat(t[i], out) end
  return out
end

local function same(a, b)
  assert.are.same(flat(a:totable()), flat(b:totable()))
end

local function mean_std(x)
  local v = flat(x:totable())
  local s, s2 = 0, 0
  for i = 1, #v do s = s + v[i] end
  local m = s / #v
  for i = 1, #v do s2 = s2 + (v[i] - m) ^ 2 end
  return m, math.sqrt(s2 / #v), v
end

describe("ht.random reproducibility", function()
  -- every generator, called the same way for each split. A list, not a table iterated
  -- with pairs: LuaJIT's string hashing is seeded per process, so pairs order differs
  -- between ranks and the ranks would make different collective calls.
  local gens = {
    {"rand", function(o) return ht.random.rand(37, 5, o) end},
    {"rand float64", function(o) o.dtype = "float64"; return ht.random.rand(37, 5, o) end},
    {"randn", function(o) return ht.random.randn(13, 3, 3, o) end},
    {"randn float64", function(o) o.dtype = "float64"; return ht.random.randn(13, 3, 3, o) end},
    {"uniform", function(o) return ht.random.uniform(-2, 3, {7, 11}, o) end},
    {"normal", function(o) return ht.random.normal(1, 2, {9, 6}, o) end},
    {"randint", function(o) return ht.random.randint(-5, 100, {11, 7}, o) end},
    {"randint int64", function(o) o.dtype = "int64"; return ht.random.randint(0, 2 ^ 40, {11, 7}, o) end},
  }
  for _, g in ipairs(gens) do
    local name, gen = g[1], g[2]
    it(name .. " gives the same global values for split nil, 0, 1 and -1", function()
      ht.random.seed(42)
      local r = gen {}
      ht.random.seed(42)
      local s0 = gen { split = 0 }
      ht.random.seed(42)
      local s1 = gen { split = 1 }
      ht.random.seed(42)
      local sl = gen { split = -1 }
      T.assert_split(r, nil)
      T.assert_split(s0, 0)
      same(r, s0)
      same(r, s1)
      same(r, sl)
    end)
  end

  it("gives arrays with ranks that own no rows the same values", function()
    ht.random.seed(3)
    local a = ht.random.rand(2, 5, {split = 0})
    ht.random.seed(3)
    local b = ht.random.rand(2, 5)
    same(a, b)
    T.assert_shape(ht.random.rand(0, 4, {split = 0}), {0, 4})
  end)

  it("advances with every call and restarts with seed", function()
    ht.random.seed(7)
    local a, b = ht.random.rand(50), ht.random.randn(50, {split = 0})
    ht.random.seed(7)
    local a2, b2 = ht.random.rand(50, {split = 0}), ht.random.randn(50)
    same(a, a2)
    same(b, b2)
    local c = ht.random.rand(50)
    assert.are_not.same(flat(a:totable()), flat(c:totable()))
    ht.random.seed(8)
    assert.are_not.same(flat(a:totable()), flat(ht.random.rand(50):totable()))
  end)

  it("seeds from the clock when seed() has no argument, agreed by every rank", function()
    ht.random.seed()
    local x = ht.random.rand(1000) -- replicated: each rank computes its own copy
    -- resplit keeps each rank's block of its own copy: equal only if all seeds agree
    same(x:resplit(0), x)
  end)
end)

describe("ht.random shapes and dtypes", function()
  it("take NumPy's signatures", function()
    ht.random.seed(1)
    T.assert_shape(ht.random.rand(), {}) -- NumPy returns a scalar: a 0-d array here
    T.assert_shape(ht.random.rand(3), {3})
    T.assert_shape(ht.random.rand(2, 3, {split = 1}), {2, 3})
    T.assert_dtype(ht.random.rand(2), "float32") -- Heat's default float
    T.assert_dtype(ht.random.randn(2, {dtype = "float64"}), "float64")
    T.assert_shape(ht.random.random({2, 3}), {2, 3})
    T.assert_shape(ht.random.random_sample(4), {4})
    T.assert_shape(ht.random.ranf{size = {2}}, {2}) -- Heat's aliases
    T.assert_shape(ht.random.sample(3), {3})
    T.assert_shape(ht.random.random(), {})
    T.assert_shape(ht.random.uniform{low = 2, high = 3, size = {4}}, {4})
    T.assert_shape(ht.random.normal(0, 1, 5, {split = 0}), {5})
    T.assert_shape(ht.random.normal{loc = 0, scale = 2, size = {2, 2}}, {2, 2})
    local i = ht.random.randint(0, 10, {3, 4}, {split = 0})
    T.assert_dtype(i, "int32") -- Heat's default for randint
    T.assert_split(i, 0)
    T.assert_dtype(ht.random.randint(5, nil, 3, {dtype = "uint8"}), "uint8")
  end)

  it("reject bad arguments", function()
    T.assert_error(function() ht.random.randint(5, 5, 3) end, "ht.random.randint: low >= high")
    T.assert_error(function() ht.random.randint(5, 2) end, "ht.random.randint: low >= high")
    T.assert_error(function() ht.random.randint(0) end, "ht.random.randint: low >= high")
    T.assert_error(function() ht.random.randint(0, 1000, 3, {dtype = "int8"}) end,
      "ht.random.randint: high is out of bounds for int8")
    T.assert_error(function() ht.random.randint(-1, 10, 3, {dtype = "uint8"}) end,
      "ht.random.randint: low is out of bounds for uint8")
    T.assert_error(function() ht.random.randint(0, 10, 3, {dtype = "float32"}) end,
      "dtype must be an integer type, got float32")
    T.assert_error(function() ht.random.randint(0.5, 10) end, "ht.random.randint: low must be an integer")
    T.assert_error(function() ht.random.rand(2, -1) end, "ht.random.rand: negative dimensions are not allowed")
    T.assert_error(function() ht.random.rand(2.5) end, "ht.random.rand: dimension must be an integer")
    T.assert_error(function() ht.random.randn(2, {dtype = "int32"}) end,
      "ht.random.randn: dtype must be float32 or float64, got int32")
    T.assert_error(function() ht.random.rand(2, {dtype = "float16"}) end, "unknown dtype 'float16'")
    T.assert_error(function() ht.random.rand(2, 3, {split = 2}) end, "split 2 is out of range")
    T.assert_error(function() ht.random.normal(0, -1, 3) end, "ht.random.normal: std must be non-negative")
    T.assert_error(function() ht.random.uniform(0, 1 / 0, 3) end, "must be finite")
  end)
end)

describe("ht.random values", function()
  local n = 100000

  it("rand is uniform on [0, 1)", function()
    ht.random.seed(11)
    for _, dt in ipairs { "float32", "float64" } do
      local m, s, v = mean_std(ht.random.rand(n, {split = 0, dtype = dt}))
      -- U(0,1): mean 1/2, std 1/sqrt(12) = 0.288675; the sample mean's std is 0.0009
      assert.is_true(math.abs(m - 0.5) < 0.005, dt .. " mean " .. m)
      assert.is_true(math.abs(s - 0.288675) < 0.003, dt .. " std " .. s)
      local lo, hi = math.huge, -math.huge
      for i = 1, #v do lo, hi = math.min(lo, v[i]), math.max(hi, v[i]) end
      assert.is_true(lo >= 0 and lo < 0.001 and hi < 1 and hi > 0.999, dt .. " range")
    end
  end)

  it("randn is standard normal", function()
    ht.random.seed(12)
    for _, dt in ipairs { "float32", "float64" } do
      local m, s, v = mean_std(ht.random.randn(n, {split = 0, dtype = dt}))
      assert.is_true(math.abs(m) < 0.015, dt .. " mean " .. m) -- 4.7 sigma of the mean
      assert.is_true(math.abs(s - 1) < 0.015, dt .. " std " .. s)
      -- P(|z| < 1) = erf(1/sqrt(2)) = 0.682689
      local inside = 0
      for i = 1, #v do if math.abs(v[i]) < 1 then inside = inside + 1 end end
      assert.is_true(math.abs(inside / #v - 0.682689) < 0.006, dt .. " within 1 sigma")
    end
  end)

  -- Since 2026-11-30 float32 normals use runtime/cpu/boxmuller.h's own log and sincos (the
  -- stream's words and pairing are unchanged; values moved by a few ulp from libmvec's).
  -- Pinned values: the scalar reference, bm_pair of Random123's philox4x32 words for seed
  -- 42, call 0, blocks 0 and 1 (printed with %.9g by a C program calling both); equal at
  -- every rank count and split, so the stream does not depend on either.
  it("float32 randn's first values are the scalar reference's", function()
    local ref = { -0.97018975, 0.194019035, -1.23562026, 1.92392731,
                  -0.0731814876, 0.139137581, -1.10666502, 0.326683372 }
    local want = flat(ht.array(ref, {dtype = "float32"}):totable()) -- rounded to float32
    for _, o in ipairs { {}, {split = 0} } do
      ht.random.seed(42)
      assert.are.same(want, flat(ht.random.randn(8, o):totable()))
    end
    for _, split in ipairs { 0, 1, false } do -- 2 rows: ranks 2 and 3 own none with split 0
      ht.random.seed(42)
      local o = split and {split = split} or {}
      assert.are.same(want, flat(ht.random.randn(2, 4, o):totable()))
    end
    ht.random.seed(42) -- normal(mean, std) is mean + std * the same draws, one fma each
    local v = flat(ht.random.normal(3, 2, 8, {split = 0}):totable())
    for i = 1, 8 do assert.is_true(math.abs(v[i] - (3 + 2 * want[i])) < 1e-6, "normal " .. i) end
  end)

  -- Phi(x) = erfc(-x / sqrt 2) / 2, erfc by Numerical Recipes' erfcc (relative error < 1.2e-7)
  local function phi(x)
    local z = math.abs(x) / math.sqrt(2)
    local t = 1 / (1 + 0.5 * z)
    local r = t * math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
      + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
      + t * (-0.82215223 + t * 0.17087277)))))))))
    return x >= 0 and 1 - r / 2 or r / 2
  end

  it("float32 randn: 1e6 draws pass moment, Kolmogorov-Smirnov and tail checks", function()
    local N = 1000000
    ht.random.seed(2026)
    local x = ht.random.randn(N, {split = 0})
    local v = flat(ht.sort(x):totable())
    local s, s2, big, tail3, tail4 = 0, 0, 0, 0, 0
    for i = 1, N do
      local z = v[i]
      assert(z == z and math.abs(z) <= 6.67, "draw " .. i .. " is " .. z) -- |z| <= sqrt(-2 ln 2^-32)
      s, s2 = s + z, s2 + z * z
      if math.abs(z) > 3 then tail3 = tail3 + 1 end
      if math.abs(z) > 4 then tail4 = tail4 + 1 end
    end
    local m = s / N
    local var = s2 / N - m * m
    -- 5 sigma: the mean's sigma is 1/sqrt(N), the variance's sqrt(2/N)
    assert.is_true(math.abs(m) < 5 / math.sqrt(N), "mean " .. m)
    assert.is_true(math.abs(var - 1) < 5 * math.sqrt(2 / N), "variance " .. var)
    -- KS statistic against Phi; 0.1% critical value scipy.stats.kstwobign.isf(0.001) = 1.94947
    local d = 0
    for i = 1, N do
      local f = phi(v[i])
      d = math.max(d, i / N - f, f - (i - 1) / N)
    end
    assert.is_true(d < 1.94947 / math.sqrt(N), "KS statistic " .. d)
    -- P(|z| > 3) = 2 * scipy.stats.norm.sf(3) = 0.0026998, P(|z| > 4) = 6.3342e-05: 5 binomial sigma
    local p3, p4 = 0.0026997960632601866, 6.334248366623973e-05
    assert.is_true(math.abs(tail3 - N * p3) < 5 * math.sqrt(N * p3), "beyond 3 sigma " .. tail3)
    assert.is_true(math.abs(tail4 - N * p4) < 5 * math.sqrt(N * p4), "beyond 4 sigma " .. tail4)
  end)

  it("normal and uniform scale and shift", function()
    ht.random.seed(13)
    local m, s = mean_std(ht.random.normal(5, 0.5, n, {split = 0}))
    assert.is_true(math.abs(m - 5) < 0.01 and math.abs(s - 0.5) < 0.01)
    local mu, su, v = mean_std(ht.random.uniform(-3, 1, {n}, {dtype = "float64"}))
    -- U(-3, 1): mean -1, std 4/sqrt(12) = 1.154701
    assert.is_true(math.abs(mu + 1) < 0.02 and math.abs(su - 1.154701) < 0.01)
    for i = 1, #v do assert(v[i] >= -3 and v[i] < 1) end
  end)

  it("float uniform never returns high, even when rounding would reach it", function()
    ht.random.seed(14)
    -- [1, 1 + 2^-23): float32 has no value strictly between, so every draw must be 1
    local hi32 = 1 + 2 ^ -23
    local v = flat(ht.random.uniform(1, hi32, 2000, {split = 0}):totable())
    for i = 1, #v do assert(v[i] == 1, "got " .. v[i]) end
    local hi64 = 1 + 2 ^ -52
    v = flat(ht.random.uniform(1, hi64, 2000, {dtype = "float64"}):totable())
    for i = 1, #v do assert(v[i] == 1, "got " .. v[i]) end
    -- a wide range: values near high round to it in float32 without the check
    v = flat(ht.random.uniform(0, 3, n, {split = 0}):totable())
    for i = 1, #v do assert(v[i] >= 0 and v[i] < 3, "got " .. v[i]) end
  end)

  it("randint covers [low, high) evenly", function()
    ht.random.seed(15)
    local v = flat(ht.random.randint(-3, 4, 70000, {split = 0}):totable())
    local hist = {}
    for i = 1, #v do
      assert(v[i] >= -3 and v[i] < 4 and v[i] == math.floor(v[i]), "got " .. v[i])
      hist[v[i]] = (hist[v[i]] or 0) + 1
    end
    for k = -3, 3 do -- 10000 expected each, binomial std 93
      assert.is_true(math.abs((hist[k] or 0) - 10000) < 500, "count of " .. k)
    end
    v = flat(ht.random.randint(6, nil, {1000}):totable()) -- [0, 6)
    for i = 1, #v do assert(v[i] >= 0 and v[i] < 6) end
    local big = 2 ^ 40
    local m = mean_std(ht.random.randint(0, big, n, {dtype = "int64", split = 0}))
    assert.is_true(math.abs(m / big - 0.5) < 0.005) -- uniform over a 2^40 range
  end)
end)
