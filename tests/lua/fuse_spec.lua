-- Fused elementwise expressions (bindings/lua/fuse.c, runtime/ops/fuse.c): a producer such
-- as x*3 is deferred and its consumer (y + t) computes both in one pass. The reference bits
-- come from the same expressions with fusion off (core._fuse{enabled = false}, what
-- HEATLUA_NO_FUSE=1 does); a few values are exact arithmetic named where they appear.
local ht = require "heat"
local core = require "heat.core"
local T = require "heat.testing"

local P = ht.nprocs()
local MIN = core._fuse().min_bytes

-- every element's bits, NaN and -0.0 included, as one string
local function bits(x)
  local out = {}
  local function walk(t)
    for _, v in ipairs(t) do
      if type(v) == "table" then walk(v) else out[#out + 1] = string.format("%a", v) end
    end
  end
  local t = x:totable()
  if type(t) == "table" then walk(t) else out[1] = string.format("%a", t) end
  return table.concat(out, " ")
end

-- f's result with fusion on (checking that it fused `want` times) and off
local function both(f, want)
  local before = core._fuse().fused
  local fused = f()
  local n = core._fuse().fused - before
  core._fuse { enabled = false }
  local ok, eager = pcall(f)
  core._fuse { enabled = true }
  assert(ok, eager)
  if want then assert.are.equal(want, n) end
  return fused, eager
end

-- n values cycling through specials and the dtype's extremes, then ordinary ones
local function values(n, dtype)
  local big = dtype == ht.float32 and 3.4028234663852886e38 or 1.7976931348623157e308
  local tiny = dtype == ht.float32 and 1.401298464324817e-45 or 4.9406564584124654e-324
  local special = { 0, -0.0, 1 / 0, -1 / 0, 0 / 0, big, -big, tiny, -tiny, 1, -1, 0.5 }
  local t = {}
  for i = 1, n do
    t[i] = i <= #special and special[i] or ((i * 7919) % 1000 - 500) / 37
  end
  return t
end

local function arr(n, dtype, split, shift)
  local t = values(n, dtype)
  if shift then for i = 1, n do t[i] = t[(i + shift - 1) % n + 1] end end
  return ht.array(t, { dtype = dtype, split = split })
end

describe("fused elementwise", function()
  before_each(function() core._fuse { enabled = true, min_bytes = 0 } end)
  after_each(function() core._fuse { enabled = true, min_bytes = MIN } end)

  it("gives the eager bits for + - * / with scalars on either side", function()
    for _, dt in ipairs { ht.float32, ht.float64 } do
      for _, n in ipairs { 1, 63, 2047, 2048, 2049, 4097 } do
        local x, y = arr(n, dt, 0), arr(n, dt, 0, 5)
        local forms = {
          function() return y + x * 3 end,
          function() return 3 * x - y end,
          function() return (x - 2) / y end,
          function() return 2 / (x + y) end,
          function() return y - x / 0.25 end,
          function() return (x * y) * 1.5 end,
          function() return 0.5 - (2.5 + x) end,
          function() return ht.maximum(x * -1, y) end,
        }
        for k, f in ipairs(forms) do
          local a, b = both(f, 1)
          assert(bits(a) == bits(b), string.format("form %d, %s, n = %d", k, dt, n))
          T.assert_dtype(a, dt)
          T.assert_split(a, 0)
        end
      end
    end
  end)

  it("gives the eager bits for unary chains", function()
    for _, dt in ipairs { ht.float32, ht.float64 } do
      local x = arr(3000, dt, 0)
      local forms = {
        function() return ht.exp(x * 3) end,
        function() return ht.sqrt(x + 1) end,
        function() return (x * 0.5):tanh() end,
        function() return -(x - 1) end,
        function() return ht.log(ht.abs(x)) end,
        function() return ht.sin(x) * ht.cos(x) end, -- cos(x) forces sin(x): 0 fused
        function() return ht.floor(x / 3) end,
      }
      for k, f in ipairs(forms) do
        local a, b = both(f)
        assert(bits(a) == bits(b), string.format("form %d, %s", k, dt))
      end
    end
    -- exact: exp(x*0) = 1, sqrt(x*x + 0) = |x| for small integers
    local x = ht.arange(-5, 5, { dtype = ht.float64, split = 0 })
    T.assert_equal(ht.exp(x * 0), { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 })
    T.assert_equal(ht.sqrt(x * x), { 5, 4, 3, 2, 1, 0, 1, 2, 3, 4 })
  end)

  it("works with ranks that own no rows and unbalanced counts", function()
    local x = ht.arange(2 * 3000, { dtype = ht.float64 }):reshape({ 2, 3000 }):resplit(0)
    local a, b = both(function() return x + x * 3 end, 1)
    assert.are.equal(bits(b), bits(a))
    T.assert_equal((x + x * 3):sum(), 4 * (6000 * 5999 / 2)) -- 4 * sum(0..5999)
    local big = ht.arange(0, 40, { dtype = ht.float32, split = 0 })
    local s1, s2 = big[{ { 7, 40 } }], (big * 2)[{ { 7, 40 } }] -- unbalanced counts
    local c, d = both(function() return s2 - s1 * 2 end, 1)
    assert.are.equal(bits(d), bits(c))
    T.assert_equal(c:sum(), 0)
  end)

  it("keeps a pending array's operands as they were when it was made", function()
    local x0 = arr(3000, ht.float64, 0)
    local y = arr(3000, ht.float64, 0, 3)
    core._fuse { enabled = false }
    local want = bits(x0 * 3)
    local want_z = bits(y + x0 * 3)
    core._fuse { enabled = true }
    local writes = {
      function(x) x:add_(1) end,
      function(x) x[{ { 0, 2 } }] = 7 end,
      function(x) ht.add(y, y, { out = x }) end,
      function(x) ht.add(x, y, { out = x }) end,
      function(x) ht.exp(y, { out = x }) end,
      function(x) x.T:mul_(2) end, -- a view of x
    }
    for k, write in ipairs(writes) do
      -- fresh: t is in the slot when x changes
      local x = x0:copy()
      local t = x * 3
      assert.are.equal("pending", core._fuse(t))
      write(x)
      assert(bits(t) == want, "fresh, write " .. k)
      -- detached: t was fused into z, then x changes
      x = x0:copy()
      t = x * 3
      local z = y + t
      assert.are.equal("detached", core._fuse(t))
      write(x)
      assert(core._fuse(t) == nil, "forced by write " .. k)
      assert(bits(t) == want and bits(z) == want_z, "detached, write " .. k)
    end
  end)

  it("computes a pending array wherever it is used", function()
    local x = arr(3000, ht.float32, 0)
    core._fuse { enabled = false }
    local e = x * 3
    core._fuse { enabled = true }
    local uses = {
      function(t) return bits(t + 1) == bits(e + 1) and bits(t - 1) == bits(e - 1) end, -- twice
      function(t) return tostring(t) == tostring(e) end,
      function(t) return bits(t[{ { 1, 3000, 7 } }]) == bits(e[{ { 1, 3000, 7 } }]) end,
      function(t) return bits(t:max(0)) == bits(e:max(0)) end,
      function(t) return bits(t:resplit(nil)) == bits(e) end,
      function(t) return t.shape[1] == 3000 and #t == 3000 and t.dtype == "float32" end,
    }
    for k, use in ipairs(uses) do
      local t = x * 3
      assert(use(t), "use " .. k)
      t = x * 3
      local _ = t * 2 -- fused: t detached, then used
      assert(use(t), "use after fusion " .. k)
    end
    -- a Lua estimator, on finite data
    local f = ht.arange(3000, { dtype = ht.float32, split = 0 }):reshape({ 1000, 3 }) / 7
    core._fuse { enabled = false }
    local want = bits(ht.preprocessing.StandardScaler():fit(f * 3).scale_)
    core._fuse { enabled = true }
    local t = f * 3
    local _ = t + 1
    assert.are.equal(want, bits(ht.preprocessing.StandardScaler():fit(t).scale_))
    local dir = T.scratch_dir("fuse")
    ht.save_hdf5(x * 3, dir .. "/t.h5", "t")
    assert.are.equal(bits(e), bits(ht.load_hdf5(dir .. "/t.h5", "t", { split = 0 })))
  end)

  it("drops a pending array collected without use", function()
    local x = arr(3000, ht.float64, 0)
    local s0 = core._fuse()
    do local _ = x * 3 end
    collectgarbage()
    collectgarbage()
    local y = x + 1 -- its own pending array; nothing left to force
    local s1 = core._fuse()
    assert.are.equal(s0.deferred + 2, s1.deferred)
    assert.are.equal(s0.forced, s1.forced)
    -- values(): 0.5 at index 11, then ((i * 7919) % 1000 - 500) / 37 for 1-based i = 13, 14
    T.assert_equal(y[{ { 11, 14 } }], { 1.5, (947 - 500) / 37 + 1, (866 - 500) / 37 + 1 })
  end)

  it("raises an allocation failure at the deferred call itself, on every rank", function()
    core._fuse { min_bytes = MIN }
    local x = ht.ones({ P * 2 ^ 17 + 3 }, { dtype = ht.float64, split = 0 }) -- >= 1 MiB a rank
    core._fail_alloc(P - 1, 1, 2 ^ 20) -- the last rank's next allocation of 1 MiB or more
    T.assert_error(function() return x * 3 end, "ht.mul: out of memory")
    core._fail_alloc(P - 1, 0)
    local t = x * 3
    assert.are.equal("pending", core._fuse(t))
    T.assert_equal(t:sum(), 3 * (P * 2 ^ 17 + 3)) -- 3 * the element count, exactly
  end)

  it("computes a replicated pending array read on one rank alone (no message)", function()
    core._fuse { min_bytes = MIN }
    local x = ht.ones({ 2 ^ 17 + 5 }, { dtype = ht.float64 }) -- replicated, 1 MiB
    local t = x * 3
    assert.are.equal("pending", core._fuse(t))
    if ht.rank() == 0 then
      local _ = t:sum() -- a replicated array's reduction is local work, with no message
      assert.is_nil(core._fuse(t)) -- computed here, on this rank alone
    elseif P > 1 then
      assert.are.equal("pending", core._fuse(t))
    end
    T.assert_equal(t:sum(), 3 * (2 ^ 17 + 5))
  end)

  it("takes the eager path where it must", function()
    core._fuse { min_bytes = MIN }
    local function deferred(f)
      local d = core._fuse().deferred
      local r = f()
      return core._fuse().deferred - d, r
    end
    local n64 = math.floor(MIN / 8) -- the threshold in float64 elements, replicated
    local x = ht.ones({ n64 }, { dtype = ht.float64 })
    local small = ht.ones({ n64 - 1 }, { dtype = ht.float64 })
    assert.are.equal(1, (deferred(function() return x * 3 end)))
    assert.are.equal(0, (deferred(function() return small * 3 end)))
    local xs = ht.ones({ 4 * n64 }, { dtype = ht.float32, split = 0 })
    assert.are.equal(P <= 2 and 1 or 0, (deferred(function() return xs * 3 end))) -- largest block
    local i32 = ht.ones({ n64 }, { dtype = ht.int32 })
    assert.are.equal(0, (deferred(function() return i32 * 3 end)))
    local f32 = ht.ones({ n64 }, { dtype = ht.float32 })
    assert.are.equal(0, (deferred(function() return f32 * x end))) -- mixed dtypes
    local m = ht.ones({ math.floor(n64 / 64), 64 }, { dtype = ht.float64 })
    assert.are.equal(0, (deferred(function() return m * ht.ones({ 64 }, { dtype = ht.float64 }) end)))
    assert.are.equal(0, (deferred(function() return x:lt(3) end)))
    assert.are.equal(0, (deferred(function() return ht.add(x, 1, { out = x }) end)))
    -- a broadcasting consumer forces the producer instead of fusing
    local f0 = core._fuse().fused
    local r = (m * 2) + ht.ones({ 64 }, { dtype = ht.float64 })
    assert.are.equal(f0, core._fuse().fused)
    T.assert_equal(r:max(), 3)
    -- y + x*3 fuses at the default threshold
    local y = ht.ones({ n64 }, { dtype = ht.float64 })
    local f1 = core._fuse().fused
    local z = y + x * 3
    assert.are.equal(f1 + 1, core._fuse().fused)
    T.assert_equal(z:max(), 7) -- x was set to 2 by out= above: 1 + 2*3
  end)
end)
