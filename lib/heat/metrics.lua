-- ht.metrics: scores of clusterings (scikit-learn's sklearn.metrics). The contingency
-- table comes from one distributed unique over pair codes; the rest is small arithmetic.
local estimator = require "heat.estimator"
local ht = require "heat"

local M = {}

local function as_labels(fn, what, y)
  if type(y) == "table" and not ht.is_array(y) then y = ht.array(y, { dtype = ht.int64 }) end
  if not ht.is_array(y) then
    error(string.format("ht.%s: %s must be an array, got %s", fn, what, type(y)), 4)
  end
  if y.ndim ~= 1 then
    error(string.format("ht.%s: %s must be 1-D, got %d dimensions", fn, what, y.ndim), 4)
  end
  return y
end

local function comb2(n) return n * (n - 1) / 2 end

-- Adjusted Rand index of two labellings (Hubert & Arabie): 1 for identical partitions,
-- about 0 for random ones; symmetric and independent of the label values.
function M.adjusted_rand_score(labels_true, labels_pred, ...)
  local fn = "metrics.adjusted_rand_score"
  estimator.checknargs(fn, 2 + select("#", ...), 2, 3)
  local a = as_labels(fn, "labels_true", labels_true)
  local b = as_labels(fn, "labels_pred", labels_pred)
  if a.shape[1] ~= b.shape[1] then
    error(string.format("ht.%s: labels_true and labels_pred have different lengths (%d and %d)",
      fn, a.shape[1], b.shape[1]), 2)
  end
  local n = a.shape[1]
  b = require("heat.cluster")._align_rows(b, a)
  -- dense class indices, then one code per (true, pred) pair
  local _, ia, ca = ht.unique(a, { return_inverse = true, return_counts = true })
  local _, ib, cb = ht.unique(b, { return_inverse = true, return_counts = true })
  local nb = cb.shape[1]
  local _, _, cij = ht.unique(ia * nb + ib, { return_inverse = true, return_counts = true })
  local sum_ij, sum_a, sum_b = 0, 0, 0
  for _, c in ipairs(cij:totable()) do sum_ij = sum_ij + comb2(c) end
  for _, c in ipairs(ca:totable()) do sum_a = sum_a + comb2(c) end
  for _, c in ipairs(cb:totable()) do sum_b = sum_b + comb2(c) end
  -- scikit-learn's special cases: one cluster each, or every sample its own cluster
  if n <= 1 or (ca.shape[1] == cb.shape[1] and (ca.shape[1] == 1 or ca.shape[1] == n)) then
    return 1.0
  end
  local expected = sum_a * sum_b / comb2(n)
  local max = (sum_a + sum_b) / 2
  if max == expected then return 0.0 end
  return (sum_ij - expected) / (max - expected)
end

return M
