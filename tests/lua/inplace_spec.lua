-- In-place arithmetic x:add_(y), x:sub_(y), x:mul_(y), x:div_(y) (runtime ht_binary_out):
-- broadcasting into x, operands of other distributions, same-kind casts, overlap, errors.
-- Expected values are exact arithmetic on small integers.
local ht = require "heat"
local T = require "heat.testing"

describe("in-place arithmetic", function()
  it("writes into x and returns x", function()
    local x = ht.arange(12, { dtype = ht.float64, split = 0 }):reshape({ 4, 3 })
    local r = x:add_(ht.array({ 1, 2, 3 }))
    assert.is_true(rawequal(r, x))
    T.assert_equal(x, { { 1, 3, 5 }, { 4, 6, 8 }, { 7, 9, 11 }, { 10, 12, 14 } })
    x:mul_(2):sub_(1):div_(ht.array({ { 1 }, { 1 }, { 1 }, { 1 } }, { split = 0 }))
    T.assert_equal(x, { { 1, 5, 9 }, { 7, 11, 15 }, { 13, 17, 21 }, { 19, 23, 27 } })
    T.assert_split(x, 0)
  end)

  it("aligns operands split along another axis or with other counts", function()
    local x = ht.zeros({ 5, 2 }, { dtype = ht.float32, split = 0 })
    local y = ht.arange(10, { dtype = ht.float64 }):reshape({ 5, 2 }):resplit(1)
    x:add_(y) -- float64 operand cast to x's float32, split 1 moved to split 0
    T.assert_dtype(x, ht.float32)
    T.assert_equal(x, { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 7 }, { 8, 9 } })
    local z = ht.arange(12, { dtype = ht.float64, split = 0 }):reshape({ 6, 2 })[{ { 1, 6 } }]
    x:sub_(z) -- unbalanced counts
    T.assert_equal(x, { { -2, -2 }, { -2, -2 }, { -2, -2 }, { -2, -2 }, { -2, -2 } })
    local rep = ht.ones({ 5, 2 })
    rep:add_(ht.ones({ 5, 2 }, { split = 0 })) -- a replicated x gathers a split operand
    T.assert_equal(rep, { { 2, 2 }, { 2, 2 }, { 2, 2 }, { 2, 2 }, { 2, 2 } })
  end)

  it("copies an operand that overlaps x another way", function()
    local x = ht.array({ { 1, 2 }, { 3, 4 } }, { dtype = ht.float64 })
    x:add_(x.T)
    T.assert_equal(x, { { 2, 5 }, { 5, 8 } })
  end)

  it("rejects what cannot be written into x", function()
    local x = ht.zeros({ 3, 2 }, { split = 0 })
    T.assert_error(function() x:add_(ht.zeros({ 3, 3 })) end, "cannot be broadcast")
    T.assert_error(function() x:add_(ht.zeros({ 2, 3, 2 })) end,
      "add_: the result shape (2, 3, 2) differs from the output's (3, 2)")
    local i = ht.arange(3, { split = 0 })
    T.assert_error(function() i:div_(2) end, "cannot write the float64 result")
    T.assert_error(function() i:mul_(1.5) end, "into an int32 array")
    i:mul_(2)
    T.assert_equal(i, { 0, 2, 4 })
  end)
end)
