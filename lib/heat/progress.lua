-- Progress of iterative estimators (`verbose = true`): one line per iteration, or a bar
-- redrawn in place when standard output is a terminal; printed from rank 0 only.
--
--   local progress = require "heat.progress"
--   local bar = progress.new { desc = "KMeans", total = max_iter, verbose = self.verbose }
--   for it = 1, max_iter do
--     ...
--     bar:update(it, { inertia = inertia, shift = shift })
--   end
--   bar:close "converged"
--
-- verbose: false/nil prints nothing, true every iteration, an integer k every k-th (and
-- the last). The mode is "bar" on a terminal and "lines" otherwise; HEATLUA_PROGRESS or
-- the `mode` option overrides it. `out`, a function(string), replaces standard output.
local core = require "heat.core"
local ffi = require "ffi"

local progress = {}

pcall(ffi.cdef, "int isatty(int fd);")

local function stdout_is_terminal()
  local ok, r = pcall(function() return ffi.C.isatty(1) end)
  return ok and r == 1
end

local function now()
  return require("heat.profile").clock()
end

local function write_stdout(s)
  io.stdout:write(s)
  io.stdout:flush()
end

-- Values as key=value in the order given: a list of {key, value} pairs, or a table
-- (printed in sorted key order, so the line is stable from run to run).
local function format_values(values)
  if not values then return "" end
  local pairs_list = {}
  if values[1] ~= nil and type(values[1]) == "table" then
    pairs_list = values
  else
    local keys = {}
    for k in pairs(values) do keys[#keys + 1] = k end
    table.sort(keys)
    for i, k in ipairs(keys) do pairs_list[i] = { k, values[k] } end
  end
  local parts = {}
  for i, kv in ipairs(pairs_list) do
    local v = kv[2]
    if type(v) == "number" then
      v = (v == math.floor(v) and math.abs(v) < 1e15) and string.format("%d", v)
          or string.format("%.6g", v)
    end
    parts[i] = string.format("%s=%s", kv[1], tostring(v))
  end
  return table.concat(parts, "  ")
end

local function seconds(t)
  if t < 60 then return string.format("%.2f s", t) end
  return string.format("%dm%02ds", math.floor(t / 60), math.floor(t % 60))
end

local Progress = {}
Progress.__index = Progress

-- The disabled helper: every method does nothing, so loops need no `if verbose`.
local silent = setmetatable({ enabled = false }, Progress)

function progress.new(opts)
  opts = opts or {}
  local verbose = opts.verbose
  -- options are checked on every rank, so a wrong one fails everywhere alike
  if type(verbose) == "number" and (verbose ~= math.floor(verbose) or verbose < 0) then
    error("progress: verbose must be a boolean or a positive integer, got " .. verbose, 2)
  end
  local mode = opts.mode or os.getenv "HEATLUA_PROGRESS"
  if mode ~= nil and mode ~= "" and mode ~= "bar" and mode ~= "lines" then
    error("progress: mode must be \"bar\" or \"lines\", got " .. tostring(mode), 2)
  end
  if not verbose or verbose == 0 or core.rank() ~= 0 then return silent end
  local every = type(verbose) == "number" and verbose or 1
  if mode == nil or mode == "" then mode = stdout_is_terminal() and "bar" or "lines" end
  return setmetatable({
    enabled = true, desc = opts.desc or "progress", total = opts.total, every = every,
    mode = mode, width = opts.width or 30, out = opts.out or write_stdout,
    t0 = now(), drawn = false,
  }, Progress)
end

function Progress:_bar_line(i, values)
  local elapsed = now() - self.t0
  local count, bar, eta = tostring(i), "", ""
  if self.total and self.total > 0 then
    local frac = math.min(i / self.total, 1)
    local fill = math.floor(frac * self.width + 0.5)
    bar = "[" .. string.rep("#", fill) .. string.rep(".", self.width - fill) .. "] "
    count = string.format("%d/%d", i, self.total)
    if i > 0 and i < self.total then eta = "  eta " .. seconds(elapsed / i * (self.total - i)) end
  end
  local vals = format_values(values)
  return string.format("%s %s%s%s  %s%s", self.desc, bar, count,
    vals ~= "" and ("  " .. vals) or "", seconds(elapsed), eta)
end

-- Reports iteration i (1-based) with optional values {name = number, ...}.
function Progress:update(i, values)
  if not self.enabled then return end
  local last = self.total and i >= self.total
  if i % self.every ~= 0 and not last then return end
  if self.mode == "bar" then
    -- \r returns to the line start, \27[K clears what a longer previous line left
    self.out("\r" .. self:_bar_line(i, values) .. "\27[K")
    self.drawn = true
  else
    local count = self.total and string.format("%d/%d", i, self.total) or tostring(i)
    local vals = format_values(values)
    self.out(string.format("%s: iteration %s%s  %s\n", self.desc, count,
      vals ~= "" and ("  " .. vals) or "", seconds(now() - self.t0)))
  end
end

-- Ends the progress display with an optional message ("converged after 12 iterations").
function Progress:close(message)
  if not self.enabled then return end
  local tail = message and (self.desc .. ": " .. message .. " (" .. seconds(now() - self.t0) .. ")")
  if self.mode == "bar" and self.drawn then self.out("\n") end
  if tail then self.out(tail .. "\n") end
  self.enabled = false
end

-- A message line in the same stream (rank 0 only), e.g. a warning between iterations.
function Progress:log(message)
  if not self.enabled then return end
  if self.mode == "bar" and self.drawn then
    self.out("\r\27[K" .. message .. "\n")
  else
    self.out(message .. "\n")
  end
end

return progress
