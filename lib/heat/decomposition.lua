-- ht.decomposition.PCA: principal components of split rows. The full solver takes the
-- F x F covariance in one pass (core._weighted_gram: one allreduce) and LAPACK's eigh,
-- the hierarchical one Heat's hsvd on the centred data, the randomized one Halko's range
-- finder on that covariance.
local ht = require "heat"
local core = require "heat.core"
local estimator = require "heat.estimator"

local M = {}

local pre = require "heat.preprocessing" -- the estimators' shared X check
local shape_str, check_X = pre._shape_str, pre._check_X

local PCA = estimator.class("decomposition.PCA", {
  positional = "n_components",
  params = { { "n_components", nil }, { "copy", true }, { "whiten", false },
             { "svd_solver", "full" }, { "tol", 0.0 }, { "iterated_power", "auto" },
             { "n_oversamples", 10 }, { "random_state", nil } },
})
M.PCA = PCA

PCA._validate = function(self)
  local k = self.n_components
  if k ~= nil and (type(k) ~= "number" or k <= 0 or (k >= 1 and k % 1 ~= 0)) then
    error(string.format("ht.decomposition.PCA: n_components must be a positive integer or a " ..
      "fraction in (0, 1), got %s", tostring(k)), 4)
  end
  local s = self.svd_solver
  if s ~= "full" and s ~= "hierarchical" and s ~= "randomized" then
    error(string.format("ht.decomposition.PCA: svd_solver must be 'full', 'hierarchical' or " ..
      "'randomized', got %s", tostring(s)), 4)
  end
  local ip = self.iterated_power
  if ip ~= "auto" and (type(ip) ~= "number" or ip < 0 or ip % 1 ~= 0) then
    error(string.format("ht.decomposition.PCA: iterated_power must be 'auto' or a " ..
      "non-negative integer, got %s", tostring(ip)), 4)
  end
end

-- scikit-learn's svd_flip(u_based_decision=False): each component's largest-magnitude
-- entry positive (signs then do not depend on the solver or the rank count).
local function flip_signs(rows)
  for _, r in ipairs(rows) do
    local big, at = -1, 1
    for j, v in ipairs(r) do
      if math.abs(v) > big then big, at = math.abs(v), j end
    end
    if r[at] < 0 then
      for j = 1, #r do r[j] = -r[j] end
    end
  end
  return rows
end

-- The number of components kept: an integer, or the smallest count whose cumulative
-- explained variance ratio exceeds a fraction (scikit-learn's searchsorted(side="right")).
local function choose_k(self, ratio, kmax, name)
  local k = self.n_components
  if k == nil then return kmax end
  if k < 1 then
    local cum = 0
    for i, r in ipairs(ratio) do
      cum = cum + r
      if cum > k then return i end
    end
    return #ratio
  end
  if k > kmax then
    error(string.format("ht.%s: n_components=%d must be between 0 and min(n_samples, " ..
      "n_features)=%d", name, k, kmax), 3)
  end
  return k
end

-- eigh's ascending pairs (w, the columns of V: f x p) as descending Lua tables:
-- values[i] (clipped at 0) and vectors[i] (rows).
local function descending(w, V, f, p)
  local wt, Vt = w:totable(), V:totable()
  local vals, vecs = {}, {}
  for i = 1, p do
    local c = p - i + 1
    vals[i] = math.max(wt[c], 0)
    local v = {}
    for j = 1, f do v[j] = Vt[j][c] end
    vecs[i] = v
  end
  return vals, vecs
end

-- The covariance's eigenpairs, descending.
local function cov_eig(C, f)
  local w, V = ht.linalg.eigh(C)
  return descending(w, V, f, f)
end

-- Halko et al.'s randomized range finder on the covariance C (replicated f x f): q power
-- iterations of C on a Gaussian block of k + p columns, then eigh of the projected matrix.
local function cov_randomized(self, C, f, k)
  local p = math.min(f, k + self.n_oversamples)
  local q = self.iterated_power
  if q == "auto" then q = k < 0.1 * f and 7 or 4 end
  local seed = ht.random.get_seed and ht.random.get_seed() or nil
  if self.random_state ~= nil then ht.random.seed(self.random_state) end
  local Q = ht.random.randn(f, p, { dtype = ht.float64 })
  if self.random_state ~= nil and seed then ht.random.seed(seed) end
  for _ = 1, q do Q = ht.linalg.qr(ht.matmul(C, Q)) end
  Q = ht.linalg.qr(ht.matmul(C, Q))
  local B = ht.matmul(ht.matmul(Q.T, C), Q)
  local w, V = ht.linalg.eigh(B)
  return descending(w, ht.matmul(Q, V), f, p)
end

-- fit(X): components_ (k, f), explained_variance_ (k,), explained_variance_ratio_,
-- singular_values_, mean_ (f,), n_components_, noise_variance_,
-- total_explained_variance_ratio_ (for the hierarchical solver Heat's 1 - err^2).
function PCA:fit(X, ...)
  local name = self._name .. ".fit"
  estimator.checknargs(name, select("#", ...) + 1, 1)
  X = check_X(name, X)
  local n, f = X.shape[1], X.shape[2]
  if n < 2 then
    error(string.format("ht.%s: PCA needs at least 2 samples, got shape %s", name,
      shape_str(X.shape)), 2)
  end
  if self.svd_solver == "hierarchical" then return self:_fit_hierarchical(X, name) end
  local G = core._weighted_gram(X) -- [X 1]' [X 1]: X'X, column sums, n
  local m = G[{ { 0, f }, f }] / n
  local C = (G[{ { 0, f }, { 0, f } }] - ht.expand_dims(m, 1) * ht.expand_dims(m, 0) * n) / (n - 1)
  local ct = C:totable()
  local total = 0
  for i = 1, f do
    local d = ct[i][i]
    if d ~= d or d == math.huge then
      error(string.format("ht.%s: X contains NaN or infinity", name), 2)
    end
    total = total + d
  end
  local kmax = math.min(n, f)
  local vals, vecs
  if self.svd_solver == "randomized" then
    local k = self.n_components
    if k == nil or k < 1 then
      error(string.format("ht.%s: svd_solver='randomized' needs an integer n_components", name), 2)
    end
    choose_k(self, {}, kmax, name)
    vals, vecs = cov_randomized(self, C, f, k)
  else
    vals, vecs = cov_eig(C, f)
  end
  local ratio = {}
  for i = 1, #vals do ratio[i] = total > 0 and vals[i] / total or 0 end
  local k = choose_k(self, ratio, kmax, name)
  local ev, evr, sv, comps, kept = {}, {}, {}, {}, 0
  for i = 1, k do
    ev[i], evr[i], sv[i] = vals[i], ratio[i], math.sqrt(vals[i] * (n - 1))
    comps[i] = vecs[i]
    kept = kept + ratio[i]
  end
  local noise = 0
  if k < kmax and self.svd_solver == "full" then
    for i = k + 1, kmax do noise = noise + vals[i] end
    noise = noise / (kmax - k)
  end
  local dt = X.dtype
  self.n_features_in_, self.n_samples_ = f, n
  self.mean_ = m:astype(dt)
  self.components_ = ht.array(flip_signs(comps), { dtype = dt })
  self.explained_variance_ = ht.array(ev, { dtype = dt })
  self.explained_variance_ratio_ = ht.array(evr, { dtype = dt })
  self.singular_values_ = ht.array(sv, { dtype = dt })
  self.n_components_ = k
  self.noise_variance_ = noise
  self.total_explained_variance_ratio_ = kept
  return self
end

-- Heat's hierarchical solver: hsvd of the centred data's transpose (features x samples),
-- by rank (integer n_components) or by the relative error sqrt(1 - fraction).
function PCA:_fit_hierarchical(X, name)
  local n, f = X.shape[1], X.shape[2]
  local sw, mean = core._col_moments(X)
  local Xc = X - mean:astype(X.dtype)
  local k = self.n_components
  local U, S, _, err
  if k ~= nil and k >= 1 then
    U, S, _, err = ht.linalg.hsvd_rank(Xc.T, k, { compute_sv = true })
  else
    U, S, _, err = ht.linalg.hsvd_rtol(Xc.T, math.sqrt(1 - (k or 1)), { compute_sv = true })
  end
  Xc = nil
  local st = S:totable()
  local ev, sv = {}, {}
  for i, s in ipairs(st) do ev[i], sv[i] = s * s / (n - 1), s end
  local comps = U.T:resplit(nil):totable()
  self.n_features_in_, self.n_samples_ = f, sw
  self.mean_ = mean:astype(X.dtype)
  self.components_ = ht.array(flip_signs(comps), { dtype = X.dtype })
  self.explained_variance_ = ht.array(ev, { dtype = X.dtype })
  self.singular_values_ = ht.array(sv, { dtype = X.dtype })
  self.explained_variance_ratio_ = nil -- needs the total variance, which hsvd does not give
  self.n_components_ = #st
  self.noise_variance_ = nil
  self.total_explained_variance_ratio_ = 1 - err * err
  return self
end

local function check_fitted_X(self, method, X)
  estimator.check_fitted(self, "components_", method)
  X = check_X(self._name .. "." .. method, X)
  return X
end

-- (X - mean_) components_^T, divided by sqrt(explained_variance_) when whitening; the
-- mean is subtracted after the product, so no centred copy of X is made.
function PCA:transform(X)
  X = check_fitted_X(self, "transform", X)
  if X.shape[2] ~= self.n_features_in_ then
    error(string.format("ht.%s.transform: X has %d features, but PCA is expecting %d features " ..
      "as input", self._name, X.shape[2], self.n_features_in_), 2)
  end
  local Ct = self.components_:astype(X.dtype).T
  local Y = ht.matmul(X, Ct)
  Y:sub_(ht.matmul(ht.expand_dims(self.mean_:astype(X.dtype), 0), Ct))
  if self.whiten then Y:div_(self.explained_variance_:sqrt():astype(X.dtype)) end
  return Y
end

function PCA:fit_transform(X)
  return self:fit(X):transform(X)
end

function PCA:inverse_transform(Y)
  Y = check_fitted_X(self, "inverse_transform", Y)
  if Y.shape[2] ~= self.n_components_ then
    error(string.format("ht.%s.inverse_transform: Y has %d columns, but PCA has %d components",
      self._name, Y.shape[2], self.n_components_), 2)
  end
  local C = self.components_:astype(Y.dtype)
  if self.whiten then
    C = C * ht.expand_dims(self.explained_variance_:sqrt():astype(Y.dtype), 1)
  end
  return ht.matmul(Y, C):add_(self.mean_:astype(Y.dtype))
end

return M
