-- Issue 12: files and index strings are untrusted input. Crafted .npy headers, CSV lines
-- and index expressions that once crashed, overflowed or loaded wrong data; each must give
-- a clear error or NumPy's data, the same at every rank count.
local ht = require "heat"
local T = require "heat.testing"

local p, me = ht.nprocs(), ht.rank()

local dir = T.scratch_dir("untrusted") -- a fresh folder every rank agrees on

-- rank 0 writes raw bytes, everybody waits for them
local function write_bytes(name, bytes)
  local file = dir .. "/" .. name
  if me == 0 then
    local f = assert(io.open(file, "wb"))
    f:write(bytes)
    f:close()
  end
  ht.barrier()
  return file
end

-- A version 1.0 .npy file: magic, header length, the dict padded to 64 bytes, then data.
local function npy(name, dict, data)
  local len = #dict + 1
  len = len + (64 - (10 + len) % 64) % 64
  local header = dict .. string.rep(" ", len - #dict - 1) .. "\n"
  return write_bytes(name, "\147NUMPY\1\0" .. string.char(len % 256, math.floor(len / 256))
                     .. header .. (data or ""))
end

local function i32(...) -- little-endian int32 bytes
  local out = {}
  for _, v in ipairs({...}) do
    v = v % 2 ^ 32
    out[#out + 1] = string.char(v % 256, math.floor(v / 256) % 256,
                                math.floor(v / 65536) % 256, math.floor(v / 16777216))
  end
  return table.concat(out)
end

local function dict(descr, shape, fortran)
  return string.format("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
                       fortran or "False", shape)
end

describe(".npy headers", function()
  it("shapes whose size overflows are 'array is too big', never a buffer overrun", function()
    -- NumPy 2.4: np.load of each gives ValueError (too big / negative dimensions)
    for i, shape in ipairs({"(4611686018427387904,)", "(3, 4611686018427387904)",
                            "(4294967296, 4294967296)", "(4611686018427387904, 4)"}) do
      local f = npy("big" .. i .. ".npy", dict("<f4", shape), i32(1, 2))
      for _, split in ipairs({false, 0}) do
        T.assert_error(function() ht.load_npy(f, split and {split = split} or nil) end,
                       "array is too big")
      end
    end
    T.assert_error(function() ht.load_npy(npy("e.npy", dict("<f4", "(99999999999999999999,)"))) end,
                   "shape entry past 2^63")
  end)

  it("a shape larger than the file is 'truncated', before anything is allocated", function()
    local f = npy("trunc.npy", dict("<f4", "(1099511627776,)"), i32(1, 2))
    T.assert_error(function() ht.load_npy(f, {split = 0}) end, "is truncated")
  end)

  it("parse like NumPy: True/False words, tuples, the three keys, last key wins", function()
    T.assert_error(function() ht.load_npy(npy("f.npy", dict("<i4", "(2,)", "Falsey"), i32(1, 2))) end,
                   "malformed header")
    T.assert_error(function() ht.load_npy(npy("t.npy", dict("<i4", "(2,)", "Truer"), i32(1, 2))) end,
                   "malformed header")
    -- np.load: ValueError: shape is not valid: 4
    T.assert_error(function() ht.load_npy(npy("s.npy", dict("<i4", "(4)"), i32(1, 2, 3, 4))) end,
                   "shape is not a tuple")
    T.assert_error(function() ht.load_npy(npy("n.npy", dict("<i4", "(-2,)"), i32(1, 2))) end,
                   "malformed header")
    -- np.load: Header does not contain the correct keys
    T.assert_error(function()
      ht.load_npy(npy("x.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'x': 1}", i32(1, 2)))
    end, "unexpected key 'x'")
    T.assert_error(function()
      ht.load_npy(npy("q.npy", "{'descr': '<i4\", 'fortran_order': False, 'shape': (2,), }", i32(1, 2)))
    end, "malformed header")
    T.assert_error(function() ht.load_npy(npy("z.npy", dict("<i4", "(2,)") .. "\0", i32(1, 2))) end,
                   "malformed header")
    -- np.load of {'descr': '<i4', ..., 'descr': '<f4'}: float32, the last descr wins
    local dup = npy("dup.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'descr': '<f4'}",
                    i32(1065353216, 1073741824)) -- bits of 1.0f and 2.0f
    local x = ht.load_npy(dup, {split = 0})
    T.assert_dtype(x, "float32")
    T.assert_equal(x, {1, 2})
    -- (1, 2) without a trailing comma is a tuple: np.load gives [[1, 2]]
    T.assert_equal(ht.load_npy(npy("nc.npy", dict("<i4", "(1, 2)"):gsub(", }", "}"), i32(1, 2))),
                   {{1, 2}})
  end)
end)

describe("index strings", function()
  it("a huge slice step reads one element, never out of bounds", function()
    for _, split in ipairs({false, 0}) do
      local x = ht.arange(10, split and {split = 0} or nil)
      -- x = np.arange(10): x[3::2**63-1] is [3], x[::2**63-1].sum() is 0
      T.assert_equal(x["3::9223372036854775807"], {3})
      assert.are.equal(0, x["::9223372036854775807"]:sum():item())
      T.assert_equal(x["::-9223372036854775807"], {9}) -- x[::-(2**63-1)]
      T.assert_equal(x["-1::-9223372036854775808"], {9}) -- x[-1::-2**63]
      T.assert_equal(x["7:2:-9223372036854775807"], {7})
      T.assert_equal(x["1:9:4611686018427387904"], {1})
      local y = ht.ones({6, 2}, {split = 0})
      assert.are.equal(2, y["::9223372036854775807"]:sum():item()) -- np.ones((6, 2))[::2**63-1].sum()
    end
  end)

  it("an embedded NUL is an error, not the end of the string", function()
    local x = ht.arange(5, {split = 0})
    T.assert_error(function() return x["1\0zzz"] end, "must not contain a NUL byte")
    T.assert_error(function() x["1\0"] = 3 end, "must not contain a NUL byte")
    T.assert_equal(x["1"], 1)
  end)

  it("a NaN index says nan", function()
    local x = ht.arange(5, {split = 0})
    T.assert_error(function() return x[0 / 0] end, "index nan for axis 0")
    T.assert_error(function() return x[-(0 / 0)] end, "index nan for axis 0")
    local ok, msg = pcall(function() return x[-(0 / 0)] end)
    assert.is_false(ok)
    assert.is_nil(tostring(msg):find("-nan", 1, true))
  end)
end)

describe("CSV", function()
  it("a line of only \\f or \\v is a blank line at every rank count", function()
    -- np.loadtxt(io.StringIO("\f\n5\n")) (whitespace-separated): [5.]
    for i, text in ipairs({"\f\n5\n", "\v\n5\n", "1\n\f\n5\n", " \f \n5\n"}) do
      local f = write_bytes("ff" .. i .. ".csv", text)
      local want = i == 3 and {{1}, {5}} or {{5}}
      for _, split in ipairs({false, 0}) do
        local x = ht.load_csv(f, {sep = ",", split = split or nil, dtype = "float64"})
        T.assert_equal(x, want)
      end
    end
    -- np.loadtxt(io.StringIO("1,\f2\n3,4\n"), delimiter=","): [[1, 2], [3, 4]]
    local f = write_bytes("ff.csv", "1,\f2\n3,\v4\n")
    T.assert_equal(ht.load_csv(f, {sep = ",", split = 0}), {{1, 2}, {3, 4}})
    -- a field of only \f is empty, not the next line's value
    T.assert_error(function() ht.load_csv(write_bytes("fe.csv", "1,\f\n3,4\n"), {sep = ","}) end,
                   "load_csv")
  end)

  it("one trailing separator and whitespace-only lines are tolerated (docs/io.md)", function()
    -- NumPy's loadtxt raises on both; heatlua's data is NumPy's for the same file without
    -- them: np.loadtxt(io.StringIO("1,2\n3,4\n5,6\n"), delimiter=",")
    local f = write_bytes("trail.csv", "1,2,\n \t\n3,4,\n\n5,6\n")
    for _, split in ipairs({false, 0}) do
      T.assert_equal(ht.load_csv(f, {split = split or nil, dtype = "float64"}),
                     {{1, 2}, {3, 4}, {5, 6}})
    end
    -- two trailing separators are an empty field, as in NumPy
    T.assert_error(function() ht.load_csv(write_bytes("trail2.csv", "1,2,,\n3,4,,\n")) end,
                   "field 3 is empty")
  end)

  it("save_csv with ranks that hold no rows (memcpy from NULL)", function()
    local x = ht.arange(2, {split = 0, dtype = "float32"})
    local f = dir .. "/two.csv"
    ht.save_csv(x, f)
    T.assert_equal(ht.load_csv(f, {split = 0}), {{0}, {1}})
  end)
end)

describe("atomic saves", function()
  it("remove the stale temporaries of a killed save of the same target", function()
    local target = dir .. "/t.npy"
    local stale = dir .. "/.t.npy.tmp2147483646.1"   -- no such process
    local other = dir .. "/.u.npy.tmp2147483646.1"   -- another target: kept
    local fresh = dir .. "/.t.npy.tmp2147483645.2"   -- young: may be a save elsewhere
    if me == 0 then
      for _, f in ipairs({stale, other, fresh}) do assert(io.open(f, "wb")):close() end
      os.execute("touch -d '2020-01-01' '" .. stale .. "' '" .. other .. "'")
    end
    ht.barrier()
    ht.save_npy(ht.arange(4, {split = 0}), target)
    ht.barrier()
    assert.is_nil(io.open(stale, "rb"))
    local o, fr = io.open(other, "rb"), io.open(fresh, "rb")
    assert.is_not_nil(o)
    assert.is_not_nil(fr)
    o:close()
    fr:close()
    T.assert_equal(ht.load_npy(target), {0, 1, 2, 3})
    ht.barrier()
  end)
end)
