-- Elementwise ops: arithmetic, comparisons, logical ops, unary math, where, clip and the
-- operators, against NumPy 2.4 values (the expression that produced each is beside it),
-- with NumPy's promotion and NEP 50 scalars, broadcasting, and Heat's split rules.
local ht = require "heat"
local T = require "heat.testing"

local p = ht.nprocs()
local nan, inf = 0 / 0, math.huge

local function arr(t, dtype, split)
  return ht.array(t, { dtype = dtype, split = split })
end

-- every test of values runs replicated and split along axis 0 (3 to 5 rows: at 4 ranks
-- some rank owns none)
local splits = { -1, 0 }
local function sp(s) return s >= 0 and s or nil end

-- pairs() order differs between ranks (LuaJIT seeds its string hash), and every rank must
-- make the same collective calls in the same order: iterate over sorted keys
local function sorted_pairs(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local i = 0
  return function()
    i = i + 1
    return keys[i], t[keys[i]]
  end
end

describe("binary arithmetic", function()
  -- a = np.array([-3.5, -1, 0, 2, 7.25]); b = np.array([2, -0.5, 3, -4, 2.])
  local fa, fb = { -3.5, -1, 0, 2, 7.25 }, { 2, -0.5, 3, -4, 2 }
  local want = {
    add = { -1.5, -1.5, 3.0, -2.0, 9.25 },      -- a + b
    sub = { -5.5, -0.5, -3.0, 6.0, 5.25 },      -- a - b
    mul = { -7.0, 0.5, 0.0, -8.0, 14.5 },       -- a * b
    div = { -1.75, 2.0, 0.0, -0.5, 3.625 },     -- a / b
    floordiv = { -2.0, 2.0, 0.0, -1.0, 3.0 },   -- a // b
    mod = { 0.5, -0.0, 0.0, -2.0, 1.25 },       -- a % b
    pow = { 12.25, nan, 0.0, 0.0625, 52.5625 }, -- a ** b
    minimum = { -3.5, -1.0, 0.0, -4.0, 2.0 },   -- np.minimum(a, b)
    maximum = { 2.0, -0.5, 3.0, 2.0, 7.25 },    -- np.maximum(a, b)
  }

  it("float64: every op, replicated and split", function()
    for _, s in ipairs(splits) do
      local a, b = arr(fa, "float64", sp(s)), arr(fb, "float64", sp(s))
      for op, w in sorted_pairs(want) do
        local r = ht[op](a, b)
        T.assert_equal(r, w)
        T.assert_dtype(r, "float64")
        T.assert_split(r, sp(s))
        T.assert_equal(a[op](a, b), w) -- the method is the same function
      end
    end
  end)

  it("aliases name the same ops", function()
    local a, b = arr(fa, "float64", 0), arr(fb, "float64")
    T.assert_equal(ht.subtract(a, b), want.sub)
    T.assert_equal(ht.multiply(a, b), want.mul)
    T.assert_equal(ht.divide(a, b), want.div)
    T.assert_equal(ht.true_divide(a, b), want.div)
    T.assert_equal(ht.floor_divide(a, b), want.floordiv)
    T.assert_equal(ht.remainder(a, b), want.mod)
    T.assert_equal(ht.power(a, b), want.pow)
  end)

  it("int32: floor division and modulo take Python's signs, x // 0 is 0", function()
    -- ai = np.array([-7, -1, 0, 5, 9], np.int32); bi = np.array([2, -3, 4, -2, 0], np.int32)
    for _, s in ipairs(splits) do
      local a, b = arr({ -7, -1, 0, 5, 9 }, "int32", sp(s)), arr({ 2, -3, 4, -2, 0 }, "int32")
      T.assert_equal(a + b, { -5, -4, 4, 3, 9 })
      T.assert_equal(a - b, { -9, 2, -4, 7, 9 })
      T.assert_equal(a * b, { -14, 3, 0, -10, 0 })
      T.assert_equal(ht.floordiv(a, b), { -4, 0, 0, -3, 0 })
      T.assert_equal(a % b, { 1, -1, 0, -1, 0 })
      T.assert_equal(ht.minimum(a, b), { -7, -3, 0, -2, 0 })
      T.assert_equal(ht.maximum(a, b), { 2, -1, 4, 5, 9 })
      T.assert_dtype(a % b, "int32")
      -- true division of ints is float64: ai / bi
      T.assert_equal(a / b, { -3.5, 1 / 3, 0.0, -2.5, inf })
      T.assert_dtype(a / b, "float64")
      -- ai ** np.array([2, 3, 0, 3, 1], np.int32) stays int32
      local e = ht.pow(a, arr({ 2, 3, 0, 3, 1 }, "int32", sp(s)))
      T.assert_equal(e, { 49, -1, 1, 125, 9 })
      T.assert_dtype(e, "int32")
    end
  end)

  it("ints to negative powers raise on every rank, as NumPy does", function()
    -- np.arange(5) ** -1: ValueError: Integers to negative integer powers are not allowed.
    local a = arr({ 1, -1, -1, 5, 0 }, "int64", 0)
    local msg = "ht.pow: integers to negative integer powers are not allowed"
    T.assert_error(function() return a ^ arr({ 2, 3, 2, 2, -1 }, "int64", 0) end, msg)
    T.assert_error(function() return a ^ -1 end, msg)
    T.assert_equal(a ^ arr({ 2, 3, 2, 2, 1 }, "int64"), { 1, -1, 1, 25, 0 }) -- a ** [2, 3, 2, 2, 1]
  end)

  it("uint8 and int8 wrap around like NumPy", function()
    for _, s in ipairs(splits) do
      -- u = np.array([200, 255, 10], np.uint8); v = np.array([100, 1, 20], np.uint8)
      local u, v = arr({ 200, 255, 10 }, "uint8", sp(s)), arr({ 100, 1, 20 }, "uint8", sp(s))
      T.assert_equal(u + v, { 44, 0, 30 })
      T.assert_equal(u - v, { 100, 254, 246 })
      T.assert_equal(u * v, { 32, 255, 200 })
      T.assert_equal(-u, { 56, 1, 246 })
      T.assert_dtype(u + v, "uint8")
      -- i = np.array([100, -128, 127], np.int8); j = np.array([3, -1, 2], np.int8)
      local i, j = arr({ 100, -128, 127 }, "int8", sp(s)), arr({ 3, -1, 2 }, "int8")
      T.assert_equal(i * j, { 44, -128, -2 })
      T.assert_equal(i + j, { 103, 127, -127 })
      T.assert_equal(ht.floordiv(i, j), { 33, -128, 63 }) -- -128 // -1 wraps
      T.assert_equal(-i, { -100, -128, -127 })
      T.assert_equal(ht.abs(i), { 100, -128, 127 })
      T.assert_equal(i ^ 2, { 16, 0, 1 }) -- i ** np.int8(2)
      T.assert_dtype(i ^ 2, "int8")
    end
  end)

  it("int64 keeps 53+ bit products exact", function()
    -- np.array([2**40, -2**40]) * 2**10
    T.assert_equal(arr({ 2 ^ 40, -2 ^ 40 }, "int64", 0) * 1024, { 2 ^ 50, -2 ^ 50 })
  end)

  it("float32 stays float32", function()
    local f = arr({ 0.1, 1.5 }, "float32", 0)
    -- np.array([0.1, 1.5], np.float32) + np.float32(0.2), * 2.5, / np.float32(3)
    T.assert_equal(f + 0.2, { 0.30000001192092896, 1.7000000476837158 })
    T.assert_equal(f * 2.5, { 0.25, 3.75 })
    T.assert_equal(f / 3, { 0.03333333507180214, 0.5 })
    T.assert_dtype(f * 2.5, "float32")
  end)

  it("bool: + is or, * is and, / gives float64, // and ** give int8", function()
    -- ba = np.array([True, True, False, False]); bb = np.array([True, False, True, False])
    for _, s in ipairs(splits) do
      local a, b = arr({ true, true, false, false }, nil, sp(s)), arr({ true, false, true, false })
      T.assert_equal(a + b, { true, true, true, false })
      T.assert_equal(a * b, { true, false, false, false })
      T.assert_equal(ht.minimum(a, b), { true, false, false, false })
      T.assert_equal(ht.maximum(a, b), { true, true, true, false })
      T.assert_equal(a / b, { 1.0, inf, 0.0, nan })
      T.assert_dtype(a / b, "float64")
      T.assert_equal(ht.floordiv(a, b), { 1, 0, 0, 0 })
      T.assert_dtype(ht.floordiv(a, b), "int8")
      T.assert_equal(a ^ b, { 1, 1, 0, 1 })
      T.assert_equal(a:lt(b), { false, false, true, false })
    end
  end)
end)

describe("comparisons and logical ops", function()
  -- c1 = np.array([1., nan, 3., 2.]); c2 = np.array([1., 1., nan, 5.])
  local want = {
    eq = { true, false, false, false }, ne = { false, true, true, true },
    lt = { false, false, false, true }, le = { true, false, false, true },
    gt = { false, false, false, false }, ge = { true, false, false, false },
    logical_and = { true, true, true, true }, -- NaN is true
    logical_or = { true, true, true, true },
    logical_xor = { false, false, false, false },
  }
  local aliases = { equal = "eq", not_equal = "ne", less = "lt", less_equal = "le",
                    greater = "gt", greater_equal = "ge" }

  it("return bool, NaN compares false except ne", function()
    for _, s in ipairs(splits) do
      local a, b = arr({ 1, nan, 3, 2 }, "float64", sp(s)), arr({ 1, 1, nan, 5 }, "float32")
      for op, w in sorted_pairs(want) do
        T.assert_equal(ht[op](a, b), w)
        T.assert_dtype(a[op](a, b), "bool")
      end
      for alias, op in sorted_pairs(aliases) do T.assert_equal(ht[alias](a, b), want[op]) end
    end
  end)

  it("minimum and maximum propagate NaN", function()
    local a, b = arr({ 1, nan, 3, 2 }, "float64", 0), arr({ 1, 1, nan, 5 }, "float64", 0)
    T.assert_equal(ht.minimum(a, b), { 1, nan, nan, 2 }) -- np.minimum(c1, c2)
    T.assert_equal(ht.maximum(a, b), { 1, nan, nan, 5 }) -- np.maximum(c1, c2)
  end)

  it("logical ops take any dtype's truth", function()
    -- np.logical_*(np.array([0., 2., -1., 0.]), np.array([0, 0, 3, 5]))
    local a, b = arr({ 0, 2, -1, 0 }, "float32", 0), arr({ 0, 0, 3, 5 }, "int16", 0)
    T.assert_equal(ht.logical_and(a, b), { false, false, true, false })
    T.assert_equal(ht.logical_or(a, b), { false, true, true, true })
    T.assert_equal(ht.logical_xor(a, b), { false, true, false, true })
    T.assert_equal(a:eq(0), { true, false, false, true }) -- a == 0
  end)
end)

describe("promotion", function()
  local function dt(a, b) return ht.add(a, b).dtype end
  local function ones(t) return ht.ones(2, { dtype = t }) end

  it("of two arrays follows np.promote_types", function()
    assert.equal("float64", dt(ones "int32", ones "float32"))
    assert.equal("int16", dt(ones "uint8", ones "int8"))
    assert.equal("int16", dt(ones "int8", ones "int16"))
    assert.equal("float64", dt(ones "int64", ones "float32"))
    assert.equal("int32", dt(ones "uint8", ones "int32"))
    assert.equal("float32", dt(ones "int16", ones "float32"))
  end)

  it("of a Lua number follows NEP 50 (the array's kind wins)", function()
    assert.equal("int32", dt(ones "int32", 2))      -- np.ones(2, np.int32) + 2
    assert.equal("float64", dt(ones "int32", 2.5))  -- np.ones(2, np.int32) + 2.5
    assert.equal("float32", dt(ones "float32", 2.5)) -- np.ones(2, np.float32) + 2.5
    assert.equal("int64", dt(ones "bool", 1))       -- np.ones(2, bool) + 1
    assert.equal("uint8", dt(2, ones "uint8"))      -- 2 + np.ones(2, np.uint8)
    T.assert_equal(ht.add(1, 2), 3)                 -- two numbers: a 0-d int64
    T.assert_dtype(ht.add(1, 2), "int64")
    T.assert_dtype(ht.add(1, 2.5), "float64")
  end)
end)

describe("operators", function()
  it("+ - * / % ^ and unary minus, numbers on either side", function()
    local x = arr({ -7, 7.5, 3 }, "float64", 0)
    T.assert_equal(x % 3, { 2.0, 1.5, 0.0 })       -- np.array([-7., 7.5, 3.]) % 3
    T.assert_equal(arr({ -7, 7, 3 }, "int64", 0) % -3, { -1, -2, 0 }) -- ... % -3
    local y = arr({ 1, 2 }, "float64", 0)
    T.assert_equal(2 - y, { 1, 0 })                 -- 2 - np.array([1., 2.])
    T.assert_equal(2 ^ arr({ 1, 3 }, "float64"), { 2, 8 }) -- 2.0 ** np.array([1., 3.])
    T.assert_equal(y ^ 2, { 1, 4 })
    T.assert_equal(y / 4, { 0.25, 0.5 })
    T.assert_equal(6 / y, { 6, 3 })
    T.assert_equal(-y, { -1, -2 })
    T.assert_equal(y * y + y - 1, { 1, 5 })
    T.assert_equal(y + { 10, 20 }, { 11, 22 })      -- a nested table is an array
  end)
end)

describe("unary math", function()
  -- x = np.array([0.25, 1, 2.5, 4, 9.])
  local x = { 0.25, 1, 2.5, 4, 9 }
  local want = {
    sqrt = { 0.5, 1.0, 1.5811388300841898, 2.0, 3.0 },
    exp = { 1.2840254166877414, 2.718281828459045, 12.182493960703473, 54.598150033144236,
            8103.083927575384 },
    log = { -1.3862943611198906, 0.0, 0.9162907318741551, 1.3862943611198906, 2.1972245773362196 },
    log2 = { -2.0, 0.0, 1.3219280948873624, 2.0, 3.169925001442312 },
    log10 = { -0.6020599913279624, 0.0, 0.3979400086720376, 0.6020599913279624,
              0.9542425094393249 },
    sin = { 0.24740395925452294, 0.8414709848078965, 0.5984721441039565, -0.7568024953079282,
            0.4121184852417566 },
    cos = { 0.9689124217106447, 0.5403023058681398, -0.8011436155469337, -0.6536436208636119,
            -0.9111302618846769 },
    tan = { 0.25534192122103627, 1.5574077246549023, -0.7470222972386603, 1.1578212823495775,
            -0.45231565944180985 },
    tanh = { 0.24491866240370913, 0.7615941559557649, 0.9866142981514303, 0.999329299739067,
             0.9999999695400409 },
  }

  it("float64 and float32, replicated and split", function()
    for _, s in ipairs(splits) do
      local a, f = arr(x, "float64", sp(s)), arr(x, "float32", sp(s))
      for op, w in sorted_pairs(want) do
        T.assert_allclose(ht[op](a), w, 1e-14)
        T.assert_allclose(f[op](f), w, 1e-6)
        T.assert_dtype(ht[op](f), "float32")
        T.assert_split(ht[op](f), sp(s))
      end
    end
  end)

  it("of ints and bool give float64 for int32/int64, float32 for the small ones", function()
    local i = arr({ 4, 2 }, "int32", 0)
    T.assert_equal(ht.sqrt(i), { 2.0, 1.4142135623730951 }) -- np.sqrt(np.array([4, 2], np.int32))
    T.assert_dtype(ht.sqrt(i), "float64")
    -- NumPy gives float16 here; we have none, float32 is next
    local s = ht.sqrt(arr({ 4, 2 }, "int8", 0))
    T.assert_dtype(s, "float32")
    T.assert_allclose(s, { 2, math.sqrt(2) }, 1e-7)
    local e = ht.exp(arr({ true, false }))
    T.assert_dtype(e, "float32")
    T.assert_allclose(e, { math.exp(1), 1 }, 1e-7)
    T.assert_dtype(ht.exp(arr({ 1 }, "uint8")), "float32")
    T.assert_dtype(ht.log(arr({ 1 }, "int64")), "float64")
  end)

  it("floor, ceil, round (half to even), abs, neg", function()
    -- y = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.7, -3.7])
    for _, s in ipairs(splits) do
      local y = arr({ -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.7, -3.7 }, "float64", sp(s))
      T.assert_equal(ht.floor(y), { -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -4.0 })
      T.assert_equal(ht.ceil(y), { -2.0, -1.0, -0.0, 1.0, 2.0, 3.0, 4.0, -3.0 })
      T.assert_equal(y:round(), { -2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 4.0, -4.0 })
      T.assert_equal(ht.abs(y), { 2.5, 1.5, 0.5, 0.5, 1.5, 2.5, 3.7, 3.7 })
      T.assert_equal(ht.absolute(y), { 2.5, 1.5, 0.5, 0.5, 1.5, 2.5, 3.7, 3.7 })
      T.assert_equal(ht.negative(y), { 2.5, 1.5, 0.5, -0.5, -1.5, -2.5, -3.7, 3.7 })
      T.assert_equal(y:neg(), { 2.5, 1.5, 0.5, -0.5, -1.5, -2.5, -3.7, 3.7 })
    end
  end)

  it("floor, ceil, round at the edges of the mantissa, inf and nan", function()
    -- f = np.array([-0., 8388607.5, -8388607.5, 1e30, inf, -inf, nan, -0.5, 0.49999997], np.float32)
    local f = arr({ -0.0, 8388607.5, -8388607.5, 1e30, inf, -inf, nan, -0.5, 0.49999997 },
                  "float32", 0)
    local big = 1.0000000150474662e+30 -- np.float32(1e30)
    T.assert_equal(ht.floor(f), { -0.0, 8388607, -8388608, big, inf, -inf, nan, -1, 0 })
    T.assert_equal(ht.ceil(f), { -0.0, 8388608, -8388607, big, inf, -inf, nan, -0.0, 1 })
    T.assert_equal(ht.round(f), { -0.0, 8388608, -8388608, big, inf, -inf, nan, -0.0, 0 })
    -- d = np.array([2**52 - 0.5, -(2**52 - 0.5), 1e300, -2.5, 0.5000000000000001])
    local d = arr({ 2 ^ 52 - 0.5, -(2 ^ 52 - 0.5), 1e300, -2.5, 0.5000000000000001 }, "float64")
    T.assert_equal(ht.floor(d), { 2 ^ 52 - 1, -2 ^ 52, 1e300, -3, 0 })
    T.assert_equal(ht.ceil(d), { 2 ^ 52, 1 - 2 ^ 52, 1e300, -2, 1 })
    T.assert_equal(ht.round(d), { 2 ^ 52, -2 ^ 52, 1e300, -2, 1 })
  end)

  it("round with decimals, and ints kept as they are", function()
    -- np.round(np.array([1.2345, -2.5678, 0.125]), 2); np.round(np.array([1234.5, -1250., 149.]), -2)
    T.assert_allclose(ht.round(arr({ 1.2345, -2.5678, 0.125 }, "float64", 0), 2),
                      { 1.23, -2.57, 0.12 }, 1e-15)
    T.assert_equal(ht.round(arr({ 1234.5, -1250, 149 }, "float64"), { decimals = -2 }),
                   { 1200, -1200, 100 })
    local i = arr({ -3, 7 }, "int16", 0)
    for _, op in ipairs { "floor", "ceil", "round" } do
      T.assert_equal(ht[op](i), { -3, 7 }) -- np.floor/ceil/round of int16 keep int16
      T.assert_dtype(ht[op](i), "int16")
    end
  end)

  it("isnan, isinf, isfinite, logical_not", function()
    -- w = np.array([1., nan, inf, -inf, 0.])
    local w = arr({ 1, nan, inf, -inf, 0 }, "float32", 0)
    T.assert_equal(ht.isnan(w), { false, true, false, false, false })
    T.assert_equal(ht.isinf(w), { false, false, true, true, false })
    T.assert_equal(ht.isfinite(w), { true, false, false, false, true })
    T.assert_equal(ht.logical_not(w), { false, false, false, false, true })
    local i = arr({ 0, 5 }, "int32", 0)
    T.assert_equal(ht.isnan(i), { false, false })
    T.assert_equal(ht.isfinite(i), { true, true })
    T.assert_equal(i:logical_not(), { true, false })
    T.assert_dtype(ht.isinf(i), "bool")
  end)

  it("accept numbers and tables", function()
    T.assert_equal(ht.sqrt(4), 2)                 -- np.sqrt(4)
    T.assert_equal(ht.abs({ -1, 2 }), { 1, 2 })
  end)
end)

describe("where and clip", function()
  it("where picks x or y and promotes them", function()
    -- np.where([True, False, True], np.array([1, 2, 3], np.int32), np.float32(0.5) * 3 ones)
    for _, s in ipairs(splits) do
      local c = arr({ true, false, true }, nil, sp(s))
      local r = ht.where(c, arr({ 1, 2, 3 }, "int32", sp(s)), arr({ 0.5, 0.5, 0.5 }, "float32"))
      T.assert_equal(r, { 1.0, 0.5, 3.0 })
      T.assert_dtype(r, "float64")
      T.assert_split(r, sp(s))
    end
    local x = arr({ { -1, 2 }, { 3, -4 } }, "float32", 0)
    T.assert_equal(ht.where(x:gt(0), x, 0), { { 0, 2 }, { 3, 0 } }) -- np.where(x > 0, x, 0)
    T.assert_dtype(ht.where(x:gt(0), x, 0), "float32")
    T.assert_equal(ht.where(arr({ 2, 0 }, "int32"), 1, 2), { 1, 2 }) -- truth of a non-bool cond
  end)

  it("clip to numbers, nil bounds, arrays of bounds", function()
    for _, s in ipairs(splits) do
      local x = arr({ -2, 0.5, 3 }, "float64", sp(s))
      T.assert_equal(ht.clip(x, 0, 1), { 0.0, 0.5, 1.0 })    -- np.clip(x, 0, 1)
      T.assert_equal(x:clip(nil, 1), { -2, 0.5, 1 })         -- np.clip(x, None, 1)
      T.assert_equal(x:clip(0), { 0, 0.5, 3 })                -- np.clip(x, 0, None)
      local i = arr({ -2, 1, 5 }, "int32", sp(s))
      T.assert_equal(i:clip(0.5, 3), { 0.5, 1.0, 3.0 })      -- np.clip(i, 0.5, 3)
      T.assert_dtype(i:clip(0.5, 3), "float64")
      T.assert_dtype(i:clip(0, 3), "int32")
    end
    T.assert_equal(arr({ -2, nan, 3 }, "float64", 0):clip(nil, 1), { -2, nan, 1 })
    T.assert_equal(arr({ -2, 0.5 }, "float32", 0):clip(nan, 1), { nan, nan }) -- a NaN bound
    T.assert_equal(arr({ -2, nan, 3 }, "float32", 0):clip(0, 1), { 0, nan, 1 })
    -- np.clip(np.arange(6).reshape(2, 3), [1, 1, 1], [[2], [4]])
    local m = arr({ { 0, 1, 2 }, { 3, 4, 5 } }, "int64", 0)
    T.assert_equal(m:clip(arr({ 1, 1, 1 }), arr({ { 2 }, { 4 } }, "int64", 0)),
                   { { 1, 1, 2 }, { 3, 4, 4 } })
  end)
end)

describe("broadcasting and splits", function()
  -- A = np.arange(3).reshape(3, 1); B = np.arange(4) * 10; A + B
  local AB = { { 0, 10, 20, 30 }, { 1, 11, 21, 31 }, { 2, 12, 22, 32 } }

  it("(3, 1) x (4,) -> (3, 4) for every split of both", function()
    for sa = -1, 1 do
      for sb = -1, 0 do
        local A, B = arr({ { 0 }, { 1 }, { 2 } }, "int64", sp(sa)), arr({ 0, 10, 20, 30 }, "int64", sp(sb))
        local r = A + B
        T.assert_equal(r, AB)
        -- A split 0 gives rows; A split along its broadcast axis 1 is replicated first,
        -- then B's split maps to output axis 1
        local want = sa == 0 and 0 or (sb == 0 and 1 or nil)
        T.assert_split(r, want)
        T.assert_equal(B + A, AB)
      end
    end
  end)

  it("split 0 with replicated, and split 0 with split 1", function()
    local M = arr({ { 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 8, 9, 10, 11 } }, "float64", 0)
    local mean = arr({ { 4, 5, 6, 7 } }, "float64") -- M.mean(0, keepdims=True)
    T.assert_equal(M - mean, { { -4, -4, -4, -4 }, { 0, 0, 0, 0 }, { 4, 4, 4, 4 } })
    T.assert_split(M - mean, 0)
    local M1 = arr({ { 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 8, 9, 10, 11 } }, "float64", 1)
    local r = M + M1 -- M1 is resplit to axis 0
    T.assert_equal(r, { { 0, 2, 4, 6 }, { 8, 10, 12, 14 }, { 16, 18, 20, 22 } })
    T.assert_split(r, 0)
    T.assert_split(M1 + M, 1)
    T.assert_equal(M1 + M, { { 0, 2, 4, 6 }, { 8, 10, 12, 14 }, { 16, 18, 20, 22 } })
  end)

  it("split 0 with split 0 of other counts", function()
    local counts = {}
    for r = 1, p do counts[r] = 0 end
    counts[p] = 5 -- every row on the last rank
    local a = arr({ 1, 2, 3, 4, 5 }, "int32", 0):redistribute(counts)
    local b = arr({ 10, 20, 30, 40, 50 }, "int32", 0)
    local r = a + b -- b moves to a's counts
    T.assert_equal(r, { 11, 22, 33, 44, 55 })
    local m = r.lshape_map
    assert.equal(5, m[p][1])
    T.assert_equal(b * a, { 10, 40, 90, 160, 250 })
  end)

  it("a split operand broadcast along its split axis", function()
    local row = arr({ { 1, 2, 3 } }, "int64", 0) -- (1, 3) split along a length-1 axis
    local col = arr({ { 10 }, { 20 } }, "int64") -- (2, 1)
    T.assert_equal(row + col, { { 11, 12, 13 }, { 21, 22, 23 } })
    T.assert_split(row + col, nil)
    local m = arr({ { 0, 0, 0 }, { 1, 1, 1 } }, "int64", 1)
    T.assert_equal(row * m, { { 0, 0, 0 }, { 1, 2, 3 } })
    T.assert_split(row * m, 1)
  end)

  it("empty arrays and ranks without rows", function()
    local e = ht.zeros({ 0, 3 }, { split = 0 })
    T.assert_shape(e + 1, { 0, 3 })
    T.assert_shape(ht.exp(e), { 0, 3 })
    T.assert_shape(e + arr({ 1, 2, 3 }, "float32", 0), { 0, 3 })
    local two = arr({ { 1, 2, 3 }, { 4, 5, 6 } }, "int32", 0) -- (2, 3): rank 2+ owns none
    T.assert_equal(two * arr({ 1, 0, -1 }, "int32"), { { 1, 0, -3 }, { 4, 0, -6 } })
    T.assert_equal(ht.where(two:gt(2), two, -1), { { -1, -1, 3 }, { 4, 5, 6 } })
    T.assert_equal(two:clip(2, 5), { { 2, 2, 3 }, { 4, 5, 5 } })
    T.assert_shape(ht.zeros({ 0 }) + ht.zeros({ 1 }), { 0 }) -- 0 against 1 broadcasts
  end)
end)

describe("errors", function()
  it("name the function and both shapes", function()
    T.assert_error(function() return ht.add(ht.zeros(3), ht.zeros(4)) end,
                   "ht.add: shapes (3,) and (4,) cannot be broadcast")
    T.assert_error(function() return ht.zeros({ 2, 3 }, { split = 0 }) * ht.zeros(2) end,
                   "ht.mul: shapes (2, 3) and (2,) cannot be broadcast")
    T.assert_error(function() return ht.where(ht.zeros(3), ht.zeros(4), ht.zeros(5)) end,
                   "ht.where: shapes (3,), (4,) and (5,) cannot be broadcast")
  end)

  it("reject operands of the wrong type", function()
    T.assert_error(function() return ht.add(ht.zeros(3), "a") end, "ht.add: ")
    T.assert_error(function() return ht.add(ht.zeros(3), "a") end, "string")
    T.assert_error(function() return ht.exp() end, "ht.exp: ")
  end)

  it("refuse boolean negative and subtract like NumPy", function()
    T.assert_error(function() return -arr({ true }) end, "ht.neg: boolean negative is not supported")
    T.assert_error(function() return arr({ true }) - arr({ false }) end,
                   "ht.sub: boolean subtract is not supported")
  end)
end)
