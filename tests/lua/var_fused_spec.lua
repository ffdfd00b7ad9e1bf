-- var/std along rows that each rank holds whole (runtime/cpu/reduce_exact.c's fused
-- passes, a tile of rows at a time) give the bits of the two whole passes: the same
-- array split along the reduced axis (each pass joined across ranks, never fused) and
-- replicated must agree bit for bit, at every rank count, with ranks that own no rows,
-- after a slice along the split axis, with NaN, infinities, zero rows and wide ranges.
local ht = require "heat"
local T = require "heat.testing"

local same_three = T.assert_same_splits

local function var1(x) return x:var(1) end
local function std1(x) return x:std(1, { ddof = 1 }) end
local function var2(x) return x:var(2, { keepdims = true }) end

describe("var/std of local rows (fused passes)", function()
  it("equal the two-pass results, float32, float64, int32", function()
    ht.random.seed(3)
    for _, shape in ipairs { { 300, 64 }, { 257, 65 }, { 513, 1 }, { 9, 7 }, { 2, 64 }, { 3, 1000 } } do
      local x = ht.random.randn(shape[1], shape[2], { split = 0 })
      local what = shape[1] .. "x" .. shape[2]
      same_three(x, what .. " float32 var", var1)
      same_three(x, what .. " float32 std", std1)
      same_three(x:astype(ht.float64), what .. " float64 var", var1)
      same_three((x * 1000):astype(ht.int32), what .. " int32 var", var1)
    end
  end)

  it("equal the two-pass results with specials, wide ranges, slices, 3-d", function()
    ht.random.seed(4)
    local w = ht.random.rand(99, 33, { split = 0 })
    w[{ { 0, 99, 7 }, 3 }] = 0 / 0
    w[{ 5, 4 }] = 1 / 0
    w[{ 8, 4 }] = -1 / 0
    w[{ 6, {} }] = 0
    same_three(w, "NaN/inf/zero rows", var1)
    local d = ht.random.randn(130, 7, { split = 0, dtype = ht.float64 })
    local wide = d * ht.exp(ht.random.randn(130, 7, { split = 0, dtype = ht.float64 }) * 20)
    same_three(wide, "wide float64", var1)
    -- unbalanced counts along the split axis
    same_three(ht.random.rand(301, 64, { split = 0 })[{ { 3, 290 }, {} }], "sliced", var1)
    same_three(ht.random.rand(5, 6, 65, { split = 0 }), "3-d", var2)
  end)

  it("give NumPy's values", function()
    local m = ht.array({ { 1, 2, 3, 4 }, { 2, 4, 6, 9 }, { 0.5, 0.5, 0.5, 0.5 } },
      { dtype = ht.float32, split = 0 })
    -- np.var(m, axis=1) of the float32 matrix: [1.25, 6.6875, 0.]
    local want = { 1.25, 6.6875, 0 }
    local got = m:var(1):totable()
    for i = 1, 3 do assert(got[i] == want[i], ("row %d: want %g, got %g"):format(i - 1, want[i], got[i])) end
  end)

  it("reject bad axes and options on every rank", function()
    local x = ht.ones({ 4, 3 }, { split = 0 })
    local ok, err = pcall(x.var, x, 2)
    assert(not ok and err:match("ht.var: axis 2 is out of bounds"), tostring(err))
    ok, err = pcall(x.std, x, 1, { bogus = 1 })
    assert(not ok and err:match("unexpected option 'bogus'"), tostring(err))
  end)
end)
