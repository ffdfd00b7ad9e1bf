-- ht.linalg: Heat's heat.linalg namespace. Products, the small functions and the norms
-- live here (whole-array operations over heat.core); the decompositions and solvers are
-- added from heat.linalg_decomp by init.lua.
local core = require "heat.core"
local checkopts = require("heat.estimator").checkopts
local ht = require "heat"

local linalg = {}

linalg.matmul = core.matmul
linalg.dot = core.dot
linalg.tril = core.tril
linalg.triu = core.triu
linalg.trace = core.trace

local function is_array(x) return getmetatable(x) == core._metatable end

local function array_arg(fn, x, what)
  if type(x) == "number" or type(x) == "boolean" or (type(x) == "table" and not is_array(x)) then
    return ht.array(x)
  end
  if not is_array(x) then error(string.format("ht.linalg.%s: %s must be an array, got %s", fn, what, type(x)), 3) end
  return x
end

local function no_more(fn, n, ...)
  if select("#", ...) > n then
    error(string.format("ht.linalg.%s: expected at most %d arguments, got %d", fn, n, select("#", ...)), 3)
  end
end

local function is_float(t) return t == "float32" or t == "float64" end

-- transpose(x [, axes]) is ht.transpose; matrix_transpose swaps the last two axes.
function linalg.transpose(x, axes, ...)
  no_more("transpose", 2, x, axes, ...)
  return ht.transpose(x, axes)
end

function linalg.matrix_transpose(x, ...)
  no_more("matrix_transpose", 1, x, ...)
  x = array_arg("matrix_transpose", x, "x")
  if x.ndim < 2 then
    error(string.format("ht.linalg.matrix_transpose: input must be at least 2-D, got %d-D", x.ndim), 2)
  end
  return ht.swapaxes(x, -1, -2)
end

-- outer(a, b, {split}): a[:, None] * b[None, :] as a (m, 1) @ (1, n) product, which moves
-- b's blocks past a's (split 0) or a's past b's (split 1). Heat's default is split 0 when
-- either input is split; only the vectors are ever redistributed.
function linalg.outer(a, b, opts, ...)
  no_more("outer", 3, a, b, opts, ...)
  checkopts("linalg.outer", opts, { "split" })
  a = array_arg("outer", a, "a"):flatten()
  b = array_arg("outer", b, "b"):flatten()
  local split = opts and opts.split
  if split == nil and (a.split or b.split) then split = 0 end
  if split ~= nil and split ~= 0 and split ~= 1 then
    error("ht.linalg.outer: split must be 0, 1 or nil, got " .. tostring(split), 2)
  end
  if split == 0 and not a.split then a = a:resplit(0) end
  if split == 1 then
    if a.split then a = a:resplit(nil) end
    if not b.split then b = b:resplit(0) end
  end
  if split == nil then a, b = a:resplit(nil), b:resplit(nil) end
  return ht.matmul(ht.expand_dims(a, 1), ht.expand_dims(b, 0))
end

-- vdot(a, b): the dot product of the flattened arrays (real dtypes: no conjugation).
function linalg.vdot(a, b, ...)
  no_more("vdot", 2, a, b, ...)
  a, b = array_arg("vdot", a, "a"), array_arg("vdot", b, "b")
  if a.size ~= b.size then
    error(string.format("ht.linalg.vdot: arrays of %d and %d elements: sizes must match", a.size, b.size), 2)
  end
  return ht.dot(a:flatten(), b:flatten())
end

-- vecdot(x1, x2, {axis = -1}): sum(x1 * x2, axis) with broadcasting, in NumPy's dtype.
function linalg.vecdot(x1, x2, opts, ...)
  no_more("vecdot", 3, x1, x2, opts, ...)
  checkopts("linalg.vecdot", opts, { "axis" })
  x1, x2 = array_arg("vecdot", x1, "x1"), array_arg("vecdot", x2, "x2")
  local nd1, nd2 = x1.ndim, x2.ndim
  if nd1 == 0 or nd2 == 0 then error("ht.linalg.vecdot: inputs must have at least one dimension", 2) end
  local axis = opts and opts.axis or -1
  local a = axis < 0 and axis or axis - math.max(nd1, nd2)
  if -a > nd1 or -a > nd2 then
    error(string.format("ht.linalg.vecdot: axis %d is out of bounds for inputs of %d and %d dimensions",
      axis, nd1, nd2), 2)
  end
  local l1, l2 = x1.shape[nd1 + a + 1], x2.shape[nd2 + a + 1]
  if l1 ~= l2 then
    error(string.format("ht.linalg.vecdot: axis %d has length %d and %d: they must match", axis, l1, l2), 2)
  end
  local p = ht.mul(x1, x2)
  local s = p:sum(a)
  if s.dtype ~= p.dtype then s = s:astype(p.dtype) end -- NumPy keeps int32 @ int32 in int32
  return s
end

-- cross(a, b, {axisa, axisb, axisc, axis}): NumPy's cross product of 3-vectors (and of
-- 2-vectors: the z component), elementwise along the vector axis. A vector axis that is
-- the split axis is first gathered along another axis (Heat raises there).
local function component(x, axis, i)
  local idx = {}
  for d = 1, x.ndim do idx[d] = ht.all end
  idx[axis + 1] = i
  return x[idx]
end

local function unsplit_axis(x, axis)
  if x.split ~= axis then return x end
  local other = nil
  for d = 0, x.ndim - 1 do
    if d ~= axis and x.shape[d + 1] > 1 then other = d break end
  end
  return x:resplit(other)
end

function linalg.cross(a, b, opts, ...)
  no_more("cross", 3, a, b, opts, ...)
  checkopts("linalg.cross", opts, { "axisa", "axisb", "axisc", "axis" })
  opts = opts or {}
  a, b = array_arg("cross", a, "a"), array_arg("cross", b, "b")
  local function norm_axis(ax, nd, what)
    if ax < -nd or ax >= nd then
      error(string.format("ht.linalg.cross: %s %d is out of bounds for array of dimension %d", what, ax, nd), 3)
    end
    return ax < 0 and ax + nd or ax
  end
  if a.ndim == 0 or b.ndim == 0 then error("ht.linalg.cross: inputs must have at least one dimension", 2) end
  local axisa = norm_axis(opts.axisa or opts.axis or -1, a.ndim, "axisa")
  local axisb = norm_axis(opts.axisb or opts.axis or -1, b.ndim, "axisb")
  local la, lb = a.shape[axisa + 1], b.shape[axisb + 1]
  if (la ~= 2 and la ~= 3) or (lb ~= 2 and lb ~= 3) then
    error(string.format("ht.linalg.cross: incompatible dimensions for cross product (dimension must be 2 or 3), got %d and %d", la, lb), 2)
  end
  a, b = unsplit_axis(a, axisa), unsplit_axis(b, axisb)
  local a0, a1 = component(a, axisa, 0), component(a, axisa, 1)
  local b0, b1 = component(b, axisb, 0), component(b, axisb, 1)
  local a2 = la == 3 and component(a, axisa, 2) or nil
  local b2 = lb == 3 and component(b, axisb, 2) or nil
  local z = a0 * b1 - a1 * b0
  if not a2 and not b2 then return z end -- NumPy: 2-vectors give the z component
  local x = (a2 and b2) and a1 * b2 - a2 * b1 or (a2 and -(a2 * b1) or a1 * b2)
  local y = (a2 and b2) and a2 * b0 - a0 * b2 or (a2 and a2 * b0 or -(a0 * b2))
  local c = ht.stack({ x, y, z }, -1)
  local axisc = norm_axis(opts.axisc or opts.axis or -1, c.ndim, "axisc")
  if axisc == c.ndim - 1 then return c end
  local perm = {} -- move the last axis to axisc, the others keep their order
  for d = 0, c.ndim - 2 do perm[#perm + 1] = d end
  table.insert(perm, axisc + 1, c.ndim - 1)
  return ht.transpose(c, perm)
end

-- ---- norms ----

local inf = math.huge

-- |x| / scale, with the scale being the largest |x| along the axes: squares and powers of
-- the quotients cannot overflow, so float32 stays float32 without a float64 copy.
-- Reduces with keepdims (the scale broadcasts back); `drop` squeezes the axes after.
local function drop(r, axes, keepdims)
  if keepdims then return r end
  if axes == nil then return r.ndim > 0 and ht.squeeze(r) or r end
  return ht.squeeze(r, axes)
end

local function scaled_pnorm(ax, p, axes, keepdims)
  local red = { axis = axes, keepdims = true }
  local scale = ax:max(red)
  local safe = ht.where(scale:gt(0) * ht.isfinite(scale), scale, 1)
  local s = ((ax / safe) ^ p):sum(red)
  local r = (p == 2 and ht.sqrt(s) or s ^ (1 / p)) * safe
  -- an infinite element makes the norm infinite; all zeros stay 0 (NaN propagates)
  return drop(ht.where(ht.isinf(scale), inf, r), axes, keepdims)
end

local function float_abs(x)
  if not is_float(x.dtype) then x = x:astype(ht.float64) end
  return ht.abs(x)
end

local function vnorm(x, ord, axes, keepdims)
  local ax = float_abs(x)
  local red = { axis = axes, keepdims = keepdims }
  if ord == nil or ord == 2 then return scaled_pnorm(ax, 2, axes, keepdims) end
  if ord == inf then return ax:max(red) end
  if ord == -inf then return ax:min(red) end
  if ord == 0 then return ax:ne(0):sum(red):astype(ax.dtype) end
  if ord == 1 then return ax:sum(red) end
  if type(ord) ~= "number" then
    error("ht.linalg.vector_norm: invalid norm order '" .. tostring(ord) .. "' for vectors", 3)
  end
  return scaled_pnorm(ax, ord, axes, keepdims)
end

local function norm_axes(fn, x, axis)
  local t = type(axis) == "table" and axis or { axis }
  local out = {}
  for i, a in ipairs(t) do
    if type(a) ~= "number" or a ~= math.floor(a) then
      error(string.format("ht.linalg.%s: axis must be an integer or a table of integers", fn), 3)
    end
    if a < -x.ndim or a >= x.ndim then
      error(string.format("ht.linalg.%s: axis %d is out of bounds for array of dimension %d", fn, a, x.ndim), 3)
    end
    out[i] = a < 0 and a + x.ndim or a
  end
  if #out == 2 and out[1] == out[2] then error(string.format("ht.linalg.%s: duplicate axes given", fn), 3) end
  return out
end

-- ord 'nuc', 2, -2 through the singular values: one svdvals per matrix (TSQR for a tall
-- split-0 matrix, nothing gathered); a stack of matrices is looped over, one svdvals each.
local function svd_norm(x, ord, r, c)
  local function pick(s)
    if ord == "nuc" then return s:sum() end
    return ord == 2 and s:max() or s:min()
  end
  if x.ndim == 2 then return pick(ht.linalg.svdvals(x)) end
  local perm, bshape = {}, {}
  for d = 0, x.ndim - 1 do
    if d ~= r and d ~= c then perm[#perm + 1] = d bshape[#bshape + 1] = x.shape[d + 1] end
  end
  perm[#perm + 1], perm[#perm + 2] = r, c
  local xt = ht.transpose(x, perm)
  local nb = 1
  for _, b in ipairs(bshape) do nb = nb * b end
  local flat = xt:reshape { nb, x.shape[r + 1], x.shape[c + 1] }
  local vals = {}
  for b = 0, nb - 1 do vals[b + 1] = pick(ht.linalg.svdvals(flat[b])) end
  return ht.stack(vals, 0):reshape(bshape)
end

-- matrix norms over axes r (rows) and c (columns), reduced with keepdims and squeezed after
local function mnorm(fn, x, ord, r, c, keepdims)
  if ord == "nuc" or ord == 2 or ord == -2 then
    local res = svd_norm(x, ord, r, c)
    if not keepdims then return res end
    local lo, hi = math.min(r, c), math.max(r, c)
    return ht.expand_dims(ht.expand_dims(res, lo), hi)
  end
  local ax = float_abs(x)
  local res
  if ord == nil or ord == "fro" then
    res = scaled_pnorm(ax, 2, { r, c }, true)
  elseif ord == 1 or ord == -1 then -- largest / smallest column sum
    local s = ax:sum { axis = r, keepdims = true }
    res = ord == 1 and s:max { axis = c, keepdims = true } or s:min { axis = c, keepdims = true }
  elseif ord == inf or ord == -inf then -- largest / smallest row sum
    local s = ax:sum { axis = c, keepdims = true }
    res = ord == inf and s:max { axis = r, keepdims = true } or s:min { axis = r, keepdims = true }
  else
    error(string.format("ht.linalg.%s: invalid norm order '%s' for matrices", fn, tostring(ord)), 3)
  end
  if keepdims then return res end
  return ht.squeeze(res, { r, c })
end

-- vector_norm(x, {ord = 2, axis = nil, keepdims = false}); axis nil: every element.
function linalg.vector_norm(x, opts, ...)
  no_more("vector_norm", 2, x, opts, ...)
  checkopts("linalg.vector_norm", opts, { "ord", "axis", "keepdims" })
  opts = opts or {}
  x = array_arg("vector_norm", x, "x")
  local axes = opts.axis ~= nil and norm_axes("vector_norm", x, opts.axis) or nil
  return vnorm(x, opts.ord, axes, opts.keepdims or false)
end

-- matrix_norm(x, {ord = 'fro', keepdims = false}) over the last two axes.
function linalg.matrix_norm(x, opts, ...)
  no_more("matrix_norm", 2, x, opts, ...)
  checkopts("linalg.matrix_norm", opts, { "ord", "keepdims" })
  opts = opts or {}
  x = array_arg("matrix_norm", x, "x")
  if x.ndim < 2 then
    error(string.format("ht.linalg.matrix_norm: input must be at least 2-D, got %d-D", x.ndim), 2)
  end
  return mnorm("matrix_norm", x, opts.ord, x.ndim - 2, x.ndim - 1, opts.keepdims or false)
end

-- norm(x, {ord, axis, keepdims}): NumPy's dispatch. No axis: the 2-norm of the flattened
-- array when ord is nil, else a vector norm (1-D) or a matrix norm (2-D); one axis: a
-- vector norm; two axes: a matrix norm over them.
function linalg.norm(x, opts, ...)
  no_more("norm", 2, x, opts, ...)
  checkopts("linalg.norm", opts, { "ord", "axis", "keepdims" })
  opts = opts or {}
  x = array_arg("norm", x, "x")
  local ord, keep = opts.ord, opts.keepdims or false
  if opts.axis == nil then
    if ord == nil then return vnorm(x, nil, nil, keep) end
    if x.ndim == 1 then return vnorm(x, ord, nil, keep) end
    if x.ndim == 2 then return mnorm("norm", x, ord, 0, 1, keep) end
    error(string.format("ht.linalg.norm: improper number of dimensions to norm (%d-D with ord given and no axis)", x.ndim), 2)
  end
  local axes = norm_axes("norm", x, opts.axis)
  if #axes == 1 then
    if type(ord) == "string" then
      error("ht.linalg.norm: invalid norm order '" .. ord .. "' for vectors", 2)
    end
    return vnorm(x, ord, axes, keep)
  end
  if #axes == 2 then return mnorm("norm", x, ord, axes[1], axes[2], keep) end
  error("ht.linalg.norm: improper number of dimensions to norm (axis must name 1 or 2 axes)", 2)
end

-- NumPy and Heat have these at the top level too (ht.dot, ht.matmul, ht.tril, ht.triu and
-- ht.trace come from heat.core).
for _, name in ipairs { "outer", "vdot", "vecdot", "cross", "norm", "vector_norm", "matrix_norm" } do
  if ht[name] == nil then ht[name] = linalg[name] end
end

return linalg
