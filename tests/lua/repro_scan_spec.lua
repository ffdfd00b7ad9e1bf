-- Reproducible float cumsum (issue 13): the prefix sums restart at every global block of
-- 256 rows from the correctly rounded exact sum of the rows before it (runtime/cpu/scan.h),
-- so the bits are the same at every rank count, with ranks that own no rows and after
-- slicing along the split axis. Expected values: Python, the same data from the same
-- generator, `blocked(x)` = for i, xi: (v = math.fsum(x[:i]) when i % 256 == 0); v += xi.
local ht = require "heat"

-- Park-Miller and correctly rounded operations only, so every build makes the same data.
local function gen(seed)
  local s = seed
  return function()
    s = s * 48271 % 2147483647
    return s / 2147483647
  end
end

-- 700 values over ~20 orders of magnitude: plain running sums lose different bits
-- depending on where they start (np.cumsum differs from blocked() in 271 of them)
local function wide()
  local u, t = gen(7), {}
  for i = 1, 700 do
    local v = (u() - 0.5) * 2
    t[i] = math.ldexp(v, math.floor(u() * 67) - 33)
  end
  return t
end

local function bits_eq(want, got, what)
  assert(want == got, string.format("%s: want %.17g, got %.17g", what, want, got))
end

local idx = { 0, 255, 256, 599, 699 }

describe("reproducible cumsum", function()
  for _, split in ipairs { 0, false } do
    local sp = split or nil
    local tag = "split=" .. tostring(sp)
    it("float64 follows the blocked definition, " .. tag, function()
      local c = ht.array(wide(), { dtype = ht.float64, split = sp }):cumsum(0)
      assert.are.equal(sp, c.split)
      local got = c:totable()
      -- blocked(t) at idx; np.cumsum(t) gives -29726882620.294563 at 256 and
      -- -42207619099.081886 at 699
      local want = { -63.979859769334951, -29726882620.294563, -29726882620.294567,
        -37340027988.065536, -42207619099.081894 }
      for k, i in ipairs(idx) do bits_eq(want[k], got[i + 1], "cumsum[" .. i .. "]") end
    end)
    it("float32 runs in double and rounds each output, " .. tag, function()
      local got = ht.array(wide(), { dtype = ht.float32, split = sp }):cumsum(0):totable()
      -- f = float32(t); float32(blocked(f)) at idx
      local want = { -63.9798583984375, -29726881792, -29726881792, -37340028928, -42207621120 }
      for k, i in ipairs(idx) do bits_eq(want[k], got[i + 1], "cumsum32[" .. i .. "]") end
    end)
    it("unbalanced counts after a slice, " .. tag, function()
      local x = ht.array(wide(), { dtype = ht.float64, split = sp })
      local got = x[{ { 100, 700 } }]:cumsum(0):totable()
      -- blocked(t[100:]) at 0, 155, 156, 599
      local want = { -0.00045521732680124048, -24041692655.580685, -24041692655.580685,
        -36522429134.368027 }
      for k, i in ipairs { 0, 155, 156, 599 } do bits_eq(want[k], got[i + 1], "slice " .. i) end
    end)
    it("columns of a matrix and the flattened array, " .. tag, function()
      local x = ht.array(wide(), { dtype = ht.float64, split = sp })
      local m = x:reshape { 350, 2 }
      local got = m:cumsum(0):totable()
      -- blocked(list(m[:, j])) at rows 300 and 349
      bits_eq(-10189016215.644293, got[301][1], "col 0 row 300")
      bits_eq(-27151011772.421261, got[301][2], "col 1 row 300")
      bits_eq(-8296506647.9343548, got[350][1], "col 0 row 349")
      bits_eq(-33911112451.147552, got[350][2], "col 1 row 349")
      -- axis=None: the flattened array, the same values as the 1-d cumsum
      local flat = ht.cumsum(m):totable()
      bits_eq(-42207619099.081894, flat[700], "flat[699]")
    end)
    it("two rows: ranks with no rows take part, " .. tag, function()
      local got = ht.array({ 1e20, 1, -1e20 }, { dtype = ht.float64, split = sp }):cumsum(0)
      -- one block: (1e20 + 1) - 1e20 in double
      assert.are.same({ 1e20, 1e20, 0 }, got:totable())
      local two = ht.array({ { 1.5, 2 }, { 0.25, -1 } }, { dtype = ht.float64, split = sp })
      assert.are.same({ { 1.5, 2 }, { 1.75, 1 } }, two:cumsum(0):totable())
      assert.are.same({ { 1.5, 3.5 }, { 0.25, -0.75 } }, two:cumsum(1):totable())
    end)
  end
  -- The running offset is kept as two doubles while they hold the exact prefix, else in
  -- a superaccumulator (runtime/cpu/scan.c): data on both sides of that limit.
  -- far(): blocks of 256 x 2^92, 256 x 1/256, 256 x 2^-108 (prefixes 2^100, 2^100 + 1,
  -- then 2^100 + 1 + 2^-100: three islands of bits, more than two doubles hold), then
  -- -2^100 and -1 at 768, 769 (prefix 2^-100 at 1024), 3 at 1030, zeros elsewhere
  local function far()
    local t = {}
    for i = 0, 1099 do
      t[i + 1] = i < 256 and math.ldexp(1, 92) or i < 512 and 1 / 256 or i < 768 and math.ldexp(1, -108) or 0
    end
    t[769], t[770], t[1031] = -math.ldexp(1, 100), -1, 3
    return t
  end
  local fidx = { 255, 256, 511, 512, 767, 768, 769, 1023, 1024, 1029, 1030, 1099 }
  -- blocked(far()) at fidx, also for float32 (blocked([float(np.float32(v)) for v in
  -- far()], f32)): np.cumsum gives -1.0 at 1024
  local P100, F100 = math.ldexp(1, 100), 7.888609052210118e-31
  local fwant = { P100, P100, P100, P100, P100, 0, -1, -1, F100, F100, 3, 3 }
  for _, split in ipairs { 0, false } do
    local sp = split or nil
    local tag = "split=" .. tostring(sp)
    it("an offset beyond two doubles and back, float64 and float32, " .. tag, function()
      for _, dt in ipairs { ht.float64, ht.float32 } do
        local got = ht.array(far(), { dtype = dt, split = sp }):cumsum(0):totable()
        for k, i in ipairs(fidx) do bits_eq(fwant[k], got[i + 1], "far[" .. i .. "]") end
        -- as two columns of a matrix (the column folds), the second one negated
        local rows = {}
        for i, v in ipairs(far()) do rows[i] = { v, -v } end
        got = ht.array(rows, { dtype = dt, split = sp }):cumsum(0):totable()
        for k, i in ipairs(fidx) do
          bits_eq(fwant[k], got[i + 1][1], "col 0 [" .. i .. "]")
          bits_eq(-fwant[k], got[i + 1][2], "col 1 [" .. i .. "]")
        end
      end
    end)
    it("slices start from exact offsets, also where the first ranks own no rows, " .. tag, function()
      local x = ht.array(far(), { dtype = ht.float64, split = sp })
      local got = x[{ { 0, 1050 } }]:cumsum(0):totable()
      -- blocked(far()[:1050]) at 1024, 1049
      bits_eq(F100, got[1025], "head 1024")
      bits_eq(3, got[1050], "head 1049")
      -- rows [700, 1100): at 3-4 ranks the first ranks own none of them
      got = x[{ { 700, 1100 } }]:cumsum(0):totable()
      -- blocked(far()[700:]) at 67, 68, 69, 399
      local want = { 2.0954117794933126e-31, -P100, -P100, -P100 }
      for k, i in ipairs { 67, 68, 69, 399 } do bits_eq(want[k], got[i + 1], "tail[" .. i .. "]") end
    end)
    it("the low word of the offset is kept, float64 and float32, " .. tag, function()
      -- block 0: 256 x 1/256, block 1: 256 x 2^-88, then -1 and zeros: the prefix is
      -- 1 + 2^-80 at 512 (a run value of 1) and 2^-80 exactly from 768 on
      for _, dt in ipairs { ht.float64, ht.float32 } do
        local t = {}
        for i = 1, 800 do t[i] = i <= 256 and 1 / 256 or i <= 512 and math.ldexp(1, -88) or 0 end
        t[513] = -1
        local got = ht.array(t, { dtype = dt, split = sp }):cumsum(0):totable()
        -- blocked(t) (exact maths: 1 + 2^-88 and 1 + 2^-80 round to 1)
        local want = { 1, 1, 1, 0, 0, math.ldexp(1, -80), math.ldexp(1, -80) }
        for k, i in ipairs { 255, 256, 511, 512, 767, 768, 799 } do
          bits_eq(want[k], got[i + 1], "low[" .. i .. "]")
        end
      end
    end)
    it("a block summed term by term keeps both words of its sum, " .. tag, function()
      -- 1 and 2^-60 among zeros in block 0 (no fold takes zeros: term by term), -1 at 256:
      -- the prefix is 1 + 2^-60 at 256 (a run value of 1) and 2^-60 exactly from 512 on
      for _, dt in ipairs { ht.float64, ht.float32 } do
        local rows = {}
        for i = 1, 800 do rows[i] = { 0, 0 } end
        rows[1], rows[2], rows[257] = { 1, -1 }, { math.ldexp(1, -60), -math.ldexp(1, -60) }, { -1, 1 }
        local got = ht.array(rows, { dtype = dt, split = sp }):cumsum(0):totable()
        local flat = ht.array(rows, { dtype = dt, split = sp })[{ {}, 0 }]:cumsum(0):totable()
        -- blocked(column) (exact maths), the second column negated
        local want = { 1, 0, 0, math.ldexp(1, -60), math.ldexp(1, -60) }
        for k, i in ipairs { 255, 256, 511, 512, 799 } do
          bits_eq(want[k], got[i + 1][1], "col 0 [" .. i .. "]")
          bits_eq(-want[k], got[i + 1][2], "col 1 [" .. i .. "]")
          bits_eq(want[k], flat[i + 1], "1-d [" .. i .. "]")
        end
      end
    end)
    it("infinities and NaN beside finite columns, " .. tag, function()
      -- columns: inf at 300; inf at 10 and -inf at 300; ones; NaN at 400 (exact maths)
      local rows = {}
      for i = 0, 599 do
        rows[i + 1] = { i == 300 and math.huge or 1, i == 10 and math.huge or i == 300 and -math.huge or 1,
          1, i == 400 and 0 / 0 or 1 }
      end
      for _, dt in ipairs { ht.float64, ht.float32 } do
        local got = ht.array(rows, { dtype = dt, split = sp }):cumsum(0):totable()
        assert.are.same({ 300, math.huge, 300, 300 }, got[300])
        assert.are.same({ math.huge, 400, 400 }, { got[301][1], got[400][3], got[400][4] })
        for _, i in ipairs { 301, 401, 513, 600 } do
          assert.is_true(got[i][2] ~= got[i][2], "inf - inf at " .. i)
        end
        for _, i in ipairs { 401, 513, 600 } do assert.is_true(got[i][4] ~= got[i][4], "NaN at " .. i) end
        assert.are.same({ math.huge, 600 }, { got[600][1], got[600][3] })
      end
    end)
  end
  it("float64 columns folded in one pass from the bound of the block before", function()
    -- 1100 x 9 uniform values in (-1, 1): 8 columns take the AVX2 one-pass folds, the 9th
    -- the scalar one; expected: Python, u = Park-Miller seeded 11, m[i][j] = (u() - 0.5)
    -- * 2 row by row, blocked(m[:, j]) (np.cumsum(m[:, j]) differs in 512-844 of 1100)
    local u, t = gen(11), {}
    for i = 1, 1100 do
      t[i] = {}
      for j = 1, 9 do t[i][j] = (u() - 0.5) * 2 end
    end
    local want = {
      [1] = { -5.849300375138087, -6.463774800050897, -17.187657520728017, -16.6686057614482, -27.782991106520868 },
      [8] = { -15.203317379207968, -15.59363192347513, -24.70102657130967, -24.442618712523306, -31.745209579237347 },
      [9] = { 20.666788252381057, 19.793421931934276, 26.746376310822725, 26.352127787355393, 26.98840063297581 },
    }
    for _, split in ipairs { 0, 1, false } do
      local got = ht.array(t, { dtype = ht.float64, split = split or nil }):cumsum(0):totable()
      for j, w in pairs(want) do
        for k, i in ipairs { 767, 768, 1023, 1024, 1099 } do
          bits_eq(w[k], got[i + 1][j], string.format("split %s [%d][%d]", tostring(split), i, j - 1))
        end
      end
    end
  end)
  -- The one pass that folds and runs a block (ht_xacc_fold_run_cols, runtime/cpu/binned.c)
  -- checks each row against its column's bound from the block before and leaves the rest
  -- of a group of 8 columns to the two-pass folds from the first row that fails. 1100 x 20
  -- uniform values in (-1, 1) (Park-Miller seeded 13, row by row; columns 0-15 in AVX
  -- groups, 16-19 one at a time) with, mid-block: 1e6 at [600][2] and [650][17] (above
  -- the bound), 2^-60 at [700][11] (below it), 0 at [800][12] (fails float64, passes the
  -- float32 plain sums), NaN at [900][5], inf at [950][14].
  local function bounded(extra)
    local u, t = gen(13), {}
    for i = 1, 1100 do
      t[i] = {}
      for j = 1, 20 do t[i][j] = (u() - 0.5) * 2 end
    end
    t[601][3], t[701][12], t[801][13], t[651][18] = 1e6, math.ldexp(1, -60), 0, 1e6
    t[901][6], t[951][15] = 0 / 0, math.huge
    for i = 1101, 1100 + (extra or 0) do t[i] = t[i - 1100] end
    return t
  end
  local brows = { 599, 600, 767, 768, 1023, 1024, 1099 }
  -- blocked(m[:, j]) at brows (f32: blocked of the float32 values, each output rounded to
  -- float32); np.cumsum differs from it in 300-1080 of the 1100 rows of these columns
  local bwant = {
    float64 = {
      [1] = { 6.7732901129747205, 7.754041456037218, -2.6173962124704424, -2.3663635176449858, -4.31394912503378, -3.4854515243719595, -11.958445347826203 },
      [3] = { -8.927901018843015, 999991.0720989811, 1000003.692749505, 1000003.2513108855, 1000012.0311076762, 1000011.2270546831, 1000013.5380961284 },
      [5] = { -14.299236561311062, -13.97200606715494, -19.222781648497474, -19.87876531429531, -22.67027111010174, -22.97809488604688, -25.919475809633493 },
      [12] = { -25.804102918973246, -25.1717502736355, -17.061663479572942, -16.648209601011228, -28.67455003116024, -27.699470412777494, -29.41807747744867 },
      [13] = { 24.147998242707924, 24.442541341037742, 17.018111480874055, 16.850283533265014, 21.062750613346132, 21.131009568055628, 18.249390826211023 },
      [14] = { 16.023173754114275, 15.913073232822622, 21.259293271815096, 22.0364342355339, 23.874768027977446, 24.802770811041245, 18.184483230199913 },
      [18] = { -4.76063804177597, -5.022223816263593, 999982.3012120908, 999981.3917172641, 999993.4778430231, 999993.403535811, 999992.7657878938 },
      [20] = { 10.434893693046124, 11.385476368658928, 14.837534607778084, 14.90049535590247, 8.503314908828264, 8.024170169152397, 6.240122357495188 },
    },
    float32 = {
      [1] = { 6.773290157318115, 7.75404167175293, -2.617396116256714, -2.366363525390625, -4.313949108123779, -3.4854514598846436, -11.95844554901123 },
      [3] = { -8.927900314331055, 999991.0625, 1000003.6875, 1000003.25, 1000012.0, 1000011.25, 1000013.5625 },
      [5] = { -14.299236297607422, -13.972005844116211, -19.222782135009766, -19.878765106201172, -22.670270919799805, -22.97809600830078, -25.919475555419922 },
      [12] = { -25.80410385131836, -25.171751022338867, -17.061662673950195, -16.648210525512695, -28.674551010131836, -27.69947052001953, -29.41807746887207 },
      [13] = { 24.147998809814453, 24.442541122436523, 17.018110275268555, 16.850282669067383, 21.0627498626709, 21.131010055541992, 18.2493896484375 },
      [14] = { 16.023174285888672, 15.91307258605957, 21.259292602539062, 22.036434173583984, 23.874767303466797, 24.802770614624023, 18.18448257446289 },
      [18] = { -4.76063871383667, -5.022224426269531, 999982.3125, 999981.375, 999993.5, 999993.375, 999992.75 },
      [20] = { 10.434893608093262, 11.385476112365723, 14.83753490447998, 14.900495529174805, 8.503314971923828, 8.024170875549316, 6.240122318267822 },
    },
  }
  local function check_bounded(got, dt, what)
    for j, w in pairs(bwant[dt]) do
      for k, i in ipairs(brows) do
        bits_eq(w[k], got[i + 1][j], string.format("%s %s [%d][%d]", what, dt, i, j - 1))
      end
    end
    for _, i in ipairs { 900, 1023, 1099 } do assert.is_true(got[i + 1][6] ~= got[i + 1][6], "NaN at " .. i) end
    assert.is_true(got[900][6] == got[900][6], "finite before the NaN")
    assert.are.same({ math.huge, math.huge }, { got[951][15], got[1100][15] })
  end
  for _, dt in ipairs { "float64", "float32" } do
    it("the one pass stops before a row that fails its bound, " .. dt, function()
      local t = bounded()
      for _, split in ipairs { 0, 1, false } do
        local got = ht.array(t, { dtype = ht[dt], split = split or nil }):cumsum(0):totable()
        check_bounded(got, dt, "split " .. tostring(split))
      end
    end)
    it("reads a large input a block at a time without writing it; strided and cast inputs, " .. dt, function()
      -- a C-contiguous input of the result's dtype is read by the kernel itself; the others
      -- (a transposed view, float32 or float64 data cast by dtype) are copied first
      local t = bounded()
      for _, split in ipairs { 0, 1, false } do
        local x = ht.array(t, { dtype = ht[dt], split = split or nil })
        local before = x:totable()
        check_bounded(x:cumsum(0):totable(), dt, "split " .. tostring(split))
        local after = x:totable()
        for i = 1, 1100 do
          for j = 1, 20 do
            local a, b = before[i][j], after[i][j]
            assert.is_true(a == b or (a ~= a and b ~= b), string.format("input [%d][%d] kept", i - 1, j - 1))
          end
        end
        local tt = {}
        for j = 1, 20 do
          tt[j] = {}
          for i = 1, 1100 do tt[j][i] = t[i][j] end
        end
        local xt = ht.transpose(ht.array(tt, { dtype = ht[dt], split = split and 1 - split or nil }))
        check_bounded(xt:cumsum(0):totable(), dt, "transposed split " .. tostring(split))
        local other = dt == "float64" and "float32" or "float64"
        local c = ht.array(t, { dtype = ht[other], split = split or nil })
        -- the cast input's bits are those of the cast array's own cumsum
        local want = c:astype(ht[dt]):cumsum(0):totable()
        local got = c:cumsum(0, { dtype = ht[dt] })
        assert.are.equal(ht[dt], got.dtype)
        got = got:totable()
        for _, i in ipairs(brows) do
          for j = 1, 20 do
            local a, b = want[i + 1][j], got[i + 1][j]
            assert.is_true(a == b or (a ~= a and b ~= b), string.format("cast [%d][%d]", i, j - 1))
          end
        end
      end
    end)
    it("the one pass on one rank while the others own no rows, " .. dt, function()
      -- 4400 rows (the 1100 four times) cut to the first 1100: at 2-4 ranks rank 0 owns them all
      local x = ht.array(bounded(3300), { dtype = ht[dt], split = 0 })
      check_bounded(x[{ { 0, 1100 } }]:cumsum(0):totable(), dt, "slice")
    end)
  end
  it("reads a contiguous input without writing it; strided and integer inputs", function()
    for _, split in ipairs { 0, 1, false } do
      local sp = split or nil
      local x = ht.array({ { 1, 2, 3 }, { 4, 5, 6 } }, { dtype = ht.float64, split = sp })
      -- np.cumsum(A, 0), and A itself after it
      assert.are.same({ { 1, 2, 3 }, { 5, 7, 9 } }, x:cumsum(0):totable())
      assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, x:totable())
      -- np.cumsum(A.T, 0) of the transposed view (not contiguous)
      assert.are.same({ { 1, 4 }, { 3, 9 }, { 6, 15 } }, ht.transpose(x):cumsum(0):totable())
      -- np.cumsum(A.astype(int), 1, dtype=float)
      local i = ht.array({ { 1, 2, 3 }, { 4, 5, 6 } }, { dtype = ht.int64, split = sp })
      local c = i:cumsum(1, { dtype = "float64" })
      assert.are.equal(ht.float64, c.dtype)
      assert.are.same({ { 1, 3, 6 }, { 4, 9, 15 } }, c:totable())
    end
  end)
  it("rejects a zero-dimensional array at every rank", function()
    local ok, err = pcall(ht.cumsum, ht.array(1.5), 0)
    assert.is_false(ok)
    assert.matches("cumsum: a zero%-dimensional array has no axis to scan", err)
  end)
end)
