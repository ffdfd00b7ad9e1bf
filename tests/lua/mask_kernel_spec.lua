-- The x[mask] kernel (runtime/cpu/take.c: the vectorised count and compress) at lengths
-- that end inside a vector, a block and a thread's piece, for 2-, 4- and 8-byte dtypes.
-- Expected values are exact: the indices i of arange(n) whose pattern bit is set.
local ht = require "heat"
local T = require "heat.testing"

-- a mask that is not periodic in 8 or 16: i is kept when (i * 7919) % 13 < 6
local function keep(i) return (i * 7919) % 13 < 6 end

describe("x[mask] kernel", function()
  for _, n in ipairs { 1, 15, 17, 257, 1000, 70001 } do
    for _, dt in ipairs { n < 32768 and ht.int16 or ht.int32, ht.float32, ht.int64, ht.float64 } do
      it(string.format("n = %d, %s", n, dt), function()
        local x = ht.arange(n, { dtype = dt, split = 0 })
        local m = ht.arange(n, { dtype = ht.int64, split = 0 }):mul_(7919):mod(13):lt(6)
        local r = x[m]
        local want, count = {}, 0
        for i = 0, n - 1 do
          if keep(i) then count = count + 1; want[count] = i end
        end
        T.assert_shape(r, { count })
        if n <= 1000 then T.assert_equal(r, want) end
        -- the sum of the kept indices checks the long case without a huge table
        local s = 0
        for k = 1, count do s = s + want[k] end
        assert.are.equal(s, r:astype(ht.float64):sum():item())
        assert.are.equal(count, m:sum():item())
      end)
    end
  end
end)
