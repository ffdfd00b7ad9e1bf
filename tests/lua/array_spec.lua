-- The array object: properties, conversion to Lua, distribution methods, printing, the
-- garbage collector's view of C memory. Expected values are exact (integers moved, not
-- computed) or NumPy's/Heat's printed forms.
local ht = require "heat"
local T = require "heat.testing"
local core = require "heat.core"

local p = ht.nprocs()

describe("array properties", function()
  it("reports global and local shapes of a balanced split", function()
    local x = ht.zeros({7, 3}, { split = 0 })
    assert.same({ 7, 3 }, x.shape)
    assert.equal(2, x.ndim)
    assert.equal(21, x.size)
    assert.equal(0, x.split)
    assert.equal("float32", x.dtype)
    assert.equal("cpu", x.device)
    -- balanced blocks: the first 7 % p ranks hold one extra row
    local base, extra = math.floor(7 / p), 7 % p
    local mine = base + (ht.rank() < extra and 1 or 0)
    assert.same({ mine, 3 }, x.lshape)
    assert.equal(p, #x.lshape_map)
    local total = 0
    for r = 1, p do total = total + x.lshape_map[r][1] end
    assert.equal(7, total)
    assert.is_true(x.balanced)
    assert.equal(7, #x)
  end)

  it("has no split when replicated", function()
    local x = ht.ones(4)
    assert.is_nil(x.split)
    assert.same({ 4 }, x.lshape)
  end)

  it("rejects unknown fields with a clear message", function()
    local x = ht.ones(4)
    T.assert_error(function() return x.nosuchthing end, "ht.Array has no field or method 'nosuchthing'")
  end)
end)

describe("totable and item", function()
  it("gathers every value in C order at any split", function()
    local rows = { { 1, 2, 3 }, { 4, 5, 6 } }
    for _, split in ipairs { 0, 1 } do
      local x = ht.array(rows, { split = split })
      assert.same(rows, x:totable())
    end
    assert.same(rows, ht.array(rows):totable())
  end)

  it("item returns the single value, and refuses more", function()
    assert.equal(5, ht.array({ { 5 } }, { split = 0 }):item())
    assert.equal(true, ht.array(true):item())
    T.assert_error(function() ht.array({ 1, 2 }):item() end,
                   "ht.item: only arrays of one element can be converted to a Lua value, shape is (2,)")
  end)
end)

describe("resplit, balance, redistribute", function()
  -- x[i][j] = 10 i + j, exact in every dtype
  local rows = {}
  for i = 0, 4 do
    rows[i + 1] = {}
    for j = 0, 5 do rows[i + 1][j + 1] = 10 * i + j end
  end

  it("moves data between every pair of splits", function()
    for _, from in ipairs { 0, 1, -1 } do
      for _, to in ipairs { 0, 1, -1 } do
        local x = ht.array(rows, { split = from >= 0 and from or nil })
        local y = x:resplit(to >= 0 and to or nil)
        T.assert_split(y, to >= 0 and to or nil)
        assert.is_true(y.balanced)
        T.assert_equal(y, rows)
      end
    end
  end)

  it("accepts the split as an option and as ht.resplit", function()
    local x = ht.array(rows, { split = 0 })
    T.assert_split(x:resplit { split = 1 }, 1)
    T.assert_split(ht.resplit(x, 1), 1)
    T.assert_split(ht.resplit(x), nil)
  end)

  it("redistributes to given counts (all rows on the last rank) and balances back", function()
    local x = ht.array(rows, { split = 0 })
    local counts = {}
    for r = 1, p do counts[r] = 0 end
    counts[p] = 5
    local y = x:redistribute(counts)
    assert.equal(ht.rank() == p - 1 and 5 or 0, y.lshape[1])
    assert.equal(p == 1, y.balanced)
    T.assert_equal(y, rows)
    local z = y:balance()
    assert.is_true(z.balanced)
    T.assert_equal(z, rows)
    T.assert_equal(y:resplit(1), rows) -- from an unbalanced split
  end)

  it("rejects bad counts and axes", function()
    local x = ht.array(rows, { split = 0 })
    T.assert_error(function() x:redistribute({}) end, "ht.redistribute: 0 counts given for " .. p .. " ranks")
    T.assert_error(function() x:resplit(2) end, "ht.resplit: axis 2 is out of bounds for array of dimension 2")
  end)

  it("handles ranks with no rows (2 rows on up to 4 ranks)", function()
    local x = ht.array({ { 1, 2 }, { 3, 4 } }, { split = 0 })
    T.assert_equal(x:resplit(1), { { 1, 2 }, { 3, 4 } })
    T.assert_equal(x:resplit(nil), { { 1, 2 }, { 3, 4 } })
  end)
end)

describe("copy and astype", function()
  it("copies and casts like NumPy's astype", function()
    local x = ht.array({ -1.5, 0.5, 2.7, 300 }, { split = 0 })
    local y = x:copy()
    T.assert_equal(y, { -1.5, 0.5, 2.7000000476837158, 300 }) -- float32 values of the literals
    -- np.array([-1.5, 0.5, 2.7, 300], np.float32).astype(np.int32) -> [-1, 0, 2, 300]
    local i = x:astype("int32")
    T.assert_dtype(i, "int32")
    T.assert_equal(i, { -1, 0, 2, 300 })
    T.assert_equal(x:astype(ht.bool), { true, true, true, true })
    T.assert_error(function() x:astype("float16") end, "ht.astype: unknown dtype 'float16'")
  end)
end)

describe("printing", function()
  it("prints like Heat", function()
    local x = ht.array({ { 1, 2, 3 }, { 4, 5, 6 } }, { split = 0 })
    assert.equal("DNDarray([[1, 2, 3],\n          [4, 5, 6]], dtype=ht.int64, device=cpu:0, split=0)",
                 tostring(x))
    assert.equal("DNDarray([0.5000, 1.2500], dtype=ht.float32, device=cpu:0, split=None)",
                 tostring(ht.array({ 0.5, 1.25 })))
    -- torch/Heat right-align booleans: tensor([ True, False])
    assert.equal("DNDarray([ True, False], dtype=ht.bool, device=cpu:0, split=None)",
                 tostring(ht.array({ true, false })))
    assert.equal("DNDarray(7, dtype=ht.int64, device=cpu:0, split=None)", tostring(ht.array(7)))
  end)

  it("summarises large arrays with ... and gathers only the corners", function()
    -- torch/Heat: tensor([   0,    1,    2,  ..., 1997, 1998, 1999])
    assert.equal("DNDarray([   0,    1,    2, ..., 1997, 1998, 1999], dtype=ht.int32, device=cpu:0, split=0)",
                 tostring(ht.arange(2000, { split = 0 })))
  end)
end)

describe("memory", function()
  it("keeps 10^4 temporaries of 8 MB in bounded memory", function()
    local peak = 0
    for _ = 1, 10000 do
      local t = ht.empty(2 * 1024 * 1024) -- 8 MB of float32
      peak = math.max(peak, core._bytes_live())
    end
    -- the collector runs when arrays pass 256 MiB (growing with the live set): without
    -- it, 10^4 * 8 MB = 80 GB would be held
    assert.is_true(peak < 600 * 2 ^ 20, "peak bytes held: " .. peak)
  end)
end)

describe("the T property", function()
  it("is the transpose, a view moving the split with its axis", function()
    -- np.array([[1, 2, 3], [4, 5, 6]]).T
    local x = ht.array({ { 1, 2, 3 }, { 4, 5, 6 } }, { split = 0 })
    local t = x.T
    T.assert_split(t, 1)
    T.assert_equal(t, { { 1, 4 }, { 2, 5 }, { 3, 6 } })
  end)
end)

describe("ht.wtime", function()
  it("is a wall clock in seconds that does not go back", function()
    local a = ht.wtime()
    local b = ht.wtime()
    assert.is_number(a)
    assert.is_true(b >= a and b - a < 60)
  end)
end)
