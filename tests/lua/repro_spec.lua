-- Reproducible float sums (issue 13): sum, mean, var and std of float64 (and float32)
-- data give the correctly rounded exact result, so the same bits at every rank count,
-- with ranks that own no rows and after slicing along the split axis. Expected values
-- are Python's math.fsum (exact, then rounded once) of the same data, dumped from
-- ht.random with the seed below (Philox: the same values at any rank count) as %.17g.
local ht = require "heat"

local function data(split)
  ht.random.seed(13)
  local x = ht.random.randn(1001, { dtype = ht.float64, split = split })
  local e = ht.random.randn(1001, { dtype = ht.float64, split = split })
  local m = ht.random.randn(37, 5, { dtype = ht.float64, split = split })
  local f = ht.random.randn(1001, { split = split })
  return x, x * ht.exp(e * 8), m, f -- y = x * exp(8 e) spans ~20 orders of magnitude
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
      bits_eq(-45.03305539979753, x:sum():item(), "math.fsum(x)")
      -- math.fsum(y); np.sum(y) gives -30217028997.58549, a left-to-right sum
      -- -30217028997.585407, and the pairwise sums of 1..4 ranks differed before
      bits_eq(-30217028997.58548, y:sum():item(), "math.fsum(y)")
      bits_eq(-0.04498806733246507, x:mean():item(), "math.fsum(x) / 1001")
      -- math.fsum(y[3:990]): unbalanced counts after a slice along the split axis
      bits_eq(-30219475065.344543, y[{ { 3, 990 } }]:sum():item(), "math.fsum(y[3:990])")
    end)
    it("var and std are two exact passes, " .. tag, function()
      local x, y = data(sp)
      -- mu = math.fsum(y)/n; math.fsum((v - mu) * (v - mu) for v in y) / n
      -- (np.var(y) gives 4.1585169967294766e+18)
      bits_eq(4.158516996729476e+18, y:var():item(), "var(y)")
      -- the same with ddof=1 over x, and its square root
      bits_eq(1.0353955677073712, x:var { ddof = 1 }:item(), "var(x, ddof=1)")
      bits_eq(1.0175438898187001, x:std { ddof = 1 }:item(), "std(x, ddof=1)")
    end)
    it("sums along each axis of a matrix, " .. tag, function()
      local _, _, m = data(sp)
      -- [math.fsum(m[:, j]) for j in range(5)]
      local cols = { 10.742348145987794, -1.6973234593482853, -7.076600222626488,
        -5.937830492668361, -0.73570087862788 }
      local got = m:sum(0):totable()
      for j = 1, 5 do bits_eq(cols[j], got[j], "column " .. (j - 1)) end
      -- [math.fsum(m[i, :]) for i in range(4)]
      local rows = { 0.07256536702180047, 0.9871087831991239, -3.899592645608184,
        0.5726840135520601 }
      local r = m:sum(1)
      for i = 1, 4 do bits_eq(rows[i], r[i - 1]:item(), "row " .. (i - 1)) end
    end)
    it("float32 sums are the exact sum rounded to double, then to float32, " .. tag, function()
      local _, _, _, f = data(sp)
      -- float(np.float32(math.fsum(f.astype(np.float64)))); np.sum(f) gives 22.46049690246582
      bits_eq(22.460498809814453, f:sum():item(), "float32 sum")
    end)
  end

  -- var/std fold squared deviations as they read them (no scratch copy), float32 columns
  -- are folded without conversion; w's columns span ~20 orders of magnitude, so they take
  -- the element-wise path. Expected: v = list(map(float, column)); mu = math.fsum(v) / n;
  -- math.fsum((t - mu) * (t - mu) for t in v) / (n - ddof), for float32 then np.float32(.)
  local function mats(split)
    ht.random.seed(31)
    local a = ht.random.randn(300, 3, { dtype = ht.float64, split = split })
    local e = ht.random.randn(300, 3, { dtype = ht.float64, split = split })
    return a * ht.exp(e * 8), ht.random.randn(300, 4, { split = split })
  end
  local function all_eq(want, got, what)
    local t = got:totable()
    for k = 1, #want do bits_eq(want[k], t[k], what .. "[" .. (k - 1) .. "]") end
  end
  for _, split in ipairs { 0, 1, false } do
    it("var and std along axes, float64 and float32, split=" .. tostring(split), function()
      local w, f = mats(split or nil)
      -- np.var(w, axis=0) gives 4.31382860e+15 8.73487724e+14 1.20731487e+15
      all_eq({ 4313828604589744, 873487723533002.38, 1207314874309316.8 }, w:var(0), "w:var(0)")
      all_eq({ 3.7109731835845721, 44645092.271848939, 3592414.3708602586, 15193.616775652576 },
        w[{ { 0, 4 } }]:var(1), "w[0:4]:var(1)")
      bits_eq(46177748.725344487, w:std():item(), "w:std()")
      -- float(np.float32(math.fsum(map(float, f[:, j]))))
      all_eq({ -2.0359656810760498, -12.768526077270508, 6.2238326072692871, -10.488393783569336 },
        f:sum(0), "f:sum(0)")
      -- np.var(f, axis=0) (float32 arithmetic) gives 1.0262545 1.1417012 1.0594561 0.9476426
      all_eq({ 1.0262547731399536, 1.141701340675354, 1.0594559907913208, 0.94764214754104614 },
        f:var(0), "f:var(0)")
      all_eq({ 0.93116563558578491, 0.95011460781097412, 1.2582710981369019 },
        f[{ { 0, 3 } }]:std(1, { ddof = 1 }), "f[0:3]:std(1, ddof=1)")
      bits_eq(1.0443885326385498, f:var():item(), "f:var()")
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
