-- argmin/argmax of float32 rows along axis 1 (the AVX-512 kernel of rows up to 64, the eight-rows-at-a-time kernel, its four-row
-- and scalar tails), with NaN (the first NaN wins), ties and -0.0 (the first wins), rows
-- of length 1, 7, 8, 9 and 64, split along either axis, ranks with no rows and unbalanced
-- counts. Expected values from NumPy 2.4 on the matrix M(n) below (the expression is beside).
local ht = require "heat"
local T = require "heat.testing"

-- M(n), in NumPy:
--   A = np.array([[((i*7 + k*13) % 11) - 5 for k in range(n)] for i in range(40)], np.float32)
--   A[3, n-1] = nan; A[10, 2] = nan (n > 2); A[10, n-1] = nan
--   A[17, :] = np.where(np.arange(n) % 2 == 1, -0.0, 0.0); A[25, :] = 2.0; A[33, 0] = nan
local nan = 0 / 0
local function M(n, rows)
  local t = {}
  for i = 0, (rows or 40) - 1 do
    local row = {}
    for k = 0, n - 1 do row[k + 1] = ((i * 7 + k * 13) % 11) - 5 end
    t[i + 1] = row
  end
  if not rows then
    t[4][n] = nan
    if n > 2 then t[11][3] = nan end
    t[11][n] = nan
    for k = 1, n do t[18][k] = (k % 2 == 0) and -0.0 or 0.0 end
    for k = 1, n do t[26][k] = 2.0 end
    t[34][1] = nan
  end
  return t
end

local want = {
  [1] = {
    min = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },   -- M(1).argmin(axis=1)
    max = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },   -- M(1).argmax(axis=1)
  },
  [7] = {
    min = { 0, 2, 4, 6, 3, 5, 1, 3, 5, 2, 2, 0, 2, 4, 6, 3, 5, 0, 3, 5, 2, 4, 0, 2, 4, 0, 3,
      5, 1, 3, 5, 2, 4, 0, 2, 4, 6, 3, 5, 1 },   -- M(7).argmin(axis=1)
    max = { 5, 1, 3, 6, 2, 4, 6, 2, 4, 1, 2, 5, 1, 3, 0, 2, 4, 0, 2, 4, 1, 3, 5, 1, 3, 0, 2,
      4, 6, 2, 4, 1, 3, 0, 1, 3, 0, 2, 4, 6 },   -- M(7).argmax(axis=1)
  },
  [8] = {
    min = { 0, 2, 4, 7, 3, 5, 1, 3, 5, 7, 2, 0, 2, 4, 6, 3, 5, 0, 3, 5, 7, 4, 0, 2, 4, 0, 3,
      5, 1, 3, 5, 7, 4, 0, 2, 4, 6, 3, 5, 1 },   -- M(8).argmin(axis=1)
    max = { 5, 7, 3, 7, 2, 4, 6, 2, 4, 1, 2, 5, 7, 3, 0, 2, 4, 0, 2, 4, 1, 3, 5, 7, 3, 0, 2,
      4, 6, 2, 4, 1, 3, 0, 7, 3, 0, 2, 4, 6 },   -- M(8).argmax(axis=1)
  },
  [9] = {
    min = { 0, 2, 4, 8, 8, 5, 1, 3, 5, 7, 2, 0, 2, 4, 6, 8, 5, 0, 3, 5, 7, 4, 0, 2, 4, 0, 8,
      5, 1, 3, 5, 7, 4, 0, 2, 4, 6, 8, 5, 1 },   -- M(9).argmin(axis=1)
    max = { 5, 7, 3, 8, 2, 4, 6, 8, 4, 1, 2, 5, 7, 3, 0, 2, 4, 0, 8, 4, 1, 3, 5, 7, 3, 0, 2,
      4, 6, 8, 4, 1, 3, 0, 7, 3, 0, 2, 4, 6 },   -- M(9).argmax(axis=1)
    min0 = { 33, 6, 10, 7, 2, 8, 3, 9, 3 },       -- M(9).argmin(axis=0)
    max0 = { 33, 9, 10, 10, 5, 0, 6, 1, 3 },      -- M(9).argmax(axis=0)
  },
  [64] = {
    min = { 0, 2, 4, 63, 8, 10, 1, 3, 5, 7, 2, 0, 2, 4, 6, 8, 10, 0, 3, 5, 7, 9, 0, 2, 4, 0,
      8, 10, 1, 3, 5, 7, 9, 0, 2, 4, 6, 8, 10, 1 }, -- M(64).argmin(axis=1)
    max = { 5, 7, 9, 63, 2, 4, 6, 8, 10, 1, 2, 5, 7, 9, 0, 2, 4, 0, 8, 10, 1, 3, 5, 7, 9, 0,
      2, 4, 6, 8, 10, 1, 3, 0, 7, 9, 0, 2, 4, 6 },  -- M(64).argmax(axis=1)
  },
}

-- M(n).argmin(axis=1) and .argmax(axis=1) for n = 16, 17, 33, 63, 65 (around the AVX-512
-- kernel's 16-element vectors and its 64-element limit): NumPy 2.4 gives M(64)'s indices
-- with row 3's first NaN at n - 1 (the rows' extremes all lie in their first 11 columns).
for _, n in ipairs { 16, 17, 33, 63, 65 } do
  local mn, mx = {}, {}
  for i, v in ipairs(want[64].min) do mn[i] = i == 4 and n - 1 or v end
  for i, v in ipairs(want[64].max) do mx[i] = i == 4 and n - 1 or v end
  want[n] = { min = mn, max = mx }
end

-- B, in NumPy: B = np.full((6, 40), 1.0, np.float32)
--   B[0, :] = inf; B[0, 5] = -inf; B[0, 17] = -inf; B[1, :] = inf; B[2, :] = -inf
--   B[3, 20] = inf; B[3, 30] = nan; B[3, 39] = -inf
--   B[4, :] = 3; B[4, 16] = -0.0; B[4, 32] = 0.0; B[5, 39] = 0.5; B[5, 0] = 1.5; B[5, 23] = 1.5
local function B()
  local inf, t = math.huge, {}
  for i = 1, 6 do
    t[i] = {}
    for k = 1, 40 do t[i][k] = 1.0 end
  end
  for k = 1, 40 do t[1][k], t[2][k], t[3][k], t[5][k] = inf, inf, -inf, 3 end
  t[1][6], t[1][18] = -inf, -inf
  t[4][21], t[4][31], t[4][40] = inf, nan, -inf
  t[5][17], t[5][33] = -0.0, 0.0
  t[6][40], t[6][1], t[6][24] = 0.5, 1.5, 1.5
  return t
end

local function tail(t, from)
  local r = {}
  for i = from + 1, #t do r[#r + 1] = t[i] end
  return r
end

describe("argmin and argmax of float32 rows along axis 1", function()
  for _, n in ipairs { 1, 7, 8, 9, 16, 17, 33, 63, 64, 65 } do
    for _, split in ipairs { false, 0, 1 } do
      it("match NumPy for rows of " .. n .. ", split " .. tostring(split), function()
        local x = ht.array(M(n), { dtype = "float32", split = split or nil })
        local a, b = x:argmin(1), x:argmax(1)
        T.assert_dtype(a, "int64")
        T.assert_equal(a, want[n].min)
        T.assert_equal(b, want[n].max)
        if want[n].min0 then
          T.assert_equal(x:argmin(0), want[n].min0)
          T.assert_equal(x:argmax(0), want[n].max0)
        end
      end)
    end
  end

  for _, split in ipairs { false, 0, 1 } do
    it("match NumPy on infinities, a NaN after them and signed zeros, split " .. tostring(split), function()
      local x = ht.array(B(), { dtype = "float32", split = split or nil })
      T.assert_equal(x:argmin(1), { 5, 0, 0, 30, 16, 39 }) -- B.argmin(axis=1)
      T.assert_equal(x:argmax(1), { 0, 0, 0, 30, 0, 0 })   -- B.argmax(axis=1)
    end)
  end

  it("match NumPy on rows left unbalanced by a slice along the split axis", function()
    -- M(64)[5:].argmin(axis=1), M(64)[5:].argmax(axis=1)
    local x = ht.array(M(64), { dtype = "float32", split = 0 })[{ { 5, 40 }, ht.all }]
    T.assert_equal(x:argmin(1), tail(want[64].min, 5))
    T.assert_equal(x:argmax(1), tail(want[64].max, 5))
  end)

  it("work with ranks that own no rows", function()
    -- M(64)[:2]: rows 0 and 1 hold no NaN; .argmin(axis=1), .argmax(axis=1)
    local x = ht.array(M(64, 2), { dtype = "float32", split = 0 })
    T.assert_equal(x:argmin(1), { 0, 2 })
    T.assert_equal(x:argmax(1), { 5, 7 })
  end)

  it("name the function and the axis in errors", function()
    local x = ht.array(M(8), { dtype = "float32", split = 0 })
    T.assert_error(function() return x:argmin(2) end,
      "ht.argmin: axis 2 is out of bounds for array of dimension 2")
    T.assert_error(function() return x:argmax { 0, 1 } end,
      "ht.argmax: expected at most one axis, got 2")
  end)
end)
