-- The small linalg functions and the norms: tril, triu, trace, outer, vdot, vecdot, cross,
-- transpose, matrix_transpose, norm, vector_norm, matrix_norm at every split (ranks without
-- rows included), float32 and float64, ints, and bad input. Values from NumPy 2.4; the
-- expression that produced each is beside it.
local ht = require "heat"
local T = require "heat.testing"

local inf = math.huge
-- A = np.array([[1.5,-2,3],[4,5,-6],[-7,8,0.5],[0,-1,2]])
local A = { { 1.5, -2, 3 }, { 4, 5, -6 }, { -7, 8, 0.5 }, { 0, -1, 2 } }
local splits = { "none", 0, 1 }
local function sp(s) return s ~= "none" and s or nil end
local function arr(t, s, dtype) return ht.array(t, { split = sp(s), dtype = dtype or ht.float64 }) end
local function iota45(s) return ht.arange(20, { dtype = ht.int32 }):reshape({ 4, 5 }):resplit(sp(s)) end

describe("tril and triu", function()
  for _, s in ipairs(splits) do
    it("keep NumPy's triangles at split " .. tostring(s), function()
      -- np.tril(np.arange(20).reshape(4,5), -1)
      T.assert_equal(ht.tril(iota45(s), -1), { { 0, 0, 0, 0, 0 }, { 5, 0, 0, 0, 0 }, { 10, 11, 0, 0, 0 }, { 15, 16, 17, 0, 0 } })
      -- np.triu(np.arange(20).reshape(4,5), 2)
      local u = iota45(s):triu { k = 2 }
      T.assert_equal(u, { { 0, 0, 2, 3, 4 }, { 0, 0, 0, 8, 9 }, { 0, 0, 0, 0, 14 }, { 0, 0, 0, 0, 0 } })
      T.assert_split(u, sp(s))
      T.assert_dtype(u, ht.int32)
      -- tril(x) + triu(x, 1) == x (exact maths)
      local x = iota45(s)
      T.assert_equal(ht.tril(x) + ht.triu(x, 1), x:totable())
    end)
  end
  it("work on unbalanced chunks and on stacks of matrices", function()
    local x = iota45(0)[{ { 1, nil }, ht.all }] -- rows 1..3, rank 0 loses a row
    T.assert_equal(ht.tril(x), { { 5, 0, 0, 0, 0 }, { 10, 11, 0, 0, 0 }, { 15, 16, 17, 0, 0 } }) -- np.tril(np.arange(20).reshape(4,5)[1:])
    local s = ht.arange(8, { dtype = ht.int32 }):reshape({ 2, 2, 2 }, { new_split = 0 })
    T.assert_equal(ht.triu(s), { { { 0, 1 }, { 0, 3 } }, { { 4, 5 }, { 0, 7 } } }) -- np.triu(np.arange(8).reshape(2,2,2))
  end)
  it("reject 1-D input and extra arguments", function()
    T.assert_error(function() ht.tril(ht.ones(3)) end, "ht.tril: input must be at least 2-D, got 1-D")
    T.assert_error(function() ht.triu(ht.ones({ 2, 2 }), 1, 2) end, "ht.triu: expected at most 2 positional arguments")
    T.assert_error(function() ht.triu(ht.ones({ 2, 2 }), { j = 1 }) end, "ht.triu: unknown option 'j'")
  end)
end)

describe("trace", function()
  for _, s in ipairs(splits) do
    it("sums a diagonal at split " .. tostring(s), function()
      local a = arr(A, s)
      assert.are.equal(7.0, ht.trace(a):item())                 -- np.trace(A)
      assert.are.equal(-8.0, a:trace(1):item())                 -- np.trace(A, 1)
      assert.are.equal(-8.0, ht.linalg.trace(a, { offset = -2 }):item()) -- np.trace(A, -2)
      local b = iota45(s):gt(5)
      local t = ht.trace(b)
      T.assert_dtype(t, ht.int64)
      assert.are.equal(3, t:item())                             -- np.trace(np.arange(20).reshape(4,5) > 5)
      T.assert_dtype(ht.trace(arr(A, s, ht.float32)), ht.float32)
    end)
  end
  it("rejects other than 2-D", function()
    T.assert_error(function() ht.trace(ht.ones(3)) end, "ht.trace: only 2-D arrays are supported, got 1-D")
  end)
end)

describe("outer, vdot, vecdot", function()
  for _, s in ipairs(splits) do
    local s1 = s == 1 and 0 or s
    it("give NumPy's values at split " .. tostring(s1), function()
      local o = ht.outer(arr({ 1, 2, 3 }, s1), arr({ 0.5, -1 }, nil))
      T.assert_allclose(o, { { 0.5, -1.0 }, { 1.0, -2.0 }, { 1.5, -3.0 } }, 0) -- np.outer([1,2,3],[0.5,-1])
      T.assert_split(o, s1 ~= "none" and 0 or nil)
      local o1 = ht.linalg.outer(arr({ 1, 2, 3 }, s1), arr({ 0.5, -1 }, 0), { split = 1 })
      T.assert_split(o1, 1)
      T.assert_allclose(o1, o:totable(), 0)
      assert.are.equal(210.5, ht.vdot(arr(A, s), arr(A, s)):item()) -- np.vdot(A, A)
      T.assert_allclose(ht.linalg.vecdot(arr(A, s), arr(A, s)), { 15.25, 77.0, 113.25, 5.0 }, 0) -- np.linalg.vecdot(A, A)
      T.assert_allclose(ht.vecdot(arr(A, s), arr({ 1, 0, -1 }, nil)), { -1.5, 10.0, -7.5, -2.0 }, 0)
      local iv = ht.linalg.vecdot(iota45(s), iota45(s), { axis = 0 })
      T.assert_dtype(iv, ht.int32) -- np.linalg.vecdot keeps int32
      T.assert_equal(iv, { 350, 414, 486, 566, 654 }) -- np.linalg.vecdot(x, x, axis=0), x = np.arange(20).reshape(4,5)
    end)
  end
  it("reject bad input", function()
    T.assert_error(function() ht.vdot(ht.ones(3), ht.ones(4)) end, "ht.linalg.vdot: arrays of 3 and 4 elements")
    T.assert_error(function() ht.outer(ht.ones(3), ht.ones(4), { axis = 1 }) end, "ht.linalg.outer: unknown option 'axis'")
    T.assert_error(function() ht.linalg.vecdot(ht.ones({ 2, 3 }), ht.ones({ 2, 4 })) end,
      "ht.linalg.vecdot: axis -1 has length 3 and 4")
  end)
end)

describe("cross", function()
  for _, s in ipairs(splits) do
    it("of 3-vectors at split " .. tostring(s), function()
      local a = ht.array({ { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 10 } }, { split = sp(s) })
      -- np.cross([[1,2,3],[4,5,6],[7,8,10]], [1,-1,2])
      local want = { { 7, 1, -3 }, { 16, -2, -9 }, { 26, -4, -15 } }
      T.assert_equal(ht.cross(a, ht.array({ 1, -1, 2 })), want)
      -- axisc = 0 puts the vectors in columns: np.cross(..., axisc=0)
      T.assert_equal(ht.linalg.cross(a, ht.array({ 1, -1, 2 }), { axisc = 0 }),
        { { 7, 16, 26 }, { 1, -2, -4 }, { -3, -9, -15 } })
      -- axisa = 0: the vectors are the columns of a.T
      T.assert_equal(ht.cross(a.T, ht.array({ 1, -1, 2 }), { axisa = 0 }), want)
    end)
  end
  it("of 2-vectors (NumPy's z component) and mixed 2/3", function()
    assert.are.equal(-2, ht.cross(ht.array({ 1, 2 }, { split = 0 }), ht.array({ 3, 4 })):item()) -- np.cross([1,2],[3,4])
    T.assert_equal(ht.cross(ht.array({ 1, 2, 0 }), ht.array({ 3, 4 })), { 0, 0, -2 }) -- np.cross([1,2,0],[3,4])
  end)
  it("rejects other lengths", function()
    T.assert_error(function() ht.cross(ht.ones(4), ht.ones(3)) end, "incompatible dimensions for cross product")
  end)
end)

describe("transpose and matrix_transpose", function()
  it("swap axes as views, the split moving with its axis", function()
    local x = ht.arange(24):reshape({ 2, 3, 4 }, { new_split = 2 })
    local t = ht.linalg.matrix_transpose(x)
    T.assert_shape(t, { 2, 4, 3 })
    T.assert_split(t, 1)
    T.assert_equal(ht.linalg.transpose(x, { 2, 0, 1 }), ht.transpose(x, { 2, 0, 1 }):totable())
    T.assert_error(function() ht.linalg.matrix_transpose(ht.ones(3)) end, "input must be at least 2-D, got 1-D")
  end)
end)

describe("norms", function()
  -- Every rank must call the collectives in the same order, and pairs() over number keys
  -- may differ between processes: the cases are lists of {ord, expected}.
  -- np.linalg.norm(A, ord=o) for the matrix orders
  local mat = { { "fro", 14.508618128546908 }, { 1, 16.0 }, { -1, 11.5 }, { inf, 15.5 }, { -inf, 3.0 },
    { "nuc", 22.343838975439585 }, { 2, 11.195063731846561 }, { -2, 2.1815309107182648 } }
  -- np.linalg.norm(A, ord=o, axis=1) and axis=0
  local ax1 = {
    { 2, { 3.905124837953327, 8.774964387392123, 10.641898326896381, 2.23606797749979 } },
    { 1, { 6.5, 15.0, 15.5, 3.0 } }, { inf, { 3.0, 6.0, 8.0, 2.0 } }, { -inf, { 1.5, 4.0, 0.5, 0.0 } },
    { 0, { 3.0, 3.0, 3.0, 2.0 } }, { 3, { 3.372998355852712, 7.398636222991409, 9.491682470576137, 2.080083823051904 } },
    { 0.5, { 19.105721787823402, 44.69668203123519, 38.20828693386972, 5.82842712474619 } },
    { -1, { 0.6666666666666667, 1.6216216216216215, 0.4409448818897638, 0.0 } },
    { -2, { 1.1141720290623112, 2.770542579237661, 0.49776302946206186, 0.0 } },
  }
  local ax0 = { { 2, { 8.200609733428363, 9.695359714832659, 7.0178344238090995 } }, { 1, { 12.5, 16.0, 11.5 } },
    { 0, { 3.0, 4.0, 4.0 } }, { -inf, { 0.0, 1.0, 0.5 } } }
  for _, s in ipairs(splits) do
    for _, dt in ipairs { ht.float64, ht.float32 } do
      local tol = dt == ht.float32 and 1e-6 or 1e-14
      it(string.format("of a %s matrix at split %s", dt, s), function()
        local a = arr(A, s, dt)
        local n = ht.linalg.norm(a)
        T.assert_dtype(n, dt)
        T.assert_shape(n, {})
        T.assert_allclose(n, 14.508618128546908, tol)
        for _, c in ipairs(mat) do T.assert_allclose(ht.linalg.norm(a, { ord = c[1] }), c[2], tol) end
        T.assert_allclose(ht.linalg.matrix_norm(a, { ord = 1 }), 16.0, tol)
        for _, c in ipairs(ax1) do T.assert_allclose(ht.linalg.norm(a, { ord = c[1], axis = 1 }), c[2], tol) end
        for _, c in ipairs(ax0) do T.assert_allclose(ht.linalg.vector_norm(a, { ord = c[1], axis = 0 }), c[2], tol) end
        -- np.linalg.norm(A, axis=(0,1), keepdims=True) and np.linalg.norm(A, ord=1, axis=(1,0))
        T.assert_allclose(ht.linalg.norm(a, { axis = { 0, 1 }, keepdims = true }), { { 14.508618128546908 } }, tol)
        T.assert_allclose(ht.linalg.norm(a, { ord = 1, axis = { 1, 0 } }), 15.5, tol)
        T.assert_allclose(ht.linalg.vector_norm(a, { keepdims = true }), { { 14.508618128546908 } }, tol)
      end)
    end
    it("of a stack of matrices and over two vector axes, split " .. tostring(s), function()
      local b = arr(A, nil):reshape({ 2, 2, 3 }, { new_split = sp(s) })
      -- np.linalg.matrix_norm(B), ord=inf, np.linalg.vector_norm(B, axis=(0,2)), B = A.reshape(2,2,3)
      T.assert_allclose(ht.linalg.matrix_norm(b), { 9.604686356149273, 10.874281585465774 }, 1e-14)
      T.assert_allclose(ht.linalg.matrix_norm(b, { ord = inf }), { 15.0, 15.5 }, 1e-14)
      T.assert_allclose(ht.linalg.vector_norm(b, { axis = { 0, 2 } }), { 11.335784048754634, 9.055385138137417 }, 1e-14)
      -- np.linalg.matrix_norm(B, ord=o) and np.linalg.norm(B, o, axis=(2, 0)) for o = 'nuc', 2, -2
      local stacked = { { "nuc", { 12.03308849056129, 12.79594707953173 }, { 13.960467520796026, 10.079480043249523 } },
        { 2, { 9.167130753310595, 10.66305672587793 }, { 10.92058103572792, 8.98955274053102 } },
        { -2, { 2.865957737250696, 2.1328903536538006 }, { 3.0398864850681067, 1.0899273027185037 } } }
      for _, c in ipairs(stacked) do
        T.assert_allclose(ht.linalg.matrix_norm(b, { ord = c[1] }), c[2], 1e-13)
        T.assert_allclose(ht.linalg.norm(b, { ord = c[1], axis = { 2, 0 } }), c[3], 1e-13)
      end
      T.assert_shape(ht.linalg.norm(b, { ord = "nuc", axis = { 2, 0 }, keepdims = true }), { 1, 2, 1 })
      T.assert_allclose(ht.linalg.matrix_norm(b, { ord = 2, keepdims = true }), { { { 9.167130753310595 } }, { { 10.66305672587793 } } }, 1e-13)
    end)
  end
  it("do not overflow or underflow in float32 (exact maths: 3-4-5)", function()
    for _, s in ipairs { "none", 0 } do
      local big = arr({ 3e30, 4e30 }, s, ht.float32)
      T.assert_allclose(ht.linalg.norm(big), 5e30, 1e-6)
      T.assert_allclose(ht.linalg.norm(arr({ 3e-30, 4e-30 }, s, ht.float32)), 5e-30, 1e-6)
      assert.are.equal(inf, ht.linalg.norm(arr({ 3e30, 4e30, inf }, s, ht.float32)):item())
      assert.are.equal(0, ht.linalg.norm(arr({ 0, 0, 0 }, s, ht.float32)):item())
    end
  end)
  it("of ints are float64", function()
    local n = ht.linalg.norm(ht.array({ 3, 0, 4 }, { split = 0 }))
    T.assert_dtype(n, ht.float64)
    assert.are.equal(5, n:item())
    assert.are.equal(2, ht.linalg.norm(ht.array({ 3, 0, 4 }), { ord = 0 }):item())
  end)
  it("reject bad orders, axes and options", function()
    local a = arr(A, 0)
    local bad = arr(A, 0)
    bad[{ 1, 1 }] = 0 / 0
    T.assert_error(function() ht.linalg.norm(bad, { ord = "nuc" }) end, "svd: array must not contain infs or NaNs")
    T.assert_error(function() ht.linalg.norm(a, { ord = "nuc", axis = 1 }) end, "invalid norm order 'nuc' for vectors")
    T.assert_error(function() ht.linalg.norm(a, { ord = 3 }) end, "invalid norm order '3' for matrices")
    T.assert_error(function() ht.linalg.norm(a, { ord = "fro", axis = 0 }) end, "invalid norm order 'fro' for vectors")
    T.assert_error(function() ht.linalg.norm(a, { axis = 2 }) end, "axis 2 is out of bounds for array of dimension 2")
    T.assert_error(function() ht.linalg.norm(a, { axis = { 0, 0 } }) end, "duplicate axes")
    T.assert_error(function() ht.linalg.norm(a, { axes = 0 }) end, "ht.linalg.norm: unknown option 'axes'")
    T.assert_error(function() ht.linalg.norm(a, {}, 1) end, "expected at most 2 arguments")
    T.assert_error(function() ht.linalg.matrix_norm(ht.ones(3)) end, "input must be at least 2-D")
  end)
end)
