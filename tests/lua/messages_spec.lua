-- Issue 13: the messages people read. Lua traps of NumPy users (elementwise `<`), a missing
-- dataset name, a truncated HDF5 file, and the script's file:line on indexing errors, raised
-- together on every rank (2 rows on 3-4 ranks included).
local ht = require "heat"
local T = require "heat.testing"

local p, me = ht.nprocs(), ht.rank()

local dir = T.scratch_dir("messages_spec") -- a fresh folder every rank agrees on

describe("comparison operators", function()
  it("x < y and x <= y on arrays say to use x:lt / x:le", function()
    local x, y = ht.zeros({2}, {split = 0}), ht.ones({2}, {split = 0})
    T.assert_error(function() return x < y end, "use x:lt(y), x:le(y)")
    T.assert_error(function() return x <= y end, "use x:lt(y), x:le(y)")
    -- the methods compare elementwise: [0, 0] < [1, 1] is [true, true]
    assert.are.same({true, true}, x:lt(y):totable())
  end)
end)

describe("save_hdf5", function()
  it("without a dataset name says the name is missing", function()
    local x = ht.zeros({2}, {split = 0})
    T.assert_error(function() ht.save_hdf5(x, dir .. "/a.h5") end,
                   "ht.save_hdf5: the dataset name is missing")
    T.assert_error(function() ht.save_hdf5(x, dir .. "/a.h5", {mode = "w"}) end,
                   "got table as argument 3")
  end)
end)

describe("load_hdf5", function()
  it("a truncated file looks truncated, a text file is not HDF5", function()
    local full, cut = dir .. "/full.h5", dir .. "/cut.h5"
    ht.save_hdf5(ht.arange(1000, {dtype = ht.float64, split = 0}), full, "x")
    if me == 0 then -- the first 3000 of about 10000 bytes: the signature, not the rest
      local f = assert(io.open(full, "rb"))
      local bytes = f:read(3000)
      f:close()
      f = assert(io.open(cut, "wb"))
      f:write(bytes)
      f:close()
      f = assert(io.open(dir .. "/text.h5", "wb"))
      f:write("a,b\n1,2\n")
      f:close()
    end
    ht.barrier()
    T.assert_error(function() ht.load_hdf5(cut, "x") end, "(3000 bytes)")
    T.assert_error(function() ht.load_hdf5(cut, "x") end, "looks truncated or damaged")
    T.assert_error(function() ht.load_hdf5(dir .. "/text.h5", "x") end, "is not an HDF5 file")
    -- the intact file still loads: arange(1000).sum() = 499500
    assert.are.equal(499500, ht.load_hdf5(full, "x", {split = 0}):sum():item())
  end)
end)

describe("indexing errors", function()
  it("carry the caller's file:line like the other operators", function()
    local x = ht.zeros({2, 3}, {split = 0})
    local line = debug.getinfo(1, "l").currentline
    T.assert_error(function() return x[7] end, "messages_spec.lua:" .. (line + 1) .. ": ht.getitem: index 7")
    T.assert_error(function() x[{0, 9}] = 1 end, "messages_spec.lua:" .. (line + 2) .. ": ht.setitem: index 9")
    -- a collective after the errors works on every rank
    assert.are.equal(6, ht.ones({2, 3}, {split = 0}):sum():item())
  end)
end)

teardown(function()
  ht.barrier()
  if me == 0 then os.execute("rm -rf '" .. dir .. "'") end
end)
