-- Issue 12: one failure policy for allocations. A data-sized result (1 MiB or more) that
-- one rank cannot allocate is agreed on and raised on every rank together; the next
-- collective then works. heat.core._fail_alloc(rank, n) makes the n-th data allocation
-- on that rank fail (HEATLUA_FAIL_ALLOC=rank:n does the same from the environment).
local ht = require "heat"
local T = require "heat.testing"
local core = require "heat.core"

local p = ht.nprocs()
-- the eager results' policy: deferred ones (x + x) fail when used (fuse_spec.lua)
core._fuse { enabled = false }
local N = 262144 -- float32 elements: 1 MiB, the size from which results are agreed

-- Arms the failure on rank r, runs fn under pcall, and checks the message on every rank.
local function fails_on(r, fragment, fn)
  core._fail_alloc(r, 1)
  local ok, err = pcall(fn)
  core._fail_alloc(r, 0)
  assert.is_false(ok, "rank " .. r .. "'s failed allocation was not raised")
  err = tostring(err)
  assert.is_truthy(err:find(fragment, 1, true), err)
  assert.is_truthy(err:find("out of memory allocating", 1, true), err)
end

describe("agreed data allocations", function()
  local x = ht.arange(N, {split = 0, dtype = "float64"})
  -- sum(2*i for i < N) = N*(N-1), exact in float64
  local twice = N * (N - 1)

  it("elementwise results fail on every rank together, whichever rank failed", function()
    for r = 0, p - 1 do
      fails_on(r, "ht.add", function() return x + x end)
      -- and the job goes on: a collective right after works everywhere
      assert.are.equal(twice, (x + x):sum():item())
    end
    fails_on(p - 1, "ht.exp", function() return ht.exp(x) end)
  end)

  it("ranks that own no rows, and unbalanced counts, agree too", function()
    -- 2 rows on 3-4 ranks: the last ranks allocate 0 bytes, and still take part
    local w = ht.ones({2, N / 2}, {split = 0})
    fails_on(p - 1, "ht.mul", function() return w * w end)
    assert.are.equal(N, (w * w):sum():item())
    local u = x["1:"] -- sliced along the split axis: rank 0 holds one row fewer
    fails_on(0, "ht.sub", function() return u - u end)
    assert.are.equal(0, (u - u):sum():item())
  end)

  it("factories, *_like and concatenate raise under their own names", function()
    fails_on(0, "ht.zeros", function() return ht.zeros({N}, {split = 0}) end)
    fails_on(p - 1, "ht.empty", function() return ht.empty({N}) end)
    fails_on(p - 1, "ht.full_like", function() return ht.full_like(x, 3) end)
    fails_on(p - 1, "ht.concatenate", function() return ht.concatenate({x, x}) end)
    fails_on(0, "ht.hstack", function() return ht.hstack({x, x}) end)
    -- replicated inputs, no message needed for the data: still one verdict for all
    local rep = ht.ones({N / 2})
    fails_on(p - 1, "ht.concatenate", function() return ht.concatenate({rep, rep}) end)
    assert.are.equal(1.5 * twice, ht.concatenate({x, x + x}):sum():item())
    assert.are.equal(N, ht.concatenate({rep, rep}):sum():item())
  end)

  it("disarming with n = 0 leaves allocations alone", function()
    core._fail_alloc(0, 0)
    assert.are.equal(twice, (x + x):sum():item())
  end)
end)

describe("names in allocation errors", function()
  it("ht.empty and the *_like factories name themselves, not ht.array or ht.full", function()
    T.assert_error(function() ht.empty({2 ^ 20, 2 ^ 20}) end, "ht.empty: allocating")
    T.assert_error(function() ht.zeros({2 ^ 20, 2 ^ 20}) end, "ht.zeros: allocating")
    T.assert_error(function() ht.ones({2 ^ 20, 2 ^ 20}, {split = 0}) end, "ht.ones: allocating")
    T.assert_error(function() ht.empty({2 ^ 33, 2 ^ 33}) end, "ht.empty: array is too big")
    T.assert_error(function() ht.full({2}, 300, {dtype = "int8"}) end,
                   "ht.full: fill value 300 is out of bounds for int8")
    T.assert_error(function() ht.empty_like(ht.zeros(3), {split = 2}) end,
                   "ht.empty_like: split 2 is out of range")
  end)
end)

-- Internal temporaries (issue 12): the workspaces of reductions, linalg and the exchange
-- engine go through the same policy. core._fail_alloc(r, n, MiB) fails the n-th
-- allocation of 1 MiB or more on rank r (buffers and scratch alike, never a small one,
-- which would end the job): sweeping n = 1, 2, ... reaches every such allocation on the
-- path in turn, and each must be raised on every rank together, under pcall, before the
-- op finally runs through with the right value.
describe("agreed internal temporaries", function()
  local MiB = 1048576

  -- Returns how many allocations of 1 MiB or more rank r made on fn's path, and fn's
  -- result once it ran through.
  local function sweep(r, fn)
    for n = 1, 40 do
      core._fail_alloc(r, n, MiB)
      local ok, res = pcall(fn)
      core._fail_alloc(r, 0)
      -- one verdict on every rank (a rank that raised alone would show here, or hang)
      local oks = ht.full({p}, ok and 1 or 0, {split = 0, dtype = "int32"}):sum():item()
      assert.are.equal(ok and p or 0, oks, "ranks disagree on allocation " .. n)
      if ok then return n - 1, res end
      res = tostring(res)
      assert.is_truthy(res:find("out of memory allocating", 1, true), res)
    end
    error("more than 40 allocations of 1 MiB or more")
  end

  -- every rank fails in turn (the one that fails differs from the others)
  local function each_rank(fn) for r = 0, p - 1 do fn(r) end end

  it("exact sums: the superaccumulators of every output (ranks with no rows too)", function()
    for _, rows in ipairs {8, 2} do
      -- 2048 outputs: 2048 superaccumulators are 1.1 MiB on every rank, rows or none
      local X = ht.ones({rows, 2048}, {split = 0, dtype = "float64"})
      each_rank(function(r)
        local n, s = sweep(r, function() return X:sum(0) end)
        -- (at 1 rank nothing is joined: the sum is rounded straight from the chunk)
        assert.is_true(n >= 1 or p == 1, "the exact sum's scratch was not reached")
        assert.are.equal(rows * 2048, s:sum():item())
      end)
    end
  end)

  it("reductions along a local axis: the packed copy, agreed although no data moves", function()
    -- X.T is (64, 16384) split 1; reducing axis 0 packs the strided 1-4 MiB local chunk
    local X = ht.ones({16384, 64}, {split = 0, dtype = "float32"}) * 3
    each_rank(function(r)
      local n, m = sweep(r, function() return X.T:max(0) end)
      assert.is_true(n >= 1, "the packed copy was not reached")
      assert.are.equal(3 * 16384, m:sum():item())
    end)
  end)

  it("qr: TSQR's workspaces (split 0) and LAPACK's copy (replicated)", function()
    ht.random.seed(7)
    local A = ht.random.randn(32768, 16, {split = 0, dtype = ht.float64})
    local B = ht.random.randn(512, 256, {dtype = ht.float64}) -- 1 MiB, on every rank
    each_rank(function(r)
      for _, M in ipairs {A, B} do
        local n, f = sweep(r, function() return {ht.linalg.qr(M)} end)
        assert.is_true(n >= 1, "no workspace reached")
        -- exact maths: Q R = A
        local d = ht.matmul(f[1], f[2]) - M
        assert.is_true(ht.abs(d):max():item() < 1e-10)
      end
    end)
  end)

  it("svd and hsvd of a tall matrix: sum of S^2 is the squared Frobenius norm", function()
    ht.random.seed(8)
    local A = ht.random.randn(65536, 8, {split = 0, dtype = ht.float64}) -- 4 MiB
    local fro2 = (A * A):sum():item()
    each_rank(function(r)
      local n, S = sweep(r, function() return select(2, ht.linalg.svd(A)) end)
      assert.is_true(n >= 1)
      assert.is_true(math.abs((S * S):sum():item() - fro2) < 1e-9 * fro2)
      local _, S2 = sweep(r, function()
        return select(2, ht.linalg.hsvd_rank(A, 8, {compute_sv = true}))
      end)
      assert.is_true(math.abs((S2 * S2):sum():item() - fro2) < 1e-9 * fro2)
    end)
  end)

  it("solve: the gathered matrix and its LU copy, replicated or split", function()
    -- (2 I) x = 1 gives x = 0.5 exactly; 512 x 512 float64 is 2 MiB
    for _, sp in ipairs {false, 0} do
      local A = ht.eye(512, {dtype = ht.float64, split = sp or nil}) * 2
      local b = ht.ones({512}, {dtype = ht.float64})
      each_rank(function(r)
        local n, x = sweep(r, function() return ht.linalg.solve(A, b) end)
        assert.is_true(n >= 1)
        assert.are.equal(256, x:sum():item())
      end)
    end
  end)

  it("matmul: the ring's travelling blocks", function()
    -- ones(256, 256) @ ones(256, 4096): every entry 256; B's row blocks are 2-8 MiB
    local A = ht.ones({256, 256}, {split = 0, dtype = ht.float64})
    local B = ht.ones({256, 4096}, {split = 0, dtype = ht.float64})
    each_rank(function(r)
      local n, C = sweep(r, function() return ht.matmul(A, B) end)
      assert.is_true(n >= 1)
      assert.are.equal(256 * 256 * 4096, C:sum():item())
    end)
  end)

  it("resplit and balance: results and the exchange's buffers", function()
    -- 8 MiB; sum of arange(16384 * 64) = n (n - 1) / 2, exact in float64
    local N = 16384 * 64
    local X = ht.arange(N, {dtype = ht.float64, split = 0}):reshape({16384, 64})
    local U = X["1:"] -- unbalanced: rank 0 holds one row fewer
    local want = N * (N - 1) / 2
    each_rank(function(r)
      for _, f in ipairs {
        function() return X:resplit(1) end,
        function() return X:resplit(nil) end,
        function() return U:balance() end,
      } do
        local n, Y = sweep(r, f)
        assert.is_true(n >= 1)
        assert.are.equal(Y.shape[1] == 16384 and want or want - 63 * 64 / 2, Y:sum():item())
      end
    end)
  end)
end)
