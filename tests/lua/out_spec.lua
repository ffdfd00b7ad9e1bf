-- NumPy's out= on elementwise functions and reductions: the result lands in z's buffer and
-- z is returned, aliasing an input works, no array is allocated, and a z of the wrong
-- shape, dtype or split is a clear error on every rank. Expected values are NumPy's, on
-- x = np.array(X) and y = np.array(Y) below (expressions named next to each value).
local ht = require "heat"
local core = require "heat.core"
local T = require "heat.testing"

local X = { { 1.5, -2.0, 3.25 }, { 0.5, 4.0, -1.0 }, { 2.0, 2.5, 0.0 }, { -3.0, 1.0, 5.5 },
            { 0.25, -0.75, 1.0 } }
local Y = { 1.0, 2.0, -0.5 }

local function live()
  collectgarbage()
  collectgarbage()
  return core._bytes_live()
end

describe("out= on elementwise functions", function()
  local x, y
  before_each(function()
    x = ht.array(X, { dtype = ht.float64, split = 0 }) -- 5 rows: unbalanced at 2, 3, 4 ranks
    y = ht.array(Y, { dtype = ht.float64 })
  end)

  it("writes the result into z and returns z", function()
    local z = ht.empty({ 5, 3 }, { dtype = ht.float64, split = 0 })
    local r = ht.add(x, y, { out = z })
    assert.is_true(rawequal(r, z))
    -- (x + y).tolist()
    T.assert_equal(z, { { 2.5, 0.0, 2.75 }, { 1.5, 6.0, -1.5 }, { 3.0, 4.5, -0.5 },
                        { -2.0, 3.0, 5.0 }, { 1.25, 1.25, 0.5 } })
    T.assert_split(z, 0)
    assert.is_true(rawequal(x:mul(y, { out = z }), z)) -- the method form too
    -- (x * y).tolist()
    T.assert_equal(z, { { 1.5, -4.0, -1.625 }, { 0.5, 8.0, 0.5 }, { 2.0, 5.0, -0.0 },
                        { -3.0, 2.0, -2.75 }, { 0.25, -1.5, -0.5 } })
    ht.div(x, y, { out = z })
    -- (x / y).tolist()
    T.assert_equal(z, { { 1.5, -1.0, -6.5 }, { 0.5, 2.0, 2.0 }, { 2.0, 1.25, -0.0 },
                        { -3.0, 0.5, -11.0 }, { 0.25, -0.375, -2.0 } })
    ht.pow(x, 2, { out = z })
    -- (x ** 2).tolist()
    T.assert_equal(z, { { 2.25, 4.0, 10.5625 }, { 0.25, 16.0, 1.0 }, { 4.0, 6.25, 0.0 },
                        { 9.0, 1.0, 30.25 }, { 0.0625, 0.5625, 1.0 } })
  end)

  it("unary math and where", function()
    local z = ht.zeros({ 5, 3 }, { dtype = ht.float64, split = 0 })
    assert.is_true(rawequal(ht.sqrt(ht.abs(x, { out = z }), { out = z }), z))
    -- np.sqrt(np.abs(x)).tolist()
    T.assert_allclose(z, { { 1.224744871391589, 1.4142135623730951, 1.8027756377319946 },
                           { 0.7071067811865476, 2.0, 1.0 },
                           { 1.4142135623730951, 1.5811388300841898, 0.0 },
                           { 1.7320508075688772, 1.0, 2.345207879911715 },
                           { 0.5, 0.8660254037844386, 1.0 } }, 1e-15)
    local f = ht.zeros({ 5, 3 }, { split = 0 })
    x:astype(ht.float32):exp({ out = f })
    -- np.exp(x.astype(np.float32)).tolist()
    T.assert_allclose(f, { { 4.481688976287842, 0.1353352814912796, 25.790340423583984 },
                           { 1.6487212181091309, 54.598148345947266, 0.3678794205188751 },
                           { 7.3890557289123535, 12.182493209838867, 1.0 },
                           { 0.049787066876888275, 2.7182819843292236, 244.69192504882812 },
                           { 1.2840255498886108, 0.4723665416240692, 2.7182819843292236 } }, 1e-6)
    assert.is_true(rawequal(ht.where(x:gt(1), x, -x, { out = z }), z))
    -- np.where(x > 1, x, -x).tolist()
    T.assert_equal(z, { { 1.5, 2.0, 3.25 }, { -0.5, 4.0, 1.0 }, { 2.0, 2.5, -0.0 },
                        { 3.0, -1.0, 5.5 }, { -0.25, 0.75, -1.0 } })
  end)

  it("aliasing z with an input: x = ht.add(x, y, {out = x})", function()
    local before = x
    x = ht.add(x, y, { out = x })
    assert.is_true(rawequal(x, before))
    T.assert_equal(x, { { 2.5, 0.0, 2.75 }, { 1.5, 6.0, -1.5 }, { 3.0, 4.5, -0.5 },
                        { -2.0, 3.0, 5.0 }, { 1.25, 1.25, 0.5 } }) -- (x + y).tolist()
    ht.sub(x, y, { out = x })
    T.assert_equal(x, X) -- (x + y - y) is x exactly: the values are dyadic
    local sq = ht.array({ { 1, 2 }, { 3, 4 } }, { dtype = ht.float64 })
    ht.add(sq, sq.T, { out = sq }) -- overlapping another way: read before written
    T.assert_equal(sq, { { 2, 5 }, { 5, 8 } }) -- a + a.T
  end)

  it("allocates no array when z has the result's dtype", function()
    local z = ht.empty({ 5, 3 }, { dtype = ht.float64, split = 0 })
    local s = ht.empty({ 3 }, { dtype = ht.float64 })
    local b0 = live()
    ht.add(x, y, { out = z })
    ht.exp(z, { out = z })
    ht.sum(x, 0, { out = s })
    ht.var(x, 0, { out = s })
    assert.are.equal(b0, core._bytes_live())
    local kept = ht.add(x, y) -- the plain form does allocate: the counter can tell
    assert.is_true(core._bytes_live() > b0)
    kept = nil -- luacheck: ignore
  end)

  it("casts into a z of another dtype of the same kind", function()
    local i = ht.arange(15, { dtype = ht.int32, split = 0 }):reshape({ 5, 3 })
    local z = ht.empty({ 5, 3 }, { dtype = ht.float64, split = 0 })
    ht.add(i, i, { out = z })
    T.assert_dtype(z, ht.float64)
    -- (i + i).tolist(), i = np.arange(15, dtype=np.int32).reshape(5, 3)
    T.assert_equal(z, { { 0, 2, 4 }, { 6, 8, 10 }, { 12, 14, 16 }, { 18, 20, 22 }, { 24, 26, 28 } })
    local f32 = ht.empty({ 5, 3 }, { dtype = ht.float32, split = 0 })
    ht.mul(x, y, { out = f32 }) -- float64 into float32: same kind
    T.assert_equal(f32, { { 1.5, -4.0, -1.625 }, { 0.5, 8.0, 0.5 }, { 2.0, 5.0, -0.0 },
                          { -3.0, 2.0, -2.75 }, { 0.25, -1.5, -0.5 } })
  end)

  it("follows z's counts and ranks that own no rows", function()
    -- 4 rows of x sliced from the second: unbalanced; z balanced over the same 4 rows
    local xs = x[{ { 1, 5 } }]
    local z = ht.empty({ 4, 3 }, { dtype = ht.float64, split = 0 })
    ht.add(xs, y, { out = z })
    T.assert_equal(z, { { 1.5, 6.0, -1.5 }, { 3.0, 4.5, -0.5 }, { -2.0, 3.0, 5.0 },
                        { 1.25, 1.25, 0.5 } }) -- (x[1:] + y).tolist()
    -- two rows on up to four ranks
    local two = ht.array({ X[1], X[2] }, { dtype = ht.float64, split = 0 })
    local z2 = ht.zeros({ 2, 3 }, { dtype = ht.float64, split = 0 })
    ht.sub(two, y, { out = z2 })
    T.assert_equal(z2, { { 0.5, -4.0, 3.75 }, { -0.5, 2.0, -0.5 } }) -- (x - y)[:2].tolist()
  end)

  it("rejects a z of the wrong shape, dtype or split, naming them", function()
    T.assert_error(function() ht.add(x, y, { out = ht.empty({ 5, 2 }, { dtype = ht.float64, split = 0 }) }) end,
      "ht.add: out has shape (5, 2), dtype float64 and split 0; the result has shape (5, 3), " ..
      "dtype float64 and split 0: shapes differ")
    T.assert_error(function() ht.add(x, y, { out = ht.empty({ 5, 3 }, { dtype = ht.float64 }) }) end,
      "split None; the result has shape (5, 3), dtype float64 and split 0: splits differ")
    T.assert_error(function() ht.add(x, y, { out = ht.empty({ 5, 3 }, { dtype = ht.int64, split = 0 }) }) end,
      "cannot be cast to out's (casting='same_kind')")
    -- np.add(np.int8(1), np.int8(1), out=np.empty(1, np.uint8)): signed to unsigned is not same_kind
    local i8 = ht.ones({ 2 }, { dtype = ht.int8 })
    T.assert_error(function() ht.add(i8, i8, { out = ht.empty({ 2 }, { dtype = ht.uint8 }) }) end,
      "dtype uint8 and split None; the result has shape (2,), dtype int8")
    T.assert_error(function() ht.exp(x, { out = 3 }) end, "ht.exp: out must be an array, got number")
    T.assert_error(function() ht.exp(x, { out = x, outt = 1 }) end, "ht.exp: unknown option 'outt'")
    T.assert_error(function() ht.where(x:gt(0), x, y, { out = x:astype(ht.int32) }) end, "ht.where: out has")
    T.assert_error(function() ht.exp(x, 2) end, "ht.exp: takes one operand, got 2 arguments")
  end)
end)

describe("out= on reductions", function()
  local x
  before_each(function() x = ht.array(X, { dtype = ht.float64, split = 0 }) end)

  it("sum, mean, var, std, min, max, prod along an axis", function()
    local c = ht.empty({ 3 }, { dtype = ht.float64 }) -- axis 0 crosses the split: replicated
    local r = ht.empty({ 5 }, { dtype = ht.float64, split = 0 }) -- axis 1 keeps it
    assert.is_true(rawequal(ht.sum(x, 0, { out = c }), c))
    T.assert_equal(c, { 1.25, 4.75, 8.75 }) -- x.sum(0)
    assert.is_true(rawequal(x:sum(1, { out = r }), r))
    T.assert_equal(r, { 2.75, 3.5, 4.5, 3.5, 0.5 }) -- x.sum(1)
    ht.mean(x, { axis = 0, out = c })
    T.assert_allclose(c, { 0.25, 0.95, 1.75 }, 1e-15) -- x.mean(0)
    ht.var(x, 0, { out = c })
    T.assert_allclose(c, { 3.05, 4.66, 5.5 }, 1e-15) -- x.var(0)
    ht.std(x, 1, { ddof = 1, out = r })
    -- x.std(1, ddof=1)
    T.assert_allclose(r, { 2.673169155390907, 2.565800719723442, 1.3228756555322954,
                           4.252450274057692, 0.8779711460710615 }, 1e-15)
    ht.min(x, 0, { out = c })
    T.assert_equal(c, { -3.0, -2.0, -1.0 }) -- x.min(0)
    ht.max(x, 1, { out = r })
    T.assert_equal(r, { 3.25, 4.0, 2.5, 5.5, 1.0 }) -- x.max(1)
    ht.prod(x, 0, { out = c })
    T.assert_equal(c, { -1.125, 15.0, -0.0 }) -- x.prod(0)
    local k = ht.empty({ 5, 1 }, { dtype = ht.float64, split = 0 })
    ht.var(x, 1, { keepdims = true, out = k })
    -- x.var(1, keepdims=True)
    T.assert_allclose(k, { { 4.763888888888889 }, { 4.388888888888889 }, { 1.1666666666666667 },
                           { 12.055555555555557 }, { 0.5138888888888888 } }, 1e-15)
    local s = ht.empty({}, { dtype = ht.float64 })
    ht.sum(x, { out = s })
    assert.are.equal(14.75, s:item()) -- x.sum()
  end)

  it("argmin and argmax", function()
    local r = ht.empty({ 5 }, { dtype = ht.int64, split = 0 })
    assert.is_true(rawequal(ht.argmin(x, 1, { out = r }), r))
    T.assert_equal(r, { 1, 2, 2, 0, 1 }) -- x.argmin(1)
    local c = ht.empty({ 3 }, { dtype = ht.int64 })
    x:argmax(0, { out = c })
    T.assert_equal(c, { 2, 1, 3 }) -- x.argmax(0)
    T.assert_error(function() x:argmax(0, { out = ht.empty({ 3 }, { dtype = ht.int32 }) }) end,
      "ht.argmax: out has shape (3,), dtype int32 and split None; the result has shape (3,), " ..
      "dtype int64 and split None: out must have the result's dtype") -- NumPy: safe casting only
  end)

  it("casts, follows z's counts, and aliases the input", function()
    local f32 = ht.empty({ 3 }, { dtype = ht.float32 })
    ht.mean(x, 0, { out = f32 })
    -- x.astype(np.float32).mean(0): the float64 mean rounded to float32 gives the same
    T.assert_equal(f32, { 0.25, 0.949999988079071, 1.75 })
    local i = ht.arange(15, { dtype = ht.int32, split = 0 }):reshape({ 5, 3 })
    local f = ht.empty({ 3 }, { dtype = ht.float64 })
    ht.sum(i, 0, { out = f })
    T.assert_equal(f, { 30, 35, 40 }) -- np.arange(15).reshape(5, 3).sum(0)
    local xs = x[{ { 1, 5 } }] -- unbalanced rows; z balanced
    local r = ht.empty({ 4 }, { dtype = ht.float64, split = 0 })
    ht.sum(xs, 1, { out = r })
    T.assert_equal(r, { 3.5, 4.5, 3.5, 0.5 }) -- x[1:].sum(1)
    local col = ht.array({ { 1 }, { 2 }, { 3 } }, { dtype = ht.float64, split = 0 })
    ht.sum(col, 1, { keepdims = true, out = col }) -- z is the input
    T.assert_equal(col, { { 1 }, { 2 }, { 3 } })
    T.assert_error(function() ht.sum(x, 1, { out = ht.empty({ 5 }, { dtype = ht.float64 }) }) end,
      "ht.sum: out has shape (5,), dtype float64 and split None; the result has shape (5,), " ..
      "dtype float64 and split 0: splits differ")
    T.assert_error(function() ht.mean(x, 0, { out = ht.empty({ 3 }, { dtype = ht.int64 }) }) end,
      "ht.mean: out has shape (3,), dtype int64")
  end)
end)
