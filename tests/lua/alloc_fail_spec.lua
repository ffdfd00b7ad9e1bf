-- Issue 12: one failure policy for allocations. A data-sized result (1 MiB or more) that
-- one rank cannot allocate is agreed on and raised on every rank together; the next
-- collective then works. heat.core._fail_alloc(rank, n) makes the n-th data allocation
-- on that rank fail (HEATLUA_FAIL_ALLOC=rank:n does the same from the environment).
local ht = require "heat"
local T = require "heat.testing"
local core = require "heat.core"

local p = ht.nprocs()
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
