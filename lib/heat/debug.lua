-- Helpers for debugging SPMD code: how an array is laid out across the ranks.
-- ht.rank, ht.nprocs, ht.barrier and ht.printall live in heat (init.lua, heat.core).
local core = require "heat.core"

local M = {}

local function fmt_shape(t)
  if #t == 1 then return "(" .. t[1] .. ",)" end
  return "(" .. table.concat(t, ", ") .. ")"
end

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- The header line, from replicated metadata (identical on every rank).
local function header(x)
  local p = core.nprocs()
  local layout
  if x.split == nil then
    layout = "split=None (a full copy on every rank)"
  else
    layout = string.format("split=%d, %s", x.split, x.balanced and "balanced" or "unbalanced")
  end
  return string.format("DNDarray %s %s on %d rank%s, %s, device=%s, %.0f bytes", fmt_shape(x.shape),
                       x.dtype, p, p == 1 and "" or "s", layout, x.device, x.nbytes)
end

-- Rank r's line, from lshape_map: its local shape, the global index range it holds
-- along the split axis, and its bytes.
local function rank_line(x, r)
  local map, axis = x.lshape_map, x.split
  local lshape, n = map[r + 1], x.itemsize
  for _, d in ipairs(lshape) do n = n * d end
  local range = ""
  if axis ~= nil then
    local start = 0
    for q = 1, r do start = start + map[q][axis + 1] end
    range = string.format("  [%d, %d) along axis %d", start, start + lshape[axis + 1], axis)
  end
  return string.format("  rank %d: lshape %s%s  %.0f bytes", r, fmt_shape(lshape), range, n)
end

-- x:info(): prints the array's global metadata, then one line per rank with that rank's
-- local shape, the global indices it holds along the split axis, and its bytes. Each rank
-- also checks its own local shape against the replicated lshape_map and reports a
-- mismatch (the ranks' metadata would have diverged). Collective; returns nothing, like
-- pandas' DataFrame.info.
function M.info(x)
  if getmetatable(x) ~= core._metatable then
    error("ht.info: expected an array, got a " .. type(x), 2)
  end
  local lines = { header(x) }
  for r = 0, core.nprocs() - 1 do lines[#lines + 1] = rank_line(x, r) end
  local me = core.rank()
  local own = x.lshape_map[me + 1]
  local mismatch = ""
  if not same(x.lshape, own) then
    mismatch = string.format("  rank %d: MISMATCH: local lshape %s, lshape_map says %s\n", me,
                             fmt_shape(x.lshape), fmt_shape(own))
  end
  if me == 0 then io.stdout:write(table.concat(lines, "\n"), "\n") end
  core._writeall(mismatch)
end

return M
