-- The commit of save_hdf5, save_npy and save_csv (runtime/io/file.c): the option sync = true, replacing a file by
-- exchanging names (the old file unlinked on a thread of its own when it is large), and
-- that no temporary or replaced file is left in the folder, at every rank count: 2-row
-- arrays leave ranks 2 and 3 without rows. Values are exact arange values.
local ht = require "heat"
local T = require "heat.testing"

local me = ht.rank()
local dir = T.scratch_dir("io_save") -- a fresh folder every rank agrees on
local function path(name) return dir .. "/" .. name end

-- names in dir that start with '.': temporaries of a save or replaced files not yet
-- unlinked. The barriers keep a rank that runs ahead from starting the next save.
local function hidden()
  ht.barrier()
  local h = io.popen("ls -A '" .. dir .. "'")
  local names = {}
  for name in h:lines() do
    if name:sub(1, 1) == "." then names[#names + 1] = name end
  end
  h:close()
  ht.barrier()
  return names
end

local function arange(n, split) return ht.arange(n, { dtype = ht.int32, split = split }) end

-- np.arange(n) as a table
local function range(n, from)
  local t = {}
  for i = 1, n do t[i] = (from or 0) + i - 1 end
  return t
end

describe("save_hdf5 sync", function()
  it("accepts sync = true in every mode and writes the whole file", function()
    local f = path("sync.h5")
    ht.save_hdf5(arange(2, 0), f, "a", { sync = true }) -- 2 rows: ranks 2, 3 hold none
    ht.save_hdf5(arange(5, 0), f, "b", { sync = true, mode = "a" })
    ht.save_hdf5(arange(3), f, "c", { sync = true, mode = "r+" })
    T.assert_equal(ht.load_hdf5(f, "a", { dtype = ht.int32, split = 0 }), range(2))
    T.assert_equal(ht.load_hdf5(f, "b", { dtype = ht.int32, split = 0 }), range(5))
    T.assert_equal(ht.load_hdf5(f, "c", { dtype = ht.int32 }), range(3))
    ht.save_hdf5(arange(4, 0), path("new.h5"), "x", { sync = true, mode = "w-" })
    T.assert_equal(ht.load_hdf5(path("new.h5"), "x", { dtype = ht.int32 }), range(4))
    ht.save_hdf5(arange(6, 0), path("inplace.h5"), "x", { sync = true, atomic = false })
    T.assert_equal(ht.load_hdf5(path("inplace.h5"), "x", { dtype = ht.int32, split = 0 }), range(6))
    ht.save_hdf5(arange(7, 0), f, "x", { sync = false }) -- "w" replaces the file
    assert.equal(1, #ht.io.hdf5_info(f).datasets)
    T.assert_equal(ht.load_hdf5(f, "x", { dtype = ht.int32, split = 0 }), range(7))
    assert.same({}, hidden())
  end)

  it("rejects unknown options, naming sync among the known ones", function()
    T.assert_error(function() ht.save_hdf5(arange(3, 0), path("bad.h5"), "x", { synch = true }) end,
      "ht.save_hdf5: unknown option 'synch' (options: mode, compression, compression_opts, " ..
      "shuffle, chunks, atomic, sync, attrs)")
    T.assert_error(function() ht.save_hdf5({ x = arange(3, 0) }, path("bad.h5"), { fsync = true }) end,
      "unknown option 'fsync'")
    assert.is_nil(io.open(path("bad.h5"), "rb")) -- nothing was created
    assert.same({}, hidden())
  end)

  it("keeps the old file whole when a save with sync fails", function()
    local f = path("keep.h5")
    ht.save_hdf5(arange(4, 0), f, "x")
    T.assert_error(function() ht.save_hdf5(arange(3, 0), f, "x", { sync = true, mode = "a" }) end,
      "already holds 'x'")
    T.assert_error(function() ht.save_hdf5(arange(3, 0), f, "y", { sync = true, mode = "w-" }) end,
      "does not overwrite it")
    T.assert_equal(ht.load_hdf5(f, "x", { dtype = ht.int32, split = 0 }), range(4))
    assert.equal(1, #ht.io.hdf5_info(f).datasets)
    assert.same({}, hidden())
  end)
end)

describe("save_npy and save_csv sync", function()
  it("accept sync = true and write the whole file", function()
    -- 2 rows: ranks 2, 3 hold none; rows 3..6 of 7: unbalanced, rank 0 holds none at 2-4 ranks
    local tail = ht.arange(14, { dtype = ht.float64, split = 0 }):reshape({ 7, 2 })[{ { 3, 7 } }]
    ht.save_npy(arange(2, 0), path("s.npy"), { sync = true })
    T.assert_equal(ht.load_npy(path("s.npy"), { split = 0 }), range(2))
    ht.save_npy(tail, path("t.npy"), { sync = true, mode = "w-" })
    -- np.arange(14.).reshape(7, 2)[3:7]
    local want = { { 6, 7 }, { 8, 9 }, { 10, 11 }, { 12, 13 } }
    T.assert_equal(ht.load_npy(path("t.npy"), { split = 0 }), want)
    ht.save_csv(tail, path("t.csv"), { sync = true, header = "a,b" })
    T.assert_equal(ht.load_csv(path("t.csv"), { header_lines = 1, dtype = ht.float64 }), want)
    ht.save_csv(arange(2, 0), path("s.csv"), { sync = true, mode = "w-" })
    T.assert_equal(ht.load_csv(path("s.csv"), { dtype = ht.int32 }):reshape({ 2 }), range(2))
    -- by extension and as methods, with sync = false replacing the file
    ht.save(arange(5, 0), path("s.npy"), { sync = true })
    T.assert_equal(ht.load(path("s.npy"), { split = 0 }), range(5))
    arange(3, 0):save_csv(path("s.csv"), { sync = false })
    T.assert_equal(ht.load_csv(path("s.csv"), { dtype = ht.int32 }):reshape({ 3 }), range(3))
    arange(4):save_npy(path("s.npy"), { sync = true })
    T.assert_equal(ht.load_npy(path("s.npy")), range(4))
    assert.same({}, hidden())
  end)

  it("reject unknown options, naming sync among the known ones", function()
    T.assert_error(function() ht.save_npy(arange(3, 0), path("bad.npy"), { synch = true }) end,
      "ht.save_npy: unknown option 'synch' (options: mode, sync)")
    T.assert_error(function() ht.save_csv(arange(3, 0), path("bad.csv"), { fsync = true }) end,
      "ht.save_csv: unknown option 'fsync' (options: sep, header, header_lines, decimals, " ..
      "mode, sync)")
    assert.is_nil(io.open(path("bad.npy"), "rb"))
    assert.is_nil(io.open(path("bad.csv"), "rb"))
  end)

  it("keeps the old file whole when a save with sync fails", function()
    ht.save_npy(arange(4, 0), path("keep.npy"))
    T.assert_error(function() ht.save_npy(arange(3, 0), path("keep.npy"), { sync = true, mode = "w-" }) end,
      "does not overwrite it")
    T.assert_equal(ht.load_npy(path("keep.npy"), { split = 0 }), range(4))
    assert.same({}, hidden())
  end)
end)

describe("save_hdf5 replacing a file", function()
  it("replaces a large file and leaves no replaced file behind", function()
    -- 3 Mi int32 = 12 MiB: above the size whose unlink runs on a thread of its own
    local n, f = 3 * 2 ^ 20, path("big.h5")
    for round = 1, 3 do
      ht.save_hdf5(ht.arange(n, { dtype = ht.int32, split = 0 }) + round, f, "x")
    end
    local y = ht.load_hdf5(f, "x", { dtype = ht.int32, split = 0 })
    assert.equal(n, y.gshape[1])
    -- exact: arange(n) + 3 summed, n (n - 1) / 2 + 3 n, in int64
    assert.equal(n * (n - 1) / 2 + 3 * n, y:astype(ht.int64):sum():item())
    T.assert_equal(y[{ { 0, 3 } }], { 3, 4, 5 })
    -- the next commit waits for the pending unlink: then nothing hidden remains
    ht.save_hdf5(arange(2, 0), path("small.h5"), "x")
    assert.same({}, hidden())
  end)

  it("leaves other links to the old file holding the old data", function()
    local f, other = path("linked.h5"), path("other.h5")
    ht.save_hdf5(arange(5, 0), f, "x")
    if me == 0 then assert(os.execute(string.format("ln '%s' '%s'", f, other))) end
    ht.barrier()
    ht.save_hdf5(arange(3, 0) + 10, f, "x")
    T.assert_equal(ht.load_hdf5(f, "x", { dtype = ht.int32, split = 0 }), range(3, 10))
    T.assert_equal(ht.load_hdf5(other, "x", { dtype = ht.int32, split = 0 }), range(5))
    assert.same({}, hidden())
  end)

  it("replaces a symbolic link by the file, as rename does", function()
    local target, link = path("target.h5"), path("link.h5")
    ht.save_hdf5(arange(2, 0), target, "x")
    if me == 0 then assert(os.execute(string.format("ln -s '%s' '%s'", target, link))) end
    ht.barrier()
    ht.save_hdf5(arange(4, 0), link, "x")
    T.assert_equal(ht.load_hdf5(link, "x", { dtype = ht.int32, split = 0 }), range(4))
    T.assert_equal(ht.load_hdf5(target, "x", { dtype = ht.int32, split = 0 }), range(2))
    local h = io.popen("test -L '" .. link .. "' && echo link || echo file")
    assert.equal("file", h:read("*l"))
    h:close()
    assert.same({}, hidden())
  end)

  it("refuses to replace a folder and leaves it as it was", function()
    local d = path("folder.h5")
    if me == 0 then assert(os.execute("mkdir '" .. d .. "' && touch '" .. d .. "/inside'")) end
    ht.barrier()
    T.assert_error(function() ht.save_hdf5(arange(3, 0), d, "x") end, "is a directory")
    local h = io.popen("ls '" .. d .. "'")
    assert.equal("inside", h:read("*l"))
    h:close()
    assert.same({}, hidden())
  end)
end)
