-- A correctness review of fused elementwise expressions (bindings/lua/fuse.c): adversarial
-- writes, reads, errors and rank-divergent timing around pending and detached arrays. Each
-- case runs twice in the same test, with fusion on and off (core._fuse{enabled = false},
-- what HEATLUA_NO_FUSE=1 does), and must give the same bits or the same error message;
-- each also asserts that the fused run really deferred or detached what it means to test.
local ht = require "heat"
local core = require "heat.core"
local T = require "heat.testing"

local P, R = ht.nprocs(), ht.rank()
local MIN = core._fuse().min_bytes

local bits = T.bits -- every element's bits, NaN and -0.0 included, as one string

-- f() with fusion on, then off: "ok <bits>" or "error <message>" for each
local function both(f)
  local function one()
    local ok, r = pcall(f)
    return ok and ("ok " .. bits(r)) or ("error " .. tostring(r))
  end
  local fused = one()
  core._fuse { enabled = false }
  local eager = one()
  core._fuse { enabled = true }
  return fused, eager
end

local function same(name, f)
  local a, b = both(f)
  assert(a == b, string.format("%s: fused %s | eager %s", name, a:sub(1, 200), b:sub(1, 200)))
  return a
end

-- state checks that hold only while fusion is on (the eager run skips them)
local function state(t, want)
  if core._fuse().enabled then assert.are.equal(want, core._fuse(t)) end
end

-- computed (not pending) float arrays
local function vec(n, dtype, split)
  return (ht.arange(n, { dtype = dtype or ht.float64, split = split == nil and 0 or split }) / 7 + 0.25):copy()
end
local function mat(r, c, dtype)
  return (ht.arange(r * c, { dtype = dtype or ht.float64 }):reshape({ r, c }):resplit(0) / 7 + 1):copy()
end

describe("fused expressions under review", function()
  before_each(function() core._fuse { enabled = true, min_bytes = 0 } end)
  after_each(function() core._fuse { enabled = true, min_bytes = MIN } end)

  it("computes a detached array before its operand is written by any route", function()
    local routes = {
      -- in-place estimators: X:sub_(mean_), X:div_(scale_) inside transform
      scaler = function(x) local s = ht.preprocessing.StandardScaler { copy = false }; s:fit(x); s:transform(x) end,
      minmax = function(x) local s = ht.preprocessing.MinMaxScaler { copy = false }; s:fit(x); s:transform(x) end,
      -- views sharing x's buffer: a reshape, the transpose of a row slice, expand_dims
      reshape = function(x) x:reshape({ x.shape[1] * x.shape[2] }):mul_(2) end,
      view_of_view = function(x) x[{ { 1, 3 } }].T:mul_(2) end,
      expand = function(x) ht.expand_dims(x, 0):add_(1) end,
      -- out= of where, clip and a reduction (into a row of x), setitem of a row
      where = function(x) ht.where(x:gt(2), x, 0, { out = x }) end,
      clip = function(x) ht.clip(x, 1, 2, { out = x }) end,
      sum_out = function(x) ht.sum(x:resplit(nil), 0, { out = x[0] }) end,
      setitem = function(x) x[{ { 0, 1 } }] = 5 end,
      unary_out = function(x) ht.sqrt(x, { out = x }) end,
    }
    for _, name in ipairs { "scaler", "minmax", "reshape", "view_of_view", "expand", "where", "clip",
                            "sum_out", "setitem", "unary_out" } do
      for _, rows in ipairs { 2, 13 } do -- 2 rows: ranks 3 and 4 own none
        same(name .. " rows " .. rows, function()
          local x = mat(rows, 3)
          if name == "sum_out" then x = x:resplit(nil) end
          local t = x * 3
          local z = t + 1
          state(t, "detached")
          routes[name](x)
          return ht.concatenate({ t, z, x }, 0)
        end)
      end
    end
  end)

  it("computes a detached array before a 0-d operand or a view's base is written", function()
    same("0-d operand", function()
      local x, s = vec(40), ht.array(2.5, { dtype = ht.float64 })
      local t = x * s
      local z = t - x
      state(t, "detached")
      s:add_(1)
      return ht.concatenate({ t, z })
    end)
    same("operand is a slice (unbalanced rows), base written", function()
      local base = vec(41)
      local x = base[{ { 7, 41 } }]
      local t = x * 3
      local z = t - x
      state(t, "detached")
      base:mul_(-1)
      return ht.concatenate({ t, z })
    end)
  end)

  it("gives a detached array's own writes precedence over its deferred value", function()
    local writes = {
      function(t, y) ht.add(y, y, { out = t }) end,
      function(t) t:add_(1) end,
      function(t) t[{ { 0, 3 } }] = -1 end,
      function(t, y) ht.exp(y, { out = t }) end,
    }
    for k, write in ipairs(writes) do
      same("write " .. k, function()
        local x, y = vec(40), vec(40) * 0.5
        y = y:copy()
        local t = x * 3
        local z = y + t
        state(t, "detached")
        write(t, y)
        return ht.concatenate({ t, z })
      end)
    end
  end)

  it("survives coroutines, the profiler and pcall around failing consumers", function()
    same("coroutine", function()
      local x = vec(50)
      local co = coroutine.wrap(function()
        local t = x * 3
        coroutine.yield(t)
        return x * 5
      end)
      local t = co()
      local z = t + 1
      state(t, "detached")
      x:mul_(2)
      local u = co()
      return ht.concatenate({ t, z, u })
    end)
    same("profiler stopped between producer and consumer", function()
      local x, y = vec(50), vec(50, ht.float64):copy()
      ht.profile.start()
      local t = x * 3
      ht.profile.stop()
      local z = y + t
      state(t, "detached")
      x:add_(1)
      return ht.concatenate({ t, z })
    end)
    same("consumer that raises, then the producer used", function()
      local x = vec(50)
      local t = x * 3
      local ok, err = pcall(function() return t + ht.ones({ 7 }) end)
      assert(not ok and err:find("cannot be broadcast", 1, true), err)
      local z = t * 2
      x:add_(1)
      return ht.concatenate({ t, z })
    end)
  end)

  it("raises the eager error messages with a pending operand", function()
    local cases = {
      { function(t) return t + ht.ones({ 7 }) end, "ht.add: shapes (50,) and (7,) cannot be broadcast" },
      { function(t) return ht.add(t, 1, 2) end, "ht.add: takes two operands, got 3 arguments" },
      { function(t) return ht.exp(t, 5) end, "ht.exp: takes one operand, got 2 arguments" },
      { function(t) return ht.add(t, 1, { outt = t }) end, "ht.add: unknown option 'outt' (options: out)" },
      { function(t) return t * "a" end, "ht.mul: operands must be arrays, numbers, booleans or nested tables, got string" },
      { function(t) return t:reshape({ 7 }) end, "ht.reshape: cannot reshape array of size 50 into shape (7,)" },
      { function(t) return t:sum(5) end, "ht.sum: axis 5 is out of bounds for array of dimension 1" },
      { function(t) return t[100] end, "index 100 is out of bounds for axis 0 with size 50" },
      { function(t) return ht.add(t, 1, { out = ht.ones({ 50 }, { dtype = ht.int32, split = 0 }) }) end,
        "ht.add: out has shape (50,), dtype int32 and split 0" },
    }
    local x = vec(50)
    for k, c in ipairs(cases) do
      local a = same("case " .. k, function()
        local t = x * 3
        state(t, "pending")
        return c[1](t)
      end)
      assert(a:find("error ", 1, true) == 1 and a:find(c[2], 1, true), a)
    end
  end)

  it("raises an allocation failure in a fused consumer on every rank and keeps the producer", function()
    core._fuse { min_bytes = MIN }
    local x = ht.ones({ P * 2 ^ 17 + 3 }, { dtype = ht.float64, split = 0 }) -- >= 1 MiB a rank
    for _, k in ipairs { 0, P - 1 } do
      local f0 = core._fuse().fused
      local t = x * 3
      state(t, "pending")
      core._fail_alloc(k, 1, 2 ^ 20) -- rank k's next allocation of 1 MiB or more
      T.assert_error(function() return t + 1 end, "ht.add: out of memory")
      core._fail_alloc(k, 0)
      assert.are.equal(f0, core._fuse().fused)
      T.assert_equal(t:sum(), 3 * (P * 2 ^ 17 + 3)) -- exact: 3 * the element count
      T.assert_equal(ht.exp(x * 0):sum(), P * 2 ^ 17 + 3)
    end
  end)

  it("stays collective when ranks collect or read pending arrays at different moments", function()
    same("garbage collected on rank 0 only", function()
      local x, y = vec(50), vec(50):copy()
      local t = x * 3
      local z = y + t
      local u = y * 2
      do local _ = x * 5 end
      if R == 0 then collectgarbage(); collectgarbage() end
      x:add_(1)
      return ht.concatenate({ t, z, u + z })
    end)
    for _, reader in ipairs { 0, P - 1 } do
      same("replicated producer read on rank " .. reader .. " alone, then chained", function()
        local x = (ht.arange(40, { dtype = ht.float64 }) / 3):copy() -- replicated
        local t = x * 3
        if R == reader then local _ = t:sum() end -- local work: no message
        local z = ht.exp(t / 40)
        if R == 0 then local _ = z:max() end
        local w = ht.sqrt(z) + t
        return ht.concatenate({ t, z, w }):resplit(0):sum(0, { keepdims = true })
      end)
    end
    -- the same with collective checking on (HEATLUA_CHECK=1's mode): no false alarm, no hang
    local was = core._checking()
    core._set_checking(true)
    local ok, err = pcall(function()
      local x = (ht.arange(40, { dtype = ht.float64 }) / 3):copy()
      local t = x * 3
      if R == 0 then local _ = t:sum() end
      local z = t + 1
      return (z:resplit(0) * 2):sum():item()
    end)
    core._set_checking(was)
    assert(ok, err)
    assert.are.equal(2 * (3 * (39 * 40 / 2) / 3 + 40), err) -- 2 * sum(i + 1, i = 0..39), exact
  end)

  it("keeps the scalars' dtypes and special values as eager", function()
    same("float32 * 0.1", function() return vec(50, ht.float32) * 0.1 + 0.2 end)
    same("float32 beyond 2^53", function() return (vec(50, ht.float32) + (2 ^ 53 + 1)) - 2 ^ 60 end)
    same("float64 beyond 2^53", function() return (vec(50) + (2 ^ 53 + 1)) * 2 ^ 63 end)
    same("division by zero", function() local x = vec(50) - 3; return (x / 0) - (x / -0.0) end)
    same("-0.0 and NaN signs", function()
      local x = ht.array({ 0, -0.0, 0 / 0, -(0 / 0), 1 / 0, -1 / 0 }, { dtype = ht.float64, split = 0 })
      return ht.concatenate({ -(x * 1), ht.maximum(x * -1, x), ht.minimum(x + 0, -x) })
    end)
    local a = same("t + t and 3 - t", function()
      local x = vec(50, ht.float32)
      local t = x * 3
      local s = t + t
      local u = x * 3
      return ht.concatenate({ s, 3 - u })
    end)
    assert(a:find("ok ", 1, true) == 1, a)
  end)

  it("does not grow memory over a loop of fused expressions", function()
    local x, y = vec(4096), vec(4096):copy()
    local z
    for _ = 1, 20 do z = y + x * 3 end
    z = nil
    collectgarbage(); collectgarbage()
    local live0, s0 = core._bytes_live(), core._fuse()
    for _ = 1, 500 do z = y + x * 3 end
    local last = bits(z)
    z = nil
    collectgarbage(); collectgarbage()
    local s1 = core._fuse()
    assert.are.equal(live0, core._bytes_live())
    assert.are.equal(500, s1.fused - s0.fused)
    -- `forced` counts passes: at most one per z (its chain, x*3 included); a producer is never
    -- computed on its own, and a z the collector dropped first costs none
    assert.is_true(s1.forced - s0.forced <= 500, tostring(s1.forced - s0.forced))
    core._fuse { enabled = false }
    assert.are.equal(bits(y + x * 3), last)
    core._fuse { enabled = true }
  end)
end)
