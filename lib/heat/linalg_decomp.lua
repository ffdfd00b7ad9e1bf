-- Decompositions and solvers of ht.linalg (Heat's names, NumPy's semantics): qr, svd, eigh,
-- the hierarchical SVD, inv, det, solve, solve_triangular; the distributed work is in
-- runtime/ops/{qr,svd,hsvd,solve}.c, here the options are checked and defaults chosen.
local core = require "heat.core"
local est = require "heat.estimator"

local M = {}

local function check_array(fn, x, what)
  if getmetatable(x) ~= core._metatable then
    error(string.format("ht.linalg.%s: %s must be an array, got %s", fn, what or "A", type(x)), 3)
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

return M
