-- A review of session 7's HDF5 pread loads (runtime/io/hdf5_fused.c): every dtype read
-- straight and converted at every split, edge shapes (1 row, 0 rows, 0 columns, more ranks
-- than rows and columns), load_fraction at its edges, fused loads mixing pread with chunked
-- and gzip datasets, HEATLUA_IO_PIECE_BYTES of any value (also different on each rank), 4-d
-- datasets split along each axis, files cut anywhere, odd characters in paths. Values are
-- np.arange expressions; a wrong byte anywhere changes T.bits.
local ffi = require "ffi"
local ht = require "heat"
local T = require "heat.testing"

ffi.cdef [[ int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name); ]]

local me = ht.rank()
local dir = T.scratch_dir("io_review")
local f = dir .. "/a.h5"

-- np.arange(21).reshape(7, 3) as each dtype (int8: minus 10, so negatives; bool: % 3 != 0)
local dtypes = { ht.int8, ht.uint8, ht.int16, ht.int32, ht.int64, ht.float32, ht.float64, ht.bool }
local data = {}
for k, dt in ipairs(dtypes) do
  local x = ht.arange(21, { dtype = ht.int64 }):reshape(7, 3)
  if dt == ht.bool then x = x % 3 elseif dt == ht.int8 then x = x - 10 end
  data["d" .. k] = x:astype(dt)
end
data.one = ht.arange(5, { dtype = ht.float32 }):reshape(1, 5) -- 1 row: ranks 1-3 hold none
data.e0 = ht.zeros({ 0, 4 }, { dtype = ht.float32 })
data.e1 = ht.zeros({ 4, 0 }, { dtype = ht.float32 })
data.v = ht.arange(2, { dtype = ht.float64 })
ht.save_hdf5(data, f)

-- runs fn with HEATLUA_IO_PIECE_BYTES = value (nil: unset)
local function with_pieces(value, fn)
  if value then ffi.C.setenv("HEATLUA_IO_PIECE_BYTES", value, 1) end
  local ok, err = pcall(fn)
  ffi.C.unsetenv("HEATLUA_IO_PIECE_BYTES")
  if not ok then error(err, 0) end
end

local function shape(x) return table.concat(x.shape, "x") end

describe("load_hdf5 pread paths (review)", function()
  it("reads every dtype as stored and converted, at every split", function()
    for _, pieces in ipairs { "3", false } do
      with_pieces(pieces or nil, function()
        for k, dt in ipairs(dtypes) do
          local want, want64 = T.bits(data["d" .. k]), T.bits(data["d" .. k]:astype(ht.float64))
          for _, split in ipairs { 0, 1, -1, -2, false } do
            local what = ("%s split %s"):format(tostring(dt), tostring(split))
            local x = ht.load_hdf5(f, "d" .. k, { dtype = dt, split = split or nil })
            T.assert_dtype(x, dt)
            assert(T.bits(x) == want, what .. ": values differ")
            local y = ht.load_hdf5(f, "d" .. k, { dtype = ht.float64, split = split or nil })
            assert(T.bits(y) == want64, what .. " as float64: values differ")
          end
        end
      end)
    end
  end)

  it("reads 1-row, 0-row and 0-column datasets at every split", function()
    for _, split in ipairs { 0, 1, false } do
      local x = ht.load_hdf5(f, "one", { split = split or nil })
      assert.are.equal("1x5", shape(x))
      assert.are.same({ { 0, 1, 2, 3, 4 } }, x:totable()) -- np.arange(5.).reshape(1, 5)
      assert.are.equal("0x4", shape(ht.load_hdf5(f, "e0", { split = split or nil })))
      assert.are.equal("4x0", shape(ht.load_hdf5(f, "e1", { split = split or nil })))
    end
  end)

  it("keeps int(n * load_fraction) items of the split axis, down to none", function()
    -- np.arange(21.).reshape(7, 3)[:int(7 * f)] and [:, :int(3 * f)]
    for lf, want in pairs { [1e-9] = { "0x3", "7x0" }, [0.1] = { "0x3", "7x0" },
      [0.15] = { "1x3", "7x0" }, [0.5] = { "3x3", "7x1" }, [1] = { "7x3", "7x3" } } do
      local a = ht.load_hdf5(f, "d7", { split = 0, load_fraction = lf, dtype = ht.float64 })
      local b = ht.load_hdf5(f, "d7", { split = 1, load_fraction = lf, dtype = ht.float64 })
      assert.are.same(want, { shape(a), shape(b) }, "load_fraction " .. lf)
      local n = a.shape[1]
      if n > 0 then assert.are.equal(T.bits(data.d7[{ { 0, n }, {} }]), T.bits(a)) end
      local m = b.shape[2]
      if m > 0 then assert.are.equal(T.bits(data.d7[{ {}, { 0, m } }]), T.bits(b)) end
    end
  end)

  it("rejects bad load_fraction and split values on every rank, naming load_hdf5", function()
    for _, lf in ipairs { 0, -1, 1.5, 0 / 0 } do
      T.assert_error(function() ht.load_hdf5(f, "d6", { split = 0, load_fraction = lf }) end,
        "load_hdf5: load_fraction must be in (0, 1]")
    end
    for _, split in ipairs { 1, 2, -2 } do
      T.assert_error(function() ht.load_hdf5(f, "v", { split = split }) end,
        "load_hdf5: split " .. split .. " is out of range for dataset 'v' of shape (2,)")
    end
    T.assert_error(function() ht.load_hdf5(f, { "d6", "d7" }, { split = 1 }) end,
      "so split must be 0 or nil")
    T.assert_error(function() ht.load_hdf5(f, { "d6", "one" }, { split = 0 }) end,
      "datasets 'd6' (7 rows) and 'one' (1 row) in")
    T.assert_error(function() ht.load_hdf5(f, { "d6", "d8" }, { split = 0 }) end,
      "dataset 'd8' in '" .. f .. "' holds bool values")
  end)

  it("joins the same dataset twice and datasets of different dtypes", function()
    -- np.hstack([d6, d6]) and np.hstack([d4, d7, d1]) as float64
    for _, split in ipairs { 0, false } do
      local x = ht.load_hdf5(f, { "d6", "d6" }, { split = split or nil, dtype = ht.float32 })
      assert.are.equal(T.bits(ht.hstack({ data.d6, data.d6 })), T.bits(x))
      local y = ht.load_hdf5(f, { "d4", "d7", "d1" }, { split = split or nil, dtype = ht.float64 })
      local want = ht.hstack({ data.d4:astype(ht.float64), data.d7, data.d1:astype(ht.float64) })
      assert.are.equal(T.bits(want), T.bits(y))
    end
  end)

  it("mixes pread with chunked and gzip datasets across files, load_fraction across a file edge", function()
    local g, h = dir .. "/mix1.h5", dir .. "/mix2.h5"
    local a = ht.arange(39, { dtype = ht.float32, split = 0 }):reshape(13, 3)
    local b = ht.arange(13, { dtype = ht.int16, split = 0 }) * -1
    ht.save_hdf5(a, g, "a", { mode = "w" })
    ht.save_hdf5(b, g, "b", { mode = "a", chunks = { 4 }, compression = "gzip" })
    ht.save_hdf5(a + 100, h, "a", { mode = "w", chunks = true })
    ht.save_hdf5(b - 100, h, "b", { mode = "a" })
    local one = ht.hstack({ a, b:astype(ht.float32):reshape(13, 1) })
    local two = ht.vstack({ one, ht.hstack({ a + 100, (b - 100):astype(ht.float32):reshape(13, 1) }) })
    for _, pieces in ipairs { "4", "100000" } do
      with_pieces(pieces, function()
        for _, split in ipairs { 0, false } do
          -- np.hstack([a, b[:, None]]); np.vstack of both files, [:int(26 * 0.9)] when split
          assert.are.equal(T.bits(one), T.bits(ht.load_hdf5(g, { "a", "b" }, { split = split or nil })))
          local y = ht.load({ g, h }, { "a", "b" }, { split = split or nil, load_fraction = 0.9 })
          assert.are.equal(T.bits(split and two[{ { 0, 23 }, {} }] or two), T.bits(y))
        end
      end)
    end
  end)

  it("raises everywhere when one rank cannot have a read buffer, then still loads", function()
    -- mix1.h5 (the test above): "b" is chunked, so the fused load reads "a" by pread
    -- through a buffer (the load's 2nd data allocation; on every rank, as 13 rows leave each
    -- some) and "b" through HDF5 into a buffer (its 3rd); split 1 with load_fraction at
    -- one rank reads through a buffer, at several the send buffer (both the 2nd)
    local core = require "heat.core"
    local g, p = dir .. "/mix1.h5", ht.nprocs()
    local cases = {
      { 2, function() return ht.load_hdf5(g, { "a", "b" }, { split = 0 }) end },
      { 3, function() return ht.load_hdf5(g, { "a", "b" }, { split = 0 }) end },
      { 2, function() return ht.load_hdf5(g, "a", { split = 1, load_fraction = 0.7 }) end },
    }
    for k, c in ipairs(cases) do
      ht.empty_cache()
      core._fail_alloc(p - 1, c[1])
      local ok, err = pcall(c[2])
      core._fail_alloc(p - 1, 0)
      assert(not ok, "case " .. k .. ": allocation " .. c[1] .. " failed on rank " .. (p - 1))
      assert(tostring(err):find("load_hdf5: out of memory allocating", 1, true), tostring(err))
    end
    -- np.hstack([arange(39.).reshape(13, 3), -arange(13.)[:, None]])
    local want = ht.hstack({ ht.arange(39, { dtype = ht.float32 }):reshape(13, 3),
      (ht.arange(13, { dtype = ht.int16 }) * -1):astype(ht.float32):reshape(13, 1) })
    assert.are.equal(T.bits(want), T.bits(ht.load_hdf5(g, { "a", "b" }, { split = 0 })))
  end)

  it("reads any HEATLUA_IO_PIECE_BYTES, also one that differs between ranks", function()
    local want = T.bits(data.d7)
    for _, v in ipairs { "1", "garbage", "99999999999999999999", "-4", "0x10", tostring(3 + 17 * me) } do
      with_pieces(v, function()
        assert(T.bits(ht.load_hdf5(f, "d7", { split = 1, dtype = ht.float64 })) == want, v)
        assert(T.bits(ht.load_hdf5(f, "d3", { split = 1, dtype = ht.int16 })) == T.bits(data.d3), v)
      end)
    end
  end)

  it("reads a 4-d dataset split along each axis, with load_fraction", function()
    local c = ht.arange(60, { dtype = ht.int16, split = 0 }):reshape(2, 3, 5, 2)
    local path = dir .. "/c.h5"
    ht.save_hdf5({ c = c, c8 = c:astype(ht.int8) }, path)
    -- np.arange(60).reshape(2, 3, 5, 2) cut to int(n * 0.5) along the split axis, summed
    local sums = { [0] = 435, [1] = 390, [2] = 636, [3] = 870, [-1] = 870 }
    for _, pieces in ipairs { "4", false } do
      with_pieces(pieces or nil, function()
        for _, split in ipairs { 0, 1, 2, 3, -1, false } do
          assert.are.equal(T.bits(c), T.bits(ht.load_hdf5(path, "c", { split = split or nil, dtype = ht.int16 })))
          assert.are.equal(T.bits(c:astype(ht.int8)),
            T.bits(ht.load_hdf5(path, "c8", { split = split or nil, dtype = ht.int8 })))
          if split then
            local h = ht.load_hdf5(path, "c8", { split = split, dtype = ht.float32, load_fraction = 0.5 })
            assert.are.equal(sums[split], h:sum():item(), "split " .. split)
          end
        end
      end)
    end
  end)

  it("fails on every rank, naming load_hdf5, for a file cut anywhere", function()
    local src = dir .. "/full.h5"
    ht.save_hdf5({ x = ht.arange(4000, { dtype = ht.float64, split = 0 }):reshape(400, 10),
      y = ht.arange(400, { dtype = ht.float64, split = 0 }) }, src)
    local h = assert(io.open(src, "rb"))
    local bytes = h:read("*a")
    h:close()
    for _, cut in ipairs { #bytes - 1, math.floor(#bytes * 0.75), math.floor(#bytes / 2), 100 } do
      local g = dir .. "/cut" .. cut .. ".h5"
      if me == 0 then
        h = assert(io.open(g, "wb"))
        h:write(bytes:sub(1, cut))
        h:close()
      end
      ht.barrier()
      for _, c in ipairs { { "x", 0 }, { "x", 1 }, { "x", false }, { { "x", "y" }, 0 } } do
        T.assert_error(function() ht.load_hdf5(g, c[1], { split = c[2] or nil, dtype = ht.float64 }) end,
          "load_hdf5: cannot open")
      end
    end
    assert.are.equal(4000 * 3999 / 2, ht.load_hdf5(src, "x", { split = 1, dtype = ht.float64 }):sum():item())
  end)

  it("reads paths with blanks, quotes, % and non-ASCII characters", function()
    local odd = dir .. "/we ird 'ü%s\".h5"
    ht.save_hdf5(data.d6, odd, "x")
    for _, split in ipairs { 0, 1, false } do
      assert.are.equal(T.bits(data.d6), T.bits(ht.load_hdf5(odd, "x", { split = split or nil })))
    end
  end)
end)
