-- load_hdf5 along a later split axis (split > 0) on several ranks: each piece of rows is read
-- once in all (every rank a share) and the columns are exchanged (runtime/io/hdf5_fused.c,
-- pread_cols). HEATLUA_IO_PIECE_BYTES (read by the runtime at each load) makes the pieces a
-- few rows long here, so row counts do not divide into pieces or shares, ranks get empty
-- shares, and ranks without columns still read and send. Values are np.arange expressions.
local ffi = require "ffi"
local ht = require "heat"
local T = require "heat.testing"
local core = require "heat.core"

ffi.cdef [[ int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name); ]]

local me, p = ht.rank(), ht.nprocs()
local dir = T.scratch_dir("io_split")
local f = dir .. "/s.h5"
ht.save_hdf5({
  m = ht.arange(55, { dtype = ht.float32 }):reshape(11, 5),      -- 11 rows of 5
  c = ht.arange(60, { dtype = ht.float64, split = 0 }):reshape(3, 4, 5), -- a cube
  n = ht.arange(10, { dtype = ht.int32 }):reshape(5, 2),         -- 2 columns: 3-4 ranks hold none
  s = ht.arange(12, { dtype = ht.float64 }):reshape(2, 6),       -- 2 rows: ranks 2-3 read none
}, f)

-- np.arange(rows * cols).reshape(rows, cols)[:, :keep] as nested tables
local function grid(rows, cols, keep)
  local out = {}
  for r = 0, rows - 1 do
    out[r + 1] = {}
    for j = 0, (keep or cols) - 1 do out[r + 1][j + 1] = r * cols + j end
  end
  return out
end
-- np.arange(60.).reshape(3, 4, 5)
local cube = {}
for i = 0, 2 do cube[i + 1] = grid(4, 5) for j = 1, 4 do for k = 1, 5 do cube[i + 1][j][k] = cube[i + 1][j][k] + 20 * i end end end

-- runs fn with pieces of `bytes` bytes of file rows per rank (nil: the default)
local function with_pieces(bytes, fn)
  if bytes then ffi.C.setenv("HEATLUA_IO_PIECE_BYTES", tostring(bytes), 1) end
  local ok, err = pcall(fn)
  ffi.C.unsetenv("HEATLUA_IO_PIECE_BYTES")
  if not ok then error(err, 0) end
end

describe("load_hdf5 with split > 0", function()
  it("reads split 1 in pieces that do not divide the rows", function()
    -- a row is 20 bytes: 1, 2 and 3 rows per rank and piece, and the default (one piece)
    for _, bytes in ipairs { 20, 40, 60, false } do
      with_pieces(bytes or nil, function()
        local x = ht.load_hdf5(f, "m", { split = 1, dtype = ht.float32 })
        T.assert_split(x, 1)
        T.assert_shape(x, { 11, 5 })
        T.assert_equal(x, grid(11, 5))
        -- np.arange(55.).reshape(11, 5).sum(0)
        assert.are.same({ 275, 286, 297, 308, 319 }, x:sum(0):totable())
      end)
    end
  end)

  it("reads split 2 and -1 of a cube, and split 1 of its (4, 5) rows", function()
    for _, bytes in ipairs { 8, 16, 40, false } do
      with_pieces(bytes or nil, function()
        for _, split in ipairs { 2, -1, 1 } do
          local x = ht.load_hdf5(f, "c", { split = split, dtype = ht.float64 })
          T.assert_split(x, split < 0 and 2 or split)
          T.assert_equal(x, cube)
        end
        -- np.arange(60.).reshape(3, 4, 5).sum((0, 1))
        assert.are.same({ 330, 342, 354, 366, 378 },
          ht.load_hdf5(f, "c", { split = 2, dtype = ht.float64 }):sum(0):sum(0):totable())
      end)
    end
  end)

  it("works with more ranks than columns and more ranks than rows", function()
    with_pieces(8, function()
      local x = ht.load_hdf5(f, "n", { split = 1, dtype = ht.int32 })
      local cols = {} -- 2 columns: one each on ranks 0 and 1, none on ranks 2 and 3
      for q = 1, p do cols[q] = x.lshape_map[q][2] end
      assert.are.same(p == 1 and { 2 } or p == 2 and { 1, 1 } or p == 3 and { 1, 1, 0 } or { 1, 1, 0, 0 }, cols)
      T.assert_equal(x, grid(5, 2)) -- np.arange(10).reshape(5, 2)
      T.assert_equal(ht.load_hdf5(f, "s", { split = 1, dtype = ht.float64 }), grid(2, 6))
      T.assert_equal(ht.load_hdf5(f, "s", { split = -1, dtype = ht.float64 }), grid(2, 6))
    end)
  end)

  it("keeps load_fraction's leading items of the split axis", function()
    for _, bytes in ipairs { 20, 60, false } do with_pieces(bytes or nil, function()
      -- np.arange(55.).reshape(11, 5)[:, :int(5 * 0.5)]
      T.assert_equal(ht.load_hdf5(f, "m", { split = 1, dtype = ht.float32, load_fraction = 0.5 }),
        grid(11, 5, 2))
      -- np.arange(60.).reshape(3, 4, 5)[:, :, :int(5 * 0.7)]
      local x = ht.load_hdf5(f, "c", { split = 2, dtype = ht.float64, load_fraction = 0.7 })
      T.assert_shape(x, { 3, 4, 3 })
      assert.are.same({ 330, 342, 354 }, x:sum(0):sum(0):totable())
    end) end
  end)

  it("fails on every rank together: a truncated file, a buffer one rank cannot have", function()
    local cut = dir .. "/cut.h5"
    if me == 0 then -- all but the last 8 bytes (the end of the last dataset's values)
      local h = assert(io.open(f, "rb"))
      local bytes = h:read("*a")
      h:close()
      h = assert(io.open(cut, "wb"))
      h:write(bytes:sub(1, #bytes - 8))
      h:close()
    end
    ht.barrier()
    T.assert_error(function() ht.load_hdf5(cut, "m", { split = 1, dtype = ht.float32 }) end, "truncated")
    -- the result is the load's 1st data allocation, the send buffer its 2nd, the read
    -- buffers its 3rd: each failing on the last rank only is raised everywhere
    for n = 2, 3 do
      with_pieces(20, function()
        ht.empty_cache()
        core._fail_alloc(p - 1, n)
        local ok, err = pcall(ht.load_hdf5, f, "m", { split = 1, dtype = ht.float32 })
        core._fail_alloc(p - 1, 0)
        if p > 1 then
          assert.is_false(ok, "allocation " .. n .. " failed on rank " .. (p - 1) .. " only")
          assert.is_truthy(tostring(err):find("load_hdf5: out of memory allocating", 1, true), err)
        end
      end)
    end
    T.assert_equal(ht.load_hdf5(f, "m", { split = 1, dtype = ht.float32 }), grid(11, 5))
  end)
end)
