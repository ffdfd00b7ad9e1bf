-- Single-dataset load_hdf5 through the pread path (contiguous, unfiltered, file type ==
-- dtype; split along any axis or replicated) and through HDF5 (conversions, chunks, gzip,
-- slices), compared with exact arange values at every rank count: 2-row datasets leave
-- ranks 2 and 3 without rows (2 columns: without columns), and 300000-item datasets span
-- several of the ~1 MiB pieces read in parallel.
local ht = require "heat"
local T = require "heat.testing"

local dir = T.scratch_dir("io_pread") -- a fresh folder every rank agrees on
local f, fz = dir .. "/a.h5", dir .. "/z.h5"
ht.save_hdf5({
  cube = ht.arange(24, { dtype = ht.float32 }):reshape(2, 3, 4), -- 2 rows of 3 x 4
  d = ht.arange(14, { dtype = ht.float64 }):reshape(7, 2),
  i = ht.arange(300000, { dtype = ht.int32, split = 0 }),
  i3 = ht.arange(300000, { dtype = ht.int32, split = 0 }):reshape(100000, 3),
  b = ht.array({ true, false, true }),
  e = ht.zeros({ 0, 3 }),
}, f)
ht.save_hdf5(ht.arange(14, { dtype = ht.float64 }):reshape(7, 2), fz, "d", { compression = "gzip" })

-- np.arange(24.).reshape(2, 3, 4)
local cube = {}
for r = 0, 1 do
  cube[r + 1] = {}
  for j = 0, 2 do
    cube[r + 1][j + 1] = {}
    for k = 0, 3 do cube[r + 1][j + 1][k + 1] = 12 * r + 4 * j + k end
  end
end
local function drows(n) -- np.arange(14.).reshape(7, 2)[:n]
  local out = {}
  for r = 0, n - 1 do out[r + 1] = { 2 * r, 2 * r + 1 } end
  return out
end

describe("load_hdf5 of one dataset", function()
  it("reads an N-D dataset split 0, replicated and split 1 alike", function()
    for _, split in ipairs { 0, -3, false, 1 } do
      local x = ht.load_hdf5(f, "cube", { split = split or nil })
      T.assert_shape(x, { 2, 3, 4 })
      T.assert_dtype(x, ht.float32)
      T.assert_split(x, split == -3 and 0 or split or nil)
      T.assert_equal(x, cube)
    end
  end)

  it("reads the stored dtype straight and converts other dtypes", function()
    T.assert_equal(ht.load_hdf5(f, "d", { split = 0, dtype = ht.float64 }), drows(7))
    local x = ht.load_hdf5(f, "d", { split = 0 }) -- float64 file -> float32 through HDF5
    T.assert_dtype(x, ht.float32)
    T.assert_equal(x, drows(7))
    T.assert_equal(ht.load_hdf5(f, "d", { dtype = ht.int64 }), drows(7))
    T.assert_equal(ht.load_hdf5(f, "b", { split = 0, dtype = ht.bool }), { true, false, true })
    -- compressed (chunked, filtered) datasets stay on HDF5's path
    T.assert_equal(ht.load_hdf5(fz, "d", { split = 0, dtype = ht.float64 }), drows(7))
  end)

  it("keeps load_fraction, slices and empty datasets", function()
    -- int(7 * 0.5) = 3 leading rows; replicated loads ignore load_fraction (Heat)
    T.assert_equal(ht.load_hdf5(f, "d", { split = 0, dtype = ht.float64, load_fraction = 0.5 }), drows(3))
    T.assert_shape(ht.load_hdf5(f, "d", { dtype = ht.float64, load_fraction = 0.5 }), { 7, 2 })
    -- np.arange(14.).reshape(7, 2)[1:6:2]
    T.assert_equal(ht.load_hdf5(f, "d", { split = 0, dtype = ht.float64, slices = "1:6:2" }),
      { { 2, 3 }, { 6, 7 }, { 10, 11 } })
    T.assert_shape(ht.load_hdf5(f, "e", { split = 0 }), { 0, 3 })
  end)

  it("reads a dataset of several pieces into every rank's block", function()
    for _, split in ipairs { 0, false } do
      local x = ht.load_hdf5(f, "i", { split = split or nil, dtype = ht.int32 })
      T.assert_shape(x, { 300000 })
      assert.are.equal(44999850000, x:sum():item()) -- np.arange(300000).sum()
      -- items at a 1 MiB piece boundary (262144 int32) and at the ends
      assert.are.equal(262143, x[262143]:item())
      assert.are.equal(262144, x[262144]:item())
      assert.are.equal(299999, x[299999]:item())
      assert.are.equal(0, x[0]:item())
    end
  end)

  it("reads each rank's block of a later split axis from every row", function()
    -- 4 items along axis 2: each rank's block (1-2 items, at 3 ranks 2, 1, 1) from each of
    -- the 6 rows of 4; the comparison gathers every block
    local x = ht.load_hdf5(f, "cube", { split = 2 })
    T.assert_split(x, 2)
    T.assert_equal(x, cube)
    T.assert_equal(ht.load_hdf5(f, "cube", { split = -1 }), cube)
    -- 2 columns on 3 or 4 ranks: ranks 2 and 3 hold none; load_fraction int(2 * 0.5) = 1
    T.assert_equal(ht.load_hdf5(f, "d", { split = 1, dtype = ht.float64 }), drows(7))
    local one = {}
    for r = 0, 6 do one[r + 1] = { 2 * r } end
    T.assert_equal(ht.load_hdf5(f, "d", { split = 1, dtype = ht.float64, load_fraction = 0.5 }), one)
    -- a converted dtype still reads through HDF5
    T.assert_equal(ht.load_hdf5(f, "d", { split = 1 }), drows(7))
  end)

  it("reads split 1 of a dataset of several pieces", function()
    local x = ht.load_hdf5(f, "i3", { split = 1, dtype = ht.int32 })
    T.assert_shape(x, { 100000, 3 })
    -- np.arange(300000).reshape(100000, 3).sum(0)
    assert.are.same({ 14999850000, 14999950000, 15000050000 }, x:sum(0):totable())
    -- rows at the first boundary of ~1 MiB pieces (87381 rows of 12 bytes) and the last
    assert.are.same({ 262140, 262141, 262142 }, x[87380]:totable())
    assert.are.same({ 262143, 262144, 262145 }, x[87381]:totable())
    assert.are.same({ 299997, 299998, 299999 }, x[99999]:totable())
  end)

  it("raises the same errors on every rank, then still loads", function()
    T.assert_error(function() ht.load_hdf5(f, "nope", { split = 0 }) end, "nope")
    T.assert_error(function() ht.load_hdf5(f, "cube", { split = 3 }) end, "split 3 is out of range")
    T.assert_error(function() ht.load_hdf5(f, "d", { split = 0, load_fraction = 0 }) end,
      "load_fraction must be in (0, 1], got 0")
    T.assert_equal(ht.load_hdf5(f, "cube", { split = 0 }), cube)
  end)
end)
