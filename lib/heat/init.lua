-- The public heat module: heat.core's C functions under Heat's names, dtypes, the SPMD
-- helpers and the printing of arrays. heatlua preloads it as the global `ht`.
local core = require "heat.core"
local printing = require "heat.printing"

local ht = {}
-- Submodules (linalg, spatial, estimators) `require "heat"` at load time and reach the
-- functions through this table when called, so it is registered before they load.
package.loaded.heat = ht
for k, v in pairs(core) do
  if type(k) == "string" and k:sub(1, 1) ~= "_" then ht[k] = v end
end

ht.__version__ = "0.1.0"

-- dtypes are their NumPy names; ht.float and ht.int are Heat's (torch's) defaults.
for _, name in ipairs { "bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64" } do
  ht[name] = name
end
ht.bool_, ht.ubyte, ht.byte, ht.short = "bool", "uint8", "int8", "int16"
ht.int, ht.long, ht.float, ht.double = "int32", "int64", "float32", "float64"

ht.pi, ht.e, ht.inf, ht.nan = math.pi, math.exp(1), math.huge, 0 / 0

-- `ht.all` is NumPy's `:` in index expressions, and, called, the reduction np.all
-- (heat.core makes it, so the indexer knows it without looking here).
ht.all = core._all

local mt = core._metatable
mt.__tostring = printing.format
ht.printoptions = printing -- threshold, edgeitems, precision

-- print from every rank, prefixed with the rank, in rank order. Collective.
function ht.printall(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  core._writeall(string.format("[%d] %s\n", core.rank(), table.concat(parts, "\t")))
end

function ht.is_array(x) return getmetatable(x) == mt end

-- x:info(): metadata and each rank's block, for debugging SPMD code. Collective.
local dbg = require "heat.debug"
core._methods.info = dbg.info
ht.info = dbg.info

-- Submodules (and ht.has_gpu, which starts the CUDA driver) load on first use, so a
-- script pays at start-up only for what it touches (issue 14). ht._load_all() loads
-- them all (the profiler does, to wrap their functions).
local lazy = {
  linalg = function()
    local linalg = require "heat.linalg"
    for k, v in pairs(require "heat.linalg_decomp") do linalg[k] = v end
    return linalg
  end,
  preprocessing = "heat.preprocessing",
  regression = "heat.regression",
  decomposition = "heat.decomposition",
  spatial = "heat.spatial",
  cluster = "heat.cluster",
  metrics = "heat.metrics",
  has_gpu = core._has_gpu,
}
setmetatable(ht, {
  __index = function(t, k)
    local load = lazy[k]
    if load == nil then return nil end
    local v
    if type(load) == "string" then v = require(load) else v = load() end
    rawset(t, k, v)
    return v
  end,
})
function ht._load_all()
  for k in pairs(lazy) do local _ = ht[k] end
end

-- the profiler: HEATLUA_PROFILE=1 starts it here; the runner reports at exit
ht.profile = require("heat.profile").init(ht)

return ht
