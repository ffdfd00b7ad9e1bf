-- The profiler's cost per call of a tiny operation (x + 1 on one element): never started,
-- recording, and after stop(), which must match "never started" (the wrappers are gone).
--   heatlua bench/profile_cost.lua OUT.jsonl
local ht = require "heat"
local P = require "heat.profile"
local here = arg[0]:match "^(.*)/[^/]*$" or "."
package.path = here .. "/lib/?.lua;" .. package.path
local json = require "json"

local x = ht.ones({ 1 })
local calls = 20000

local function per_call()
  local best = math.huge
  for _ = 1, 9 do -- sub-microsecond figures: the best of many rounds
    collectgarbage()
    local t0 = P.clock()
    for _ = 1, calls do local _ = x + 1 end
    best = math.min(best, (P.clock() - t0) / calls)
  end
  return best
end

per_call() -- warm-up: the JIT traces the loop
local rows = { { "off", per_call() } }
P.start(ht)
rows[2] = { "recording", per_call() }
P.stop()
rows[3] = { "stopped", per_call() }
P.reset()

local out = assert(io.open(arg[1], "a"))
for _, r in ipairs(rows) do
  out:write(json.encode { bench = "profiler", op = "x + 1, 1 element", state = r[1],
                          ranks = 1, time = r[2] }, "\n")
end
out:close()
