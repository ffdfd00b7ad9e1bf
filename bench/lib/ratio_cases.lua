-- Times cases {name, f} of one dtype with best_of and formats one row each: time and the
-- ratio to the case of the same kind ("1d" when the name holds it, else "2d") whose name
-- starts with `yard` (the in-run yardstick, listed before the cases it measures).
local timed = require "best_of"

return function(dt, cases, reps, yard)
  local rows, base = {}, {}
  for _, c in ipairs(cases) do
    local t = timed(c[2], reps)
    local kind = c[1]:match "1d" and "1d" or "2d"
    if c[1]:sub(1, #yard) == yard then base[kind] = t end
    rows[#rows + 1] = string.format("%-8s %-13s %9.3f ms  %5.2f x %s", dt, c[1], t * 1e3,
      t / base[kind], yard)
  end
  return rows
end
