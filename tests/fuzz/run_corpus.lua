-- Runs the fuzz corpus (gen_corpus.py wrote it): every malformed .npy, CSV file and index
-- string must give a clear error (a Lua error naming the function) or NumPy's data, never
-- a crash, a hang, or data NumPy would not give. Run by ctest at 1 and 2 ranks:
--   mpirun -n 2 heatlua tests/fuzz/run_corpus.lua tests/fuzz/corpus
local ht = require "heat"

local dir = arg[1] or "tests/fuzz/corpus"
local corpus = dofile(dir .. "/manifest.lua")
local me = ht.rank()

local function flat(t, out)
  out = out or {}
  if type(t) ~= "table" then
    out[#out + 1] = t == true and 1 or t == false and 0 or t
    return out
  end
  for _, v in ipairs(t) do flat(v, out) end
  return out
end

local function same(a, b)
  return a == b or (a ~= a and b ~= b)
end

-- nil when the outcome is acceptable, else what is wrong
local function judge(e, ok, res, fn)
  if not ok then
    local msg = tostring(res)
    -- x["abc"] is also how x.abc reaches __index: its message names the missing field
    if not msg:find("ht%." .. fn .. ": ") and not msg:find("ht%.Array has no field") then
      return "unclear error: " .. msg
    end
    return nil
  end
  if e.numpy == "error" then
    if e.lenient then return nil end
    return "accepted input that NumPy refuses"
  end
  local shape = res.shape
  if res.size == 0 and #e.values == 0 then return nil end -- empty: (0,) or NumPy's (0, 1)
  if #shape ~= #e.shape then return "ndim " .. #shape .. ", NumPy " .. #e.shape end
  for i = 1, #shape do
    if shape[i] ~= e.shape[i] then return "shape differs from NumPy's" end
  end
  local got = flat(res.ndim == 0 and res:item() or res:totable())
  if #got ~= #e.values then return "size differs from NumPy's" end
  for i = 1, #got do
    if not same(got[i], e.values[i]) then
      return string.format("element %d is %s, NumPy %s", i, tostring(got[i]), tostring(e.values[i]))
    end
  end
  return nil
end

local grids = {["2d"] = ht.arange(24, {split = 0}):reshape(4, 6), ["1d"] = ht.arange(10, {split = 0})}
local bad, n = 0, 0
for _, e in ipairs(corpus) do
  local ok, res, fn, what
  if e.kind == "npy" then
    fn, what = "load_npy", e.file
    ok, res = pcall(ht.load_npy, dir .. "/" .. e.file, {split = 0})
  elseif e.kind == "csv" then
    fn, what = "load_csv", e.file
    ok, res = pcall(ht.load_csv, dir .. "/" .. e.file, {split = 0, dtype = "float64"})
  else
    fn, what = "getitem", string.format("%q on %s", e.index, e.on)
    ok, res = pcall(function() return grids[e.on][e.index] end)
  end
  n = n + 1
  local why = judge(e, ok, res, fn)
  if why then
    bad = bad + 1
    if me == 0 then print(string.format("FAIL %s %s: %s", e.kind, what, why)) end
  end
end
if me == 0 then print(string.format("fuzz corpus: %d inputs, %d failed", n, bad)) end
ht.barrier()
if bad > 0 then os.exit(1) end
