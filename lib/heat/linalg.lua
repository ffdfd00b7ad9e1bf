-- ht.linalg: Heat's heat.linalg namespace. Products and the small functions live here;
-- the decompositions and solvers are added from heat.linalg_decomp by init.lua.
local core = require "heat.core"

local linalg = {}

linalg.matmul = core.matmul
linalg.dot = core.dot

return linalg
