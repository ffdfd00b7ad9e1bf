-- Reproducible float cumsum (issue 13): the prefix sums restart at every global block of
-- 256 rows from the correctly rounded exact sum of the rows before it (runtime/cpu/scan.h),
-- so the bits are the same at every rank count, with ranks that own no rows and after
-- slicing along the split axis. Expected values: Python, the same data from the same
-- generator, `blocked(x)` = for i, xi: (v = math.fsum(x[:i]) when i % 256 == 0); v += xi.
local ht = require "heat"

-- Park-Miller and correctly rounded operations only, so every build makes the same data.
local function gen(seed)
  local s = seed
  return function()
    s = s * 48271 % 2147483647
    return s / 2147483647
  end
end

-- 700 values over ~20 orders of magnitude: plain running sums lose different bits
-- depending on where they start (np.cumsum differs from blocked() in 271 of them)
local function wide()
  local u, t = gen(7), {}
  for i = 1, 700 do
    local v = (u() - 0.5) * 2
    t[i] = math.ldexp(v, math.floor(u() * 67) - 33)
  end
  return t
end

local function bits_eq(want, got, what)
  assert(want == got, string.format("%s: want %.17g, got %.17g", what, want, got))
end

local idx = { 0, 255, 256, 599, 699 }

describe("reproducible cumsum", function()
  for _, split in ipairs { 0, false } do
    local sp = split or nil
    local tag = "split=" .. tostring(sp)
    it("float64 follows the blocked definition, " .. tag, function()
      local c = ht.array(wide(), { dtype = ht.float64, split = sp }):cumsum(0)
      assert.are.equal(sp, c.split)
      local got = c:totable()
      -- blocked(t) at idx; np.cumsum(t) gives -29726882620.294563 at 256 and
      -- -42207619099.081886 at 699
      local want = { -63.979859769334951, -29726882620.294563, -29726882620.294567,
        -37340027988.065536, -42207619099.081894 }
      for k, i in ipairs(idx) do bits_eq(want[k], got[i + 1], "cumsum[" .. i .. "]") end
    end)
    it("float32 runs in double and rounds each output, " .. tag, function()
      local got = ht.array(wide(), { dtype = ht.float32, split = sp }):cumsum(0):totable()
      -- f = float32(t); float32(blocked(f)) at idx
      local want = { -63.9798583984375, -29726881792, -29726881792, -37340028928, -42207621120 }
      for k, i in ipairs(idx) do bits_eq(want[k], got[i + 1], "cumsum32[" .. i .. "]") end
    end)
    it("unbalanced counts after a slice, " .. tag, function()
      local x = ht.array(wide(), { dtype = ht.float64, split = sp })
      local got = x[{ { 100, 700 } }]:cumsum(0):totable()
      -- blocked(t[100:]) at 0, 155, 156, 599
      local want = { -0.00045521732680124048, -24041692655.580685, -24041692655.580685,
        -36522429134.368027 }
      for k, i in ipairs { 0, 155, 156, 599 } do bits_eq(want[k], got[i + 1], "slice " .. i) end
    end)
    it("columns of a matrix and the flattened array, " .. tag, function()
      local x = ht.array(wide(), { dtype = ht.float64, split = sp })
      local m = x:reshape { 350, 2 }
      local got = m:cumsum(0):totable()
      -- blocked(list(m[:, j])) at rows 300 and 349
      bits_eq(-10189016215.644293, got[301][1], "col 0 row 300")
      bits_eq(-27151011772.421261, got[301][2], "col 1 row 300")
      bits_eq(-8296506647.9343548, got[350][1], "col 0 row 349")
      bits_eq(-33911112451.147552, got[350][2], "col 1 row 349")
      -- axis=None: the flattened array, the same values as the 1-d cumsum
      local flat = ht.cumsum(m):totable()
      bits_eq(-42207619099.081894, flat[700], "flat[699]")
    end)
    it("two rows: ranks with no rows take part, " .. tag, function()
      local got = ht.array({ 1e20, 1, -1e20 }, { dtype = ht.float64, split = sp }):cumsum(0)
      -- one block: (1e20 + 1) - 1e20 in double
      assert.are.same({ 1e20, 1e20, 0 }, got:totable())
      local two = ht.array({ { 1.5, 2 }, { 0.25, -1 } }, { dtype = ht.float64, split = sp })
      assert.are.same({ { 1.5, 2 }, { 1.75, 1 } }, two:cumsum(0):totable())
      assert.are.same({ { 1.5, 3.5 }, { 0.25, -0.75 } }, two:cumsum(1):totable())
    end)
  end
  it("rejects a zero-dimensional array at every rank", function()
    local ok, err = pcall(ht.cumsum, ht.array(1.5), 0)
    assert.is_false(ok)
    assert.matches("cumsum: a zero%-dimensional array has no axis to scan", err)
  end)
end)
