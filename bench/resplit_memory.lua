-- Peak memory of x:resplit(nil) (gather to every rank) per rank, as a multiple of the
-- result's size: the target is at most the result plus one rank's block (issue 12; it was
-- about 3x the result).
--
--   mpirun -n 2 heatlua bench/resplit_memory.lua [MiB of the array, default 128]
local mib = tonumber(arg[1]) or 128
local me, p = ht.rank(), ht.nprocs()
local MB = 1024 * 1024

local function status_kb(field)
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match(field .. ":%s*(%d+)")) or 0
end

-- "5" into clear_refs resets VmHWM (the peak) to the current resident size
local function reset_peak()
  local f = io.open("/proc/self/clear_refs", "w")
  if f then f:write("5") f:close() end
end

local cols = 64
local rows = math.floor(mib * MB / (4 * cols))
for _, split in ipairs({0, 1}) do
  local x = ht.ones({rows, cols}, {split = split})
  collectgarbage()
  ht.barrier()
  reset_peak()
  local before = status_kb("VmRSS")
  local y = x:resplit(nil)
  local peak = (status_kb("VmHWM") - before) / 1024
  local result = rows * cols * 4 / MB
  local block = result / p
  ht.printall(string.format("split %d: %d MiB array on %d ranks: peak +%.0f MiB = %.2f x the result "
                            .. "(target <= %.2f: result + one block)", split, mib, p, peak,
                            peak / result, (result + block) / result))
  y, x = nil, nil
  collectgarbage()
end
