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
