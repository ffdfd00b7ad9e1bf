-- Assertions for specs of the Lua API: they gather the array on every rank, so every rank
-- fails together and no rank is left behind in a collective.
local core = require "heat.core"

local T = {}

local function shape_of(t)
  local s = {}
  while type(t) == "table" do
    s[#s + 1] = #t
    t = t[1]
  end
  return s
end

local function shape_str(s)
  return "(" .. table.concat(s, ", ") .. (#s == 1 and ",)" or ")")
end

local function check_shape(x, expected)
  local want = shape_of(expected)
  local got = x.shape
  local ok = #want == #got
  for i = 1, #want do ok = ok and want[i] == got[i] end
  -- an empty expected table stands for any shape with a zero length
  if not ok and #want == 1 and want[1] == 0 then
    for i = 1, #got do if got[i] == 0 then ok = true end end
  end
  if not ok then
    error(string.format("shape mismatch: got %s, expected %s", shape_str(got), shape_str(want)), 3)
  end
end

local function walk(a, b, path, cmp)
  if type(b) == "table" then
    for i = 1, #b do
      local msg = walk(a[i], b[i], path .. "[" .. (i - 1) .. "]", cmp)
      if msg then return msg end
    end
    return nil
  end
  if not cmp(a, b) then
    return string.format("at %s: got %s, expected %s", path == "" and "()" or path, tostring(a), tostring(b))
  end
end

local function as_array(x)
  assert(getmetatable(x) == core._metatable, "expected an array, got " .. type(x))
  return x
end

function T.assert_equal(x, expected)
  as_array(x)
  if type(expected) == "table" then check_shape(x, expected) end
  local got = x:totable()
  local msg = walk(got, expected, "", function(a, b)
    if type(b) == "number" and b ~= b then return a ~= a end
    return a == b
  end)
  if msg then error("assert_equal: " .. msg, 2) end
end

function T.assert_allclose(x, expected, rtol, atol)
  as_array(x)
  rtol, atol = rtol or 1e-7, atol or 0
  if type(expected) == "table" then check_shape(x, expected) end
  local got = x:totable()
  local msg = walk(got, expected, "", function(a, b)
    if type(a) ~= "number" then return false end
    if b ~= b then return a ~= a end
    if b == math.huge or b == -math.huge then return a == b end
    return math.abs(a - b) <= atol + rtol * math.abs(b)
  end)
  if msg then error(string.format("assert_allclose (rtol=%g, atol=%g): %s", rtol, atol, msg), 2) end
end

function T.assert_dtype(x, dtype)
  if as_array(x).dtype ~= dtype then
    error(string.format("assert_dtype: got %s, expected %s", x.dtype, dtype), 2)
  end
end

function T.assert_split(x, split)
  if as_array(x).split ~= split then
    error(string.format("assert_split: got %s, expected %s", tostring(x.split), tostring(split)), 2)
  end
end

function T.assert_shape(x, shape)
  local got = as_array(x).shape
  local ok = #got == #shape
  for i = 1, #shape do ok = ok and got[i] == shape[i] end
  if not ok then error(string.format("assert_shape: got %s, expected %s", shape_str(got), shape_str(shape)), 2) end
end

-- fn must raise an error whose message contains `fragment` (plain text, not a pattern).
function T.assert_error(fn, fragment)
  local ok, err = pcall(fn)
  if ok then error("assert_error: no error raised, expected one containing '" .. fragment .. "'", 2) end
  err = tostring(err)
  if not err:find(fragment, 1, true) then
    error(string.format("assert_error: message '%s' does not contain '%s'", err, fragment), 2)
  end
end

-- A fresh, empty folder for a spec's files that every rank agrees on: named after the
-- launcher's job id, or, in a one-rank process started without a launcher (several such
-- runs can share a machine), after a name only this process holds (os.tmpname).
-- Every element's bits (the sign of -0.0 and of NaN included) as one string, for comparing
-- two computations bit for bit (fused against eager, one path against another); a value that
-- is not an array passes through tostring. Collective (totable gathers).
function T.bits(x)
  if type(x) ~= "userdata" then return tostring(x) end
  local out = {}
  local function walk(t)
    for _, v in ipairs(t) do
      if type(v) == "table" then walk(v)
      elseif type(v) == "boolean" then out[#out + 1] = tostring(v) -- bool arrays
      else out[#out + 1] = string.format("%a", v) end
    end
  end
  local t = x:totable()
  if type(t) == "table" then walk(t) else walk({t}) end
  return table.concat(out, " ")
end

-- f(x) must give the same bits with x split along axis 0, along axis 1 and replicated (a
-- reduction along rows: fused per rank, joined across ranks, local). Collective.
function T.assert_same_splits(x, what, f)
  local a = T.bits(f(x:resplit(0)))
  assert(a == T.bits(f(x:resplit(1))), what .. ": split=0 and split=1 differ")
  assert(a == T.bits(f(x:resplit(nil))), what .. ": split=0 and replicated differ")
end

function T.scratch_dir(name)
  local ht = require "heat"
  local job = os.getenv("OMPI_MCA_ess_base_jobid") or os.getenv("PMIX_NAMESPACE")
    or os.getenv("SLURM_JOB_ID")
  local tmp
  if not job and ht.nprocs() == 1 then
    tmp = os.tmpname()
    job = tmp:match("([^/]+)$")
  end
  local dir = string.format("%s/heatlua_%s_%s_%d", os.getenv("TMPDIR") or "/tmp", name,
    job or "0", ht.nprocs())
  if ht.rank() == 0 then os.execute("rm -rf '" .. dir .. "' && mkdir -p '" .. dir .. "'") end
  if tmp then os.remove(tmp) end
  ht.barrier()
  return dir
end

return T
