-- ht.linalg.inv, det, solve, solve_triangular, cg, lanczos against NumPy/SciPy (or exact
-- maths) at every split, float32 and float64, ranks with no rows; singular matrices and bad
-- shapes raise on every rank.
local ht = require "heat"
local T = require "heat.testing"
local C = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "linalg_check.lua")

-- S = np.array([[4., 1, -2, 0.5], [1, 3, 0, 1], [-2, 0, 5, 2], [0.5, 1, 2, 2]])
local S = { { 4, 1, -2, 0.5 }, { 1, 3, 0, 1 }, { -2, 0, 5, 2 }, { 0.5, 1, 2, 2 } }
local inv_np = { -- np.linalg.inv(S)
  { 0.5591397849462364, 0.021505376344085947, 0.4731182795698923, -0.6236559139784943 },
  { 0.021505376344085964, 0.4623655913978495, 0.17204301075268805, -0.4086021505376342 },
  { 0.4731182795698923, 0.17204301075268807, 0.7849462365591394, -0.9892473118279564 },
  { -0.6236559139784943, -0.4086021505376342, -0.9892473118279563, 1.8494623655913969 } }
local det_np = 23.250000000000025 -- np.linalg.det(S)
local b = { 1, 2, 3, 4 }
local x_np = { -0.47311827956989216, -0.172043010752688, -0.7849462365591393, 2.989247311827956 } -- np.linalg.solve(S, b)
-- B2 = np.array([[1., 0], [2, 1], [3, -1], [4, 2]]); np.linalg.solve(S, B2)
local B2 = { { 1, 0 }, { 2, 1 }, { 3, -1 }, { 4, 2 } }
local X2_np = { { -0.47311827956989216, -1.698924731182795 }, { -0.172043010752688, -0.5268817204301071 },
                { -0.7849462365591393, -2.5913978494623646 }, { 2.989247311827956, 4.279569892473116 } }
local lower_np = { 0.25, 0.5833333333333334, 0.7, 0.9458333333333333 } -- scipy.linalg.solve_triangular(S, b, lower=True)
local upper_np = { -0.09999999999999998, 0.0, -0.2, 2.0 }              -- scipy.linalg.solve_triangular(S, b, lower=False)

-- np.linalg.eigvalsh(S)
local w_np = { 0.3575726026187537, 1.9886315562050685, 4.7061821641149555, 6.947613677061217 }

local tols = { float64 = 1e-12, float32 = 1e-5 }

describe("ht.linalg solvers", function()
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0, 1 } do
      local sp = split or nil
      local name = string.format("%s, split %s", dtype, tostring(sp))
      it("inv and det, " .. name, function()
        local A = ht.array(S, { dtype = dtype, split = sp })
        local Ai = ht.linalg.inv(A)
        T.assert_split(Ai, sp)
        T.assert_dtype(Ai, dtype)
        T.assert_allclose(Ai, inv_np, tols[dtype] * 10, tols[dtype])
        T.assert_allclose(ht.linalg.det(A), det_np, tols[dtype] * 10)
      end)

      it("solve and solve_triangular, " .. name, function()
        local A = ht.array(S, { dtype = dtype, split = sp })
        local bv = ht.array(b, { dtype = dtype, split = sp and 0 or nil })
        local x = ht.linalg.solve(A, bv)
        T.assert_split(x, sp and 0 or nil)
        T.assert_allclose(x, x_np, tols[dtype] * 10, tols[dtype])
        local X2 = ht.linalg.solve(A, ht.array(B2, { dtype = dtype, split = sp }))
        T.assert_split(X2, sp)
        T.assert_allclose(X2, X2_np, tols[dtype] * 10, tols[dtype])
        T.assert_allclose(ht.linalg.solve_triangular(A, bv, { lower = true }), lower_np,
          tols[dtype] * 10, tols[dtype])
        T.assert_allclose(ht.linalg.solve_triangular(A, bv), upper_np, tols[dtype] * 10, tols[dtype])
      end)
    end
  end

  it("2x2 integer matrices on ranks with no rows (promoted to float64)", function()
    local A = ht.array({ { 2, 1 }, { 1, 3 } }, { split = 0 })
    -- np.linalg.det([[2, 1], [1, 3]]) = 5; np.linalg.inv = [[0.6, -0.2], [-0.2, 0.4]]
    T.assert_allclose(ht.linalg.det(A), 5, 1e-14)
    T.assert_allclose(ht.linalg.inv(A), { { 0.6, -0.2 }, { -0.2, 0.4 } }, 1e-14)
    T.assert_dtype(ht.linalg.inv(A), "float64")
    -- np.linalg.solve([[2, 1], [1, 3]], [3, 5]) = [0.8, 1.4]
    T.assert_allclose(ht.linalg.solve(A, ht.array({ 3, 5 }, { split = 0 })), { 0.8, 1.4 }, 1e-14)
  end)

  it("singular matrices: det 0, inv and solve raise on every rank", function()
    local Z = ht.array({ { 1, 2, 3 }, { 2, 4, 6 }, { 1, 0, 1 } }, { split = 0, dtype = "float64" })
    T.assert_allclose(ht.linalg.det(Z), 0, 0, 1e-12) -- np.linalg.det(...) = 0
    T.assert_error(function() ht.linalg.inv(Z) end, "inv: singular matrix")
    T.assert_error(function() ht.linalg.solve(Z, ht.ones(3, { split = 0 })) end,
      "solve: singular matrix")
    local U = ht.array({ { 1, 2 }, { 0, 0 } }, { split = 1 })
    T.assert_error(function() ht.linalg.solve_triangular(U, ht.ones(2)) end,
      "solve_triangular: singular matrix")
  end)

  it("bad shapes and options", function()
    T.assert_error(function() ht.linalg.inv(ht.zeros({ 2, 3 }, { split = 0 })) end,
      "inv: expected a square matrix, got shape (2, 3)")
    T.assert_error(function() ht.linalg.det(ht.zeros(3)) end, "det: expected a 2-D array")
    T.assert_error(function() ht.linalg.solve(ht.eye(3), ht.ones(4)) end,
      "solve: b must have shape (3,) or (3, k) to match a, got (4,)")
    T.assert_error(function() ht.linalg.solve_triangular(ht.eye(2), ht.ones(2), { upper = true }) end,
      "unknown option 'upper'")
    local N = ht.array(S, { split = 0, dtype = "float64" })
    N[{ 3, 3 }] = 0 / 0
    T.assert_error(function() ht.linalg.det(N) end, "det: array must not contain infs or NaNs")
  end)
end)

describe("ht.linalg.cg and lanczos", function()
  -- S is symmetric positive definite: np.linalg.eigvalsh(S) > 0
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0, 1 } do
      local sp = split or nil
      local name = string.format("%s, split %s", dtype, tostring(sp))
      it("cg solves S x = b, " .. name, function()
        local A = ht.array(S, { dtype = dtype, split = sp })
        local x = ht.linalg.cg(A, ht.array(b, { dtype = dtype, split = sp and 0 or nil }),
          ht.zeros(4, { dtype = dtype }), { tol = dtype == "float64" and 1e-12 or 1e-5 })
        T.assert_allclose(x, x_np, tols[dtype] * 100, tols[dtype] * 10)
      end)

      it("lanczos gives V^T S V = T with orthonormal V, " .. name, function()
        local A = ht.array(S, { dtype = dtype, split = sp })
        local V, Tm = ht.linalg.lanczos(A, 3, { v0 = ht.array({ 1, 0, 0, 0 }, { dtype = dtype }) })
        T.assert_shape(V, { 4, 3 })
        T.assert_split(V, nil)
        local v, t = V:totable(), Tm:totable()
        C.orthonormal_cols(v, tols[dtype] * 10, "V")
        C.close(C.mm(C.mm(C.t(v), S), v), t, tols[dtype] * 50, "V^T S V = T")
        assert.are.equal(0, t[1][3]) -- tridiagonal
        -- the first Lanczos vector is v0 / |v0| and T[0][0] = v0^T S v0 = S[0][0] = 4
        T.assert_allclose(Tm[{ 0, 0 }], 4, tols[dtype])
        -- with m = n, T is similar to S: np.linalg.eigvalsh(S)
        local _, T4 = ht.linalg.lanczos(A, 4, { v0 = ht.array({ 1, 1, 0, 0 }, { dtype = dtype }) })
        T.assert_allclose(ht.linalg.eigvalsh(T4), w_np, tols[dtype] * 100, tols[dtype] * 10)
      end)
    end
  end

  it("rejects bad input", function()
    local A = ht.array(S, { split = 0 })
    T.assert_error(function() ht.linalg.cg(A, ht.ones(3), ht.zeros(4)) end,
      "cg: b must be a vector of length 4 to match A (shape (4, 4), split 0, dtype float32), got shape (3,), split nil")
    T.assert_error(function() ht.linalg.cg(ht.ones({ 2, 3 }), ht.ones(2), ht.ones(2)) end,
      "cg: expected a square matrix, got shape (2, 3), split nil, dtype float32")
    T.assert_error(function() ht.linalg.cg(A, ht.ones(4), ht.ones(4), { rtol = 1 }) end,
      "unknown option 'rtol'")
    T.assert_error(function() ht.linalg.lanczos(A, 5) end, "lanczos: m must be an integer in [1, 4]")
  end)
end)
