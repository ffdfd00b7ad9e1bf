-- ht.regression.Lasso against scikit-learn 1.9.1's Lasso on diabetes (tests/data):
-- several alphas, with and without intercept, sample_weight, float32, split and replicated
-- data, unbalanced rows, bad input. X, y = np.loadtxt of diabetes_X.csv / diabetes_y.csv;
-- references use precompute=True (the same Gram coordinate descent), and tol=1e-12,
-- max_iter=100000 where the values are compared to 1e-4 after convergence.
local ht = require "heat"
local T = require "heat.testing"
local Lasso = ht.regression.Lasso

local DATA = (os.getenv("HEATLUA_PATH") or "lib") .. "/../tests/data/"
local function load(dtype, split)
  local X = ht.load_csv(DATA .. "diabetes_X.csv", { dtype = dtype or ht.float64, split = 0 })
  local y = ht.load_csv(DATA .. "diabetes_y.csv", { dtype = dtype or ht.float64, split = 0 })
  if split == nil then return X:resplit(nil), y:resplit(nil) end
  return X, y
end
local tight = { tol = 1e-12, max_iter = 100000 }
local function opts(t)
  local o = { tol = tight.tol, max_iter = tight.max_iter }
  for k, v in pairs(t or {}) do o[k] = v end
  return o
end

-- Lasso(alpha=a, precompute=True, tol=1e-12, max_iter=100000).fit(X, y).coef_ / intercept_
local want = {
  [0.1] = { -0.0, -155.34311062478238, 517.2162412028107, 275.0872229281498, -52.55203581188378,
    -0.0, -210.1395090353102, 0.0, 483.9171745719886, 33.662192143252305 },
  [1.0] = { 0.0, -0.0, 367.7016258215484, 6.309702644196138, 0.0, 0.0, -0.0, 0.0,
    307.6021474621349, 0.0 },
  [0.01] = { -1.3145922418503877, -228.83506680889644, 525.5347026567164, 316.18525056655204,
    -310.2999244242871, 91.89682618514412, -103.61146785779466, 120.02003913985601,
    572.5423195564729, 65.00467162970315 },
}
local intercept = 152.13348416289602 -- the same for the three alphas (X's columns are centred)

describe("Lasso", function()
  for _, a in ipairs { 0.1, 1.0, 0.01 } do
    for _, split in ipairs { 0, false } do
      it("matches scikit-learn at alpha " .. a .. ", split " .. tostring(split), function()
        local X, y = load(ht.float64, split or nil)
        local m = Lasso(a, opts()):fit(X, y)
        T.assert_allclose(m.coef_, want[a], 0, 1e-4)
        assert.is_true(math.abs(m.intercept_ - intercept) < 1e-4)
        T.assert_dtype(m.coef_, ht.float64)
      end)
    end
  end

  it("takes scikit-learn's sweeps and stopping rule with the default tol", function()
    local X, y = load(ht.float64, 0)
    local m = Lasso(0.1):fit(X, y)
    -- Lasso(alpha=0.1, precompute=True).fit(X, y): n_iter_ and coef_
    assert.are.equal(21, m.n_iter_)
    T.assert_allclose(m.coef_, { -0.0, -155.359975697009, 517.1867954440926, 275.0772353690517,
      -52.539365090119276, -0.0, -210.1579913965707, 0.0, 483.91264753276977, 33.67396468056244 },
      0, 1e-6)
    -- the sweep counts of the tight fits: 44 (alpha 0.1), 22 (alpha 1.0)
    assert.are.equal(44, Lasso(0.1, opts()):fit(X, y).n_iter_)
    assert.are.equal(22, Lasso(1.0, opts()):fit(X, y).n_iter_)
  end)

  it("fits without an intercept", function()
    local X, y = load(ht.float64, 0)
    local m = Lasso { lam = 0.1, fit_intercept = false, tol = 1e-12, max_iter = 100000 }:fit(X + 1, y)
    -- Lasso(alpha=0.1, fit_intercept=False, precompute=True, tol=1e-12).fit(X + 1, y).coef_
    T.assert_allclose(m.coef_, { -0.0, -297.9910770213534, 416.6040539292512, 269.0023281025867,
      0.0, -61.611796159520296, -503.02344393974073, -68.51784141206564, 392.6893763765249,
      5.188328388722837 }, 0, 1e-4)
    assert.are.equal(0, m.intercept_)
  end)

  it("weights rows with sample_weight", function()
    local X, y = load(ht.float64, 0)
    local w = (ht.arange(442, { split = 0 }) % 4 + 1):astype(ht.float64)
    local m = Lasso(0.1, opts()):fit(X, y, { sample_weight = w })
    -- w = np.arange(442) % 4 + 1; Lasso(alpha=0.1, ...).fit(X, y, sample_weight=w)
    T.assert_allclose(m.coef_, { -0.0, -170.7666710332923, 478.21231211722244, 264.0803761905309,
      -72.32328703460269, -0.0, -190.24585164057027, 0.0, 531.3748333589352, 0.0 }, 0, 1e-4)
    assert.is_true(math.abs(m.intercept_ - 151.66312693766235) < 1e-4)
    -- a replicated weight vector next to split rows, and unbalanced rows
    local m2 = Lasso(0.1, opts()):fit(X[{ { 2, 442 } }], y[{ { 2, 442 } }],
      { sample_weight = w:resplit(nil)[{ { 2, 442 } }] })
    local m3 = Lasso(0.1, opts()):fit(X[{ { 2, 442 } }]:resplit(nil), y[{ { 2, 442 } }],
      { sample_weight = w[{ { 2, 442 } }] })
    T.assert_allclose(m2.coef_, m3.coef_:totable(), 1e-9, 1e-9)
  end)

  it("predicts, scores and gives Heat's theta", function()
    local X, y = load(ht.float64, 0)
    local m = Lasso(0.1, opts()):fit(X, y)
    local p = m:predict(X)
    T.assert_split(p, 0)
    -- Lasso(alpha=0.1, tol=1e-12, max_iter=100000).fit(X, y).predict(X[:3]) / .score(X, y)
    T.assert_allclose(p[{ { 0, 3 } }], { 202.67160516764548, 73.83925623436687, 175.39907399429143 },
      1e-6)
    assert.is_true(math.abs(m:score(X, y) - 0.5088394397989721) < 1e-8)
    T.assert_shape(m.theta, { 11, 1 })
    assert.is_true(math.abs(m.theta[{ 0, 0 }]:item() - m.intercept_) < 1e-12)
    assert.is_true(math.abs(m.theta[{ 3, 0 }]:item() - m.coef_[2]:item()) < 1e-12)
  end)

  it("keeps float32", function()
    local X, y = load(ht.float32, 0)
    local m = Lasso(0.1, opts()):fit(X, y)
    T.assert_dtype(m.coef_, ht.float32)
    T.assert_dtype(m:predict(X), ht.float32)
    T.assert_allclose(m.coef_, want[0.1], 0, 2e-3) -- float32 data: the float64 fit's values
  end)

  it("takes Heat's (n, 1) y and works when ranks own no rows", function()
    local X, y = load(ht.float64, 0)
    local m = Lasso(0.1, opts()):fit(X, y:reshape({ 442, 1 }))
    T.assert_allclose(m.coef_, want[0.1], 0, 1e-4)
    -- y = 2 x0 + 1 on two rows: alpha 0 gives the exact line
    local x2 = ht.array({ { 1 }, { 3 } }, { dtype = ht.float64, split = 0 })
    local y2 = ht.array({ 3, 7 }, { dtype = ht.float64, split = 0 })
    local m2 = Lasso(0, opts()):fit(x2, y2)
    T.assert_allclose(m2.coef_, { 2 }, 1e-12)
    assert.is_true(math.abs(m2.intercept_ - 1) < 1e-12)
  end)

  it("rejects bad input on every rank", function()
    local X, y = load(ht.float64, 0)
    T.assert_error(function() Lasso(0.1, { max_iters = 5 }) end, "Lasso: unknown option 'max_iters'")
    T.assert_error(function() Lasso(-1) end, "lam must be a non-negative number")
    T.assert_error(function() Lasso { precompute = false } end, "precompute must be 'auto' or true")
    T.assert_error(function() Lasso():predict(X) end, "not fitted yet")
    T.assert_error(function() Lasso():fit(X, y[{ { 0, 400 } }]) end,
      "y must have shape (442,) to match X (442, 10), got (400,)")
    T.assert_error(function() Lasso():fit(ht.arange(442.0, { split = 0 }), y) end,
      "X must be 2-D, got shape (442,)")
    T.assert_error(function() Lasso():fit(X, y):predict(X[{ ht.all, { 0, 5 } }]) end,
      "X has 5 features, but Lasso is expecting 10 features as input")
    T.assert_error(function()
      Lasso():fit(X, y, { sample_weight = -ht.ones(442, { split = 0 }) })
    end, "sample_weight must be non-negative")
    local Xn = X:copy()
    Xn[{ 7, 3 }] = 0 / 0
    T.assert_error(function() Lasso():fit(Xn, y) end, "X or y contains NaN or infinity")
    T.assert_error(function() Lasso():fit(X, y, { weights = 1 }) end, "unknown option 'weights'")
  end)

  it("has get_params and set_params", function()
    local m = Lasso(0.5, { max_iter = 10 })
    assert.are.same({ lam = 0.5, max_iter = 10, tol = 1e-4, fit_intercept = true,
      precompute = "auto", verbose = false }, m:get_params())
    m:set_params { lam = 0.2 }
    assert.are.equal(0.2, m.lam)
  end)
end)
