-- Bad input across the ht.linalg API, at every split: non-2-D arrays, mismatched inner
-- dimensions, non-square matrices, singular matrices, NaN/inf (also when only the last rank
-- holds it), integer input promoted to float64. Every rank must raise the same message
-- (naming the function, shapes, splits and dtypes) together; a hang is a failure too.
local ht = require "heat"
local T = require "heat.testing"
local L = ht.linalg

local splits = { "none", 0, 1 }
local function sp(s) return s ~= "none" and s or nil end
local function cs(s) return s == "none" and "-1" or tostring(s) end -- the runtime's spelling

describe("linalg bad input", function()
  for _, s in ipairs(splits) do
    local r23 = ht.zeros({ 2, 3 }, { split = sp(s) })
    it("non-square matrices, split " .. tostring(s), function()
      for _, fn in ipairs { "eigh", "eigvalsh", "inv", "det" } do
        T.assert_error(function() L[fn](r23) end,
          "expected a square matrix, got shape (2, 3) (split " .. cs(s) .. ", dtype float32)")
      end
      T.assert_error(function() L.solve(r23, ht.ones(2)) end, "solve: expected a square matrix, got shape (2, 3)")
      T.assert_error(function() L.reigh(r23, 1) end, "reigh: expected a square matrix, got shape (2, 3)")
      T.assert_error(function() L.cg(r23, ht.ones(2), ht.ones(2)) end,
        "cg: expected a square matrix, got shape (2, 3), split " .. tostring(sp(s)) .. ", dtype float32")
      T.assert_error(function() L.lanczos(r23, 1) end, "lanczos: expected a square matrix, got shape (2, 3)")
    end)

    it("mismatched inner dimensions, split " .. tostring(s), function()
      local b = ht.ones({ 2, 4 }, { split = sp(s), dtype = ht.float64 })
      T.assert_error(function() ht.matmul(r23, b) end,
        "ht.matmul: shapes (2, 3) and (2, 4) not aligned: 3 (dim 1) != 2 (dim 0) (splits " .. cs(s) ..
        " and " .. cs(s) .. ", dtypes float32 and float64)")
      T.assert_error(function() ht.dot(ht.ones(3, { split = sp(s) and 0 }), ht.ones(4)) end,
        "ht.dot: shapes (3,) and (4,) not aligned")
      T.assert_error(function() L.solve(ht.eye(3, { split = sp(s) }), ht.ones(2, { split = 0 })) end,
        "solve: b must have shape (3,) or (3, k) to match a, got (2,) (split 0, dtype float32)")
      T.assert_error(function() L.vdot(r23, ht.ones(5)) end, "vdot: arrays of 6 and 5 elements")
    end)

    it("arrays that are not 2-D, split " .. tostring(s), function()
      local v = ht.ones(3, { split = sp(s) and 0 })
      local vs = cs(sp(s) and 0 or "none")
      for _, fn in ipairs { "qr", "svd", "svdvals", "eigh", "inv", "det" } do
        T.assert_error(function() L[fn](v) end, "expected a 2-D array, got shape (3,) (1-D, split " ..
          vs .. ", dtype float32)")
      end
      T.assert_error(function() L.hsvd_rank(v, 1) end,
        "hsvd_rank: expected a 2-D array, got 1-D (shape (3,), split " .. tostring(sp(s) and 0) .. ", dtype float32)")
      T.assert_error(function() L.rsvd(ht.ones({ 2, 2, 2 }, { split = sp(s) }), 1) end,
        "rsvd: expected a 2-D array, got 3-D (shape (2, 2, 2)")
      T.assert_error(function() ht.trace(v) end, "trace: only 2-D arrays are supported, got 1-D, shape (3,)")
      T.assert_error(function() ht.triu(v) end, "triu: input must be at least 2-D, got 1-D, shape (3,)")
      T.assert_error(function() L.matrix_norm(v) end, "matrix_norm: input must be at least 2-D")
    end)

    it("singular matrices, split " .. tostring(s), function()
      -- [[1, 2], [2, 4]] has rank 1: np.linalg.inv raises, np.linalg.det is 0
      local sing = ht.array({ { 1, 2 }, { 2, 4 } }, { split = sp(s), dtype = ht.float64 })
      T.assert_error(function() L.inv(sing) end,
        "inv: singular matrix (shape (2, 2), split " .. cs(s) .. ", dtype float64)")
      T.assert_error(function() L.solve(sing, ht.ones(2)) end, "solve: singular matrix (shape (2, 2)")
      T.assert_error(function() L.solve_triangular(ht.zeros({ 2, 2 }, { split = sp(s) }), ht.ones(2)) end,
        "solve_triangular: singular matrix (zero on the diagonal at 0; shape (2, 2), split " .. cs(s))
      assert.are.equal(0, L.det(sing):item())
    end)

    it("NaN or inf held by the last rank only, split " .. tostring(s), function()
      -- 5 rows: the last row belongs to the last rank at every rank count
      local A = ht.array({ { 4, 1 }, { 1, 3 }, { 0, 1 }, { 2, 2 }, { 1, 0 } }, { split = sp(s), dtype = ht.float32 })
      A[{ 4, 1 }] = 0 / 0
      local msg = "must not contain infs or NaNs (shape (5, 2), split " .. cs(s) .. ", dtype float32)"
      for _, fn in ipairs { "qr", "svd", "svdvals" } do
        T.assert_error(function() L[fn](A) end, fn == "svdvals" and "svd: array " .. msg or fn .. ": array " .. msg)
      end
      T.assert_error(function() L.hsvd_rank(A, 1) end, "hsvd: array " .. msg)
      T.assert_error(function() L.rsvd(A, 1) end, "rsvd: array " .. msg)
      T.assert_error(function() L.norm(A, { ord = 2 }) end, "svd: array " .. msg)
      local sq = ht.array({ { 4, 1 }, { 1, 1 / 0 } }, { split = sp(s), dtype = ht.float64 })
      for _, fn in ipairs { "eigh", "inv", "det" } do
        T.assert_error(function() L[fn](sq) end,
          fn .. ": array must not contain infs or NaNs (shape (2, 2), split " .. cs(s) .. ", dtype float64)")
      end
      local b = ht.array({ 1, 0 / 0 }, { split = sp(s) and 0 })
      T.assert_error(function() L.solve(ht.eye(2, { split = sp(s) }), b) end,
        "solve: b must not contain infs or NaNs (shape (2,), split " .. cs(sp(s) and 0 or "none"))
    end)

    it("integer input is promoted to float64 (NumPy), split " .. tostring(s), function()
      local A = ht.array({ { 2, 1 }, { 1, 3 } }, { split = sp(s) }) -- int64
      -- exact maths: det 5, inverse [[3, -1], [-1, 2]] / 5, x = A^-1 [1, 2] = [0.2, 0.6]
      local inv = L.inv(A)
      T.assert_dtype(inv, "float64")
      T.assert_allclose(inv, { { 0.6, -0.2 }, { -0.2, 0.4 } }, 1e-15)
      T.assert_allclose(L.det(A), 5, 1e-15)
      T.assert_allclose(L.solve(A, ht.array({ 1, 2 })), { 0.2, 0.6 }, 1e-15)
      -- eigenvalues (5 -+ sqrt(5)) / 2: np.linalg.eigvalsh(A)
      T.assert_allclose(L.eigvalsh(A), { 1.381966011250105, 3.618033988749895 }, 1e-14)
      T.assert_allclose(L.svdvals(A), { 3.618033988749895, 1.381966011250105 }, 1e-14)
      T.assert_allclose(L.norm(A, { ord = "nuc" }), 5, 1e-14)
      local _, R = L.qr(A)
      T.assert_dtype(R, "float64")
      local _, Tm = L.lanczos(A, 2, { v0 = ht.array({ 1, 0 }) })
      T.assert_dtype(Tm, "float64")
      T.assert_allclose(L.eigvalsh(Tm), { 1.381966011250105, 3.618033988749895 }, 1e-12)
    end)
  end
end)
