-- ht.preprocessing: scikit-learn's scalers (StandardScaler, MinMaxScaler, MaxAbsScaler,
-- Normalizer, RobustScaler) over split arrays, with scikit-learn's attributes and its
-- handling of constant columns. `copy = false` scales X in place and returns X itself.
local ht = require "heat"
local core = require "heat.core"
local estimator = require "heat.estimator"

local M = {}

local F64_EPS = 2.220446049250313e-16
local EPS = { float32 = 1.1920928955078125e-07, float64 = F64_EPS }

local function shape_str(s)
  return "(" .. table.concat(s, ", ") .. (#s == 1 and ",)" or ")")
end
M._shape_str = shape_str

-- X checked as scikit-learn's check_array: a 2-D array; integers become float64 (a copy,
-- as scikit-learn makes one). Shared by ht.decomposition and ht.regression.
function M._check_X(name, X)
  if not ht.is_array(X) then
    error(string.format("ht.%s: X must be an array, got %s", name, type(X)), 3)
  end
  if X.ndim ~= 2 then
    error(string.format("ht.%s: X must be 2-D, got shape %s", name, shape_str(X.shape)), 3)
  end
  if X.dtype ~= "float32" and X.dtype ~= "float64" then X = X:astype(ht.float64) end
  return X
end

-- After fit: the feature count must match (scikit-learn's message).
function M._check_features(self, method, X)
  estimator.check_fitted(self, "n_features_in_", method)
  X = M._check_X(self._name .. "." .. method, X)
  if X.shape[2] ~= self.n_features_in_ then
    error(string.format("ht.%s.%s: X has %d features, but %s is expecting %d features as input",
      self._name, method, X.shape[2], self._name:match("[^.]+$"), self.n_features_in_), 3)
  end
  return X
end

local function check_finite(name, values)
  for _, v in ipairs(values) do
    if v ~= v or v == math.huge or v == -math.huge then
      error(string.format("ht.%s: X contains NaN or infinity", name), 3)
    end
  end
end

local function vec(t, dtype) return ht.array(t, { dtype = dtype }) end

-- scikit-learn's _handle_zeros_in_scale: scales below 10 eps (or flagged constant) are 1.
local function handle_zeros(scale, dtype, constant)
  local out = {}
  for j, s in ipairs(scale) do
    out[j] = ((constant and constant[j]) or s < 10 * EPS[dtype]) and 1.0 or s
  end
  return out
end

-- The output of a transform: X itself when copy is false, else a copy.
local function target(self, method, X, opts)
  opts = estimator.checkopts(self._name .. "." .. method, opts, { "copy" }, 4)
  local copy = opts.copy
  if copy == nil then copy = self.copy end
  return copy and X:copy() or X
end

-- fit_transform = fit then transform, for every scaler.
local function add_fit_transform(cls)
  function cls:fit_transform(X, opts)
    return self:fit(X, opts):transform(X)
  end
end

-- ---- StandardScaler ----

local StandardScaler = estimator.class("preprocessing.StandardScaler", {
  params = { { "copy", true }, { "with_mean", true }, { "with_std", true } },
})
M.StandardScaler = StandardScaler

-- fit(X, {sample_weight = w}): mean_ and var_ in float64 (as scikit-learn), one pass and one
-- collective. n_samples_seen_ is the row count, or the sum of the weights.
function StandardScaler:fit(X, opts)
  local name = self._name .. ".fit"
  opts = estimator.checkopts(name, opts, { "sample_weight" })
  X = M._check_X(name, X)
  local sw, mean, m2 = core._col_moments(X, opts.sample_weight)
  local n, f = sw, X.shape[2]
  local mt, vt = mean:totable(), {}
  check_finite(name, mt)
  local m2t = m2:totable()
  for j = 1, f do vt[j] = n > 0 and m2t[j] / n or 0 / 0 end
  self.n_features_in_, self.n_samples_seen_ = f, n
  self.mean_, self.var_, self.scale_ = nil, nil, nil
  if self.with_mean or self.with_std then self.mean_ = mean end
  if self.with_std then
    -- scikit-learn's _is_constant_feature: var within the rounding of a one-pass variance
    local constant, sd = {}, {}
    for j = 1, f do
      local bound = n * F64_EPS * vt[j] + (n * mt[j] * F64_EPS) ^ 2
      constant[j] = vt[j] <= bound
      sd[j] = math.sqrt(vt[j])
    end
    self.var_ = vec(vt, ht.float64)
    self.scale_ = vec(handle_zeros(sd, "float64", constant), ht.float64)
  end
  self._mean_t, self._scale_t = {}, {} -- per dtype casts, made once
  return self
end

local function cast_cached(self, key, a, dtype)
  local c = self[key]
  if not c[dtype] then c[dtype] = a:astype(dtype) end
  return c[dtype]
end

-- transform(X, {copy}): (X - mean_) / scale_ in X's dtype; in place when copy is false.
function StandardScaler:transform(X, opts)
  X = M._check_features(self, "transform", X)
  X = target(self, "transform", X, opts)
  if self.with_mean then X:sub_(cast_cached(self, "_mean_t", self.mean_, X.dtype)) end
  if self.with_std then X:div_(cast_cached(self, "_scale_t", self.scale_, X.dtype)) end
  return X
end

function StandardScaler:inverse_transform(X, opts)
  X = M._check_features(self, "inverse_transform", X)
  X = target(self, "inverse_transform", X, opts)
  if self.with_std then X:mul_(cast_cached(self, "_scale_t", self.scale_, X.dtype)) end
  if self.with_mean then X:add_(cast_cached(self, "_mean_t", self.mean_, X.dtype)) end
  return X
end
add_fit_transform(StandardScaler)

-- ---- MinMaxScaler ----

local MinMaxScaler = estimator.class("preprocessing.MinMaxScaler", {
  params = { { "feature_range", { 0, 1 } }, { "copy", true }, { "clip", false } },
})
M.MinMaxScaler = MinMaxScaler

MinMaxScaler._validate = function(self)
  local r = self.feature_range
  if type(r) ~= "table" or type(r[1]) ~= "number" or type(r[2]) ~= "number" or r[1] >= r[2] then
    error("ht.preprocessing.MinMaxScaler: feature_range must be {min, max} with min < max", 4)
  end
end

-- Attributes in X's dtype, as scikit-learn computes them.
function MinMaxScaler:fit(X, opts)
  local name = self._name .. ".fit"
  estimator.checkopts(name, opts, {})
  X = M._check_X(name, X)
  local dt = X.dtype
  local dmin, dmax = X:min(0), X:max(0)
  check_finite(name, dmin:totable())
  check_finite(name, dmax:totable())
  local range = dmax - dmin
  local lo, hi = self.feature_range[1], self.feature_range[2]
  local scale = vec(handle_zeros(range:totable(), dt), dt)
  self.n_features_in_, self.n_samples_seen_ = X.shape[2], X.shape[1]
  self.data_min_, self.data_max_, self.data_range_ = dmin, dmax, range
  self.scale_ = ht.array(hi - lo, { dtype = dt }) / scale
  self.min_ = lo - dmin * self.scale_
  return self
end

function MinMaxScaler:transform(X, opts)
  X = M._check_features(self, "transform", X)
  X = target(self, "transform", X, opts)
  X:mul_(self.scale_):add_(self.min_)
  if self.clip then
    local c = X:clip(self.feature_range[1], self.feature_range[2])
    X[{ ht.all, ht.all }] = c
  end
  return X
end

function MinMaxScaler:inverse_transform(X, opts)
  X = M._check_features(self, "inverse_transform", X)
  X = target(self, "inverse_transform", X, opts)
  return X:sub_(self.min_):div_(self.scale_)
end
add_fit_transform(MinMaxScaler)

-- ---- MaxAbsScaler ----

local MaxAbsScaler = estimator.class("preprocessing.MaxAbsScaler", {
  params = { { "copy", true } },
})
M.MaxAbsScaler = MaxAbsScaler

-- max |x| per column from the column min and max: no |X| temporary.
function MaxAbsScaler:fit(X, opts)
  local name = self._name .. ".fit"
  estimator.checkopts(name, opts, {})
  X = M._check_X(name, X)
  local mx = ht.maximum(X:max(0), -X:min(0))
  local t = mx:totable()
  check_finite(name, t)
  self.n_features_in_, self.n_samples_seen_ = X.shape[2], X.shape[1]
  self.max_abs_ = mx
  self.scale_ = vec(handle_zeros(t, X.dtype), X.dtype)
  return self
end

function MaxAbsScaler:transform(X, opts)
  X = M._check_features(self, "transform", X)
  return target(self, "transform", X, opts):div_(self.scale_)
end

function MaxAbsScaler:inverse_transform(X, opts)
  X = M._check_features(self, "inverse_transform", X)
  return target(self, "inverse_transform", X, opts):mul_(self.scale_)
end
add_fit_transform(MaxAbsScaler)

-- ---- Normalizer ----

local Normalizer = estimator.class("preprocessing.Normalizer", {
  params = { { "norm", "l2" }, { "copy", true } },
})
M.Normalizer = Normalizer

Normalizer._validate = function(self)
  if self.norm ~= "l2" and self.norm ~= "l1" and self.norm ~= "max" then
    error(string.format("ht.preprocessing.Normalizer: norm must be 'l1', 'l2' or 'max', got %s",
      tostring(self.norm)), 4)
  end
end

-- Stateless, as scikit-learn's: fit records the feature count only.
function Normalizer:fit(X, opts)
  local name = self._name .. ".fit"
  estimator.checkopts(name, opts, {})
  X = M._check_X(name, X)
  self.n_features_in_ = X.shape[2]
  return self
end

-- Each row divided by its norm (rows of norm 0 are left as they are). The row norms are
-- an (n,) array, finished in place (out=); l2 and l1 take an (n, f) temporary of squares
-- or magnitudes.
function Normalizer:transform(X, opts)
  X = M._check_features(self, "transform", X)
  X = target(self, "transform", X, opts)
  local norms
  if self.norm == "l2" then
    norms = (X * X):sum(1)
    ht.sqrt(norms, { out = norms })
  elseif self.norm == "l1" then norms = X:abs():sum(1)
  else norms = ht.maximum(X:max(1), -X:min(1)) end
  ht.where(norms:lt(10 * EPS[X.dtype]), 1, norms, { out = norms })
  return X:div_(ht.expand_dims(norms, 1))
end
add_fit_transform(Normalizer)

-- ---- RobustScaler ----

local RobustScaler = estimator.class("preprocessing.RobustScaler", {
  params = { { "with_centering", true }, { "with_scaling", true },
             { "quantile_range", { 25.0, 75.0 } }, { "copy", true }, { "unit_variance", false } },
})
M.RobustScaler = RobustScaler

RobustScaler._validate = function(self)
  local q = self.quantile_range
  if type(q) ~= "table" or type(q[1]) ~= "number" or type(q[2]) ~= "number" or
     not (0 <= q[1] and q[1] <= q[2] and q[2] <= 100) then
    error("ht.preprocessing.RobustScaler: quantile_range must be {q_min, q_max} with " ..
      "0 <= q_min <= q_max <= 100", 4)
  end
end

-- The standard normal quantile (Wichura's AS 241, PPND16: about 1e-16 relative).
local function norm_ppf(p)
  local q = p - 0.5
  if math.abs(q) <= 0.425 then
    local r = 0.180625 - q * q
    return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r +
      67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r +
      1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608) /
      (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
      21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
      42.313330701600911252) * r + 1.0)
  end
  local r = q < 0 and p or 1 - p
  if r <= 0 then return q < 0 and -math.huge or math.huge end
  r = math.sqrt(-math.log(r))
  local v
  if r <= 5 then
    r = r - 1.6
    v = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r +
      0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r +
      5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r +
      0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r +
      1.6763848301838038494) * r + 2.05319162663775882187) * r + 1.0)
  else
    r = r - 5
    v = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
      0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r +
      1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r +
      1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r +
      0.13692988092273580531) * r + 0.59983220655588793769) * r + 1.0)
  end
  return q < 0 and -v or v
end
M._norm_ppf = norm_ppf

-- NumPy's percentile (method "linear") of each column of the column-sorted S, q in [0, 100].
local function percentiles(S, q)
  local n = S.shape[1]
  local pos = q / 100 * (n - 1)
  local lo = math.floor(pos)
  local t = pos - lo
  local a = S[lo]:totable()
  if t == 0 then return a end
  local b = S[math.min(lo + 1, n - 1)]:totable()
  local out = {}
  for j = 1, #a do -- numpy's _lerp
    local d = b[j] - a[j]
    out[j] = t >= 0.5 and b[j] - d * (1 - t) or a[j] + d * t
  end
  return out
end

-- center_ (the median) and scale_ (the quantile range) from one sort of X's columns.
function RobustScaler:fit(X, opts)
  local name = self._name .. ".fit"
  estimator.checkopts(name, opts, {})
  X = M._check_X(name, X)
  if X.shape[1] == 0 then
    error(string.format("ht.%s: X has no rows (shape %s)", name, shape_str(X.shape)), 2)
  end
  local dt = X.dtype
  if X:isnan():any():item() then error(string.format("ht.%s: X contains NaN", name), 2) end
  local S = ht.sort(X, 0)
  self.n_features_in_ = X.shape[2]
  self.center_, self.scale_ = nil, nil
  if self.with_centering then self.center_ = vec(percentiles(S, 50), dt) end
  if self.with_scaling then
    local q = self.quantile_range
    local lo, hi = percentiles(S, q[1]), percentiles(S, q[2])
    local range = {}
    for j = 1, #lo do range[j] = hi[j] - lo[j] end
    range = handle_zeros(range, dt)
    if self.unit_variance then
      local adjust = norm_ppf(q[2] / 100) - norm_ppf(q[1] / 100)
      for j = 1, #range do range[j] = range[j] / adjust end
    end
    self.scale_ = vec(range, dt)
  end
  return self
end

function RobustScaler:transform(X, opts)
  X = M._check_features(self, "transform", X)
  X = target(self, "transform", X, opts)
  if self.with_centering then X:sub_(self.center_) end
  if self.with_scaling then X:div_(self.scale_) end
  return X
end

function RobustScaler:inverse_transform(X, opts)
  X = M._check_features(self, "inverse_transform", X)
  X = target(self, "inverse_transform", X, opts)
  if self.with_scaling then X:mul_(self.scale_) end
  if self.with_centering then X:add_(self.center_) end
  return X
end
add_fit_transform(RobustScaler)

return M
