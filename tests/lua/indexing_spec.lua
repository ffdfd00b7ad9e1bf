-- Indexing: getitem and setitem with every index form (numbers, slices {start, stop, step},
-- ht.all, ht.newaxis, '...', NumPy strings, boolean masks, integer arrays) on replicated and
-- split arrays, balanced and unbalanced (views whose ranks hold few or no rows).
-- Expected values come from NumPy: each case carries the NumPy expression that produced it,
-- on x = np.arange(n).reshape(shape) (int64).
local ht = require "heat"
local T = require "heat.testing"

local p = ht.nprocs()

-- np.arange(prod(shape)).reshape(shape) as nested Lua tables; with pad, `pad` extra rows of
-- -100 come first along axis `along`.
local function nested(shape, along, pad)
  local function build(d, flat)
    local t, extra = {}, (d - 1 == along) and pad or 0
    for i = 1, shape[d] + extra do
      local real = i - 1 - extra
      local f = nil
      if real >= 0 and flat then f = flat * shape[d] + real end
      if d == #shape then t[i] = f or -100 else t[i] = build(d + 1, f) end
    end
    return t
  end
  return build(1, 0)
end

-- Every layout of x = np.arange(...).reshape(shape): replicated, split along each axis
-- (balanced), and split along each axis as the view base[3:] of a larger array, whose
-- counts are unbalanced and leave ranks with no rows.
local function layouts(shape)
  local out = { { name = "replicated", make = function() return ht.array(nested(shape), { dtype = "int64" }) end } }
  for s = 0, #shape - 1 do
    out[#out + 1] = { name = "split " .. s, make = function()
      return ht.array(nested(shape), { split = s, dtype = "int64" })
    end }
    out[#out + 1] = { name = "unbalanced split " .. s, make = function()
      local base = ht.array(nested(shape, s, 3), { split = s, dtype = "int64" })
      local key = {}
      for d = 0, #shape - 1 do key[d + 1] = d == s and { 3 } or ht.all end
      return base[key], base
    end }
  end
  return out
end

local function key_of(k, x)
  if type(k) == "function" then return k(x) end
  return k
end

local function check_get(shape, cases)
  for _, layout in ipairs(layouts(shape)) do
    for _, c in ipairs(cases) do
      local x = layout.make()
      local ok, err = pcall(T.assert_equal, x[key_of(c[2], x)], c[3])
      if not ok then error(string.format("%s, %s: %s", c[1], layout.name, err), 0) end
    end
  end
end

describe("getitem with numbers, slices, ht.all, newaxis, '...' and strings", function()
  it("reads a 1-d array", function()
    check_get({ 10 }, {
    { "x[3]", 3,
      3 },
    { "x[-1]", -1,
      9 },
    { "x[2:5]", { { 2, 5 } },
      {2, 3, 4} },
    { "x[-3:]", { { -3 } },
      {7, 8, 9} },
    { "x[:-3:2]", { { nil, -3, 2 } },
      {0, 2, 4, 6} },
    { "x[1::4]", '1::4',
      {1, 5, 9} },
    { "x[3:3]", '3:3',
      {} },
    { "x[-100:100]", { { -100, 100 } },
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9} },
    { "x[::-1]", '::-1',
      {9, 8, 7, 6, 5, 4, 3, 2, 1, 0} },
    { "x[8:2:-3]", '8:2:-3',
      {8, 5} },
    { "x[7::-2]", { { 7, nil, -2 } },
      {7, 5, 3, 1} },
    { "x[100:-100:-1]", { { 100, -100, -1 } },
      {9, 8, 7, 6, 5, 4, 3, 2, 1, 0} },
    { "x[-100:100:-1]", { { -100, 100, -1 } },
      {} },
    { "x[:]", ht.all,
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9} },
    { "x[...]", '...',
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9} },
    { "x[None]", ht.newaxis,
      {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}} },
    { "x[:, None]", '..., None',
      {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}} },
    { "x[()]", {},
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9} },
    })
  end)

  it("reads a 2-d array", function()
    check_get({ 4, 5 }, {
    { "x[1]", 1,
      {5, 6, 7, 8, 9} },
    { "x[-1]", -1,
      {15, 16, 17, 18, 19} },
    { "x[1, 2]", { 1, 2 },
      7 },
    { "x[-1, -5]", { -1, -5 },
      15 },
    { "x[:, 2]", { ht.all, 2 },
      {2, 7, 12, 17} },
    { "x[:, 2]", ':, 2',
      {2, 7, 12, 17} },
    { "x[..., 0]", { '...', 0 },
      {0, 5, 10, 15} },
    { "x[1:3]", { { 1, 3 } },
      {{5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}} },
    { "x[1:3, ::2]", '1:3, ::2',
      {{5, 7, 9}, {10, 12, 14}} },
    { "x[2:, 1:4]", { { 2 }, { 1, 4 } },
      {{11, 12, 13}, {16, 17, 18}} },
    { "x[::-1, ::-2]", { { nil, nil, -1 }, { nil, nil, -2 } },
      {{19, 17, 15}, {14, 12, 10}, {9, 7, 5}, {4, 2, 0}} },
    { "x[3:0:-1, 4]", '3:0:-1, 4',
      {19, 14, 9} },
    { "x[::-2, 1]", { { nil, nil, -2 }, 1 },
      {16, 6} },
    { "x[:, None, 1:]", { ht.all, ht.newaxis, { 1 } },
      {{{1, 2, 3, 4}}, {{6, 7, 8, 9}}, {{11, 12, 13, 14}}, {{16, 17, 18, 19}}} },
    { "x[None, 2]", 'None, 2',
      {{10, 11, 12, 13, 14}} },
    { "x[1:1]", { { 1, 1 } },
      {} },
    })
  end)

  it("reads a 3-d array", function()
    check_get({ 3, 4, 5 }, {
    { "x[1]", 1,
      {{20, 21, 22, 23, 24}, {25, 26, 27, 28, 29}, {30, 31, 32, 33, 34}, {35, 36, 37, 38, 39}} },
    { "x[:, 1]", ':, 1',
      {{5, 6, 7, 8, 9}, {25, 26, 27, 28, 29}, {45, 46, 47, 48, 49}} },
    { "x[..., 1]", '..., 1',
      {{1, 6, 11, 16}, {21, 26, 31, 36}, {41, 46, 51, 56}} },
    { "x[1, 2, 3]", { 1, 2, 3 },
      33 },
    { "x[::-1, 1:3, ::2]", '::-1, 1:3, ::2',
      {{{45, 47, 49}, {50, 52, 54}}, {{25, 27, 29}, {30, 32, 34}}, {{5, 7, 9}, {10, 12, 14}}} },
    { "x[-1, ::-1, -2]", { -1, { nil, nil, -1 }, -2 },
      {58, 53, 48, 43} },
    { "x[0, ..., None, 2]", { 0, '...', ht.newaxis, 2 },
      {{2}, {7}, {12}, {17}} },
    { "x[:, ::-3]", { ht.all, { nil, nil, -3 } },
      {{{15, 16, 17, 18, 19}, {0, 1, 2, 3, 4}}, {{35, 36, 37, 38, 39}, {20, 21, 22, 23, 24}}, {{55, 56, 57, 58, 59}, {40, 41, 42, 43, 44}}} },
    { "x[1:, -1, 1:-1]", '1:, -1, 1:-1',
      {{36, 37, 38}, {56, 57, 58}} },
    })
  end)
end)

describe("getitem with boolean masks and integer arrays", function()
  it("reads a 1-d array", function()
    check_get({ 10 }, {
    { "x[x > 4]", function(x) return x:gt(4) end,
      {5, 6, 7, 8, 9} },
    { "x[x > 100]", function(x) return x:gt(100) end,
      {} },
    { "x[x % 3 == 0]", function(x) return x:mod(3):eq(0) end,
      {0, 3, 6, 9} },
    { "x[np.array([1, 9, 3, 3, 0])]", function() return ht.array({ 1, 9, 3, 3, 0 }) end,
      {1, 9, 3, 3, 0} },
    { "x[np.array([-1, -10])]", function() return ht.array({ -1, -10 }) end,
      {9, 0} },
    { "x[np.array([[1, 2], [3, 0]])]", function() return ht.array({ { 1, 2 }, { 3, 0 } }) end,
      {{1, 2}, {3, 0}} },
    { "x[np.array(4)]", function() return ht.array(4) end,
      4 },
    })
  end)

  it("reads a 2-d array", function()
    check_get({ 4, 5 }, {
    { "x[x % 3 == 0]", function(x) return x:mod(3):eq(0) end,
      {0, 3, 6, 9, 12, 15, 18} },
    { "x[np.array([True, False, True, True])]", function() return ht.array({ true, false, true, true }) end,
      {{0, 1, 2, 3, 4}, {10, 11, 12, 13, 14}, {15, 16, 17, 18, 19}} },
    { "x[x[:, 0] > 5]", function(x) return x[{ ht.all, 0 }]:gt(5) end,
      {{10, 11, 12, 13, 14}, {15, 16, 17, 18, 19}} },
    { "x[:, np.array([True, False, True, False, True])]", function() return { ht.all, ht.array({ true, false, true, false, true }) } end,
      {{0, 2, 4}, {5, 7, 9}, {10, 12, 14}, {15, 17, 19}} },
    { "x[1:, x[0] % 2 == 1]", function(x) return { { 1 }, x[0]:mod(2):eq(1) } end,
      {{6, 8}, {11, 13}, {16, 18}} },
    { "x[np.array([3, 0, 0])]", function() return ht.array({ 3, 0, 0 }) end,
      {{15, 16, 17, 18, 19}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}} },
    { "x[:, np.array([4, -5])]", function() return { ht.all, ht.array({ 4, -5 }) } end,
      {{4, 0}, {9, 5}, {14, 10}, {19, 15}} },
    { "x[::-1, np.array([1, 2])]", function() return { { nil, nil, -1 }, ht.array({ 1, 2 }) } end,
      {{16, 17}, {11, 12}, {6, 7}, {1, 2}} },
    { "x[np.array([2, 1]), 1:4]", function() return { ht.array({ 2, 1 }), { 1, 4 } } end,
      {{11, 12, 13}, {6, 7, 8}} },
    { "x[np.array([[1, 2], [3, 0]])]", function() return ht.array({ { 1, 2 }, { 3, 0 } }) end,
      {{{5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}}, {{15, 16, 17, 18, 19}, {0, 1, 2, 3, 4}}} },
    { "x[np.array([], dtype=np.int64)]", function() return ht.array({}, { dtype = 'int64' }) end,
      {} },
    })
  end)

  it("reads a 3-d array (NumPy moves the array's axes first when a number is not next to it)", function()
    check_get({ 3, 4, 5 }, {
    { "x[x > 40]", function(x) return x:gt(40) end,
      {41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59} },
    { "x[(x % 2 == 0)[:, :, 0]]", function(x) return x:mod(2):eq(0)[{ ht.all, ht.all, 0 }] end,
      {{0, 1, 2, 3, 4}, {10, 11, 12, 13, 14}, {20, 21, 22, 23, 24}, {30, 31, 32, 33, 34}, {40, 41, 42, 43, 44}, {50, 51, 52, 53, 54}} },
    { "x[1, (x % 3 == 0)[0]]", function(x) return { 1, x:mod(3):eq(0)[0] } end,
      {20, 23, 26, 29, 32, 35, 38} },
    { "x[:, (x % 3 == 0)[0, :, 0]]", function(x) return { ht.all, x:mod(3):eq(0)[{ 0, ht.all, 0 }] } end,
      {{{0, 1, 2, 3, 4}, {15, 16, 17, 18, 19}}, {{20, 21, 22, 23, 24}, {35, 36, 37, 38, 39}}, {{40, 41, 42, 43, 44}, {55, 56, 57, 58, 59}}} },
    { "x[:, 0, np.array([1, 2])]", function() return { ht.all, 0, ht.array({ 1, 2 }) } end,
      {{1, 2}, {21, 22}, {41, 42}} },
    { "x[0, :, np.array([1, 2])]", function() return { 0, ht.all, ht.array({ 1, 2 }) } end,
      {{1, 6, 11, 16}, {2, 7, 12, 17}} },
    { "x[np.array([2, 0]), :, 1]", function() return { ht.array({ 2, 0 }), ht.all, 1 } end,
      {{41, 46, 51, 56}, {1, 6, 11, 16}} },
    { "x[0, None, np.array([1, 2])]", function() return { 0, ht.newaxis, ht.array({ 1, 2 }) } end,
      {{{5, 6, 7, 8, 9}}, {{10, 11, 12, 13, 14}}} },
    { "x[np.array([2, 0]), ::-1]", function() return { ht.array({ 2, 0 }), { nil, nil, -1 } } end,
      {{{55, 56, 57, 58, 59}, {50, 51, 52, 53, 54}, {45, 46, 47, 48, 49}, {40, 41, 42, 43, 44}}, {{15, 16, 17, 18, 19}, {10, 11, 12, 13, 14}, {5, 6, 7, 8, 9}, {0, 1, 2, 3, 4}}} },
    })
  end)
end)

-- Runs each statement on every layout of x, with every split of the value on the right.
local function check_set(shape, cases)
  for _, layout in ipairs(layouts(shape)) do
    for _, c in ipairs(cases) do
      for vs = -1, 2 do
        local x, base = layout.make()
        local used, depth_ok = false, true
        local function A(t)
          used = true
          local depth, u = 0, t
          while type(u) == "table" do depth, u = depth + 1, u[1] end
          depth_ok = vs < depth
          return ht.array(t, { split = (vs >= 0 and depth_ok) and vs or nil, dtype = "int64" })
        end
        local ok, err = pcall(function()
          c[2](x, A)
          T.assert_equal(x, c[3])
          if base then -- the padding of the base is untouched
            local pad = {}
            for d = 0, #shape - 1 do pad[d + 1] = d == x.split and { 0, 3 } or ht.all end
            T.assert_equal(base[pad]:eq(-100):all(), true)
          end
        end)
        if not ok then
          error(string.format("%s, %s, value split %d: %s", c[1], layout.name, vs, err), 0)
        end
        if not used or not depth_ok then break end
      end
    end
  end
end

describe("setitem", function()
  it("writes a 1-d array", function()
    check_set({ 10 }, {
    { "x[3] = -5", function(x, A) x[3] = -5 end,
      {0, 1, 2, -5, 4, 5, 6, 7, 8, 9} },
    { "x[-1] = -5", function(x, A) x[-1] = -5 end,
      {0, 1, 2, 3, 4, 5, 6, 7, 8, -5} },
    { "x[2:5] = -1", function(x, A) x[{ { 2, 5 } }] = -1 end,
      {0, 1, -1, -1, -1, 5, 6, 7, 8, 9} },
    { "x[2:5] = [-1, -2, -3]", function(x, A) x[{ { 2, 5 } }] = A{ -1, -2, -3 } end,
      {0, 1, -1, -2, -3, 5, 6, 7, 8, 9} },
    { "x[::-1] = np.arange(100, 110)", function(x, A) x['::-1'] = A{ 100, 101, 102, 103, 104, 105, 106, 107, 108, 109 } end,
      {109, 108, 107, 106, 105, 104, 103, 102, 101, 100} },
    { "x[8:1:-3] = [-1, -2, -3]", function(x, A) x['8:1:-3'] = A{ -1, -2, -3 } end,
      {0, 1, -3, 3, 4, -2, 6, 7, -1, 9} },
    { "x[1:] = x[:-1].copy()", function(x, A) x['1:'] = x[':-1'] end,
      {0, 0, 1, 2, 3, 4, 5, 6, 7, 8} },
    { "x[:-1] = x[1:].copy()", function(x, A) x[':-1'] = x['1:'] end,
      {1, 2, 3, 4, 5, 6, 7, 8, 9, 9} },
    { "x[x > 4] = 0", function(x, A) x[x:gt(4)] = 0 end,
      {0, 1, 2, 3, 4, 0, 0, 0, 0, 0} },
    { "x[x > 4] = [-1, -2, -3, -4, -5]", function(x, A) x[x:gt(4)] = A{ -1, -2, -3, -4, -5 } end,
      {0, 1, 2, 3, 4, -1, -2, -3, -4, -5} },
    { "x[np.array([0, 9, 4])] = [-1, -2, -3]", function(x, A) x[ht.array({ 0, 9, 4 })] = A{ -1, -2, -3 } end,
      {-1, 1, 2, 3, -3, 5, 6, 7, 8, -2} },
    { "x[np.array([0, 9, -6])] = 7", function(x, A) x[ht.array({ 0, 9, -6 })] = 7 end,
      {7, 1, 2, 3, 7, 5, 6, 7, 8, 7} },
    { "x[np.array([2, 2])] = [-1, -2]", function(x, A) x[ht.array({ 2, 2 })] = A{ -1, -2 } end,
      {0, 1, -2, 3, 4, 5, 6, 7, 8, 9} },
    })
  end)

  it("writes a 2-d array", function()
    check_set({ 4, 5 }, {
    { "x[1] = -1", function(x, A) x[1] = -1 end,
      {{0, 1, 2, 3, 4}, {-1, -1, -1, -1, -1}, {10, 11, 12, 13, 14}, {15, 16, 17, 18, 19}} },
    { "x[1] = [-1, -2, -3, -4, -5]", function(x, A) x[1] = A{ -1, -2, -3, -4, -5 } end,
      {{0, 1, 2, 3, 4}, {-1, -2, -3, -4, -5}, {10, 11, 12, 13, 14}, {15, 16, 17, 18, 19}} },
    { "x[:, 1] = [-1, -2, -3, -4]", function(x, A) x[{ ht.all, 1 }] = A{ -1, -2, -3, -4 } end,
      {{0, -1, 2, 3, 4}, {5, -2, 7, 8, 9}, {10, -3, 12, 13, 14}, {15, -4, 17, 18, 19}} },
    { "x[2, 3] = -9", function(x, A) x[{ 2, 3 }] = -9 end,
      {{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}, {10, 11, 12, -9, 14}, {15, 16, 17, 18, 19}} },
    { "x[1:3] = [-1, -2, -3, -4, -5]", function(x, A) x[{ { 1, 3 } }] = A{ -1, -2, -3, -4, -5 } end,
      {{0, 1, 2, 3, 4}, {-1, -2, -3, -4, -5}, {-1, -2, -3, -4, -5}, {15, 16, 17, 18, 19}} },
    { "x[1:3] = [[-1], [-2]]", function(x, A) x[{ { 1, 3 } }] = A{ { -1 }, { -2 } } end,
      {{0, 1, 2, 3, 4}, {-1, -1, -1, -1, -1}, {-2, -2, -2, -2, -2}, {15, 16, 17, 18, 19}} },
    { "x[::-1, 1:3] = [[-1, -2], [-3, -4], [-5, -6], [-7, -8]]", function(x, A) x[{ { nil, nil, -1 }, { 1, 3 } }] = A{ { -1, -2 }, { -3, -4 }, { -5, -6 }, { -7, -8 } } end,
      {{0, -7, -8, 3, 4}, {5, -5, -6, 8, 9}, {10, -3, -4, 13, 14}, {15, -1, -2, 18, 19}} },
    { "x[::-2, ::-1] = -np.arange(10).reshape(2, 5)", function(x, A) x['::-2, ::-1'] = A{ { 0, -1, -2, -3, -4 }, { -5, -6, -7, -8, -9 } } end,
      {{0, 1, 2, 3, 4}, {-9, -8, -7, -6, -5}, {10, 11, 12, 13, 14}, {-4, -3, -2, -1, 0}} },
    { "x[x % 3 == 0] = -1", function(x, A) x[x:mod(3):eq(0)] = -1 end,
      {{-1, 1, 2, -1, 4}, {5, -1, 7, 8, -1}, {10, 11, -1, 13, 14}, {-1, 16, 17, -1, 19}} },
    { "x[x % 3 == 0] = -np.arange(7)", function(x, A) x[x:mod(3):eq(0)] = A{ 0, -1, -2, -3, -4, -5, -6 } end,
      {{0, 1, 2, -1, 4}, {5, -2, 7, 8, -3}, {10, 11, -4, 13, 14}, {-5, 16, 17, -6, 19}} },
    { "x[np.array([True, False, True, True])] = [[-1], [-2], [-3]]", function(x, A) x[ht.array({ true, false, true, true })] = A{ { -1 }, { -2 }, { -3 } } end,
      {{-1, -1, -1, -1, -1}, {5, 6, 7, 8, 9}, {-2, -2, -2, -2, -2}, {-3, -3, -3, -3, -3}} },
    { "x[:, np.array([True, False, True, False, True])] = [[-1, -2, -3]]", function(x, A) x[{ ht.all, ht.array({ true, false, true, false, true }) }] = A{ { -1, -2, -3 } } end,
      {{-1, 1, -2, 3, -3}, {-1, 6, -2, 8, -3}, {-1, 11, -2, 13, -3}, {-1, 16, -2, 18, -3}} },
    { "x[np.array([3, 0])] = -np.arange(10).reshape(2, 5)", function(x, A) x[ht.array({ 3, 0 })] = A{ { 0, -1, -2, -3, -4 }, { -5, -6, -7, -8, -9 } } end,
      {{-5, -6, -7, -8, -9}, {5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}, {0, -1, -2, -3, -4}} },
    { "x[np.array([3, 0])] = -1", function(x, A) x[ht.array({ 3, 0 })] = -1 end,
      {{-1, -1, -1, -1, -1}, {5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}, {-1, -1, -1, -1, -1}} },
    { "x[:, np.array([4, 0])] = [[-1, -2], [-3, -4], [-5, -6], [-7, -8]]", function(x, A) x[{ ht.all, ht.array({ 4, 0 }) }] = A{ { -1, -2 }, { -3, -4 }, { -5, -6 }, { -7, -8 } } end,
      {{-2, 1, 2, 3, -1}, {-4, 6, 7, 8, -3}, {-6, 11, 12, 13, -5}, {-8, 16, 17, 18, -7}} },
    })
  end)

  it("writes a 3-d array", function()
    check_set({ 3, 4, 5 }, {
    { "x[x > 30] = -1", function(x, A) x[x:gt(30)] = -1 end,
      {{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}, {15, 16, 17, 18, 19}}, {{20, 21, 22, 23, 24}, {25, 26, 27, 28, 29}, {30, -1, -1, -1, -1}, {-1, -1, -1, -1, -1}}, {{-1, -1, -1, -1, -1}, {-1, -1, -1, -1, -1}, {-1, -1, -1, -1, -1}, {-1, -1, -1, -1, -1}}} },
    { "x[x % 7 == 0] = -np.arange(9)", function(x, A) x[x:mod(7):eq(0)] = A{ 0, -1, -2, -3, -4, -5, -6, -7, -8 } end,
      {{{0, 1, 2, 3, 4}, {5, 6, -1, 8, 9}, {10, 11, 12, 13, -2}, {15, 16, 17, 18, 19}}, {{20, -3, 22, 23, 24}, {25, 26, 27, -4, 29}, {30, 31, 32, 33, 34}, {-5, 36, 37, 38, 39}}, {{40, 41, -6, 43, 44}, {45, 46, 47, 48, -7}, {50, 51, 52, 53, 54}, {55, -8, 57, 58, 59}}} },
    { "x[:, (x % 3 == 0)[0]] = -np.arange(21).reshape(3, 7)", function(x, A) x[{ ht.all, x:mod(3):eq(0)[0] }] = A{ { 0, -1, -2, -3, -4, -5, -6 }, { -7, -8, -9, -10, -11, -12, -13 }, { -14, -15, -16, -17, -18, -19, -20 } } end,
      {{{0, 1, 2, -1, 4}, {5, -2, 7, 8, -3}, {10, 11, -4, 13, 14}, {-5, 16, 17, -6, 19}}, {{-7, 21, 22, -8, 24}, {25, -9, 27, 28, -10}, {30, 31, -11, 33, 34}, {-12, 36, 37, -13, 39}}, {{-14, 41, 42, -15, 44}, {45, -16, 47, 48, -17}, {50, 51, -18, 53, 54}, {-19, 56, 57, -20, 59}}} },
    { "x[0, :, np.array([1, 2])] = [[-1, -2, -3, -4], [-5, -6, -7, -8]]", function(x, A) x[{ 0, ht.all, ht.array({ 1, 2 }) }] = A{ { -1, -2, -3, -4 }, { -5, -6, -7, -8 } } end,
      {{{0, -1, -5, 3, 4}, {5, -2, -6, 8, 9}, {10, -3, -7, 13, 14}, {15, -4, -8, 18, 19}}, {{20, 21, 22, 23, 24}, {25, 26, 27, 28, 29}, {30, 31, 32, 33, 34}, {35, 36, 37, 38, 39}}, {{40, 41, 42, 43, 44}, {45, 46, 47, 48, 49}, {50, 51, 52, 53, 54}, {55, 56, 57, 58, 59}}} },
    { "x[::-1, 1:3, ::2] = -np.arange(18).reshape(3, 2, 3)", function(x, A) x['::-1, 1:3, ::2'] = A{ { { 0, -1, -2 }, { -3, -4, -5 } }, { { -6, -7, -8 }, { -9, -10, -11 } }, { { -12, -13, -14 }, { -15, -16, -17 } } } end,
      {{{0, 1, 2, 3, 4}, {-12, 6, -13, 8, -14}, {-15, 11, -16, 13, -17}, {15, 16, 17, 18, 19}}, {{20, 21, 22, 23, 24}, {-6, 26, -7, 28, -8}, {-9, 31, -10, 33, -11}, {35, 36, 37, 38, 39}}, {{40, 41, 42, 43, 44}, {0, 46, -1, 48, -2}, {-3, 51, -4, 53, -5}, {55, 56, 57, 58, 59}}} },
    { "x[1, ..., 2] = [-1, -2, -3, -4]", function(x, A) x['1, ..., 2'] = A{ -1, -2, -3, -4 } end,
      {{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}, {15, 16, 17, 18, 19}}, {{20, 21, -1, 23, 24}, {25, 26, -2, 28, 29}, {30, 31, -3, 33, 34}, {35, 36, -4, 38, 39}}, {{40, 41, 42, 43, 44}, {45, 46, 47, 48, 49}, {50, 51, 52, 53, 54}, {55, 56, 57, 58, 59}}} },
    })
  end)
end)

describe("the distribution of results (Heat's rules)", function()
  local x2 = function(split) return ht.array(nested({ 4, 5 }), { split = split, dtype = "int64" }) end

  it("keeps the split axis through slices, as a view with the selected rows' counts", function()
    local x = ht.array(nested({ 10 }), { split = 0, dtype = "int64" })
    local v = x[{ { 3, 9, 2 } }] -- x[3:9:2] = [3, 5, 7]
    T.assert_split(v, 0)
    T.assert_equal(v, { 3, 5, 7 })
    -- each rank holds the selected rows it owned: counts from the balanced blocks of 10
    local start = 0
    for r = 1, p do
      local n = math.floor(10 / p) + ((r - 1) < 10 % p and 1 or 0)
      local mine = 0
      for _, g in ipairs { 3, 5, 7 } do
        if g >= start and g < start + n then mine = mine + 1 end
      end
      assert.equal(mine, v.lshape_map[r][1])
      start = start + n
    end
  end)

  it("makes the result replicated when a number selects along the split axis", function()
    local r = x2(0)[2] -- x[2]
    T.assert_split(r, nil)
    T.assert_equal(r, { 10, 11, 12, 13, 14 })
    assert.same({ 5 }, r.lshape)
    r = x2(1)[{ ht.all, -1 }] -- x[:, -1]
    T.assert_split(r, nil)
    T.assert_equal(r, { 4, 9, 14, 19 })
    T.assert_equal(x2(0)[{ 3, 4 }], 19) -- x[3, 4]
  end)

  it("moves the split axis with the axes before it", function()
    T.assert_split(x2(1)[2], 0)                             -- x[2]: axis 1 becomes 0
    T.assert_split(x2(0)[{ ht.all, 2 }], 0)
    T.assert_split(x2(0)[ht.newaxis], 1)                    -- x[None]
    T.assert_split(x2(1)["None, :, None"], 3)               -- x[None, :, None]: (1, 4, 1, 5)
    T.assert_split(x2(0)[{ ht.array({ 1, 0 }) }], 0)        -- fancy rows: split stays
    T.assert_split(x2(1)[{ ht.array({ 1, 0 }) }], 1)
    T.assert_split(x2(0)[{ ht.all, ht.array({ 4, 0 }) }], 0)
    T.assert_split(x2(0)[x2(0):gt(3)], 0)                   -- a full mask: 1-d, split
    T.assert_split(x2(nil)[x2(nil):gt(3)], nil)
    T.assert_split(x2(1)[x2(1):gt(3)], 0)
    T.assert_split(x2(0)["::-1"], 0)                        -- reversed rows stay split
  end)

  it("splits a mask's selection by each rank's count, without moving rows", function()
    local x = x2(0)
    local r = x[x:mod(2):eq(0)] -- x[x % 2 == 0] = [0, 2, ..., 18]
    T.assert_equal(r, { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18 })
    -- each rank keeps the even numbers of its own rows: 5 columns give 3, 2, 3, 2 per row
    local per_row, row = { 3, 2, 3, 2 }, 0
    for q = 1, p do
      local want = 0
      for _ = 1, x.lshape_map[q][1] do
        row = row + 1
        want = want + per_row[row]
      end
      assert.equal(want, r.lshape_map[q][1])
    end
  end)

  it("reverses the split axis with the ranks' blocks in reverse order", function()
    local x = ht.array(nested({ 7 }), { split = 0, dtype = "int64" })
    local r = x["::-1"]
    T.assert_equal(r, { 6, 5, 4, 3, 2, 1, 0 }) -- x[::-1]
    for q = 1, p do assert.equal(x.lshape_map[p + 1 - q][1], r.lshape_map[q][1]) end
  end)
end)

describe("views", function()
  it("share memory with their base (writes through slices reach it)", function()
    for _, split in ipairs { -1, 0, 1 } do
      local x = ht.array(nested({ 4, 5 }), { split = split >= 0 and split or nil, dtype = "int64" })
      x[{ { 1, 3 } }][0] = 99               -- x[1:3][0] = 99, the same as x[1] = 99
      x[{ ht.all, { 4 } }][{ { nil, nil, 2 } }] = -1 -- x[:, 4:][::2] = -1 (x[0, 4], x[2, 4])
      x["1:, ::2"]["-1"] = -7               -- x[1:, ::2][-1] = -7, the same as x[3, ::2]
      T.assert_equal(x, { { 0, 1, 2, 3, -1 }, { 99, 99, 99, 99, 99 },
                          { 10, 11, 12, 13, -1 }, { -7, 16, -7, 18, -7 } })
    end
  end)

  it("are copies where a number selects along the split axis (Heat)", function()
    local x = ht.array(nested({ 4, 5 }), { split = 1, dtype = "int64" })
    local col = x[{ ht.all, 4 }] -- x[:, 4]: one rank owns column 4 and broadcasts it
    col[0] = -1
    T.assert_equal(col, { -1, 9, 14, 19 })
    T.assert_equal(x[{ 0, 4 }], 4)
    local y = ht.array(nested({ 4, 5 }), { split = 0, dtype = "int64" })
    y[{ ht.all, 4 }][0] = -1 -- along another axis it is a view, as in NumPy
    T.assert_equal(y[{ 0, 4 }], -1)
  end)

  it("of views read the right rows of an unbalanced chunk", function()
    -- 5 rows at up to 4 ranks, rows 3:5 live on the last ranks only
    local x = ht.arange(5, { split = 0 })
    local v = x[{ { 3, 5 } }]
    T.assert_equal(v, { 3, 4 })
    T.assert_equal(v[1], 4)
    T.assert_equal(v[-2], 3)
    T.assert_equal(v["::-1"], { 4, 3 })
    T.assert_equal(v[v:gt(3)], { 4 })
    T.assert_equal(v[ht.array({ 1, 0, 1 })], { 4, 3, 4 })
    v[ht.array({ 1 })] = 40
    v[0] = 30
    T.assert_equal(x, { 0, 1, 2, 30, 40 })
  end)
end)

describe("empty selections and empty local chunks", function()
  it("handles 2 rows on more ranks", function()
    local x = ht.array({ { 1, 2 }, { 3, 4 } }, { split = 0 })
    T.assert_equal(x[1], { 3, 4 })
    T.assert_equal(x[{ { 1 } }], { { 3, 4 } })
    T.assert_equal(x["::-1"], { { 3, 4 }, { 1, 2 } })
    x[{ ht.all, 0 }] = ht.array({ -1, -3 }, { split = 0 })
    T.assert_equal(x, { { -1, 2 }, { -3, 4 } })
  end)

  it("gives empty results with the right shape", function()
    local x = ht.array(nested({ 4, 5 }), { split = 0, dtype = "int64" })
    T.assert_shape(x[{ { 2, 2 } }], { 0, 5 })        -- x[2:2]
    T.assert_shape(x[x:gt(100)], { 0 })              -- x[x > 100]
    T.assert_shape(x[{ ht.all, x[0]:gt(100) }], { 4, 0 })
    T.assert_shape(x[ht.array({}, { dtype = "int64" })], { 0, 5 })
    local z = ht.zeros({ 0, 3 }, { split = 0 })
    T.assert_shape(z["::-1"], { 0, 3 })
    T.assert_shape(z[{ ht.all, 1 }], { 0 })
    z[{ ht.all, 1 }] = 5 -- nothing to write
    x[x:gt(100)] = 5
    x[{ { 2, 2 } }] = ht.zeros({ 0, 5 })
    T.assert_equal(x, nested({ 4, 5 }))
  end)
end)

describe("dtypes", function()
  it("keep the array's dtype and cast assigned values like NumPy", function()
    local f = ht.array({ 0.5, 1.5, 2.5 }, { dtype = "float32", split = 0 })
    T.assert_dtype(f[{ { 1 } }], "float32")
    T.assert_dtype(f[f:gt(1)], "float32")
    T.assert_dtype(f[ht.array({ 2, 0 })], "float32")
    f[0] = 1 / 3
    T.assert_allclose(f[0], 0.3333333432674408, 0, 0) -- np.float32(1/3)
    local i = ht.array({ 0, 0, 0 }, { dtype = "int64", split = 0 })
    i[{ { 0, 2 } }] = ht.array({ 2.7, -2.7 }, { dtype = "float64" })
    T.assert_equal(i, { 2, -2, 0 })                     -- numpy truncates toward zero
    local d = ht.zeros(3, { dtype = "float64", split = 0 })
    d[{ { 0, 2 } }] = { 0.1, 0.2 } -- a Lua table converts straight to float64, as in NumPy
    assert.equal(0.1, d[0]:item())
    assert.equal(0.2, d[1]:item())
    local b = ht.array({ false, false, false }, { split = 0 })
    b[1] = 5
    T.assert_dtype(b, "bool")
    T.assert_equal(b, { false, true, false })
    for _, t in ipairs { "uint8", "int8", "int16", "int32", "int64", "float64" } do
      local x = ht.array(nested({ 3, 4 }), { split = 0, dtype = t })
      -- x[np.array([2, 0])] and x[x > 6] of np.arange(12).reshape(3, 4)
      T.assert_equal(x[ht.array({ 2, 0 }, { dtype = "int32" })], { { 8, 9, 10, 11 }, { 0, 1, 2, 3 } })
      T.assert_equal(x[x:gt(6)], { 7, 8, 9, 10, 11 })
      T.assert_dtype(x[x:gt(6)], t)
    end
  end)

  it("accept every integer dtype as index arrays", function()
    local x = ht.array(nested({ 6 }), { split = 0, dtype = "int64" })
    for _, t in ipairs { "uint8", "int8", "int16", "int32", "int64" } do
      T.assert_equal(x[ht.array({ 5, 1 }, { dtype = t })], { 5, 1 }) -- x[[5, 1]]
    end
  end)
end)

describe("index arrays and masks of any distribution", function()
  it("reads and writes with split index arrays", function()
    for _, xs in ipairs { -1, 0 } do
      for _, is in ipairs { -1, 0 } do
        local x = ht.array(nested({ 6, 2 }), { split = xs >= 0 and xs or nil, dtype = "int64" })
        local idx = ht.array({ 5, 0, 5, 2 }, { split = is >= 0 and is or nil })
        -- x[[5, 0, 5, 2]] of np.arange(12).reshape(6, 2)
        T.assert_equal(x[idx], { { 10, 11 }, { 0, 1 }, { 10, 11 }, { 4, 5 } })
        x[ht.array({ 4, 1 }, { split = is >= 0 and is or nil })] = ht.array({ { -1, -2 }, { -3, -4 } }, { split = 0 })
        T.assert_equal(x[{ { 1, 5, 3 } }], { { -3, -4 }, { -1, -2 } }) -- x[1:5:3] after x[[4, 1]] = ...
      end
    end
  end)

  it("reads and writes with masks split differently from the array", function()
    local ref = { 3, 4, 5, 6, 7, 8, 9, 10, 11 } -- x[x > 2] of np.arange(12).reshape(3, 4)
    for _, xs in ipairs { -1, 0, 1 } do
      for _, ms in ipairs { -1, 0, 1 } do
        local x = ht.array(nested({ 3, 4 }), { split = xs >= 0 and xs or nil, dtype = "int64" })
        local m = x:gt(2):resplit(ms >= 0 and ms or nil)
        T.assert_equal(x[m], ref)
        x[m] = x[m]:mul(-1)
        T.assert_equal(x, { { 0, 1, 2, -3 }, { -4, -5, -6, -7 }, { -8, -9, -10, -11 } })
      end
    end
  end)

  it("takes masks from comparisons of float data", function()
    local x = ht.array({ { -1.5, 2 }, { 0, 3.25 }, { -0.5, 1 } }, { split = 0 })
    T.assert_equal(x[x:gt(0)], { 2, 3.25, 1 }) -- x[x > 0]
    x[x:lt(0)] = 0                                 -- x[x < 0] = 0
    T.assert_equal(x, { { 0, 2 }, { 0, 3.25 }, { 0, 1 } })
  end)
end)

describe("masks over chunks larger than the threads' pieces", function()
  -- x = np.arange(524325); r = x[x % 7 == 3]: len(r) 74904, r[0] 3, r[-1] 524324,
  -- r.sum() 19637094804
  local n = 524325
  for _, dt in ipairs { "float32", "float64", "int32", "int64", "int16" } do
    it("select every seventh element of " .. dt .. " in order", function()
      local x = ht.arange(n, { split = 0, dtype = dt })
      if dt == "int16" then x = ht.arange(n, { split = 0 }):mod(7):astype(dt) end
      local r = x[x:mod(7):eq(3)]
      assert.same({ 74904 }, r.shape)
      T.assert_split(r, 0)
      if dt == "int16" then
        T.assert_equal(r:astype("int64"):sum(), 3 * 74904) -- every selected value is 3
      else
        T.assert_equal(r[{ { 0, 2 } }], { 3, 10 })
        T.assert_equal(r[-1], 524324)
        T.assert_equal(r:astype("float64"):sum(), 19637094804)
      end
    end)
  end

  it("give an empty result for an all-false mask and keep ranks with no rows", function()
    local x = ht.arange(n, { split = 0, dtype = "float32" })
    local e = x[x:lt(-1)]
    assert.same({ 0 }, e.shape)
    local v = x[{ { n - 2, n } }] -- x[n-2:] leaves ranks with no rows
    T.assert_equal(v[v:gt(0)], { n - 2, n - 1 })
  end)

  it("read a non-contiguous view", function()
    local y = ht.arange(54, { split = 0 }):reshape({ 9, 6 })[{ ht.all, { 0, 6, 2 } }]
    -- y = np.arange(54).reshape(9, 6)[:, ::2]; y[y % 4 == 0]
    T.assert_equal(y[y:mod(4):eq(0)], { 0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52 })
  end)
end)

describe("getitem and setitem functions", function()
  it("are ht.getitem and ht.setitem too", function()
    local x = ht.array(nested({ 4 }), { split = 0, dtype = "int64" })
    T.assert_equal(ht.getitem(x, "1:3"), { 1, 2 })
    assert.equal(x, ht.setitem(x, { { 2 } }, 9))
    T.assert_equal(x, { 0, 1, 9, 9 })
    T.assert_equal(x:__getitem(-1), 9)
  end)
end)

describe("errors", function()
  local x = ht.array(nested({ 5 }), { split = 0, dtype = "int64" })
  local y = ht.zeros({ 2, 3 }, { split = 1 })

  it("name the axis, the index and the length of out-of-range indices", function()
    T.assert_error(function() return x[5] end, "ht.getitem: index 5 is out of bounds for axis 0 with size 5")
    T.assert_error(function() return y[{ 0, -4 }] end, "ht.getitem: index -4 is out of bounds for axis 1 with size 3")
    T.assert_error(function() return x[ht.array({ 1, 7 })] end, "ht.getitem: index 7 is out of bounds for axis 0 with size 5")
    T.assert_error(function() return y[{ ht.all, ht.array({ -4 }) }] end, "ht.getitem: index -4 is out of bounds for axis 1 with size 3")
    T.assert_error(function() x[-6] = 1 end, "ht.setitem: index -6 is out of bounds for axis 0 with size 5")
    T.assert_error(function() x[ht.array({ 5 })] = 1 end, "ht.setitem: index 5 is out of bounds for axis 0 with size 5")
    T.assert_error(function() return y[{ 0, 1.5 }] end, "ht.getitem: index 1.5 for axis 1 with size 3 is not an integer")
  end)

  it("use NumPy's words for masks of the wrong shape and too many indices", function()
    T.assert_error(function() return x[ht.array({ true, false, true, true })] end,
                   "ht.getitem: boolean index did not match indexed array along axis 0; size of axis is 5 but size of corresponding boolean axis is 4")
    T.assert_error(function() return y[{ ht.all, ht.array({ true, false }) }] end,
                   "ht.getitem: boolean index did not match indexed array along axis 1; size of axis is 3 but size of corresponding boolean axis is 2")
    T.assert_error(function() return y[{ 0, 0, 0 }] end,
                   "ht.getitem: too many indices for array: array is 2-dimensional, but 3 were indexed")
    T.assert_error(function() return y["..., ..."] end, "ht.getitem: an index can only have a single ellipsis ('...')")
    T.assert_error(function() return x["::0"] end, "ht.getitem: slice step cannot be zero")
    T.assert_error(function() return x[{ { 1, 2, 0 } }] end, "ht.getitem: slice step cannot be zero")
    T.assert_error(function() return x[ht.array({ 1.0, 2.5 })] end,
                   "ht.getitem: arrays used as indices must be of integer (or boolean) type, got float32")
  end)

  it("reject values that do not broadcast, with NumPy's words", function()
    T.assert_error(function() x[{ { 1, 3 } }] = ht.array({ 1, 2, 3 }) end,
                   "ht.setitem: could not broadcast input array from shape (3,) into shape (2,)")
    T.assert_error(function() x[ht.array({ 1, 2 })] = ht.array({ 1, 2, 3 }) end,
                   "ht.setitem: shape mismatch: value array of shape (3,) could not be broadcast to indexing result of shape (2,)")
    T.assert_error(function() y[0] = ht.zeros({ 2, 3 }) end,
                   "ht.setitem: could not broadcast input array from shape (2, 3) into shape (3,)")
  end)

  it("reject keys that are not indices", function()
    T.assert_error(function() return x[true] end, "ht.getitem: a boolean is not an index")
    T.assert_error(function() return x["1:2:3:4"] end, "ht.getitem: cannot parse index string '1:2:3:4'")
    T.assert_error(function() return x[{ { 1.5 } }] end, "ht.getitem: slice indices must be integers or nil, got 1.5")
    T.assert_error(function() return x[{ { 1, 2, 3, 4 } }] end, "ht.getitem: a slice table has at most 3 entries")
    T.assert_error(function() return x[{ ht.array({ 1 }), ht.array({ 2 }) }] end,
                   "ht.getitem: only one integer or boolean array per index is supported, got 2")
    T.assert_error(function() return x[{ { start = 1 } }] end,
                   "ht.getitem: a slice table {start, stop, step} has a field 'start'")
    T.assert_error(function() return x[{ 0, nil, 1 }] end, "ht.getitem: item 2 of the index is nil")
    T.assert_error(function() return x.nosuchfield end, "ht.Array has no field or method 'nosuchfield'")
  end)
end)
