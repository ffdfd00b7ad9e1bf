-- ht.linalg.svd, svdvals, eigh, eigvalsh: singular values and eigenvalues against NumPy,
-- factors by exact maths (orthonormal columns/rows, U diag(S) Vt = A, A V = V diag(w)), at
-- every split, tall and short-fat, ranks with no rows, float32 and float64; bad input.
local ht = require "heat"
local T = require "heat.testing"
local C = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "linalg_check.lua")

-- A = np.array([[2., -1, 0.5], [1, 3, -2], [0, 1, 4], [-3, 2, 1], [1.5, 0, -1], [2, 2, 2],
--               [-1, 0.5, 3]])
local A = { { 2, -1, 0.5 }, { 1, 3, -2 }, { 0, 1, 4 }, { -3, 2, 1 }, { 1.5, 0, -1 },
            { 2, 2, 2 }, { -1, 0.5, 3 } }
local S_np = { 6.166291800697641, 4.4641612519593, 4.218780599314715 } -- np.linalg.svd(A)[1]
-- Sym = np.array([[4., 1, -2, 0.5], [1, 3, 0, 1], [-2, 0, 5, 2], [0.5, 1, 2, 2]])
local Sym = { { 4, 1, -2, 0.5 }, { 1, 3, 0, 1 }, { -2, 0, 5, 2 }, { 0.5, 1, 2, 2 } }
-- np.linalg.eigvalsh(Sym)
local w_np = { 0.3575726026187537, 1.9886315562050685, 4.7061821641149555, 6.947613677061217 }

local tols = { float64 = 1e-12, float32 = 2e-5 }

local function check_svd(U, S, Vt, a, tol)
  local u, s, vt = U:totable(), S:totable(), Vt:totable()
  C.orthonormal_cols(u, tol, "U")
  C.orthonormal_cols(C.t(vt), tol, "Vt^T")
  C.close(C.mm(C.mm(u, C.diag(s)), vt), a, tol * 20, "U diag(S) Vt = A")
  -- each row of Vt has its largest-magnitude entry positive
  for i = 1, #vt do
    local best = 1
    for j = 2, #vt[i] do if math.abs(vt[i][j]) > math.abs(vt[i][best]) then best = j end end
    assert(vt[i][best] > 0, "sign convention of Vt")
  end
end

describe("ht.linalg.svd", function()
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0, 1 } do
      local sp = split or nil
      it(string.format("of a tall (7, 3) %s matrix, split %s", dtype, tostring(sp)), function()
        local U, S, Vt = ht.linalg.svd(ht.array(A, { dtype = dtype, split = sp }))
        T.assert_shape(U, { 7, 3 })
        T.assert_shape(Vt, { 3, 3 })
        T.assert_dtype(S, dtype)
        T.assert_allclose(S, S_np, tols[dtype] * 10)
        T.assert_split(U, sp and 0 or nil)
        T.assert_split(Vt, nil)
        check_svd(U, S, Vt, A, tols[dtype])
      end)

      it(string.format("of a short-fat (3, 7) %s matrix, split %s", dtype, tostring(sp)), function()
        local At = C.t(A)
        local U, S, Vt = ht.linalg.svd(ht.array(At, { dtype = dtype, split = sp }))
        T.assert_shape(U, { 3, 3 })
        T.assert_shape(Vt, { 3, 7 })
        T.assert_split(Vt, sp and 1 or nil)
        -- np.linalg.svd(A.T)[1] equals S_np
        T.assert_allclose(S, S_np, tols[dtype] * 10)
        check_svd(U, S, Vt, At, tols[dtype])
      end)

      it(string.format("compute_uv = false, %s, split %s", dtype, tostring(sp)), function()
        local S = ht.linalg.svd(ht.array(A, { dtype = dtype, split = sp }), { compute_uv = false })
        T.assert_allclose(S, S_np, tols[dtype] * 10)
        T.assert_allclose(ht.linalg.svdvals(ht.array(C.t(A), { dtype = dtype, split = sp })),
          S_np, tols[dtype] * 10)
      end)
    end
  end

  it("full_matrices = true gives square U and Vt", function()
    local U, S, Vt = ht.linalg.svd(ht.array(A, { split = 0, dtype = "float64" }),
      { full_matrices = true })
    T.assert_shape(U, { 7, 7 })
    T.assert_shape(Vt, { 3, 3 })
    T.assert_split(U, 0)
    C.orthonormal_cols(U:totable(), 1e-12, "full U")
    T.assert_allclose(S, S_np, 1e-12)
  end)

  it("a matrix built from known factors has those singular values", function()
    -- Q1 (4x2) and Q2 (2x2) orthonormal by construction, A = Q1 diag(10, 0.5) Q2^T
    local c, s = math.cos(0.3), math.sin(0.3)
    local Q1 = { { 0.5, 0.5 }, { 0.5, -0.5 }, { 0.5, 0.5 }, { 0.5, -0.5 } }
    local Q2 = { { c, -s }, { s, c } }
    local M = C.mm(C.mm(Q1, C.diag { 10, 0.5 }), C.t(Q2))
    for _, sp in ipairs { 0, 1 } do
      local U, S, Vt = ht.linalg.svd(ht.array(M, { split = sp, dtype = "float64" }))
      T.assert_allclose(S, { 10, 0.5 }, 1e-13)
      check_svd(U, S, Vt, M, 1e-12)
    end
  end)

  it("works when ranks own no rows and on unbalanced counts", function()
    local two = { { 3, 0 }, { 4, 5 } } -- np.linalg.svd(...)[1] = [6.708203932499369, 2.23606797749979]
    local U, S, Vt = ht.linalg.svd(ht.array(two, { split = 0, dtype = "float64" }))
    T.assert_allclose(S, { 6.708203932499369, 2.23606797749979 }, 1e-13)
    check_svd(U, S, Vt, two, 1e-12)
    local X = ht.array(A, { split = 0, dtype = "float64" })[{ { 2, 7 } }]
    U, S, Vt = ht.linalg.svd(X)
    check_svd(U, S, Vt, { A[3], A[4], A[5], A[6], A[7] }, 1e-12)
  end)

  it("rejects bad input on every rank", function()
    T.assert_error(function() ht.linalg.svd(ht.zeros({ 2, 2, 2 }, { split = 0 })) end,
      "svd: expected a 2-D array, got shape (2, 2, 2)")
    T.assert_error(function() ht.linalg.svd(ht.array(A), { compute_vu = false }) end,
      "unknown option 'compute_vu'")
    local bad = ht.array(A, { split = 1, dtype = "float32" })
    bad[{ 0, 2 }] = 1 / 0
    T.assert_error(function() ht.linalg.svd(bad) end, "must not contain infs or NaNs")
  end)
end)

describe("ht.linalg.eigh", function()
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0, 1 } do
      local sp = split or nil
      it(string.format("of a symmetric (4, 4) %s matrix, split %s", dtype, tostring(sp)), function()
        local w, V = ht.linalg.eigh(ht.array(Sym, { dtype = dtype, split = sp }))
        T.assert_allclose(w, w_np, tols[dtype] * 10) -- ascending, as NumPy
        T.assert_split(V, sp)
        T.assert_dtype(V, dtype)
        local v = V:totable()
        C.orthonormal_cols(v, tols[dtype] * 10, "V")
        C.close(C.mm(Sym, v), C.mm(v, C.diag(w:totable())), tols[dtype] * 50, "A V = V diag(w)")
        T.assert_allclose(ht.linalg.eigvalsh(ht.array(Sym, { dtype = dtype, split = sp })), w_np,
          tols[dtype] * 10)
      end)
    end
  end

  it("a 2x2 matrix on ranks with no rows", function()
    -- np.linalg.eigvalsh([[2, 1], [1, 2]]) = [1, 3]
    local w, V = ht.linalg.eigh(ht.array({ { 2, 1 }, { 1, 2 } }, { split = 0 }))
    T.assert_dtype(w, "float64")
    T.assert_allclose(w, { 1, 3 }, 1e-14)
    T.assert_split(V, 0)
  end)

  it("rejects bad input on every rank", function()
    T.assert_error(function() ht.linalg.eigh(ht.zeros({ 3, 4 }, { split = 0 })) end,
      "eigh: expected a square matrix, got shape (3, 4)")
    T.assert_error(function() ht.linalg.eigh(ht.zeros(4, { split = 0 })) end,
      "eigh: expected a 2-D array")
    T.assert_error(function() ht.linalg.eigh(ht.zeros({ 2, 2 }), {}) end, "takes at most 1 argument")
  end)
end)
