-- ht.linalg.isvd: the SVD of [X_old | new_data] from X_old's SVD, against NumPy's singular
-- values and by exact maths (orthonormal factors, reconstruction), at every split pair of the
-- old factors and the new columns, truncated and exact, float32/float64; bad input.
local ht = require "heat"
local T = require "heat.testing"
local C = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "linalg_check.lua")

-- X1 = np.array([[2., -1, 0.5], [1, 3, -2], [0, 1, 4], [-3, 2, 1], [1.5, 0, -1], [2, 2, 2],
--                [-1, 0.5, 3]]); X2 = np.array([[1., 0], [0, 2], [-1, 1], [2, -2], [0.5, 3],
--                [1, 1], [0, -1]])
local X1 = { { 2, -1, 0.5 }, { 1, 3, -2 }, { 0, 1, 4 }, { -3, 2, 1 }, { 1.5, 0, -1 },
             { 2, 2, 2 }, { -1, 0.5, 3 } }
local X2 = { { 1, 0 }, { 0, 2 }, { -1, 1 }, { 2, -2 }, { 0.5, 3 }, { 1, 1 }, { 0, -1 } }
-- np.linalg.svd(np.hstack([X1, X2]))[1]
local S_full = { 6.589520866817335, 5.5242410272965765, 4.4112815821689715,
                 2.6802738183672754, 1.5548964208280556 }
-- U, S, Vt = np.linalg.svd(X1, full_matrices=False); X1r = U[:, :2] * S[:2] @ Vt[:2]
-- np.linalg.svd(np.hstack([X1r, X2]))[1][:4]
local S_trunc = { 6.5577951042561518, 5.4345454048161814, 2.6966158603092834,
                  2.3218942203208832 }

local tols = { float64 = 1e-12, float32 = 5e-5 }

local function hcat(a, b)
  local out = {}
  for i = 1, #a do
    out[i] = {}
    for j = 1, #a[i] do out[i][j] = a[i][j] end
    for j = 1, #b[i] do out[i][#a[i] + j] = b[i][j] end
  end
  return out
end

local function check(U, S, Vt, X, tol)
  local u, s, vt = U:totable(), S:totable(), Vt:totable()
  C.orthonormal_cols(u, tol * 10, "U")
  C.orthonormal_cols(C.t(vt), tol * 10, "Vt^T")
  C.close(C.mm(C.mm(u, C.diag(s)), vt), X, tol * 50, "U diag(S) Vt = [X_old | new_data]")
end

describe("ht.linalg.isvd", function()
  for _, dtype in ipairs { "float64", "float32" } do
    for _, so in ipairs { false, 0, 1 } do
      for _, sn in ipairs { false, 0, 1 } do
        local old, new = so or nil, sn or nil
        it(string.format("%s, old matrix split %s, new columns split %s", dtype, tostring(old),
          tostring(new)), function()
          local U, S, Vt = ht.linalg.svd(ht.array(X1, { dtype = dtype, split = old }))
          local U2, S2, Vt2 = ht.linalg.isvd(ht.array(X2, { dtype = dtype, split = new }), U, S, Vt)
          T.assert_shape(U2, { 7, 5 })
          T.assert_shape(Vt2, { 5, 5 })
          T.assert_dtype(U2, dtype)
          T.assert_dtype(S2, dtype)
          T.assert_allclose(S2, S_full, tols[dtype] * 10)
          check(U2, S2, Vt2, hcat(X1, X2), tols[dtype])
        end)
      end
    end
  end

  it("updates a truncated SVD exactly as the SVD of the truncated matrix plus the new columns", function()
    for _, sp in ipairs { 0, 1 } do
      local U, S, Vt = ht.linalg.svd(ht.array(X1, { dtype = "float64", split = sp }))
      U, S, Vt = U[{ ht.all, { 0, 2 } }], S[{ { 0, 2 } }], Vt[{ { 0, 2 }, ht.all }]
      local X1r = C.mm(C.mm(U:totable(), C.diag(S:totable())), Vt:totable())
      local U2, S2, Vt2 = ht.linalg.isvd(ht.array(X2, { dtype = "float64", split = sp }), U, S, Vt)
      T.assert_shape(U2, { 7, 4 })
      T.assert_allclose(S2, S_trunc, 1e-12)
      check(U2, S2, Vt2, hcat(X1r, X2), 1e-12)
    end
  end)

  it("maxrank truncates, exactly for a rank-2 matrix (positional or as an option)", function()
    -- L (7x2) @ R (2x5): rank 2; np.linalg.svd(L @ R)[1][:2]
    local L = { { 1, 0 }, { 0, 1 }, { 1, 1 }, { 2, -1 }, { 0, 3 }, { 1, 2 }, { -1, 0 } }
    local R = { { 1, 2, 0, -1, 1 }, { 0, 1, 3, 1, -2 } }
    local Y = C.mm(L, R)
    local Yold, Ynew = {}, {}
    for i = 1, #Y do Yold[i] = { Y[i][1], Y[i][2], Y[i][3] } Ynew[i] = { Y[i][4], Y[i][5] } end
    local U, S, Vt = ht.linalg.svd(ht.array(Yold, { dtype = "float64", split = 0 }))
    U, S, Vt = U[{ ht.all, { 0, 2 } }], S[{ { 0, 2 } }], Vt[{ { 0, 2 }, ht.all }]
    for _, mr in ipairs { 2, { maxrank = 2 } } do
      local U2, S2, Vt2 = ht.linalg.isvd(ht.array(Ynew, { dtype = "float64", split = 0 }), U, S, Vt, mr)
      T.assert_shape(U2, { 7, 2 })
      T.assert_shape(Vt2, { 2, 5 })
      T.assert_split(U2, 0)
      T.assert_allclose(S2, { 15.448526440538522, 7.4392896714660957 }, 1e-12)
      check(U2, S2, Vt2, Y, 1e-12)
    end
  end)

  it("works on ranks with no rows (2 rows) and promotes integer new columns", function()
    -- np.linalg.svd([[3, 0, 1], [4, 5, 0]])[1]
    local U, S, Vt = ht.linalg.svd(ht.array({ { 3, 0 }, { 4, 5 } }, { dtype = "float64", split = 0 }))
    local U2, S2, Vt2 = ht.linalg.isvd(ht.array({ { 1 }, { 0 } }, { split = 0 }), U, S, Vt)
    T.assert_dtype(S2, "float64")
    T.assert_allclose(S2, { 6.71582428179242, 2.428518934677542 }, 1e-12)
    check(U2, S2, Vt2, { { 3, 0, 1 }, { 4, 5, 0 } }, 1e-12)
  end)

  it("rejects bad input on every rank", function()
    local U, S, Vt = ht.linalg.svd(ht.array(X1, { dtype = "float64", split = 0 }))
    local N = ht.array(X2, { split = 0 })
    T.assert_error(function() ht.linalg.isvd(N[{ { 0, 6 } }], U, S, Vt) end,
      "isvd: the number of rows of new_data must match the number of rows of U_old (new_data (6, 2), U_old (7, 3)")
    T.assert_error(function() ht.linalg.isvd(N, U, S[{ { 0, 2 } }], Vt) end,
      "number of columns of U_old must match the number of elements in S_old")
    T.assert_error(function() ht.linalg.isvd(N, U[{ ht.all, { 0, 2 } }], S[{ { 0, 2 } }], Vt) end,
      "number of rows of Vt_old must match the number of elements in S_old")
    T.assert_error(function() ht.linalg.isvd(ht.zeros(7, { split = 0 }), U, S, Vt) end,
      "isvd: new_data must be 2-D, got shape (7,), split 0, dtype float32")
    T.assert_error(function() ht.linalg.isvd(N, U, S, Vt, 0) end, "maxrank must be an integer >= 1")
    T.assert_error(function() ht.linalg.isvd(N, U, S, Vt, { max_rank = 2 }) end,
      "unknown option 'max_rank'")
    T.assert_error(function() ht.linalg.isvd(N, U, S, Vt, 2, 3) end, "takes at most 5 arguments")
    T.assert_error(function() ht.linalg.isvd(X2, U, S, Vt) end, "new_data must be an array")
  end)
end)
