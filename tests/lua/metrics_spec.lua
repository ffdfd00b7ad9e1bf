-- ht.metrics.adjusted_rand_score against sklearn.metrics.adjusted_rand_score (1.9.1), with
-- split and replicated labels, unbalanced splits, ranks without elements and bad input.
local ht = require "heat"
local T = require "heat.testing"

local function lab(t, split) return ht.array(t, { dtype = ht.int64, split = split }) end
local function close(a, b) return math.abs(a - b) < 1e-12 end

describe("ht.metrics.adjusted_rand_score", function()
  for _, split in ipairs { 0, "nil" } do
    local s = split ~= "nil" and split or nil
    it("matches scikit-learn, labels split " .. split, function()
      -- adjusted_rand_score([0,0,1,1,2,2,0], [1,1,0,0,2,0,1])
      assert.is_true(close(ht.metrics.adjusted_rand_score(lab({ 0, 0, 1, 1, 2, 2, 0 }, s),
        lab({ 1, 1, 0, 0, 2, 0, 1 }, s)), 0.631578947368421))
      -- adjusted_rand_score([0,0,0,1,1,1], [0,0,1,1,2,2])
      assert.is_true(close(ht.metrics.adjusted_rand_score(lab({ 0, 0, 0, 1, 1, 1 }, s),
        lab({ 0, 0, 1, 1, 2, 2 }, s)), 0.24242424242424243))
      -- relabelled identical partitions: 1; one cluster against singletons: 0
      assert.are.equal(1.0, ht.metrics.adjusted_rand_score(lab({ 0, 0, 1, 1 }, s), lab({ 1, 1, 0, 0 }, s)))
      assert.are.equal(0.0, ht.metrics.adjusted_rand_score(lab({ 0, 1, 2, 3 }, s), lab({ 0, 0, 0, 0 }, s)))
    end)
  end

  it("accepts mixed splits, unbalanced arrays, float labels and Lua tables", function()
    local a = lab({ 9, 9, 0, 0, 1, 1, 0, 5 }, 0)[{ { 1, 8 } }] -- unbalanced; ranks may be empty
    local b = ht.array({ 1, 0, 0, 2, 0, 1, 7 }, { dtype = ht.float32 })
    -- adjusted_rand_score([9,0,0,1,1,0,5], [1,0,0,2,0,1,7])
    assert.is_true(close(ht.metrics.adjusted_rand_score(a, b), 0.07352941176470588))
    assert.is_true(close(ht.metrics.adjusted_rand_score({ 9, 0, 0, 1, 1, 0, 5 }, { 1, 0, 0, 2, 0, 1, 7 }),
      0.07352941176470588))
  end)

  it("scores the iris classes against a KMeans clustering like scikit-learn", function()
    local dir = debug.getinfo(1, "S").source:match("^@(.*/)") .. "../data/"
    local X = ht.load_csv(dir .. "iris_X.csv", { dtype = ht.float64, split = 0 })
    local y = ht.load_csv(dir .. "iris_y.csv", { dtype = ht.float64, split = 0 })
    local km = ht.cluster.KMeans(3, { init = X[ht.array({ 3, 7, 11 }, { dtype = ht.int64 })]:resplit(nil) }):fit(X)
    -- adjusted_rand_score(y, KMeans(3, init=X[[3, 7, 11]], n_init=1).fit(X).labels_)
    assert.is_true(close(ht.metrics.adjusted_rand_score(y:reshape({ 150 }), km.labels_), 0.7163421126838476))
  end)

  it("rejects bad input", function()
    T.assert_error(function() ht.metrics.adjusted_rand_score(lab({ 0, 1 }), lab({ 0, 1, 1 })) end,
      "ht.metrics.adjusted_rand_score: labels_true and labels_pred have different lengths (2 and 3)")
    T.assert_error(function() ht.metrics.adjusted_rand_score(ht.zeros({ 2, 2 }), lab({ 0, 1 })) end,
      "ht.metrics.adjusted_rand_score: labels_true must be 1-D, got 2 dimensions")
    T.assert_error(function() ht.metrics.adjusted_rand_score(lab({ 0 }), lab({ 0 }), 1) end,
      "ht.metrics.adjusted_rand_score: takes at most 2 arguments, got 3")
  end)
end)
