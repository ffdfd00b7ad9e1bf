-- Issue 13: the collective-mismatch detector. With checking on, ranks that reach
-- different collectives (or the same one with arrays of different shapes) raise one error
-- on every rank naming each side's operation and file:line, instead of hanging or summing
-- wrong numbers; pcall catches it everywhere and the next collective works.
-- (The watchdog, which ends the job, is tested in tests/cli/test_check.sh.)
local ht = require "heat"
local core = require "heat.core"

local p, me = ht.nprocs(), ht.rank()

local function here() return debug.getinfo(2, "l").currentline end

describe("collective checking", function()
  setup(function() core._set_checking(true) end)
  teardown(function() core._set_checking(false) end)

  it("is on at more than one rank only (one rank has nothing to check)", function()
    local on, limit = core._checking()
    assert.are.equal(p > 1, on)
    if on then assert.is_true(limit >= 0) end
    local ok, err = pcall(core._set_checking, "yes")
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("boolean expected", 1, true), err)
  end)

  it("names both sides of max on rank 0 against sum elsewhere, under pcall", function()
    local x = ht.arange(10, {split = 0, dtype = "float64"})
    local lmax, lsum
    local ok, err = pcall(function()
      local r
      if me == 0 then lmax = here(); r = x:max() else lsum = here(); r = x:sum() end
      return r:item()
    end)
    if p == 1 then -- nothing to check: the value is max(0..9)
      assert.is_true(ok)
      assert.are.equal(9, err)
    else
      assert.is_false(ok, "the mismatch was not raised on rank " .. me)
      err = tostring(err)
      assert.is_truthy(err:find("collective mismatch: rank 0 called ", 1, true), err)
      -- every rank names both call sites: rank 0's line and the others' line
      local line = lmax or lsum -- both branches sit on that one line
      assert.is_truthy(err:find("in max%(float64 %(10,%) split 0%) at [^;]*check_spec.lua:" .. line), err)
      assert.is_truthy(err:find("called [^;]*in sum%(float64 %(10,%) split 0%) at [^;]*check_spec.lua:" .. line), err)
      assert.is_truthy(err:find(p == 2 and "rank 1 called" or "ranks 1,", 1, true), err)
    end
    -- the session goes on: sum(0..9) = 45 on every rank
    assert.are.equal(45, x:sum():item())
  end)

  it("catches ranks that built shapes of 100 and 101 before they sum", function()
    local n = me == 0 and 100 or 101
    local y = ht.ones({n}, {split = 0})
    local ok, err = pcall(function() local s = y:sum(); return s:item() end)
    if p == 1 then
      assert.is_true(ok)
      assert.are.equal(100, err)
    else
      assert.is_false(ok)
      err = tostring(err)
      assert.is_truthy(err:find("collective mismatch", 1, true), err)
      assert.is_truthy(err:find("float32 (100,) split 0", 1, true), err)
      assert.is_truthy(err:find("float32 (101,) split 0", 1, true), err)
    end
    assert.are.equal(6, ht.ones({6}, {split = 0}):sum():item())
  end)

  it("works with ranks that own no rows and with unbalanced counts", function()
    -- 2 rows on 3-4 ranks: the last ranks own none and still take part in every check
    local z = ht.arange(2, {split = 0, dtype = "float64"})
    assert.are.equal(1, z:sum():item())
    local u = ht.arange(12, {split = 0, dtype = "float64"})[{{5, 12}}] -- unbalanced after slicing
    assert.are.equal(5 + 6 + 7 + 8 + 9 + 10 + 11, u:sum():item())
    assert.are.same({5, 6, 7, 8, 9, 10, 11}, u:resplit(nil):totable())
    if p > 1 then
      local last = p - 1
      local ok, err = pcall(function()
        local r
        if me == last then r = z:min() else r = z:sum() end
        return r
      end)
      assert.is_false(ok)
      err = tostring(err)
      assert.is_truthy(err:find("rank " .. last .. " called [^;]* in min%("), err)
    end
  end)

  it("checks the ring of cdist and the exchange of resplit without false alarms", function()
    local a = ht.arange(14, {split = 0, dtype = "float64"}):reshape({7, 2})
    -- squared distances of rows (2i, 2i+1): 8*(i-j)^2; row 0 against row 6 is 8*36
    local d = ht.spatial.cdist(a, a)
    assert.are.equal(math.sqrt(8 * 36), d[{0, 6}]:item())
    assert.are.same({7, 2}, a:resplit(1).shape)
  end)
end)
