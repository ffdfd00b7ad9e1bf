-- ht.regression: Lasso by coordinate descent on the Gram matrix. One pass over the rows
-- (core._weighted_gram: X^T W X, X^T W y and the weighted sums, one allreduce) gives
-- everything a sweep needs, so a sweep costs O(F^2) whatever the number of rows.
local ht = require "heat"
local core = require "heat.core"
local estimator = require "heat.estimator"
local progress = require "heat.progress"
local ffi = require "ffi"

local M = {}

local pre = require "heat.preprocessing" -- the estimators' shared X check
local shape_str, check_X = pre._shape_str, pre._check_X

local Lasso = estimator.class("regression.Lasso", {
  positional = "lam",
  params = { { "lam", 0.1 }, { "max_iter", 100 }, { "tol", 1e-4 }, { "fit_intercept", true },
             { "precompute", "auto" }, { "verbose", false } },
})
M.Lasso = Lasso

Lasso._validate = function(self)
  if type(self.lam) ~= "number" or self.lam < 0 or self.lam ~= self.lam then
    error(string.format("ht.regression.Lasso: lam must be a non-negative number, got %s",
      tostring(self.lam)), 4)
  end
  if type(self.max_iter) ~= "number" or self.max_iter < 1 or self.max_iter % 1 ~= 0 then
    error(string.format("ht.regression.Lasso: max_iter must be a positive integer, got %s",
      tostring(self.max_iter)), 4)
  end
  if type(self.tol) ~= "number" or self.tol < 0 then
    error(string.format("ht.regression.Lasso: tol must be a non-negative number, got %s",
      tostring(self.tol)), 4)
  end
  if self.precompute ~= "auto" and self.precompute ~= true then
    error(string.format("ht.regression.Lasso: precompute must be 'auto' or true (the Gram " ..
      "formulation), got %s", tostring(self.precompute)), 4)
  end
end

-- y as (n,): Heat's (n, 1) columns are accepted.
local function check_y(name, X, y)
  if not ht.is_array(y) then
    error(string.format("ht.%s: y must be an array, got %s", name, type(y)), 3)
  end
  if y.ndim == 2 and y.shape[2] == 1 then y = y:reshape({ y.shape[1] }) end
  if y.ndim ~= 1 or y.shape[1] ~= X.shape[1] then
    error(string.format("ht.%s: y must have shape (%d,) to match X %s, got %s", name,
      X.shape[1], shape_str(X.shape), shape_str(y.shape)), 3)
  end
  return y
end

-- scikit-learn's enet_coordinate_descent_gram (cyclic, no screening), on the problem
-- (1/2) w'Qw - q'w + lam |w|_1 with Q, q the centred Gram divided by the weights' sum, so
-- that lam is scikit-learn's alpha. Returns w (a double array) and the sweeps taken.
local function cd_gram(Q, q, ynorm2, f, lam, max_iter, tol, bar)
  local w = ffi.new("double[?]", f)
  local Qw = ffi.new("double[?]", f)
  local XtA = ffi.new("double[?]", f)
  local function gap()
    local qw, wQw, l1, dual = 0, 0, 0, 0
    for j = 0, f - 1 do
      qw = qw + w[j] * q[j]
      wQw = wQw + w[j] * Qw[j]
      l1 = l1 + math.abs(w[j])
      XtA[j] = q[j] - Qw[j]
      dual = math.max(dual, math.abs(XtA[j]))
    end
    local R2 = ynorm2 + wQw - 2 * qw
    local Ry = ynorm2 - qw
    local primal = 0.5 * R2 + lam * l1
    local scale = dual > lam and lam / dual or 1.0
    return primal - (-0.5 * scale * scale * R2 + scale * Ry)
  end
  local gtol = tol * ynorm2
  local g = gap()
  if g >= 0 and g <= gtol then return w, 0, g end
  for it = 0, max_iter - 1 do
    local w_max, dw_max = 0, 0
    for j = 0, f - 1 do
      local Qjj = Q[j * f + j]
      if Qjj ~= 0 then
        local wj = w[j]
        local tmp = q[j] - Qw[j] + wj * Qjj
        local a = math.abs(tmp) - lam
        local new = a > 0 and (tmp > 0 and a or -a) / Qjj or 0
        w[j] = new
        if new ~= wj then
          local d, row = new - wj, j * f
          for k = 0, f - 1 do Qw[k] = Qw[k] + d * Q[row + k] end
        end
        dw_max = math.max(dw_max, math.abs(new - wj))
        w_max = math.max(w_max, math.abs(new))
      end
    end
    if w_max == 0 or dw_max / w_max <= tol or it == max_iter - 1 then
      g = gap()
      if bar then bar:update(it + 1, { { "gap", g }, { "tol", gtol } }) end
      if g <= gtol then return w, it + 1, g end
    elseif bar then
      bar:update(it + 1, { { "dw_max", dw_max } })
    end
  end
  return w, max_iter, g
end

-- fit(X, y, {sample_weight = w}): scikit-learn's weighted objective
-- (1 / (2 sum w)) sum w_i (y_i - x_i coef - b)^2 + lam |coef|_1.
function Lasso:fit(X, y, opts)
  local name = self._name .. ".fit"
  opts = estimator.checkopts(name, opts, { "sample_weight" })
  X = check_X(name, X)
  y = check_y(name, X, y)
  local sw = opts.sample_weight
  if sw ~= nil and not ht.is_array(sw) then
    error(string.format("ht.%s: sample_weight must be an array, got %s", name, type(sw)), 2)
  end
  if X.shape[1] == 0 then error(string.format("ht.%s: X has no rows", name), 2) end
  local f = X.shape[2]
  local G = core._weighted_gram(X, y, sw) -- [X 1 y]' W [X 1 y], (f + 2) square
  local g = ffi.new("double[?]", (f + 2) * (f + 2))
  local gt = G:totable()
  for i = 1, f + 2 do
    local row = gt[i]
    for j = 1, f + 2 do
      local v = row[j]
      if v ~= v or v == math.huge or v == -math.huge then
        error(string.format("ht.%s: X or y contains NaN or infinity", name), 2)
      end
      g[(i - 1) * (f + 2) + j - 1] = v
    end
  end
  local m = f + 2
  local S = g[f * m + f] -- sum of weights
  if not (S > 0) then error(string.format("ht.%s: the sample weights sum to zero", name), 2) end
  -- centring (when fitting an intercept) happens on the Gram: mean_x, mean_y weighted
  local mx, my = ffi.new("double[?]", f), 0
  if self.fit_intercept then
    for j = 0, f - 1 do mx[j] = g[j * m + f] / S end
    my = g[f * m + f + 1] / S
  end
  local Q, q = ffi.new("double[?]", f * f), ffi.new("double[?]", f)
  for i = 0, f - 1 do
    for j = 0, f - 1 do Q[i * f + j] = (g[i * m + j] - S * mx[i] * mx[j]) / S end
    q[i] = (g[i * m + f + 1] - S * mx[i] * my) / S
  end
  local ynorm2 = (g[(f + 1) * m + f + 1] - S * my * my) / S
  local bar = self.verbose and progress.new { desc = "Lasso", total = self.max_iter,
                                              verbose = self.verbose } or nil
  local w, n_iter, gap = cd_gram(Q, q, ynorm2, f, self.lam, self.max_iter, self.tol, bar)
  if bar then bar:close(n_iter < self.max_iter and "converged" or "max_iter reached") end
  local coef, b = {}, my
  for j = 0, f - 1 do
    coef[j + 1] = w[j]
    b = b - mx[j] * w[j]
  end
  self.n_features_in_ = f
  self.coef_ = ht.array(coef, { dtype = X.dtype })
  self.intercept_ = self.fit_intercept and b or 0.0
  self.n_iter_ = n_iter
  self.dual_gap_ = gap
  local theta = { { self.intercept_ } }
  for j = 1, f do theta[j + 1] = { coef[j] } end
  self.theta = ht.array(theta, { dtype = X.dtype }) -- Heat's (f + 1, 1), intercept first
  return self
end

local function check_predict_X(self, method, X)
  estimator.check_fitted(self, "coef_", method)
  X = check_X(self._name .. "." .. method, X)
  if X.shape[2] ~= self.n_features_in_ then
    error(string.format("ht.%s.%s: X has %d features, but Lasso is expecting %d features as input",
      self._name, method, X.shape[2], self.n_features_in_), 3)
  end
  return X
end

-- X coef_ + intercept_, an (n,) array split like X's rows.
function Lasso:predict(X)
  X = check_predict_X(self, "predict", X)
  local coef = self.coef_:astype(X.dtype)
  return ht.matmul(X, coef):add_(self.intercept_)
end

-- The coefficient of determination R^2 of predict(X) against y (weighted by sample_weight).
function Lasso:score(X, y, opts)
  local name = self._name .. ".score"
  opts = estimator.checkopts(name, opts, { "sample_weight" })
  X = check_predict_X(self, "score", X)
  y = check_y(name, X, y)
  local r = y - self:predict(X)
  local sw = opts.sample_weight
  local sse, sst
  if sw then
    local S = sw:sum():item()
    local ym = (sw * y):sum():item() / S
    sse = (sw * r * r):sum():item()
    local d = y - ym
    sst = (sw * d * d):sum():item()
  else
    local d = y - y:mean():item()
    sse, sst = (r * r):sum():item(), (d * d):sum():item()
  end
  if sst == 0 then return sse == 0 and 1.0 or 0.0 end
  return 1 - sse / sst
end

return M
