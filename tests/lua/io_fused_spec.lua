-- Fused loads: several HDF5 datasets read side by side into one array and several files
-- joined along rows, compared with exact values and with the hstack / concatenate of
-- separate loads, at every rank count (2-row files leave ranks 2 and 3 without rows).
-- Values are integers or quarter fractions, exact in float32.
local ht = require "heat"
local T = require "heat.testing"

local p, me = ht.nprocs(), ht.rank()
local dir = T.scratch_dir("io_fused") -- a fresh folder every rank agrees on
local function path(name) return dir .. "/" .. name end

-- f1: a = np.arange(15.).reshape(5, 3), b = np.arange(5, dtype=np.int32) * 10,
--     c = (np.arange(10) + 0.25).astype(np.float32).reshape(5, 2)
-- f2: a = np.arange(6.).reshape(2, 3) + 100, b = [1000, 1001], c = [[0.5, 1.5], [2.5, 3.5]]
local f1, f2, f3, bad = path("f1.h5"), path("f2.h5"), path("f3.h5"), path("bad.h5")
ht.save_hdf5({
  a = ht.arange(15, { dtype = ht.float64 }):reshape(5, 3),
  b = ht.arange(5, { dtype = ht.int32 }) * 10,
  c = (ht.arange(10, { dtype = ht.float32 }) + 0.25):reshape(5, 2),
}, f1)
ht.save_hdf5({
  a = ht.arange(6, { dtype = ht.float64 }):reshape(2, 3) + 100,
  b = ht.array({ 1000, 1001 }, { dtype = ht.int32 }),
  c = ht.array({ { 0.5, 1.5 }, { 2.5, 3.5 } }, { dtype = ht.float32 }),
}, f2)
ht.save_hdf5({ a = ht.zeros({ 2, 4 }), b = ht.zeros({ 2 }), c = ht.zeros({ 2, 2 }) }, f3)
ht.save_hdf5({ a = ht.zeros({ 4, 3 }), b = ht.zeros({ 5 }) }, bad)

-- rows of np.hstack([f1.a, f1.b[:, None], f1.c]) and of f2's
local rows1, rows2 = {}, {
  { 100, 101, 102, 1000, 0.5, 1.5 },
  { 103, 104, 105, 1001, 2.5, 3.5 },
}
for i = 0, 4 do rows1[i + 1] = { 3 * i, 3 * i + 1, 3 * i + 2, 10 * i, 2 * i + 0.25, 2 * i + 1.25 } end

local function cols(rows, c0, c1) -- rows[:, c0:c1]
  local out = {}
  for i, r in ipairs(rows) do
    out[i] = {}
    for j = c0 + 1, c1 do out[i][#out[i] + 1] = r[j] end
  end
  return out
end

local function cat(...) -- np.concatenate(rows lists)
  local out = {}
  for _, rows in ipairs { ... } do
    for _, r in ipairs(rows) do out[#out + 1] = r end
  end
  return out
end

describe("load_hdf5 of several datasets", function()
  it("reads them side by side, equal to the hstack of separate loads", function()
    for _, split in ipairs { 0, false } do
      local s = split or nil
      local x = ht.load_hdf5(f1, { "a", "b", "c" }, { split = s })
      T.assert_shape(x, { 5, 6 })
      T.assert_dtype(x, ht.float32)
      T.assert_split(x, s)
      T.assert_equal(x, rows1)
      local a = ht.load_hdf5(f1, "a", { split = s })
      local b = ht.load_hdf5(f1, "b", { split = s }):reshape(5, 1)
      local c = ht.load_hdf5(f1, "c", { split = s })
      T.assert_equal(x, ht.hstack({ a, b, c }):totable())
    end
  end)

  it("converts to the dtype asked for and keeps the order given", function()
    local x = ht.load_hdf5(f1, { "c", "a" }, { split = 0, dtype = ht.float64 })
    T.assert_dtype(x, ht.float64)
    local want = {}
    for i, r in ipairs(rows1) do want[i] = { r[5], r[6], r[1], r[2], r[3] } end
    T.assert_equal(x, want)
    -- one 1-D dataset stays 1-D, as np.hstack([b]) does
    T.assert_equal(ht.load_hdf5(f1, { "b" }, { split = 0, dtype = ht.int64 }), { 0, 10, 20, 30, 40 })
  end)

  it("handles ranks without rows (2 rows on up to 4 ranks) and load_fraction", function()
    local x = ht.load_hdf5(f2, { "a", "b", "c" }, { split = 0 })
    T.assert_equal(x, rows2)
    T.assert_equal(ht.load_hdf5(f1, { "a", "b" }, { split = 0, load_fraction = 0.5 }), cols({ rows1[1], rows1[2] }, 0, 4))
  end)
end)

-- Datasets stored as the dtype asked for are read by pread, a piece of rows of all of them
-- at a time. big: p = np.arange(300000, dtype=np.int32).reshape(100000, 3),
-- q = np.arange(100000, dtype=np.int32) * 2, r = np.arange(200000.).reshape(100000, 2);
-- small: s = [[1, 2], [3, 4]], t = [5, 6] (float32)
local big, small = path("big.h5"), path("small.h5")
ht.save_hdf5({
  p = ht.arange(300000, { dtype = ht.int32, split = 0 }):reshape(100000, 3),
  q = ht.arange(100000, { dtype = ht.int32, split = 0 }) * 2,
  r = ht.arange(200000, { dtype = ht.float64, split = 0 }):reshape(100000, 2),
}, big)
ht.save_hdf5({ s = ht.array({ { 1, 2 }, { 3, 4 } }), t = ht.array({ 5, 6 }) }, small)

describe("load_hdf5 of several datasets stored as the dtype", function()
  it("reads pieces of rows of all datasets (int32, float64, several pieces)", function()
    for _, s in ipairs { 0, false } do
      local x = ht.load_hdf5(big, { "p", "q" }, { split = s or nil, dtype = ht.int32 })
      T.assert_shape(x, { 100000, 4 })
      -- np.hstack([p, q[:, None]]).sum(0), rows at the 1 MiB piece boundary (65536 rows of
      -- 16 bytes) and the last
      assert.are.same({ 14999850000, 14999950000, 15000050000, 9999900000 }, x:sum(0):totable())
      assert.are.same({ 196605, 196606, 196607, 131070 }, x[65535]:totable())
      assert.are.same({ 196608, 196609, 196610, 131072 }, x[65536]:totable())
      assert.are.same({ 299997, 299998, 299999, 199998 }, x[99999]:totable())
    end
    -- np.hstack([r, r]): pieces of 32768 rows of 32 bytes
    local y = ht.load_hdf5(big, { "r", "r" }, { split = 0, dtype = ht.float64 })
    assert.are.same({ 9999900000, 10000000000, 9999900000, 10000000000 }, y:sum(0):totable())
    assert.are.same({ 65534, 65535, 65534, 65535 }, y[32767]:totable())
    assert.are.same({ 65536, 65537, 65536, 65537 }, y[32768]:totable())
  end)

  it("keeps load_fraction and ranks without rows", function()
    -- np.hstack([p, q[:, None]])[:50000]
    local x = ht.load_hdf5(big, { "p", "q" }, { split = 0, dtype = ht.int32, load_fraction = 0.5 })
    T.assert_shape(x, { 50000, 4 })
    assert.are.same({ 3749925000, 3749975000, 3750025000, 2499950000 }, x:sum(0):totable())
    assert.are.same({ 149997, 149998, 149999, 99998 }, x[49999]:totable())
    for _, s in ipairs { 0, false } do
      T.assert_equal(ht.load_hdf5(small, { "s", "t" }, { split = s or nil }), { { 1, 2, 5 }, { 3, 4, 6 } })
    end
    T.assert_equal(ht.load({ small, small }, { "t", "s" }, { split = 0 }),
      { { 5, 1, 2 }, { 6, 3, 4 }, { 5, 1, 2 }, { 6, 3, 4 } })
  end)
end)

describe("load of several files", function()
  it("joins them along rows, equal to the concatenation of separate loads", function()
    local x = ht.load({ f1, f2 }, "a", { split = 0 })
    T.assert_shape(x, { 7, 3 })
    T.assert_equal(x, cols(cat(rows1, rows2), 0, 3))
    local y = ht.concatenate({ ht.load(f1, "a", { split = 0 }), ht.load(f2, "a", { split = 0 }) }, 0)
    T.assert_equal(x, y:totable())
    local b = ht.load({ f2, f1 }, "b", { split = 0, dtype = ht.int32 }) -- 1-D stays 1-D
    T.assert_equal(b, { 1000, 1001, 0, 10, 20, 30, 40 })
  end)

  it("joins several datasets of several files into one array", function()
    local x = ht.load({ f1, f2 }, { "a", "b", "c" }, { split = 0 })
    T.assert_equal(x, cat(rows1, rows2))
    local r = ht.load_hdf5({ f2, f2 }, { "a", "b", "c" })
    T.assert_split(r, nil)
    T.assert_equal(r, cat(rows2, rows2))
    -- int(7 * 0.6) = 4 rows: all from f1
    T.assert_equal(ht.load({ f1, f2 }, { "b", "b" }, { split = 0, load_fraction = 0.6 }), { { 0, 0 }, { 10, 10 }, { 20, 20 }, { 30, 30 } })
  end)
end)

describe("fused load errors", function()
  it("names the datasets, files and counts, on every rank", function()
    T.assert_error(function() ht.load_hdf5(bad, { "a", "b" }, { split = 0 }) end,
      "ht.load_hdf5: datasets 'a' (4 rows) and 'b' (5 rows) in '" .. bad .. "' differ in row count")
    T.assert_error(function() ht.load_hdf5(f1, { "a", "nope" }, { split = 0 }) end, "nope")
    T.assert_error(function() ht.load({ f1, f3 }, { "a", "b" }, { split = 0 }) end,
      "ht.load: dataset 'a' has 3 columns (2-D) in '" .. f1 .. "' but 4 (2-D) in '" .. f3 .. "'")
    T.assert_error(function() ht.load({ f1, path("missing.h5") }, "a", { split = 0 }) end, "missing.h5")
    T.assert_error(function() ht.load_hdf5(f1, { "a", "b" }, { split = 1 }) end, "split must be 0 or nil")
    T.assert_error(function() ht.load_hdf5(f1, { "a", "b" }, { slices = "0:2" }) end, "slices")
    T.assert_error(function() ht.load_hdf5(f1, { "a", "b" }, { dtype = ht.bool }) end, "dtype bool")
    T.assert_error(function() ht.load_hdf5(f1, {}, { split = 0 }) end, "non-empty list")
    T.assert_error(function() ht.load_hdf5(f1, { "a", 3 }) end, "dataset[2] must be a string")
    T.assert_error(function() ht.load({ f1, path("x.csv") }, "a") end, "HDF5 and NetCDF-4 files only")
    T.assert_error(function() ht.load_hdf5(f1, { "a" }, { split = 0, colour = 1 }) end, "colour")
    -- every rank is still in step after the errors
    T.assert_equal(ht.load_hdf5(f2, { "b" }, { split = 0, dtype = ht.int32 }), { 1000, 1001 })
  end)
end)
