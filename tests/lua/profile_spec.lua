-- ht.profile: call counts, times, MPI bytes and peak memory gathered over ranks, and
-- that stop() puts the original functions back (no cost when off).
local ht = require "heat"
local T = require "heat.testing"
local core = require "heat.core"
local P = require "heat.profile"

local function op(res, name)
  for _, o in ipairs(res.ops) do
    if o.name == name then return o end
  end
end

describe("ht.profile", function()
  before_each(function()
    P.stop()
    P.reset()
  end)

  it("counts functions, methods and operators under one name", function()
    local x = ht.arange(10, { split = 0, dtype = "float32" })
    P.start(ht)
    local y = x + x           -- operator
    y = ht.add(y, 1)          -- function
    y = y:add(x)              -- method
    local s = y:sum(0)
    s = x:sum()
    local n = -x              -- __unm counts as neg
    P.stop()
    local res = P.report { print = false }
    -- 3 adds (+, ht.add, :add), 2 sums, 1 neg: the calls written above
    assert.are.equal(3, op(res, "add").calls)
    assert.are.equal(2, op(res, "sum").calls)
    assert.are.equal(1, op(res, "neg").calls)
    for _, o in ipairs(res.ops) do
      assert.is_true(o.time_max >= o.time_mean and o.time_mean >= 0)
    end
    assert.are.equal(ht.nprocs(), res.nprocs)
    assert.is_true(res.wall >= op(res, "add").time_max)
    T.assert_equal(s, 45) -- sum of 0..9
    T.assert_equal(n:sum(), -45) -- -(0 + 1 + ... + 9)
  end)

  it("counts nothing once stopped and restores the original functions", function()
    local add_fn, sum_m, add_op = ht.add, core._methods.sum, core._metatable.__add
    local rand = ht.random.rand
    P.start(ht)
    assert.are_not.equal(add_fn, ht.add)
    assert.are_not.equal(sum_m, core._methods.sum)
    assert.are_not.equal(add_op, core._metatable.__add)
    assert.are_not.equal(rand, ht.random.rand)
    P.stop()
    assert.are.equal(add_fn, ht.add)
    assert.are.equal(sum_m, core._methods.sum)
    assert.are.equal(add_op, core._metatable.__add)
    assert.are.equal(rand, ht.random.rand)
    local x = ht.ones({ 4 }, { split = 0 })
    local _ = x + x
    assert.is_nil(op(P.report { print = false }, "add"))
  end)

  it("reset drops the counts, start resumes", function()
    local x = ht.ones({ 5, 3 }, { split = 0 })
    P.start(ht)
    local _ = x * 2
    P.reset()
    _ = x * 3
    _ = x * 4
    P.stop()
    P.start(ht) -- resumes: counts add up
    _ = x * 5
    P.stop()
    assert.are.equal(3, op(P.report { print = false }, "mul").calls) -- x*3, x*4, x*5
  end)

  it("sums MPI bytes over ranks as the comm layer counts them", function()
    local x = ht.random.rand(7, 5, { split = 0 }) -- 7 rows: with 4 ranks one holds 1
    local before = core._bytes_sent()
    P.start(ht)
    local y = x:resplit(1)
    P.stop()
    local mine = core._bytes_sent() - before
    local total = 0
    for _, row in ipairs(P.allgather { mine }) do total = total + row[1] end
    local res = P.report { print = false }
    assert.are.equal(total, op(res, "resplit").bytes_sent)
    if ht.nprocs() > 1 then
      assert.is_true(total > 0)
    else
      assert.are.equal(0, total)
    end
    T.assert_split(y, 1)
  end)

  it("passes errors through with their message", function()
    P.start(ht)
    T.assert_error(function() return ht.add(ht.zeros({ 3 }), ht.zeros({ 4 })) end,
      "cannot be broadcast")
    local _ = ht.ones({ 2 }) + 1 -- recording goes on after the error
    P.stop()
    -- the failed call counts as a call too: 2
    assert.are.equal(2, op(P.report { print = false }, "add").calls)
  end)

  it("reports each rank's peak memory and a table", function()
    P.start(ht)
    local _ = ht.zeros({ 2, 2 }, { split = 0 }) + 1
    P.stop()
    local res = P.report { print = false }
    assert.are.equal(ht.nprocs(), #res.peak_rss_mib)
    for _, v in ipairs(res.peak_rss_mib) do assert.is_true(v > 1) end
    -- this rank's peak cannot be below what it holds now
    assert.is_true(res.peak_rss_mib[ht.rank() + 1] >= P.rss() - 1)
    assert.truthy(res.text:find("operation", 1, true))
    assert.truthy(res.text:find("zeros", 1, true))
    assert.truthy(res.text:find("peak RSS per rank", 1, true))
  end)

  it("says so when ranks ran different operations", function()
    P.start(ht)
    if ht.rank() == 0 then local _ = ht.zeros({ 2 }) end -- replicated: local, no collective
    P.stop()
    local res = P.report { print = false }
    if ht.nprocs() > 1 then
      assert.truthy(res.note and res.note:find("different operations", 1, true))
    else
      assert.is_nil(res.note)
      assert.are.equal(1, op(res, "zeros").calls)
    end
  end)
end)

describe("profile helpers", function()
  it("allgather returns every rank's list in rank order", function()
    local all = P.allgather { ht.rank(), 2 * ht.rank() + 0.5 }
    assert.are.equal(ht.nprocs(), #all)
    for r = 1, ht.nprocs() do assert.are.same({ r - 1, 2 * (r - 1) + 0.5 }, all[r]) end
    assert.are.equal(ht.nprocs(), #P.allgather {})
  end)

  it("reset_peak_rss lets a peak be measured again", function()
    if not P.reset_peak_rss() then return end -- no /proc/self/clear_refs here
    local x = ht.ones({ 16 * 2 ^ 20 }) -- 64 MiB of float32 on every rank, written
    local high = P.peak_rss()
    x = nil
    collectgarbage()
    collectgarbage()
    assert.is_true(P.reset_peak_rss())
    assert.is_true(high - P.peak_rss() > 32) -- the 64 MiB left; peak restarted below
  end)

  it("clock is monotonic and in seconds", function()
    local t0 = P.clock()
    local t1 = P.clock()
    assert.is_true(t1 >= t0 and t1 - t0 < 1)
  end)
end)
