-- The table of bench/pipeline: stage times of heatlua at each rank count next to
-- scikit-learn and Heat with ratios, peak memory and quality; the bytes each rank sends per stage;
-- and the alpha-beta extrapolation of the communication to 64 and 1024 ranks.
-- usage: heatlua bench/pipeline_report.lua RESULTS.jsonl
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "lib/?.lua;" .. package.path
local json = require "json"

local runs, comm, probes, notes = {}, {}, {}, {}
for line in io.lines(arg[1]) do
  local r = json.decode(line)
  if r.bench == "pipeline" then runs[#runs + 1] = r
  elseif r.bench == "pipeline_comm" then comm[#comm + 1] = r
  elseif r.bench == "pipeline_probe" then probes[r.kernel] = r
  elseif r.bench == "note" then notes[#notes + 1] = r.note end
end
local stages = { "load + hstack", "scale", "hsvd_rtol", "k-means fit + predict",
                 "Lasso fit + predict" }
local peer_order = { heatlua = 1, ["scikit-learn"] = 2, heat = 3 }
table.sort(runs, function(a, b) -- heatlua by rank count, scikit-learn, Heat by rank count
  local pa, pb = peer_order[a.peer] or 4, peer_order[b.peer] or 4
  if pa ~= pb then return pa < pb end
  return a.nprocs < b.nprocs
end)
-- ratio columns: scikit-learn / heatlua at each heatlua rank count, Heat / heatlua at the same
-- rank count (above 1: heatlua is faster)
local sk, heatlua_at, heat_at = nil, {}, {}
for _, r in ipairs(runs) do
  if r.peer == "scikit-learn" then sk = r end
  if r.peer == "heatlua" then heatlua_at[r.nprocs] = r end
  if r.peer == "heat" then heat_at[r.nprocs] = r end
end
local ratios = {}
for _, r in ipairs(runs) do
  if r.peer == "heatlua" then
    if sk then ratios[#ratios + 1] = { "sk/hl x" .. r.nprocs, sk, r } end
    if heat_at[r.nprocs] then ratios[#ratios + 1] = { "Heat/hl x" .. r.nprocs, heat_at[r.nprocs], r } end
  end
end
local function name(r) return string.format("%s x%d", r.peer, r.nprocs) end
local function fmt(v, f) return v and string.format(f or "%.3f", v) or "-" end

if #runs > 0 then
  local r0 = runs[1]
  print(string.format("pipeline on %d rows x %d features (seconds; ratio = peer / heatlua: above 1 heatlua is faster)",
    r0.rows, r0.features))
  local head = { string.format("%-24s", "stage") }
  for _, r in ipairs(runs) do head[#head + 1] = string.format("%16s", name(r)) end
  for _, q in ipairs(ratios) do head[#head + 1] = string.format("%11s", q[1]) end
  print(table.concat(head, " "))
  local function row(label, get)
    local cells = { string.format("%-24s", label) }
    for _, r in ipairs(runs) do cells[#cells + 1] = string.format("%16s", fmt(get(r))) end
    for _, q in ipairs(ratios) do
      local a, b = get(q[2]), get(q[3])
      cells[#cells + 1] = string.format("%11s", (a and b and b > 0) and string.format("%.1f", a / b) or "-")
    end
    print(table.concat(cells, " "))
  end
  for _, s in ipairs(stages) do row(s, function(r) return r.stages[s] end) end
  row("total", function(r) return r.total end)
  local function maxpeak(r)
    local m = 0
    for _, v in ipairs(r.peak_mib or {}) do m = math.max(m, v) end
    return m
  end
  print(string.format("%-24s %s", "peak MiB per rank (max)", (function()
    local t = {}
    for _, r in ipairs(runs) do t[#t + 1] = string.format("%16.0f", maxpeak(r)) end
    return table.concat(t, " ")
  end)()))
  print("quality:")
  for _, r in ipairs(runs) do
    print(string.format("  %-16s PCA rank %s (error %s), k-means ARI %s (inertia %s, %s iter), " ..
      "Lasso MSE %s", name(r), fmt(r.pca_rank, "%d"), fmt(r.pca_error, "%.4f"), fmt(r.ari, "%.4f"),
      fmt(r.inertia, "%.6g"), fmt(r.kmeans_iter, "%d"), fmt(r.mse, "%.6g")))
  end
  for _, r in ipairs(runs) do
    if r.peer_version then print(string.format("  %-16s %s; %s", name(r), r.peer_version, r.peer_threads or "")) end
  end
end

if #comm > 0 then
  table.sort(comm, function(a, b) return a.nprocs < b.nprocs end)
  print(string.format("\nbytes sent per rank (max over ranks), %d rows:", comm[1].rows))
  local head = { string.format("%-24s", "stage") }
  for _, c in ipairs(comm) do head[#head + 1] = string.format("%12s", c.nprocs .. " ranks") end
  print(table.concat(head, " "))
  for _, s in ipairs(stages) do
    local cells = { string.format("%-24s", s) }
    for _, c in ipairs(comm) do
      local m = 0
      for _, b in ipairs((c.bytes_sent or {})[s] or {}) do m = math.max(m, b) end
      cells[#cells + 1] = string.format("%12d", m)
    end
    print(table.concat(cells, " "))
  end
  local cells = { string.format("%-24s", "k-means iterations") }
  for _, c in ipairs(comm) do cells[#cells + 1] = string.format("%12s", fmt(c.kmeans_iter, "%d")) end
  print(table.concat(cells, " "))
end

-- alpha: ping-pong latency; beta: seconds per byte at the probe's bandwidth. Per stage (F
-- features, k clusters, r the PCA rank, it the k-means iterations of the largest run):
--   scale  one allgather of (2F+1) doubles      log2(P) a + (P-1) m b
--   hsvd   log2(P) merge levels of F x (r+5)     2 log2(P) (a + m b)
--   kmeans it allreduces of k(F+1) doubles       it (2 log2(P) a + 2 m b) + init gather
--   Lasso  one allreduce of (F+2)^2 doubles      2 log2(P) a + 2 m b
-- (recursive doubling / Rabenseifner allreduce); nothing depends on the number of rows.
local lat, bw = probes.pingpong_latency, probes.pingpong_bandwidth
if lat and bw and #comm > 0 then
  local a, b = lat.time, 1 / (bw.gbs * 1e9)
  local last = comm[#comm]
  local F, k, r, it = last.features, last.clusters, last.pca_rank, last.kmeans_iter or 1
  print(string.format("\nalpha-beta model: alpha = %.3g s (ping-pong latency), beta = %.3g s/byte " ..
    "(%d features, %d clusters, rank %d, %d k-means iterations)", a, b, F, k, r, it))
  print(string.format("%-8s %12s %12s %12s %12s %12s", "ranks", "scale", "hsvd_rtol",
    "k-means", "Lasso", "total (s)"))
  for _, P in ipairs { 64, 1024 } do
    local L = math.log(P) / math.log(2)
    local t = {
      L * a + (P - 1) * (2 * F + 1) * 8 * b,
      2 * L * (a + F * (r + 5) * 4 * b),
      it * (2 * L * a + 2 * k * (F + 1) * 8 * b) + (P - 1) * k * F * 4 * b + L * a,
      2 * L * a + 2 * (F + 2) ^ 2 * 8 * b,
    }
    print(string.format("%-8d %12.2e %12.2e %12.2e %12.2e %12.2e", P, t[1], t[2], t[3], t[4],
      t[1] + t[2] + t[3] + t[4]))
  end
end
for _, n in ipairs(notes) do print("note: " .. n) end
