-- Reproducible float sums (issue 13): sum, mean, var and std of float64 (and float32)
-- data give the correctly rounded exact result, so the same bits at every rank count,
-- with ranks that own no rows and after slicing along the split axis. Expected values
-- are Python's math.fsum (exact, then rounded once) of the same data, made by the same
-- generator in Python (bench/reference/repro_values.py prints them).
local ht = require "heat"

-- Data that every build makes alike: a Park-Miller generator and correctly rounded
-- operations only. (ht.random.randn and ht.exp call libmvec where the compiler vectorises
-- and libm where it does not, e.g. under the sanitizers, and their last bits differ.)
local function gen(seed)
  local s = seed
  return function()
    s = s * 48271 % 2147483647 -- exact: below 2^47
    return s / 2147483647
  end
end
local function normalish(u) -- ((((a + b) + c) + d) - 2) * 1.7, in this order
  local a = u()
  local b = u()
  local c = u()
  local d = u()
  return ((((a + b) + c) + d) - 2) * 1.7
end
local function wide(u) -- ~20 orders of magnitude: times 2^k, k in [-33, 33]
  local v = normalish(u)
  return math.ldexp(v, math.floor(u() * 67) - 33)
end
local function matrix(u, rows, cols, f)
  local t = {}
  for i = 1, rows do
    t[i] = {}
    for j = 1, cols do t[i][j] = f(u) end
  end
  return t
end

local function data(split)
  local u, x, y = gen(13), {}, {}
  for i = 1, 1001 do
    x[i] = normalish(u)
    y[i] = math.ldexp(x[i], math.floor(u() * 67) - 33)
  end
  local f, uf = {}, gen(19)
  for i = 1, 1001 do f[i] = normalish(uf) end
  local o64 = { dtype = ht.float64, split = split }
  return ht.array(x, o64), ht.array(y, o64), ht.array(matrix(gen(17), 37, 5, normalish), o64),
    ht.array(f, { dtype = ht.float32, split = split })
end

local function bits_eq(want, got, what)
  assert(want == got, string.format("%s: want %.17g, got %.17g", what, want, got))
end

describe("reproducible float64 reductions", function()
  for _, split in ipairs { 0, false } do
    local sp = split or nil
    local tag = "split=" .. tostring(sp)
    it("sum and mean equal math.fsum, " .. tag, function()
      local x, y = data(sp)
      bits_eq(-11.429958820589789, x:sum():item(), "math.fsum(x)")
      -- math.fsum(y); np.sum(y) gives -63510977820.58339
      bits_eq(-63510977820.58338, y:sum():item(), "math.fsum(y)")
      bits_eq(-0.01141854028030948, x:mean():item(), "math.fsum(x) / 1001")
      -- math.fsum(y[3:990]): unbalanced counts after a slice along the split axis
      bits_eq(-67899034383.59574, y[{ { 3, 990 } }]:sum():item(), "math.fsum(y[3:990])")
    end)
    it("var and std are two exact passes, " .. tag, function()
      local x, y = data(sp)
      -- mu = math.fsum(y)/n; math.fsum((v - mu) * (v - mu) for v in y) / n
      -- (np.var(y) gives 1.5472268268145165e+18)
      bits_eq(1.5472268268145162e+18, y:var():item(), "var(y)")
      -- the same with ddof=1 over x, and its square root
      bits_eq(0.9678269546528445, x:var { ddof = 1 }:item(), "var(x, ddof=1)")
      bits_eq(0.9837819649967388, x:std { ddof = 1 }:item(), "std(x, ddof=1)")
    end)
    it("sums along each axis of a matrix, " .. tag, function()
      local _, _, m = data(sp)
      -- [math.fsum(m[:, j]) for j in range(5)]
      local cols = { 0.8330526849408875, -2.535422747598695, -6.646458133424844,
        -5.025051332556201, 1.8702923003445797 }
      local got = m:sum(0):totable()
      for j = 1, 5 do bits_eq(cols[j], got[j], "column " .. (j - 1)) end
      -- [math.fsum(m[i, :]) for i in range(4)]
      local rows = { 0.3477498572076426, -1.8695664419185212, -3.6473241585061524,
        3.2119851877968695 }
      local r = m:sum(1)
      for i = 1, 4 do bits_eq(rows[i], r[i - 1]:item(), "row " .. (i - 1)) end
    end)
    it("float32 sums are the exact sum rounded to double, then to float32, " .. tag, function()
      local _, _, _, f = data(sp)
      -- float(np.float32(math.fsum(f.astype(np.float64))))
      bits_eq(22.879098892211914, f:sum():item(), "float32 sum")
    end)
  end

  -- var/std fold squared deviations as they read them (no scratch copy), float32 columns
  -- are folded without conversion; w's columns span ~20 orders of magnitude, so they take
  -- the element-wise path. Expected: v = list(map(float, column)); mu = math.fsum(v) / n;
  -- math.fsum((t - mu) * (t - mu) for t in v) / (n - ddof), for float32 then np.float32(.)
  local function mats(split)
    return ht.array(matrix(gen(31), 300, 3, wide), { dtype = ht.float64, split = split }),
      ht.array(matrix(gen(37), 300, 4, normalish), { dtype = ht.float32, split = split })
  end
  local function all_eq(want, got, what)
    local t = got:totable()
    for k = 1, #want do bits_eq(want[k], t[k], what .. "[" .. (k - 1) .. "]") end
  end
  for _, split in ipairs { 0, 1, false } do
    it("var and std along axes, float64 and float32, split=" .. tostring(split), function()
      local w, f = mats(split or nil)
      all_eq({ 3.09486117044189e+18, 1.2212075514328632e+18, 2.111280637529921e+18 }, w:var(0),
        "w:var(0)")
      all_eq({ 3.054892108765134e-07, 8.932403887918862e+17, 81219970148805.92,
        4040191098846773.5 }, w[{ { 0, 4 } }]:var(1), "w[0:4]:var(1)")
      bits_eq(1466079286.726725, w:std():item(), "w:std()")
      -- float(np.float32(math.fsum(map(float, f[:, j]))))
      all_eq({ 24.02700424194336, -9.266353607177734, 12.672676086425781, -15.759089469909668 },
        f:sum(0), "f:sum(0)")
      -- np.var(f, axis=0) (float32 arithmetic) gives 1.025037 0.98837024 0.95849556 1.0226647
      all_eq({ 1.0250368118286133, 0.9883703589439392, 0.9584956765174866, 1.0226647853851318 },
        f:var(0), "f:var(0)")
      -- np.float32(math.sqrt(var(row, ddof=1)))
      all_eq({ 1.4830777645111084, 0.7883197069168091, 0.5804341435432434 },
        f[{ { 0, 3 } }]:std(1, { ddof = 1 }), "f[0:3]:std(1, ddof=1)")
      bits_eq(1.0015254020690918, f:var():item(), "f:var()")
    end)
  end

  -- float32 blocks of up to 1024 terms are plain double sums when their exponents allow
  -- (cpu/binned.c, plain_ok: 19 binades for 1024 terms): column 0 sits at that limit and
  -- needs all 53 bits, column 1 mixes zeros of both signs and subnormals, column 2 cancels
  -- 2^60 (past the limit: the folds). Expected: float(np.float32(math.fsum(map(float, col))));
  -- a float32 running sum gives 1.07269325e+09 and 0.0 for columns 0 and 2.
  local function limits(split)
    local t = {}
    for i = 1, 1024 do
      t[i] = { 2 ^ 20 - 2 ^ -4, (i - 1) % 3 == 0 and 1.5 * 2 ^ -126 or 0, 0 }
    end
    t[518][1] = 1 + 2 ^ -23
    t[2][2], t[8][2], t[9][2] = -0.0, 2 ^ -149, -2 ^ -148
    t[1][3], t[2][3], t[3][3] = 2 ^ 60, 1, -2 ^ 60
    return ht.array(t, { dtype = ht.float32, split = split })
  end
  local lim = { 1072693184.0, 6.030286019718335e-36, 1.0 }
  for _, split in ipairs { 0, 1, false } do
    it("float32 plain sums at the exponent limit, zeros, subnormals, split=" .. tostring(split),
      function()
        local x = limits(split or nil)
        all_eq(lim, x:sum(0), "x:sum(0)")
        all_eq(lim, x.T:sum(1), "x.T:sum(1)")
        for j = 0, 2 do bits_eq(lim[j + 1], x[{ {}, j }]:sum():item(), "x[:, " .. j .. "]:sum()") end
      end)
  end

  -- Squared deviations far below the largest (values next to the mean) leave a block
  -- wider than one fold: the terms within its range are still folded, the tiny ones are
  -- added one by one (cpu/binned.c, ht_xacc_add_terms). Column 0's squares are 2^52,
  -- 2^52, four 1/4 and two 2^-80: exactly 2^53 + 1 + 2^-79, which rounds up to 2^53 + 2
  -- only if the 2^-80s count (without them: a tie, to even 2^53; np.var gives
  -- 1125899906842624.0). Column 1 is twice column 0. Expected: bench/reference/
  -- repro_values.py ("tie"): math.fsum of the squares / (n - ddof).
  local tie = { 2 ^ 26, -2 ^ 26, 0.5, -0.5, 0.5, -0.5, 2 ^ -40, -2 ^ -40 }
  local function ties(split)
    local t = {}
    for i = 1, #tie do t[i] = { tie[i], 2 * tie[i] } end
    return ht.array(t, { dtype = ht.float64, split = split })
  end
  for _, split in ipairs { 0, 1, false } do
    it("var/std: tiny squared deviations count, split=" .. tostring(split), function()
      local x = ties(split or nil)
      all_eq({ 1125899906842624.2, 4503599627370497.0 }, x:var(0), "x:var(0)")
      all_eq({ 1286742750677284.8, 5146971002709139.0 }, x:var(0, { ddof = 1 }), "ddof=1")
      all_eq({ 1125899906842624.2, 4503599627370497.0 }, x.T:var(1), "x.T:var(1)")
      all_eq({ 33554432.0, 67108864.0 }, x:std(0), "x:std(0)")
      bits_eq(1125899906842624.2, x[{ {}, 0 }]:var():item(), "x[:, 0]:var()")
      -- unbalanced: rows 1..7 (the 2^-40 pair split), exact reference by the same rule
      local y = x[{ { 1, 8 } }]
      bits_eq(y[{ {}, 0 }]:var():item(), y:var(0):totable()[1], "slice var(0) = 1-d var")
    end)
  end

  it("cancellation: huge terms that cancel leave the small ones exactly", function()
    -- exact maths: the 1e20 terms cancel in pairs, the eight 1s and 2^-60 remain
    local t = { 1e20, 1, -1e20, 1, 1e20, 1, 3e-300, -1e20, 1, 1e20, 1, -1e20, 1, 2 ^ -60,
      1e20, 1, -3e-300, -1e20, 1 }
    for _, split in ipairs { 0, false } do
      local a = ht.array(t, { dtype = ht.float64, split = split or nil })
      bits_eq(8 + 2 ^ -60, a:sum():item(), "cancellation")
      local b = ht.array({ t, t }, { dtype = ht.float64, split = split or nil })
      local s = b:sum(1):totable()
      bits_eq(8 + 2 ^ -60, s[1], "cancellation along axis 1")
      bits_eq(16 + 2 ^ -59, b:sum():item(), "cancellation of the whole")
    end
  end)

  it("specials and rounding at the ends of the range", function()
    local big = 1.7976931348623157e308
    local function s(t) return ht.array(t, { dtype = ht.float64, split = 0 }):sum():item() end
    bits_eq(big, s { big, big, -big }, "exact sum within range although a partial is not")
    bits_eq(math.huge, s { big, big }, "overflow rounds to inf")
    bits_eq(-math.huge, s { 1, -math.huge, 2 }, "-inf")
    local n = s { 1, math.huge, -math.huge }
    assert(n ~= n, "inf - inf is NaN")
    local q = s { 1, 0 / 0, 2 }
    assert(q ~= q, "NaN propagates")
    bits_eq(2 * 4.9406564584124654e-324, s { 4.9406564584124654e-324, 4.9406564584124654e-324 },
      "subnormals add exactly")
    -- 2^53 + 1 is a tie: to even (2^53); with 2^-100 beside it the tie breaks upwards
    bits_eq(2 ^ 53, s { 2 ^ 53, 1 }, "tie to even")
    bits_eq(2 ^ 53 + 2, s { 2 ^ 53, 1, 2 ^ -100 }, "sticky bit")
    bits_eq(0, s {}, "empty sum")
  end)
end)
