-- Matrix products: ht.matmul, x:matmul, ht.linalg.matmul, ht.dot for 1-D and 2-D operands
-- at every pair of splits (ranks without rows or columns, unbalanced counts), Heat's result
-- split, NumPy's dtypes (ints exact, bool), the Gram matrix x.T @ x, and bad input.
-- Values from NumPy 2.4; the expression that produced each is beside it.
local ht = require "heat"
local T = require "heat.testing"

-- A = ((np.arange(15).reshape(5,3)*7) % 11 - 5)*0.5
local A = { { -2.5, 1.0, -1.0 }, { 2.5, 0.5, -1.5 }, { 2.0, 0.0, -2.0 }, { 1.5, -0.5, -2.5 }, { 1.0, -1.0, 2.5 } }
-- B = ((np.arange(12).reshape(3,4)*5) % 13 - 6)*0.25
local B = { { -1.5, -0.25, 1.0, -1.0 }, { 0.25, 1.5, -0.5, 0.75 }, { -1.25, 0.0, 1.25, -0.75 } }
-- A @ B
local AB = { { 5.25, 2.125, -4.25, 4.0 }, { -1.75, 0.125, 0.375, -1.0 }, { -0.5, -0.5, -0.5, -0.5 },
  { 0.75, -1.125, -1.375, 0.0 }, { -4.875, -1.75, 4.625, -3.625 } }
local v = { 1.5, -2.0, 0.5 }
local w = { 1.0, 2.0, -1.0, 0.5, 3.0 }
local vB = { -3.375, -3.375, 3.125, -3.375 }   -- v @ B
local Av = { -6.25, 2.0, 2.0, 2.0, 4.75 }      -- A @ v
local vv = 6.5                                 -- v @ v
local wA = { 4.25, -1.25, 4.25 }               -- w @ A
-- A.T @ A
local AtA = { { 19.75, -3.0, -6.5 }, { -3.0, 2.5, -3.0 }, { -6.5, -3.0, 19.75 } }
-- C = ((np.arange(10).reshape(5,2)*3)%7 - 3).astype(float); A.T @ C
local Cm = { { -3.0, 0.0 }, { 3.0, -1.0 }, { 2.0, -2.0 }, { 1.0, -3.0 }, { 0.0, 3.0 } }
local AtC = { { 20.5, -8.0 }, { -2.0, -2.0 }, { -8.0, 20.5 } }

local splits = { "none", 0, 1 }
local function sp(s) return s ~= "none" and s or nil end
local function arr(t, s, dtype) return ht.array(t, { split = sp(s), dtype = dtype or ht.float64 }) end

local function rows(t, lo, hi) -- t[lo:hi] (0-based, half-open)
  local r = {}
  for i = lo + 1, hi do r[#r + 1] = t[i] end
  return r
end
local function cols(t, lo, hi)
  local r = {}
  for i, row in ipairs(t) do r[i] = rows(row, lo, hi) end
  return r
end

-- Heat's result split for 2-D . 2-D: a's split if a is split, else b's
local function heat_split(sa, sb) return sp(sa) or sp(sb) end

describe("matmul of 2-D operands", function()
  for _, sa in ipairs(splits) do
    for _, sb in ipairs(splits) do
      it(string.format("splits %s . %s gives A @ B and Heat's split", sa, sb), function()
        local c = ht.matmul(arr(A, sa), arr(B, sb))
        T.assert_allclose(c, AB, 1e-14)
        T.assert_split(c, heat_split(sa, sb))
        T.assert_dtype(c, ht.float64)
      end)
      it(string.format("splits %s . %s with 2 rows and 2 columns (ranks without any)", sa, sb), function()
        local c = arr(rows(A, 0, 2), sa):matmul(arr(cols(B, 0, 2), sb))
        T.assert_allclose(c, cols(rows(AB, 0, 2), 0, 2), 1e-14)
        T.assert_split(c, heat_split(sa, sb))
      end)
      it(string.format("splits %s . %s after slicing off the first rows (unbalanced)", sa, sb), function()
        -- two junk rows in front, sliced away: rank 0 loses rows, counts are unbalanced
        local big = { { 9, 9, 9 }, { 9, 9, 9 } }
        for i = 1, #A do big[#big + 1] = A[i] end
        local a = arr(big, sa)[{ { 2, nil }, ht.all }]
        local bt = { { 7, 7, 7 }, { 7, 7, 7 } } -- B.T with junk rows, sliced and transposed back
        for j = 1, 4 do bt[#bt + 1] = { B[1][j], B[2][j], B[3][j] } end
        local sbt = sb == "none" and sb or 1 - sb
        local b = arr(bt, sbt)[{ { 2, nil }, ht.all }].T
        T.assert_allclose(ht.linalg.matmul(a, b), AB, 1e-14)
        T.assert_split(ht.linalg.matmul(a, b), heat_split(sa, sb))
      end)
    end
  end

  it("float32 stays float32; mixed float32 and int32 is float64 (NumPy)", function()
    local c = ht.matmul(arr(A, 0, ht.float32), arr(B, 1, ht.float32))
    T.assert_dtype(c, ht.float32)
    T.assert_allclose(c, AB, 1e-6)
    T.assert_dtype(ht.matmul(arr(A, 0, ht.float32), arr({ { 1 }, { 2 }, { 3 } }, 0, ht.int32)), ht.float64)
    -- (Ai.astype(np.int16) @ B.astype(np.float32)).dtype
    T.assert_dtype(ht.matmul(arr(A, 1, ht.int16), arr(B, nil, ht.float32)), ht.float32)
  end)
end)

describe("matmul with 1-D operands", function()
  for _, sa in ipairs(splits) do
    for _, sb in ipairs(splits) do
      local s1 = sa == 1 and 0 or sa -- a vector has only axis 0
      it(string.format("v . B, A . v and v . v with splits %s, %s", s1, sb), function()
        local c = ht.matmul(arr(v, s1), arr(B, sb))
        T.assert_allclose(c, vB, 1e-14)
        T.assert_split(c, (sp(s1) or sp(sb)) and 0 or nil)
        local sv = sb == 1 and 0 or sb
        c = ht.matmul(arr(A, sa), arr(v, sv))
        T.assert_allclose(c, Av, 1e-14)
        T.assert_split(c, (sp(sa) or sp(sv)) and 0 or nil)
        c = ht.matmul(arr(v, s1), arr(v, sv))
        T.assert_shape(c, {})
        T.assert_split(c, nil)
        assert.are.equal(vv, c:item())
        c = ht.dot(arr(w, s1), arr(A, sa))
        T.assert_allclose(c, wA, 1e-14)
      end)
    end
  end
end)

describe("the Gram matrix x.T @ x", function()
  it("of a tall x split along rows is A.T @ A, split 1 (Heat's 10)", function()
    for _, dt in ipairs { ht.float32, ht.float64 } do
      local x = arr(A, 0, dt)
      local g = x.T:matmul(x)
      T.assert_allclose(g, AtA, dt == ht.float32 and 1e-6 or 1e-14)
      T.assert_split(g, 1)
      T.assert_dtype(g, dt)
      T.assert_allclose(x.T:matmul(arr(Cm, 0, dt)), AtC, 1e-6)
    end
  end)

  it("moves only F x F values per rank, whatever the number of rows", function()
    ht.random.seed(7)
    local x = ht.random.randn(1000, 4, { split = 0, dtype = ht.float64 })
    local sent0 = require("heat.core")._bytes_sent()
    local g = x.T:matmul(x)
    local sent = require("heat.core")._bytes_sent() - sent0
    -- a reduce-scatter of 4 x 4 float64 plus one status agreement at most
    assert.is_true(sent <= 4 * 4 * 8 + 64, "sent " .. sent .. " bytes")
    T.assert_allclose(g, ht.matmul(x.T:resplit(nil), x:resplit(nil)):totable(), 1e-12, 1e-10)
  end)

  it("of rows sliced unevenly is still right", function()
    local big = { { 9, 9, 9 }, { 9, 9, 9 }, { 9, 9, 9 } }
    for i = 1, #A do big[#big + 1] = A[i] end
    local x = arr(big, 0)[{ { 3, nil }, ht.all }]
    T.assert_allclose(x.T:matmul(x), AtA, 1e-14)
  end)
end)

describe("integer and bool products", function()
  -- Ai = ((np.arange(15).reshape(5,3)*7) % 11 - 5).astype(np.int32), Bi likewise from B
  local Ai = { { -5, 2, -2 }, { 5, 1, -3 }, { 4, 0, -4 }, { 3, -1, -5 }, { 2, -2, 5 } }
  local Bi = { { -6, -1, 4, -4 }, { 1, 6, -2, 3 }, { -5, 0, 5, -3 } }
  -- Ai @ Bi
  local AiBi = { { 42, 17, -34, 32 }, { -14, 1, 3, -8 }, { -4, -4, -4, -4 }, { 6, -9, -11, 0 },
    { -39, -14, 37, -29 } }
  for _, sa in ipairs(splits) do
    for _, sb in ipairs(splits) do
      it(string.format("int32 @ int32 is exact int32, splits %s . %s", sa, sb), function()
        local c = ht.matmul(arr(Ai, sa, ht.int32), arr(Bi, sb, ht.int32))
        T.assert_dtype(c, ht.int32)
        T.assert_equal(c, AiBi)
      end)
    end
  end

  it("bool @ bool is bool (or of ands)", function()
    -- (Ai > 0) @ (Bi > 0)
    local want = { { true, true, false, true }, { true, true, true, true }, { false, false, true, false },
      { false, false, true, false }, { false, false, true, false } }
    local c = ht.matmul(arr(Ai, 0, ht.int32):gt(0), arr(Bi, 1, ht.int32):gt(0))
    T.assert_dtype(c, ht.bool)
    T.assert_equal(c, want)
  end)

  it("promotes small ints like NumPy (uint8 @ int8 is int16)", function()
    T.assert_dtype(ht.matmul(arr(Ai, 0, ht.int8), arr(Bi, 0, ht.int8)), ht.int8)
    T.assert_dtype(ht.matmul(arr({ { 1, 2 } }, nil, ht.uint8), arr({ { 1 }, { 2 } }, 0, ht.int8)), ht.int16)
  end)

  it("int64 is exact past 2^53 (no detour through float64)", function()
    for _, s in ipairs(splits) do
      -- [[2^53 + 1, 1]] @ [[1], [-1]] = 2^53; through float64 it would be 2^53 - 1
      local a = arr({ { 2 ^ 53, 0 } }, s, ht.int64) + arr({ { 1, 1 } }, nil, ht.int64)
      local b = arr({ { 1 }, { -1 } }, s == 1 and 0 or s, ht.int64)
      assert.are.equal(2 ^ 53, ht.matmul(a, b):item())
    end
  end)
end)

describe("ht.dot", function()
  it("multiplies scalars and 0-d arrays elementwise", function()
    T.assert_allclose(ht.dot(arr(A, 0), 2), ht.mul(arr(A, nil), 2):totable(), 0)
    assert.are.equal(6, ht.dot(ht.array(2), ht.array(3)):item())
  end)
  it("is matmul up to 2-D and for N-D . 1-D", function()
    T.assert_allclose(ht.dot(arr(A, 1), arr(B, 0)), AB, 1e-14)
    assert.are.equal(vv, ht.dot(arr(v, 0), arr(v, nil)):item())
  end)
end)

describe("bad input", function()
  it("mismatched inner dimensions name both shapes", function()
    T.assert_error(function() ht.matmul(ht.ones({ 2, 3 }, { split = 0 }), ht.ones({ 4, 5 }, { split = 1 })) end,
      "ht.matmul: shapes (2, 3) and (4, 5) not aligned: 3 (dim 1) != 4 (dim 0)")
    T.assert_error(function() ht.dot(ht.ones(3), ht.ones(4)) end,
      "ht.dot: shapes (3,) and (4,) not aligned: 3 (dim 0) != 4 (dim 0)")
  end)
  it("0-d operands are refused by matmul (NumPy's message)", function()
    T.assert_error(function() ht.matmul(ht.array(3), ht.ones({ 2, 2 })) end,
      "ht.matmul: Input operand 0 does not have enough dimensions (has 0")
    T.assert_error(function() ht.matmul(ht.ones(2), 3) end, "Input operand 1 does not have enough dimensions")
  end)
  it("extra arguments are errors", function()
    T.assert_error(function() ht.matmul(ht.ones(2), ht.ones(2), { allow_resplit = true }) end,
      "ht.matmul: expected 2 arguments (a, b), got 3")
    T.assert_error(function() ht.ones(2):matmul() end, "ht.matmul: expected 2 arguments")
  end)
end)

describe("stacks of matrices", function()
  -- a = np.arange(24).reshape(2,3,4) % 5 - 2.0; b = np.arange(40).reshape(2,4,5) % 7 - 3.0
  local function A3(s) return (ht.arange(24, { dtype = ht.float64 }) % 5 - 2):reshape({ 2, 3, 4 }):resplit(sp(s)) end
  local function B3(s) return (ht.arange(40, { dtype = ht.float64 }) % 7 - 3):reshape({ 2, 4, 5 }):resplit(sp(s)) end
  local ab = { { { 2, 0, 5, 3, 1 }, { -10, -11, 2, 1, 7 }, { 3, 3, -11, -11, 3 } },
    { { 5, 6, 7, 1, 2 }, { -10, -1, 1, 3, 5 }, { -10, 2, 0, 5, 3 } } } -- a @ b
  local ab1 = { ab[1], { { 6, 7, 1, 2, -11 }, { -1, 1, 3, 5, 0 }, { 2, 0, 5, 3, 1 } } } -- a @ b[0] (broadcast)
  local s3 = { "none", 0, 1, 2 }
  for _, sa in ipairs(s3) do
    for _, sb in ipairs(s3) do
      it(string.format("(2,3,4) @ (2,4,5) at splits %s, %s", sa, sb), function()
        local c = ht.matmul(A3(sa), B3(sb))
        T.assert_equal(c, ab)
        -- a split batch axis is the result's split; inside the matrices Heat's 2-D rule
        local want = (sa == 0 or sb == 0) and 0 or (sp(sa) or sp(sb))
        T.assert_split(c, want)
        T.assert_equal(ht.matmul(A3(sa), B3(sb)[0]), ab1) -- broadcast over the batch axis
      end)
    end
  end
  it("with a vector on either side, and int32", function()
    T.assert_equal(ht.matmul(A3(0), ht.array({ 1.0, -1, 2, 0 })), { { -1, 2, -5 }, { 3, 1, -1 } }) -- a @ [1,-1,2,0]
    T.assert_equal(ht.matmul(ht.array({ 1.0, 2, -1 }, { split = 0 }), A3(2)), { { 1, -7, 0, 2 }, { 0, 2, 4, 1 } }) -- [1,2,-1] @ a
    local c = ht.matmul(A3(0):astype(ht.int32), B3(nil):astype(ht.int32))
    T.assert_dtype(c, ht.int32)
    T.assert_equal(c, ab)
  end)
  it("rejects batch shapes that do not broadcast", function()
    T.assert_error(function() ht.matmul(ht.ones({ 2, 3, 4 }), ht.ones({ 3, 4, 5 })) end,
      "ht.matmul: batch dimensions of shapes (2, 3, 4) and (3, 4, 5) cannot be broadcast")
    T.assert_error(function() ht.matmul(ht.ones({ 2, 3, 4 }), ht.ones({ 2, 3, 5 })) end,
      "ht.matmul: shapes (2, 3, 4) and (2, 3, 5) not aligned: 4 (dim 2) != 3 (dim 1)")
  end)
end)
