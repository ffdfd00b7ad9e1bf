-- Sorting and set operations: sort (values and indices, the split axis included: the
-- distributed sample sort), argsort, topk, unique, nonzero. Inputs in every distribution
-- (replicated, split 0/1, all rows on one rank); references from NumPy with a stable
-- sort (equal values keep their index order, as heatlua guarantees), or exact checks.
local ht = require "heat"
local T = require "heat.testing"

local p = ht.nprocs()

local function all_on(r, n)
  local c = {}
  for q = 1, p do c[q] = q == r + 1 and n or 0 end
  return c
end

-- replicated, balanced along each axis, split 0 on the last rank and on rank 0
local function each_layout(values, check, dtype)
  local x = ht.array(values, { dtype = dtype })
  local ls = { { "replicated", x, nil } }
  for ax = 0, x.ndim - 1 do ls[#ls + 1] = { "split " .. ax, ht.array(values, { dtype = dtype, split = ax }), ax } end
  if p > 1 then
    local n = x.shape[1]
    ls[#ls + 1] = { "split 0 on the last rank", ht.array(values, { dtype = dtype, split = 0 }):redistribute(all_on(p - 1, n)), 0 }
    ls[#ls + 1] = { "split 0 on rank 0", ht.array(values, { dtype = dtype, split = 0 }):redistribute(all_on(0, n)), 0 }
  end
  for _, l in ipairs(ls) do
    local ok, err = pcall(check, l[2], l[3])
    if not ok then error(l[1] .. ": " .. tostring(err), 2) end
  end
end

local nan = 0 / 0
-- rows of 2 x n: q = (7j + 5r) % 11, value q - 5, NaN where (j + r) % 9 == 4, -0.0 where q == 5
-- and j is odd (short_rows below); v = np.sort(A, 1, kind="stable"), i = np.argsort(A, 1,
-- kind="stable"); descending:
-- di = np.argsort(np.where(np.isnan(A), -np.inf, -A), 1, kind="stable"), dv = A[di] (NaN first)
local SHORT = {
  [1] = {
    v = {
      { -5 },
      { 0 },
    },
    i = {
      { 0 },
      { 0 },
    },
    dv = {
      { -5 },
      { 0 },
    },
    di = {
      { 0 },
      { 0 },
    },
  },
  [2] = {
    v = {
      { -5, 2 },
      { -4, 0 },
    },
    i = {
      { 0, 1 },
      { 1, 0 },
    },
    dv = {
      { 2, -5 },
      { 0, -4 },
    },
    di = {
      { 1, 0 },
      { 0, 1 },
    },
  },
  [17] = {
    v = {
      { -5, -5, -4, -3, -3, -2, -1, -0.0, 1, 2, 2, 3, 4, 5, 5, nan, nan },
      { -5, -5, -4, -3, -2, -1, 0, -0.0, 1, 2, 2, 3, 3, 4, 5, nan, nan },
    },
    i = {
      { 0, 11, 8, 5, 16, 2, 10, 7, 15, 1, 12, 9, 6, 3, 14, 4, 13 },
      { 4, 15, 1, 9, 6, 14, 0, 11, 8, 5, 16, 2, 13, 10, 7, 3, 12 },
    },
    dv = {
      { nan, nan, 5, 5, 4, 3, 2, 2, 1, -0.0, -1, -2, -3, -3, -4, -5, -5 },
      { nan, nan, 5, 4, 3, 3, 2, 2, 1, 0, -0.0, -1, -2, -3, -4, -5, -5 },
    },
    di = {
      { 4, 13, 3, 14, 6, 9, 1, 12, 15, 7, 10, 2, 5, 16, 8, 0, 11 },
      { 3, 12, 7, 10, 2, 13, 5, 16, 8, 0, 11, 14, 6, 9, 1, 4, 15 },
    },
  },
  [64] = {
    v = {
      { -5, -5, -5, -5, -5, -4, -4, -4, -4, -4, -4, -3, -3, -3, -3, -3, -2, -2, -2, -2, -2, -1,
        -1, -1, -1, -1, -0.0, 0, -0.0, -0.0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4,
        4, 4, 4, 4, 4, 5, 5, 5, 5, 5, nan, nan, nan, nan, nan, nan, nan },
      { -5, -5, -5, -5, -5, -4, -4, -4, -4, -4, -3, -3, -3, -3, -3, -2, -2, -2, -2, -2, -1, -1,
        -1, -1, -1, 0, -0.0, 0, -0.0, 0, -0.0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3,
        4, 4, 4, 4, 5, 5, 5, 5, 5, 5, nan, nan, nan, nan, nan, nan, nan },
    },
    i = {
      { 0, 11, 33, 44, 55, 8, 19, 30, 41, 52, 63, 5, 16, 27, 38, 60, 2, 24, 35, 46, 57, 10, 21,
        32, 43, 54, 7, 18, 29, 51, 62, 15, 26, 37, 48, 59, 1, 12, 23, 34, 45, 56, 9, 20, 42, 53,
        6, 17, 28, 39, 50, 61, 3, 14, 25, 36, 47, 4, 13, 22, 31, 40, 49, 58 },
      { 4, 15, 26, 37, 59, 1, 23, 34, 45, 56, 9, 20, 31, 42, 53, 6, 17, 28, 50, 61, 14, 25, 36,
        47, 58, 0, 11, 22, 33, 44, 55, 8, 19, 41, 52, 63, 5, 16, 27, 38, 49, 60, 2, 13, 24, 35,
        46, 10, 32, 43, 54, 7, 18, 29, 40, 51, 62, 3, 12, 21, 30, 39, 48, 57 },
    },
    dv = {
      { nan, nan, nan, nan, nan, nan, nan, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2,
        2, 2, 2, 1, 1, 1, 1, 1, -0.0, 0, -0.0, -0.0, 0, -1, -1, -1, -1, -1, -2, -2, -2, -2, -2,
        -3, -3, -3, -3, -3, -4, -4, -4, -4, -4, -4, -5, -5, -5, -5, -5 },
      { nan, nan, nan, nan, nan, nan, nan, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2,
        2, 2, 2, 1, 1, 1, 1, 1, 0, -0.0, 0, -0.0, 0, -0.0, -1, -1, -1, -1, -1, -2, -2, -2, -2,
        -2, -3, -3, -3, -3, -3, -4, -4, -4, -4, -4, -5, -5, -5, -5, -5 },
    },
    di = {
      { 4, 13, 22, 31, 40, 49, 58, 3, 14, 25, 36, 47, 6, 17, 28, 39, 50, 61, 9, 20, 42, 53, 1,
        12, 23, 34, 45, 56, 15, 26, 37, 48, 59, 7, 18, 29, 51, 62, 10, 21, 32, 43, 54, 2, 24,
        35, 46, 57, 5, 16, 27, 38, 60, 8, 19, 30, 41, 52, 63, 0, 11, 33, 44, 55 },
      { 3, 12, 21, 30, 39, 48, 57, 7, 18, 29, 40, 51, 62, 10, 32, 43, 54, 2, 13, 24, 35, 46, 5,
        16, 27, 38, 49, 60, 8, 19, 41, 52, 63, 0, 11, 22, 33, 44, 55, 14, 25, 36, 47, 58, 6, 17,
        28, 50, 61, 9, 20, 31, 42, 53, 1, 23, 34, 45, 56, 4, 15, 26, 37, 59 },
    },
  },
}

-- the input of SHORT (2 rows of n)
local function short_rows(n)
  local A = {}
  for r = 0, 1 do
    local row = {}
    for j = 0, n - 1 do
      local q = (7 * j + 5 * r) % 11
      local v = q - 5
      if (j + r) % 9 == 4 then v = 0 / 0 elseif q == 5 and j % 2 == 1 then v = -0.0 end
      row[j + 1] = v
    end
    A[r + 1] = row
  end
  return A
end

-- zeros' signs as in the NumPy reference (assert_equal takes -0.0 == 0.0)
local function assert_zero_signs(x, expected)
  local got = x:totable()
  for r, row in ipairs(expected) do
    for j, e in ipairs(row) do
      if e == 0 and 1 / e ~= 1 / got[r][j] then error(("zero sign at (%d, %d): expected %g"):format(r - 1, j - 1, 1 / e)) end
    end
  end
end

local V = { 5, 3, 9, 1, 3, 7, 0, 3, 8, 2 }
local M = { { 3, 1, 2 }, { 9, 7, 8 }, { 0, 5, 4 }, { 6, 6, 1 } }

describe("sort", function()
  it("sorts 1-D arrays, values and global indices, keeping the distribution", function()
    for _, dtype in ipairs { "int32", "int64", "float32", "float64", "int8", "uint8" } do
      each_layout(V, function(x, split)
        local v, i = ht.sort(x)
        T.assert_equal(v, { 0, 1, 2, 3, 3, 3, 5, 7, 8, 9 }) -- np.sort(V)
        T.assert_equal(i, { 6, 3, 9, 1, 4, 7, 0, 5, 8, 2 }) -- np.argsort(V, kind="stable")
        T.assert_dtype(v, dtype)
        T.assert_dtype(i, "int64")
        T.assert_split(v, split)
        if split then assert.are.same(x.counts, v.counts) assert.are.same(x.counts, i.counts) end
        local dv, di = x:sort(0, { descending = true })
        T.assert_equal(dv, { 9, 8, 7, 5, 3, 3, 3, 2, 1, 0 }) -- -np.sort(-V)
        T.assert_equal(di, { 2, 8, 5, 0, 1, 4, 7, 9, 3, 6 }) -- np.argsort(-V, kind="stable")
      end, dtype)
    end
  end)

  it("puts NaN last, or first when descending (torch)", function()
    local nan = 0 / 0
    local F = { 0.5, nan, -1.5, 2.0, -0.0, 1.0, nan, -3.0 }
    each_layout(F, function(x)
      local v, i = x:sort()
      T.assert_equal(v, { -3, -1.5, 0, 0.5, 1, 2, nan, nan }) -- np.sort(F)
      T.assert_equal(i, { 7, 2, 4, 0, 5, 3, 1, 6 }) -- np.argsort(F, kind="stable")
      local dv, di = x:sort { descending = true }
      -- NaNs first, then -np.sort(-F[~isnan]); indices by (isnan first, -F, index)
      T.assert_equal(dv, { nan, nan, 2, 1, 0.5, 0, -1.5, -3 })
      T.assert_equal(di, { 1, 6, 3, 5, 0, 4, 2, 7 })
    end, "float64")
  end)

  it("sorts 2-D arrays along either axis, the split one included", function()
    each_layout(M, function(x, split)
      local v, i = ht.sort(x, 0)
      T.assert_equal(v, { { 0, 1, 1 }, { 3, 5, 2 }, { 6, 6, 4 }, { 9, 7, 8 } }) -- np.sort(M, 0)
      T.assert_equal(i, { { 2, 0, 3 }, { 0, 2, 0 }, { 3, 3, 2 }, { 1, 1, 1 } }) -- np.argsort(M, 0, kind="stable")
      T.assert_split(v, split)
      if split then assert.are.same(x.counts, v.counts) end
      local v1, i1 = ht.sort(x) -- axis -1
      T.assert_equal(v1, { { 1, 2, 3 }, { 7, 8, 9 }, { 0, 4, 5 }, { 1, 6, 6 } }) -- np.sort(M, 1)
      T.assert_equal(i1, { { 1, 2, 0 }, { 1, 2, 0 }, { 0, 2, 1 }, { 2, 0, 1 } }) -- np.argsort(M, 1, kind="stable")
      local dv, di = ht.sort(x, 0, { descending = true })
      T.assert_equal(dv, { { 9, 7, 8 }, { 6, 6, 4 }, { 3, 5, 2 }, { 0, 1, 1 } }) -- -np.sort(-M, 0)
      T.assert_equal(di, { { 1, 1, 1 }, { 3, 3, 2 }, { 0, 2, 0 }, { 2, 0, 3 } }) -- np.argsort(-M, 0, kind="stable")
    end)
  end)

  it("sorts short rows (1, 2, 17, 64 values) with NaN, duplicates and signed zeros", function()
    for _, n in ipairs { 1, 2, 17, 64 } do
      local e = SHORT[n]
      for _, dtype in ipairs { "float32", "float64" } do
        each_layout(short_rows(n), function(x)
          local v, i = ht.sort(x, 1)
          T.assert_equal(v, e.v)
          T.assert_equal(i, e.i)
          assert_zero_signs(v, e.v)
          local dv, di = x:sort(1, { descending = true })
          T.assert_equal(dv, e.dv)
          T.assert_equal(di, e.di)
          assert_zero_signs(dv, e.dv)
          T.assert_equal(ht.argsort(x, 1), e.i)
          local k = math.min(n, 3) -- topk: the first k of the descending sort
          local tv, ti = ht.topk(x, k, 1)
          T.assert_equal(ti, ht.array(e.di)[{ ht.all, { 0, k } }]:totable())
          T.assert_equal(tv, ht.array(e.dv)[{ ht.all, { 0, k } }]:totable())
        end, dtype)
      end
    end
    -- integers: q - 5 without NaN and -0.0 (A below), n = 17
    local A = {}
    for r = 0, 1 do
      A[r + 1] = {}
      for j = 0, 16 do A[r + 1][j + 1] = (7 * j + 5 * r) % 11 - 5 end
    end
    for _, dtype in ipairs { "int32", "int8", "int16" } do
      each_layout(A, function(x)
        local v, i = ht.sort(x, 1)
        T.assert_equal(v, { { -5, -5, -4, -3, -3, -2, -2, -1, 0, 1, 1, 2, 2, 3, 4, 5, 5 }, -- np.sort(A, 1)
                            { -5, -5, -4, -4, -3, -2, -1, -1, 0, 0, 1, 2, 2, 3, 3, 4, 5 } })
        T.assert_equal(i, { { 0, 11, 8, 5, 16, 2, 13, 10, 7, 4, 15, 1, 12, 9, 6, 3, 14 }, -- np.argsort(A, 1, kind="stable")
                            { 4, 15, 1, 12, 9, 6, 3, 14, 0, 11, 8, 5, 16, 2, 13, 10, 7 } })
        T.assert_dtype(v, dtype)
        T.assert_equal(ht.argsort(x, 1, { descending = true }), -- np.argsort(-A, 1, kind="stable")
          { { 3, 14, 6, 9, 1, 12, 4, 15, 7, 10, 2, 13, 5, 16, 8, 0, 11 },
            { 7, 10, 2, 13, 5, 16, 8, 0, 11, 3, 14, 6, 9, 1, 12, 4, 15 } })
      end, dtype)
    end
  end)

  it("sample-sorts 1000 values with many duplicates exactly", function()
    -- values from a linear congruential generator, 37 distinct ones; checked exactly:
    -- ascending, ties by index, and v[k] == x[i[k]] with i a permutation
    local vals, s = {}, 12345
    for k = 1, 1000 do
      s = (s * 1103515245 + 12345) % 2147483648
      vals[k] = s % 37 - 18
    end
    for _, layout in ipairs { "balanced", "last", "first" } do
      local x = ht.array(vals, { split = 0, dtype = "int32" })
      if layout == "last" then x = x:redistribute(all_on(p - 1, 1000)) end
      if layout == "first" then x = x:redistribute(all_on(0, 1000)) end
      local v, i = ht.sort(x)
      assert.are.same(x.counts, v.counts)
      local vt, it_ = v:totable(), i:totable()
      local seen = {}
      for k = 1, 1000 do
        assert.are.equal(vals[it_[k] + 1], vt[k])
        assert.is_nil(seen[it_[k]])
        seen[it_[k]] = true
        if k > 1 then
          assert.is_true(vt[k - 1] < vt[k] or (vt[k - 1] == vt[k] and it_[k - 1] < it_[k]))
        end
      end
    end
  end)

  it("handles empty arrays and ranks with no rows", function()
    local v, i = ht.sort(ht.zeros(0, { split = 0 }))
    T.assert_shape(v, { 0 })
    T.assert_shape(i, { 0 })
    local w = ht.sort(ht.array({ 2, 1 }, { split = 0 })) -- 2 rows on up to 4 ranks
    T.assert_equal(w, { 1, 2 })
    T.assert_error(function() ht.sort(ht.zeros(3), 1) end, "ht.sort: axis 1 is out of bounds for array of dimension 1")
  end)
end)

describe("argsort", function()
  it("gives the sorting indices", function()
    each_layout(V, function(x, split)
      local i = ht.argsort(x)
      T.assert_equal(i, { 6, 3, 9, 1, 4, 7, 0, 5, 8, 2 }) -- np.argsort(V, kind="stable")
      T.assert_split(i, split)
      T.assert_equal(x:argsort(0, { descending = true }), { 2, 8, 5, 0, 1, 4, 7, 9, 3, 6 }) -- np.argsort(-V, kind="stable")
    end)
  end)
end)

describe("topk", function()
  it("selects the k largest or smallest along any axis", function()
    each_layout(V, function(x)
      local v, i = ht.topk(x, 3)
      T.assert_equal(v, { 9, 8, 7 }) -- -np.sort(-V)[:3]
      T.assert_equal(i, { 2, 8, 5 }) -- np.argsort(-V, kind="stable")[:3]
      local s, si = x:topk(3, 0, false)
      T.assert_equal(s, { 0, 1, 2 }) -- np.sort(V)[:3]
      T.assert_equal(si, { 6, 3, 9 }) -- np.argsort(V, kind="stable")[:3]
      T.assert_shape(ht.topk(x, 0), { 0 })
    end)
    each_layout(M, function(x, split)
      local v, i = ht.topk(x, 2, 0)
      T.assert_equal(v, { { 9, 7, 8 }, { 6, 6, 4 } }) -- -np.sort(-M, 0)[:2]
      T.assert_equal(i, { { 1, 1, 1 }, { 3, 3, 2 } }) -- np.argsort(-M, 0, kind="stable")[:2]
      T.assert_split(v, split ~= 0 and split or nil) -- along the split axis: replicated
      local v1, i1 = x:topk(2)
      T.assert_equal(v1, { { 3, 2 }, { 9, 8 }, { 5, 4 }, { 6, 6 } }) -- -np.sort(-M, 1)[:, :2]
      T.assert_equal(i1, { { 0, 2 }, { 0, 2 }, { 1, 2 }, { 0, 1 } }) -- np.argsort(-M, 1, kind="stable")[:, :2]
      local s, si = x:topk(3, { dim = 0, largest = false })
      T.assert_equal(s, { { 0, 1, 1 }, { 3, 5, 2 }, { 6, 6, 4 } }) -- np.sort(M, 0)[:3]
      T.assert_equal(si, { { 2, 0, 3 }, { 0, 2, 0 }, { 3, 3, 2 } }) -- np.argsort(M, 0, kind="stable")[:3]
    end)
    T.assert_error(function() ht.topk(ht.arange(3), 4) end, "ht.topk: k (4) is out of range for axis 0 of length 3")
  end)
end)

describe("unique", function()
  it("gives sorted unique values, inverse and counts on every layout", function()
    each_layout(V, function(x, split)
      local u, inv, cnt = ht.unique(x, { return_inverse = true, return_counts = true })
      -- np.unique(V, return_inverse=True, return_counts=True)
      T.assert_equal(u, { 0, 1, 2, 3, 5, 7, 8, 9 })
      T.assert_equal(inv, { 4, 3, 7, 1, 3, 5, 0, 3, 6, 2 })
      T.assert_equal(cnt, { 1, 1, 1, 3, 1, 1, 1, 1 })
      T.assert_split(u, nil)
      T.assert_split(inv, split)
      T.assert_dtype(inv, "int64")
      T.assert_equal(x:unique(), { 0, 1, 2, 3, 5, 7, 8, 9 })
    end)
    each_layout(M, function(x, split)
      local u, inv = ht.unique(x, { return_inverse = true })
      T.assert_equal(u, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }) -- np.unique(M)
      T.assert_equal(inv, { { 3, 1, 2 }, { 9, 7, 8 }, { 0, 5, 4 }, { 6, 6, 1 } }) -- its inverse (NumPy 2: M's shape)
      T.assert_split(inv, split)
    end)
  end)

  it("counts NaN once and keeps the dtype", function()
    local nan = 0 / 0
    each_layout({ 0.5, nan, -1.5, 2.0, -0.0, 1.0, nan, -3.0 }, function(x)
      local u, c = ht.unique(x, { return_counts = true })
      T.assert_equal(u, { -3, -1.5, 0, 0.5, 1, 2, nan }) -- np.unique(F, return_counts=True)
      T.assert_equal(c, { 1, 1, 1, 1, 1, 1, 2 })
      T.assert_dtype(u, "float32")
    end, "float32")
    T.assert_shape(ht.unique(ht.zeros(0, { split = 0 })), { 0 })
  end)
end)

describe("nonzero", function()
  it("returns Heat's (nnz, ndim) int64 index array, split 0 when the input is split", function()
    each_layout({ { 0, 1, 0 }, { 2, 0, 3 }, { 0, 0, 0 }, { 4, 0, 0 } }, function(x, split)
      local nz = ht.nonzero(x)
      T.assert_equal(nz, { { 0, 1 }, { 1, 0 }, { 1, 2 }, { 3, 0 } }) -- np.argwhere(N)
      T.assert_dtype(nz, "int64")
      T.assert_split(nz, split and 0)
    end)
    each_layout(V, function(x)
      T.assert_equal(x:nonzero(), { { 0 }, { 1 }, { 2 }, { 3 }, { 4 }, { 5 }, { 7 }, { 8 }, { 9 } }) -- np.argwhere(V)
    end)
    each_layout({ { true }, { false }, { true } }, function(x)
      T.assert_equal(x:nonzero(), { { 0, 0 }, { 2, 0 } }) -- np.argwhere([[True], [False], [True]])
    end)
    T.assert_shape(ht.nonzero(ht.zeros({ 3, 2 }, { split = 1 })), { 0, 2 })
    T.assert_error(function() ht.nonzero(ht.array(1)) end, "ht.nonzero: calling nonzero on 0d arrays is not allowed")
  end)
end)
