-- ht.array, zeros/ones/empty/full and *_like, arange, linspace, logspace, eye: values
-- against NumPy, default dtypes (Heat's), splits including ranks that own no rows.
local ht = require "heat"
local T = require "heat.testing"

local p = ht.nprocs()

-- a table of `n` copies of v
local function rep(v, n)
  local t = {}
  for i = 1, n do t[i] = v end
  return t
end

describe("zeros, ones, empty, full", function()
  it("default to float32 and no split (Heat)", function()
    local z = ht.zeros({2, 3})
    T.assert_dtype(z, "float32")
    T.assert_split(z, nil)
    T.assert_equal(z, {{0, 0, 0}, {0, 0, 0}}) -- np.zeros((2, 3))
    T.assert_equal(ht.ones(4), {1, 1, 1, 1}) -- np.ones(4)
    T.assert_dtype(ht.ones(4), "float32")
    T.assert_shape(ht.empty({3, 0, 2}), {3, 0, 2})
    T.assert_dtype(ht.empty(5), "float32")
  end)

  it("take dtype and split from the options", function()
    local x = ht.ones({5, 3}, {split = 0, dtype = "int64"})
    T.assert_dtype(x, "int64")
    T.assert_split(x, 0)
    T.assert_equal(x, rep({1, 1, 1}, 5)) -- np.ones((5, 3), dtype=np.int64)
    local y = ht.zeros({3, 7}, {split = 1, dtype = ht.float64})
    T.assert_split(y, 1)
    T.assert_equal(y, rep(rep(0, 7), 3))
    local z = ht.zeros({2, 3}, {split = -1})
    T.assert_split(z, 1) -- negative split counts from the end
    local b = ht.ones(3, {dtype = "bool"})
    T.assert_equal(b, {true, true, true}) -- np.ones(3, dtype=bool)
  end)

  it("give ranks past the rows an empty block", function()
    local z = ht.zeros({2, 3}, {split = 0})
    local want = {}
    for r = 1, p do want[r] = r <= 2 and 1 or 0 end -- balanced blocks: 2 rows over p ranks
    if p == 1 then want[1] = 2 end
    assert.are.same(want, z.counts)
    assert.are.equal(z.counts[ht.rank() + 1], z.lshape[1])
    T.assert_equal(z, {{0, 0, 0}, {0, 0, 0}})
    local e = ht.zeros({0, 4}, {split = 0})
    T.assert_shape(e, {0, 4})
    assert.are.equal(0, e.lshape[1])
    local f = ht.full({3, 0}, 2, {split = 1})
    T.assert_shape(f, {3, 0})
  end)

  it("full fills with the value, float32 by default even for integers (Heat)", function()
    local x = ht.full({2, 3}, 7)
    T.assert_dtype(x, "float32")
    T.assert_equal(x, {{7, 7, 7}, {7, 7, 7}}) -- np.full((2, 3), 7)
    T.assert_equal(ht.full({2, 3}, 7, {dtype = "int16", split = 1}), {{7, 7, 7}, {7, 7, 7}})
    T.assert_equal(ht.full(3, -2.5, {dtype = "float64", split = 0}), {-2.5, -2.5, -2.5})
    T.assert_equal(ht.full(2, 0.1), {0.10000000149011612, 0.10000000149011612}) -- np.float32(0.1)
    T.assert_equal(ht.full(2, true, {dtype = "bool"}), {true, true})
    T.assert_equal(ht.full({}, 3), 3) -- np.full((), 3): 0-d
    T.assert_equal(ht.full(4, 200, {dtype = "uint8", split = 0}), {200, 200, 200, 200})
  end)

  it("fills big arrays on every element (the threaded path)", function()
    local n = 100003 -- past one fill chunk, not a multiple of it
    local x = ht.full({n, 3}, 2, {split = 0, dtype = "float64"})
    local t = x:totable()
    local bad = 0
    for i = 1, n do
      for j = 1, 3 do if t[i][j] ~= 2 then bad = bad + 1 end end
    end
    assert.are.equal(0, bad)
    local y = ht.ones({3, n}, {split = 1, dtype = "int8"}):totable()
    bad = 0
    for i = 1, 3 do for j = 1, n do if y[i][j] ~= 1 then bad = bad + 1 end end end
    assert.are.equal(0, bad)
  end)

  it("reject bad shapes and options with NumPy's messages", function()
    T.assert_error(function() ht.zeros({2, -1}) end, "ht.zeros: negative dimensions are not allowed")
    T.assert_error(function() ht.ones(-3) end, "ht.ones: negative dimensions are not allowed")
    T.assert_error(function() ht.zeros({2.5}) end, "ht.zeros: shape entry must be an integer")
    T.assert_error(function() ht.zeros(3, {dtype = "float16"}) end, "ht.zeros: unknown dtype 'float16'")
    T.assert_error(function() ht.zeros({2, 3}, {split = 2}) end,
      "ht.zeros: split 2 is out of range for an array of 2 dimensions")
    T.assert_error(function() ht.full(3, "a") end, "ht.full: fill_value must be a number")
    T.assert_error(function() ht.empty({2, 3}, {split = -3}) end, "split -3 is out of range")
    T.assert_error(function() ht.full(3, 300, {dtype = "uint8"}) end,
      "ht.full: fill value 300 is out of bounds for uint8")
    T.assert_error(function() ht.full(3, 0 / 0, {dtype = "int32"}) end, "out of bounds for int32")
    T.assert_error(function() ht.ones_like(ht.zeros(2), {dtype = "float16"}) end,
      "ht.ones_like: unknown dtype 'float16'")
  end)
end)

describe("*_like", function()
  it("keep shape, dtype and split of x", function()
    local x = ht.arange(12, {split = 0}) -- int32, shape (12,)
    local z = ht.zeros_like(x)
    T.assert_dtype(z, "int32")
    T.assert_split(z, 0)
    T.assert_equal(z, rep(0, 12))
    local y = ht.ones({4, 5}, {split = 1, dtype = "float64"})
    local o = ht.ones_like(y)
    T.assert_dtype(o, "float64")
    T.assert_split(o, 1)
    T.assert_equal(o, rep(rep(1, 5), 4))
    local e = ht.empty_like(y)
    T.assert_shape(e, {4, 5})
    T.assert_split(e, 1)
    T.assert_dtype(e, "float64")
    local f = ht.full_like(y, 3)
    T.assert_equal(f, rep(rep(3, 5), 4))
    T.assert_dtype(f, "float64")
  end)

  it("take overrides from the options", function()
    local y = ht.ones({4, 5}, {split = 1})
    local z = ht.zeros_like(y, {dtype = "int64", split = 0})
    T.assert_dtype(z, "int64")
    T.assert_split(z, 0)
    local f = ht.full_like(y, 9, {dtype = "int32"})
    T.assert_dtype(f, "int32")
    T.assert_split(f, 1)
    T.assert_equal(f, rep(rep(9, 5), 4))
  end)

  it("keep the counts of an unbalanced x", function()
    local counts = rep(0, p)
    counts[p] = 5 -- every row on the last rank
    local x = ht.ones({5, 2}, {split = 0}):redistribute(counts)
    local z = ht.zeros_like(x)
    assert.are.same(counts, z.counts)
    T.assert_equal(z, rep({0, 0}, 5))
    local f = ht.full_like(x, 4)
    assert.are.same(counts, f.counts)
    T.assert_equal(f, rep({4, 4}, 5))
    assert.are.equal(x.lshape[1], ht.empty_like(x).lshape[1])
  end)
end)

describe("arange", function()
  it("is int32 for integral arguments (Heat)", function()
    local x = ht.arange(5)
    T.assert_dtype(x, "int32")
    T.assert_equal(x, {0, 1, 2, 3, 4}) -- np.arange(5)
    T.assert_equal(ht.arange(2, 11, 3), {2, 5, 8}) -- np.arange(2, 11, 3)
    T.assert_equal(ht.arange(10, 0, -3, {split = 0}), {10, 7, 4, 1}) -- np.arange(10, 0, -3)
    T.assert_shape(ht.arange(-5), {0}) -- np.arange(-5) is empty
    T.assert_shape(ht.arange(3, 3, {split = 0}), {0})
  end)

  it("is float32 when an argument has a fraction", function()
    local x = ht.arange(1.5, 4)
    T.assert_dtype(x, "float32")
    T.assert_equal(x, {1.5, 2.5, 3.5}) -- np.arange(1.5, 4)
    -- np.arange(0, 1, 0.1).astype(np.float32): computed in float64, then cast
    T.assert_equal(ht.arange(0, 1, 0.1, {split = 0}), {0.0, 0.10000000149011612,
      0.20000000298023224, 0.30000001192092896, 0.4000000059604645, 0.5, 0.6000000238418579,
      0.699999988079071, 0.800000011920929, 0.8999999761581421})
    -- np.arange(0, 1, 0.1) in float64
    T.assert_equal(ht.arange(0, 1, 0.1, {dtype = "float64"}), {0.0, 0.1, 0.2, 0.30000000000000004,
      0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9})
  end)

  it("splits by global index", function()
    local n = 37
    local x = ht.arange(n, {split = 0, dtype = "int64"})
    local want = {}
    for i = 1, n do want[i] = i - 1 end
    T.assert_equal(x, want)
    assert.are.equal(x.counts[ht.rank() + 1], x.lshape[1])
  end)

  it("uses int64 when a bound does not fit int32", function()
    local x = ht.arange(2 ^ 31, 2 ^ 31 + 2)
    T.assert_dtype(x, "int64")
    T.assert_equal(x, {2147483648, 2147483649})
  end)

  it("rejects step 0 and non-finite arguments", function()
    T.assert_error(function() ht.arange(0, 5, 0) end, "ht.arange: step must not be zero")
    T.assert_error(function() ht.arange(0, 1 / 0) end, "ht.arange: cannot compute length")
    T.assert_error(function() ht.arange() end, "ht.arange: expected arange(stop)")
    T.assert_error(function() ht.arange(3, {split = 1}) end, "split 1 is out of range")
  end)
end)

describe("linspace and logspace", function()
  it("follow NumPy", function()
    local x = ht.linspace(0, 1, 5)
    T.assert_dtype(x, "float32")
    T.assert_equal(x, {0, 0.25, 0.5, 0.75, 1}) -- np.linspace(0, 1, 5)
    T.assert_equal(ht.linspace(0, 1, 5, {endpoint = false, dtype = "float64", split = 0}),
      {0.0, 0.2, 0.4, 0.6000000000000001, 0.8}) -- np.linspace(0, 1, 5, endpoint=False)
    -- np.linspace(0, 1, 7).astype(np.float32)
    T.assert_equal(ht.linspace(0, 1, 7, {split = 0}), {0.0, 0.1666666716337204, 0.3333333432674408,
      0.5, 0.6666666865348816, 0.8333333134651184, 1.0})
    T.assert_equal(ht.linspace(2, 3, 1), {2}) -- np.linspace(2, 3, 1)
    T.assert_shape(ht.linspace(2, 3, 0, {split = 0}), {0})
    T.assert_shape(ht.linspace(0, 1), {50}) -- num defaults to 50
    T.assert_equal(ht.linspace(0, 10, {num = 3}), {0, 5, 10})
    -- integer dtypes floor (NumPy >= 2): np.linspace(-1, 1, 4, dtype=np.int32)
    T.assert_equal(ht.linspace(-1, 1, 4, {dtype = "int32"}), {-1, -1, 0, 1})
    T.assert_equal(ht.linspace(0, 10, 4, {dtype = "int64", split = 0}), {0, 3, 6, 10})
  end)

  it("ends exactly on stop and returns the step", function()
    local n = 1001
    local x, step = ht.linspace(0.1, 0.7, n, {dtype = "float64", split = 0, retstep = true})
    local t = x:totable()
    assert.are.equal(0.7, t[n]) -- NumPy sets y[-1] = stop
    assert.are.equal(0.1, t[1])
    assert.are.equal((0.7 - 0.1) / 1000, step) -- np.linspace(..., retstep=True)[1]
    for i = 1, n do -- np.arange(n) * step + start, below the endpoint
      if i < n then assert.are.equal((i - 1) * step + 0.1, t[i]) end
    end
  end)

  it("logspace is base ** linspace", function()
    T.assert_equal(ht.logspace(0, 3, 4, {dtype = "float64"}), {1, 10, 100, 1000}) -- np.logspace(0, 3, 4)
    T.assert_dtype(ht.logspace(0, 3, 4), "float32")
    T.assert_equal(ht.logspace(0, 3, 3, {endpoint = false, base = 2, split = 0}), {1, 2, 4})
    -- np.logspace(-1, 1, 3, dtype=np.int32): power, then truncation
    T.assert_equal(ht.logspace(-1, 1, 3, {dtype = "int32"}), {0, 1, 10})
  end)

  it("rejects a negative num", function()
    T.assert_error(function() ht.linspace(0, 1, -1) end, "ht.linspace: number of samples, -1, must be non-negative")
    T.assert_error(function() ht.logspace(0, 1, 2.5) end, "ht.logspace: num must be an integer")
  end)
end)

describe("eye", function()
  it("follows np.eye with k, for every split", function()
    for _, opts in ipairs { {}, { split = 0 }, { split = 1 } } do
      local e = ht.eye(3, opts)
      T.assert_dtype(e, "float32")
      T.assert_equal(e, {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}) -- np.eye(3)
      -- np.eye(3, 4, k=1)
      T.assert_equal(ht.eye({3, 4}, {k = 1, split = opts.split}),
        {{0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}})
      -- np.eye(4, 3, k=-2)
      T.assert_equal(ht.eye(4, 3, -2, {dtype = "int32", split = opts.split}),
        {{0, 0, 0}, {0, 0, 0}, {1, 0, 0}, {0, 1, 0}})
      T.assert_equal(ht.eye(2, {k = 3, split = opts.split}), {{0, 0}, {0, 0}}) -- np.eye(2, k=3)
      T.assert_equal(ht.eye(2, {M = 3, split = opts.split}), {{1, 0, 0}, {0, 1, 0}}) -- np.eye(2, M=3)
    end
  end)

  it("handles ranks without rows or columns", function()
    local e = ht.eye({2, 9}, {split = 1, k = 5})
    local want = {}
    for i = 1, 2 do
      want[i] = rep(0, 9)
      want[i][i + 5] = 1 -- np.eye(2, 9, k=5)
    end
    T.assert_equal(e, want)
    T.assert_shape(ht.eye(0, {split = 0}), {0, 0})
  end)

  it("rejects bad shapes", function()
    T.assert_error(function() ht.eye({2, 3, 4}) end, "ht.eye: shape must be n or {n, m}")
    T.assert_error(function() ht.eye(-2) end, "ht.eye: negative dimensions are not allowed")
    T.assert_error(function() ht.eye(2, {M = -1}) end, "ht.eye: negative dimensions are not allowed")
  end)
end)

describe("array and asarray", function()
  it("build from nested tables with Heat's inferred dtypes", function()
    local x = ht.array({{1, 2, 3}, {4, 5, 6}}, {split = 0})
    T.assert_dtype(x, "int64")
    T.assert_split(x, 0)
    T.assert_equal(x, {{1, 2, 3}, {4, 5, 6}})
    T.assert_dtype(ht.array({1.5, 2}), "float32")
    T.assert_dtype(ht.array({true, false}), "bool")
    local y = ht.array({{1, 2}, {3, 4}, {5, 6}}, {split = 1, dtype = "float64"})
    T.assert_split(y, 1)
    T.assert_dtype(y, "float64")
    T.assert_equal(y, {{1, 2}, {3, 4}, {5, 6}})
    T.assert_equal(ht.array(7), 7)
    T.assert_error(function() ht.array({{1, 2}}, {split = 2}) end, "split 2 is out of range")
  end)

  it("copy an array, or convert it", function()
    local x = ht.arange(6, {split = 0})
    local c = ht.array(x)
    assert.are_not.equal(x, c) -- a new array
    T.assert_equal(c, {0, 1, 2, 3, 4, 5})
    T.assert_split(c, 0)
    local d = ht.array(x, {dtype = "float64"})
    T.assert_dtype(d, "float64")
    T.assert_split(d, 0)
    T.assert_equal(d, {0, 1, 2, 3, 4, 5})
    local r = ht.array(x, {split = 0, dtype = "int64"})
    T.assert_dtype(r, "int64")
    local m = ht.array(ht.ones({2, 4}, {split = 0}), {split = 1, dtype = "int16"})
    T.assert_split(m, 1)
    T.assert_dtype(m, "int16")
    T.assert_equal(m, {{1, 1, 1, 1}, {1, 1, 1, 1}})
  end)

  it("asarray returns the same array when nothing changes", function()
    local x = ht.arange(4, {split = 0})
    assert.are.equal(x, ht.asarray(x))
    assert.are_not.equal(x, ht.asarray(x, {dtype = "float32"}))
    T.assert_equal(ht.asarray({1, 2}), {1, 2})
  end)
end)
