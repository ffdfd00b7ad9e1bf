-- Runs busted inside heatlua on every rank: rank 0 reports in full, the other ranks only
-- their failures (tests/lua/rank_output.lua). Usage: heatlua busted_mpi.lua spec.lua ...
local ht = require "heat"
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local output = ht.rank() == 0 and "plainTerminal" or (here .. "rank_output.lua")
local args = { [0] = "busted", "--output=" .. output }
for i = 1, #arg do args[#args + 1] = arg[i] end
arg = args
-- busted signals failures under Lua 5.1 by error(nil): turn that into a plain exit status
local ok, err = pcall(require "busted.runner", { standalone = false })
if not ok then
  if err ~= nil then error(err, 0) end
  os.exit(1)
end
