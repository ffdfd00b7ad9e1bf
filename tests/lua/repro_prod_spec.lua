-- Reproducible float prod (issue 13): the product over an axis is the pairwise tree over
-- the global index along it (docs/reliability.md), so the bits are the same at every rank
-- count and split, with ranks that own no rows and after slicing along the split axis.
-- Expected values: `tree` below, written from the definition, and literals from Python
-- (the same generator; tree(t) = the same recursion in Python, named at each literal).
local ht = require "heat"

-- Park-Miller: exact in doubles, so every build makes the same data
local function near1(seed, n)
  local s, t = seed, {}
  for i = 1, n do
    s = s * 16807 % 2147483647
    t[i] = 1 + (s / 2147483647 - 0.5) * 1e-3
  end
  return t
end

-- node [a, a + size) of the tree over [0, 2^K): left * right, or just the left child
-- when the right one lies wholly at or beyond n
local function tree(t)
  local n = #t
  if n == 0 then return 1 end
  local size = 1
  while size < n do size = size * 2 end
  local function node(a, sz)
    if sz == 1 then return t[a + 1] end
    local h = sz / 2
    if a + h >= n then return node(a, h) end
    return node(a, h) * node(a + h, h)
  end
  return node(0, size)
end

local function seq(t)
  local p = 1
  for i = 1, #t do p = p * t[i] end
  return p
end

local function bits_eq(want, got, what)
  assert(want == got, string.format("%s: want %.17g, got %.17g", what, want, got))
end

local function column(m, j)
  local c = {}
  for i = 1, #m do c[i] = m[i][j] end
  return c
end

describe("reproducible prod", function()
  local t = near1(42, 1000)
  it("the data tell the tree from a running product", function()
    -- tree(t) = 0.9834749952265321, math.prod(t) = np.prod(t) = 0.9834749952265344
    bits_eq(0.9834749952265321, tree(t), "tree")
    bits_eq(0.9834749952265344, seq(t), "seq")
  end)
  for _, split in ipairs { 0, false } do
    local sp = split or nil
    local tag = "split=" .. tostring(sp)
    it("float64 1-d follows the tree, " .. tag, function()
      local x = ht.array(t, { dtype = ht.float64, split = sp })
      bits_eq(0.9834749952265321, x:prod():item(), "prod()")
      bits_eq(tree(t), ht.prod(x, 0):item(), "prod(0)")
    end)
    it("float32 multiplies in double and rounds once, " .. tag, function()
      local x = ht.array(t, { dtype = ht.float32, split = sp })
      local p = x:prod()
      assert.are.equal(ht.float32, p.dtype)
      -- float32(tree(float32(t))) in Python
      bits_eq(0.9834756851196289, p:item(), "prod float32")
    end)
    it("unbalanced counts after a slice, " .. tag, function()
      local x = ht.array(t, { dtype = ht.float64, split = sp })[{ { 100, 1000 } }]
      local rest = {}
      for i = 101, 1000 do rest[#rest + 1] = t[i] end
      -- tree(t[100:]) = 0.985069830874589 (math.prod: 0.9850698308745912)
      bits_eq(0.985069830874589, x:prod():item(), "slice")
      bits_eq(tree(rest), x:prod(0):item(), "slice tree")
    end)
  end
  for _, split in ipairs { 0, 1, false } do
    local sp = split or nil
    local tag = "split=" .. tostring(sp)
    it("(600, 3) along axis 0, axis 1 and all, " .. tag, function()
      local u = near1(7, 1800)
      local m = ht.array(u, { dtype = ht.float64 }):reshape { 600, 3 }
      if sp then m = m:resplit(sp) end
      local rows = m:totable()
      local p0 = m:prod(0):totable()
      -- [tree(m[:, j]) for j in 0..2]; math.prod differs for j = 1, 2
      local want = { 1.0185843133269945, 1.000831648539378, 1.0002344823411882 }
      for j = 1, 3 do
        bits_eq(want[j], p0[j], "axis 0 col " .. j)
        bits_eq(tree(column(rows, j)), p0[j], "axis 0 tree col " .. j)
      end
      local p1 = m:prod(1):totable()
      bits_eq(0.9997098629304225, p1[1], "axis 1 row 0") -- tree(m[0])
      bits_eq(1.0008992460786919, p1[600], "axis 1 row 599") -- tree(m[599])
      for i = 1, 600, 37 do bits_eq(tree(rows[i]), p1[i], "axis 1 row " .. (i - 1)) end
      -- all axes: the tree over the flattened C order, tree(u) (math.prod: ...565)
      bits_eq(1.0196704561488563, m:prod():item(), "all")
      bits_eq(tree(u), m:prod { axis = { 0, 1 } }:item(), "axes 0, 1")
    end)
  end
  -- sizes around the SIMD kernel's full nodes (64, 512, 4096 factors: cpu/prod_tree.c),
  -- whole and sliced from an unaligned start, so that rank boundaries cut nodes
  it("1-d around full nodes of 64 and 512, whole and sliced, float64 and float32", function()
    for _, n in ipairs { 1, 63, 64, 65, 511, 512, 513, 4097 } do
      local u = near1(n, n)
      local x = ht.array(u, { dtype = ht.float64, split = 0 })
      bits_eq(tree(u), x:prod():item(), "n=" .. n)
      if n > 3 then
        local rest = {}
        for i = 4, n do rest[#rest + 1] = u[i] end
        bits_eq(tree(rest), x[{ { 3, n } }]:prod():item(), "n=" .. n .. " [3:]")
      end
      -- float32: the widened float32 values by the same tree, rounded once to float32
      local f = ht.array(u, { dtype = ht.float32, split = 0 })
      local w = f:astype(ht.float64):resplit(nil):totable()
      local want = ht.array({ tree(w) }, { dtype = ht.float32 }):item()
      bits_eq(want, f:prod():item(), "float32 n=" .. n)
    end
  end)
  for _, split in ipairs { 0, 1 } do
    it("rows of 64 and 512 (prod(1)), 2 and 19 rows, split=" .. split, function()
      for _, shape in ipairs { { 2, 64 }, { 19, 64 }, { 19, 512 }, { 9, 65 } } do
        local u = near1(shape[1] + shape[2], shape[1] * shape[2])
        for _, dt in ipairs { "float64", "float32" } do
          local m = ht.array(u, { dtype = ht[dt] }):reshape(shape):resplit(split)
          local rows = m:astype(ht.float64):totable()
          local got = m:prod(1):totable()
          for i = 1, shape[1] do
            local want = tree(rows[i])
            if dt == "float32" then want = ht.array({ want }, { dtype = ht.float32 }):item() end
            bits_eq(want, got[i], string.format("%s %dx%d row %d", dt, shape[1], shape[2], i - 1))
          end
        end
      end
    end)
  end
  -- columns (prod(0)) around the row kernel's 16-row blocks and 8-wide groups
  -- (cpu/prod_tree.c): 3 rows (ranks with none at 4 ranks), 16, 17, 47, 200, whole and
  -- sliced from row 5 (unbalanced counts, nodes cut at an unaligned start), split 0, 1, none
  for _, split in ipairs { 0, 1, false } do
    it("columns of 9, 17 and 64 (prod(0)), whole and sliced, split=" .. tostring(split), function()
      for _, shape in ipairs { { 3, 9 }, { 16, 17 }, { 17, 64 }, { 47, 9 }, { 200, 17 } } do
        local u = near1(3 * shape[1] + shape[2], shape[1] * shape[2])
        for _, dt in ipairs { "float64", "float32" } do
          local m = ht.array(u, { dtype = ht[dt] }):reshape(shape)
          if split then m = m:resplit(split) end
          for _, from in ipairs { 0, 5 } do
            if from < shape[1] then
              local s = from > 0 and m[{ { from, shape[1] } }] or m
              local rows = s:astype(ht.float64):resplit(nil):totable()
              local got = s:prod(0):totable()
              for j = 1, shape[2] do
                local want = tree(column(rows, j))
                if dt == "float32" then want = ht.array({ want }, { dtype = ht.float32 }):item() end
                bits_eq(want, got[j], string.format("%s %dx%d [%d:] col %d", dt, shape[1],
                  shape[2], from, j - 1))
              end
            end
          end
        end
      end
    end)
  end
  it("two rows: ranks with no rows take part", function()
    local x = ht.array({ 1.5, -2.25 }, { dtype = ht.float64, split = 0 })
    assert.are.equal(-3.375, x:prod():item())
    local m = ht.array({ { 1.5, 2 }, { 0.25, -1 } }, { dtype = ht.float64, split = 0 })
    assert.are.same({ 0.375, -2 }, m:prod(0):totable())
    assert.are.same({ 3, -0.25 }, m:prod(1):totable())
    assert.are.equal(-0.75, m:prod():item())
  end)
  it("an empty axis gives 1", function()
    -- np.prod(np.zeros(0)) = 1.0, np.prod(np.zeros((0, 3)), 0) = [1, 1, 1]
    assert.are.equal(1, ht.zeros({ 0 }, { dtype = ht.float64, split = 0 }):prod():item())
    local z = ht.zeros({ 0, 3 }, { dtype = ht.float64, split = 0 })
    assert.are.same({ 1, 1, 1 }, z:prod(0):totable())
    assert.are.same({}, z:prod(1):totable())
  end)
  it("inf, nan and signed zeros as NumPy", function()
    local function p(v) return ht.array(v, { dtype = ht.float64, split = 0 }):prod():item() end
    local inf = math.huge
    local nan = p { 0, inf } -- np.prod([0., inf]) = nan
    assert.is_true(nan ~= nan)
    nan = p { 0 / 0, 0, 1, 2 } -- np.prod([nan, 0, 1, 2]) = nan
    assert.is_true(nan ~= nan)
    assert.are.equal(-inf, 1 / p { -0.0, 2, 3 }) -- np.prod([-0., 2., 3.]) = -0.0
    assert.are.equal(inf, 1 / p { -0.0, -1, 3 }) -- np.prod([-0., -1., 3.]) = 0.0
    assert.are.equal(-inf, p { inf, -2, 1 }) -- np.prod([inf, -2., 1.]) = -inf
  end)
  it("out= and keepdims", function()
    local m = ht.array(near1(7, 1800), { dtype = ht.float64, split = 0 }):reshape { 600, 3 }
    local c = ht.zeros({ 3 }, { dtype = ht.float64 })
    assert.is_true(rawequal(ht.prod(m, 0, { out = c }), c))
    bits_eq(1.000831648539378, c:totable()[2], "out col 1")
    local k = m:prod { axis = 0, keepdims = true }
    assert.are.same({ 1, 3 }, k.shape)
  end)
  it("bad axes raise on every rank", function()
    local x = ht.array(t, { dtype = ht.float64, split = 0 })
    local ok, err = pcall(x.prod, x, 1)
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("prod: axis 1 is out of bounds for array of dimension 1", 1, true))
  end)
end)
