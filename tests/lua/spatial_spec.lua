-- ht.spatial: cdist, rbf and manhattan for every split combination of X and Y (nil, 0, 1,
-- and Y left out), float32 and float64, both the GEMM expansion and the direct form, ranks
-- that own no rows, unbalanced splits, and the errors of bad input. Expected values from
-- SciPy 1.16 (scipy.spatial.distance.cdist) on the X and Y below.
local ht = require "heat"
local T = require "heat.testing"

-- X = np.array([[0.5,-1,2],[1.5,.25,-.5],[-2,1,0],[3,-.75,1.25],[0,0,0],[-1.25,2.5,-3],[2.25,1.75,.5]])
local X = { { 0.5, -1.0, 2.0 }, { 1.5, 0.25, -0.5 }, { -2.0, 1.0, 0.0 }, { 3.0, -0.75, 1.25 },
            { 0.0, 0.0, 0.0 }, { -1.25, 2.5, -3.0 }, { 2.25, 1.75, 0.5 } }
-- Y = np.array([[1,0,-1],[-.5,.5,2.5],[2,-2,0],[.25,1.25,-.75],[-3,0,1]])
local Y = { { 1.0, 0.0, -1.0 }, { -0.5, 0.5, 2.5 }, { 2.0, -2.0, 0.0 }, { 0.25, 1.25, -0.75 },
            { -3.0, 0.0, 1.0 } }

-- cdist(X, Y)
local XY_EUC = {
  { 3.2015621187164243, 1.8708286933869707, 2.692582403567252, 3.5619517121937516, 3.774917217635375 },
  { 0.75, 3.61420807370024, 2.358495283014151, 1.620185174601965, 4.75 },
  { 3.3166247903554, 2.958039891549808, 5.0, 2.384848003542364, 1.7320508075688772 },
  { 3.1024184114977142, 3.9210967853395307, 2.03100960115899, 3.944933459514875, 6.051859218455102 },
  { 1.4142135623730951, 2.598076211353316, 2.8284271247461903, 1.479019945774904, 3.1622776601683795 },
  { 3.913118960624632, 5.900211860602973, 6.309714732061981, 2.979093821953246, 5.031152949374527 },
  { 2.622022120425379, 3.6228441865473595, 3.7914377220257753, 2.4109126902482387, 5.5565276927232174 } }
-- cdist(X, X)
local XX_EUC = {
  { 0.0, 2.968585521759479, 3.774917217635375, 2.622022120425379, 2.29128784747792, 6.349212549600147, 3.588175023601831 },
  { 2.968585521759479, 0.0, 3.61420807370024, 2.5124689052802225, 1.6007810593582121, 4.344536799245692, 1.9525624189766635 },
  { 3.774917217635375, 3.61420807370024, 0.0, 5.44288526426931, 2.23606797749979, 3.43693177121688, 4.344536799245692 },
  { 2.622022120425379, 2.5124689052802225, 5.44288526426931, 0.0, 3.3354160160315836, 6.832825184358224, 2.715695122800054 },
  { 2.29128784747792, 1.6007810593582121, 2.23606797749979, 3.3354160160315836, 0.0, 4.100304866714182, 2.8939592256975564 },
  { 6.349212549600147, 4.344536799245692, 3.43693177121688, 6.832825184358224, 4.100304866714182, 0.0, 5.006246098625197 },
  { 3.588175023601831, 1.9525624189766635, 4.344536799245692, 2.715695122800054, 2.8939592256975564, 5.006246098625197, 0.0 } }
-- cdist(X, Y, 'cityblock')
local XY_CITY = {
  { 4.5, 3.0, 4.5, 5.25, 5.5 },
  { 1.25, 5.25, 3.25, 2.5, 6.25 },
  { 5.0, 4.5, 7.0, 3.25, 3.0 },
  { 5.0, 6.0, 3.5, 6.75, 7.0 },
  { 2.0, 3.5, 4.0, 2.25, 4.0 },
  { 6.75, 8.25, 10.75, 5.0, 8.25 },
  { 4.5, 6.0, 4.5, 3.75, 7.5 } }
-- cdist(X, X, 'cityblock')
local XX_CITY = {
  { 0.0, 4.75, 6.5, 3.5, 3.5, 10.25, 6.0 },
  { 4.75, 0.0, 4.75, 4.25, 2.25, 7.5, 3.25 },
  { 6.5, 4.75, 0.0, 8.0, 3.0, 5.25, 5.5 },
  { 3.5, 4.25, 8.0, 0.0, 5.0, 11.75, 4.0 },
  { 3.5, 2.25, 3.0, 5.0, 0.0, 6.75, 4.5 },
  { 10.25, 7.5, 5.25, 11.75, 6.75, 0.0, 7.75 },
  { 6.0, 3.25, 5.5, 4.0, 4.5, 7.75, 0.0 } }
-- np.exp(-cdist(X, Y, 'sqeuclidean') / (2 * 1.5**2))
local XY_RBF = {
  { 0.10251175769346066, 0.4594258240359266, 0.19966564006790186, 0.05963906632170702, 0.042143843509276406 },
  { 0.8824969025845953, 0.05487058986299434, 0.2905117920930451, 0.5580351457700471, 0.006645011282741398 },
  { 0.08677432947392923, 0.1430666827544082, 0.0038659201394728076, 0.2825530696447895, 0.513417119032592 },
  { 0.1177856432784892, 0.03282165832666321, 0.39984965434484737, 0.0314821886317737, 0.0002919614196566022 },
  { 0.6411803884299546, 0.22313016014842982, 0.1690133154060661, 0.6150134686871545, 0.10836802322189586 },
  { 0.033280695068423294, 0.0004367668142548363, 0.00014378057255989013, 0.1391472961731217, 0.0036065631360157305 },
  { 0.2170173927400507, 0.05411376622282161, 0.04098929088001298, 0.27481238055948964, 0.0010477491199406433 } }
-- np.exp(-cdist(X, X, 'sqeuclidean') / 2)  (sigma = 1)
local XX_RBF1 = {
  { 1.0, 0.012200845821682604, 0.0008047330101246132, 0.03214494732687607, 0.07243975703425146, 1.7629981198155879e-09, 0.001600402690244564 },
  { 0.012200845821682604, 1.0, 0.001457183231848157, 0.04258513628878761, 0.27768997095378994, 7.96793581553195e-05, 0.1486367305381225 },
  { 0.0008047330101246132, 0.001457183231848157, 1.0, 3.689886323573741e-07, 0.0820849986238988, 0.00272237668213834, 7.96793581553195e-05 },
  { 0.03214494732687607, 0.04258513628878761, 3.689886323573741e-07, 1.0, 0.0038391664740261636, 7.276762290268223e-11, 0.025034510149960148 },
  { 0.07243975703425146, 0.27768997095378994, 0.0820849986238988, 0.0038391664740261636, 1.0, 0.00022346628620705983, 0.015184197956837946 },
  { 1.7629981198155879e-09, 7.96793581553195e-05, 0.00272237668213834, 7.276762290268223e-11, 0.00022346628620705983, 1.0, 3.611996107745338e-06 },
  { 0.001600402690244564, 0.1486367305381225, 7.96793581553195e-05, 0.025034510149960148, 0.015184197956837946, 3.611996107745338e-06, 1.0 } }

local splits = { "nil", 0, 1 }
local function mk(t, dtype, s)
  return ht.array(t, { dtype = dtype, split = s ~= "nil" and s or nil })
end
-- Heat's result split: rows of X when X is split (split 1 is redistributed by rows first),
-- columns when only Y is, else replicated.
local function want_split(sx, sy)
  if sx ~= "nil" then return 0 end
  if sy ~= "nil" then return 1 end
  return nil
end

describe("ht.spatial.cdist", function()
  for _, dtype in ipairs { ht.float64, ht.float32 } do
    local rtol = dtype == ht.float32 and 1e-5 or 1e-12
    for _, sx in ipairs(splits) do
      for _, sy in ipairs(splits) do
        for _, quad in ipairs { false, true } do
          it(string.format("X split %s, Y split %s, %s, quadratic_expansion %s", sx, sy, dtype,
            tostring(quad)), function()
            local d = ht.spatial.cdist(mk(X, dtype, sx), mk(Y, dtype, sy), { quadratic_expansion = quad })
            T.assert_dtype(d, dtype)
            T.assert_split(d, want_split(sx, sy))
            T.assert_allclose(d, XY_EUC, rtol, quad and 1e-6 or 0)
          end)
        end
      end
      it(string.format("X split %s with itself, %s", sx, dtype), function()
        local d = ht.spatial.cdist(mk(X, dtype, sx))
        T.assert_split(d, want_split(sx, "nil"))
        T.assert_allclose(d, XX_EUC, rtol)
        -- the expansion's rounding never leaves a negative square: the diagonal is 0, not NaN
        local q = ht.spatial.cdist(mk(X, dtype, sx), { quadratic_expansion = true })
        T.assert_allclose(q, XX_EUC, rtol, dtype == ht.float32 and 1e-3 or 1e-7)
      end)
    end
  end

  it("clamps the expansion's negative rounding to 0 (no NaN from sqrt)", function()
    -- float32 rows of norm ~1e3: |x|^2 - 2 x.x + |x|^2 rounds below 0 for the second row
    local x = ht.array({ { 1000.1, 999.7, 1234.567 }, { 3.3, 1001.1, 777.7 } }, { dtype = ht.float32, split = 0 })
    local d = ht.spatial.cdist(x, { quadratic_expansion = true }):totable()
    for i = 1, 2 do
      assert.is_true(d[i][i] == d[i][i] and d[i][i] >= 0 and d[i][i] < 1.0)
    end
    -- np.linalg.norm(x[0] - x[1]) in float64 of the float32 values
    assert.is_true(math.abs(d[1][2] - 1096.5124) < 0.05)
  end)

  it("promotes integers to float64 and mixed floats to float64", function()
    local xi = ht.array({ { 0, 0 }, { 3, 4 } }, { dtype = ht.int32, split = 0 })
    local d = ht.spatial.cdist(xi)
    T.assert_dtype(d, ht.float64)
    T.assert_allclose(d, { { 0, 5 }, { 5, 0 } }) -- exact: a 3-4-5 triangle
    local m = ht.spatial.cdist(mk(X, ht.float32, 0), mk(Y, ht.float64, 0))
    T.assert_dtype(m, ht.float64)
    T.assert_allclose(m, XY_EUC, 1e-7)
  end)

  it("handles ranks without rows and unbalanced splits", function()
    -- two rows of X on 3 and 4 ranks leave ranks empty; a slice of a split array is unbalanced
    local x2 = ht.array({ X[1], X[2] }, { dtype = ht.float64, split = 0 })
    T.assert_allclose(ht.spatial.cdist(x2, mk(Y, ht.float64, 0)), { XY_EUC[1], XY_EUC[2] }, 1e-12)
    local xs = mk(X, ht.float64, 0)[{ { 3, 7 } }]
    local ys = mk(Y, ht.float64, 0)[{ { 0, 2 } }]
    local want = {}
    for i = 4, 7 do want[#want + 1] = { XY_EUC[i][1], XY_EUC[i][2] } end
    T.assert_allclose(ht.spatial.cdist(xs, ys, { quadratic_expansion = true }), want, 1e-12, 1e-12)
    -- no rows at all
    local e = ht.spatial.cdist(mk(X, ht.float64, 0)[{ { 0, 0 } }], mk(Y, ht.float64, 0))
    T.assert_shape(e, { 0, 5 })
  end)

  it("rejects bad input on every rank together", function()
    T.assert_error(function() ht.spatial.cdist(ht.arange(5, { split = 0 })) end,
      "cdist: X must be 2-D (samples, features), got shape (5,)")
    T.assert_error(function() ht.spatial.cdist(mk(X, ht.float64, 0), ht.zeros({ 2, 4 }, { split = 0 })) end,
      "cdist: X and Y must have the same number of features, got shapes (7, 3) and (2, 4)")
    T.assert_error(function() ht.spatial.cdist(mk(X, ht.float64, 0), nil, { metric = "cosine" }) end,
      "ht.spatial.cdist: unknown option 'metric' (options: quadratic_expansion)")
    T.assert_error(function() ht.spatial.cdist(mk(X, ht.float64, 0), nil, {}, 4) end,
      "ht.spatial.cdist: takes at most 3 arguments, got 4")
  end)
end)

describe("ht.spatial.rbf", function()
  for _, dtype in ipairs { ht.float64, ht.float32 } do
    for _, sx in ipairs(splits) do
      for _, sy in ipairs(splits) do
        it(string.format("X split %s, Y split %s, %s", sx, sy, dtype), function()
          for _, quad in ipairs { false, true } do
            local k = ht.spatial.rbf(mk(X, dtype, sx), mk(Y, dtype, sy), { sigma = 1.5, quadratic_expansion = quad })
            T.assert_dtype(k, dtype)
            T.assert_split(k, want_split(sx, sy))
            T.assert_allclose(k, XY_RBF, dtype == ht.float32 and 1e-5 or 1e-12, 1e-7)
          end
        end)
      end
    end
  end
  it("defaults to sigma = 1 and X with itself", function()
    T.assert_allclose(ht.spatial.rbf(mk(X, ht.float64, 0)), XX_RBF1, 1e-12)
  end)
  it("rejects a non-positive or non-number sigma", function()
    T.assert_error(function() ht.spatial.rbf(mk(X, ht.float64, 0), nil, { sigma = 0 }) end,
      "rbf: sigma must be positive, got 0")
    T.assert_error(function() ht.spatial.rbf(mk(X, ht.float64, 0), nil, { sigma = "1" }) end,
      "ht.spatial.rbf: sigma must be a number, got string")
  end)
end)

describe("ht.spatial.manhattan", function()
  for _, dtype in ipairs { ht.float64, ht.float32 } do
    for _, sx in ipairs(splits) do
      for _, sy in ipairs(splits) do
        it(string.format("X split %s, Y split %s, %s", sx, sy, dtype), function()
          for _, expand in ipairs { false, true } do
            local d = ht.spatial.manhattan(mk(X, dtype, sx), mk(Y, dtype, sy), { expand = expand })
            T.assert_dtype(d, dtype)
            T.assert_split(d, want_split(sx, sy))
            T.assert_allclose(d, XY_CITY, 1e-6)
          end
        end)
      end
      it(string.format("X split %s with itself, %s", sx, dtype), function()
        T.assert_allclose(ht.spatial.distance.manhattan(mk(X, dtype, sx)), XX_CITY, 1e-6)
      end)
    end
  end
  it("rejects unknown options", function()
    T.assert_error(function() ht.spatial.manhattan(mk(X, ht.float64, 0), { p = 1 }) end,
      "ht.spatial.manhattan: unknown option 'p' (options: expand)")
  end)
end)
