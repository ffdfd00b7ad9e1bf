-- Single-dataset load_hdf5 through the pread path (contiguous, unfiltered, file type ==
-- dtype) and through HDF5 (conversions, chunks, gzip, slices, split 1), compared with exact
-- arange values at every rank count: 2-row datasets leave ranks 2 and 3 without rows, and
-- a 300000-item dataset spans several of the ~1 MiB pieces read in parallel.
local ht = require "heat"
local T = require "heat.testing"

local dir = T.scratch_dir("io_pread") -- a fresh folder every rank agrees on
local f, fz = dir .. "/a.h5", dir .. "/z.h5"
ht.save_hdf5({
  cube = ht.arange(24, { dtype = ht.float32 }):reshape(2, 3, 4), -- 2 rows of 3 x 4
  d = ht.arange(14, { dtype = ht.float64 }):reshape(7, 2),
  i = ht.arange(300000, { dtype = ht.int32, split = 0 }),
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

  it("raises the same errors on every rank, then still loads", function()
    T.assert_error(function() ht.load_hdf5(f, "nope", { split = 0 }) end, "nope")
    T.assert_error(function() ht.load_hdf5(f, "cube", { split = 3 }) end, "split 3 is out of range")
    T.assert_error(function() ht.load_hdf5(f, "d", { split = 0, load_fraction = 0 }) end,
      "load_fraction must be in (0, 1], got 0")
    T.assert_equal(ht.load_hdf5(f, "cube", { split = 0 }), cube)
  end)
end)
