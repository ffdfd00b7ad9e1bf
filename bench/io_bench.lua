-- I/O bandwidth of ht.save_* / ht.load_* against a plain sequential read of the same file
-- (`cat file > /dev/null`, page-cache speed: nothing is dropped) and against the best a load
-- into a fresh array can do (each rank preads its share into a fresh malloc: cat's speed
-- plus the first touch of new pages), and each rank's peak memory while loading compared
-- with its share of the data.
--
--   mpirun -n 1 heatlua bench/io_bench.lua [rows] [cols] [folder]
--   mpirun -n 2 heatlua bench/io_bench.lua [rows] [cols] [folder]
--   mpirun -n 4 heatlua bench/io_bench.lua 1000000 64 /tmp split   # only the split loads
--
-- Defaults: 1,000,000 x 64 float32 (256 MB, the pipeline's shape of PERFORMANCE.md) in
-- $TMPDIR or /tmp. CSV is timed on a tenth of the rows (text is ~3x larger and slow to parse).
local ffi = require "ffi"
ffi.cdef [[ double MPI_Wtime(void); int malloc_trim(size_t pad);
int open(const char *path, int flags, int mode); int close(int fd);
long pwrite(int fd, const void *buf, size_t n, long off); int unlink(const char *path);
long pread(int fd, void *buf, size_t n, long off); void *malloc(size_t n); void free(void *p);
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags); ]]
local wtime = ffi.C.MPI_Wtime

local rows = tonumber(arg[1]) or 1000000
local cols = tonumber(arg[2]) or 64
local dir = arg[3] or os.getenv("TMPDIR") or "/tmp"
local only_split = arg[4] == "split" -- just the probes and the split=0/1 loads (3 of split=1)
local me, p = ht.rank(), ht.nprocs()
local MB = 1024 * 1024

local function status_kb(field)
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match(field .. ":%s*(%d+)")) or 0
end

-- the largest value over ranks (a 1-element split array gathers it)
local function max_over_ranks(v)
  local a = ht.zeros(p, { split = 0, dtype = "float64" })
  a[me] = v -- every rank sets its own element; the others are ignored where not owned
  return a:max():item()
end

local function timed(fn)
  ht.barrier()
  local t = wtime()
  local result = fn()
  ht.barrier()
  return wtime() - t, result
end

local function file_size(path)
  local f = io.open(path, "rb")
  local n = f:seek("end")
  f:close()
  return n
end

local function cat_time(path)
  local t = 0
  if me == 0 then
    os.execute("cat '" .. path .. "' > /dev/null") -- warm the page cache first
    local t0 = wtime()
    os.execute("cat '" .. path .. "' > /dev/null")
    t = wtime() - t0
  end
  return max_over_ranks(t)
end

local function report(what, seconds, bytes, cat)
  if me == 0 then
    print(string.format("  %-34s %7.3f s  %8.0f MB/s  (%.2fx cat)", what, seconds,
      bytes / MB / seconds, cat > 0 and seconds / cat or 0))
  end
end

-- peak resident memory of a load above what the rank held before, against its share
local function load_peak(fn)
  collectgarbage()
  ht.empty_cache() -- a fresh array: no freed buffer of the same size to reuse
  ffi.C.malloc_trim(0) -- freed arrays leave the process, so RSS starts from what is live
  local f = io.open("/proc/self/clear_refs", "w") -- "5" resets VmHWM to the current RSS
  if f then f:write("5"); f:close() end
  local before = status_kb("VmRSS")
  local seconds, x = timed(fn)
  local peak = (status_kb("VmHWM") - before) / 1024
  local share = 1
  for _, n in ipairs(x.lshape) do share = share * n end
  share = share * 4 / MB
  return seconds, x, max_over_ranks(peak), max_over_ranks(share)
end

ht.random.seed(1)
local x = ht.random.randn(rows, cols, { split = 0 })
local bytes = rows * cols * 4
if me == 0 then
  print(string.format("io_bench: %d x %d float32 (%.0f MB) on %d rank(s), files in %s", rows,
    cols, bytes / MB, p, dir))
end

local h5, npy, csv = dir .. "/io_bench.h5", dir .. "/io_bench.npy", dir .. "/io_bench.csv"

-- The limit of a save through the page cache: each rank pwrites its share of the bytes into
-- a new file, which rank 0 then exchanges with the old one (what save_hdf5 does, without
-- HDF5). Linux x86-64 flag values.
local O_WRONLY, O_CREAT, O_TRUNC, AT_FDCWD, RENAME_EXCHANGE = 1, 64, 512, -100, 2
local probe, probe_new = dir .. "/io_bench.probe", dir .. "/.io_bench.probe.new"
local share = math.floor(bytes / p)
local chunk = ffi.new("char[?]", share)
ffi.fill(chunk, share, 7)
local function write_probe()
  if me == 0 then ffi.C.close(ffi.C.open(probe_new, O_WRONLY + O_CREAT + O_TRUNC, 420)) end
  ht.barrier()
  local fd = ffi.C.open(probe_new, O_WRONLY, 0)
  assert(ffi.C.pwrite(fd, chunk, share, me * share) == share, "write probe: short write")
  ffi.C.close(fd)
  ht.barrier()
  if me == 0 then
    if ffi.C.renameat2(AT_FDCWD, probe_new, AT_FDCWD, probe, RENAME_EXCHANGE) == 0 then
      ffi.C.unlink(probe_new)
    else
      os.rename(probe_new, probe)
    end
  end
end
-- best of 3 after a warm-up: the old file exists, as for every save after the first
local function best(fn)
  fn()
  if only_split then return (timed(fn)) end
  local t = math.huge
  for _ = 1, 3 do t = math.min(t, (timed(fn))) end
  return t
end
local probe_s = best(write_probe)
report("write probe (pwrite + exchange)", probe_s, bytes, 0)
local save_s = best(function() ht.save_hdf5(x, h5, "x") end)
report("save_hdf5 (best of 3)", save_s, bytes, 0)
if me == 0 then print(string.format("    save_hdf5 / write probe: %.2f", save_s / probe_s)) end

local cat = cat_time(h5)
if me == 0 then print(string.format("  %-34s %7.3f s  %8.0f MB/s", "cat file > /dev/null", cat, file_size(h5) / MB / cat)) end
-- each rank's block of rows (split=0's share) by pread into a fresh buffer, 1 MiB per call
local function fresh_probe()
  local r0 = math.floor(rows * me / p) * cols * 4
  local n = math.floor(rows * (me + 1) / p) * cols * 4 - r0
  local fd, buf = ffi.C.open(h5, 0, 0), ffi.cast("char *", ffi.C.malloc(n))
  local at = file_size(h5) - bytes + r0 -- the dataset ends the file (save_hdf5's layout)
  local t = timed(function()
    local got = 0
    while got < n do
      local r = tonumber(ffi.C.pread(fd, buf + got, math.min(n - got, MB), at + got))
      assert(r > 0, "fresh probe: short read")
      got = got + r
    end
  end)
  ffi.C.free(buf)
  ffi.C.close(fd)
  return t
end
local fresh = fresh_probe()
report("pread into a fresh buffer (probe)", fresh, bytes, cat)
local s, y, peak, share = load_peak(function() return ht.load_hdf5(h5, "x", { split = 0 }) end)
report("load_hdf5 split=0", s, bytes, cat)
if me == 0 then
  print(string.format("    load / fresh probe: %.2f; peak memory of the load: %.1f MB per rank, share %.1f MB",
    s / fresh, peak, share))
end
y = nil
-- split=1: the file's bytes read by this rank (rchar counts read/pread calls, page cache
-- included), largest over ranks against the file's size, and the load's peak memory
local function rchar()
  local f = io.open("/proc/self/io")
  if not f then return 0 end
  local n = tonumber(f:read("*a"):match("rchar:%s*(%d+)")) or 0
  f:close()
  return n
end
for _ = 1, only_split and 3 or 1 do
  local r0 = rchar()
  s, y, peak, share = load_peak(function() return ht.load_hdf5(h5, "x", { split = 1 }) end)
  local got = max_over_ranks(rchar() - r0)
  report("load_hdf5 split=1", s, bytes, cat)
  if me == 0 then
    print(string.format("    load / fresh probe: %.2f; read %.1f MB per rank (most), file %.1f MB; peak %.1f MB per rank, share %.1f MB",
      s / fresh, got / MB, file_size(h5) / MB, peak, share))
  end
  y = nil
end
if only_split then
  ht.barrier()
  if me == 0 then os.remove(h5); os.remove(probe) end
  return
end
-- the pipeline's form: 8 datasets of cols/8 columns read side by side into one array
local parts, names = {}, {}
for i = 0, 7 do
  names[i + 1] = "x" .. i
  parts[names[i + 1]] = x[{ ht.all, { math.floor(i * cols / 8), math.floor((i + 1) * cols / 8) } }]
end
ht.save_hdf5(parts, h5)
parts = nil
collectgarbage()
cat = cat_time(h5)
collectgarbage()
ht.empty_cache()
s = timed(function() return ht.load_hdf5(h5, names, { split = 0 }) end)
report("load_hdf5 of 8 datasets split=0", s, bytes, cat)
if me == 0 then print(string.format("    load / fresh probe: %.2f", s / fresh)) end
report("save_hdf5 gzip level 1 + shuffle", timed(function()
  ht.save_hdf5(x, h5, "x", { compression = 1, shuffle = true })
end), bytes, 0)
report("load_hdf5 gzip split=0", timed(function() return ht.load_hdf5(h5, "x", { split = 0 }) end), bytes, cat)

report("save_npy", timed(function() ht.save_npy(x, npy) end), bytes, 0)
cat = cat_time(npy)
s, y, peak, share = load_peak(function() return ht.load_npy(npy, { split = 0 }) end)
report("load_npy split=0", s, bytes, cat)
if me == 0 then print(string.format("    peak memory of the load: %.1f MB per rank, share %.1f MB", peak, share)) end
y = nil

local small = x[{ { 0, math.floor(rows / 10) }, ht.all }]
report("save_csv (a tenth of the rows)", timed(function() ht.save_csv(small, csv) end), bytes / 10, 0)
local csv_bytes = file_size(csv)
cat = cat_time(csv)
if me == 0 then print(string.format("    csv file: %.0f MB; cat %.3f s", csv_bytes / MB, cat)) end
report("load_csv split=0 (file bytes)", timed(function() return ht.load_csv(csv, { split = 0 }) end), csv_bytes, cat)

ht.barrier()
if me == 0 then os.remove(h5); os.remove(npy); os.remove(csv); os.remove(probe) end
