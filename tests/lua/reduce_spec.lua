-- Reductions: sum prod mean var std min max argmin argmax all any over every axis set,
-- keepdims, replicated and split inputs (ranks with no rows included), NumPy's result
-- dtypes, NaN, ties, empty arrays and accuracy. Values from NumPy 2.4: the expression that
-- produced each is beside it.
local ht = require "heat"
local T = require "heat.testing"

local nan = 0 / 0

local function arr(t, dtype, split)
  return ht.array(t, { dtype = dtype, split = split })
end

-- A = np.array([[1.5, -2., 3.25, 0.], [4., 5.5, -6., 7.], [-8., 9., 10.5, 1.]])
local A = { { 1.5, -2, 3.25, 0 }, { 4, 5.5, -6, 7 }, { -8, 9, 10.5, 1 } }
local want = {
  sum = {
    all = 25.75,                       -- np.sum(A)
    a0 = { -2.5, 12.5, 7.75, 8.0 },    -- np.sum(A, axis=0)
    a1 = { 2.75, 10.5, 12.5 },         -- np.sum(A, axis=1)
  },
  prod = {
    all = -0.0,                                 -- np.prod(A)
    a0 = { -48.0, -99.0, -204.75, 0.0 },        -- np.prod(A, axis=0)
    a1 = { -0.0, -924.0, -756.0 },              -- np.prod(A, axis=1)
  },
  mean = {
    all = 2.1458333333333335,                   -- np.mean(A)
    a0 = { -0.8333333333333334, 4.166666666666667, 2.5833333333333335, 2.6666666666666665 },
    a1 = { 0.6875, 2.625, 3.125 },              -- np.mean(A, axis=1)
  },
  var = {
    all = 29.08810763888889,                    -- np.var(A)
    a0 = { 26.722222222222225, 21.055555555555554, 45.59722222222222, 9.555555555555557 },
    a1 = { 3.73046875, 25.921875, 54.296875 },  -- np.var(A, axis=1)
  },
  std = {
    all = 5.393339191900402,                    -- np.std(A)
    a0 = { 5.169354139756941, 4.588633299312068, 6.752571526627632, 3.091206165165235 },
    a1 = { 1.9314421425453054, 5.091352963604075, 7.368641326594748 }, -- np.std(A, axis=1)
  },
  min = {
    all = -8.0,                        -- np.min(A)
    a0 = { -8.0, -2.0, -6.0, 0.0 },    -- np.min(A, axis=0)
    a1 = { -2.0, -6.0, -8.0 },         -- np.min(A, axis=1)
  },
  max = {
    all = 10.5,                        -- np.max(A)
    a0 = { 4.0, 9.0, 10.5, 7.0 },      -- np.max(A, axis=0)
    a1 = { 3.25, 7.0, 10.5 },          -- np.max(A, axis=1)
  },
  argmin = {
    all = 8,                           -- np.argmin(A)
    a0 = { 2, 0, 1, 0 },               -- np.argmin(A, axis=0)
    a1 = { 1, 2, 0 },                  -- np.argmin(A, axis=1)
  },
  argmax = {
    all = 10,                          -- np.argmax(A)
    a0 = { 1, 2, 2, 1 },               -- np.argmax(A, axis=0)
    a1 = { 2, 3, 2 },                  -- np.argmax(A, axis=1)
  },
}
-- mean a0: np.mean(A, axis=0); var a0: np.var(A, axis=0); std a0: np.std(A, axis=0)
local ops = { "sum", "prod", "mean", "var", "std", "min", "max", "argmin", "argmax" }
local inexact = { mean = true, var = true, std = true }

local function check(r, w, op)
  if inexact[op] then T.assert_allclose(r, w, 1e-12) else T.assert_equal(r, w) end
end

-- wraps each value of a 1-d expected table for keepdims along `axis` of a 2-d result
local function keep(w, axis)
  if type(w) ~= "table" then return { { w } } end
  if axis == 0 then return { w } end
  local t = {}
  for i, v in ipairs(w) do t[i] = { v } end
  return t
end

describe("reductions of a (3, 4) float64 array", function()
  for _, s in ipairs { "none", 0, 1 } do
    local split = s ~= "none" and s or nil
    it("every op over every axis set, split " .. tostring(s), function()
      local x = arr(A, "float64", split)
      for _, op in ipairs(ops) do
        local w = want[op]
        local idx = (op == "argmin" or op == "argmax") and "int64" or "float64"
        -- no axis: a replicated 0-d array
        local r = ht[op](x)
        check(r, w.all, op)
        T.assert_dtype(r, idx)
        T.assert_split(r, nil)
        -- axis 0: the split axis moves down by one, or goes when reduced
        r = x[op](x, 0)
        check(r, w.a0, op)
        T.assert_split(r, split == 1 and 0 or nil)
        r = ht[op](x, -2, { keepdims = true })
        check(r, keep(w.a0, 0), op)
        T.assert_split(r, split == 1 and 1 or nil)
        -- axis 1
        r = x[op](x, { axis = 1 })
        check(r, w.a1, op)
        T.assert_split(r, split == 0 and 0 or nil)
        r = x[op](x, { axis = -1, keepdims = true })
        check(r, keep(w.a1, 1), op)
        T.assert_split(r, split == 0 and 0 or nil)
        -- both axes as a table: the same as none
        if idx == "float64" then
          r = ht[op](x, { 0, 1 })
          check(r, w.all, op)
          T.assert_split(r, nil)
          r = ht[op](x, { 1, -2 }, { keepdims = true })
          check(r, { { w.all } }, op)
        end
      end
    end)
  end

  it("float32 stays float32", function()
    for _, split in ipairs { 0, 1 } do
      local x = arr(A, "float32", split)
      for _, op in ipairs { "sum", "prod", "mean", "var", "std", "min", "max" } do
        T.assert_dtype(x[op](x, 0), "float32")
        T.assert_dtype(x[op](x), "float32")
      end
      -- np.var(A.astype(np.float32), axis=0)
      T.assert_allclose(x:var(0), { 26.72222328186035, 21.05555534362793, 45.59721755981445,
        9.555554389953613 }, 1e-6)
      T.assert_equal(x:sum(1), { 2.75, 10.5, 12.5 }) -- np.sum(A.astype(np.float32), axis=1)
      T.assert_equal(x:argmax(), 10)                 -- np.argmax(A.astype(np.float32))
    end
  end)

  it("var and std with ddof", function()
    for _, split in ipairs { 0, 1 } do
      local x = arr(A, "float64", split)
      -- np.var(A, axis=0, ddof=1)
      T.assert_allclose(x:var(0, { ddof = 1 }),
        { 40.083333333333336, 31.583333333333332, 68.39583333333333, 14.333333333333336 }, 1e-12)
      -- np.std(A, axis=1, ddof=1)
      T.assert_allclose(ht.std(x, { axis = 1, ddof = 1 }),
        { 2.2302372818454392, 5.878988008152423, 8.508574106942557 }, 1e-12)
      T.assert_allclose(x:var { ddof = 1 }, 31.732481060606062, 1e-12) -- np.var(A, ddof=1)
      -- np.var([1.5, -2.], ddof=3): N - ddof <= 0 divides by 0, so inf (NumPy warns)
      T.assert_equal(arr({ 1.5, -2 }, "float64", 0):var { ddof = 3 }, math.huge)
      T.assert_equal(arr({ 1.5 }, "float64", 0):var { ddof = 1 }, nan) -- 0 / 0
    end
  end)

  it("views: a transposed split array", function()
    local x = arr(A, "float64", 0).T -- (4, 3), split 1, strides swapped
    T.assert_equal(x:sum(0), { 2.75, 10.5, 12.5 })              -- np.sum(A.T, axis=0)
    T.assert_equal(x:sum(1), { -2.5, 12.5, 7.75, 8.0 })         -- np.sum(A.T, axis=1)
    T.assert_equal(x:argmax(), 8)                               -- np.argmax(A.T)
    T.assert_equal(x:argmin(), 2)                               -- np.argmin(A.T)
    T.assert_equal(x:argmin(1), { 2, 0, 1, 0 })                 -- np.argmin(A.T, axis=1)
    T.assert_allclose(x:var(1), want.var.a0, 1e-12)             -- np.var(A.T, axis=1)
  end)
end)

describe("reductions of a 3-d int32 array", function()
  -- B = (np.arange(24).reshape(2, 3, 4) % 7 - 3).astype(np.int32)
  local B = { { { -3, -2, -1, 0 }, { 1, 2, 3, -3 }, { -2, -1, 0, 1 } },
              { { 2, 3, -3, -2 }, { -1, 0, 1, 2 }, { 3, -3, -2, -1 } } }
  for _, s in ipairs { "none", 0, 1, 2 } do
    local split = s ~= "none" and s or nil
    it("axes sets, result dtypes and splits, split " .. tostring(s), function()
      local x = arr(B, "int32", split)
      local function moved(kept) -- where the split goes when the axes in `kept` stay
        if split == nil then return nil end
        return kept[split]
      end
      local r = x:sum { axis = { 0, 2 } }
      T.assert_equal(r, { -6, 5, -5 })                          -- B.sum(axis=(0, 2))
      T.assert_dtype(r, "int64")
      T.assert_split(r, moved { [1] = 0 })
      r = ht.max(x, 1)
      T.assert_equal(r, { { 1, 2, 3, 1 }, { 3, 3, 1, 2 } })     -- B.max(axis=1)
      T.assert_dtype(r, "int32")
      T.assert_split(r, moved { [0] = 0, [2] = 1 })
      r = x:argmax(2)
      T.assert_equal(r, { { 3, 2, 3 }, { 1, 3, 0 } })           -- B.argmax(axis=2)
      T.assert_split(r, moved { [0] = 0, [1] = 1 })
      r = x:mean(0)                                             -- B.mean(axis=0), float64
      T.assert_equal(r, { { -0.5, 0.5, -2.0, -1.0 }, { 0.0, 1.0, 2.0, -0.5 },
                          { 0.5, -2.0, -1.0, 0.0 } })
      T.assert_dtype(r, "float64")
      T.assert_split(r, moved { [1] = 0, [2] = 1 })
      T.assert_equal(x:argmin(), 0)                             -- B.argmin()
      T.assert_equal(x:argmax(), 6)                             -- B.argmax()
      r = x:sum(-1, { keepdims = true })
      T.assert_equal(r, { { { -6 }, { 3 }, { -2 } }, { { 0 }, { 2 }, { -3 } } }) -- keepdims=True
      T.assert_split(r, moved { [0] = 0, [1] = 1 })
      T.assert_equal(x:prod(1), { { 6, 4, 0, 0 }, { -6, 0, 6, 4 } }) -- B.prod(axis=1)
    end)
  end
end)

describe("result dtypes of bool and integer inputs", function()
  it("bool: all, any, sum, mean, max", function()
    -- C = np.array([[True, False, True], [True, True, True]])
    local C = { { true, false, true }, { true, true, true } }
    for _, split in ipairs { false, 0, 1 } do
      local x = ht.array(C, { split = split or nil })
      T.assert_dtype(x, "bool")
      T.assert_equal(ht.all(x), false)                       -- C.all()
      T.assert_equal(x:all(0), { true, false, true })        -- C.all(axis=0)
      T.assert_equal(x:all(1), { false, true })              -- C.all(axis=1)
      T.assert_equal(x:any(0), { true, true, true })         -- C.any(axis=0)
      T.assert_dtype(x:any(0), "bool")
      T.assert_equal(x:sum(), 5)                             -- C.sum(), int64
      T.assert_dtype(x:sum(), "int64")
      T.assert_equal(x:sum(0), { 2, 1, 2 })                  -- C.sum(axis=0)
      T.assert_allclose(x:mean(), 0.8333333333333334, 1e-15) -- C.mean(), float64
      T.assert_dtype(x:mean(), "float64")
      T.assert_equal(x:max(1), { true, true })               -- C.max(axis=1)
      T.assert_dtype(x:max(1), "bool")
    end
  end)

  it("small ints sum and multiply in int64", function()
    -- U = np.array([200, 100, 50], np.uint8): U.sum() = 350 (NumPy: uint64, here int64:
    -- there is no uint64), U.prod() = 1000000, U.mean() = 116.66666666666667, U.max() = 200
    local u = arr({ 200, 100, 50 }, "uint8", 0)
    T.assert_equal(u:sum(), 350)
    T.assert_dtype(u:sum(), "int64")
    T.assert_equal(u:prod(), 1000000)
    T.assert_allclose(u:mean(), 116.66666666666667, 1e-15)
    T.assert_equal(u:max(), 200)
    T.assert_dtype(u:max(), "uint8")
    -- I8 = np.array([[100, 100], [100, -128]], np.int8): I8.sum(axis=0) = [200, -28],
    -- I8.prod(axis=1) = [10000, -12800], both int64
    for _, split in ipairs { 0, 1 } do
      local i8 = arr({ { 100, 100 }, { 100, -128 } }, "int8", split)
      T.assert_equal(i8:sum(0), { 200, -28 })
      T.assert_equal(i8:prod(1), { 10000, -12800 })
      T.assert_dtype(i8:prod(1), "int64")
      T.assert_dtype(i8:mean(1), "float64")
    end
  end)

  it("int64 sums are exact past 2^53", function()
    -- np.array([2**53, 1, 1], np.int64).sum() = 9007199254740994 (exact in int64; as a
    -- double sum 2^53 + 1 + 1 would give 2^53)
    local x = arr({ 2 ^ 53, 1, 1 }, "int64", 0)
    T.assert_equal(x:sum(), 2 ^ 53 + 2)
  end)
end)

describe("ranks without rows", function()
  -- D = np.array([[1., 2., 3.], [4., 5., 6.]]) split along its 2 rows: at 3 and 4 ranks
  -- some ranks hold none and must contribute the identity
  local D = { { 1, 2, 3 }, { 4, 5, 6 } }
  it("every op along and across the split", function()
    for _, dtype in ipairs { "float64", "int32" } do
      local x = arr(D, dtype, 0)
      T.assert_equal(x:sum(), 21)                          -- D.sum()
      T.assert_equal(x:sum(0), { 5, 7, 9 })                -- D.sum(axis=0)
      T.assert_equal(x:sum(1), { 6, 15 })                  -- D.sum(axis=1)
      T.assert_split(x:sum(1), 0)
      T.assert_equal(x:prod(0), { 4, 10, 18 })             -- D.prod(axis=0)
      T.assert_equal(x:argmax(0), { 1, 1, 1 })             -- D.argmax(axis=0)
      T.assert_equal(x:argmax(), 5)                        -- D.argmax()
      T.assert_equal(x:argmin(), 0)                        -- D.argmin()
      T.assert_equal(x:var(0), { 2.25, 2.25, 2.25 })       -- D.var(axis=0)
      T.assert_equal(x:mean(1), { 2, 5 })                  -- D.mean(axis=1)
      T.assert_equal(x:min(0), { 1, 2, 3 })                -- D.min(axis=0)
      T.assert_equal(x:max(), 6)                           -- D.max()
      T.assert_equal(x:all(), true)                        -- D.all()
      T.assert_equal(ht.any(x, 0), { true, true, true })   -- D.any(axis=0)
    end
  end)
end)

describe("NaN", function()
  it("propagates through min, max, argmin, argmax, sum and mean", function()
    -- N = np.array([1., nan, 3., nan], np.float32)
    for _, split in ipairs { false, 0 } do
      local x = arr({ 1, nan, 3, nan }, "float32", split or nil)
      T.assert_equal(x:min(), nan)       -- N.min()
      T.assert_equal(x:max(), nan)       -- N.max()
      T.assert_equal(x:argmin(), 1)      -- N.argmin(): the first NaN
      T.assert_equal(x:argmax(), 1)      -- N.argmax()
      T.assert_equal(x:sum(), nan)       -- N.sum()
      T.assert_equal(x:mean(), nan)      -- N.mean()
      T.assert_equal(x:all(), true)      -- N.all(): NaN is nonzero
      T.assert_equal(x:any(), true)      -- N.any()
    end
  end)

  it("per axis, along and across the split", function()
    -- M = np.array([[3., 1.], [nan, 5.], [2., nan]])
    local M = { { 3, 1 }, { nan, 5 }, { 2, nan } }
    for _, split in ipairs { false, 0, 1 } do
      local x = arr(M, "float64", split or nil)
      T.assert_equal(x:min(0), { nan, nan })      -- M.min(axis=0)
      T.assert_equal(x:argmax(0), { 1, 2 })       -- M.argmax(axis=0)
      T.assert_equal(x:argmin(1), { 1, 0, 1 })    -- M.argmin(axis=1)
      T.assert_equal(x:max(1), { 3, nan, nan })   -- M.max(axis=1)
    end
  end)
end)

describe("argmin and argmax ties", function()
  it("go to the first occurrence, in C order of the global array", function()
    -- Q = np.array([[3, 1, 3], [3, 3, 2], [0, 3, 3], [1, 0, 0]])
    local Q = { { 3, 1, 3 }, { 3, 3, 2 }, { 0, 3, 3 }, { 1, 0, 0 } }
    for _, split in ipairs { false, 0, 1 } do
      local x = arr(Q, "int64", split or nil)
      T.assert_equal(x:argmax(), 0)                  -- Q.argmax()
      T.assert_equal(x:argmax(0), { 0, 1, 0 })       -- Q.argmax(axis=0)
      T.assert_equal(x:argmax(1), { 0, 0, 1, 0 })    -- Q.argmax(axis=1)
      T.assert_equal(x:argmin(), 6)                  -- Q.argmin()
      T.assert_equal(x:argmin(0), { 2, 3, 3 })       -- Q.argmin(axis=0)
      T.assert_equal(x:argmin(1), { 1, 2, 0, 1 })    -- Q.argmin(axis=1)
    end
  end)
end)

describe("empty arrays", function()
  -- E = np.zeros((0, 3))
  for _, split in ipairs { false, 0, 1 } do
    it("have identities, NaN means and errors like NumPy, split " .. tostring(split), function()
      local x = ht.zeros({ 0, 3 }, { dtype = "float64", split = split or nil })
      T.assert_equal(x:sum(0), { 0, 0, 0 })          -- E.sum(axis=0)
      T.assert_equal(x:sum(), 0)                     -- E.sum()
      T.assert_equal(x:prod(0), { 1, 1, 1 })         -- E.prod(axis=0)
      T.assert_shape(x:sum(1), { 0 })                -- E.sum(axis=1).shape
      T.assert_equal(x:all(), true)                  -- E.all()
      T.assert_equal(x:any(), false)                 -- E.any()
      T.assert_shape(x:max(1), { 0 })                -- E.max(axis=1).shape: no error
      T.assert_equal(x:mean(0), { nan, nan, nan })   -- E.mean(axis=0)
      T.assert_equal(x:mean(), nan)                  -- E.mean()
      T.assert_equal(x:var(0), { nan, nan, nan })    -- E.var(axis=0)
      T.assert_error(function() return x:min(0) end,
        "ht.min: zero-size array to reduction operation minimum which has no identity")
      T.assert_error(function() return x:max() end,
        "ht.max: zero-size array to reduction operation maximum which has no identity")
      T.assert_error(function() return x:argmax() end,
        "ht.argmax: attempt to get argmax of an empty sequence")
      T.assert_error(function() return x:argmin(0) end,
        "ht.argmin: attempt to get argmin of an empty sequence")
    end)
  end
end)

describe("accuracy", function()
  it("sums 10^7 float32 values like the exact float64 answer", function()
    -- 10^7 * np.float64(np.float32(0.1)) = 1000000.0149011612, as float32 1000000.0
    -- (NumPy's pairwise float32 sum gives 1000000.06)
    local x = ht.full({ 10000000 }, 0.1, { dtype = "float32", split = 0 })
    local s = x:sum()
    T.assert_dtype(s, "float32")
    assert.are.equal(1000000, s:item())
    -- the mean: 1000000.0149011612 / 10^7 as float32 = np.float32(0.1)
    assert.are.equal(0.10000000149011612, x:mean():item())
  end)
end)

describe("the Lua API", function()
  it("axis positional, as a table, or in the options", function()
    local x = arr(A, "float64", 0)
    local w = want.sum.a0
    T.assert_equal(ht.sum(x, 0), w)
    T.assert_equal(x:sum(0), w)
    T.assert_equal(x:sum { axis = 0 }, w)
    T.assert_equal(ht.sum(x, { axis = 0 }), w)
    T.assert_equal(x:sum({ 0 }), w)
    T.assert_equal(x:sum(nil, { axis = 0 }), w)
    T.assert_equal(x:sum(0, { keepdims = true }), { w })
    T.assert_equal(x:sum(nil, { keepdims = true }), { { 25.75 } }) -- np.sum(A, keepdims=True)
  end)

  it("amin and amax are min and max; ht.all is also the slice marker", function()
    local x = arr(A, "float64", 1)
    T.assert_equal(ht.amin(x, 0), want.min.a0)
    T.assert_equal(x:amax(1), want.max.a1)
    T.assert_equal(ht.all(x:gt(-100)), true)
    T.assert_equal(ht.any(x, 1), { true, true, true })
  end)

  it("accepts Lua numbers and tables", function()
    T.assert_equal(ht.sum { { 1, 2 }, { 3, 4 } }, 10)   -- np.sum([[1, 2], [3, 4]])
    T.assert_equal(ht.max({ { 1, 2 }, { 3, 4 } }, 0), { 3, 4 })
    T.assert_equal(ht.mean(4), 4)
  end)

  it("names the function, the axis and the dimension in errors", function()
    local x = arr(A, "float64", 0)
    T.assert_error(function() return x:sum(2) end,
      "ht.sum: axis 2 is out of bounds for array of dimension 2")
    T.assert_error(function() return ht.mean(x, -3) end,
      "ht.mean: axis -3 is out of bounds for array of dimension 2")
    T.assert_error(function() return x:max { axis = { 0, 2 } } end,
      "ht.max: axis 2 is out of bounds for array of dimension 2")
    T.assert_error(function() return x:sum { 0, 0 } end, "ht.sum: duplicate value in 'axis'")
    T.assert_error(function() return x:prod { 1, -1 } end, "ht.prod: duplicate value in 'axis'")
    T.assert_error(function() return x:argmax { 0, 1 } end,
      "ht.argmax: expected at most one axis, got 2")
    T.assert_error(function() return x:sum(0, { axis = 1 }) end,
      "ht.sum: got multiple values for argument 'axis'")
    T.assert_error(function() return x:sum(0.5) end, "ht.sum: axis must be an integer")
    T.assert_error(function() return x:var(0, { ddof = 0.5 }) end,
      "ht.var: ddof must be an integer")
    T.assert_error(function() return x:sum { dtype = "float32" } end,
      "ht.sum: unexpected option 'dtype'")
    T.assert_error(function() return x:mean(0, { ddof = 1 }) end,
      "ht.mean: unexpected option 'ddof'")
  end)
end)
