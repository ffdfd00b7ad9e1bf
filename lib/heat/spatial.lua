-- ht.spatial: pairwise distances of two row sets (Heat's heat.spatial.distance). The work
-- is in runtime/ops/distance.c; here are the Python signatures and their options.
--
--   ht.spatial.cdist(X, Y, {quadratic_expansion = false})   Euclidean, Y optional
--   ht.spatial.rbf(X, Y, {sigma = 1.0, quadratic_expansion = false})
--   ht.spatial.manhattan(X, Y, {expand = false})
local core = require "heat.core"
local estimator = require "heat.estimator"
local ht = require "heat"

local M = {}

local function is_opts(t)
  return type(t) == "table" and not ht.is_array(t) and t[1] == nil
end

-- (X [, Y] [, opts]): Y may be left out (X with itself); anything after opts is an error.
local function args(fn, known, n, X, Y, opts, ...)
  estimator.checknargs(fn, n, 3, 4)
  if opts == nil and is_opts(Y) then Y, opts = nil, Y end
  if opts ~= nil and not is_opts(opts) then
    error(string.format("ht.%s: argument 3 must be an options table, got %s", fn, type(opts)), 3)
  end
  estimator.checkopts(fn, opts, known, 4)
  if X == nil then error(string.format("ht.%s: X is required", fn), 3) end
  if not ht.is_array(X) then X = ht.array(X, { dtype = ht.float64 }) end
  if Y ~= nil and not ht.is_array(Y) then Y = ht.array(Y, { dtype = ht.float64 }) end
  return X, Y, opts or {}
end

-- Euclidean distances d[i, j] = |X[i] - Y[j]|; the result is split by X's rows when X is
-- split, by Y's rows (axis 1) when only Y is.
function M.cdist(...)
  local X, Y, o = args("spatial.cdist", { "quadratic_expansion" }, select("#", ...), ...)
  return core._cdist(X, Y, "euclidean", o.quadratic_expansion and true or false)
end

-- Gaussian kernel exp(-|X[i] - Y[j]|^2 / (2 sigma^2)).
function M.rbf(...)
  local X, Y, o = args("spatial.rbf", { "sigma", "quadratic_expansion" }, select("#", ...), ...)
  local sigma = o.sigma == nil and 1.0 or o.sigma
  if type(sigma) ~= "number" then
    error("ht.spatial.rbf: sigma must be a number, got " .. type(sigma), 2)
  end
  return core._cdist(X, Y, "rbf", o.quadratic_expansion and true or false, sigma)
end

-- City-block distances sum |X[i] - Y[j]|. Heat's `expand` chose a broadcasting algorithm;
-- here both values run the same memory-bounded kernel and give the same result.
function M.manhattan(...)
  local X, Y = args("spatial.manhattan", { "expand" }, select("#", ...), ...)
  return core._cdist(X, Y, "manhattan", false)
end

-- Heat's module path: ht.spatial.distance.cdist
M.distance = { cdist = M.cdist, rbf = M.rbf, manhattan = M.manhattan }

return M
