-- ht.linalg.hsvd_rank, hsvd_rtol, hsvd on a matrix built from known factors,
-- A = Q1 diag(10, 5, 1, 0.1, 0.01) Q2^T (Q1: 5 columns of the 8x8 Sylvester-Hadamard
-- matrix / sqrt(8), Q2: a product of Givens rotations), at every split, float32 and
-- float64, ranks with no rows; the rtol contract (estimate <= rtol, true error <= estimate,
-- the exact SVD's smallest rank); bad input.
local ht = require "heat"
local T = require "heat.testing"
local C = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "linalg_check.lua")

local function hadamard8()
  local H = { { 1 } }
  while #H < 8 do
    local n, G = #H, {}
    for i = 1, 2 * n do
      G[i] = {}
      for j = 1, 2 * n do
        local s = (i > n and j > n) and -1 or 1
        G[i][j] = s * H[(i - 1) % n + 1][(j - 1) % n + 1]
      end
    end
    H = G
  end
  return H
end

local function givens(n, p, q, th)
  local G = C.eye(n)
  G[p][p], G[q][q], G[p][q], G[q][p] = math.cos(th), math.cos(th), -math.sin(th), math.sin(th)
  return G
end

local H = hadamard8()
local Q1 = {}
for i = 1, 8 do
  Q1[i] = {}
  for j = 1, 5 do Q1[i][j] = H[i][j + 1] / math.sqrt(8) end
end
local Q2 = C.mm(C.mm(givens(5, 1, 2, 0.3), givens(5, 3, 4, -0.7)), givens(5, 2, 5, 1.1))
local sig = { 10, 5, 1, 0.1, 0.01 }
local A = C.mm(C.mm(Q1, C.diag(sig)), C.t(Q2))
local tot = 0
for _, s in ipairs(sig) do tot = tot + s * s end
-- relative error of the best rank-r approximation: sqrt(sum_{j>r} s_j^2 / sum s_j^2)
local function best_err(r)
  local t = 0
  for j = r + 1, #sig do t = t + sig[j] ^ 2 end
  return math.sqrt(t / tot)
end

local tols = { float64 = 1e-10, float32 = 1e-4 }

-- the true relative error of U diag(S) V^T, and U's orthonormality
local function true_err(U, S, V)
  local R = C.mm(C.mm(U:totable(), C.diag(S:totable())), C.t(V:totable()))
  local e = 0
  for i = 1, #A do for j = 1, #A[1] do e = e + (A[i][j] - R[i][j]) ^ 2 end end
  return math.sqrt(e / tot)
end

describe("ht.linalg.hsvd", function()
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0, 1 } do
      local sp = split or nil
      local name = string.format("%s, split %s", dtype, tostring(sp))
      local X = ht.array(A, { dtype = dtype, split = sp })

      it("hsvd_rank(A, 2) finds the two leading singular triplets, " .. name, function()
        local U, S, V, err = ht.linalg.hsvd_rank(X, 2, { compute_sv = true })
        T.assert_shape(U, { 8, 2 })
        T.assert_shape(V, { 5, 2 })
        T.assert_split(U, sp == 0 and 0 or nil)
        T.assert_dtype(U, dtype)
        T.assert_allclose(S, { 10, 5 }, tols[dtype])
        C.orthonormal_cols(U:totable(), tols[dtype] * 10, "U")
        C.orthonormal_cols(V:totable(), tols[dtype] * 10, "V")
        assert.is_true(math.abs(err - best_err(2)) < tols[dtype] * 10, "err " .. err)
        assert.is_true(math.abs(true_err(U, S, V) - best_err(2)) < tols[dtype] * 10)
        local U2, err2 = ht.linalg.hsvd_rank(X, 2)
        T.assert_allclose(U2, U:totable(), 0, tols[dtype] * 10)
        assert.are.equal(err, err2)
      end)

      it("hsvd_rtol keeps the exact SVD's smallest rank and the contract, " .. name, function()
        for _, case in ipairs { { 0.05, 3 }, { 0.1, 2 }, { 0.5, 1 }, { 1e-5, 5 } } do
          local rtol, rank = case[1], case[2]
          local U, S, V, err = ht.linalg.hsvd_rtol(X, rtol, { compute_sv = true })
          T.assert_shape(U, { 8, rank })
          assert.is_true(err <= rtol, string.format("estimate %g > rtol %g", err, rtol))
          assert.is_true(true_err(U, S, V) <= err + tols[dtype] * 10, "true error <= estimate")
          assert.is_true(math.abs(err - best_err(rank)) < tols[dtype] * 10)
        end
      end)

      it("hsvd with merges of two and no safety shift, " .. name, function()
        local U, S, V, err = ht.linalg.hsvd(X, { maxrank = 3, compute_sv = true })
        T.assert_allclose(S, { 10, 5, 1 }, tols[dtype] * 100)
        -- truncating inner nodes at rank 3 may cost more than the best rank-3 error, but the
        -- estimate stays an upper bound of the true error
        assert.is_true(err >= best_err(3) - tols[dtype] * 10, "estimate " .. err)
        assert.is_true(true_err(U, S, V) <= err + tols[dtype] * 10, "true error <= estimate")
      end)
    end
  end

  it("of the wide transpose (5, 8): U and V swap roles", function()
    for _, dtype in ipairs { "float64", "float32" } do
      for _, split in ipairs { false, 0, 1 } do
        local U, S, V, err = ht.linalg.hsvd_rank(ht.array(C.t(A), { dtype = dtype, split = split or nil }),
          3, { compute_sv = true })
        T.assert_shape(U, { 5, 3 })
        T.assert_shape(V, { 8, 3 })
        T.assert_allclose(S, { 10, 5, 1 }, tols[dtype])
        C.orthonormal_cols(U:totable(), tols[dtype] * 10, "U")
        assert.is_true(math.abs(err - best_err(3)) < tols[dtype] * 10, "err " .. err)
      end
    end
  end)

  it("works when ranks own no rows or columns", function()
    -- B = [[3, 0, 0], [0, 4, 0]]: singular values 4, 3 (np.linalg.svd(B)[1])
    local B = { { 3, 0, 0 }, { 0, 4, 0 } }
    for _, sp in ipairs { 0, 1 } do
      local U, S, V, err = ht.linalg.hsvd_rank(ht.array(B, { split = sp }), 1, { compute_sv = true })
      T.assert_allclose(S, { 4 }, 1e-14)
      T.assert_allclose(U, { { 0 }, { 1 } }, 0, 1e-14)
      T.assert_allclose(V, { { 0 }, { 1 }, { 0 } }, 0, 1e-14)
      assert.is_true(math.abs(err - 0.6) < 1e-14) -- 3 / 5
    end
    local X = ht.array(A, { split = 0, dtype = "float64" })[{ { 5, 8 } }] -- rows 5..7 only
    local _, S = select(1, ht.linalg.hsvd_rank(X, 5, { compute_sv = true }))
    local _, S_ex = ht.linalg.svd(X)
    T.assert_allclose(S, S_ex:totable(), 1e-10)
  end)

  it("compute_u = false gives nil and the same S, V and error (heatlua extension)", function()
    -- S, V and err must equal the compute_sv call's: U is only not kept (a row-split A's S
    -- comes from blocks of A V then); rows 5..7 leave ranks with no rows at 3-4 ranks
    for _, dtype in ipairs { "float64", "float32" } do
      for _, split in ipairs { false, 0, 1 } do
        local full = ht.array(A, { dtype = dtype, split = split or nil })
        for _, X in ipairs { full, full[{ { 5, 8 } }] } do
          local _, S, V, err = ht.linalg.hsvd_rtol(X, 0.05, { compute_sv = true })
          local U2, S2, V2, err2 = ht.linalg.hsvd_rtol(X, 0.05, { compute_u = false })
          assert.is_nil(U2)
          T.assert_allclose(S2, S:totable(), tols[dtype])
          T.assert_allclose(V2, V:totable(), 0, tols[dtype])
          assert.are.equal(err, err2)
          local U3, S3, V3, err3 = ht.linalg.hsvd_rank(X, 2, { compute_u = false })
          assert.is_nil(U3)
          T.assert_shape(S3, { 2 })
          T.assert_shape(V3, { 5, 2 })
          assert.is_number(err3)
        end
        local _, S4 = ht.linalg.hsvd(full, { maxrank = 3, compute_u = false })
        T.assert_allclose(S4, { 10, 5, 1 }, tols[dtype] * 100)
      end
    end
  end)

  it("rejects bad input on every rank", function()
    local X = ht.array(A, { split = 0 })
    T.assert_error(function() ht.linalg.hsvd_rank(X, 2, { maxmergedim = 5 }) end,
      "maxmergedim=5 is too small")
    T.assert_error(function() ht.linalg.hsvd_rtol(X, -1) end, "rtol must be a non-negative number")
    T.assert_error(function() ht.linalg.hsvd_rtol(X, 0.1, { no_of_merges = 1 }) end,
      "no_of_merges must be >= 2")
    T.assert_error(function() ht.linalg.hsvd_rtol(X, 0.1, { max_rank = 3 }) end,
      "unknown option 'max_rank'")
    T.assert_error(function() ht.linalg.hsvd_rank(X, 0) end, "maxrank must be an integer >= 1")
    T.assert_error(function() ht.linalg.hsvd_rtol(X, 0.1, { compute_u = 0 }) end,
      "hsvd_rtol: compute_u must be a boolean, got number")
    T.assert_error(function() ht.linalg.hsvd_rank(ht.ones(5, { split = 0 }), 2) end,
      "expected a 2-D array")
    local N = ht.array(A, { split = 1, dtype = "float64" })
    N[{ 7, 4 }] = 0 / 0
    T.assert_error(function() ht.linalg.hsvd_rtol(N, 0.1) end, "hsvd: array must not contain infs or NaNs")
  end)
end)
