-- ht.decomposition.PCA against scikit-learn 1.9.1's PCA on iris and wine (tests/data):
-- explained variance, ratios, singular values, noise variance and components (compared up
-- to sign), transform with and without whitening, fractional n_components, the randomized
-- solver, float32, ranks without rows, bad input. iris/wine = np.loadtxt of the CSVs.
local ht = require "heat"
local T = require "heat.testing"
local PCA = ht.decomposition.PCA

local DATA = (os.getenv("HEATLUA_PATH") or "lib") .. "/../tests/data/"
local function load(name, dtype, split)
  local X = ht.load_csv(DATA .. name .. "_X.csv", { dtype = dtype or ht.float64, split = 0 })
  return split == 0 and X or X:resplit(nil)
end

-- rows of `got` (an array) equal the rows of `want` up to each row's sign
local function assert_rows_up_to_sign(got, want, atol)
  local g = got:totable()
  assert.are.equal(#want, #g)
  for i = 1, #want do
    local s = 0
    for j = 1, #want[i] do s = s + g[i][j] * want[i][j] end
    s = s < 0 and -1 or 1
    for j = 1, #want[i] do
      if math.abs(s * g[i][j] - want[i][j]) > atol then
        error(string.format("row %d col %d: got %.17g, expected +-%.17g", i - 1, j - 1,
          g[i][j], want[i][j]), 2)
      end
    end
  end
end
local function columns_up_to_sign(got, want, atol)
  assert_rows_up_to_sign(got.T, want, atol)
end

-- PCA().fit(iris)
local iris = {
  ev = { 4.228241706034838, 0.2426707479286116, 0.07820950004290794, 0.023835092973445878 },
  evr = { 0.924618723201734, 0.05306648311706378, 0.017102609807927494, 0.005212183873274667 },
  sv = { 25.099960442183786, 6.013147382308464, 3.413680639191851, 1.8845235082225522 },
  comp = { { 0.3613865917853652, -0.08452251406457312, 0.856670605949836, 0.35828919715155155 },
    { 0.6565887712868261, 0.7301614347850451, -0.17337266279585106, -0.07548101991744255 },
    { -0.5820298513060405, 0.5979108301000163, 0.07623607582089942, 0.5458314320201871 },
    { 0.315487192904058, -0.3197231036662175, -0.47983898699464544, 0.7536574252639664 } },
  mean = { 5.843333333333335, 3.057333333333334, 3.7580000000000027, 1.199333333333334 },
}

describe("PCA", function()
  for _, split in ipairs { 0, false } do
    it("matches scikit-learn on iris, split " .. tostring(split), function()
      local p = PCA():fit(load("iris", ht.float64, split or nil))
      T.assert_allclose(p.explained_variance_, iris.ev, 1e-11)
      T.assert_allclose(p.explained_variance_ratio_, iris.evr, 1e-11)
      T.assert_allclose(p.singular_values_, iris.sv, 1e-11)
      T.assert_allclose(p.mean_, iris.mean, 1e-14)
      assert_rows_up_to_sign(p.components_, iris.comp, 1e-9)
      assert.are.equal(4, p.n_components_)
      assert.are.equal(0, p.noise_variance_)
      assert.is_true(math.abs(p.total_explained_variance_ratio_ - 1) < 1e-12)
    end)
  end

  it("transforms like scikit-learn, with and without whitening", function()
    local X = load("iris", ht.float64, 0)
    local p = PCA(2):fit(X)
    assert.is_true(math.abs(p.noise_variance_ - 0.05102229650817691) < 1e-11) -- PCA(2).fit(iris)
    local Y = p:transform(X)
    T.assert_split(Y, 0)
    T.assert_shape(Y, { 150, 2 })
    -- PCA(2).fit(iris).transform(iris)[[0, 77, 149]] (columns up to sign)
    local sel = ht.array({ Y[0]:totable(), Y[77]:totable(), Y[149]:totable() }, { dtype = ht.float64 })
    columns_up_to_sign(sel, { { -2.68412562596954, 1.5578021550660681, 1.3901888619479141 },
      { 0.31939724658508517, 0.26749544731025665, -0.28266093799053316 } }, 1e-9)
    local Yw = PCA(2, { whiten = true }):fit_transform(X)
    -- PCA(2, whiten=True).fit(iris).transform(iris)[[0, 77, 149]]
    sel = ht.array({ Yw[0]:totable(), Yw[77]:totable(), Yw[149]:totable() }, { dtype = ht.float64 })
    columns_up_to_sign(sel, { { -1.3053378633198613, 0.7575867973148634, 0.676073482220371 },
      { 0.6483693157802357, 0.543009816149674, -0.5737954253588098 } }, 1e-9)
    -- all components: inverse_transform(transform(X)) gives X back
    local q = PCA():fit(X)
    T.assert_allclose(q:inverse_transform(q:transform(X))[{ { 0, 2 } }],
      { { 5.1, 3.5, 1.4, 0.2 }, { 4.9, 3.0, 1.4, 0.2 } }, 1e-12)
    local qw = PCA { whiten = true }:fit(X)
    T.assert_allclose(qw:inverse_transform(qw:transform(X))[{ { 0, 1 } }], { { 5.1, 3.5, 1.4, 0.2 } },
      1e-12)
  end)

  it("keeps the fraction of variance asked for", function()
    local X = load("iris", ht.float64, 0)
    assert.are.equal(2, PCA(0.95):fit(X).n_components_) -- PCA(0.95).fit(iris).n_components_
    assert.are.equal(3, PCA(0.99):fit(X).n_components_) -- PCA(0.99)...
  end)

  it("matches scikit-learn on wine", function()
    local p = PCA(3):fit(load("wine", ht.float64, 0))
    -- PCA(3).fit(wine)
    T.assert_allclose(p.explained_variance_, { 99201.78951748088, 172.5352664778916,
      9.438113703470682 }, 1e-10)
    T.assert_allclose(p.explained_variance_ratio_, { 0.9980912304918974, 0.001735915624705751,
      9.495895755146157e-05 }, 1e-9)
    assert.is_true(math.abs(p.noise_variance_ / 0.77420939109858 - 1) < 1e-9)
    assert_rows_up_to_sign(p.components_, { { 0.0016592647196420917, -0.0006810155555011521,
      0.00019490574189158695, -0.004671300581276238, 0.017868007506895316, 0.0009898296800817943,
      0.001567288301793086, -0.00012308666181031419, 0.0006006077918217639, 0.002327143192576742,
      0.00017138003714523822, 0.0007049316445910481, 0.9998229365233259 }, { 0.0012034061657774633,
      0.002154981839746723, 0.004593692543404614, 0.02645039302646509, 0.9993441860623378,
      0.0008779621521432288, -5.18507283643963e-05, -0.0013544789203909773, 0.005004400402868186,
      0.015100352998597017, -0.0007626731152742824, -0.0034953643136594937, -0.017773809456949126 },
      { 0.0168738094057136, 0.12200337281755559, 0.05198743036095731, 0.9385930029730246,
      -0.029780248422201117, -0.040484643867789924, -0.0854433386667719, 0.013510779680585266,
      -0.024659382353571537, 0.2913984640632884, -0.025977662378045434, -0.07032396931674144,
      0.004528681589552344 } }, 1e-8)
  end)

  -- Xs = StandardScaler().fit_transform(wine); PCA(4).fit(Xs) (and svd_solver="randomized")
  local wines_ev = { 4.732436977583589, 2.5110809296451224, 1.4542418678464657, 0.9241658668248731 }
  local wines_comp = { { 0.14432939540601153, -0.2451875802572206, -0.002051061444370894,
    -0.23932040548753483, 0.14199204195298726, 0.39466084506663024, 0.42293429671005917,
    -0.2985331029547152, 0.3134294883076887, -0.08861670472472279, 0.29671456358638115,
    0.3761674107387127, 0.28675222689680513 }, { 0.4836515478172137, 0.22493093462784508,
    0.3160688140253157, -0.010590502288190862, 0.2996340032378622, 0.0650395118192797,
    -0.0033598121003076964, 0.028779488112986806, 0.039301722289732874, 0.529995672070044,
    -0.2792351479242824, -0.16449619283578476, 0.36490283179808236 }, { -0.2073826241163572,
    0.089012885659657, 0.626223900869346, 0.6120803499457824, 0.13075693485027853,
    0.14617896348467233, 0.1506818998994481, 0.17036816235964908, 0.14945430946202617,
    -0.13730621249024272, 0.085221922506891, 0.16600458808752686, -0.1267459173477012 },
    { -0.01785630145550589, 0.5368902835499766, -0.2141755622057689, 0.060859414458745126,
    -0.35179658014752985, 0.1980683479012153, 0.1522947945906733, -0.2033010198902312,
    0.39905653287222903, 0.06592568164393048, -0.4277714093912336, 0.18412074275613677,
    -0.23207086035959545 } }

  it("pipes standardised wine, float64 and float32, full and randomized", function()
    local Xs = ht.preprocessing.StandardScaler():fit_transform(load("wine", ht.float64, 0))
    local p = PCA(4):fit(Xs)
    T.assert_allclose(p.explained_variance_, wines_ev, 1e-11)
    assert_rows_up_to_sign(p.components_, wines_comp, 1e-9)
    local r = PCA(4, { svd_solver = "randomized", random_state = 0 }):fit(Xs)
    T.assert_allclose(r.explained_variance_, wines_ev, 1e-9)
    assert_rows_up_to_sign(r.components_, wines_comp, 1e-6)
    local p32 = PCA(4):fit(Xs:astype(ht.float32))
    T.assert_dtype(p32.components_, ht.float32)
    T.assert_dtype(p32:transform(Xs:astype(ht.float32)), ht.float32)
    T.assert_allclose(p32.explained_variance_, wines_ev, 1e-5)
    assert_rows_up_to_sign(p32.components_, wines_comp, 1e-5)
  end)

  it("has Heat's hierarchical solver", function()
    local X = load("iris", ht.float64, 0)
    local p = PCA(2, { svd_solver = "hierarchical" }):fit(X)
    T.assert_allclose(p.explained_variance_, { iris.ev[1], iris.ev[2] }, 1e-9)
    assert_rows_up_to_sign(p.components_, { iris.comp[1], iris.comp[2] }, 1e-8)
    -- 1 - err^2 = the kept variance ratio: sum(PCA(2).fit(iris).explained_variance_ratio_)
    assert.is_true(math.abs(p.total_explained_variance_ratio_ - (iris.evr[1] + iris.evr[2])) < 1e-9)
    -- a fraction f keeps the rank of hsvd_rtol(sqrt(1 - f)): 2 for 0.95, as scikit-learn's
    local q = PCA(0.95, { svd_solver = "hierarchical" }):fit(X)
    assert.are.equal(2, q.n_components_)
    local sel = q:transform(X)[{ { 0, 1 } }]
    -- PCA(2).fit(iris).transform(iris)[0] (columns up to sign)
    columns_up_to_sign(sel, { { -2.68412562596954 }, { 0.31939724658508517 } }, 1e-8)
  end)

  it("works when ranks own no rows", function()
    local X = ht.array({ { 0, 0 }, { 2, 2 } }, { dtype = ht.float64, split = 0 })
    local p = PCA():fit(X)
    -- the points differ along (1, 1)/sqrt(2) only: variance 4 there, 0 across
    T.assert_allclose(p.explained_variance_, { 4, 0 }, 1e-12, 1e-12)
    assert_rows_up_to_sign(p.components_[{ { 0, 1 } }], { { 2 ^ -0.5, 2 ^ -0.5 } }, 1e-12)
  end)

  it("rejects bad input on every rank", function()
    local X = load("iris", ht.float64, 0)
    T.assert_error(function() PCA { n_component = 2 } end, "PCA: unknown option 'n_component'")
    T.assert_error(function() PCA(2.5) end, "n_components must be a positive integer or a fraction")
    T.assert_error(function() PCA { svd_solver = "arpack" } end, "svd_solver must be 'full'")
    T.assert_error(function() PCA(5):fit(X) end, "n_components=5 must be between 0 and")
    T.assert_error(function() PCA():transform(X) end, "not fitted yet")
    T.assert_error(function() PCA(2):fit(X):transform(load("wine", ht.float64, 0)) end,
      "X has 13 features, but PCA is expecting 4 features as input")
    T.assert_error(function() PCA():fit(X, X) end, "takes at most 1 arguments")
    T.assert_error(function() PCA():fit(ht.arange(4.0, { split = 0 })) end, "X must be 2-D")
    T.assert_error(function() PCA { svd_solver = "randomized" }:fit(X) end,
      "needs an integer n_components")
  end)
end)
