-- Fused elementwise expressions (bindings/lua/fuse.c, runtime/ops/fuse.c): a producer such
-- as x*3 is deferred and its consumer (y + t) computes both in one pass. The reference bits
-- come from the same expressions with fusion off (core._fuse{enabled = false}, what
-- HEATLUA_NO_FUSE=1 does); a few values are exact arithmetic named where they appear.
local ht = require "heat"
local core = require "heat.core"
local T = require "heat.testing"

local P = ht.nprocs()
local MIN = core._fuse().min_bytes

local bits = T.bits -- every element's bits, NaN and -0.0 included, as one string

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
      for _, n in ipairs { 1, 63, 511, 513, 2047, 2048, 2049, 4097 } do
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
        function() return ht.sin(x) * ht.cos(x) end, -- two open producers, one consumer
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
    local m = ht.ones({ math.floor(n64 / 64), 64 }, { dtype = ht.float64, split = 0 })
    local col = ht.ones({ math.floor(n64 / 64), 1 }, { dtype = ht.float64, split = 0 })
    assert.are.equal(0, (deferred(function() return m * col end))) -- a column broadcasts
    assert.are.equal(0, (deferred(function() return m * col:resplit(nil) end)))
    assert.are.equal(0, (deferred(function() return m[{ ht.all, { 0, 64, 2 } }] * 2 end))) -- strided
    assert.are.equal(0, (deferred(function() return m * ht.ones({ 64 }, { dtype = ht.float32 }) end)))
    assert.are.equal(0, (deferred(function() return m * ht.ones({ 64 }, { dtype = ht.float64, split = 0 }) end)))
    assert.are.equal(0, (deferred(function() return x:lt(3) end)))
    assert.are.equal(0, (deferred(function() return ht.add(x, 1, { out = x }) end)))
    -- a consumer that cannot fuse (a column) computes its producer and runs eagerly
    local f0 = core._fuse().fused
    local r = (m * 2) + col
    assert.are.equal(f0, core._fuse().fused)
    assert.is_nil(core._fuse(r))
    T.assert_equal(r:max(), 3)
    -- y + x*3 fuses at the default threshold
    local y = ht.ones({ n64 }, { dtype = ht.float64 })
    local f1 = core._fuse().fused
    local z = y + x * 3
    assert.are.equal(f1 + 1, core._fuse().fused)
    T.assert_equal(z:max(), 7) -- x was set to 2 by out= above: 1 + 2*3
  end)

  it("fuses rows that broadcast along the leading axes, with the eager bits", function()
    -- F around the block (512 elements, runtime/ops/fuse.c) and 2048: tiled rows, one block
    -- per row, several blocks per row; 2 rows leave ranks without any at 3 and 4 ranks
    local cases = { { 1, 2049 }, { 3, 700 }, { 64, 33 }, { 511, 5 }, { 512, 3 }, { 513, 4 },
      { 2047, 3 }, { 2048, 3 }, { 2049, 2 }, { 5000, 2 } }
    for _, dt in ipairs { ht.float32, ht.float64 } do
      for _, c in ipairs(cases) do
        local F, n = c[1], c[2]
        local x = arr(n * F, dt, 0):reshape({ n, F })
        local mu, sd = arr(F, dt, nil, 3), arr(F, dt, nil, 7)
        local g, b = arr(F, dt, nil, 1):reshape({ 1, F }), arr(F, dt, nil, 2)
        local forms = {
          { function() return (x - mu) / sd end, 1 },
          { function() return mu - x end, 0 },
          { function() return (x - mu) / sd * g + b end, 3 },
          { function() return x[{ { 1, n } }] * sd end, 0 }, -- unbalanced counts
        }
        for k, f in ipairs(forms) do
          collectgarbage() -- earlier forms' dead intermediates: a getitem of x would compute them
          local r0 = core._fuse()
          local a, e = both(f[1], f[2])
          local r1 = core._fuse()
          assert(bits(a) == bits(e), string.format("form %d, %s, F = %d", k, dt, F))
          assert.are.equal(r0.forced + 1, r1.forced, string.format("form %d, %s, F = %d", k, dt, F)) -- one pass, by bits()
          T.assert_split(a, 0)
        end
      end
    end
    -- rows of a 3-d array: the last axis, or the last two
    local x = arr(5 * 3 * 700, ht.float64, 0):reshape({ 5, 3, 700 })
    local w1, w2 = arr(700, ht.float64, nil, 4), arr(2100, ht.float64, nil, 9):reshape({ 3, 700 })
    local a, e = both(function() return (x - w2) / w2 end, 1)
    assert.are.equal(bits(e), bits(a))
    a, e = both(function() return (x - w1) * w1 end, 1)
    assert.are.equal(bits(e), bits(a))
    local r0 = core._fuse()
    a, e = both(function() return x * w1 - w2 end, 0) -- two row lengths: x * w1 is computed
    assert.are.equal(bits(e), bits(a))
    assert.are.equal(r0.forced + 2, core._fuse().forced)
    -- exact: (x - mu) / sd with mu = 1, sd = 2 on small integers
    local y = ht.arange(12, { dtype = ht.float32, split = 0 }):reshape({ 4, 3 })
    local z = (y - ht.ones({ 3 }, { dtype = ht.float32 })) / ht.full({ 1, 3 }, 2, { dtype = ht.float32 })
    T.assert_equal(z, { { -0.5, 0, 0.5 }, { 1, 1.5, 2 }, { 2.5, 3, 3.5 }, { 4, 4.5, 5 } })
  end)

  it("runs a chain of calls in one pass", function()
    for _, dt in ipairs { ht.float32, ht.float64 } do
      local x, y = arr(4099, dt, 0), arr(4099, dt, 0, 11)
      local forms = {
        { function() return 2.5 * x + 3 * y + 1 end, 2, 4 }, -- a*x + b*y + c
        { function() return ht.exp(-(x * x) / 2) end, 3, 4 },
        { function() return ht.sin(x) * ht.cos(y) - x end, 2, 4 },
        { function() return ((x - y) * (x + y)) / (x * y) end, 2, 5 },
      }
      for k, f in ipairs(forms) do
        local r0 = core._fuse()
        local a, e = both(f[1], f[2])
        local r1 = core._fuse()
        assert.are.equal(bits(e), bits(a), string.format("form %d, %s", k, dt))
        assert.are.equal(r0.deferred + f[3], r1.deferred)
        assert.are.equal(r0.forced + 1, r1.forced) -- one pass
      end
      -- past the bound (6 stages): two passes, same bits
      local r0 = core._fuse()
      local a, e = both(function() return ((((((x + 1) * 2) - 3) / 4) + 5) * 6) - 7 end)
      assert.are.equal(bits(e), bits(a))
      assert.are.equal(r0.forced + 2, core._fuse().forced)
    end
    -- exact: 2*x + 3*y + 1 on integers
    local x = ht.arange(6, { dtype = ht.float64, split = 0 })
    T.assert_equal(2 * x + 3 * (x * x) + 1, { 1, 6, 17, 34, 57, 86 })
  end)

  it("keeps every stage's operands of a chain as they were", function()
    local F, n = 5, 40
    local x0 = arr(n * F, ht.float64, 0):reshape({ n, F })
    local mu0, sd0, g0 = arr(F, ht.float64, nil, 2), arr(F, ht.float64, nil, 6), arr(F, ht.float64, nil, 3)
    core._fuse { enabled = false }
    local want1, want2 = bits(x0 - mu0), bits((x0 - mu0) / sd0)
    local want = bits((x0 - mu0) / sd0 * g0 + 1)
    core._fuse { enabled = true }
    local writes = {
      function(o) o.mu:add_(1) end, -- in place on mu
      function(o) o.mu[{ { 0, 2 } }] = 7 end,
      function(o) o.sd:mul_(o.sd) end,
      function(o) ht.exp(o.g, { out = o.g }) end,
      function(o) o.x[{ { 0, 3 } }] = 0 end,
      function(o) ht.add(o.x, o.x, { out = o.x }) end,
    }
    for k, write in ipairs(writes) do
      for _, mode in ipairs { "open", "detached" } do
        local o = { x = x0:copy(), mu = mu0:copy(), sd = sd0:copy(), g = g0:copy() }
        local t1 = o.x - o.mu
        local t2 = t1 / o.sd
        local z = t2 * o.g + 1
        if mode == "detached" then
          local _ = z * 2 -- z consumed: every stage of the chain is detached now
          assert.are.equal("detached", core._fuse(z))
        end
        assert.are.equal("detached", core._fuse(t2))
        write(o)
        assert(bits(z) == want, mode .. " z, write " .. k)
        assert(bits(t2) == want2, mode .. " t2, write " .. k)
        assert(bits(t1) == want1, mode .. " t1, write " .. k)
      end
    end
    -- an intermediate kept and used after the chain was computed
    local t1 = x0 - mu0
    local z = (t1 / sd0) * g0 + 1
    assert.are.equal(want, bits(z))
    assert.are.equal("detached", core._fuse(t1))
    assert.are.equal(want1, bits(t1))
    -- a detached intermediate used again joins a new chain (recomputed from its operands)
    t1 = x0 - mu0
    local _ = t1 * 2
    local r0 = core._fuse()
    local u = t1 / sd0
    assert.are.equal(r0.fused + 1, core._fuse().fused)
    assert.are.equal(want2, bits(u))
    assert.are.equal("detached", core._fuse(t1))
  end)

  it("computes open arrays past the open bound and at any other call", function()
    local x = arr(3000, ht.float64, 0)
    core._fuse { enabled = false }
    local want = {}
    for i = 1, 6 do want[i] = bits(x * i) end
    core._fuse { enabled = true }
    local t = {}
    for i = 1, 6 do t[i] = x * i end -- four stay open, the oldest are computed
    assert.is_nil(core._fuse(t[1]))
    assert.is_nil(core._fuse(t[2]))
    for i = 3, 6 do assert.are.equal("pending", core._fuse(t[i])) end
    local _ = x:sum() -- any other call computes the open ones
    for i = 1, 6 do
      assert.is_nil(core._fuse(t[i]))
      assert.are.equal(want[i], bits(t[i]))
    end
  end)

  it("collects a chain's dead intermediates rather than compute them at a write", function()
    local x = ht.ones({ 2 ^ 20 }, { dtype = ht.float64 }) -- replicated, 8 MiB a rank
    do
      local z = (x - 1) * 2 -- x - 1 is detached once z joins it
      T.assert_equal(z:sum(), 0)
    end
    local r0 = core._fuse()
    x:add_(1) -- a write to x: the dead x - 1 is collected, not computed
    assert.are.equal(r0.forced, core._fuse().forced)
    local t = x - 1
    local z = t * 2
    T.assert_equal(z:sum(), 2 ^ 21) -- (2 - 1) * 2 per element
    x:add_(1) -- t is alive: computed first
    assert.are.equal(r0.forced + 2, core._fuse().forced)
    T.assert_equal(t:sum(), 2 ^ 20)
  end)

  it("rejects unknown options and extra arguments of its debug hook", function()
    T.assert_error(function() return core._fuse { enable = true } end,
      "ht._fuse: unknown option 'enable' (options: enabled, min_bytes)")
    T.assert_error(function() return core._fuse({ min_bytes = 1 }, 2) end,
      "ht._fuse: takes an array or an options table, got 2 arguments")
  end)
end)
