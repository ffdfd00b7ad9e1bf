-- NumPy/Heat-like text for arrays: DNDarray([...], dtype=ht.float32, device=cpu:0, split=0).
-- Collective: every rank gathers the (summarised) values; only rank 0 prints them.
local core = require "heat.core"

local M = {}
M.threshold = 1000 -- NumPy's: arrays with more elements are summarised
M.edgeitems = 3
M.precision = 4

local function float_formatter(vals, precision)
  local maxabs, minabs, integral = 0, math.huge, true
  for _, v in ipairs(vals) do
    if v == v and v ~= math.huge and v ~= -math.huge then
      local a = math.abs(v)
      if a > maxabs then maxabs = a end
      if a > 0 and a < minabs then minabs = a end
      if v ~= math.floor(v) then integral = false end
    end
  end
  local sci = maxabs >= 1e8 or (minabs < 10 ^ -precision and minabs ~= math.huge)
  return function(v)
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" elseif v == -math.huge then return "-inf" end
    if sci then return string.format("%." .. precision .. "e", v) end
    if integral then return string.format("%.0f.", v) end
    return string.format("%." .. precision .. "f", v)
  end
end

-- All leaf values of nested tables, in order.
local function flatten(t, out)
  if type(t) ~= "table" then out[#out + 1] = t return out end
  for _, v in ipairs(t) do flatten(v, out) end
  return out
end

local function body(t, cut, depth, ndim, fmt, width, indent)
  if depth > ndim then
    local s = fmt(t)
    return string.rep(" ", width - #s) .. s
  end
  local parts, n, half = {}, #t, #t / 2
  for i = 1, n do
    parts[#parts + 1] = body(t[i], cut, depth + 1, ndim, fmt, width, indent .. " ")
    if cut[depth] and i == half then parts[#parts + 1] = "..." end
  end
  local sep = depth == ndim and ", " or ("," .. string.rep("\n", ndim - depth) .. indent .. " ")
  return "[" .. table.concat(parts, sep) .. "]"
end

function M.format(x)
  local small, cut
  if x.size > M.threshold then
    small, cut = core._edges(x, M.edgeitems)
  else
    small, cut = x, {}
  end
  local t = small:totable()
  local dtype, fmt = x.dtype
  if dtype == "bool" then
    fmt = function(v) return v and "True" or "False" end
  elseif dtype == "float32" or dtype == "float64" then
    fmt = float_formatter(flatten(t, {}), M.precision)
  else
    fmt = function(v) return string.format("%d", v) end
  end
  local width = 0
  if x.ndim > 0 then
    for _, v in ipairs(flatten(t, {})) do width = math.max(width, #fmt(v)) end
  end
  local prefix = "DNDarray("
  local text = x.ndim == 0 and fmt(t) or body(t, cut, 1, x.ndim, fmt, width, string.rep(" ", #prefix))
  return string.format("%s%s, dtype=ht.%s, device=%s:0, split=%s)", prefix, text, dtype,
                       x.device, x.split == nil and "None" or tostring(x.split))
end

return M
