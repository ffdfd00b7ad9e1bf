-- ht.cluster: the k-means family (Heat's heat.cluster) with scikit-learn's semantics where
-- Heat departs from them (inertia_ is the sum of squared distances, labels_ has shape (n,)).
-- KMeans' assignment step is one C kernel (runtime/ops/cluster.c: blocked GEMM distances,
-- per-cluster sums, one allreduce); the iterations, initialisations and the median family
-- are whole-array operations here.
local core = require "heat.core"
local estimator = require "heat.estimator"
local progress = require "heat.progress"
local ht = require "heat"

local M = {}

local INIT = { ["random"] = "random", ["k-means++"] = "k-means++", ["kmeans++"] = "k-means++",
               ["probability_based"] = "k-means++", ["batchparallel"] = "batchparallel" }

local function shape_str(s)
  return "(" .. table.concat(s, ", ") .. (#s == 1 and ",)" or ")")
end

local function fail(self, method, fmt, ...)
  error(string.format("ht.%s.%s: " .. fmt, self._name, method, ...), 3)
end

-- X as the kernels take it: 2-D, float (integers -> float64 like scikit-learn), split 0 or
-- replicated, C-contiguous, finite.
local function check_X(self, method, X)
  if type(X) == "table" and not ht.is_array(X) then X = ht.array(X, { dtype = ht.float64 }) end
  if not ht.is_array(X) then fail(self, method, "X must be an array, got %s", type(X)) end
  if X.ndim ~= 2 then
    fail(self, method, "X must be 2-D (samples, features), got shape %s", shape_str(X.shape))
  end
  if X.dtype ~= ht.float32 and X.dtype ~= ht.float64 then X = X:astype(ht.float64) end
  if X.split == 1 then X = X:resplit(0) end
  X = core._contiguous(X)
  -- one float64 sum finds NaN and infinity without an n x F temporary; the exact test
  -- runs only when the sum is not finite (it may overflow for huge finite values)
  local s = X:sum():item()
  if (s ~= s or s == math.huge or s == -math.huge) and not ht.isfinite(X):all():item() then
    fail(self, method, "X contains NaN or infinity (shape %s, dtype %s)", shape_str(X.shape), X.dtype)
  end
  return X
end

local function check_weight(self, X, w)
  if w == nil then return nil end
  if type(w) == "table" and not ht.is_array(w) then w = ht.array(w, { dtype = X.dtype }) end
  if not ht.is_array(w) or w.ndim ~= 1 or w.shape[1] ~= X.shape[1] then
    fail(self, "fit", "sample_weight must be an array of shape (%d,), got %s", X.shape[1],
      ht.is_array(w) and shape_str(w.shape) or type(w))
  end
  if w.dtype ~= X.dtype then w = w:astype(X.dtype) end
  w = M._align_rows(w, X)
  if (w:lt(0)):any():item() then fail(self, "fit", "sample_weight must not be negative") end
  return core._contiguous(w)
end

-- labels (n,) int64 distributed like X's rows
local function new_labels(X)
  return ht.full_like(X[{ ht.all, 0 }], -1, { dtype = ht.int64 })
end

local function row(X, i)
  return X[i]:reshape({ 1, X.shape[2] })
end

-- ---- initialisation ----

-- k distinct rows chosen uniformly: the k largest of n uniforms keyed by global index, so
-- the choice is the same for any number of ranks.
local function init_random(X, k)
  local r = ht.random.rand(X.shape[1], { dtype = ht.float64, split = X.split })
  local _, idx = ht.topk(r, k)
  return X[idx]:resplit(nil)
end

-- candidates per step of greedy k-means++: scikit-learn's 2 + int(log k) (and the C
-- kernel's ht_kmeanspp_trials)
local function trials(k) return 2 + math.floor(math.log(k)) end

-- Greedy k-means++ (Arthur & Vassilvitskii, as scikit-learn runs it; Heat's
-- "probability_based" without the greedy step): each step draws `trials(k)` rows with
-- probability proportional to w * their squared distance to the closest centre and keeps
-- the one that lowers the sum of those distances most. One C call (ht_kmeanspp: two passes
-- over the rows per centre); all uniforms come from one replicated draw, so the centres do
-- not depend on the rank count.
local function init_kmeanspp(X, k, w)
  local u = ht.random.rand(1 + (k - 1) * trials(k), { dtype = ht.float64 }):totable()
  return core._kmeanspp(X, w, k, u)
end

local lloyd

-- Batches of rows clustered on their own, over all ranks together: at least this many, so
-- that the merge has several local solutions to choose from even on one rank.
local MIN_BATCHES = 4
-- k-means++ starts of the weighted merge (ranks x batches x k points: each start costs
-- microseconds), the one of least weighted inertia wins
local MERGE_STARTS = 10

-- Heat's batchparallel scheme: k-means++ and Lloyd on every rank's own rows (no
-- communication; each rank's rows cut into batches so that there are >= MIN_BATCHES in
-- all), then the gathered local centres clustered once more, each weighted by the size of
-- its local cluster (weighted k-means++ and weighted Lloyd): a local optimum that put one
-- centre between two true clusters is outvoted by the batches that separated them.
local function init_batchparallel(self, X, k, tol_abs)
  local p = X.split == nil and 1 or ht.nprocs()
  local nb = math.ceil(MIN_BATCHES / p)
  -- each batch its own k-means++ draws (the same ones for the same batch at any rank
  -- count): with shared draws, similar batches made the same poor choices
  local nu = 1 + (k - 1) * trials(k)
  local all_u = ht.random.rand(p * nb * nu, { dtype = ht.float64 }):totable()
  local first = (X.split == nil and 0 or ht.rank()) * nb * nu
  local u = {}
  for i = 1, nb * nu do u[i] = all_u[first + i] end
  local loc, cnt = core._kmeans_local(X, k, u, self.max_iter, tol_abs, nb)
  local all = core._stack_local_rows(loc):resplit(nil)
  local wts = core._stack_local_rows(cnt:reshape({ cnt.shape[1], 1 })):resplit(nil)
  wts = core._contiguous(wts:reshape({ wts.shape[1] }):astype(all.dtype))
  if all.shape[1] <= k then return all end
  return M._merge_local(self, all, wts, k)
end

-- The merge of the gathered local centres `all` (replicated) of cluster sizes `wts` into k:
-- the best of MERGE_STARTS weighted k-means++ + weighted Lloyd runs; the median family merges
-- as Heat does (unweighted KMedians, one start).
function M._merge_local(self, all, wts, k)
  local w = self._weighted_merge and wts or nil
  local tol = self.tol * all:var(0):mean():item()
  local best, best_inertia
  for _ = 1, w and MERGE_STARTS or 1 do
    local C, _, inertia = self._merge(self, all, w, init_kmeanspp(all, k, w), tol)
    if best == nil or inertia < best_inertia then best, best_inertia = C, inertia end
  end
  return best
end

local function check_centres(self, C, X, k)
  if type(C) == "table" and not ht.is_array(C) then C = ht.array(C, { dtype = X.dtype }) end
  if C.ndim ~= 2 or C.shape[1] ~= k or C.shape[2] ~= X.shape[2] then
    fail(self, "fit", "init must have shape (%d, %d) (n_clusters, n_features), got %s", k,
      X.shape[2], shape_str(C.shape))
  end
  return core._contiguous(C:astype(X.dtype):resplit(nil))
end

local function initial_centres(self, X, w, tol_abs)
  local k = self.n_clusters
  if ht.is_array(self.init) or type(self.init) == "table" then
    return check_centres(self, self.init, X, k)
  end
  local how = INIT[self.init]
  local C
  if how == "random" then C = init_random(X, k)
  elseif how == "k-means++" then C = init_kmeanspp(X, k, w)
  else C = init_batchparallel(self, X, k, tol_abs) end
  return core._contiguous(C:astype(X.dtype))
end

-- ---- Lloyd ----

-- Centres from the allreduced sums; an empty cluster takes the row farthest from its
-- centre (scikit-learn's relocation), which leaves the cluster it came from.
local function new_centres(X, w, C, labels, sums, wsum)
  local k = C.shape[1]
  local ws = wsum:totable()
  local empty = {}
  for c = 1, k do if ws[c] == 0 then empty[#empty + 1] = c end end
  if #empty > 0 then
    local mind = ht.zeros_like(X[{ ht.all, 0 }])
    core._kmeans_assign(X, C, w, labels, mind, false)
    local _, idx = ht.topk(mind, #empty)
    local far = X[idx]:resplit(nil):astype(ht.float64):totable()
    local from = labels[idx]:resplit(nil):totable()
    local fw = w and w[idx]:resplit(nil):totable() or nil
    local s = sums:totable()
    for e, c in ipairs(empty) do
      local wi, old = fw and fw[e] or 1, from[e] + 1
      for q = 1, #far[e] do
        s[old][q] = s[old][q] - wi * far[e][q]
        s[c][q] = wi * far[e][q]
      end
      ws[old], ws[c] = ws[old] - wi, wi
    end
    sums, wsum = ht.array(s, { dtype = ht.float64 }), ht.array(ws, { dtype = ht.float64 })
  end
  return core._contiguous((sums / wsum:reshape({ k, 1 })):astype(X.dtype))
end

-- scikit-learn's _kmeans_single_lloyd: stops when no label changes or when the squared
-- centre shift is <= tol_abs; returns centres, labels, inertia, iterations. The passes after
-- the first keep Hamerly's bounds per row on each rank (core._kmeans_assign_bounded): only
-- rows whose bounds overlap are looked at again, and the labels are those of a full pass.
lloyd = function(self, X, w, C, tol_abs, bar)
  local labels = new_labels(X)
  local bounds = core._kmeans_bounds()
  local verbose = bar ~= nil and self.verbose ~= false and self.verbose ~= 0 -- the same on every rank
  local it = 0
  for i = 1, self.max_iter do
    it = i
    local inertia, changed, sums, wsum = core._kmeans_assign_bounded(X, C, w, labels, bounds, true, verbose)
    local Cn = new_centres(X, w, C, labels, sums, wsum)
    local d = Cn - C
    local shift = (d * d):sum():item()
    C = Cn
    if bar then bar:update(i, { inertia = inertia, shift = shift }) end
    -- no label moved: the centres stay the same, this pass was already the final E-step
    -- (scikit-learn's strict convergence)
    if changed == 0 or shift <= tol_abs then break end
  end
  -- labels and inertia of the final centres (scikit-learn's last E-step): a bounded pass,
  -- which reads every row once for the inertia
  local inertia = core._kmeans_assign_bounded(X, C, w, labels, bounds, false, true)
  core._kmeans_bounds_free(bounds)
  return C, labels, inertia, it
end

-- ---- the estimators ----

local function params(init)
  return { { "n_clusters", 8 }, { "init", init }, { "max_iter", 300 }, { "tol", 1e-4 },
           { "random_state", nil }, { "n_init", 1 }, { "verbose", false } }
end

local function is_int(v) return type(v) == "number" and v == math.floor(v) end

local function validate(self)
  local function bad(fmt, ...) error(string.format("ht.%s: " .. fmt, self._name, ...), 4) end
  if not is_int(self.n_clusters) or self.n_clusters < 1 then
    bad("n_clusters must be a positive integer, got %s", tostring(self.n_clusters))
  end
  if not is_int(self.max_iter) or self.max_iter < 1 then
    bad("max_iter must be a positive integer, got %s", tostring(self.max_iter))
  end
  if not is_int(self.n_init) or self.n_init < 1 then
    bad("n_init must be a positive integer, got %s", tostring(self.n_init))
  end
  if type(self.tol) ~= "number" or self.tol < 0 then
    bad("tol must be a non-negative number, got %s", tostring(self.tol))
  end
  if self.random_state ~= nil and not is_int(self.random_state) then
    bad("random_state must be an integer, got %s", tostring(self.random_state))
  end
  local init = self.init
  if not (ht.is_array(init) or (type(init) == "table") or INIT[init]) then
    bad("init must be 'random', 'k-means++' ('kmeans++', 'probability_based'), " ..
      "'batchparallel' or an array of centres, got %s", tostring(init))
  end
end

-- run: the iterations from initial centres; metric: transform's distances; merge: how
-- batchparallel clusters the gathered local centres
local function class(name, init, run, metric, merge)
  local cls = estimator.class(name, { positional = "n_clusters", params = params(init) })
  cls._validate = validate
  cls._run, cls._metric, cls._initial, cls._merge = run, metric, initial_centres, merge or run
  cls._weighted_merge = (merge or run) == lloyd
  return cls
end

-- Fitting shared by the family: checks, seeding, n_init restarts (lowest inertia wins).
local function fit(self, X, opts)
  opts = estimator.checkopts(self._name .. ".fit", opts, { "sample_weight" })
  X = check_X(self, "fit", X)
  local k = self.n_clusters
  if k > X.shape[1] then
    fail(self, "fit", "n_samples=%d should be >= n_clusters=%d", X.shape[1], k)
  end
  local w = check_weight(self, X, opts.sample_weight)
  if self.random_state ~= nil then ht.random.seed(self.random_state) end
  local tol_abs = self.tol * X:var(0):mean():item()
  local runs = (ht.is_array(self.init) or type(self.init) == "table") and 1 or self.n_init
  local best
  for run = 1, runs do
    local bar = progress.new { desc = self._name:match("[^.]+$"), total = self.max_iter,
                               verbose = self.verbose }
    local C0 = self._initial(self, X, w, tol_abs)
    local C, labels, inertia, it = self._run(self, X, w, C0, tol_abs, bar)
    bar:close(string.format("run %d: %d iterations, inertia %.6g", run, it, inertia))
    if best == nil or inertia < best[3] then best = { C, labels, inertia, it } end
  end
  self.cluster_centers_, self.labels_, self.inertia_, self.n_iter_ = best[1], best[2], best[3], best[4]
  self.n_features_in_ = X.shape[2]
  return self
end

local function check_predict_X(self, method, X)
  estimator.check_fitted(self, "cluster_centers_", method)
  X = check_X(self, method, X)
  if X.shape[2] ~= self.n_features_in_ then
    fail(self, method, "X has %d features, but %s was fitted with %d", X.shape[2],
      self._name:match("[^.]+$"), self.n_features_in_)
  end
  return X, core._contiguous(self.cluster_centers_:astype(X.dtype))
end

local function add_methods(cls, assign)
  cls.fit = fit
  -- index of the closest centre for every row: int64 (n,), split like X
  function cls:predict(X, ...)
    estimator.checknargs(self._name .. ".predict", select("#", ...), 0, 3)
    local C
    X, C = check_predict_X(self, "predict", X)
    local labels = assign(X, C)
    return labels
  end
  function cls:fit_predict(X, opts) return self:fit(X, opts).labels_ end
  -- distances to every centre, (n, n_clusters), split like X
  function cls:transform(X)
    local C
    X, C = check_predict_X(self, "transform", X)
    return self._metric(X, C)
  end
  function cls:fit_transform(X, opts) return self:fit(X, opts):transform(X) end
  -- scikit-learn's score: minus the inertia of X against the fitted centres
  function cls:score(X, opts)
    opts = estimator.checkopts(self._name .. ".score", opts, { "sample_weight" })
    local C
    X, C = check_predict_X(self, "score", X)
    local _, inertia = assign(X, C, check_weight(self, X, opts.sample_weight))
    return -inertia
  end
end

-- KMeans' assignment: the C kernel, labels and inertia
local function kmeans_assign(X, C, w)
  local labels = new_labels(X)
  local inertia = core._kmeans_assign(X, C, w, labels, nil, false)
  return labels, inertia
end

local function euclidean(X, C) return ht.spatial.cdist(X, C) end

M.KMeans = class("cluster.KMeans", "random", lloyd, euclidean)
add_methods(M.KMeans, kmeans_assign)

-- Heat's BatchParallelKMeans: the batchparallel scheme (k-means++ on each rank's rows, the
-- only local init) is the whole fit; labels_ and inertia_ come from one assignment of X.
M.BatchParallelKMeans = class("cluster.BatchParallelKMeans", "k-means++", function(_, X, w, C)
  local labels, inertia = kmeans_assign(X, C, w)
  return C, labels, inertia, 1
end, euclidean, lloyd)
local function batchparallel_only(self, X, _, tol_abs)
  if INIT[self.init] ~= "k-means++" then
    fail(self, "fit", "init must be 'k-means++' (the local initialisation), got %s", tostring(self.init))
  end
  return core._contiguous(init_batchparallel(self, X, self.n_clusters, tol_abs))
end
M.BatchParallelKMeans._initial = batchparallel_only
add_methods(M.BatchParallelKMeans, kmeans_assign)

-- ---- the median family: Manhattan assignment, medians (KMedians) or medoids (KMedoids) ----

-- labels (int64, split like X) and the distance to the closest centre, through the (n, k)
-- Manhattan distances (k is small: k values per row)
local function l1_assign(X, C)
  local D = ht.spatial.manhattan(X, C)
  return D:argmin(1), D:min(1)
end

-- NumPy's median of the rows of Xc (the mean of the two middle values for an even count),
-- by the distributed sort along rows
local function rows_median(Xc)
  local m = Xc.shape[1]
  local s = ht.sort(Xc, 0)
  local lo, hi = s[math.floor((m - 1) / 2)], s[math.floor(m / 2)]
  return ((lo + hi) / 2):reshape({ 1, Xc.shape[2] })
end

-- Heat's update rules: the median of each cluster, or (medoid) the cluster's row closest to
-- that median in Manhattan distance. An empty cluster takes the row farthest from its centre.
local function median_centres(X, C, labels, mind, medoid)
  local k = C.shape[1]
  local rows, empty = {}, {}
  for c = 0, k - 1 do
    local Xc = X[labels:eq(c)]
    if Xc.shape[1] == 0 then
      empty[#empty + 1] = c + 1
    else
      local med = rows_median(Xc)
      if medoid then med = row(Xc, ht.spatial.manhattan(Xc, med):argmin():item()) end
      rows[c + 1] = med
    end
  end
  if #empty > 0 then
    local _, idx = ht.topk(mind, #empty)
    local far = idx:totable()
    for e, c in ipairs(empty) do rows[c] = row(X, far[e]) end
  end
  return core._contiguous(ht.concatenate(rows, 0):astype(X.dtype))
end

local function median_loop(medoid)
  return function(self, X, w, C, tol_abs, bar)
    if w then fail(self, "fit", "sample_weight is not supported by the median family") end
    local old
    local it = 0
    for i = 1, self.max_iter do
      it = i
      local labels, mind = l1_assign(X, C)
      local Cn = median_centres(X, C, labels, mind, medoid)
      local d = Cn - C
      local shift = (d * d):sum():item()
      local changed = old and labels:ne(old):sum():item() or 1
      C, old = Cn, labels
      if bar then bar:update(i, { inertia = mind:sum():item(), shift = shift }) end
      if changed == 0 or shift <= tol_abs then break end
    end
    local labels, mind = l1_assign(X, C)
    return C, labels, mind:sum():item(), it
  end
end

local function l1_predict(X, C, w)
  if w then error("ht.cluster: sample_weight is not supported by the median family", 3) end
  local labels, mind = l1_assign(X, C)
  return labels, mind:sum():item()
end

local function manhattan(X, C) return ht.spatial.manhattan(X, C) end

-- Heat's KMedians and KMedoids: inertia_ is the sum of Manhattan distances to the closest
-- centre (the metric they cluster by).
M.KMedians = class("cluster.KMedians", "random", median_loop(false), manhattan)
add_methods(M.KMedians, l1_predict)
M.KMedoids = class("cluster.KMedoids", "random", median_loop(true), manhattan)
add_methods(M.KMedoids, l1_predict)

-- Heat's BatchParallelKMedians: the local phase on each rank is k-means (the C kernel), the
-- gathered local centres are merged by KMedians, and X is assigned by Manhattan distance.
M.BatchParallelKMedians = class("cluster.BatchParallelKMedians", "k-means++", function(_, X, w, C)
  local labels, inertia = l1_predict(X, C, w)
  return C, labels, inertia, 1
end, manhattan)
M.BatchParallelKMedians._merge = median_loop(false)
M.BatchParallelKMedians._initial = batchparallel_only
add_methods(M.BatchParallelKMedians, l1_predict)

-- w aligned with X's rows: same split and the same row counts on every rank
function M._align_rows(w, X)
  if w.split ~= X.split then w = w:resplit(X.split) end
  if X.split == nil then return w end
  local counts = {}
  for r, s in ipairs(X.lshape_map) do counts[r] = s[1] end
  return w:redistribute(counts)
end

return M
