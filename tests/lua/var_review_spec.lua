-- A review of session 7's var/std/sum/mean row kernels (runtime/cpu/binned_rows.c,
-- binned_sqdev.c, reduce_exact.c's fused tile): row lengths around the vector widths and
-- the 256 KiB tile, magnitudes that jump by 2^40 from row to row (the kernels' guessed
-- constants miss and redo), specials, ddof past n, int64 past 2^53, slices and 3-d axes.
-- Results must be the same bits split along rows (fused), along columns (joined passes)
-- and replicated, and match a float64 two-pass reference or NumPy's values (named).
-- (HEATLUA_NO_AVX512=1 is read once per process; tests/runtime/test_var_fused.c toggles it.)
local ht = require "heat"
local T = require "heat.testing"

-- rows r of ((r * 7919 + j * 104729) % 1009) / 1009 - 0.3, times 2^(40 * (r % 3) - 40)
-- when `jump`: neighbouring rows differ by 2^40 in magnitude
local function rows_of(O, R, dt, jump)
  local i = ht.arange(O, { dtype = ht.float64, split = 0 }):reshape(O, 1)
  local j = ht.arange(R, { dtype = ht.float64 }):reshape(1, R)
  local v = ((i * 7919 + j * 104729) % 1009) / 1009 - 0.3
  if jump then v = v * ht.pow(2, (i % 3) * 40 - 40) end
  return v:astype(dt)
end

-- the variance of each row of a table in float64: Neumaier sums, two passes (exact maths up
-- to a few ulps of float64, far inside float32's rounding)
local function ref_var(t, ddof)
  local function nsum(row, f)
    local s, c = 0, 0
    for _, v in ipairs(row) do
      local x = f(v)
      local u = s + x
      if math.abs(s) >= math.abs(x) then c = c + ((s - u) + x) else c = c + ((x - u) + s) end
      s = u
    end
    return s + c
  end
  local out = {}
  for k, row in ipairs(t) do
    local m = nsum(row, function(v) return v end) / #row
    out[k] = nsum(row, function(v) return (v - m) * (v - m) end) / math.max(#row - ddof, 0)
  end
  return out
end

-- x:var(1) within relative tol of ref_var for every row
local function near_ref(x, what, tol)
  local want, got = ref_var(x:totable(), 0), x:var(1):totable()
  for k = 1, #want do
    local err = math.abs(got[k] - want[k]) / math.max(math.abs(want[k]), 1e-300)
    assert(err <= tol, ("%s row %d: want %.17g, got %.17g"):format(what, k - 1, want[k], got[k]))
  end
end

local same_three = T.assert_same_splits

local function var1(x) return x:var(1) end
local function std1(x) return x:std(1, { ddof = 1 }) end
local function sum1(x) return x:sum(1) end
local function mean1(x) return x:mean(1) end

describe("var/std/sum/mean along rows (review)", function()
  it("agree across splits and with a float64 two-pass, rows of 1..257 items", function()
    for _, dt in ipairs { ht.float32, ht.float64 } do
      for _, R in ipairs { 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257 } do
        for _, jump in ipairs { false, true } do
          local x = rows_of(19, R, dt, jump)
          local what = ("%s %dx%d%s"):format(tostring(dt), 19, R, jump and " jumping" or "")
          for _, f in ipairs { var1, std1, sum1, mean1 } do same_three(x, what, f) end
          near_ref(x, what, dt == ht.float32 and 2e-7 or 1e-15)
        end
      end
    end
  end)

  it("agree across splits when magnitudes jump inside a row (guess misses, redo)", function()
    -- x[r, j] = v[r, j] * 2^e[r, j]: huge items after the GUESS (32) items the constant is
    -- guessed from, or before them; exponents spread over float32's / float64's range;
    -- every 5th item subnormal; one huge item per row
    local function within(O, R, dt, mode)
      local i = ht.arange(O, { dtype = ht.float64, split = 0 }):reshape(O, 1)
      local j = ht.arange(R, { dtype = ht.float64 }):reshape(1, R)
      local v = ((i * 7919 + j * 104729) % 1009) / 1009 - 0.3
      local big = dt == ht.float32
      local e = ({
        late = function() return j:ge(40):astype(ht.float64) * 120 - 60 + i * 0 end,
        early = function() return j:lt(40):astype(ht.float64) * 120 - 60 + i * 0 end,
        wild = function() return ((i * 13 + j * 29) % 7 - 3) * (big and 40 or 330) end,
        sub = function() return (j % 5):eq(0):astype(ht.float64) * (big and -140 or -1060) + i * 0 end,
        one = function() return j:eq((i * 3) % R):astype(ht.float64) * (big and 60 or 500) end,
      })[mode]()
      return (v * ht.pow(2, e)):astype(dt)
    end
    for _, dt in ipairs { ht.float32, ht.float64 } do
      for _, mode in ipairs { "late", "early", "wild", "sub", "one" } do
        for _, R in ipairs { 33, 64, 100, 257 } do
          local x = within(37, R, dt, mode)
          local what = ("%s %s %d"):format(tostring(dt), mode, R)
          for _, f in ipairs { var1, std1, sum1, mean1 } do same_three(x, what, f) end
          -- no overflow: against the reference
          if dt == ht.float64 and mode ~= "wild" then near_ref(x, what, 1e-14) end
        end
      end
    end
  end)

  it("agree across splits at the 256 KiB tile's edges", function()
    -- float32 64 items: 1024 rows a tile, 2100 rows make three tiles (the last partial);
    -- a row of exactly 256 KiB (65536 float32, 32768 float64) is fused, one more item is not
    for _, c in ipairs { { 2100, 64, ht.float32 }, { 1030, 128, ht.float32 }, { 2049, 16, ht.float64 },
      { 3, 65536, ht.float32 }, { 3, 65537, ht.float32 }, { 3, 32768, ht.float64 }, { 3, 32769, ht.float64 } } do
      for _, jump in ipairs { false, true } do
        local x = rows_of(c[1], c[2], c[3], jump)
        local what = ("%s %dx%d%s"):format(tostring(c[3]), c[1], c[2], jump and " jumping" or "")
        same_three(x, what, var1)
        same_three(x, what, std1)
        same_three(x, what, mean1)
      end
    end
    -- one value against the reference: the last row of the last partial tile
    local x = rows_of(2100, 64, ht.float32, true)
    local last = x[{ { 2099, 2100 }, {} }]
    local want = ref_var(last:totable(), 0)[1]
    local got = x:var(1)[2099]:item()
    assert(math.abs(got - want) <= 2e-7 * want, ("want %.9g, got %.9g"):format(want, got))
  end)

  it("give NumPy's values for NaN, infinities, -0.0, 1e308 and subnormals", function()
    local nan, inf = 0 / 0, 1 / 0
    local s = ht.array({ { 1, nan, 3, 4 }, { 1, inf, 3, 4 }, { 1, -inf, 3, 4 }, { inf, -inf, 0, 0 },
      { -0.0, -0.0, -0.0, -0.0 }, { 1e308, -1e308, 1e308, -1e308 }, { 1e308, 1e308, 1e308, 1e308 },
      { 5e-324, 0, 5e-324, 0 } }, { dtype = ht.float64, split = 0 })
    same_three(s, "specials float64", var1)
    same_three(s, "specials float64", mean1)
    same_three(s:astype(ht.float32), "specials float32", var1)
    -- np.var(s, axis=1): [nan, nan, nan, nan, 0.0, inf, inf, 0.0]
    assert.are.equal("nan nan nan nan 0x0p+0 inf inf 0x0p+0", T.bits(s:var(1)))
    -- np.mean(s, axis=1): [nan, inf, -inf, nan, 0.0, 0.0, inf, 0.0]
    assert.are.equal("nan inf -inf nan 0x0p+0 0x0p+0 inf 0x0p+0", T.bits(s:mean(1)))
    -- np.var(s.astype(np.float32), axis=1): 1e308 is inf in float32
    assert.are.equal("nan nan nan nan 0x0p+0 nan nan 0x0p+0", T.bits(s:astype(ht.float32):var(1)))
  end)

  it("divide by max(n - ddof, 0) as NumPy, for ddof = n-1, n, n+1", function()
    local d = ht.array({ { 1, 2, 3, 4 }, { 2, 2, 2, 2 } }, { dtype = ht.float64, split = 0 })
    -- np.var(d, axis=1, ddof=k) for k = 3, 4, 5: [5, 0], [inf, nan], [inf, nan]
    for ddof, want in pairs { [3] = "0x1.4p+2 0x0p+0", [4] = "inf nan", [5] = "inf nan" } do
      assert.are.equal(want, T.bits(d:var(1, { ddof = ddof })))
      assert.are.equal(want, T.bits(d:resplit(1):var(1, { ddof = ddof })))
    end
    -- np.std(d, axis=1, ddof=3): [2.23606797749979, 0.0]
    assert.are.same({ 2.23606797749979, 0 }, d:std(1, { ddof = 3 }):totable())
  end)

  it("read int64 past 2^53 as NumPy does (each value rounded to float64)", function()
    -- 2^53 and 2^53 + 2 are exact doubles; their sum 2^54 + 2 rounds to 2^54
    local two53 = ht.full({ 2, 1 }, 2 ^ 53, { dtype = ht.int64 })
    local x = (ht.array({ { 0, 2 }, { 1, 2 } }, { dtype = ht.int64, split = 0 }) + two53 * ht.array({ { 1 }, { 0 } }, { dtype = ht.int64 }))
    same_three(x, "int64 past 2^53", var1)
    -- np.var(np.array([2**53, 2**53 + 2])) = 2.0, np.var([1, 2]) = 0.25
    assert.are.same({ 2, 0.25 }, x:var(1):totable())
    -- np.mean(np.array([2**53, 2**53 + 2])) = 9007199254740992.0
    assert.are.same({ 2 ^ 53, 1.5 }, x:mean(1):totable())
  end)

  it("reduce 3-d axes, tuples of axes and sliced arrays", function()
    local c = ht.arange(30, { dtype = ht.float32, split = 0 }):reshape(2, 3, 5)
    -- np.var(np.arange(30, dtype=np.float32).reshape(2, 3, 5), axis=2): all 2.0
    assert.are.equal(("0x1p+1 "):rep(6):sub(1, -2), T.bits(c:var(2)))
    -- ... axis=(1, 2): 18.66666603088379 twice (float32)
    assert.are.same({ 18.66666603088379, 18.66666603088379 }, c:var({ 1, 2 }):totable())
    for _, split in ipairs { 1, 2 } do
      assert.are.equal(T.bits(c:var(2)), T.bits(c:resplit(split):var(2)))
      assert.are.equal(T.bits(c:var({ 1, 2 })), T.bits(c:resplit(split):var({ 1, 2 })))
    end
    -- np.var(np.arange(180.).reshape(20, 9)[1:19:3, 0:9:2], axis=1): all 8.0
    local m = ht.arange(180, { dtype = ht.float64, split = 0 }):reshape(20, 9)[{ { 1, 19, 3 }, { 0, 9, 2 } }]
    same_three(m, "sliced", var1)
    assert.are.same({ 8, 8, 8, 8, 8, 8 }, m:var(1):totable())
  end)
end)
