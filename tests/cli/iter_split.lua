-- Elementwise ops, casts and copies at sizes where each thread's piece (64-aligned) used to
-- stop one element short of the end (size / threads a multiple of 64, size not a multiple of
-- the thread count): the last element was never written. Exact expected values from
-- arithmetic; run by test_iter_split.sh at 2 and 3 OpenMP threads and 1-2 ranks.
local failures = 0
local function expect(what, got, want)
  if got ~= want then
    failures = failures + 1
    if ht.rank() == 0 then print(string.format("FAIL %s: got %s, want %s", what, tostring(got), tostring(want))) end
  end
end
for _, n in ipairs { 65537, 65665, 65666, 131073, 196609 } do
  local split = n % 2 == 0 and 0 or nil -- replicated: one rank's iterator sees every element
  local x = ht.ones(n, { split = split })
  local last = n - 1
  expect(n .. " x * 2 sum", (x * 2):sum():item(), 2 * n)
  expect(n .. " x + x last", (x + x)[last]:item(), 2)
  expect(n .. " astype int64 sum", x:astype("int64"):sum():item(), n)
  expect(n .. " astype uint8 last", x:astype("uint8")[last]:item(), 1)
  expect(n .. " copy last", x:copy()[last]:item(), 1)
  expect(n .. " sqrt last", ht.sqrt(x * 4)[last]:item(), 2)
  local a = ht.arange(n, { split = split, dtype = ht.float64 })
  expect(n .. " arange + 1 last", (a + 1)[last]:item(), n)
  expect(n .. " where last", ht.where(a:gt(-1), a, -a)[last]:item(), last)
end
print(failures == 0 and "ok" or "failed")
