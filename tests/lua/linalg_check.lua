-- Exact-maths checks shared by the decomposition specs (qr, svd, hsvd, solvers): products,
-- orthonormality and reconstruction on gathered Lua tables of small matrices.
local C = {}

function C.mm(a, b)
  local out = {}
  for i = 1, #a do
    out[i] = {}
    for j = 1, #b[1] do
      local s = 0
      for k = 1, #b do s = s + a[i][k] * b[k][j] end
      out[i][j] = s
    end
  end
  return out
end

function C.t(a)
  local out = {}
  for j = 1, #a[1] do
    out[j] = {}
    for i = 1, #a do out[j][i] = a[i][j] end
  end
  return out
end

function C.diag(v)
  local out = {}
  for i = 1, #v do
    out[i] = {}
    for j = 1, #v do out[i][j] = i == j and v[i] or 0 end
  end
  return out
end

-- max |a - b| over two equally shaped tables (matrices or vectors)
function C.maxdiff(a, b)
  local m = 0
  for i = 1, #b do
    if type(b[i]) == "table" then
      m = math.max(m, C.maxdiff(a[i], b[i]))
    else
      m = math.max(m, math.abs(a[i] - b[i]))
    end
  end
  return m
end

function C.eye(n)
  local v = {}
  for i = 1, n do v[i] = 1 end
  return C.diag(v)
end

-- asserts |a - b| <= tol elementwise, naming what
function C.close(a, b, tol, what)
  local d = C.maxdiff(a, b)
  if d > tol then error(string.format("%s: max difference %g > %g", what, d, tol), 2) end
end

-- columns of q (a table) orthonormal
function C.orthonormal_cols(q, tol, what)
  C.close(C.mm(C.t(q), q), C.eye(#q[1]), tol, (what or "Q") .. "^T Q = I")
end

-- a table of a 2-D table's shape
function C.shape(a) return { #a, #a[1] } end

return C
