-- ht.preprocessing: the scalers against scikit-learn 1.9.1 on iris and wine (tests/data),
-- float64 and float32, split and replicated, in place (copy = false) and copying, ranks
-- without rows, unbalanced splits, constant columns and bad input. Each expected value
-- names the expression that produced it (`iris`/`wine` = np.loadtxt of the CSV,
-- rows = [0, 77, 149]).
local ht = require "heat"
local T = require "heat.testing"
local P = ht.preprocessing

local DATA = (os.getenv("HEATLUA_PATH") or "lib") .. "/../tests/data/"
-- split nil: replicated
local function load(name, dtype, split)
  local X = ht.load_csv(DATA .. name .. "_X.csv", { dtype = dtype or ht.float64, split = 0 })
  return split == 0 and X or X:resplit(nil)
end
local function rows(Y, idx)
  local t = {}
  for i, r in ipairs(idx) do t[i] = Y[r]:totable() end
  return ht.array(t, { dtype = ht.float64 })
end
local ROWS = { 0, 77, 149 }

describe("StandardScaler", function()
  -- StandardScaler().fit(iris).mean_ / .var_ / .scale_ / .transform(iris)[rows]
  local mean = { 5.843333333333335, 3.057333333333334, 3.7580000000000027, 1.199333333333334 }
  local var = { 0.6811222222222222, 0.1887128888888887, 3.0955026666666674, 0.5771328888888888 }
  local scale = { 0.8253012917851409, 0.43441096773549437, 1.7594040657753032, 0.7596926279021594 }
  local out = { { -0.9006811702978099, 1.0190043519716065, -1.3402265266227635, -1.3154442950077407 },
    { 1.0380047568006114, -0.1319794793216258, 0.7059208422669494, 0.659038469346772 },
    { 0.06866179325140129, -0.1319794793216258, 0.7627582691805523, 0.7906706536370729 } }

  for _, split in ipairs { 0, false } do
    it("matches scikit-learn on iris, float64, split " .. tostring(split), function()
      local X = load("iris", ht.float64, split or nil)
      local s = P.StandardScaler():fit(X)
      T.assert_allclose(s.mean_, mean, 1e-14)
      T.assert_allclose(s.var_, var, 1e-13)
      T.assert_allclose(s.scale_, scale, 1e-13)
      T.assert_dtype(s.mean_, ht.float64)
      assert.are.equal(150, s.n_samples_seen_)
      assert.are.equal(4, s.n_features_in_)
      local Y = s:transform(X)
      assert.is_false(rawequal(X, Y))
      T.assert_split(Y, split or nil)
      T.assert_allclose(rows(Y, ROWS), out, 1e-13, 1e-15)
      T.assert_allclose(rows(s:inverse_transform(Y), { 0 }), { { 5.1, 3.5, 1.4, 0.2 } }, 1e-14)
    end)
  end

  it("matches scikit-learn on float32 iris and keeps float32", function()
    local X = load("iris", ht.float32, 0)
    local s = P.StandardScaler():fit(X)
    -- StandardScaler().fit(iris.astype(np.float32)).mean_ / .var_
    T.assert_allclose(s.mean_, { 5.843333326975505, 3.0573333358764647, 3.7579999883969624,
      1.1993333247800668 }, 1e-12)
    T.assert_allclose(s.var_, { 0.6811221973419372, 0.18871288796149774, 3.0955026480490497,
      0.5771328740259962 }, 1e-11)
    local Y = s:fit_transform(X)
    T.assert_dtype(Y, ht.float32)
    -- ... .transform(iris.astype(np.float32))[rows]
    T.assert_allclose(rows(Y, ROWS), { { -0.90068119764328, 1.0190045833587646, -1.340226411819458,
      -1.3154443502426147 }, { 1.0380046367645264, -0.13197924196720123, 0.7059208750724792,
      0.6590386033058167 }, { 0.06866201758384705, -0.13197924196720123, 0.7627582550048828,
      0.79067063331604 } }, 2e-6, 1e-6)
  end)

  it("copy = false scales X in place and returns X itself", function()
    local X = load("iris", ht.float64, 0)
    local Y = P.StandardScaler { copy = false }:fit_transform(X)
    assert.is_true(rawequal(X, Y))
    T.assert_allclose(rows(X, ROWS), out, 1e-13, 1e-15)
    -- transform's own copy option overrides the estimator's
    local X2 = load("iris", ht.float64, 0)
    local s = P.StandardScaler { copy = false }:fit(X2)
    local Y2 = s:transform(X2, { copy = true })
    T.assert_allclose(rows(X2, { 0 }), { { 5.1, 3.5, 1.4, 0.2 } }, 0)
    T.assert_allclose(rows(Y2, ROWS), out, 1e-13, 1e-15)
  end)

  it("honours with_mean and with_std", function()
    local X = load("iris", ht.float64, 0)
    local s = P.StandardScaler { with_mean = false }:fit(X)
    T.assert_allclose(s.mean_, mean, 1e-14) -- scikit-learn keeps mean_ when it scales
    -- StandardScaler(with_mean=False).fit(iris).transform(iris)[rows]
    T.assert_allclose(rows(s:transform(X), ROWS), { { 6.179561392626216, 8.056886819052625,
      0.7957239767904438, 0.2632643685806017 }, { 8.118247319724636, 6.905902987759394,
      2.8418713456801568, 2.2377471329351146 }, { 7.148904356175426, 6.905902987759394,
      2.8987087725937597, 2.3693793172254156 } }, 1e-13)
    s = P.StandardScaler { with_std = false }:fit(X)
    assert.is_nil(s.scale_)
    assert.is_nil(s.var_)
    -- StandardScaler(with_std=False).fit(iris).transform(iris)[rows]
    T.assert_allclose(rows(s:transform(X), ROWS), { { -0.743333333333335, 0.4426666666666659,
      -2.3580000000000028, -0.9993333333333341 }, { 0.8566666666666656, -0.057333333333334124,
      1.2419999999999973, 0.5006666666666659 }, { 0.056666666666665755, -0.057333333333334124,
      1.341999999999997, 0.600666666666666 } }, 1e-12, 1e-14)
    s = P.StandardScaler { with_mean = false, with_std = false }:fit(X)
    assert.is_nil(s.mean_)
    T.assert_allclose(rows(s:transform(X), { 0 }), { { 5.1, 3.5, 1.4, 0.2 } }, 0)
  end)

  it("weights rows with sample_weight", function()
    local X = load("iris", ht.float64, 0)
    local w = (ht.arange(150, { split = 0 }) % 5 + 1):astype(ht.float64)
    local s = P.StandardScaler():fit(X, { sample_weight = w })
    -- w = np.arange(150) % 5 + 1; StandardScaler().fit(iris, sample_weight=w)
    T.assert_allclose(s.mean_, { 5.8031111111111136, 3.0382222222222217, 3.7413333333333325,
      1.1853333333333333 }, 1e-14)
    T.assert_allclose(s.var_, { 0.6473680987654323, 0.18920572839506175, 3.054958222222222,
      0.5705404444444443 }, 1e-13)
    assert.are.equal(450, s.n_samples_seen_) -- ... .n_samples_seen_ (the weights' sum)
  end)

  it("takes unbalanced splits (rows sliced off the first rank)", function()
    local X = load("iris", ht.float64, 0)[{ { 5, 150 } }]
    local s = P.StandardScaler():fit(X)
    -- StandardScaler().fit(iris[5:])
    T.assert_allclose(s.mean_, { 5.8772413793103455, 3.0496551724137944, 3.839310344827589,
      1.2337931034482768 }, 1e-14)
    T.assert_allclose(s.var_, { 0.6689303210463733, 0.19160332936979765, 3.00376504161712,
      0.5614097502972654 }, 1e-13)
  end)

  it("matches scikit-learn on wine", function()
    local s = P.StandardScaler():fit(load("wine", ht.float64, 0))
    -- StandardScaler().fit(wine).scale_
    T.assert_allclose(s.scale_, { 0.809542914528517, 1.1140036269797895, 0.2735722944264325,
      3.330169757658213, 14.242307673359807, 0.6240905641965366, 0.9960489503792328,
      0.12410325988364797, 0.5707488486199377, 2.3117646609525573, 0.2279286065650725,
      0.7079932646716006, 314.0216568419877 }, 1e-13)
  end)

  it("gives constant columns scale 1, and works with ranks that own no rows", function()
    -- two rows on up to four ranks; column 1 is constant (1e8: large, so the variance is
    -- not exactly 0 in a one-pass sum either)
    local X = ht.array({ { 1, 1e8 }, { 3, 1e8 } }, { dtype = ht.float64, split = 0 })
    local s = P.StandardScaler():fit(X)
    T.assert_allclose(s.mean_, { 2, 1e8 }, 0)
    T.assert_allclose(s.var_, { 1, 0 }, 0, 1e-6)
    T.assert_allclose(s.scale_, { 1, 1 }, 0)
    T.assert_allclose(s:transform(X), { { -1, 0 }, { 1, 0 } }, 0)
  end)

  it("rejects bad input on every rank", function()
    local X = load("iris", ht.float64, 0)
    T.assert_error(function() P.StandardScaler { with_means = true } end,
      "StandardScaler: unknown option 'with_means'")
    T.assert_error(function() P.StandardScaler():transform(X) end, "not fitted yet")
    T.assert_error(function() P.StandardScaler():fit(ht.arange(5, { split = 0 })) end,
      "X must be 2-D, got shape (5,)")
    T.assert_error(function() P.StandardScaler():fit(X):transform(load("wine")) end,
      "X has 13 features, but StandardScaler is expecting 4 features as input")
    T.assert_error(function() P.StandardScaler():fit(X, { weights = 1 }) end,
      "unknown option 'weights'")
    T.assert_error(function()
      P.StandardScaler():fit(X, { sample_weight = ht.ones(149, { split = 0 }) })
    end, "sample_weight must have shape (150,)")
    local bad = ht.array({ { 1, 0 / 0 }, { 2, 3 }, { 4, 5 } }, { split = 0 })
    T.assert_error(function() P.StandardScaler():fit(bad) end, "X contains NaN or infinity")
    T.assert_error(function() P.StandardScaler():fit(X):transform(X, { inplace = true }) end,
      "unknown option 'inplace'")
  end)

  it("has get_params and set_params", function()
    local s = P.StandardScaler { with_std = false }
    assert.are.same({ copy = true, with_mean = true, with_std = false }, s:get_params())
    s:set_params { with_std = true }
    assert.is_true(s.with_std)
  end)
end)

describe("MinMaxScaler", function()
  it("matches scikit-learn on wine with feature_range (-1, 2)", function()
    local m = P.MinMaxScaler { feature_range = { -1, 2 } }:fit(load("wine", ht.float64, 0))
    -- MinMaxScaler(feature_range=(-1, 2)).fit(wine).data_min_ / data_max_ / scale_ / min_
    T.assert_allclose(m.data_min_, { 11.03, 0.74, 1.36, 10.6, 70.0, 0.98, 0.34, 0.13, 0.41, 1.28,
      0.48, 1.27, 278.0 }, 0)
    T.assert_allclose(m.data_max_, { 14.83, 5.8, 3.23, 30.0, 162.0, 3.88, 5.08, 0.66, 3.58, 13.0,
      1.71, 4.0, 1680.0 }, 0)
    T.assert_allclose(m.scale_, { 0.7894736842105262, 0.5928853754940712, 1.6042780748663104,
      0.15463917525773196, 0.03260869565217391, 1.0344827586206897, 0.6329113924050632,
      5.660377358490566, 0.9463722397476341, 0.25597269624573377, 2.4390243902439024,
      1.098901098901099, 0.0021398002853067048 }, 1e-15)
    T.assert_allclose(m.min_, { -9.707894736842103, -1.4387351778656128, -3.181818181818182,
      -2.6391752577319587, -3.282608695652174, -2.013793103448276, -1.2151898734177216,
      -1.7358490566037736, -1.38801261829653, -1.3276450511945392, -2.1707317073170733,
      -2.395604395604396, -1.5948644793152638 }, 1e-14)
    local Y = m:transform(load("wine", ht.float64, 0))
    -- ... .transform(wine)[[0, 100]]
    T.assert_allclose(rows(Y, { 0, 100 }), { { 1.526315789473685, -0.4249011857707512,
      0.7165775401069525, -0.2268041237113403, 0.8586956521739131, 0.8827586206896552,
      0.721518987341772, -0.15094339622641506, 0.7791798107255519, 0.11604095563139905,
      0.36585365853658525, 1.9120879120879124, 0.6840228245363766 }, { -0.1710526315789469,
      -0.2055335968379448, -0.4545454545454546, 0.06701030927835072, -0.11956521739130421,
      0.2931034482758621, 0.15822784810126556, -0.2641509433962266, -0.06309148264984232,
      -0.4829351535836178, 0.9268292682926829, 0.8571428571428572, -0.07560627674750342 } },
      1e-13, 1e-15)
    T.assert_allclose(rows(m:inverse_transform(Y), { 0 }), { { 14.23, 1.71, 2.43, 15.6, 127,
      2.8, 3.06, 0.28, 2.29, 5.64, 1.04, 3.92, 1065 } }, 1e-13)
    assert.are.equal(178, m.n_samples_seen_)
  end)

  it("clips to the feature range", function()
    local X = load("iris", ht.float64, 0)
    local m = P.MinMaxScaler { clip = true }:fit(X)
    -- MinMaxScaler(clip=True).fit(iris).transform(iris * 1.5)[[0, 149]]
    T.assert_allclose(rows(m:transform(X * 1.5), { 0, 149 }), { { 0.9305555555555554, 1.0,
      0.18644067796610164, 0.08333333333333336 }, { 1, 1, 1, 1 } }, 1e-14)
  end)

  it("keeps float32 and rejects a bad range", function()
    local m = P.MinMaxScaler():fit(load("iris", ht.float32, 0))
    T.assert_dtype(m.scale_, ht.float32)
    T.assert_dtype(m:transform(load("iris", ht.float32, 0)), ht.float32)
    T.assert_error(function() P.MinMaxScaler { feature_range = { 1, 0 } } end,
      "feature_range must be {min, max} with min < max")
  end)
end)

describe("MaxAbsScaler", function()
  it("matches scikit-learn on centred wine", function()
    local Xc = load("wine", ht.float64, 0)
    Xc = Xc - Xc:mean(0)
    local m = P.MaxAbsScaler():fit(Xc)
    -- Xc = wine - wine.mean(0); MaxAbsScaler().fit(Xc).max_abs_
    T.assert_allclose(m.max_abs_, { 1.970617977528084, 3.4636516853932586, 1.0065168539325853,
      10.50505617977528, 62.258426966292134, 1.584887640449438, 3.0507303370786527,
      0.2981460674157303, 1.9891011235955047, 7.941910117977527, 0.7525505617977531,
      1.3883146067415746, 933.1067415730337 }, 1e-12)
    -- ... .transform(Xc)[[0, 177]]
    T.assert_allclose(rows(m:transform(Xc), { 0, 177 }), { { 0.6238560880349, -0.18083467146773058,
      0.06307211431122918, -0.37076849029359865, 0.4378271070203934, 0.3185636808337172,
      0.3378634697898829, -0.2745430563406823, 0.35146585324521235, 0.07327080127239154,
      0.10969437269510479, 0.9423761735189382, 0.3409114170976501 }, { 0.5731105852838095,
      0.5091885228618234, 0.37106496985934234, 0.47644259051286164, -0.060097455332972394,
      -0.15465598525397908, -0.41605436163747817, 0.6645939325419258, -0.12110941648308246,
      0.5215256854395499, -0.4616958060229624, -0.7287147944318529, -0.20029140300915757 } },
      1e-11, 1e-13)
  end)
end)

describe("Normalizer", function()
  -- Normalizer(norm=n).fit_transform(iris)[rows]
  local want = {
    l2 = { { 0.8037727730153805, 0.5516087657948691, 0.2206435063179476, 0.03152050090256395 },
      { 0.7408857633640885, 0.3317398940436217, 0.5528998234060362, 0.1879859399580523 },
      { 0.6902591585738451, 0.35097923317314156, 0.5966646963943406, 0.21058753990388496 } },
    l1 = { { 0.5, 0.3431372549019608, 0.13725490196078433, 0.019607843137254905 },
      { 0.4085365853658537, 0.1829268292682927, 0.30487804878048785, 0.10365853658536586 },
      { 0.37341772151898733, 0.18987341772151897, 0.3227848101265822, 0.11392405063291139 } },
    max = { { 1.0, 0.6862745098039216, 0.27450980392156865, 0.03921568627450981 },
      { 1.0, 0.44776119402985076, 0.7462686567164178, 0.2537313432835821 },
      { 1.0, 0.5084745762711864, 0.8644067796610169, 0.30508474576271183 } },
  }
  for _, norm in ipairs { "l2", "l1", "max" } do
    it("matches scikit-learn with norm " .. norm, function()
      local Y = P.Normalizer { norm = norm }:fit_transform(load("iris", ht.float64, 0))
      T.assert_allclose(rows(Y, ROWS), want[norm], 1e-14)
    end)
  end
  it("leaves zero rows alone and rejects an unknown norm", function()
    local X = ht.array({ { 0, 0 }, { 3, 4 } }, { dtype = ht.float64, split = 0 })
    T.assert_allclose(P.Normalizer():fit_transform(X), { { 0, 0 }, { 0.6, 0.8 } }, 1e-15)
    T.assert_error(function() P.Normalizer { norm = "l3" } end, "norm must be 'l1', 'l2' or 'max'")
  end)
end)

describe("RobustScaler", function()
  it("matches scikit-learn on wine", function()
    local r = P.RobustScaler():fit(load("wine", ht.float64, 0))
    -- RobustScaler().fit(wine).center_ / .scale_
    T.assert_allclose(r.center_, { 13.05, 1.8650000000000002, 2.36, 19.5, 98.0, 2.355, 2.135,
      0.34, 1.5550000000000002, 4.6899999999999995, 0.965, 2.78, 673.5 }, 1e-15)
    T.assert_allclose(r.scale_, { 1.3150000000000013, 1.48, 0.34750000000000014,
      4.300000000000001, 19.0, 1.0574999999999999, 1.67, 0.16749999999999998, 0.7,
      2.9800000000000004, 0.33750000000000013, 1.2325, 484.5 }, 1e-14)
  end)

  it("takes quantile_range and unit_variance", function()
    local X = load("iris", ht.float64, 0)
    local r = P.RobustScaler { quantile_range = { 10, 90 }, unit_variance = true }:fit(X)
    -- RobustScaler(quantile_range=(10, 90), unit_variance=True).fit(iris)
    T.assert_allclose(r.center_, { 5.8, 3.0, 4.35, 1.3 }, 1e-15)
    T.assert_allclose(r.scale_, { 0.8193193533759983, 0.4330688010701702, 1.7166691213592342,
      0.7803041460723791 }, 1e-13)
    T.assert_allclose(rows(r:transform(X), ROWS), { { -0.8543677103630669, 1.154550959950091,
      -1.718444144707532, -1.4097067220990607 }, { 1.0984727704668005, 0.0, 0.3786402352745412,
      0.5126206262178401 }, { 0.12205253005186732, 0.0, 0.4368925791629319, 0.6407757827723002 } },
      1e-13, 1e-15)
    -- scipy.stats.norm.ppf(0.975), norm.ppf(1e-10)
    assert.is_true(math.abs(P._norm_ppf(0.975) - 1.959963984540054) < 1e-15)
    assert.is_true(math.abs(P._norm_ppf(1e-10) / -6.361340902404056 - 1) < 1e-14)
  end)

  it("keeps float32", function()
    local r = P.RobustScaler():fit(load("iris", ht.float32, 0))
    T.assert_dtype(r.center_, ht.float32)
    -- RobustScaler().fit(iris.astype(np.float32)).center_ / .scale_
    T.assert_allclose(r.center_, { 5.800000190734863, 3.0, 4.350000381469727, 1.2999999523162842 }, 1e-7)
    T.assert_allclose(r.scale_, { 1.3000001907348633, 0.5, 3.4999998807907104, 1.4999999403953552 }, 1e-6)
  end)
end)
