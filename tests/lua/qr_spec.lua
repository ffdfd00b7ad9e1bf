-- ht.linalg.qr: TSQR for split 0, the resplit route for split 1, LAPACK when replicated;
-- Q orthonormal, Q R = A, R upper triangular with NumPy's R up to the signs of its rows
-- (ours has a non-negative diagonal), at every split, ranks with no rows and unbalanced
-- counts, float32 and float64; bad input.
local ht = require "heat"
local T = require "heat.testing"
local C = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "linalg_check.lua")

-- A = np.array([[2., -1, 0.5], [1, 3, -2], [0, 1, 4], [-3, 2, 1], [1.5, 0, -1], [2, 2, 2],
--               [-1, 0.5, 3]])
local A = { { 2, -1, 0.5 }, { 1, 3, -2 }, { 0, 1, 4 }, { -3, 2, 1 }, { 1.5, 0, -1 },
            { 2, 2, 2 }, { -1, 0.5, 3 } }
-- q, r = np.linalg.qr(A); np.sign(np.diag(r))[:, None] * r
local R_np = { { 4.6097722286464435, -0.32539568672798413, -0.9761870601839528 },
               { 0, 4.375399141456562, 1.0701544681516129 },
               { 0, 0, 5.757762433256912 } }

local tols = { float64 = 1e-12, float32 = 2e-5 }

local function check_qr(Q, R, a, tol)
  local q, r = Q:totable(), R:totable()
  C.orthonormal_cols(q, tol)
  C.close(C.mm(q, r), a, tol * 10, "Q R = A")
  for i = 1, #r do
    assert(r[i][i] >= 0, "R's diagonal is non-negative")
    for j = 1, i - 1 do assert(r[i][j] == 0, "R is upper triangular") end
  end
end

describe("ht.linalg.qr", function()
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0, 1 } do
      local sp = split or nil
      it(string.format("of a tall (7, 3) %s matrix, split %s", dtype, tostring(sp)), function()
        local X = ht.array(A, { dtype = dtype, split = sp })
        local Q, R = ht.linalg.qr(X)
        T.assert_shape(Q, { 7, 3 })
        T.assert_shape(R, { 3, 3 })
        T.assert_dtype(Q, dtype)
        T.assert_dtype(R, dtype)
        T.assert_split(Q, sp)
        T.assert_split(R, sp == 1 and 1 or nil)
        check_qr(Q, R, A, tols[dtype])
        T.assert_allclose(R, R_np, 0, tols[dtype] * 10)
      end)

      it(string.format("of a short-fat (3, 7) %s matrix, split %s", dtype, tostring(sp)), function()
        local At = C.t(A)
        local X = ht.array(At, { dtype = dtype, split = sp })
        local Q, R = ht.linalg.qr(X)
        T.assert_shape(Q, { 3, 3 })
        T.assert_shape(R, { 3, 7 })
        check_qr(Q, R, At, tols[dtype])
      end)
    end
  end

  it("mode 'r' returns nil and the same R", function()
    local Q, R = ht.linalg.qr(ht.array(A, { split = 0, dtype = "float64" }), { mode = "r" })
    assert.is_nil(Q)
    T.assert_allclose(R, R_np, 0, 1e-12)
  end)

  it("works when ranks own no rows (2 rows) and on unbalanced counts", function()
    local two = { { 3, 1 }, { 4, -2 } }
    local Q, R = ht.linalg.qr(ht.array(two, { split = 0, dtype = "float64" }))
    check_qr(Q, R, two, 1e-12)
    -- np.linalg.qr([[3, 1], [4, -2]])[1] with a positive diagonal: [[5, -1], [0, 2]]
    T.assert_allclose(R, { { 5, -1 }, { 0, 2 } }, 0, 1e-12)
    local X = ht.array(A, { split = 0, dtype = "float64" })[{ { 3, 7 } }] -- rows 3..6
    Q, R = ht.linalg.qr(X)
    local sub = { A[4], A[5], A[6], A[7] }
    check_qr(Q, R, sub, 1e-12)
    T.assert_shape(Q, { 4, 3 })
  end)

  it("promotes integers to float64", function()
    local Q, R = ht.linalg.qr(ht.array({ { 3, 1 }, { 4, -2 } }, { split = 0, dtype = "int32" }))
    T.assert_dtype(Q, "float64")
    T.assert_allclose(R, { { 5, -1 }, { 0, 2 } }, 0, 1e-12)
  end)

  it("rejects bad input on every rank", function()
    local X = ht.array(A, { split = 0 })
    T.assert_error(function() ht.linalg.qr(ht.arange(5, { split = 0 })) end,
      "qr: expected a 2-D array, got shape (5,)")
    T.assert_error(function() ht.linalg.qr(X, { mode = "complete" }) end,
      "mode must be 'reduced' or 'r'")
    T.assert_error(function() ht.linalg.qr(X, { modes = "r" }) end, "unknown option 'modes'")
    T.assert_error(function() ht.linalg.qr(X, {}, 3) end, "takes at most 2 arguments")
    local bad = ht.array(A, { split = 0, dtype = "float64" })
    bad[{ 6, 1 }] = 0 / 0 -- on the last rank only
    T.assert_error(function() ht.linalg.qr(bad) end, "must not contain infs or NaNs")
  end)
end)

-- A tall block is factored in row chunks of 4096 rows (a local TSQR, runtime/ops/qr.c): 40000
-- rows put every rank's block past two chunks at 1-4 ranks, so the chunked path runs at
-- every split. A = np.sin(np.arange(40000.)[:, None] * [0.01, 0.02, 0.03, 0.05])
describe("ht.linalg.qr and svdvals of a tall block (the chunked local QR)", function()
  -- r = np.linalg.qr(A, 'r'); np.sign(np.diag(r))[:, None] * r
  local R_big = { { 141.34103958828251, -0.28791401104686926, 0.22870152791409476, -0.05768426517342945 },
                  { 0, 141.45505112624821, -0.36576117168810018, 0.024160962784288788 },
                  { 0, 0, 141.4258644802151, 0.11611721935507562 },
                  { 0, 0, 0, 141.43183796227444 } }
  -- np.linalg.svd(A, compute_uv=False)
  local S_big = { 141.71503281278157, 141.45337647029825, 141.24455936077945, 141.24133063635898 }
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0 } do
      local sp = split or nil
      it(string.format("(40000, 4) %s, split %s", dtype, tostring(sp)), function()
        local i = ht.arange(40000, { dtype = "float64" }):reshape { 40000, 1 }
        local X = ht.sin(i * ht.array({ { 0.01, 0.02, 0.03, 0.05 } }, { dtype = "float64" }))
        X = X:astype(dtype):resplit(sp)
        local Q, R = ht.linalg.qr(X)
        T.assert_split(Q, sp)
        local tol = dtype == "float64" and 1e-12 or 2e-5
        -- exact maths: Q^T Q = I and Q R = X
        T.assert_allclose(ht.matmul(Q.T, Q), C.eye(4), 0, tol * 10)
        assert((ht.matmul(Q, R) - X):abs():max():item() < tol * 10, "Q R = A")
        T.assert_allclose(R, R_big, dtype == "float64" and 1e-12 or 1e-5, tol * 100)
        T.assert_allclose(ht.linalg.svdvals(X), S_big, dtype == "float64" and 1e-12 or 1e-5)
        local _, Ronly = ht.linalg.qr(X, { mode = "r" })
        T.assert_allclose(Ronly, R:totable(), 0, 0)
      end)
    end
  end
end)
