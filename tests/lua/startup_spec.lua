-- Start-up: the submodules of heat (and ht.has_gpu) load on first use, and then behave as
-- if they had been loaded eagerly (the same tables, the linalg decompositions merged).
local ht = require "heat"
local core = require "heat.core"

local lazy = { "linalg", "preprocessing", "regression", "decomposition", "spatial",
               "cluster", "metrics" }

describe("start-up", function()
  it("loads no estimator module before its first use", function()
    -- nothing in this spec file touched them before this test (busted runs it first)
    for _, m in ipairs { "cluster", "regression", "decomposition", "metrics" } do
      assert.is_nil(rawget(ht, m), m)
      assert.is_nil(package.loaded["heat." .. m], m)
    end
  end)

  it("loads a submodule on first access, once, as the module table", function()
    assert.is_nil(package.loaded["heat.cluster"])
    local c = ht.cluster
    assert.are.equal(package.loaded["heat.cluster"], c)
    assert.are.equal(c, rawget(ht, "cluster"))
    assert.are.equal(c, ht.cluster)
    assert.is_function(c.KMeans.fit)
    local km = ht.cluster.KMeans { n_clusters = 2, init = "random", random_state = 1 }
    local x = ht.array({ { 0, 0 }, { 0, 1 }, { 10, 10 }, { 10, 11 } }, { split = 0 })
    km:fit(x)
    -- two clusters of two points: the inertia is 4 * 0.5^2 = 1 (exact maths)
    assert.is_true(math.abs(km.inertia_ - 1) < 1e-5)
  end)

  it("merges the decompositions into ht.linalg", function()
    local linalg = ht.linalg
    assert.are.equal(package.loaded["heat.linalg"], linalg)
    for k, v in pairs(require "heat.linalg_decomp") do assert.are.equal(v, ht.linalg[k], k) end
    assert.is_function(ht.linalg.qr)
    assert.are.equal(core.matmul, ht.linalg.matmul)
  end)

  it("answers has_gpu as a boolean, the CUDA runtime's answer", function()
    assert.is_boolean(ht.has_gpu)
    assert.are.equal(core._has_gpu(), ht.has_gpu)
  end)

  it("loads every submodule with _load_all, and unknown names stay nil", function()
    ht._load_all()
    for _, m in ipairs(lazy) do assert.is_table(rawget(ht, m), m) end
    assert.is_nil(ht.no_such_module)
    assert.is_nil(rawget(ht, "no_such_module"))
  end)
end)
