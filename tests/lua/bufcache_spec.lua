-- The reuse of large freed buffers (runtime/bufcache.c): a result that takes back a freed
-- buffer of garbage holds exactly what it promises (zeros stay zeros), freed-and-reused
-- arrays compute right, ht.empty_cache() drops what is kept, and the memory accounting and
-- fault injection see every allocation. Each rank holds 1 MiB or more so that it caches.
local ht = require "heat"
local core = require "heat.core"

local p = ht.nprocs()
local N = 262144 -- float32 elements per rank: 1 MiB, the size from which buffers are kept
local reuse = select(2, core._bytes_cached()) -- false with HEATLUA_NO_REUSE=1 or under ASan

local function garbage(shape, opts)
  local g = ht.full(shape, 7.25, opts) -- the bits 0x40E80000: far from zero
  g = nil -- luacheck: ignore
  collectgarbage()
  collectgarbage()
end

describe("reuse of freed buffers", function()
  before_each(function() ht.empty_cache() end)

  it("keeps a freed buffer and gives it to the next result of its size", function()
    garbage({N * p}, {split = 0})
    if reuse then assert.are.equal(N * 4, core._bytes_cached()) end
    local z = ht.zeros({N * p}, {split = 0})
    assert.are.equal(0, core._bytes_cached()) -- taken back (or never kept)
    -- zeros promised: every element, on every rank (min = max = 0, sum of |z| = 0)
    assert.are.equal(0, z:min():item())
    assert.are.equal(0, z:max():item())
    assert.are.equal(0, ht.abs(z):sum():item())
  end)

  it("zeros stay zeros for replicated, unbalanced and zero-row layouts", function()
    garbage({N})
    local r = ht.zeros({N})
    assert.are.equal(0, ht.abs(r):sum():item())
    -- 2 rows on 3-4 ranks: the last ranks own none and allocate 0 bytes
    garbage({2, N * 2}, {split = 0, dtype = "float64"})
    local w = ht.zeros({2, N * 2}, {split = 0, dtype = "float64"})
    assert.are.equal(0, ht.abs(w):sum():item())
    -- int32 of the same byte size as the float32 garbage, and zeros_like
    garbage({N * p}, {split = 0})
    local i = ht.zeros({N * p}, {split = 0, dtype = "int32"})
    assert.are.equal(0, ht.abs(i):sum():item())
    garbage({N * p}, {split = 0})
    local zl = ht.zeros_like(i)
    assert.are.equal(0, ht.abs(zl):sum():item())
  end)

  it("a reused buffer computes right, over and over", function()
    local n = N * p
    local x = ht.arange(n, {split = 0, dtype = "float64"})
    -- sum over k < n of (k + j) = n(n-1)/2 + j*n, exact in float64
    for j = 1, 6 do
      local y = x + j
      assert.are.equal(n * (n - 1) / 2 + j * n, y:sum():item())
      y = nil -- luacheck: ignore
      collectgarbage()
    end
    local u = x["1:"] -- unbalanced after slicing: rank 0 holds one row fewer
    for _ = 1, 3 do
      local d = u - u
      assert.are.equal(0, d:sum():item())
      assert.are.equal(n - 1, d.shape[1])
      collectgarbage()
    end
  end)

  it("ht.empty_cache() frees what is kept; live bytes never count it", function()
    local live = core._bytes_live()
    garbage({N * p}, {split = 0})
    assert.are.equal(live, core._bytes_live())
    assert.are.equal(reuse and N * 4 or 0, ht.empty_cache())
    assert.are.equal(0, core._bytes_cached())
    assert.are.equal(0, ht.empty_cache())
    local ok, err = pcall(ht.empty_cache, true)
    assert.is_false(ok)
    assert.matches("ht.empty_cache: takes no arguments %(got 1%)", err)
    -- a miss (another size) frees every kept buffer before allocating
    garbage({N * p}, {split = 0})
    local other = ht.ones({N * p * 2}, {split = 0})
    assert.are.equal(0, core._bytes_cached())
    assert.are.equal(2 * N * p, other:sum():item())
  end)

  it("fault injection fails an allocation the cache could serve", function()
    garbage({N * p}, {split = 0})
    core._fail_alloc(p - 1, 1)
    local ok, err = pcall(function() return ht.zeros({N * p}, {split = 0}) end)
    core._fail_alloc(p - 1, 0)
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("ht.zeros: out of memory allocating", 1, true), err)
    assert.are.equal(N * p, ht.ones({N * p}, {split = 0}):sum():item())
  end)
end)
