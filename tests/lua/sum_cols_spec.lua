-- float32 sum(0) and mean(0) through the exact column kernels (cpu/binned_cols.c, AVX-512,
-- and cpu/binned.c): columns at the 16-wide groups and 64-wide passes, rows around the
-- 512-row blocks, ranks that own no rows (3 rows at 4 ranks), unbalanced counts after a
-- slice. The values are multiples of 1/8 below 128, so every sum is exact in float32 and
-- in Lua's doubles: the expected values are those sums (exact maths).
local ht = require "heat"

local function data(rows, cols)
  local t, s = {}, rows * 31 + cols
  for i = 1, rows do
    local r = {}
    for j = 1, cols do
      s = s * 16807 % 2147483647
      r[j] = (s % 2048 - 1024) / 8
    end
    t[i] = r
  end
  return t
end

local function colsums(t, from)
  local s = {}
  for j = 1, #t[1] do
    s[j] = 0
    for i = from + 1, #t do s[j] = s[j] + t[i][j] end
  end
  return s
end

describe("float32 column sums", function()
  for _, split in ipairs { 0, 1, false } do
    it("sum(0) and mean(0) at tile edges, whole and sliced, split=" .. tostring(split), function()
      for _, shape in ipairs { { 3, 17 }, { 40, 65 }, { 513, 16 }, { 520, 63 }, { 1030, 1 } } do
        local t = data(shape[1], shape[2])
        local x = ht.array(t, { dtype = ht.float32 })
        if split then x = x:resplit(split) end
        for _, from in ipairs { 0, 5 } do
          if from < shape[1] then
            local s = from > 0 and x[{ { from, shape[1] } }] or x
            local want, n = colsums(t, from), shape[1] - from
            local got, mean = s:sum(0), s:mean(0)
            assert.are.equal(ht.float32, got.dtype)
            got, mean = got:totable(), mean:totable()
            for j = 1, shape[2] do
              local what = string.format("%dx%d [%d:] col %d", shape[1], shape[2], from, j - 1)
              assert(want[j] == got[j], what .. ": want " .. want[j] .. ", got " .. got[j])
              assert(math.abs(mean[j] - want[j] / n) <= 1e-6 * math.max(1, math.abs(want[j] / n)),
                what .. " mean")
            end
          end
        end
      end
    end)
  end
end)
