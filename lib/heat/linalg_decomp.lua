-- Decompositions and solvers of ht.linalg (Heat's names, NumPy's semantics): qr, svd, eigh,
-- the hierarchical SVD, inv, det, solve, solve_triangular; the distributed work is in
-- runtime/ops/{qr,svd,hsvd,solve}.c, here the options are checked and defaults chosen.
local core = require "heat.core"
local est = require "heat.estimator"

local M = {}
local unpack = table.unpack or unpack

-- Raises msg at the user's line: the first caller outside this file, however deep the
-- checks are nested (helpers call helpers, and tail calls drop frames).
local here = debug.getinfo(1, "S").source
local function fail(msg)
  local lvl = 2
  while true do
    local info = debug.getinfo(lvl, "S")
    if not info or info.source ~= here then break end
    lvl = lvl + 1
  end
  error(msg, lvl)
end

local function shape_str(x)
  return "(" .. table.concat(x.shape, ", ") .. (x.ndim == 1 and ",)" or ")")
end

-- "shape (7, 3), split 0, dtype float32" for messages
local function describe(x)
  return string.format("shape %s, split %s, dtype %s", shape_str(x), tostring(x.split), x.dtype)
end

local function check_array(fn, x, what)
  if getmetatable(x) ~= core._metatable then
    fail(string.format("ht.linalg.%s: %s must be an array, got %s", fn, what or "A", type(x)))
  end
end

-- qr(A, {mode = "reduced"|"r"}) -> Q, R (Q nil for "r")
function M.qr(A, opts, ...)
  est.checknargs("linalg.qr", select("#", ...) + 2, 2)
  check_array("qr", A)
  opts = est.checkopts("linalg.qr", opts, { "mode" })
  local mode = opts.mode or "reduced"
  if mode ~= "reduced" and mode ~= "r" then
    error(string.format("ht.linalg.qr: mode must be 'reduced' or 'r', got '%s'", tostring(mode)), 2)
  end
  if mode == "r" then return nil, core._qr(A, false) end
  return core._qr(A, true)
end

-- svd(A, {full_matrices = false, compute_uv = true}) -> U, S, Vt (S alone without uv)
function M.svd(A, opts, ...)
  est.checknargs("linalg.svd", select("#", ...) + 2, 2)
  check_array("svd", A)
  opts = est.checkopts("linalg.svd", opts, { "full_matrices", "compute_uv" })
  local uv = opts.compute_uv
  if uv == nil then uv = true end
  return core._svd(A, opts.full_matrices == true, uv)
end

-- svdvals(A): the singular values, descending (NumPy)
function M.svdvals(A, ...)
  est.checknargs("linalg.svdvals", select("#", ...) + 1, 1)
  check_array("svdvals", A)
  return core._svd(A, false, false)
end

-- eigh(A) -> w (ascending, as NumPy; Heat's is descending), V (columns)
function M.eigh(A, ...)
  est.checknargs("linalg.eigh", select("#", ...) + 1, 1)
  check_array("eigh", A)
  return core._eigh(A, true)
end

function M.eigvalsh(A, ...)
  est.checknargs("linalg.eigvalsh", select("#", ...) + 1, 1)
  check_array("eigvalsh", A)
  return core._eigh(A, false)
end

function M.inv(A, ...)
  est.checknargs("linalg.inv", select("#", ...) + 1, 1)
  check_array("inv", A)
  return core._inv(A)
end

function M.det(A, ...)
  est.checknargs("linalg.det", select("#", ...) + 1, 1)
  check_array("det", A)
  return core._det(A)
end

function M.solve(A, b, ...)
  est.checknargs("linalg.solve", select("#", ...) + 2, 2)
  check_array("solve", A)
  check_array("solve", b, "b")
  return core._solve(A, b)
end

-- solve_triangular(A, b, {lower = false}) (SciPy's default: upper)
function M.solve_triangular(A, b, opts, ...)
  est.checknargs("linalg.solve_triangular", select("#", ...) + 3, 3)
  check_array("solve_triangular", A)
  check_array("solve_triangular", b, "b")
  opts = est.checkopts("linalg.solve_triangular", opts, { "lower" })
  return core._solve_triangular(A, b, opts.lower == true)
end

-- ---- the hierarchical SVD (Heat's svdtools): defaults chosen as Heat chooses them ----

local function max_local_cols(A)
  if A.split ~= 1 then return A.shape[2] end
  local mx = 0
  for _, c in ipairs(A.lshape_map) do mx = math.max(mx, c[2] or c) end
  return mx
end

local function check_2d_float(fn, A)
  check_array(fn, A)
  if A.ndim ~= 2 then
    fail(string.format("ht.linalg.%s: expected a 2-D array, got %d-D (%s)", fn, A.ndim, describe(A)))
  end
end

local function int_opt(fn, name, v, min)
  if v == nil then return nil end
  if type(v) ~= "number" or v ~= math.floor(v) or v < min then
    fail(string.format("ht.linalg.%s: %s must be an integer >= %d, got %s", fn, name, min,
      tostring(v)))
  end
  return v
end

local function run_hsvd(fn, A, maxrank, maxmergedim, rtol, ss, merges, compute_sv, silent)
  local r = { pcall(core._hsvd, A, maxrank, maxmergedim, rtol, ss, merges, compute_sv) }
  -- every rank raises together; re-raised so that the position is the user's line
  if not r[1] then fail((tostring(r[2]):gsub("^[^\n]-:%d+: ", ""))) end
  table.remove(r, 1)
  if silent == false then
    print(string.format("ht.linalg.%s: rank %d, relative error estimate %.3e", fn,
      r[1].shape[2], r[#r]))
  end
  return unpack(r)
end

-- hsvd_rank(A, maxrank, {compute_sv, maxmergedim, safetyshift = 5, silent})
function M.hsvd_rank(A, maxrank, opts, ...)
  est.checknargs("linalg.hsvd_rank", select("#", ...) + 3, 3)
  check_2d_float("hsvd_rank", A)
  opts = est.checkopts("linalg.hsvd_rank", opts,
    { "compute_sv", "maxmergedim", "safetyshift", "silent" })
  maxrank = int_opt("hsvd_rank", "maxrank", maxrank, 1)
  if maxrank == nil then error("ht.linalg.hsvd_rank: maxrank is required", 2) end
  local ss = int_opt("hsvd_rank", "safetyshift", opts.safetyshift, 0) or 5
  local mmd = int_opt("hsvd_rank", "maxmergedim", opts.maxmergedim, 1)
  if mmd and mmd < 2 * (maxrank + ss) + 1 then
    error(string.format("ht.linalg.hsvd_rank: maxmergedim=%d is too small. Please ensure " ..
      "maxmergedim > 2*(maxrank + safetyshift), or leave it nil for the default", mmd), 2)
  end
  if not mmd then
    local loc = max_local_cols(A)
    mmd = loc >= 2 * (maxrank + ss) and loc or 2 * (maxrank + ss) + 1
  end
  return run_hsvd("hsvd_rank", A, maxrank, mmd, nil, ss, nil, opts.compute_sv == true, opts.silent)
end

-- hsvd_rtol(A, rtol, {compute_sv, maxrank, maxmergedim, safetyshift = 5, no_of_merges, silent})
function M.hsvd_rtol(A, rtol, opts, ...)
  est.checknargs("linalg.hsvd_rtol", select("#", ...) + 3, 3)
  check_2d_float("hsvd_rtol", A)
  if type(rtol) ~= "number" or rtol < 0 or rtol ~= rtol then
    error("ht.linalg.hsvd_rtol: rtol must be a non-negative number, got " .. tostring(rtol), 2)
  end
  opts = est.checkopts("linalg.hsvd_rtol", opts,
    { "compute_sv", "maxrank", "maxmergedim", "safetyshift", "no_of_merges", "silent" })
  local ss = int_opt("hsvd_rtol", "safetyshift", opts.safetyshift, 0) or 5
  local maxrank = int_opt("hsvd_rtol", "maxrank", opts.maxrank, 1)
  local mmd = int_opt("hsvd_rtol", "maxmergedim", opts.maxmergedim, 1)
  local merges = int_opt("hsvd_rtol", "no_of_merges", opts.no_of_merges, 0)
  local loc = max_local_cols(A)
  if mmd and not maxrank then
    maxrank = math.floor(loc / 2) - ss
    if maxrank <= 0 then error("ht.linalg.hsvd_rtol: safetyshift is too large", 2) end
  end
  if not mmd and maxrank then
    mmd = loc >= 2 * (maxrank + ss) and loc or 2 * (maxrank + ss) + 1
  end
  if mmd and maxrank and mmd < 2 * (maxrank + ss) + 1 then
    error(string.format("ht.linalg.hsvd_rtol: maxmergedim=%d is too small. Please ensure " ..
      "maxmergedim > 2*(maxrank + safetyshift), or leave it nil for the default", mmd), 2)
  end
  if not mmd and not maxrank then
    merges = merges or 2
    mmd = 2 * (A.shape[2] + ss) + 1
    maxrank = A.shape[2]
  end
  if merges and merges < 2 then error("ht.linalg.hsvd_rtol: no_of_merges must be >= 2", 2) end
  return run_hsvd("hsvd_rtol", A, maxrank, mmd, rtol, ss, merges, opts.compute_sv == true,
    opts.silent)
end

-- hsvd(A, {maxrank, maxmergedim, rtol, safetyshift = 0, no_of_merges = 2, compute_sv,
-- silent, warnings_off}): the low-level routine; missing sizes default to the full rank.
function M.hsvd(A, opts, ...)
  est.checknargs("linalg.hsvd", select("#", ...) + 2, 2)
  check_2d_float("hsvd", A)
  opts = est.checkopts("linalg.hsvd", opts, { "maxrank", "maxmergedim", "rtol", "safetyshift",
    "no_of_merges", "compute_sv", "silent", "warnings_off" })
  local ss = int_opt("hsvd", "safetyshift", opts.safetyshift, 0) or 0
  local maxrank = int_opt("hsvd", "maxrank", opts.maxrank, 1) or
    math.max(1, math.min(A.shape[1], A.shape[2]))
  local mmd = int_opt("hsvd", "maxmergedim", opts.maxmergedim, 1) or 2 * (maxrank + ss) + 1
  local merges = int_opt("hsvd", "no_of_merges", opts.no_of_merges, 0) or 2
  if opts.rtol ~= nil and (type(opts.rtol) ~= "number" or opts.rtol < 0) then
    error("ht.linalg.hsvd: rtol must be a non-negative number", 2)
  end
  return run_hsvd("hsvd", A, maxrank, mmd, opts.rtol, ss, merges, opts.compute_sv == true,
    opts.silent)
end

-- ---- incremental SVD (Brand 2006, Sect. 2; Heat's svdtools.isvd) ----

local function isvd_operand(x, what, nd)
  check_array("isvd", x, what)
  if x.ndim ~= nd then
    fail(string.format("ht.linalg.isvd: %s must be %d-D, got %s", what, nd, describe(x)))
  end
end

-- isvd(new_data, U_old, S_old, Vt_old, maxrank) -> U, S, Vt: the SVD of [X_old | new_data]
-- from X_old's (possibly truncated) SVD, truncated to maxrank (default min(n + d, m)).
-- The new columns' residual C - U Uᵀ C goes through qr; only the (r+d)×(r+d) inner matrix
-- [[diag(S), UᵀC], [0, R]] is decomposed on every rank, so the big factors are never gathered.
function M.isvd(new_data, U_old, S_old, Vt_old, maxrank, ...)
  local ht = require "heat"
  est.checknargs("linalg.isvd", select("#", ...) + 5, 5)
  if type(maxrank) == "table" and getmetatable(maxrank) ~= core._metatable then
    maxrank = est.checkopts("linalg.isvd", maxrank, { "maxrank" }).maxrank
  end
  isvd_operand(new_data, "new_data", 2)
  isvd_operand(U_old, "U_old", 2)
  isvd_operand(S_old, "S_old", 1)
  isvd_operand(Vt_old, "Vt_old", 2)
  local m, d, r, n = U_old.shape[1], new_data.shape[2], S_old.shape[1], Vt_old.shape[2]
  local function mismatch(what)
    fail(string.format("ht.linalg.isvd: %s (new_data %s, U_old %s, S_old %s, Vt_old %s)", what,
      shape_str(new_data), shape_str(U_old), shape_str(S_old), shape_str(Vt_old)))
  end
  if U_old.shape[2] ~= r then mismatch("the number of columns of U_old must match the number of elements in S_old") end
  if Vt_old.shape[1] ~= r then mismatch("the number of rows of Vt_old must match the number of elements in S_old") end
  if new_data.shape[1] ~= m then mismatch("the number of rows of new_data must match the number of rows of U_old") end
  maxrank = int_opt("isvd", "maxrank", maxrank, 1)
  maxrank = math.min(maxrank or math.huge, n + d, m)
  -- NumPy's promotion: float32 only if everything is float32, else float64
  local t = "float32"
  for _, x in ipairs { new_data, U_old, S_old, Vt_old } do
    if x.dtype ~= "float32" then t = "float64" end
  end
  local function as_t(x) return x.dtype == t and x or x:astype(t) end
  new_data, U_old, S_old, Vt_old = as_t(new_data), as_t(U_old), as_t(S_old), as_t(Vt_old)
  local function rep(x) return x.split ~= nil and x:resplit(nil) or x end
  local function like(x, split) return x.split ~= split and x:resplit(split) or x end

  -- orthogonalise the new columns against U_old and decompose the residual
  local UtC = rep(ht.matmul(U_old.T, new_data)) -- r×d
  local resid
  if U_old.split ~= nil then
    resid = like(new_data, U_old.split) - like(ht.matmul(U_old, UtC), U_old.split)
  else
    resid = new_data - like(ht.matmul(U_old, UtC), new_data.split)
  end
  local P, Rc = ht.linalg.qr(resid)
  Rc = rep(Rc)
  local k = Rc.shape[1]

  -- the small inner matrix, replicated: [[diag(S), UtC], [0, Rc]]
  local inner = ht.zeros({ r + k, r + d }, { dtype = t })
  if r > 0 then
    inner[{ { 0, r }, { 0, r } }] = ht.eye(r, { dtype = t }) * rep(S_old)
    inner[{ { 0, r }, { r, r + d } }] = UtC
  end
  inner[{ { r, r + k }, { r, r + d } }] = Rc
  local u, s, vt = M.svd(inner)
  if maxrank < s.shape[1] then
    u, s, vt = u[{ ht.all, { 0, maxrank } }], s[{ { 0, maxrank } }], vt[{ { 0, maxrank }, ht.all }]
  end

  -- U = [U_old | P] u and Vt = vt [[Vt_old, 0], [0, I]], without building either block matrix
  local U = like(ht.matmul(P, u[{ { r, r + k }, ht.all }]), U_old.split ~= nil and U_old.split or P.split)
  if r > 0 then U = like(ht.matmul(U_old, u[{ { 0, r }, ht.all }]), U.split) + U end
  local vs = Vt_old.split
  local Vt = like(vt[{ ht.all, { r, r + d } }], vs)
  if r > 0 then Vt = ht.hstack({ like(ht.matmul(vt[{ ht.all, { 0, r } }], Vt_old), vs), Vt }) end
  return U, s, Vt
end

-- ---- randomized (Halko, Martinsson & Tropp; Heat's randomized.py) ----

-- The randomized routines' shared checks: fn(A, k, {n_oversamples = 10, power_iter = 0}).
local function randomized(fn, kname, A, k, opts, nextra)
  est.checknargs("linalg." .. fn, nextra + 3, 3, 4)
  check_2d_float(fn, A)
  opts = est.checkopts("linalg." .. fn, opts, { "n_oversamples", "power_iter", "qr_procs_to_merge" }, 4)
  k = int_opt(fn, kname, k, 1)
  if k == nil then error(string.format("ht.linalg.%s: %s is required", fn, kname), 3) end
  return core["_" .. fn](A, k, int_opt(fn, "n_oversamples", opts.n_oversamples, 0) or 10,
    int_opt(fn, "power_iter", opts.power_iter, 0) or 0)
end

-- rsvd(A, rank, {n_oversamples = 10, power_iter = 0}) -> U, S, Vt
function M.rsvd(A, rank, opts, ...)
  return randomized("rsvd", "rank", A, rank, opts, select("#", ...))
end

-- reigh(A, n_eigenvalues, {n_oversamples = 10, power_iter = 0}) -> w (descending), V
function M.reigh(A, k, opts, ...)
  return randomized("reigh", "n_eigenvalues", A, k, opts, select("#", ...))
end

-- ---- iterative solvers on whole-array operations (Heat's solver.py) ----

-- A x for a square A (split 0, 1 or none) and a vector x (ht.matmul picks the algorithm).
local function matvec(A, x) return require("heat").matmul(A, x) end

local function vsplit(A) return A.split == 0 and 0 or nil end

local function as_vec(fn, v, n, A, what)
  check_array(fn, v, what)
  if v.ndim ~= 1 or v.shape[1] ~= n then
    fail(string.format("ht.linalg.%s: %s must be a vector of length %d to match A (%s), got %s",
      fn, what, n, describe(A), describe(v)))
  end
  local want = vsplit(A)
  local t = v.dtype == "float32" and A.dtype == "float32" and "float32" or
    ((v.dtype == "float32" or v.dtype == "float64") and A.dtype == v.dtype and v.dtype or "float64")
  if v.dtype ~= t then v = v:astype(t) end
  if v.split ~= want then v = v:resplit(want) end
  return v
end

local function check_square(fn, A)
  check_2d_float(fn, A)
  if A.shape[1] ~= A.shape[2] then
    fail(string.format("ht.linalg.%s: expected a square matrix, got %s", fn, describe(A)))
  end
end

local function dot(a, b) return (a * b):sum():item() end

-- cg(A, b, x0, {tol = 1e-10, maxiter = n}): conjugate gradients for a symmetric positive
-- definite A; stops when |r|_2 < tol (Heat's absolute criterion).
function M.cg(A, b, x0, opts, ...)
  est.checknargs("linalg.cg", select("#", ...) + 4, 4)
  check_square("cg", A)
  opts = est.checkopts("linalg.cg", opts, { "tol", "maxiter" })
  local n = A.shape[1]
  b = as_vec("cg", b, n, A, "b")
  local x = as_vec("cg", x0, n, A, "x0")
  local tol = opts.tol or 1e-10
  local maxiter = int_opt("cg", "maxiter", opts.maxiter, 0) or n
  if A.dtype ~= b.dtype then A = A:astype(b.dtype) end
  local r = b - matvec(A, x)
  local p = r
  local rsold = dot(r, r)
  if math.sqrt(rsold) < tol then return x end
  for _ = 1, maxiter do
    local Ap = matvec(A, p)
    local alpha = rsold / dot(p, Ap)
    x = x + alpha * p
    r = r - alpha * Ap
    local rsnew = dot(r, r)
    if math.sqrt(rsnew) < tol then break end
    p = r + (rsnew / rsold) * p
    rsold = rsnew
  end
  return x
end

-- lanczos(A, m, {v0}) -> V (n x m, orthonormal columns, replicated as in Heat), T (m x m
-- tridiagonal, V^T A V = T) for a symmetric A; full re-orthogonalisation keeps V orthonormal.
function M.lanczos(A, m, opts, ...)
  local ht = require "heat"
  est.checknargs("linalg.lanczos", select("#", ...) + 3, 3)
  check_square("lanczos", A)
  opts = est.checkopts("linalg.lanczos", opts, { "v0" })
  if A.dtype ~= "float32" and A.dtype ~= "float64" then A = A:astype("float64") end
  local n = A.shape[1]
  m = int_opt("lanczos", "m", m, 1)
  if m == nil or m > n then
    error(string.format("ht.linalg.lanczos: m must be an integer in [1, %d], got %s", n, tostring(m)), 2)
  end
  local v
  if opts.v0 ~= nil then
    v = as_vec("lanczos", opts.v0, n, A, "v0")
  else -- Heat: a uniform random start from the counter-based generator
    v = as_vec("lanczos", ht.random.rand(n, { dtype = A.dtype, split = vsplit(A) }), n, A, "v0")
  end
  v = v / math.sqrt(dot(v, v))
  local cols, T = { v }, {}
  for i = 1, m do T[i] = {} for j = 1, m do T[i][j] = 0 end end
  local w = matvec(A, v)
  local alpha = dot(w, v)
  w = w - alpha * v
  T[1][1] = alpha
  for i = 2, m do
    local beta = math.sqrt(dot(w, w))
    local vi
    if beta < 1e-10 then -- breakdown: a fresh random direction
      vi = as_vec("lanczos", ht.random.rand(n, { dtype = A.dtype, split = vsplit(A) }), n, A, "v0")
    else
      vi = w / beta
    end
    for _, c in ipairs(cols) do vi = vi - dot(vi, c) * c end -- re-orthogonalise
    vi = vi / math.sqrt(dot(vi, vi))
    w = matvec(A, vi)
    alpha = dot(w, vi)
    w = w - alpha * vi - beta * cols[i - 1]
    T[i][i], T[i - 1][i], T[i][i - 1] = alpha, beta, beta
    cols[i] = vi
  end
  local V = ht.stack(cols, 1)
  return V.split ~= nil and V:resplit(nil) or V, ht.array(T, { dtype = A.dtype })
end

return M
