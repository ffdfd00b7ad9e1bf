-- The best of reps timed runs of f after one warm-up, every rank starting and ending
-- together (a barrier each side), with a collection between runs.
local core = require "heat.core"
local P = require "heat.profile"

return function(f, reps)
  f()
  local best = math.huge
  for _ = 1, reps do
    core.barrier()
    local t0 = P.clock()
    local r = f()
    core.barrier()
    best = math.min(best, P.clock() - t0)
    r = nil -- luacheck: ignore
    collectgarbage()
  end
  return best
end
