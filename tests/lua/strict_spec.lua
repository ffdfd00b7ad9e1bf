-- Issue 12: no wrong result and no crash on any input. Shapes whose size overflows,
-- allocations past the machine's memory, dtype inference, strict arguments, NumPy 2's
-- integer edge cases: each case here gave a wrong result, a crash or a silent default.
local ht = require "heat"
local T = require "heat.testing"

local p = ht.nprocs()

describe("shape sizes", function()
  it("overflowing products are 'array is too big' (NumPy) on every rank", function()
    -- np.zeros((2**32, 2**32)): ValueError: array is too big; ...
    T.assert_error(function() ht.zeros({2 ^ 32, 2 ^ 32}) end, "ht.zeros: array is too big")
    T.assert_error(function() ht.zeros({2 ^ 32, 2 ^ 32 + 1}, {split = 0}) end,
                   "ht.zeros: array is too big")
    T.assert_error(function() ht.ones({2 ^ 52, 2 ^ 10}, {dtype = "float64"}) end, "array is too big")
    T.assert_error(function() ht.empty({2 ^ 31, 2 ^ 31, 2 ^ 2}) end, "array is too big")
    T.assert_error(function() ht.full({2 ^ 40, 2 ^ 40}, 1, {split = 1}) end, "array is too big")
    T.assert_error(function() ht.random.rand(2 ^ 32, 2 ^ 32) end, "array is too big")
    -- a zero dimension makes any product fit: np.zeros((0, 2**62)) is fine
    T.assert_shape(ht.zeros({0, 2 ^ 52}), {0, 2 ^ 52})
  end)

  it("an allocation past the machine's memory is one clear error everywhere", function()
    -- 2^40 float32 elements = 4 TiB: representable, but more than this machine holds
    T.assert_error(function() ht.zeros({2 ^ 20, 2 ^ 20}, {split = 0}) end, "exceeds the memory")
    T.assert_error(function() ht.zeros({2 ^ 20, 2 ^ 20}) end, "exceeds the memory")
    -- and the job goes on: a collective after the error works on every rank
    assert.are.equal(p * 2, ht.ones({p, 2}, {split = 0}):sum():item())
  end)
end)

describe("ht.array dtype inference", function()
  it("inf, nan, |x| >= 2^63 and fractions make float arrays, never INT64_MIN", function()
    local x = ht.array({1, 1 / 0, 2}, {split = 0})
    T.assert_dtype(x, "float32") -- float32 as Heat's default float
    assert.are.equal(1 / 0, x:max():item()) -- np.array([1, inf, 2]).max()
    local s = ht.array({1 / 0, -1 / 0}):sum():item()
    assert.is_true(s ~= s) -- np.array([inf, -inf]).sum(): nan
    assert.are.equal(1 / 0, ht.array(1 / 0):item())
    -- 1e300 does not fit float32: float64 keeps it (np.array([1e300, 2]).dtype is float64)
    local big = ht.array({1e300, 2}, {split = 0})
    T.assert_dtype(big, "float64")
    assert.are.equal(1e300, big:max():item())
    T.assert_dtype(ht.array({2 ^ 63, 1}), "float32")
    T.assert_dtype(ht.array({0 / 0}), "float32")
    T.assert_dtype(ht.array({-2 ^ 62, 3}), "int64") -- exact integers stay int64
    T.assert_equal(ht.array({-2 ^ 62, 3}), {-2 ^ 62, 3})
    -- -0.0 is a float: np.array([-0.0, 1, -2]).dtype is float64 and the sign survives
    local z = ht.array({-0.0, 1, -2}, {split = 0})
    T.assert_dtype(z, "float32")
    assert.are.equal("-0", tostring(z:sort()[1]:item()))
    T.assert_dtype(ht.array({0.0, 1}), "int64") -- +0.0 is the integer 0 (LuaJIT cannot tell 0.0 from 0)
  end)

  it("a Lua number that is not an integer makes integer arrays float64 (NEP 50)", function()
    local a = ht.arange(3, {split = 0}) -- int32
    T.assert_dtype(a + 1 / 0, "float64") -- (np.arange(3, dtype=np.int32) + np.inf).dtype
    T.assert_equal(a + 1 / 0, {1 / 0, 1 / 0, 1 / 0})
    T.assert_dtype(a * 1e300, "float64")
    T.assert_dtype(a + -0.0, "float64") -- (np.arange(3, dtype=np.int32) + -0.0).dtype
  end)
end)

describe("positional arguments are used or rejected, never ignored", function()
  it("a dtype in the options position is NumPy's positional dtype", function()
    T.assert_dtype(ht.zeros({3}, ht.int32), "int32")
    T.assert_dtype(ht.full({2}, 7, ht.int16), "int16")
    T.assert_equal(ht.full({2}, 7, ht.int16), {7, 7}) -- np.full(2, 7, np.int16)
    T.assert_dtype(ht.array({1, 2}, ht.float64), "float64")
    T.assert_dtype(ht.arange(4, "int64"), "int64")
    T.assert_dtype(ht.ones_like(ht.zeros(2), "uint8"), "uint8")
  end)

  it("a shape given as several numbers is an error naming the table form", function()
    T.assert_error(function() ht.zeros(3, 4) end, "ht.zeros: argument #2 must be the options table")
    T.assert_error(function() ht.ones(3, 4) end, "e.g. {3, 4}")
    T.assert_error(function() ht.full({2}, 7, {}, 1) end, "ht.full: too many arguments")
    T.assert_error(function() ht.array({1}, ht.float64, 0) end, "ht.array: too many arguments")
    T.assert_error(function() ht.add(ht.ones(2), 1, 2) end, "ht.add: takes two operands")
    T.assert_error(function() ht.exp(ht.ones(2), 1) end, "ht.exp: takes one operand")
    T.assert_error(function() ht.concatenate({ht.ones(2)}, 0, 1) end,
                   "ht.concatenate: takes at most 2 positional arguments")
    T.assert_error(function() ht.where(ht.ones(2):gt(0), 1, 2, 3) end, "ht.where: takes cond, x and y")
    assert.are.equal(-2, (-ht.ones(2, {split = 0})):sum():item()) -- __unm still works
  end)
end)

describe("unknown option names are errors", function()
  local x = ht.array({3, 1, 2}, {split = 0})
  local cases = {
    {"zeros", function() return ht.zeros(3, {splt = 0}) end},
    {"arange", function() return ht.arange(6, {splt = 0}) end},
    {"linspace", function() return ht.linspace(0, 1, 5, {endpont = false}) end},
    {"eye", function() return ht.eye(3, {kk = 1}) end},
    {"array", function() return ht.array({1, 2}, {dtpye = "int32"}) end},
    {"zeros_like", function() return ht.zeros_like(x, {splt = 0}) end},
    {"random.rand", function() return ht.random.rand(3, {splt = 0}) end},
    {"random.normal", function() return ht.random.normal(0, 1, 3, {sd = 2}) end},
    {"random.randint", function() return ht.random.randint(0, 5, 3, {dtyp = "int64"}) end},
    {"sort", function() return x:sort{descend = true} end},
    {"argsort", function() return ht.argsort(x, {descend = true}) end},
    {"unique", function() return ht.unique(x, {return_inverses = true}) end},
    {"topk", function() return ht.topk(x, 2, {largets = false}) end},
    {"cumsum", function() return ht.cumsum(x, {axs = 0}) end},
    {"diff", function() return ht.diff(x, {nn = 2}) end},
    {"concatenate", function() return ht.concatenate({x, x}, {axes = 0}) end},
    {"reshape", function() return ht.reshape(x, {3}, {newsplit = 0}) end},
    {"pad", function() return ht.pad(x, {1, 1}, {constant_value = 2}) end},
    {"round", function() return ht.round(x, {decimal = 1}) end},
    {"add", function() return ht.add(x, x, {where = x}) end},
  }
  for _, c in ipairs(cases) do
    it(c[1], function() T.assert_error(c[2], "ht." .. c[1] .. ": unknown option") end)
  end
  it("name the valid options", function()
    T.assert_error(function() x:sort{descend = true} end, "(options: axis, descending)")
    -- and the right spelling works: sort descending, np.sort(x)[::-1]
    T.assert_equal((x:sort{descending = true}), {3, 2, 1})
  end)
end)

describe("integer edge cases (NumPy 2)", function()
  it("an out-of-range Lua integer next to an integer array raises (NEP 50)", function()
    local a = ht.array({1, 2}, {dtype = "int8", split = 0})
    -- np.array([1, 2], np.int8) + 300: OverflowError: Python integer 300 out of bounds for int8
    T.assert_error(function() return a + 300 end, "ht.add: Lua integer 300 is out of bounds for int8")
    T.assert_error(function() return ht.array({1}, {dtype = "uint8"}) - -1 end, "out of bounds for uint8")
    T.assert_equal(a + 100, {101, 102}) -- in range: int8 kept
    T.assert_dtype(a + 100, "int8")
    -- comparisons stay exact: np.array([1, 2], np.int8) < -300 is [False, False]
    T.assert_equal(a:lt(-300), {false, false})
    T.assert_equal(a:gt(-300), {true, true})
  end)

  it("integer division and modulo by zero give 0, as NumPy (which also warns)", function()
    local a = ht.array({1, 2, -3}, {dtype = "int32", split = 0})
    T.assert_equal(ht.floor_divide(a, 0), {0, 0, 0}) -- np.array([1, 2, -3], np.int32) // 0
    T.assert_equal(ht.remainder(a, 0), {0, 0, 0}) -- np.array([1, 2, -3], np.int32) % 0
    T.assert_equal(ht.floor_divide(a, ht.zeros(3, {dtype = "int32", split = 0})), {0, 0, 0})
  end)
end)

describe("the distributed sort", function()
  it("keeps -0.0 at every rank count, in NumPy's stable order", function()
    for _, dtype in ipairs({"float32", "float64"}) do
      for _, split in ipairs({false, 0}) do
        local x = ht.array({1.0, -0.0, -2.0, 0.0, -0.0}, {dtype = dtype, split = split or nil})
        local v, i = x:sort()
        -- np.sort([1., -0., -2., 0., -0.]): [-2., -0., 0., -0., 1.]; argsort(kind='stable'): [2, 1, 3, 4, 0]
        local t = v:totable()
        local signs = {}
        for k = 1, #t do signs[k] = 1 / t[k] end
        assert.are.same({-0.5, -1 / 0, 1 / 0, -1 / 0, 1}, signs)
        T.assert_equal(i, {2, 1, 3, 4, 0})
      end
    end
  end)
end)

describe("numbers stored into integer arrays (NumPy converts them with int())", function()
  it("NaN, infinities and out-of-range values raise; fractions truncate", function()
    local x = ht.arange(4 * p, {split = 0, dtype = "int64"})
    -- a = np.arange(4); a[1] = np.nan: ValueError: cannot convert float NaN to integer
    T.assert_error(function() x[1] = 0 / 0 end, "ht.setitem: cannot convert float NaN to integer")
    -- a[1] = np.inf / -np.inf: OverflowError: cannot convert float infinity to integer
    T.assert_error(function() x[1] = 1 / 0 end, "cannot convert float infinity to integer")
    T.assert_error(function() x["0:2"] = -1 / 0 end, "cannot convert float infinity to integer")
    -- a[1] = 1e300 / 9.3e18: OverflowError (Python int too large to convert to C long)
    T.assert_error(function() x[-1] = 1e300 end, "Lua number 1e+300 is out of bounds for int64")
    T.assert_error(function() x[1] = 9.3e18 end, "out of bounds for int64")
    T.assert_error(function() x["1:3"] = {1, 0 / 0} end, "cannot convert float NaN to integer")
    -- np.zeros(2, np.uint8)[0] = -3.9: int(-3.9) = -3 is out of bounds for uint8
    local u = ht.zeros({2}, {dtype = "uint8"})
    T.assert_error(function() u[0] = -3.9 end, "out of bounds for uint8")
    -- nothing was written, and fractions truncate: a[1] = 2.7; a[2] = -2.7 -> [0, 2, -2, 3, ...]
    x[1], x[2] = 2.7, -2.7
    local t = x:totable()
    assert.are.same({0, 2, -2, 3}, {t[1], t[2], t[3], t[4]})
    assert.are.equal((4 * p - 1) * 4 * p / 2 + 1 - 4, x:sum():item()) -- 2 for 1, -2 for 2
    -- floats take NaN as it is
    local f = ht.zeros({2 * p}, {split = 0})
    f[0] = 0 / 0
    assert.is_true(f:sum():item() ~= f:sum():item())
  end)

  it("ht.array with an integer dtype checks every number the same way", function()
    -- np.array([1, np.nan], dtype=np.int64): ValueError: cannot convert float NaN to integer
    T.assert_error(function() ht.array({1, 0 / 0}, {dtype = "int64"}) end,
                   "ht.array: cannot convert float NaN to integer")
    T.assert_error(function() ht.array({{1}, {1 / 0}}, {dtype = "int32", split = 0}) end,
                   "cannot convert float infinity to integer")
    -- np.array([300.0], dtype=np.int8): OverflowError: Python integer 300 out of bounds for int8
    T.assert_error(function() ht.array({300.0}, {dtype = "int8"}) end, "out of bounds for int8")
    -- np.array([2.7, -2.7], dtype=np.int32): [2, -2]
    assert.are.same({2, -2}, ht.array({2.7, -2.7}, {dtype = "int32", split = 0}):totable())
  end)
end)
