-- Parallel I/O: HDF5 (and NetCDF-4 names), CSV and .npy round trips at every split, files
-- made by hand (bytes written here) or by the HDF5 tools, the options (slices,
-- load_fraction, modes, compression, attributes), hdf5_info, and every error path.
-- Reference values are exact: integers or quarter fractions, exact in float32.
local ht = require "heat"
local T = require "heat.testing"
local core = require "heat.core"

local p, me = ht.nprocs(), ht.rank()

local dir = T.scratch_dir("io_spec") -- a fresh folder every rank agrees on

local function path(name) return dir .. "/" .. name end

-- rank 0 writes raw bytes, everybody waits for them
local function write_bytes(name, bytes)
  if me == 0 then
    local f = assert(io.open(path(name), "wb"))
    f:write(bytes)
    f:close()
  end
  ht.barrier()
  return path(name)
end

local function read_bytes(file)
  local f = assert(io.open(file, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function exists(file)
  local f = io.open(file, "rb")
  if f then f:close() end
  return f ~= nil
end

-- names in dir that start with '.': leftovers of the temporary-file protocol. The barriers
-- keep a rank that runs ahead from creating the next save's temporary while others look.
local function leftovers()
  ht.barrier()
  local h = io.popen("ls -A '" .. dir .. "'")
  local n = 0
  for name in h:lines() do
    if name:sub(1, 1) == "." then n = n + 1 end
  end
  h:close()
  ht.barrier()
  return n
end

-- Nested table of `shape` holding value(k) for flat C-order index k.
local function grid(shape, value)
  local k = -1
  local function build(d)
    local t = {}
    for i = 1, shape[d] do
      if d == #shape then
        k = k + 1
        t[i] = value(k)
      else
        t[i] = build(d + 1)
      end
    end
    return t
  end
  if #shape == 0 then return value(0) end
  return build(1)
end

local values = {
  float32 = function(k) return k + 0.25 end, -- exact in float32 for small k
  float64 = function(k) return k / 8 - 3 end,
  int64 = function(k) return k * 1000003 - 7 end,
  int32 = function(k) return k - 5 end,
  int16 = function(k) return k * 3 - 100 end,
  int8 = function(k) return k % 100 - 50 end,
  uint8 = function(k) return (k * 7) % 256 end,
  bool = function(k) return k % 3 == 0 end,
}

local function make(shape, dtype, split)
  for _, n in ipairs(shape) do -- a nested table cannot say (0, 3)
    if n == 0 then return ht.zeros(shape, { dtype = dtype, split = split }) end
  end
  return ht.array(grid(shape, values[dtype]), { dtype = dtype, split = split })
end

-- every split an array of ndim dims can have, nil first
local function splits(ndim)
  local s = { false }
  for d = 0, ndim - 1 do s[#s + 1] = d end
  return s
end
local function opt_split(s) if s then return s end end

-- shapes with ranks that own nothing (2 rows on 3 or 4 ranks) and empty axes
local shapes = { { 7, 3 }, { 2, 5 }, { 0, 3 }, { 5 }, { 3, 2, 4 }, { 1 } }

describe("load_hdf5 / save_hdf5", function()
  it("round-trip every dtype at every split and shape", function()
    for _, dtype in ipairs { "float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool" } do
      for si, shape in ipairs(shapes) do
        for _, s in ipairs(splits(#shape)) do
          local file = path("rt.h5")
          local x = make(shape, dtype, opt_split(s))
          ht.save_hdf5(x, file, "data")
          for _, ls in ipairs(splits(#shape)) do
            local y = ht.load_hdf5(file, "data", { dtype = dtype, split = opt_split(ls) })
            T.assert_dtype(y, dtype)
            T.assert_shape(y, shape)
            T.assert_split(y, opt_split(ls))
            T.assert_equal(y, grid(shape, values[dtype]))
          end
        end
      end
    end
  end)

  it("round-trips 0-d arrays", function()
    ht.save_hdf5(ht.array(2.5), path("s.h5"), "x")
    local y = ht.load_hdf5(path("s.h5"), "x", { dtype = "float64" })
    T.assert_shape(y, {})
    T.assert_equal(y, 2.5)
  end)

  it("defaults to float32 and no split, as Heat", function()
    ht.save_hdf5(make({ 4, 2 }, "int64", 0), path("d.h5"), "ints")
    local y = ht.load_hdf5(path("d.h5"), "ints")
    T.assert_dtype(y, "float32")
    T.assert_split(y, nil)
    T.assert_equal(y, grid({ 4, 2 }, values.int64)) -- |values| < 2^24: exact in float32
  end)

  it("converts dtypes while reading (HDF5 conversion)", function()
    local f = path("conv.h5")
    ht.save_hdf5(ht.array({ -1.75, 0.5, 2.0, 3.9 }, { dtype = "float64", split = 0 }), f, "x")
    -- np.array([-1.75, 0.5, 2.0, 3.9]).astype(np.int32): truncation toward zero
    T.assert_equal(ht.load_hdf5(f, "x", { dtype = "int32", split = 0 }), { -1, 0, 2, 3 })
    -- np.array([-1.75, 0.5, 2.0, 3.9]).astype(bool): nonzero is True
    T.assert_equal(ht.load_hdf5(f, "x", { dtype = "bool" }), { true, true, true, true })
    ht.save_hdf5(ht.array({ 0, 2, 0, -1 }, { dtype = "int16" }), f, "i")
    T.assert_equal(ht.load_hdf5(f, "i", { dtype = "bool", split = 0 }), { false, true, false, true })
    -- h5py's bool enum read as numbers: FALSE=0, TRUE=1
    ht.save_hdf5(ht.array({ true, false, true }), f, "b")
    T.assert_equal(ht.load_hdf5(f, "b", { dtype = "float64", split = 0 }), { 1, 0, 1 })
  end)

  it("reads the hyperslab given by slices before distributing", function()
    local f = path("sl.h5")
    ht.save_hdf5(make({ 6, 5 }, "int32", 0), f, "m")
    -- np.arange(30).reshape(6, 5) - 5, then [1:5, ::2]
    local want = { { 0, 2, 4 }, { 5, 7, 9 }, { 10, 12, 14 }, { 15, 17, 19 } }
    for _, s in ipairs { false, 0, 1 } do
      local y = ht.load_hdf5(f, "m", { dtype = "int32", split = opt_split(s), slices = { { 1, 5 }, { nil, nil, 2 } } })
      T.assert_equal(y, want)
      T.assert_split(y, opt_split(s))
      -- the same as a string, NumPy's notation
      T.assert_equal(ht.load_hdf5(f, "m", { dtype = "int32", split = opt_split(s), slices = "1:5, ::2" }), want)
    end
    -- an index drops its axis: [-2] of the rows, then columns 1:4 -> [16, 17, 18]
    T.assert_equal(ht.load_hdf5(f, "m", { dtype = "int32", split = 0, slices = { -2, { 1, 4 } } }), { 16, 17, 18 })
    -- ht.all is the whole axis; [:, 3] -> column 3
    T.assert_equal(ht.load_hdf5(f, "m", { dtype = "int32", split = 0, slices = { ht.all, 3 } }), { -2, 3, 8, 13, 18, 23 })
    -- negative bounds: [-2:] rows
    T.assert_equal(ht.load_hdf5(f, "m", { dtype = "int32", slices = { { -2 } } }),
      { { 15, 16, 17, 18, 19 }, { 20, 21, 22, 23, 24 } })
    -- an empty selection: [3:3]
    T.assert_shape(ht.load_hdf5(f, "m", { split = 0, slices = { { 3, 3 } } }), { 0, 5 })
  end)

  it("keeps the leading fraction of the split axis with load_fraction", function()
    local f = path("lf.h5")
    ht.save_hdf5(make({ 9, 2 }, "int32", 0), f, "m")
    -- Heat: int(9 * 0.5) = 4 rows
    local y = ht.load_hdf5(f, "m", { dtype = "int32", split = 0, load_fraction = 0.5 })
    T.assert_equal(y, grid({ 4, 2 }, values.int32))
    -- along axis 1: int(2 * 0.5) = 1 column
    T.assert_equal(ht.load_hdf5(f, "m", { dtype = "int32", split = 1, load_fraction = 0.5 }),
      { { -5 }, { -3 }, { -1 }, { 1 }, { 3 }, { 5 }, { 7 }, { 9 }, { 11 } })
    T.assert_error(function() ht.load_hdf5(f, "m", { split = 0, load_fraction = 0 }) end,
      "ht.load_hdf5: load_fraction must be in (0, 1], got 0")
    T.assert_error(function() ht.load_hdf5(f, "m", { split = 0, load_fraction = 1.5 }) end,
      "load_fraction must be in (0, 1], got 1.5")
    -- 0/0 is -nan on x86; the message says nan
    T.assert_error(function() ht.load_hdf5(f, "m", { split = 0, load_fraction = 0 / 0 }) end,
      "load_fraction must be in (0, 1], got nan")
  end)

  it("reads only its share: the loaded array holds the rank's block and nothing more", function()
    local f = path("mem.h5")
    ht.save_hdf5(make({ 1000, 16 }, "float32", 0), f, "x")
    collectgarbage()
    local before = core._bytes_live()
    local y = ht.load_hdf5(f, "x", { split = 0 })
    -- the balanced block: 1000 // p rows, one more on the first 1000 % p ranks, 16 * 4 bytes each
    local rows = math.floor(1000 / p) + (me < 1000 % p and 1 or 0)
    assert.equal(rows * 16 * 4, core._bytes_live() - before)
    assert.same({ rows, 16 }, y.lshape)
  end)
end)

describe("save_hdf5 modes and atomicity", function()
  it("w replaces, w- refuses an existing file, a adds, r+ needs the file", function()
    local f = path("modes.h5")
    ht.save_hdf5(make({ 3 }, "int32", 0), f, "a")
    ht.save_hdf5(make({ 4 }, "int32", 0), f, "b", { mode = "a" })
    local info = ht.io.hdf5_info(f)
    assert.equal(2, #info.datasets)
    assert.same({ 4 }, info.datasets.b.shape)
    T.assert_error(function() ht.save_hdf5(make({ 2 }, "int32"), f, "c", { mode = "w-" }) end,
      "exists and mode \"w-\" does not overwrite it")
    T.assert_error(function() ht.save_hdf5(make({ 2 }, "int32"), f, "c", { mode = "x" }) end,
      "does not overwrite it")
    T.assert_error(function() ht.save_hdf5(make({ 2 }, "int32"), f, "a", { mode = "a" }) end,
      "already holds 'a'")
    -- the failed saves changed nothing and left no temporary behind
    T.assert_equal(ht.load_hdf5(f, "a", { dtype = "int32" }), { -5, -4, -3 })
    assert.equal(2, #ht.io.hdf5_info(f).datasets)
    assert.equal(0, leftovers())
    ht.save_hdf5(make({ 2 }, "int32"), f, "c", { mode = "r+" })
    assert.equal(3, #ht.io.hdf5_info(f).datasets)
    ht.save_hdf5(make({ 2 }, "int32"), f, "only")
    assert.equal(1, #ht.io.hdf5_info(f).datasets) -- "w" replaced the file
    T.assert_error(function() ht.save_hdf5(make({ 2 }, "int32"), path("none.h5"), "x", { mode = "r+" }) end,
      "does not exist (mode \"r+\" needs an existing file")
    ht.save_hdf5(make({ 2 }, "int32"), path("new_a.h5"), "x", { mode = "a" }) -- "a" creates
    assert.is_true(exists(path("new_a.h5")))
    T.assert_error(function() ht.save_hdf5(make({ 2 }, "int32"), f, "x", { mode = "q" }) end,
      "ht.save_hdf5: mode must be one of")
    assert.equal(0, leftovers())
  end)

  it("writes nested groups and several datasets in one save", function()
    local f = path("multi.h5")
    ht.save_hdf5({
      ["jets/pt"] = make({ 5 }, "float32", 0),
      labels = { make({ 5 }, "uint8", 0), attrs = { classes = 2 } },
      ["/"] = { description = "synthetic", rows = 5 },
    }, f)
    local info = ht.io.hdf5_info(f)
    assert.equal("synthetic", info.attrs.description)
    assert.equal(5, info.attrs.rows)
    assert.equal("float32", info.datasets["jets/pt"].dtype)
    assert.equal("uint8", info.datasets.labels.dtype)
    assert.equal(2, info.datasets.labels.attrs.classes)
    assert.equal("jets", info.groups[1].name)
    T.assert_equal(ht.load_hdf5(f, "/jets/pt", { split = 0 }), grid({ 5 }, values.float32))
  end)

  it("compresses with gzip in chunks, at any split", function()
    local f = path("gz.h5")
    for _, s in ipairs { false, 0, 1 } do
      local x = make({ 37, 6 }, "float64", opt_split(s))
      ht.save_hdf5(x, f, "z", { compression = "gzip", compression_opts = 6, shuffle = true })
      local d = ht.io.hdf5_info(f).datasets.z
      assert.equal("gzip", d.compression)
      assert.equal(6, d.compression_opts)
      assert.same({ 37, 6 }, d.chunks) -- 37 * 6 * 8 bytes fit one 1 MiB chunk
      T.assert_equal(ht.load_hdf5(f, "z", { dtype = "float64", split = 0 }), grid({ 37, 6 }, values.float64))
    end
    ht.save_hdf5(make({ 10, 4 }, "int32", 0), f, "c", { chunks = { 3, 2 }, compression = 1 })
    local d = ht.io.hdf5_info(f).datasets.c
    assert.same({ 3, 2 }, d.chunks)
    assert.equal(1, d.compression_opts)
    T.assert_equal(ht.load_hdf5(f, "c", { dtype = "int32", split = 1 }), grid({ 10, 4 }, values.int32))
    ht.save_hdf5(make({ 10, 4 }, "int32", 0), f, "plain", { chunks = true })
    assert.is_nil(ht.io.hdf5_info(f).datasets.plain.compression)
    T.assert_error(function() ht.save_hdf5(make({ 4 }, "int32"), f, "c", { chunks = { 5 } }) end,
      "chunks (5,) do not fit dataset 'c' of shape (4,)")
    T.assert_error(function() ht.save_hdf5(make({ 4 }, "int32"), f, "c", { compression = "lzf" }) end,
      "compression must be \"gzip\" or a level 0..9")
  end)
end)

describe("attributes and hdf5_info", function()
  it("writes and reads attributes of every kind", function()
    local f = path("attrs.h5")
    ht.save_hdf5(make({ 3 }, "float32", 0), f, "x", { attrs = { units = "GeV", scale = 0.5, n = 3, ok = true, v = { 1, 2, 3 } } })
    local a = ht.io.read_attrs(f, "x")
    assert.same({ units = "GeV", scale = 0.5, n = 3, ok = true, v = { 1, 2, 3 } }, a)
    ht.io.write_attrs(f, "/", { title = "run 7", flags = { true, false } })
    ht.io.write_attrs(f, "x", { scale = 2 }) -- replaces
    assert.same({ title = "run 7", flags = { true, false } }, ht.io.read_attrs(f))
    assert.equal(2, ht.io.read_attrs(f, "x").scale)
    T.assert_equal(ht.load_hdf5(f, "x", { split = 0 }), { 0.25, 1.25, 2.25 }) -- data untouched
    T.assert_error(function() ht.io.read_attrs(f, "nothing") end, "has no object 'nothing'")
    T.assert_error(function() ht.io.write_attrs(path("none.h5"), "/", { a = 1 }) end, "does not exist")
    assert.equal(0, leftovers())
  end)

  it("lists datasets with shape, dtype and layout", function()
    local f = path("info.h5")
    ht.save_hdf5({ a = make({ 2, 3 }, "int8", 0), ["g/b"] = make({ 4 }, "float64"), ["g/h/c"] = make({ 1, 1, 1 }, "bool") }, f)
    local info = ht.io.hdf5_info(f)
    local names = {}
    for i, d in ipairs(info.datasets) do names[i] = d.name end
    assert.same({ "a", "g/b", "g/h/c" }, names)
    assert.same({ 2, 3 }, info.datasets.a.shape)
    assert.equal(2, info.datasets.a.ndim)
    assert.equal("int8", info.datasets.a.dtype)
    assert.equal("bool", info.datasets["g/h/c"].dtype)
    assert.is_nil(info.datasets.a.chunks)
    assert.same({ "g", "g/h" }, { info.groups[1].name, info.groups[2].name })
  end)
end)

describe("NetCDF-4 and files written by other tools", function()
  it("loads a variable of a .nc file through the same loader", function()
    local f = path("v.nc")
    ht.save_hdf5(make({ 4, 3 }, "float32", 0), f, "temp")
    T.assert_equal(ht.load(f, "temp", { split = 0 }), grid({ 4, 3 }, values.float32))
    T.assert_equal(ht.load_netcdf(f, "temp", { split = 1 }), grid({ 4, 3 }, values.float32))
  end)

  local has_h5import = os.execute("command -v h5import >/dev/null 2>&1")
  has_h5import = has_h5import == 0 or has_h5import == true
  local h5test = has_h5import and it or pending
  h5test("reads a dataset written by h5import (HDF5 command-line tools)", function()
    write_bytes("in.txt", "1.5 2.5 3.5\n4.5 5.5 6.5\n")
    write_bytes("in.cfg", "PATH ints\nINPUT-CLASS TEXTFP\nRANK 2\nDIMENSION-SIZES 2 3\n" ..
      "OUTPUT-CLASS FP\nOUTPUT-SIZE 64\nOUTPUT-ARCHITECTURE IEEE\nOUTPUT-BYTE-ORDER BE\n")
    if me == 0 then
      assert(os.execute(string.format("cd '%s' && h5import in.txt -c in.cfg -o tool.h5 >/dev/null", dir)))
    end
    ht.barrier()
    -- big-endian float64 in the file, converted by HDF5
    T.assert_equal(ht.load_hdf5(path("tool.h5"), "ints", { split = 0, dtype = "float64" }),
      { { 1.5, 2.5, 3.5 }, { 4.5, 5.5, 6.5 } })
    assert.equal("float64", ht.io.hdf5_info(path("tool.h5")).datasets.ints.dtype)
    -- a string dataset cannot become numbers
    write_bytes("s.txt", "hello\n")
    write_bytes("s.cfg", "PATH words\nINPUT-CLASS STR\n")
    if me == 0 then
      os.execute(string.format("cd '%s' && h5import s.txt -c s.cfg -o str.h5 >/dev/null 2>&1", dir))
    end
    ht.barrier()
    if exists(path("str.h5")) then
      T.assert_error(function() ht.load_hdf5(path("str.h5"), "words") end,
        "ht.load_hdf5: dataset 'words' in '" .. path("str.h5") .. "' holds string values, which cannot be converted to float32")
    end
  end)
end)

describe("HDF5 errors, the same on every rank", function()
  it("names the missing file, dataset, or what is wrong", function()
    local f = path("err.h5")
    ht.save_hdf5({ x = make({ 4, 2 }, "int32", 0), ["grp/y"] = make({ 2 }, "int32") }, f)
    T.assert_error(function() ht.load_hdf5(path("missing.h5"), "x") end,
      "ht.load_hdf5: cannot open '" .. path("missing.h5") .. "': No such file or directory")
    T.assert_error(function() ht.load_hdf5(f, "nope") end,
      "ht.load_hdf5: '" .. f .. "' has no dataset 'nope' (it holds: grp, x)")
    T.assert_error(function() ht.load_hdf5(f, "grp/z") end, "has no dataset 'grp/z' (it holds: y)")
    T.assert_error(function() ht.load_hdf5(f, "grp") end, "'grp' in '" .. f .. "' is a group, not a dataset")
    T.assert_error(function() ht.load_hdf5(f, "x", { split = 2 }) end,
      "ht.load_hdf5: split 2 is out of range for dataset 'x' of shape (4, 2)")
    T.assert_error(function() ht.load_hdf5(f, "x", { slices = { { 0, 5 } } }) end,
      "ht.load_hdf5: slice 0:5 is out of range for axis 0 of dataset 'x' with shape (4, 2)")
    T.assert_error(function() ht.load_hdf5(f, "x", { slices = { 4 } }) end,
      "index 4 is out of range for axis 0")
    T.assert_error(function() ht.load_hdf5(f, "x", { slices = { { 0, 2, -1 } } }) end,
      "slice step must be positive, got -1")
    T.assert_error(function() ht.load_hdf5(f, "x", { slices = { 0, 0, 0 } }) end,
      "slices has 3 entries but dataset 'x'")
    T.assert_error(function() ht.load_hdf5(f, "x", { slices = "..., 0" }) end,
      "ht.load_hdf5: slices takes integers and start:stop:step slices only; entry 0 is not one")
    T.assert_error(function() ht.load_hdf5(f, "x", { slices = { 1.5 } }) end,
      "ht.load_hdf5: index 1.5 is not an integer")
    T.assert_error(function() ht.load_hdf5(f, "x", { slices = 3 }) end,
      "ht.load_hdf5: slices must be a table or a string, got number")
    T.assert_error(function() ht.load_hdf5(f, "x", { splt = 0 }) end,
      "ht.load_hdf5: unknown option 'splt'")
    T.assert_error(function() ht.load_hdf5(f, "x", { dtype = "complex64" }) end, "unknown dtype 'complex64'")
    local csv = write_bytes("plain.csv", "1,2\n")
    T.assert_error(function() ht.load_hdf5(csv, "x") end, "ht.load_hdf5: '" .. csv .. "' is not an HDF5 file")
  end)
end)

describe("load_csv / save_csv", function()
  it("round-trips every dtype at every split, the shortest exact text", function()
    for _, dtype in ipairs { "float32", "float64", "int64", "int32", "uint8", "bool" } do
      for _, shape in ipairs { { 7, 3 }, { 2, 5 }, { 1, 1 } } do
        for _, s in ipairs { false, 0, 1 } do
          ht.save_csv(make(shape, dtype, opt_split(s)), path("rt.csv"))
          for _, ls in ipairs { false, 0, 1 } do
            local y = ht.load_csv(path("rt.csv"), { dtype = dtype, split = ls })
            T.assert_split(y, opt_split(ls))
            T.assert_equal(y, grid(shape, values[dtype]))
          end
        end
      end
    end
    -- values that need 9 and 17 significant digits survive
    local x = ht.array({ { 0.1, 1 / 3, 1e-30 } }, { dtype = "float64" })
    ht.save_csv(x, path("prec.csv"))
    -- Python's repr: '0.1', '0.3333333333333333', '1e-30'
    assert.equal("0.1,0.3333333333333333,1e-30\n", read_bytes(path("prec.csv")))
    T.assert_equal(ht.load_csv(path("prec.csv"), { dtype = "float64" }), { { 0.1, 1 / 3, 1e-30 } })
  end)

  it("reads hand-made files: header, separators, CRLF, blank lines, no final newline", function()
    local f = write_bytes("hand.csv", "a;b;c\r\n# units\r\n1;2.5; 3\r\n\r\n-4 ;5e1;6;\r\n  \n7;8;9")
    local y = ht.load_csv(f, { sep = ";", header_lines = 2, dtype = "float64", split = 0 })
    T.assert_equal(y, { { 1, 2.5, 3 }, { -4, 50, 6 }, { 7, 8, 9 } })
    -- whitespace-separated, runs of blanks and tabs count once
    f = write_bytes("ws.txt", "1  2\t3\n 4 5 6 \n")
    T.assert_equal(ht.load_csv(f, { sep = " ", dtype = "int32" }), { { 1, 2, 3 }, { 4, 5, 6 } })
    -- tab-separated
    f = write_bytes("t.tsv", "1\t2\n3\t4\n")
    T.assert_equal(ht.load_csv(f, { sep = "\t", dtype = "int32", split = 1 }), { { 1, 2 }, { 3, 4 } })
    -- nan and inf as NumPy writes them
    f = write_bytes("nan.csv", "nan,inf,-inf\n")
    T.assert_equal(ht.load_csv(f), { { 0 / 0, math.huge, -math.huge } })
  end)

  it("splits long files at line starts only", function()
    -- rows of very different widths so byte ranges fall inside lines; row i is
    -- "i,<blanks>-i.5", i.e. (i, -(i + 0.5)), and "0.5" for i = 0 ("%d" of -0 is "0")
    local lines, want = {}, {}
    for i = 0, 299 do
      lines[#lines + 1] = string.format("%d,%s%d.5", i, string.rep(" ", (i * 37) % 50), -i)
      want[#want + 1] = { i, i == 0 and 0.5 or -i - 0.5 }
    end
    local f = write_bytes("long.csv", table.concat(lines, "\n") .. "\n")
    local y = ht.load_csv(f, { dtype = "float64", split = 0 })
    T.assert_equal(y, want)
    assert.is_true(y.balanced)
  end)

  it("handles files with fewer rows than ranks and empty files", function()
    local f = write_bytes("two.csv", "1,2\n3,4\n")
    T.assert_equal(ht.load_csv(f, { dtype = "int32" }), { { 1, 2 }, { 3, 4 } })
    f = write_bytes("empty.csv", "")
    T.assert_shape(ht.load_csv(f), { 0, 0 })
    f = write_bytes("header_only.csv", "x,y\n")
    T.assert_shape(ht.load_csv(f, { header_lines = 1 }), { 0, 0 })
  end)

  it("reports the malformed line by its number in the file", function()
    local f = write_bytes("bad.csv", "h1,h2\n1,2\n3,4\n5\n7,8\n")
    T.assert_error(function() ht.load_csv(f, { header_lines = 1 }) end,
      "ht.load_csv: line 4 of '" .. f .. "' has 1 fields, expected 2")
    f = write_bytes("bad2.csv", "1,2\n3,4\n5,6\n7,x8\n")
    T.assert_error(function() ht.load_csv(f) end, "ht.load_csv: line 4 of '" .. f .. "': cannot read 'x8' (field 2) as float32")
    f = write_bytes("bad3.csv", "1,2\n3,4,5\n")
    T.assert_error(function() ht.load_csv(f) end, "line 2 of '" .. f .. "' has more than 2 fields")
    f = write_bytes("bad4.csv", "1,,2\n")
    T.assert_error(function() ht.load_csv(f) end, "line 1 of '" .. f .. "': field 2 is empty")
    f = write_bytes("bad5.csv", "1\n300\n")
    T.assert_error(function() ht.load_csv(f, { dtype = "int8" }) end, "line 2 of '" .. f .. "': '300' (field 1) is out of range for int8")
    f = write_bytes("bad6.csv", "1.5\n")
    T.assert_error(function() ht.load_csv(f, { dtype = "int32" }) end, "cannot read '1.5' (field 1) as int32")
    T.assert_error(function() ht.load_csv(path("nothere.csv")) end, "ht.load_csv: cannot open")
    T.assert_error(function() ht.load_csv(f, { sep = ",," }) end, "sep must be one character")
  end)

  it("writes header, separator and fixed decimals; 1-d as a column", function()
    local x = ht.array({ { 1, 2.25 }, { -3.5, 4 } }, { split = 0 })
    ht.save_csv(x, path("fmt.csv"), { sep = ";", header = "a;b", decimals = 2 })
    assert.equal("a;b\n1.00;2.25\n-3.50;4.00\n", read_bytes(path("fmt.csv")))
    ht.save_csv(ht.array({ 5, 6, 7 }, { split = 0 }), path("col.csv"), { header_lines = { "# one", "# two" } })
    assert.equal("# one\n# two\n5\n6\n7\n", read_bytes(path("col.csv")))
    T.assert_error(function() ht.save_csv(x, path("fmt.csv"), { mode = "w-" }) end, "does not overwrite it")
    T.assert_error(function() ht.save_csv(ht.zeros({ 2, 2, 2 }), path("c3.csv")) end,
      "ht.save_csv: only 0-d, 1-d and 2-d arrays can be written as CSV, got shape (2, 2, 2)")
    assert.equal(0, leftovers())
  end)
end)

describe("load_npy / save_npy", function()
  it("round-trips every dtype at every split and shape", function()
    for _, dtype in ipairs { "float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool" } do
      for _, shape in ipairs(shapes) do
        for _, s in ipairs(splits(#shape)) do
          ht.save_npy(make(shape, dtype, opt_split(s)), path("rt.npy"))
          for _, ls in ipairs(splits(#shape)) do
            local y = ht.load_npy(path("rt.npy"), { split = opt_split(ls) })
            T.assert_dtype(y, dtype)
            T.assert_split(y, opt_split(ls))
            T.assert_equal(y, grid(shape, values[dtype]))
          end
        end
      end
    end
    ht.save_npy(ht.array(7, { dtype = "int16" }), path("s.npy"))
    T.assert_equal(ht.load_npy(path("s.npy")), 7)
  end)

  it("writes NumPy's header byte for byte", function()
    ht.save_npy(make({ 2, 3 }, "float32", 0), path("h.npy"))
    local b = read_bytes(path("h.npy"))
    -- np.save of a (2, 3) float32 array: this 128-byte header, then 24 bytes of data
    local dict = "\147NUMPY\1\0v\0{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    assert.equal(128 + 24, #b)
    assert.equal(dict .. string.rep(" ", 128 - #dict - 1) .. "\n", b:sub(1, 128))
    ht.save_npy(make({ 5 }, "bool", 0), path("b.npy"))
    assert.truthy(read_bytes(path("b.npy")):find("{'descr': '|b1', 'fortran_order': False, 'shape': (5,), }", 1, true))
  end)

  -- the header NumPy writes for descr and shape (format 1.0, padded to 64 bytes)
  local function npy(descr, shape, data, major)
    local dict = string.format("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
    local pre = major == 2 and 12 or 10
    local total = math.ceil((pre + #dict + 1) / 64) * 64
    local hlen = total - pre
    local len = major == 2 and string.char(hlen % 256, math.floor(hlen / 256), 0, 0)
      or string.char(hlen % 256, math.floor(hlen / 256))
    return "\147NUMPY" .. string.char(major or 1, 0) .. len .. dict .. string.rep(" ", total - pre - #dict - 1) .. "\n" .. data
  end

  it("reads hand-made files: little and big endian, format 2.0", function()
    -- int32 little-endian 1, -2, 3, 256 -> bytes
    local f = write_bytes("i4.npy", npy("<i4", "(2, 2)", "\1\0\0\0\254\255\255\255\3\0\0\0\0\1\0\0"))
    T.assert_equal(ht.load_npy(f, { split = 0 }), { { 1, -2 }, { 3, 256 } })
    T.assert_dtype(ht.load_npy(f), "int32")
    -- float64 big-endian 1.0 and -2.5: 3FF0000000000000, C004000000000000
    f = write_bytes("f8be.npy", npy(">f8", "(2,)", "\63\240\0\0\0\0\0\0\192\4\0\0\0\0\0\0"))
    T.assert_equal(ht.load_npy(f, { split = 0 }), { 1, -2.5 })
    f = write_bytes("v2.npy", npy("|u1", "(3,)", "\1\2\255", 2))
    T.assert_equal(ht.load_npy(f, { split = 0, dtype = "float32" }), { 1, 2, 255 })
    f = write_bytes("i2.npy", npy("<i2", "()", "\255\127"))
    T.assert_equal(ht.load_npy(f), 32767)
  end)

  it("refuses what it cannot read, on every rank", function()
    local f = write_bytes("c8.npy", npy("<c8", "(1,)", "\0\0\0\0\0\0\0\0"))
    T.assert_error(function() ht.load_npy(f) end, "holds dtype '<c8', which heatlua does not support")
    f = write_bytes("fo.npy", (npy("<f4", "(1,)", "\0\0\0\0"):gsub("False", "True ")))
    T.assert_error(function() ht.load_npy(f) end, "is stored in Fortran order")
    f = write_bytes("short.npy", npy("<f8", "(4,)", "\0\0\0\0\0\0\0\0"))
    T.assert_error(function() ht.load_npy(f) end, "is truncated: shape (4,) of float64 needs 32 bytes of data, the file has 8")
    f = write_bytes("junk.npy", "not a numpy file at all")
    T.assert_error(function() ht.load_npy(f) end, "is not a .npy file")
    f = write_bytes("ok.npy", npy("<i8", "(2,)", string.rep("\0", 16)))
    T.assert_error(function() ht.load_npy(f, { split = 1 }) end, "ht.load_npy: split 1 is out of range for '" .. f .. "' of shape (2,)")
    T.assert_error(function() ht.load_npy(path("absent.npy")) end, "No such file or directory")
  end)
end)

describe("load / save by extension", function()
  it("dispatches on .h5, .csv, .npy and refuses the unknown", function()
    local x = make({ 4, 2 }, "float32", 0)
    ht.save(x, path("e.h5"), "d")
    ht.save(x, path("e.csv"))
    x:save(path("e.npy"))
    for _, f in ipairs { { path("e.h5"), "d" }, { path("e.csv") }, { path("e.npy") } } do
      local y = f[2] and ht.load(f[1], f[2], { split = 0 }) or ht.load(f[1], { split = 0 })
      T.assert_equal(y, grid({ 4, 2 }, values.float32))
    end
    T.assert_error(function() ht.load(path("e.xyz")) end, "ht.load: cannot tell the format of")
    T.assert_error(function() ht.load(path("e.h5")) end, "needs a dataset (or variable) name")
    T.assert_error(function() ht.save(x, path("e.h5")) end, "ht.save: '" .. path("e.h5") .. "' needs a dataset name")
    T.assert_error(function() ht.save(x, path("e.nc"), "v") end, "writing NetCDF is not supported")
  end)
end)

teardown(function()
  ht.barrier()
  if me == 0 then os.execute("rm -rf '" .. dir .. "'") end
end)
