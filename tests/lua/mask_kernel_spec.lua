-- The x[mask] kernel (runtime/cpu/take.c: the vectorised count and compress) at lengths
-- that end inside a vector, a block and a thread's piece, for 2-, 4- and 8-byte dtypes.
-- Expected values are exact: the indices i of arange(n) whose pattern bit is set.
local ht = require "heat"
local T = require "heat.testing"

-- a mask that is not periodic in 8 or 16: i is kept when (i * 7919) % 13 < 6
local function keep(i) return (i * 7919) % 13 < 6 end

describe("x[mask] kernel", function()
  for _, n in ipairs { 1, 15, 17, 257, 1000, 70001 } do
    for _, dt in ipairs { n < 32768 and ht.int16 or ht.int32, ht.float32, ht.int64, ht.float64 } do
      it(string.format("n = %d, %s", n, dt), function()
        local x = ht.arange(n, { dtype = dt, split = 0 })
        local m = ht.arange(n, { dtype = ht.int64, split = 0 }):mul_(7919):mod(13):lt(6)
        local r = x[m]
        local want, count = {}, 0
        for i = 0, n - 1 do
          if keep(i) then count = count + 1; want[count] = i end
        end
        T.assert_shape(r, { count })
        if n <= 1000 then T.assert_equal(r, want) end
        -- the sum of the kept indices checks the long case without a huge table
        local s = 0
        for k = 1, count do s = s + want[k] end
        assert.are.equal(s, r:astype(ht.float64):sum():item())
        assert.are.equal(count, m:sum():item())
      end)
    end
  end
end)

-- Edge cases of the flat path and the strided one; expected values from NumPy
-- (x = np.arange(24.).reshape(6, 4) unless said otherwise).
describe("x[mask] edges", function()
  local function x64(split) return ht.arange(24, { dtype = ht.float64 }):reshape(6, 4):resplit(split) end
  for _, split in ipairs { 0, 1, false } do
    local sp = split or nil
    it("empty and full masks, split " .. tostring(sp), function()
      local x = x64(sp)
      local e = x[x:lt(-1)]
      T.assert_shape(e, { 0 })
      local f = x[x:ge(0)]
      T.assert_shape(f, { 24 })
      assert.are.equal(276, f:sum():item()) -- np.arange(24).sum()
      T.assert_equal(x[x:mod(5):lt(2)], { 0, 1, 5, 6, 10, 11, 15, 16, 20, 21 }) -- x[x % 5 < 2]
    end)
    it("non-contiguous x (a step slice, a transpose), split " .. tostring(sp), function()
      local x = x64(sp)
      local s = x[{ ht.all, { 0, nil, 2 } }]
      T.assert_equal(s[s:mod(3):eq(0)], { 0, 6, 12, 18 }) -- x[:, ::2][x[:, ::2] % 3 == 0]
      local t = x:transpose()
      T.assert_equal(t[t:gt(17)], { 20, 21, 18, 22, 19, 23 }) -- x.T[x.T > 17]
    end)
  end
  it("a mask true on one rank only (the first, then the last)", function()
    local x = x64(0)
    T.assert_equal(x[x:lt(3)], { 0, 1, 2 })
    T.assert_equal(x[x:gt(21)], { 22, 23 })
    T.assert_split(x[x:gt(21)], 0)
  end)
  it("ranks with no rows: 2 rows of int32 (np.arange(6).reshape(2, 3), y[y != 4])", function()
    local y = ht.arange(6, { dtype = ht.int32 }):reshape(2, 3):resplit(0)
    local r = y[y:ne(4)]
    assert.are.equal(ht.int32, r.dtype)
    T.assert_equal(r, { 0, 1, 2, 3, 5 })
  end)
  it("bool data (b = np.arange(10) % 3 == 0; b[b | (np.arange(10) > 7)])", function()
    local i = ht.arange(10, { split = 0 })
    local b = i:mod(3):eq(0)
    local r = b[b:logical_or(i:gt(7))]
    assert.are.equal(ht.bool, r.dtype)
    T.assert_equal(r, { true, true, true, false, true })
    T.assert_equal(b[i:gt(6)], { false, false, true })
  end)
  it("a mask of the wrong shape is an error on every rank", function()
    local x = x64(0)
    local ok, err = pcall(function() return x[ht.ones({ 5, 4 }, { dtype = ht.bool })] end)
    assert.is_false(ok)
    assert.truthy(tostring(err):match "getitem")
  end)
end)
