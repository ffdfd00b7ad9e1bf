-- Array manipulation: reshape, transposes, squeeze/expand_dims, joining and splitting,
-- flip/roll/repeat/tile/pad, diff, cumsum/cumprod. Every function runs on replicated,
-- split 0, split 1 and unbalanced inputs (all rows on one rank: the others own none);
-- values come from NumPy (the expression is in the comment), splits from Heat's rules.
local ht = require "heat"
local T = require "heat.testing"
local core = require "heat.core"

local p, me = ht.nprocs(), ht.rank()

-- A = np.arange(12).reshape(3, 4); C = A + 100
local A = { { 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 8, 9, 10, 11 } }
local C = { { 100, 101, 102, 103 }, { 104, 105, 106, 107 }, { 108, 109, 110, 111 } }

-- counts with all n rows on rank r (0-based)
local function all_on(r, n)
  local c = {}
  for q = 1, p do c[q] = q == r + 1 and n or 0 end
  return c
end

-- The same values in every distribution: replicated, balanced along each axis, and split
-- 0 with all rows on the last rank and on the first one.
local function layouts(values, dtype)
  local x = ht.array(values, { dtype = dtype })
  local out = { { name = "replicated", x = x, split = nil } }
  for ax = 0, x.ndim - 1 do
    out[#out + 1] = { name = "split " .. ax, x = ht.array(values, { dtype = dtype, split = ax }), split = ax }
  end
  if x.ndim > 0 and p > 1 then
    local n = x.shape[1]
    out[#out + 1] = { name = "split 0 on the last rank", split = 0,
                      x = ht.array(values, { dtype = dtype, split = 0 }):redistribute(all_on(p - 1, n)) }
    out[#out + 1] = { name = "split 0 on rank 0", split = 0,
                      x = ht.array(values, { dtype = dtype, split = 0 }):redistribute(all_on(0, n)) }
  end
  return out
end

-- Runs check(x, split, name) on every layout; the layout's name goes into failures.
local function each_layout(values, check, dtype)
  for _, l in ipairs(layouts(values, dtype)) do
    local ok, err = pcall(check, l.x, l.split, l.name)
    if not ok then error(l.name .. ": " .. tostring(err), 2) end
  end
end

local function sum(t)
  local s = 0
  for i = 1, #t do s = s + t[i] end
  return s
end

describe("reshape", function()
  it("matches NumPy on every layout, keeping the split as Heat does", function()
    each_layout(A, function(x, split)
      local y = x:reshape(4, 3)
      T.assert_equal(y, { { 0, 1, 2 }, { 3, 4, 5 }, { 6, 7, 8 }, { 9, 10, 11 } }) -- A.reshape(4,3)
      T.assert_split(y, split) -- same ndim: same split
      T.assert_equal(ht.reshape(x, { 2, -1 }), { { 0, 1, 2, 3, 4, 5 }, { 6, 7, 8, 9, 10, 11 } }) -- A.reshape(2,-1)
      local z = x:reshape { 2, 2, 3 }
      T.assert_equal(z, { { { 0, 1, 2 }, { 3, 4, 5 } }, { { 6, 7, 8 }, { 9, 10, 11 } } }) -- A.reshape(2,2,3)
      T.assert_split(z, split and 0) -- other ndim: split 0 (Heat), replicated stays
      T.assert_equal(x:reshape(12), { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }) -- A.reshape(12)
    end, "int32")
  end)

  it("takes new_split and balances what it moves", function()
    local x = ht.array(A, { split = 0 })
    local y = x:reshape(6, 2, { new_split = 1 })
    T.assert_split(y, 1)
    T.assert_equal(y, { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 7 }, { 8, 9 }, { 10, 11 } }) -- A.reshape(6,2)
    assert.is_true(y.balanced)
    local r = ht.reshape(x, { 4, 3 }, { new_split = -1 })
    T.assert_split(r, 1)
    T.assert_split(ht.array(A):reshape(2, 6, { new_split = 0 }), 0) -- a replicated array cut
  end)

  it("moves no data when rows stay whole (split rows keep their counts)", function()
    local x = ht.array(A, { split = 0 }):redistribute(all_on(p - 1, 3))
    local before = core._bytes_sent()
    local y = x:reshape(3, 2, 2)
    assert.are.equal(before, core._bytes_sent())
    assert.are.same(x.counts, y.counts)
    T.assert_equal(y, { { { 0, 1 }, { 2, 3 } }, { { 4, 5 }, { 6, 7 } }, { { 8, 9 }, { 10, 11 } } }) -- A.reshape(3,2,2)
  end)

  it("handles ranks with no rows and empty arrays", function()
    local x = ht.zeros({ 2, 3 }, { split = 0 }) -- 2 rows: ranks 2 and 3 own none
    T.assert_equal(x:reshape(3, 2), { { 0, 0 }, { 0, 0 }, { 0, 0 } })
    T.assert_equal(x:reshape(6), { 0, 0, 0, 0, 0, 0 })
    local e = ht.zeros({ 0, 4 }, { split = 0 })
    T.assert_shape(e:reshape(4, 0), { 4, 0 })
    T.assert_shape(e:reshape(-1), { 0 })
  end)

  it("reports NumPy's errors", function()
    local x = ht.arange(6, { split = 0 })
    T.assert_error(function() x:reshape(4) end, "ht.reshape: cannot reshape array of size 6 into shape (4,)")
    T.assert_error(function() x:reshape(4, -1) end, "ht.reshape: cannot reshape array of size 6 into shape (4,newaxis)")
    T.assert_error(function() x:reshape(-1, -1) end, "ht.reshape: can only specify one unknown dimension")
    T.assert_error(function() x:reshape(2, 3, { new_split = 2 }) end, "ht.reshape: axis 2 is out of bounds for array of dimension 2")
  end)
end)

describe("flatten and ravel", function()
  it("give the flat array, split 0 when split (Heat)", function()
    each_layout(A, function(x, split)
      for _, f in ipairs { ht.flatten, ht.ravel } do
        local y = f(x)
        T.assert_equal(y, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }) -- A.flatten()
        T.assert_split(y, split and 0)
      end
    end)
  end)
end)

describe("transpose, permute, swapaxes", function()
  it("are views whose split moves with its axis", function()
    each_layout(A, function(x, split)
      local y = x:transpose()
      T.assert_equal(y, { { 0, 4, 8 }, { 1, 5, 9 }, { 2, 6, 10 }, { 3, 7, 11 } }) -- A.T
      T.assert_split(y, split and 1 - split)
      T.assert_equal(ht.transpose(x, { 1, 0 }), { { 0, 4, 8 }, { 1, 5, 9 }, { 2, 6, 10 }, { 3, 7, 11 } })
      T.assert_equal(x:permute(1, 0):transpose(), A) -- back again
    end)
  end)

  it("permutes 3-d arrays", function()
    local B = ht.arange(24):reshape(2, 3, 4) -- np.arange(24).reshape(2,3,4)
    each_layout(B:totable(), function(x, split)
      local y = x:transpose { 2, 0, 1 }
      T.assert_equal(y, { { { 0, 4, 8 }, { 12, 16, 20 } }, { { 1, 5, 9 }, { 13, 17, 21 } },
                          { { 2, 6, 10 }, { 14, 18, 22 } }, { { 3, 7, 11 }, { 15, 19, 23 } } }) -- B.transpose(2,0,1)
      T.assert_split(y, split and ({ [0] = 1, 2, 0 })[split])
      local s = ht.swapaxes(x, 0, -1)
      T.assert_equal(s, { { { 0, 12 }, { 4, 16 }, { 8, 20 } }, { { 1, 13 }, { 5, 17 }, { 9, 21 } },
                          { { 2, 14 }, { 6, 18 }, { 10, 22 } }, { { 3, 15 }, { 7, 19 }, { 11, 23 } } }) -- np.swapaxes(B,0,2)
      T.assert_split(s, split and ({ [0] = 2, 1, 0 })[split])
    end)
  end)

  it("reports NumPy's errors", function()
    local x = ht.zeros({ 2, 3 })
    T.assert_error(function() x:transpose { 0 } end, "ht.transpose: axes don't match array")
    T.assert_error(function() x:transpose { 0, 0 } end, "ht.transpose: repeated axis in transpose")
    T.assert_error(function() x:transpose { 0, 2 } end, "ht.transpose: axis 2 is out of bounds for array of dimension 2")
  end)
end)

describe("squeeze and expand_dims", function()
  it("squeeze drops length-1 axes; the split survives or, squeezed, replicates", function()
    local vals = { { { 1 }, { 2 }, { 3 } } } -- shape (1, 3, 1)
    each_layout(vals, function(x, split)
      local y = x:squeeze()
      T.assert_equal(y, { 1, 2, 3 }) -- np.squeeze(v)
      T.assert_split(y, split == 1 and 0 or nil)
      local z = ht.squeeze(x, 2)
      T.assert_equal(z, { { 1, 2, 3 } }) -- np.squeeze(v, 2)
      T.assert_split(z, split ~= 2 and split or nil)
    end)
    T.assert_error(function() ht.zeros({ 2, 1 }):squeeze(0) end,
                   "ht.squeeze: cannot select an axis to squeeze out which has size not equal to one")
  end)

  it("expand_dims inserts an axis and shifts the split", function()
    each_layout(A, function(x, split)
      local y = x:expand_dims(0)
      T.assert_equal(y, { A }) -- np.expand_dims(A, 0)
      T.assert_split(y, split and split + 1)
      local z = ht.expand_dims(x, -1)
      T.assert_shape(z, { 3, 4, 1 })
      T.assert_split(z, split)
      T.assert_equal(z:squeeze(2), A)
    end)
    T.assert_error(function() ht.zeros({ 2, 1 }):expand_dims(3) end,
                   "ht.expand_dims: axis 3 is out of bounds for array of dimension 3")
  end)
end)

describe("concatenate", function()
  -- np.concatenate([A, C], 0) and np.concatenate([A, C], 1)
  local along0 = { { 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 8, 9, 10, 11 }, { 100, 101, 102, 103 },
                   { 104, 105, 106, 107 }, { 108, 109, 110, 111 } }
  local along1 = { { 0, 1, 2, 3, 100, 101, 102, 103 }, { 4, 5, 6, 7, 104, 105, 106, 107 },
                   { 8, 9, 10, 11, 108, 109, 110, 111 } }

  it("joins every pair of layouts with Heat's split rules", function()
    local la, lc = layouts(A), layouts(C)
    for _, a in ipairs(la) do
      for _, c in ipairs(lc) do
        local sa, sc = a.split, c.split
        if sa == nil or sc == nil or sa == sc then
          local s = sa or sc
          for axis = 0, 1 do
            local y = ht.concatenate({ a.x, c.x }, axis)
            T.assert_equal(y, axis == 0 and along0 or along1)
            T.assert_split(y, s)
            if s == axis then assert.is_true(y.balanced) end
            if s ~= nil and s ~= axis then -- the first split input's counts
              assert.are.same((sa and a.x or c.x).counts, y.counts)
            end
          end
        else
          T.assert_error(function() ht.concatenate({ a.x, c.x }, 0) end,
                         "ht.concatenate: the arrays have different split axes")
        end
      end
    end
  end)

  it("joins more than two arrays, promoting dtypes", function()
    local a = ht.array(A, { split = 0 })
    local c2 = ht.array({ { 100, 101 }, { 104, 105 }, { 108, 109 } }, { split = 0, dtype = "float64" })
    local y = ht.concatenate({ a, c2, ht.array({ { 0 }, { 4 }, { 8 } }) }, { axis = 1 })
    -- np.concatenate([A, C[:, :2], A[:, :1]], 1)
    T.assert_equal(y, { { 0, 1, 2, 3, 100, 101, 0 }, { 4, 5, 6, 7, 104, 105, 4 }, { 8, 9, 10, 11, 108, 109, 8 } })
    T.assert_dtype(y, "float64")
    local z = ht.concatenate({ ht.array({ { 0, 1, 2, 3 } }, { split = 0 }), ht.array(C), ht.array(A, { split = 0 }) })
    -- np.concatenate([A[:1], C, A], 0)
    T.assert_equal(z, { { 0, 1, 2, 3 }, { 100, 101, 102, 103 }, { 104, 105, 106, 107 }, { 108, 109, 110, 111 },
                        { 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 8, 9, 10, 11 } })
    T.assert_split(z, 0)
    local e = ht.concatenate({ ht.zeros({ 0, 2 }, { split = 0 }), ht.ones({ 2, 2 }, { split = 0 }) })
    T.assert_equal(e, { { 1, 1 }, { 1, 1 } })
  end)

  it("reports NumPy's errors", function()
    local a, b = ht.zeros({ 2, 3 }), ht.zeros({ 2, 4 })
    T.assert_error(function() ht.concatenate({ a, b }, 0) end,
                   "ht.concatenate: all the input array dimensions except for the concatenation axis must match exactly, but along dimension 1, the array at index 0 has size 3 and the array at index 1 has size 4")
    T.assert_error(function() ht.concatenate({ a, ht.zeros(2) }) end,
                   "ht.concatenate: all the input arrays must have same number of dimensions, but the array at index 0 has 2 dimension(s) and the array at index 1 has 1 dimension(s)")
    T.assert_error(function() ht.concatenate({}) end, "ht.concatenate: need at least one array to concatenate")
    T.assert_error(function() ht.concatenate({ a, a }, 2) end, "ht.concatenate: axis 2 is out of bounds for array of dimension 2")
  end)
end)

describe("hstack of arrays split along rows", function()
  it("moves no data when the inputs share their counts", function()
    -- unbalanced on purpose: the counts must be kept as they are, not rebalanced
    local counts = {}
    for r = 1, p do counts[r] = r end
    local n = sum(counts)
    local a = ht.arange(n * 2, { split = 0 }):reshape(n, 2):redistribute(counts)
    local b = ht.ones({ n, 3 }, { split = 0, dtype = "int32" }):redistribute(counts)
    local c = ht.zeros({ n, 1 }, { split = 0, dtype = "int32" }):redistribute(counts)
    -- the counter of bytes this rank sent to others (runtime/comm.c counts every message,
    -- collectives included): unchanged on every rank means no data and no control message
    local before = core._bytes_sent()
    local y = ht.hstack { a, b, c }
    local sent = core._bytes_sent() - before
    assert.are.equal(0, sent)
    assert.are.same(counts, y.counts)
    T.assert_split(y, 0)
    local last = y:totable()[n] -- the last row: a's (2n-2, 2n-1), then b's 1 1 1, c's 0
    assert.are.same({ 2 * n - 2, 2 * n - 1, 1, 1, 1, 0 }, last)
  end)
end)

describe("stack, vstack, hstack, column_stack", function()
  it("stack adds an axis before the split or after it", function()
    each_layout(A, function(x, split)
      local c = ht.array(C, { split = split })
      local s0 = ht.stack({ x, c })
      T.assert_equal(s0, { A, C }) -- np.stack([A, C])
      T.assert_split(s0, split and split + 1)
      local s2 = ht.stack({ x, c }, 2)
      -- np.stack([A, C], 2)
      T.assert_equal(s2, { { { 0, 100 }, { 1, 101 }, { 2, 102 }, { 3, 103 } }, { { 4, 104 }, { 5, 105 }, { 6, 106 }, { 7, 107 } },
                           { { 8, 108 }, { 9, 109 }, { 10, 110 }, { 11, 111 } } })
      T.assert_split(s2, split)
      -- np.stack([A, C], 1)
      T.assert_equal(ht.stack({ x, c }, { axis = 1 }), { { A[1], C[1] }, { A[2], C[2] }, { A[3], C[3] } })
    end)
    T.assert_error(function() ht.stack({ ht.zeros(2), ht.zeros(3) }) end, "ht.stack: all input arrays must have the same shape")
  end)

  it("vstack, hstack and column_stack follow NumPy for 1-D inputs", function()
    for _, split in ipairs { false, 0 } do
      local s = split or nil
      local a, b = ht.arange(3, { split = s }), ht.arange(10, 13, { split = s })
      local v = ht.vstack { a, b }
      T.assert_equal(v, { { 0, 1, 2 }, { 10, 11, 12 } }) -- np.vstack([arange(3), arange(3)+10])
      T.assert_split(v, s and 1)
      T.assert_equal(ht.row_stack { a, b }, { { 0, 1, 2 }, { 10, 11, 12 } })
      local h = ht.hstack { a, ht.arange(10, 12, { split = s }) }
      T.assert_equal(h, { 0, 1, 2, 10, 11 }) -- np.hstack([arange(3), arange(2)+10])
      T.assert_split(h, s)
      local cs = ht.column_stack { a, ht.array(A, { split = s }) }
      -- np.column_stack([arange(3), A])
      T.assert_equal(cs, { { 0, 0, 1, 2, 3 }, { 1, 4, 5, 6, 7 }, { 2, 8, 9, 10, 11 } })
      T.assert_split(cs, s)
    end
  end)
end)

describe("split, hsplit, vsplit", function()
  it("cut into views; along the split axis each rank keeps its rows", function()
    each_layout({ 0, 1, 2, 3, 4, 5, 6, 7, 8 }, function(x, split)
      local parts = ht.split(x, 3)
      assert.are.equal(3, #parts)
      T.assert_equal(parts[1], { 0, 1, 2 }) -- np.split(np.arange(9), 3)
      T.assert_equal(parts[2], { 3, 4, 5 })
      T.assert_equal(parts[3], { 6, 7, 8 })
      local total = 0
      for _, q in ipairs(parts) do
        T.assert_split(q, split)
        if split then total = total + q.lshape[1] end
      end
      if split then assert.are.equal(x.lshape[1], total) end -- nothing moved between ranks
      local b = ht.split(x, { 2, 5 }) -- np.split(np.arange(9), [2, 5])
      T.assert_equal(b[1], { 0, 1 })
      T.assert_equal(b[2], { 2, 3, 4 })
      T.assert_equal(b[3], { 5, 6, 7, 8 })
      local c = ht.split(x, { -2, 20 }) -- np.split(np.arange(9), [-2, 20])
      T.assert_equal(c[1], { 0, 1, 2, 3, 4, 5, 6 })
      T.assert_equal(c[2], { 7, 8 })
      T.assert_shape(c[3], { 0 })
    end)
  end)

  it("hsplit and vsplit pick the axis", function()
    each_layout(A, function(x)
      local h = ht.hsplit(x, 2) -- np.hsplit(A, 2)
      T.assert_equal(h[1], { { 0, 1 }, { 4, 5 }, { 8, 9 } })
      T.assert_equal(h[2], { { 2, 3 }, { 6, 7 }, { 10, 11 } })
      local v = ht.vsplit(x, { 1 }) -- np.vsplit(A, [1])
      T.assert_equal(v[1], { { 0, 1, 2, 3 } })
      T.assert_equal(v[2], { { 4, 5, 6, 7 }, { 8, 9, 10, 11 } })
      local s = ht.split(x, { 1, 3 }, 1) -- np.split(A, [1, 3], 1)
      T.assert_equal(s[1], { { 0 }, { 4 }, { 8 } })
      T.assert_equal(s[2], { { 1, 2 }, { 5, 6 }, { 9, 10 } })
      T.assert_equal(s[3], { { 3 }, { 7 }, { 11 } })
    end)
    T.assert_error(function() ht.split(ht.arange(5), 2) end, "ht.split: array split does not result in an equal division")
    T.assert_error(function() ht.vsplit(ht.arange(4), 2) end, "ht.vsplit: vsplit only works on arrays of 2 or more dimensions")
  end)
end)

describe("flip, fliplr, flipud", function()
  it("reverse axes; along the split axis the counts reverse", function()
    each_layout(A, function(x, split)
      local f0 = ht.flip(x, 0)
      T.assert_equal(f0, { { 8, 9, 10, 11 }, { 4, 5, 6, 7 }, { 0, 1, 2, 3 } }) -- np.flip(A, 0)
      T.assert_split(f0, split)
      if split == 0 then
        local rev = {}
        for r = 1, p do rev[r] = x.counts[p + 1 - r] end
        assert.are.same(rev, f0.counts)
      end
      T.assert_equal(x:flip(1), { { 3, 2, 1, 0 }, { 7, 6, 5, 4 }, { 11, 10, 9, 8 } }) -- np.flip(A, 1)
      T.assert_equal(x:flip(), { { 11, 10, 9, 8 }, { 7, 6, 5, 4 }, { 3, 2, 1, 0 } }) -- np.flip(A)
      T.assert_equal(x:flip { 0, 1 }, { { 11, 10, 9, 8 }, { 7, 6, 5, 4 }, { 3, 2, 1, 0 } })
      T.assert_equal(ht.fliplr(x), { { 3, 2, 1, 0 }, { 7, 6, 5, 4 }, { 11, 10, 9, 8 } }) -- np.fliplr(A)
      T.assert_equal(ht.flipud(x), { { 8, 9, 10, 11 }, { 4, 5, 6, 7 }, { 0, 1, 2, 3 } }) -- np.flipud(A)
    end)
    T.assert_error(function() ht.fliplr(ht.arange(3)) end, "ht.fliplr: Input must be >= 2-d.")
  end)
end)

describe("roll", function()
  it("rolls 1-D arrays across ranks, both ways and past the length", function()
    each_layout({ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, function(x, split)
      local y = ht.roll(x, 3)
      T.assert_equal(y, { 7, 8, 9, 0, 1, 2, 3, 4, 5, 6 }) -- np.roll(np.arange(10), 3)
      T.assert_split(y, split)
      if split then assert.are.same(x.counts, y.counts) end
      T.assert_equal(x:roll(-2, 0), { 2, 3, 4, 5, 6, 7, 8, 9, 0, 1 }) -- np.roll(np.arange(10), -2)
      T.assert_equal(x:roll(13), { 7, 8, 9, 0, 1, 2, 3, 4, 5, 6 }) -- np.roll(np.arange(10), 13)
    end)
  end)

  it("rolls n-d arrays along axes, or flattened without one", function()
    each_layout(A, function(x)
      T.assert_equal(x:roll(1, 0), { { 8, 9, 10, 11 }, { 0, 1, 2, 3 }, { 4, 5, 6, 7 } }) -- np.roll(A, 1, 0)
      T.assert_equal(x:roll(-1, 1), { { 1, 2, 3, 0 }, { 5, 6, 7, 4 }, { 9, 10, 11, 8 } }) -- np.roll(A, -1, 1)
      T.assert_equal(x:roll({ 1, 2 }, { 0, 1 }), { { 10, 11, 8, 9 }, { 2, 3, 0, 1 }, { 6, 7, 4, 5 } }) -- np.roll(A, (1, 2), (0, 1))
      T.assert_equal(x:roll(5), { { 7, 8, 9, 10 }, { 11, 0, 1, 2 }, { 3, 4, 5, 6 } }) -- np.roll(A, 5)
    end)
  end)
end)

describe("repeat and tile", function()
  it("repeat follows NumPy; along the split axis the result is balanced", function()
    each_layout(A, function(x, split)
      local y = ht["repeat"](x, { 1, 0, 2 }, 0)
      T.assert_equal(y, { { 0, 1, 2, 3 }, { 8, 9, 10, 11 }, { 8, 9, 10, 11 } }) -- np.repeat(A, [1, 0, 2], 0)
      T.assert_split(y, split)
      if split == 0 then assert.is_true(y.balanced) end
      -- np.repeat(A, 2, 1)
      T.assert_equal(x:repeat_interleave(2, 1), { { 0, 0, 1, 1, 2, 2, 3, 3 }, { 4, 4, 5, 5, 6, 6, 7, 7 }, { 8, 8, 9, 9, 10, 10, 11, 11 } })
      local f = ht.repeat_interleave(x, 2)
      -- np.repeat(A, 2)
      T.assert_equal(f, { 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11 })
      T.assert_split(f, split and 0)
      T.assert_equal(ht["repeat"](x, ht.array { 1, 0, 2 }, { axis = 0 }), { { 0, 1, 2, 3 }, { 8, 9, 10, 11 }, { 8, 9, 10, 11 } })
    end)
    T.assert_error(function() ht["repeat"](ht.arange(3), { 1, 2 }, 0) end,
                   "ht.repeat: operands could not be broadcast together with shape (3,) (2,)")
  end)

  it("repeat takes its counts from an array of any split, also one with empty ranks", function()
    -- np.repeat(A, [1, 0, 2], 0), the counts split 0 (2 rows on 3-4 ranks leave ranks empty)
    local r = ht.array({ 1, 0, 2 }, { split = 0 })
    T.assert_equal(ht["repeat"](ht.array(A, { split = 0 }), r, 0), { { 0, 1, 2, 3 }, { 8, 9, 10, 11 }, { 8, 9, 10, 11 } })
    -- np.repeat([5, 6], np.array([3, 1], dtype=np.int32))
    T.assert_equal(ht["repeat"](ht.array { 5, 6 }, ht.array({ 3, 1 }, { dtype = "int32", split = 0 })), { 5, 5, 5, 6 })
    T.assert_error(function() ht["repeat"](ht.arange(3), ht.array { 1.5, 1, 1 }) end,
                   "ht.repeat: repeats must be integers in a 0-d or 1-D array, got 1-D float32")
    T.assert_error(function() ht["repeat"](ht.arange(3), ht.zeros({ 0 }, { dtype = "int64" })) end,
                   "ht.repeat: repeats is empty")
  end)

  it("tile follows NumPy, also with more reps than axes", function()
    each_layout(A, function(x, split)
      -- np.tile(A, 2)
      T.assert_equal(ht.tile(x, 2), { { 0, 1, 2, 3, 0, 1, 2, 3 }, { 4, 5, 6, 7, 4, 5, 6, 7 }, { 8, 9, 10, 11, 8, 9, 10, 11 } })
      local y = x:tile { 2, 1 }
      T.assert_equal(y, { A[1], A[2], A[3], A[1], A[2], A[3] }) -- np.tile(A, (2, 1))
      T.assert_split(y, split)
      local z = x:tile { 2, 1, 1 }
      T.assert_equal(z, { A, A }) -- np.tile(A, (2, 1, 1))
      T.assert_split(z, split and split + 1)
    end)
    each_layout({ 0, 1, 2 }, function(x)
      T.assert_equal(ht.tile(x, { 2, 1, 2 }), { { { 0, 1, 2, 0, 1, 2 } }, { { 0, 1, 2, 0, 1, 2 } } }) -- np.tile(np.arange(3), (2, 1, 2))
    end)
    T.assert_error(function() ht.tile(ht.arange(3), -1) end, "ht.tile: negative dimensions are not allowed")
  end)
end)

describe("pad", function()
  it("pads with a constant; the split axis' pads go to the first and last rank", function()
    each_layout(A, function(x, split)
      local y = ht.pad(x, 1)
      T.assert_equal(y, { { 0, 0, 0, 0, 0, 0 }, { 0, 0, 1, 2, 3, 0 }, { 0, 4, 5, 6, 7, 0 },
                          { 0, 8, 9, 10, 11, 0 }, { 0, 0, 0, 0, 0, 0 } }) -- np.pad(A, 1)
      T.assert_split(y, split)
      if split then -- no data moved: every rank keeps its rows, the end ranks gain the pads
        local want = {}
        for r = 1, p do want[r] = x.counts[r] end
        want[1] = want[1] + 1
        want[p] = want[p] + 1
        assert.are.same(want, y.counts)
      end
      local z = x:pad({ { 1, 0 }, { 0, 2 } }, { constant_values = -1 })
      -- np.pad(A, ((1, 0), (0, 2)), constant_values=-1)
      T.assert_equal(z, { { -1, -1, -1, -1, -1, -1 }, { 0, 1, 2, 3, -1, -1 }, { 4, 5, 6, 7, -1, -1 }, { 8, 9, 10, 11, -1, -1 } })
      T.assert_shape(ht.pad(x, { 1, 2 }), { 6, 7 }) -- np.pad(A, (1, 2)).shape
      T.assert_shape(ht.pad(x, { { 0, 1 } }, "constant"), { 4, 5 }) -- np.pad(A, ((0, 1),)).shape
    end)
    T.assert_error(function() ht.pad(ht.zeros(2), -1) end, "ht.pad: index can't contain negative values")
    T.assert_error(function() ht.pad(ht.zeros(2), 1, "reflect") end, "ht.pad: mode 'reflect' is not supported")
  end)
end)

describe("diff", function()
  it("takes n-th differences along any axis, across ranks along the split", function()
    local sq = {} -- A * A
    for i = 1, 3 do sq[i] = {} for j = 1, 4 do sq[i][j] = A[i][j] ^ 2 end end
    each_layout(sq, function(x, split)
      local d0 = ht.diff(x, 1, 0)
      T.assert_equal(d0, { { 16, 24, 32, 40 }, { 48, 56, 64, 72 } }) -- np.diff(A*A, axis=0)
      T.assert_split(d0, split)
      T.assert_equal(x:diff { axis = 0, n = 2 }, { { 32, 32, 32, 32 } }) -- np.diff(A*A, n=2, axis=0)
      T.assert_equal(x:diff(), { { 1, 3, 5 }, { 9, 11, 13 }, { 17, 19, 21 } }) -- np.diff(A*A)
      T.assert_shape(x:diff(5, 0), { 0, 4 }) -- np.diff(A*A, n=5, axis=0).shape
    end)
    local cubes = {} -- np.arange(10)**3
    for i = 0, 9 do cubes[i + 1] = i ^ 3 end
    each_layout(cubes, function(x)
      T.assert_equal(x:diff(2), { 6, 12, 18, 24, 30, 36, 42, 48 }) -- np.diff(np.arange(10)**3, n=2)
    end)
    each_layout({ true, false, false, true }, function(x)
      T.assert_equal(x:diff(), { true, false, true }) -- np.diff([True, False, False, True])
    end)
    T.assert_error(function() ht.diff(ht.arange(3), -1) end, "ht.diff: order must be non-negative but got -1")
  end)
end)

describe("cumsum and cumprod", function()
  it("scan along any axis, across ranks along the split", function()
    each_layout(A, function(x, split)
      local c0 = ht.cumsum(x, 0)
      T.assert_equal(c0, { { 0, 1, 2, 3 }, { 4, 6, 8, 10 }, { 12, 15, 18, 21 } }) -- np.cumsum(A, 0)
      T.assert_dtype(c0, "int64") -- NumPy: ints accumulate in int64
      T.assert_split(c0, split)
      T.assert_equal(x:cumsum(1), { { 0, 1, 3, 6 }, { 4, 9, 15, 22 }, { 8, 17, 27, 38 } }) -- np.cumsum(A, 1)
      T.assert_equal(x:cumsum(), { 0, 1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 66 }) -- np.cumsum(A)
      T.assert_equal(ht.cumprod(x + 1, 0), { { 1, 2, 3, 4 }, { 5, 12, 21, 32 }, { 45, 120, 231, 384 } }) -- np.cumprod(A+1, 0)
      T.assert_dtype(x:cumsum(0, { dtype = "float64" }), "float64")
    end, "int32")
    each_layout({ 1.5, 2, 0.5, 4 }, function(x)
      local y = x:cumprod(0)
      T.assert_equal(y, { 1.5, 3, 1.5, 6 }) -- np.cumprod(np.float32([1.5, 2, 0.5, 4]))
      T.assert_dtype(y, "float32") -- float32 stays float32
    end, "float32")
  end)

  it("works with ranks that own no rows", function()
    local x = ht.ones({ 2, 3 }, { split = 0 })
    T.assert_equal(x:cumsum(0), { { 1, 1, 1 }, { 2, 2, 2 } })
    T.assert_shape(ht.zeros({ 0, 3 }, { split = 0 }):cumsum(0), { 0, 3 })
  end)
end)

describe("redistribute", function()
  it("moves rows to a given lshape_map and back", function()
    local x = ht.array(A, { split = 0 })
    local y = x:redistribute(all_on(p - 1, 3))
    assert.are.equal(me == p - 1 and 3 or 0, y.lshape[1])
    T.assert_equal(y, A)
    T.assert_equal(y:balance(), A)
  end)
end)
