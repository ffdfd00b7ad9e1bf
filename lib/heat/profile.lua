-- The profiler: counts calls, time and MPI bytes of every ht function, array method and
-- operator while recording, and reports them over all ranks with each rank's peak memory.
--
--   HEATLUA_PROFILE=1 mpirun -n 4 heatlua script.lua    -- report at exit, from rank 0
--   ht.profile.start(); ...; ht.profile.stop(); ht.profile.report()
--
-- Recording swaps wrapped functions into the ht table, its subtables, the array methods
-- table and the operator metamethods; stop() puts the originals back, so a script that
-- does not profile runs the unwrapped C functions and pays nothing.
local core = require "heat.core"
local ffi = require "ffi"

local profile = {}

-- pcall: a second load of this module (package.loaded cleared) must not fail on redefinition
pcall(ffi.cdef, [[
  typedef struct { long tv_sec; long tv_nsec; } heat_profile_timespec;
  int clock_gettime(int clk, heat_profile_timespec *tp);
]])
local ts = ffi.new "heat_profile_timespec"
local CLOCK_MONOTONIC = 1

-- Seconds on a monotonic clock (wall time, not CPU time: MPI waits count).
function profile.clock()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + 1e-9 * tonumber(ts.tv_nsec)
end
local clock = profile.clock

local function status_kib(field)
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read "*a"
  f:close()
  local v = s:match(field .. ":%s*(%d+)")
  return v and tonumber(v)
end

-- This rank's peak resident memory in MiB (VmHWM), nil where /proc is missing.
function profile.peak_rss()
  local kib = status_kib "VmHWM"
  return kib and kib / 1024
end

function profile.rss()
  local kib = status_kib "VmRSS"
  return kib and kib / 1024
end

-- Restarts the peak at the current resident size (Linux: clear_refs 5), so a benchmark
-- can measure the peak of one operation. The runtime keeps freed arrays in the malloc
-- heap and keeps large ones for reuse; both are handed back to the system first
-- (ht.empty_cache: the kept buffers, then glibc's malloc_trim), or the peak would include
-- them. Returns false where resetting is unsupported.
function profile.reset_peak_rss()
  core.empty_cache()
  local f = io.open("/proc/self/clear_refs", "w")
  if not f then return false end
  local ok = f:write "5"
  f:close()
  return ok and true or false
end

-- The methods captured before any wrapping, so the profiler's own collectives are not
-- counted and work while recording.
local array_fn, totable = core.array, core._methods.totable
local bytes_sent = core._bytes_sent

-- Collective: every rank passes a list of k numbers (k equal on all ranks); every rank
-- gets the list of all ranks' lists, in rank order. A (nprocs, k) array split along rows
-- is built from each rank's own row, then gathered.
function profile.allgather(values)
  local p, r, k = core.nprocs(), core.rank(), #values
  if p == 1 then return { values } end
  local row = { 0 } -- a trailing 0 keeps k >= 1
  for i = 1, k do row[i] = values[i] end
  row[k + 1] = 0
  local zero = {}
  for i = 1, k + 1 do zero[i] = 0 end
  local rows = {}
  for i = 1, p do rows[i] = (i == r + 1) and row or zero end
  local all = totable(array_fn(rows, { split = 0, dtype = "float64" }))
  for i = 1, p do all[i][k + 1] = nil end
  return all
end

-- ---- recording ----

local stats = {}        -- name -> { calls, time, bytes } on this rank
local order = {}        -- names in order of first call
local swapped = {}      -- { tbl, key, original, wrapper } while recording
local recording = false
local paused = false    -- the profiler's own calls while reporting
local t_start, t_total = nil, 0
local by_env = false
local ht_table

-- Operators are counted under the function's name: x + y is `add` like ht.add(x, y).
local operator_names = {
  __add = "add", __sub = "sub", __mul = "mul", __div = "div", __mod = "mod", __pow = "pow",
  __unm = "neg", __concat = "concat", __lt = "lt", __le = "le", __tostring = "tostring",
}
-- Not operations, or called per element of a print: counting them would be noise.
local skip = { rank = true, nprocs = true, is_array = true, profile = true,
               printoptions = true, progress = true }

local function finish(st, t0, b0, ...)
  st.time = st.time + (clock() - t0)
  st.bytes = st.bytes + (bytes_sent() - b0)
  return ...
end

local function wrap(name, f)
  return function(...)
    if paused then return f(...) end
    local st = stats[name]
    if not st then
      st = { calls = 0, time = 0, bytes = 0 }
      stats[name] = st
      order[#order + 1] = name
    end
    st.calls = st.calls + 1
    return finish(st, clock(), bytes_sent(), f(...))
  end
end

local function swap(tbl, key, name)
  local f = rawget(tbl, key)
  local w = wrap(name, f)
  swapped[#swapped + 1] = { tbl, key, f, w }
  rawset(tbl, key, w)
end

-- Functions of ht and of its plain subtables (random, linalg, ...), classes included
-- (ht.cluster.KMeans.fit), three levels deep.
local function swap_table(tbl, prefix, depth, seen)
  if seen[tbl] or depth > 3 then return end
  seen[tbl] = true
  local keys = {}
  for k in pairs(tbl) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and not skip[k] then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = rawget(tbl, k)
    if type(v) == "function" then swap(tbl, k, prefix .. k)
    elseif type(v) == "table" and v ~= tbl then swap_table(v, prefix .. k .. ".", depth + 1, seen)
    end
  end
end

-- Begins (or resumes) recording. ht: the public table (default: the loaded heat module).
function profile.start(ht)
  if recording then return end
  ht = ht or ht_table or package.loaded.heat
  if type(ht) ~= "table" then error("ht.profile.start: the heat module is not loaded", 2) end
  ht_table = ht
  if ht._load_all then ht._load_all() end -- the submodules that load on first use
  local seen = {}
  local methods, mt = core._methods, core._metatable
  seen[methods], seen[mt] = true, true
  swap_table(ht, "", 1, seen)
  for k, v in pairs(methods) do
    if type(k) == "string" and type(v) == "function" then
      swap(methods, k, (k:match "^__(.*)" or k))
    end
  end
  for k, name in pairs(operator_names) do
    if type(rawget(mt, k)) == "function" then swap(mt, k, name) end
  end
  recording, t_start = true, clock()
end

-- Ends recording and restores the original functions (the counts stay).
function profile.stop()
  if not recording then return end
  for i = #swapped, 1, -1 do
    local s = swapped[i]
    if rawget(s[1], s[2]) == s[4] then rawset(s[1], s[2], s[3]) end
  end
  swapped = {}
  t_total = t_total + (clock() - t_start)
  recording, t_start = false, nil
end

function profile.is_recording() return recording end

-- Drops the counts (recording, if on, goes on from now).
function profile.reset()
  stats, order, t_total = {}, {}, 0
  if recording then t_start = clock() end
end

-- ---- reporting ----

local function name_hash(names)
  local h = #names
  for _, n in ipairs(names) do
    for i = 1, #n do h = (h * 31 + n:byte(i)) % 2147483647 end
  end
  return h
end

local function fmt_table(res)
  local lines = {}
  local function add(...) lines[#lines + 1] = string.format(...) end
  add("heatlua profile: %d rank%s, %.4f s recorded (max over ranks)%s", res.nprocs,
      res.nprocs == 1 and "" or "s", res.wall, res.note and ("; " .. res.note) or "")
  add("%-28s %8s %12s %12s %7s %14s", "operation", "calls", "max time s", "mean time s",
      "% wall", "MPI sent MiB")
  for _, o in ipairs(res.ops) do
    add("%-28s %8d %12.4f %12.4f %6.1f%% %14.3f", o.name, o.calls, o.time_max, o.time_mean,
        res.wall > 0 and 100 * o.time_max / res.wall or 0, o.bytes_sent / 2 ^ 20)
  end
  if #res.ops == 0 then add "(no operations recorded)" end
  local rss, parts, mx, sum = res.peak_rss_mib, {}, 0, 0
  for r, v in ipairs(rss) do
    mx, sum = math.max(mx, v), sum + v
    if r <= 16 then parts[#parts + 1] = string.format("%d: %.1f", r - 1, v) end
  end
  if #rss > 16 then parts[#parts + 1] = "..." end
  add("peak RSS per rank (MiB): %s  (max %.1f, mean %.1f)", table.concat(parts, ", "), mx,
      #rss > 0 and sum / #rss or 0)
  add("times include nested calls (a Lua-level estimator's time includes its ops)")
  return table.concat(lines, "\n")
end

-- Collective: gathers the counts of every rank and returns
--   { nprocs, wall, ops = { {name, calls, time_max, time_mean, bytes_sent}, ... },
--     peak_rss_mib = { rank 0, rank 1, ... }, text }
-- identical on every rank; prints the table from rank 0 unless opts.print == false.
-- Operations are sorted by max time.
function profile.report(opts)
  opts = opts or {}
  local was_paused = paused
  paused = true
  local wall = t_total + (recording and (clock() - t_start) or 0)
  local names = {}
  for i, n in ipairs(order) do names[i] = n end
  table.sort(names)
  local heads = profile.allgather { #names, name_hash(names) }
  local same = true
  for _, h in ipairs(heads) do
    if h[1] ~= #names or h[2] ~= heads[1][2] then same = false end
  end
  local note
  if not same then
    -- a rank-dependent branch ran other ops: only rank 0's own counts can be shown
    note = "ranks ran different operations: times and calls of rank 0 only"
    names = {}
  end
  local row = { wall, profile.peak_rss() or 0 }
  for _, n in ipairs(names) do
    local st = stats[n]
    row[#row + 1], row[#row + 2], row[#row + 3] = st.calls, st.time, st.bytes
  end
  local rows = profile.allgather(row)
  local p = #rows
  local res = { nprocs = p, wall = 0, ops = {}, peak_rss_mib = {}, note = note }
  for r = 1, p do
    res.wall = math.max(res.wall, rows[r][1])
    res.peak_rss_mib[r] = rows[r][2]
  end
  for i, n in ipairs(names) do
    local o = { name = n, calls = 0, time_max = 0, time_mean = 0, bytes_sent = 0 }
    for r = 1, p do
      local base = 2 + 3 * (i - 1)
      o.calls = math.max(o.calls, rows[r][base + 1])
      o.time_max = math.max(o.time_max, rows[r][base + 2])
      o.time_mean = o.time_mean + rows[r][base + 2] / p
      o.bytes_sent = o.bytes_sent + rows[r][base + 3]
    end
    res.ops[i] = o
  end
  if not same and core.rank() == 0 then
    for i, n in ipairs(order) do
      local st = stats[n]
      res.ops[i] = { name = n, calls = st.calls, time_max = st.time, time_mean = st.time,
                     bytes_sent = st.bytes }
    end
  end
  table.sort(res.ops, function(a, b)
    if a.time_max ~= b.time_max then return a.time_max > b.time_max end
    return a.name < b.name
  end)
  res.text = fmt_table(res)
  if opts.print ~= false and core.rank() == 0 then
    io.stdout:write(res.text, "\n")
    io.stdout:flush()
  end
  paused = was_paused
  return res
end

-- ---- wiring ----

-- Called once by lib/heat/init.lua: remembers the ht table and starts recording when
-- HEATLUA_PROFILE is set (to anything but "" or "0").
function profile.init(ht)
  ht_table = ht
  local env = os.getenv "HEATLUA_PROFILE"
  if env and env ~= "" and env ~= "0" then
    by_env = true
    profile.start(ht)
    core.atexit(profile._atexit)
  end
  return profile
end

-- Registered with core.atexit: the HEATLUA_PROFILE report when the script ends (collective).
function profile._atexit()
  if not by_env then return end
  by_env = false
  profile.stop()
  profile.report()
end

return profile
