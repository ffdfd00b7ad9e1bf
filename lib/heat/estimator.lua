-- What every estimator shares (scikit-learn's BaseEstimator, Heat's BaseEstimator): the
-- constructor forms of DESIGN.md rule 6, options checked against the declared parameters,
-- get_params/set_params, the fitted-check, and the options check for plain functions.
--
--   local KMeans = estimator.class("cluster.KMeans", {
--     positional = "n_clusters",                     -- Heat's positional first argument
--     params = { { "n_clusters", 8 }, { "init", "random" }, { "max_iter", 300 } },
--   })
--   function KMeans:fit(x) ... return self end
--
--   ht.cluster.KMeans{n_clusters = 25}  or  ht.cluster.KMeans(25, {init = "random"})
local M = {}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  return keys
end

-- Rejects keys of `opts` that are not in `known` (a list of names, or a set). The message
-- names the function, the first bad key in sorted order (the same on every rank: `pairs`
-- order differs between ranks) and the valid keys. `level` is error()'s level (default 3:
-- the caller of the function that calls checkopts).
function M.checkopts(fn, opts, known, level)
  if opts == nil then return {} end
  if type(opts) ~= "table" or getmetatable(opts) ~= nil then
    error(string.format("ht.%s: options must be a table, got %s", fn, type(opts)), level or 3)
  end
  local set = known
  if known[1] ~= nil then
    set = {}
    for _, k in ipairs(known) do set[k] = true end
  end
  for _, k in ipairs(sorted_keys(opts)) do
    if not set[k] then
      error(string.format("ht.%s: unknown option '%s' (options: %s)", fn, k,
        table.concat(sorted_keys(set), ", ")), level or 3)
    end
  end
  return opts
end

-- Rejects arguments past the last one a function takes (DESIGN: never silently ignored).
function M.checknargs(fn, n, max, level)
  if n > max then
    error(string.format("ht.%s: takes at most %d arguments, got %d", fn, max, n), level or 3)
  end
end

local function set_param(cls, self, name, value)
  if cls._defaults[name] == nil and not cls._known[name] then
    error(string.format("ht.%s: unknown option '%s' (options: %s)", cls._name, name,
      table.concat(cls._order_sorted, ", ")), 4)
  end
  self[name] = value
end

-- A class: calling it builds an instance from (opts) or (positional, opts).
function M.class(name, spec)
  local cls = { _name = name, _params = spec.params, _positional = spec.positional,
                _defaults = {}, _known = {}, _order_sorted = {} }
  for _, p in ipairs(spec.params) do
    cls._known[p[1]] = true
    cls._order_sorted[#cls._order_sorted + 1] = p[1]
    cls._defaults[p[1]] = p[2]
  end
  table.sort(cls._order_sorted)
  cls.__index = cls
  cls.__tostring = function(self)
    local parts = {}
    for _, p in ipairs(cls._params) do
      local v = self[p[1]]
      if v ~= p[2] then parts[#parts + 1] = p[1] .. "=" .. tostring(v) end
    end
    return name:match("[^.]+$") .. "(" .. table.concat(parts, ", ") .. ")"
  end
  setmetatable(cls, {
    __call = function(c, a, b, ...)
      if select("#", ...) > 0 then
        error(string.format("ht.%s: takes at most 2 arguments (%s, options)", name,
          spec.positional or "options"), 2)
      end
      local opts = a
      if c._positional and a ~= nil and (type(a) ~= "table" or getmetatable(a) ~= nil) then
        opts = b or {}
        if type(opts) ~= "table" then
          error(string.format("ht.%s: options must be a table, got %s", name, type(opts)), 2)
        end
        if opts[c._positional] ~= nil then
          error(string.format("ht.%s: %s given both positionally and as an option", name,
            c._positional), 2)
        end
      elseif b ~= nil then
        error(string.format("ht.%s: unexpected second argument (%s)", name, type(b)), 2)
      end
      M.checkopts(name, opts, c._known, 3)
      local self = setmetatable({}, c)
      for _, p in ipairs(c._params) do self[p[1]] = p[2] end
      if opts ~= a then self[c._positional] = a end
      for k, v in pairs(opts or {}) do self[k] = v end
      if c._validate then c._validate(self) end
      return self
    end,
  })
  function cls:get_params()
    local t = {}
    for _, p in ipairs(cls._params) do t[p[1]] = self[p[1]] end
    return t
  end
  function cls:set_params(t)
    M.checkopts(name .. ".set_params", t, cls._known, 3)
    for k, v in pairs(t) do set_param(cls, self, k, v) end
    if cls._validate then cls._validate(self) end
    return self
  end
  return cls
end

-- Raises unless the estimator has been fitted (`attr` is a fitted attribute's name).
function M.check_fitted(self, attr, method)
  if self[attr] == nil then
    error(string.format("ht.%s.%s: this %s instance is not fitted yet; call fit first",
      self._name, method, self._name:match("[^.]+$")), 3)
  end
end

return M
