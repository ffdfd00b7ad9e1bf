-- ht.cluster: KMeans reproduces scikit-learn's Lloyd iterations from given centres (labels,
-- centres, inertia, n_iter_), with sample weights and with an empty cluster to re-seed;
-- the initialisations reach scikit-learn's best inertia; results do not depend on the rank
-- count; the median family; bad input. References: scikit-learn 1.9.1 on
-- tests/data/{iris,wine}_X.csv, the expression beside each value.
local ht = require "heat"
local T = require "heat.testing"

local DATA = debug.getinfo(1, "S").source:match("^@(.*/)") .. "../data/"
local function load(name, split, dtype)
  local X = ht.load_csv(DATA .. name .. "_X.csv", { dtype = dtype or ht.float64, split = 0 })
  return split == nil and X:resplit(nil) or X
end
local function rows(X, idx)
  return X[ht.array(idx, { dtype = ht.int64 })]:resplit(nil)
end
local function counts(labels, k)
  local c = {}
  for j = 0, k - 1 do c[j + 1] = labels:eq(j):sum():item() end
  return c
end

-- C0 = X[[3, 7, 11]]; km = KMeans(n_clusters=3, init=C0, n_init=1, algorithm="lloyd").fit(X)
local IRIS_LABELS = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1, 1, 2, 2, 2, 2, 1, 2, 1, 2, 1,
  2, 2, 1, 1, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 1, 2, 2, 2, 1, 2, 2, 2, 1, 2, 2, 1 }
local IRIS_CENTRES = { { 5.006, 3.428, 1.4620000000000002, 0.24600000000000055 },   -- km.cluster_centers_
  { 5.883606557377049, 2.740983606557377, 4.388524590163934, 1.4344262295081966 },
  { 6.853846153846154, 3.076923076923077, 5.7153846153846155, 2.0538461538461537 } }
local IRIS_INERTIA = 78.85566582597731 -- km.inertia_ (km.n_iter_ == 13)

describe("ht.cluster.KMeans", function()
  for _, split in ipairs { 0, "nil" } do
    local s = split ~= "nil" and split or nil
    it("reproduces scikit-learn's Lloyd result on iris from given centres, X split " .. split, function()
      local X = load("iris", s)
      local km = ht.cluster.KMeans { n_clusters = 3, init = rows(X, { 3, 7, 11 }) }
      assert.are.equal(km, km:fit(X))
      T.assert_equal(km.labels_, IRIS_LABELS)
      T.assert_dtype(km.labels_, ht.int64)
      T.assert_split(km.labels_, s)
      T.assert_allclose(km.cluster_centers_, IRIS_CENTRES, 1e-12)
      assert.is_true(math.abs(km.inertia_ - IRIS_INERTIA) < 1e-9)
      assert.are.equal(13, km.n_iter_)
      -- km.predict(X[[0, 60, 120]]), km.transform(X[[0]]), km.score(X[:10])
      T.assert_equal(km:predict(rows(X, { 0, 60, 120 })), { 0, 1, 2 })
      T.assert_allclose(km:transform(rows(X, { 0 })), { { 0.1413506278726907, 3.412511166925508, 5.031327891822356 } }, 1e-12)
      assert.is_true(math.abs(km:score(X[{ { 0, 10 } }]) - -2.1346000000000007) < 1e-10)
      T.assert_equal(km:fit_predict(X), IRIS_LABELS)
    end)
  end

  it("keeps float32 in float32 and matches scikit-learn on float32 iris", function()
    local X = load("iris", 0, ht.float32)
    local km = ht.cluster.KMeans(3, { init = rows(X, { 3, 7, 11 }) }):fit(X)
    T.assert_dtype(km.cluster_centers_, ht.float32)
    -- KMeans(3, init=C0.astype(np.float32), n_init=1).fit(X.astype(np.float32))
    T.assert_allclose(km.cluster_centers_, IRIS_CENTRES, 1e-5)
    assert.is_true(math.abs(km.inertia_ - 78.85565948486328) < 1e-3)
    assert.are.equal(13, km.n_iter_)
  end)

  it("matches scikit-learn on wine from given centres", function()
    local X = load("wine", 0)
    local km = ht.cluster.KMeans(3, { init = rows(X, { 0, 1, 2 }) }):fit(X)
    -- KMeans(3, init=X[[0, 1, 2]], n_init=1, algorithm="lloyd").fit(X): inertia_, n_iter_, bincount
    assert.is_true(math.abs(km.inertia_ - 2633555.3324093386) < 1e-6)
    assert.are.equal(13, km.n_iter_)
    assert.are.same({ 49, 102, 27 }, counts(km.labels_, 3))
  end)

  it("weights samples like scikit-learn's sample_weight", function()
    local X = load("iris", 0)
    local w = ht.arange(150, { dtype = ht.float64, split = 0 }) % 3 + 1
    local km = ht.cluster.KMeans(3, { init = rows(X, { 3, 7, 11 }) }):fit(X, { sample_weight = w })
    -- w = np.arange(150) % 3 + 1; KMeans(3, init=C0, n_init=1).fit(X, sample_weight=w)
    T.assert_allclose(km.cluster_centers_, {
      { 4.988888888888889, 3.41010101010101, 1.4616161616161611, 0.25151515151515136 },
      { 5.899173553719009, 2.733884297520661, 4.398347107438017, 1.4388429752066116 },
      { 6.831250000000001, 3.08125, 5.7, 2.0200000000000005 } }, 1e-12)
    assert.is_true(math.abs(km.inertia_ - 159.49894008264465) < 1e-9)
    assert.are.equal(15, km.n_iter_)
  end)

  -- Lloyd with full passes only (core._kmeans_assign every iteration): what KMeans' bounded
  -- passes must reproduce (labels exactly, the same iterations, inertia and centres to rounding)
  local function plain_lloyd(X, C, max_iter)
    local core = require "heat.core"
    local labels = ht.full_like(X[{ ht.all, 0 }], -1, { dtype = ht.int64 })
    local it = 0
    for i = 1, max_iter do
      it = i
      local _, changed, sums, wsum = core._kmeans_assign(X, C, nil, labels, nil, true)
      local Cn = core._contiguous((sums / wsum:reshape({ C.shape[1], 1 })):astype(X.dtype))
      local d = Cn - C
      local shift = (d * d):sum():item()
      C = Cn
      if changed == 0 or shift <= 0 then break end
    end
    local inertia = core._kmeans_assign(X, C, nil, labels, nil, false)
    return C, labels, inertia, it
  end

  for _, dtype in ipairs { ht.float64, ht.float32 } do
    it("bounded passes give plain Lloyd's labels, iterations and inertia, " .. tostring(dtype), function()
      -- standardised breast_cancer rows 5..568: unbalanced over the ranks
      local X = load("breast_cancer", 0)
      X = ((X - X:mean(0)) / X:std(0))[{ { 5, 569 } }]:astype(dtype)
      local C0 = rows(X, { 0, 50, 100, 150, 200, 250, 300, 350 })
      local C, labels, inertia, it = plain_lloyd(X, C0, 300)
      local km = ht.cluster.KMeans(8, { init = C0, tol = 0 }):fit(X)
      T.assert_equal(km.labels_, labels:totable())
      assert.are.equal(it, km.n_iter_)
      assert.is_true(math.abs(km.inertia_ - inertia) <= 1e-12 * inertia, string.format("%.17g %.17g", km.inertia_, inertia))
      T.assert_allclose(km.cluster_centers_, C:totable(), dtype == ht.float32 and 1e-6 or 1e-12)
      -- Xs = standardised X[5:]; KMeans(8, init=Xs[[0, 50, ..., 350]], n_init=1, tol=0,
      -- algorithm="lloyd").fit(Xs): inertia_, n_iter_, bincount(labels_)
      assert.is_true(math.abs(km.inertia_ - 7055.043875175411) < (dtype == ht.float32 and 1e-2 or 1e-8))
      assert.are.equal(13, km.n_iter_)
      assert.are.same({ 53, 105, 16, 143, 80, 79, 71, 17 }, counts(km.labels_, 8))
    end)
  end

  it("re-seeds an empty cluster from the farthest point, as scikit-learn", function()
    local X = load("iris", 0)
    local C0 = rows(X, { 3, 7, 11 })
    C0[2] = 100 -- a centre no point is near
    local km = ht.cluster.KMeans(3, { init = C0 }):fit(X)
    -- C0[2] = 100; KMeans(3, init=C0, n_init=1, algorithm="lloyd").fit(X)
    assert.is_true(math.abs(km.inertia_ - 78.851441426146) < 1e-9)
    assert.are.same({ 50, 62, 38 }, counts(km.labels_, 3))
    assert.are.equal(6, km.n_iter_)
  end)

  -- best = min(KMeans(3, n_init=1, random_state=s).fit(X).inertia_ for s in range(10))
  local BEST = { iris = 78.851441426146, wine = 2370689.686782969 }
  for _, name in ipairs { "iris", "wine" } do
    for _, init in ipairs { "k-means++", "batchparallel", "random", "kmeans++", "probability_based" } do
      it(string.format("init %s reaches scikit-learn's best inertia on %s within 1%%", init, name), function()
        local X = load(name, 0)
        local km = ht.cluster.KMeans(3, { init = init, n_init = 10, random_state = 0 }):fit(X)
        assert.is_true(km.inertia_ <= BEST[name] * 1.01, tostring(km.inertia_))
        assert.is_true(km.inertia_ >= BEST[name] * (1 - 1e-12))
      end)
    end
  end

  it("gives the same result for the same random_state at any number of ranks", function()
    local X = load("wine", 0)
    for _, init in ipairs { "k-means++", "random" } do
      local a = ht.cluster.KMeans(3, { init = init, random_state = 7 }):fit(X)
      local b = ht.cluster.KMeans(3, { init = init, random_state = 7 }):fit(X:resplit(nil))
      T.assert_allclose(a.cluster_centers_, b.cluster_centers_:totable(), 1e-12)
      assert.are.equal(a.n_iter_, b.n_iter_)
    end
    -- one iteration from the initial centres, so the value depends on which rows were
    -- drawn; heatlua at 1 rank: KMeans(3, {init = ..., random_state = 7, max_iter = 1})
    for _, case in ipairs { { "k-means++", 2843751.0425299546 }, { "random", 2854476.7147872685 } } do
      local init, want = case[1], case[2] -- ipairs: pairs' order differs between ranks
      local km = ht.cluster.KMeans(3, { init = init, random_state = 7, max_iter = 1 }):fit(X)
      assert.is_true(math.abs(km.inertia_ - want) < 1e-9 * want, string.format("%.17g", km.inertia_))
    end
  end)

  it("handles ranks without rows and unbalanced splits", function()
    -- three points of a split array on up to 4 ranks: every point its own centre
    local X = ht.array({ { 0, 0 }, { 1, 0 }, { 5, 5 }, { 9, 9 } }, { dtype = ht.float64, split = 0 })[{ { 1, 4 } }]
    local km = ht.cluster.KMeans(3, { init = "k-means++", random_state = 1 }):fit(X)
    assert.are.equal(0, km.inertia_)
    local l = km.labels_:totable()
    assert.is_true(l[1] ~= l[2] and l[2] ~= l[3] and l[1] ~= l[3])
    -- two obvious groups, exact centres: the means of {0, 1} and {10, 11} along both axes
    local Y = ht.array({ { 0, 0 }, { 1, 1 }, { 10, 10 }, { 11, 11 } }, { dtype = ht.float32, split = 0 })
    local k2 = ht.cluster.KMeans(2, { init = ht.array({ { 0, 0 }, { 11, 11 } }) }):fit(Y)
    T.assert_allclose(k2.cluster_centers_, { { 0.5, 0.5 }, { 10.5, 10.5 } })
    assert.are.equal(2, k2.inertia_) -- four points at squared distance 0.5
  end)

  it("draws k-means++ centres only from rows of positive weight, at any rank count", function()
    -- exact: a zero-weight row has probability 0 and a chosen row's distance is 0, so the
    -- three centres are the three weighted rows (iris rows 10, 70, 130), in some order
    local X = load("iris", 0)
    local w = ht.zeros({ 150 }, { dtype = ht.float64, split = 0 })
    for _, i in ipairs { 10, 70, 130 } do w[i] = 1 end
    local C = require("heat.core")._kmeanspp(X, w, 3, ht.random.rand(1 + 2 * 3, { dtype = ht.float64 }):totable())
    T.assert_split(C, nil)
    local want = X[ht.array({ 10, 70, 130 }, { dtype = ht.int64 })]:resplit(nil):totable()
    local got = C:totable()
    table.sort(got, function(a, b) return a[1] < b[1] end)
    table.sort(want, function(a, b) return a[1] < b[1] end)
    assert.are.same(want, got)
    -- the same uniforms give the same centres for X split and replicated (ranks without rows too)
    local u = ht.random.rand(1 + 2 * 3, { dtype = ht.float64 }):totable()
    local Xs = X[{ { 140, 150 } }] -- 10 rows: unbalanced, none on most ranks
    T.assert_equal(require("heat.core")._kmeanspp(Xs, nil, 3, u),
      require("heat.core")._kmeanspp(Xs:resplit(nil), nil, 3, u):totable())
    T.assert_error(function() require("heat.core")._kmeanspp(Xs, nil, 11, {}) end, "uniforms needed")
    T.assert_error(function() require("heat.core")._kmeanspp(Xs[{ ht.all, 0 }], nil, 2, u) end,
      "kmeans++: X must be a contiguous 2-D float array")
  end)

  it("promotes integer X to float64", function()
    local X = ht.array({ { 0, 0 }, { 0, 2 }, { 10, 0 }, { 10, 2 } }, { dtype = ht.int32, split = 0 })
    local km = ht.cluster.KMeans(2, { init = ht.array({ { 0, 1 }, { 10, 1 } }) }):fit(X)
    T.assert_dtype(km.cluster_centers_, ht.float64)
    T.assert_allclose(km.cluster_centers_, { { 0, 1 }, { 10, 1 } })
    assert.are.equal(4, km.inertia_)
  end)

  it("rejects bad input on every rank together", function()
    local X = load("iris", 0)
    T.assert_error(function() ht.cluster.KMeans(3):fit(ht.arange(10, { split = 0 })) end,
      "ht.cluster.KMeans.fit: X must be 2-D (samples, features), got shape (10,)")
    T.assert_error(function() ht.cluster.KMeans(200):fit(X) end,
      "ht.cluster.KMeans.fit: n_samples=150 should be >= n_clusters=200")
    local Xn = X:copy()
    Xn[{ 149, 2 }] = 0 / 0
    T.assert_error(function() ht.cluster.KMeans(3):fit(Xn) end,
      "ht.cluster.KMeans.fit: X contains NaN or infinity (shape (150, 4), dtype float64)")
    T.assert_error(function() ht.cluster.KMeans(3):predict(X) end,
      "ht.cluster.KMeans.predict: this KMeans instance is not fitted yet; call fit first")
    local km = ht.cluster.KMeans(3, { random_state = 0 }):fit(X)
    T.assert_error(function() km:predict(ht.zeros({ 5, 3 }, { split = 0 })) end,
      "ht.cluster.KMeans.predict: X has 3 features, but KMeans was fitted with 4")
    T.assert_error(function() ht.cluster.KMeans { n_clusters = 3, metric = "l1" } end,
      "ht.cluster.KMeans: unknown option 'metric'")
    T.assert_error(function() ht.cluster.KMeans(3, { init = "kmeans" }) end,
      "ht.cluster.KMeans: init must be 'random', 'k-means++'")
    T.assert_error(function() ht.cluster.KMeans(0) end,
      "ht.cluster.KMeans: n_clusters must be a positive integer, got 0")
    T.assert_error(function() km:fit(X, { weights = 1 }) end,
      "ht.cluster.KMeans.fit: unknown option 'weights' (options: sample_weight)")
    T.assert_error(function() ht.cluster.KMeans(3, { init = ht.zeros({ 2, 4 }) }):fit(X) end,
      "ht.cluster.KMeans.fit: init must have shape (3, 4) (n_clusters, n_features), got (2, 4)")
  end)

  it("has get_params and set_params", function()
    local km = ht.cluster.KMeans(25, { init = "batchparallel" })
    assert.are.equal(25, km:get_params().n_clusters)
    assert.are.equal("batchparallel", km:get_params().init)
    km:set_params { max_iter = 5 }
    assert.are.equal(5, km.max_iter)
  end)
end)

describe("ht.cluster.BatchParallelKMeans", function()
  it("clusters every rank's rows and merges the local centres", function()
    local X = load("iris", 0)
    local km = ht.cluster.BatchParallelKMeans(3, { random_state = 0 }):fit(X)
    T.assert_shape(km.cluster_centers_, { 3, 4 })
    T.assert_equal(km.labels_, km:predict(X):totable())
    -- no clustering of iris into 3 does better than the optimum scikit-learn finds
    assert.is_true(km.inertia_ >= 78.851441426146 * (1 - 1e-12))
    -- no global Lloyd after the merge: looser than a global fit
    assert.is_true(km.inertia_ < 1.5 * 78.851441426146, tostring(km.inertia_))
  end)

  it("merges the local centres weighted by their cluster sizes", function()
    -- gathered centres 0 and 1 of 1000 rows each, 10, 11, 12 of one row each: the weighted
    -- optimum for k = 2 is {0} | {1, 10, 11, 12}, centres 0 and (1000 + 33) / 1003 (cost
    -- about 301 against 502 for {0, 1} | {10, 11, 12}); an unweighted merge gives 0.5 and 11
    local km = ht.cluster.BatchParallelKMeans(2, { random_state = 0 })
    local all = ht.array({ { 0 }, { 1 }, { 10 }, { 11 }, { 12 } }, { dtype = ht.float64 })
    local w = ht.array({ 1000, 1000, 1, 1, 1 }, { dtype = ht.float64 })
    local C = ht.sort(require("heat.cluster")._merge_local(km, all, w, 2), 0)
    T.assert_allclose(C, { { 0 }, { 1033 / 1003 } }, 1e-12)
  end)
end)

-- The median family against a NumPy/SciPy loop of Heat's update rules, from C = X[[3, 7, 11]]:
-- D = cdist(X, C, 'cityblock'); labels = D.argmin(1); C = [np.median(X[labels == c], 0)]
-- (KMedoids: the row of the cluster closest to that median in cityblock distance), stop when
-- no label changes or ((C_new - C)**2).sum() <= 1e-4 * np.var(X, 0).mean().
describe("ht.cluster.KMedians and KMedoids", function()
  local cases = {
    { "KMedians", 5, 207.40000000000003, { 21, 97, 32 },
      { { 4.7, 3.1, 1.4, 0.2 }, { 6.3, 2.9, 4.9, 1.6 }, { 5.1, 3.5, 1.5, 0.2 } } },
    { "KMedoids", 5, 214.40000000000003, { 21, 96, 33 },
      { { 4.8, 3.0, 1.4, 0.3 }, { 6.3, 2.7, 4.9, 1.8 }, { 5.1, 3.5, 1.4, 0.2 } } },
  }
  for _, case in ipairs(cases) do
    local name, iters, inertia, sizes, centres = case[1], case[2], case[3], case[4], case[5]
    it(name .. " matches the NumPy reference on iris from given centres", function()
      local X = load("iris", 0)
      local km = ht.cluster[name](3, { init = rows(X, { 3, 7, 11 }) }):fit(X)
      T.assert_allclose(km.cluster_centers_, centres, 1e-12)
      assert.are.equal(iters, km.n_iter_)
      assert.is_true(math.abs(km.inertia_ - inertia) < 1e-9)
      assert.are.same(sizes, counts(km.labels_, 3))
      T.assert_equal(km:predict(X), km.labels_:totable())
      T.assert_shape(km:transform(X), { 150, 3 })
    end)
  end

  it("KMedians takes the mean of the two middle values for an even count (NumPy's median)", function()
    local X = ht.array({ { 0 }, { 1 }, { 2 }, { 10 }, { 100 }, { 101 }, { 105 } }, { dtype = ht.float64, split = 0 })
    local km = ht.cluster.KMedians(2, { init = ht.array({ { 0 }, { 100 } }) }):fit(X)
    -- np.median([0, 1, 2, 10]) = 1.5, np.median([100, 101, 105]) = 101
    T.assert_allclose(km.cluster_centers_, { { 1.5 }, { 101 } })
    -- KMedoids picks a data row: the one closest to the median 1.5 (1, the lower index)
    local kd = ht.cluster.KMedoids(2, { init = ht.array({ { 0 }, { 100 } }) }):fit(X)
    T.assert_allclose(kd.cluster_centers_, { { 1 }, { 101 } })
  end)

  it("BatchParallelKMedians merges local centres into n_clusters medians", function()
    local X = load("iris", 0)
    local km = ht.cluster.BatchParallelKMedians(3, { random_state = 0 }):fit(X)
    T.assert_shape(km.cluster_centers_, { 3, 4 })
    T.assert_equal(km.labels_, km:predict(X):totable())
    -- a clustering with at most the NumPy reference's cityblock inertia from a poor start
    assert.is_true(km.inertia_ < 207.4, tostring(km.inertia_))
  end)

  it("rejects sample weights", function()
    T.assert_error(function() ht.cluster.KMedians(3):fit(load("iris", 0), { sample_weight = ht.ones(150, { split = 0 }) }) end,
      "ht.cluster.KMedians.fit: sample_weight is not supported by the median family")
  end)
end)
