-- ht.linalg.rsvd and reigh on matrices built from known factors (exact low rank, so the
-- randomized range finder is exact): singular values / eigenvalues, orthonormal factors,
-- reconstruction, every split, float32 and float64; independence of the rank count; bad input.
local ht = require "heat"
local T = require "heat.testing"
local C = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "linalg_check.lua")

-- Q1: 3 orthonormal columns of length 8 (Sylvester-Hadamard columns 2, 3, 5 / sqrt(8))
local Q1 = {}
for i = 0, 7 do
  local function h(j) -- entry (i, j) of the 8x8 Sylvester-Hadamard matrix
    local b, x = 0, bit.band(i, j)
    while x > 0 do b = b + bit.band(x, 1); x = bit.rshift(x, 1) end
    return (b % 2 == 0 and 1 or -1) / math.sqrt(8)
  end
  Q1[i + 1] = { h(1), h(2), h(4) }
end
local c, s = math.cos(0.4), math.sin(0.4)
local Q2 = { { c, -s, 0 }, { s, c, 0 }, { 0, 0, 1 }, { 0, 0, 0 }, { 0, 0, 0 } } -- 5 x 3
local A = C.mm(C.mm(Q1, C.diag { 9, 4, 2 }), C.t(Q2))         -- 8 x 5, rank 3
local Sym = C.mm(C.mm(Q1, C.diag { 6, -3, 1 }), C.t(Q1))      -- 8 x 8 symmetric, rank 3

local tols = { float64 = 1e-10, float32 = 1e-4 }

describe("ht.linalg.rsvd", function()
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0, 1 } do
      local sp = split or nil
      it(string.format("of an exactly rank-3 (8, 5) %s matrix, split %s", dtype, tostring(sp)), function()
        local U, S, Vt = ht.linalg.rsvd(ht.array(A, { dtype = dtype, split = sp }), 2,
          { n_oversamples = 1 })
        T.assert_shape(U, { 8, 2 })
        T.assert_shape(Vt, { 2, 5 })
        T.assert_dtype(U, dtype)
        T.assert_allclose(S, { 9, 4 }, tols[dtype])
        C.orthonormal_cols(U:totable(), tols[dtype] * 10, "U")
        local U3, S3, V3 = ht.linalg.rsvd(ht.array(A, { dtype = dtype, split = sp }), 3,
          { power_iter = 2 })
        T.assert_allclose(S3, { 9, 4, 2 }, tols[dtype])
        C.close(C.mm(C.mm(U3:totable(), C.diag(S3:totable())), V3:totable()), A,
          tols[dtype] * 20, "U diag(S) Vt = A")
      end)
    end
  end

  it("gives the replicated result on split input (the sketch does not depend on ranks)", function()
    ht.random.seed(11)
    local X = ht.random.randn(9, 6, { split = 0, dtype = "float64" })
    local R = X:resplit(nil)
    ht.random.seed(5)
    local U, S, Vt = ht.linalg.rsvd(X, 2, { n_oversamples = 0 })
    ht.random.seed(5)
    local Ur, Sr, Vtr = ht.linalg.rsvd(R, 2, { n_oversamples = 0 })
    T.assert_allclose(S, Sr:totable(), 1e-12)
    T.assert_allclose(U, Ur:totable(), 0, 1e-12)
    T.assert_allclose(Vt, Vtr:totable(), 0, 1e-12)
    -- a rank-2 sketch of a full-rank matrix: its singular values stay below the exact ones
    local exact, s = ht.linalg.svdvals(X):totable(), S:totable()
    assert.is_true(s[1] <= exact[1] + 1e-12 and s[2] <= exact[2] + 1e-12)
  end)

  it("rejects bad input", function()
    local X = ht.array(A, { split = 0 })
    T.assert_error(function() ht.linalg.rsvd(X, 6) end, "rsvd: rank 6 exceeds min(m, n) = 5")
    T.assert_error(function() ht.linalg.rsvd(X, 0) end, "rank must be an integer >= 1")
    T.assert_error(function() ht.linalg.rsvd(X, 2, { oversamples = 3 }) end, "unknown option 'oversamples'")
    T.assert_error(function() ht.linalg.reigh(X, 2) end, "reigh: expected a square matrix")
  end)
end)

describe("ht.linalg.reigh", function()
  for _, dtype in ipairs { "float64", "float32" } do
    for _, split in ipairs { false, 0, 1 } do
      local sp = split or nil
      it(string.format("of a rank-3 symmetric (8, 8) %s matrix, split %s", dtype, tostring(sp)), function()
        local w, V = ht.linalg.reigh(ht.array(Sym, { dtype = dtype, split = sp }), 3,
          { n_oversamples = 2 })
        -- descending eigenvalues (Heat): np.linalg.eigvalsh(Sym)[::-1][:3] = 6, 1, 0 ... the
        -- nonzero ones are 6, 1, -3; Heat sorts by value, so the three largest are 6, 1, 0
        T.assert_allclose(w, { 6, 1, 0 }, tols[dtype], tols[dtype] * 10)
        local v = V:totable()
        C.orthonormal_cols(v, tols[dtype] * 10, "V")
        C.close(C.mm(Sym, v), C.mm(v, C.diag(w:totable())), tols[dtype] * 50, "A V = V diag(w)")
      end)
    end
  end
end)
