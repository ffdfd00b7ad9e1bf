-- heat.progress: the verbose=true helper of iterative estimators; rank 0 only, lines or
-- a bar, every k-th iteration, silent when verbose is off.
local ht = require "heat"
local T = require "heat.testing"
local progress = require "heat.progress"

local function capture()
  local chunks = {}
  return chunks, function(s) chunks[#chunks + 1] = s end
end

describe("heat.progress", function()
  it("prints nothing when verbose is off", function()
    local out, sink = capture()
    for _, v in ipairs { false, 0 } do
      local bar = progress.new { desc = "KMeans", total = 3, verbose = v, out = sink }
      for i = 1, 3 do bar:update(i, { inertia = 1 }) end
      bar:close "done"
      assert.is_false(bar.enabled)
    end
    local bar = progress.new { desc = "x", total = 3, out = sink } -- verbose absent
    bar:update(1)
    assert.are.equal(0, #out)
  end)

  it("prints one line per iteration from rank 0 only", function()
    local out, sink = capture()
    local bar = progress.new { desc = "Lasso", total = 3, verbose = true, mode = "lines", out = sink }
    bar:update(1, { { "loss", 0.5 }, { "n_nonzero", 12 } })
    bar:update(2, { loss = 0.25 })
    bar:update(3, { loss = 0.125 })
    bar:close "converged"
    if ht.rank() ~= 0 then
      assert.are.equal(0, #out)
      return
    end
    assert.are.equal(4, #out)
    assert.truthy(out[1]:match "^Lasso: iteration 1/3  loss=0%.5  n_nonzero=12  %d+%.%d%d s\n$")
    assert.truthy(out[3]:match "^Lasso: iteration 3/3  loss=0%.125  ")
    assert.truthy(out[4]:match "^Lasso: converged %(%d+%.%d%d s%)\n$")
  end)

  it("prints every k-th iteration and the last", function()
    local out, sink = capture()
    local bar = progress.new { desc = "it", total = 10, verbose = 4, mode = "lines", out = sink }
    for i = 1, 10 do bar:update(i) end
    if ht.rank() ~= 0 then return assert.are.equal(0, #out) end
    -- 4, 8 and the last (10)
    assert.are.equal(3, #out)
    assert.truthy(out[1]:find("iteration 4/10", 1, true))
    assert.truthy(out[2]:find("iteration 8/10", 1, true))
    assert.truthy(out[3]:find("iteration 10/10", 1, true))
  end)

  it("draws a bar in place and ends it with a newline", function()
    local out, sink = capture()
    local bar = progress.new { desc = "PCA", total = 4, verbose = true, mode = "bar",
                               width = 8, out = sink }
    bar:update(2, { err = 0.01 })
    bar:update(4)
    bar:close()
    if ht.rank() ~= 0 then return assert.are.equal(0, #out) end
    -- 2 of 4 fills half of 8 cells
    assert.truthy(out[1]:match "^\rPCA %[####%.%.%.%.%] 2/4  err=0%.01  ")
    assert.truthy(out[1]:find("eta", 1, true))
    assert.truthy(out[2]:match "^\rPCA %[########%] 4/4  ")
    assert.are.equal("\n", out[3])
  end)

  it("checks its options", function()
    T.assert_error(function() progress.new { verbose = 1.5 } end, "verbose must be")
    T.assert_error(function() progress.new { verbose = true, mode = "fancy" } end,
      "mode must be")
  end)
end)
