-- bench/run's last step: merges the raw measurements with the machine's facts into one
-- JSON-lines file, prints the tables (rates, fractions of the probes, peer ratios) and
-- draws the plot of time and peak memory per rank against rank count with gnuplot.
--   heatlua bench/report.lua OUT_BASE    (OUT_BASE.jsonl, .txt, .dat, .gp, .png)
-- The inputs come from bench/run through BENCH_* environment variables.
local here = arg[0]:match "^(.*)/[^/]*$" or "."
package.path = here .. "/lib/?.lua;" .. package.path
local json = require "json"

local base = assert(arg[1], "usage: heatlua bench/report.lua OUT_BASE")
local env = function(k, d) return os.getenv(k) or d end
local raw, repo = env("BENCH_RAW", "."), env("BENCH_REPO", ".")
local size, reps = env("BENCH_SIZE", "?"), tonumber(env("BENCH_REPS", "0"))

local function sh(cmd)
  local f = io.popen(cmd .. " 2>/dev/null")
  if not f then return nil end
  local s = f:read "*a"
  f:close()
  s = s:gsub("%s+$", "")
  return s ~= "" and s or nil
end

local function read_file(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read "*a"
  f:close()
  return s
end

local function read_lines(path)
  local recs = {}
  local s = read_file(path)
  if not s then return recs end
  for line in s:gmatch "[^\n]+" do
    local ok, rec = pcall(json.decode, line)
    if ok and type(rec) == "table" then recs[#recs + 1] = rec end
  end
  return recs
end

-- ---- machine facts, recorded with every line ----
local function first_line(s) return s and s:match "^[^\n]*" end
local cpuinfo = read_file "/proc/cpuinfo" or ""
local meminfo = read_file "/proc/meminfo" or ""
local git = sh("git -C '" .. repo .. "' rev-parse --short HEAD")
if git and sh("git -C '" .. repo .. "' status --porcelain --untracked-files=no") then
  git = git .. "+dirty"
end
local machine = {
  host = sh "hostname",
  cpu = cpuinfo:match "model name%s*:%s*([^\n]+)",
  cores = tonumber(env("BENCH_CORES", sh "nproc" or "0")),
  memory_gib = (tonumber(meminfo:match "MemTotal:%s*(%d+)") or 0) / 2 ^ 20,
  kernel = sh "uname -r",
  os = (read_file "/etc/os-release" or ""):match 'PRETTY_NAME="([^"]*)"',
  compiler = first_line(sh "cc --version"),
  mpi = first_line(sh "mpirun --version"),
  heatlua = first_line(sh("'" .. env("BENCH_HEATLUA", "heatlua") .. "' -v")),
  git = git,
  date = os.date "!%Y-%m-%dT%H:%M:%SZ",
  load_start = tonumber(read_file(raw .. "/load_start") or ""),
  load_end = tonumber(read_file(raw .. "/load_end") or ""),
}
machine.memory_gib = math.floor(machine.memory_gib * 10 + 0.5) / 10

local run = env("BENCH_RUN_ID", os.date "!%Y%m%dT%H%M%SZ")
local records = {}
for _, name in ipairs { "probes", "heatlua", "numpy", "heat", "startup" } do
  for _, rec in ipairs(read_lines(raw .. "/" .. name .. ".jsonl")) do
    rec.bench = rec.bench or (rec.probe and "probe")
    if rec.probe and name == "probes" then rec.bench = "probe" end
    records[#records + 1] = rec
  end
end
local notes = {}
for line in (read_file(raw .. "/notes.txt") or ""):gmatch "[^\n]+" do notes[#notes + 1] = line end

for _, rec in ipairs(records) do rec.run, rec.size, rec.machine = run, size, machine end

-- ---- tables ----
local text = {}
local function say(fmt, ...) text[#text + 1] = string.format(fmt, ...) end

local probes = {} -- "triad" -> GB/s, "sgemm" -> GFLOP/s, "mpi:<kernel>:<ranks>" -> record
for _, r in ipairs(records) do
  if r.bench == "probe" and r.probe ~= "mpi" then probes[r.kernel] = r.gbs or r.gflops end
  if r.bench == "probe" and r.probe == "mpi" then probes["mpi:" .. r.kernel .. ":" .. r.ranks] = r end
end

say("heatlua bench %s, size %s, best of up to %d (git %s)", run, size, reps, machine.git or "?")
say("machine: %s, %d cores, %.1f GiB, %s; %s; load average %.2f -> %.2f",
  machine.cpu or "?", machine.cores or 0, machine.memory_gib, machine.os or "?",
  machine.mpi or "?", machine.load_start or 0, machine.load_end or 0)
say ""
say "limit probes (1 process, all cores; MPI between ranks of this machine)"
for _, k in ipairs { "copy", "triad", "read" } do
  if probes[k] then say("  stream %-6s %8.2f GB/s", k, probes[k]) end
end
for _, k in ipairs { "sgemm", "dgemm" } do
  if probes[k] then say("  %-13s %8.2f GFLOP/s", k, probes[k]) end
end
local mpi_lines = {}
for _, r in ipairs(records) do
  if r.bench == "probe" and r.probe == "mpi" then
    local v = r.gbs and string.format("%8.3f GB/s  (%d bytes)", r.gbs, r.bytes)
      or string.format("%8.2f us", r.time * 1e6)
    mpi_lines[#mpi_lines + 1] = string.format("  %-20s %d ranks %s", r.kernel, r.ranks, v)
  end
end
table.sort(mpi_lines)
for _, l in ipairs(mpi_lines) do say("%s", l) end

-- peers indexed by op and ranks (NumPy runs once, on one process)
local peer = { numpy = {}, heat = {} }
for _, r in ipairs(records) do
  if peer[r.bench] and r.time then peer[r.bench][r.op .. ":" .. r.ranks] = r end
end
local ops, seen, skipped = {}, {}, {}
for _, r in ipairs(records) do
  if r.bench == "heatlua" then
    if r.skipped then
      if not seen["skip:" .. r.op] then
        skipped[#skipped + 1] = r.op
        seen["skip:" .. r.op] = true
      end
    elseif not seen[r.op] then
      ops[#ops + 1] = r.op
      seen[r.op] = true
    end
  end
end
local function hl(op, ranks)
  for _, r in ipairs(records) do
    if r.bench == "heatlua" and r.op == op and r.ranks == ranks and r.time then return r end
  end
end
local ranks = {}
for p in env("BENCH_RANKS", "1"):gmatch "%d+" do ranks[#ranks + 1] = tonumber(p) end

local rows, cols = ({ tiny = 2 ^ 12, small = 2 ^ 18, medium = 2 ^ 20 })[size], 64
say ""
say("heatlua micro-benchmarks: %s x %d float32 split along rows (%s MiB per array)",
  rows and string.format("%d", rows) or "?", cols, rows and string.format("%d", rows * cols * 4 / 2 ^ 20) or "?")
say "  time: best, ms; rate: GB/s (or GFLOP/s) by STREAM's accounting; %%probe: of the matching"
say "  limit probe; MiB/rank: peak RSS per rank while timed; x numpy, x heat: heatlua time / peer time"
say("  %-14s %-5s %3s %3s %9s %8s %7s %9s %8s %9s %8s %7s", "op", "probe", "np", "thr",
  "time ms", "rate", "%probe", "MiB/rank", "MPI MiB", "numpy ms", "x numpy", "x heat")
local best = {}
for _, op in ipairs(ops) do
  for _, p in ipairs(ranks) do
    local r = hl(op, p)
    if r then
      local rate = r.gbs or r.gflops
      local pr = probes[r.probe]
      local frac = (rate and pr) and rate / pr or nil
      local np = peer.numpy[op .. ":1"]
      local h = peer.heat[op .. ":" .. p]
      say("  %-14s %-5s %3d %3d %9.3f %8s %7s %9.1f %8.2f %9s %8s %7s", op, r.probe or "",
        p, r.threads or 0, r.time * 1e3,
        rate and string.format("%.2f", rate) or "-",
        frac and string.format("%.0f%%", 100 * frac) or "-",
        r.peak_rss_mib or 0, (r.mpi_bytes_sent or 0) / 2 ^ 20,
        np and string.format("%.3f", np.time * 1e3) or "-",
        np and string.format("%.2f", r.time / np.time) or "-",
        h and string.format("%.2f", r.time / h.time) or "-")
      r.fraction_of_probe = frac
      if np then r.ratio_numpy = r.time / np.time end
      if h then r.ratio_heat = r.time / h.time end
      if frac and (not best[op] or frac > best[op]) then best[op] = frac end
    end
  end
end
if #skipped > 0 then say("  not in this build yet: %s", table.concat(skipped, ", ")) end

local heat_rows = {}
for _, op in ipairs(ops) do
  for _, p in ipairs(ranks) do
    local h = peer.heat[op .. ":" .. p]
    if h then
      heat_rows[#heat_rows + 1] = string.format("  %-14s %3d %9.3f %9.1f", op, p, h.time * 1e3,
        h.peak_rss_mib or 0)
    end
  end
end
local function section(title, lines) -- a titled block of lines, when there are any
  if #lines == 0 then return end
  say ""
  say("%s", title)
  for _, l in ipairs(lines) do say("%s", l) end
end
section("Heat peer (same kernels under mpirun): time ms, peak MiB/rank", heat_rows)
-- each peer's version and threads as it ran (one line per peer and rank count)
local peer_lines, seen_peer = {}, {}
for _, r in ipairs(records) do
  if peer[r.bench] and r.peer_version then
    local key = r.bench .. ":" .. (r.ranks or 1)
    if not seen_peer[key] then
      seen_peer[key] = true
      peer_lines[#peer_lines + 1] = string.format("  %-6s %d rank(s): %s; %s", r.bench, r.ranks or 1,
        r.peer_version, r.peer_threads or "threads not recorded")
    end
  end
end
section("peers as they ran (version; threads per process)", peer_lines)

local startup = {}
for _, r in ipairs(records) do if r.bench == "startup" then startup[#startup + 1] = r end end
if #startup > 0 then
  say ""
  say "start-up (best of 3 wall time; peak RSS of the largest process)"
  for _, r in ipairs(startup) do
    say("  %-34s %3d ranks %8.3f s %8.1f MiB", r.what, r.ranks, r.time, r.rss_mib or 0)
  end
end
for _, r in ipairs(records) do
  if r.bench == "profiler" then
    if r.state == "off" then say "" say "profiler cost per call of x + 1 (1 element)" end
    say("  %-10s %8.0f ns", r.state, r.time * 1e9)
  end
end
if #notes > 0 then
  say ""
  for _, n in ipairs(notes) do say("note: %s", n) end
end

-- the lasting guard: every kernel below its target (bench/lib/targets.lua), last
local best_numpy = {}
for _, op in ipairs(ops) do
  for _, p in ipairs(ranks) do
    local r = hl(op, p)
    if r and r.ratio_numpy and (not best_numpy[op] or r.ratio_numpy < best_numpy[op]) then
      best_numpy[op] = r.ratio_numpy
    end
  end
end
local below = require("targets").check(ops, best, best_numpy, startup)
say ""
if #below > 0 then
  say("below target (%d; best rank count shown):", #below)
  for _, l in ipairs(below) do say("  %s", l) end
else
  say "every measured kernel reaches its target"
end

-- ---- plot: time and peak memory per rank against rank count ----
local plotted = { "add", "triad", "exp", "sum_axis0", "var_axis0", "random_randn",
                  "resplit_0_1", "matmul" }
local series = {}
for _, op in ipairs(plotted) do
  for _, who in ipairs { "heatlua", "heat" } do
    local pts = {}
    for _, p in ipairs(ranks) do
      local r
      if who == "heatlua" then r = hl(op, p) else r = peer.heat[op .. ":" .. p] end
      if r then pts[#pts + 1] = { p, r.time * 1e3, r.peak_rss_mib or 0 } end
    end
    if #pts > 0 then series[#series + 1] = { who = who, op = op, pts = pts } end
  end
end
local png
if env("BENCH_PLOT", "1") == "1" and #series > 0 and sh "command -v gnuplot" then
  local dat = assert(io.open(base .. ".dat", "w"))
  for i, s in ipairs(series) do
    dat:write(string.format("# %s %s\n", s.who, s.op))
    for _, pt in ipairs(s.pts) do dat:write(string.format("%d %.6g %.6g\n", pt[1], pt[2], pt[3])) end
    if i < #series then dat:write "\n\n" end
  end
  dat:close()
  local colour, k = {}, 0
  for _, s in ipairs(series) do
    if not colour[s.op] then k = k + 1; colour[s.op] = k end
  end
  local function plot_cmd(col)
    local parts = {}
    for i, s in ipairs(series) do
      parts[i] = string.format("'%s.dat' index %d using 1:%d with linespoints lc %d dt %d pt %d title '%s %s'",
        base, i - 1, col, colour[s.op], s.who == "heatlua" and 1 or 2, s.who == "heatlua" and 7 or 6,
        s.who, s.op:gsub("_", " "))
    end
    return "plot " .. table.concat(parts, ", \\\n     ")
  end
  local xt = {}
  for i, p in ipairs(ranks) do xt[i] = tostring(p) end
  local gp = table.concat({
    "set terminal pngcairo size 1500,620 font 'sans,10'",
    string.format("set output '%s.png'", base),
    string.format("set multiplot layout 1,2 title 'heatlua %s, size %s (%s x 64 float32, fixed global size), %s' font ',11'",
      run, size, rows and string.format("%d", rows) or "?", (machine.cpu or ""):gsub("'", "")),
    "set xlabel 'MPI ranks (cores / ranks OpenMP threads each)'",
    string.format("set xtics (%s)", table.concat(xt, ",")),
    string.format("set xrange [%g:%g]", ranks[1] - 0.3, ranks[#ranks] + 0.3),
    "set grid", "set key outside bottom center horizontal maxrows 4 font ',8'",
    "set logscale y", "set ylabel 'time per call, ms (best)'",
    plot_cmd(2),
    "unset logscale y", "set yrange [0:*]", "set ylabel 'peak RSS per rank, MiB'",
    plot_cmd(3),
    "unset multiplot", "",
  }, "\n")
  local f = assert(io.open(base .. ".gp", "w"))
  f:write(gp)
  f:close()
  if os.execute("gnuplot '" .. base .. ".gp' 2>" .. raw .. "/gnuplot.err") == 0 then
    png = base .. ".png"
  else
    say("note: gnuplot failed: %s", read_file(raw .. "/gnuplot.err") or "")
  end
end
say ""
say("results: %s.jsonl%s", base, png and (", plot: " .. png) or "")

local txt = table.concat(text, "\n") .. "\n"
io.stdout:write(txt)
local f = io.open(base .. ".txt", "w")
if f then f:write(txt) f:close() end
-- one line per measurement, with the derived fractions and ratios
local out = assert(io.open(base .. ".jsonl", "w"))
for _, rec in ipairs(records) do out:write(json.encode(rec), "\n") end
for _, n in ipairs(notes) do
  out:write(json.encode { bench = "note", run = run, size = size, text = n, machine = machine }, "\n")
end
out:close()
