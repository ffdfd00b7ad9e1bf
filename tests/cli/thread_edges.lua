-- Thread-count edges across the API: every op family at sizes aimed at the thread
-- partitions in runtime/ (iter.c: 2 * 2^15 elements, pieces of ceil(size/nt) rounded to 64;
-- reduce.c/reduce_exact.c: outputs or row slices per thread past 2^15 elements; scan.c
-- 2^16; sort.c 2^15; join.c 2^20 bytes; moments.c 4096 rows; copy tiles 2^16). Prints one
-- digest line per result, which test_thread_edges.sh compares across OMP_NUM_THREADS = 1,
-- 2, 3 at the same rank count, and checks exact values (arithmetic, integer data) inline:
-- a failed check prints a FAIL line. Sizes: 2^16 +- 1, 64 * nt * k + 1, + nt - 1.
local ffi = require "ffi"
local bit = require "bit"
local u = ffi.new("union { double d; uint32_t w[2]; }")
local failures = 0

local function hash(t)
  local h = #t
  for i = 1, #t do
    local v = t[i]
    if type(v) == "boolean" then v = v and 1 or 0 end
    u.d = v
    h = bit.tobit(bit.rol(h, 7) + u.w[0])
    h = bit.tobit(bit.rol(h, 11) + u.w[1])
  end
  return bit.tohex(h)
end

-- the digest of a whole array (gathered): dtype, shape and a hash of every element's bits
local function emit(name, a)
  if type(a) == "number" then
    print(name, string.format("%a", a))
    return
  end
  local g = a.split ~= nil and a:resplit(nil) or a
  print(name, a.dtype, table.concat(a.shape, "x"), hash(g:flatten():totable()))
end

local function expect(what, got, want)
  if got ~= want then
    failures = failures + 1
    print(string.format("FAIL %s: got %s, want %s", what, tostring(got), tostring(want)))
  end
end

local F64, F32 = ht.float64, ht.float32
local sizes = { 65535, 65537, 65665, 98305, 98306, 131073 }
ht.random.seed(11)

-- elementwise binary/unary/scalar, comparisons, where/clip, random streams
for i, n in ipairs(sizes) do
  local split = i % 2 == 0 and 0 or nil
  local tag = n .. "/" .. tostring(split)
  local x = ht.random.rand(n, { split = split, dtype = F64 })
  local y = ht.random.randn(n, { split = split, dtype = F32 })
  local k = ht.arange(n, { split = split, dtype = ht.int32 }) % 7 - 3
  emit(tag .. " rand", x)
  emit(tag .. " randn", y)
  emit(tag .. " x+y", x + y)
  emit(tag .. " y*2.5-1", y * 2.5 - 1)
  emit(tag .. " x/(y+3)", x / (y + 3))
  emit(tag .. " exp/sqrt/log", ht.exp(y) + ht.sqrt(x) + ht.log(x + 1))
  emit(tag .. " sin/tanh f32", ht.sin(y) * ht.tanh(y))
  emit(tag .. " k*k//2 % 3", ht.remainder(ht.floor_divide(k * k, 2), 3))
  emit(tag .. " abs/neg k", ht.abs(k) - ht.negative(k))
  emit(tag .. " gt/eq", ht.logical_and(x:gt(0.5), y:le(0)))
  emit(tag .. " where", ht.where(x:gt(0.5), x, y))
  emit(tag .. " clip", ht.clip(y, -0.5, 0.7))
  emit(tag .. " max/min", ht.maximum(x, y) - ht.minimum(x, y))
  -- exact: ones * 2, k's counts and sums from arithmetic
  expect(tag .. " ones*2 sum", (ht.ones(n, { split = split }) * 2):sum():item(), 2 * n)
  local zeros = 0
  local ksum = 0
  for j = 0, n - 1 do
    local v = j % 7 - 3
    ksum = ksum + v
    if v == 0 then zeros = zeros + 1 end
  end
  expect(tag .. " k sum", k:sum():item(), ksum)
  expect(tag .. " k eq 0 count", k:eq(0):sum():item(), zeros)
  expect(tag .. " k last", k[n - 1]:item(), (n - 1) % 7 - 3)
  expect(tag .. " where last", ht.where(k:ge(0), k, -k)[n - 1]:item(), math.abs((n - 1) % 7 - 3))
  expect(tag .. " clip sum", ht.clip(k, -1, 1):sum():item(), (function()
    local s = 0
    for j = 0, n - 1 do s = s + math.max(-1, math.min(1, j % 7 - 3)) end
    return s
  end)())
end

-- broadcast: (rows, odd columns) against a row and a column
for _, shape in ipairs { { 21846, 3 }, { 4099, 17 }, { 3, 21847 } } do
  local tag = table.concat(shape, "x")
  local m = ht.random.rand(shape[1], shape[2], { split = 0, dtype = F32 })
  local row = ht.random.rand(shape[2], { dtype = F32 })
  local col = ht.random.rand(shape[1], 1, { split = 0, dtype = F64 })
  emit(tag .. " m+row", m + row)
  emit(tag .. " m*col", m * col)
  emit(tag .. " row-col", row - col)
end

-- astype between all dtype pairs: v = i % 100 + 0.25 (defined for every cast), sums exact
local dtypes = { "bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64" }
local function cast(v, dt)
  if dt == "bool" then return v ~= 0 and 1 or 0 end
  if dt:sub(1, 5) == "float" then return v end
  return v >= 0 and math.floor(v) or math.ceil(v)
end
for _, n in ipairs { 65537, 98305 } do
  local split = n == 98305 and 0 or nil
  local v = ht.arange(n, { split = split, dtype = F64 }) % 100 + 0.25
  for _, from in ipairs(dtypes) do
    local a = v:astype(from)
    for _, to in ipairs(dtypes) do
      local b = a:astype(to)
      local tag = string.format("%d %s->%s", n, from, to)
      local want = 0
      for j = 0, 99 do want = want + cast(cast(j + 0.25, from), to) end
      want = want * math.floor(n / 100)
      for j = math.floor(n / 100) * 100, n - 1 do want = want + cast(cast(j % 100 + 0.25, from), to) end
      expect(tag .. " sum", b:astype(F64):sum():item(), want)
      local last = b[n - 1]:item()
      if type(last) == "boolean" then last = last and 1 or 0 end
      expect(tag .. " last", last, cast(cast((n - 1) % 100 + 0.25, from), to))
    end
  end
end

-- copies of transposed and sliced views, reshape/flatten/transpose, resplit
for _, shape in ipairs { { 4099, 17 }, { 257, 385 }, { 3, 21847 } } do
  local R, C = shape[1], shape[2]
  local tag = R .. "x" .. C
  local a = ht.arange(R * C, { dtype = F64 }):reshape(R, C)
  local t = a.T:copy()
  expect(tag .. " T copy last", t[{ C - 1, R - 1 }]:item(), R * C - 1)
  expect(tag .. " T copy [1,0]", t[{ 1, 0 }]:item(), 1)
  expect(tag .. " T copy sum", t:sum():item(), R * C * (R * C - 1) / 2)
  expect(tag .. " T flatten [R]", a.T:flatten()[R]:item(), 1)
  local s = a[{ { 1, nil, 2 }, { 0, nil, 3 } }]:copy()
  local rs, cs = math.floor(R / 2), math.floor((C + 2) / 3)
  expect(tag .. " slice shape", table.concat(s.shape, "x"), rs .. "x" .. cs)
  expect(tag .. " slice last", s[{ rs - 1, cs - 1 }]:item(), (2 * rs - 1) * C + 3 * (cs - 1))
  local m = ht.random.rand(R, C, { split = 0, dtype = F32 })
  emit(tag .. " T copy", m.T:copy())
  emit(tag .. " slice copy", m[{ { 1, nil, 2 }, { 0, nil, 3 } }]:copy())
  emit(tag .. " reshape", m:reshape(C, R))
  emit(tag .. " astype f64 of T", m.T:astype(F64))
  emit(tag .. " resplit 1", m:resplit(1))
  emit(tag .. " resplit 1 then 0", m:resplit(1):resplit(0))
  local w = ht.random.rand(R, 3, C, { split = 0, dtype = F64 })
  emit(tag .. " transpose 3d", ht.transpose(w, { 2, 0, 1 }):copy())
end

-- reductions along each axis and all (random data: digests; integer data: exact)
for _, shape in ipairs { { 65537, 1 }, { 21846, 3 }, { 4099, 17 }, { 3, 21847 }, { 7, 9363 } } do
  local R, C = shape[1], shape[2]
  for _, dt in ipairs { F64, F32 } do
    local tag = R .. "x" .. C .. " " .. dt
    local m = ht.random.randn(R, C, { split = 0, dtype = dt })
    for _, ax in ipairs { 0, 1 } do
      emit(tag .. " sum " .. ax, m:sum(ax))
      emit(tag .. " mean " .. ax, m:mean(ax))
      emit(tag .. " var " .. ax, m:var(ax))
      emit(tag .. " min " .. ax, m:min(ax))
      emit(tag .. " max " .. ax, m:max(ax))
      emit(tag .. " argmin " .. ax, m:argmin(ax))
      emit(tag .. " argmax " .. ax, m:argmax(ax))
      emit(tag .. " prod " .. ax, (m * 1e-3 + 1):prod(ax))
      emit(tag .. " cumsum " .. ax, m:cumsum(ax))
      emit(tag .. " cumprod " .. ax, (m * 1e-3 + 1):cumprod(ax))
    end
    emit(tag .. " sum all", m:sum():item())
    emit(tag .. " var all", m:var():item())
    emit(tag .. " argmax all", m:argmax():item())
    emit(tag .. " prod all", (m * 1e-4 + 1):prod():item())
  end
  local k = ht.arange(R * C, { split = 0, dtype = ht.int64 }):reshape(R, C)
  local tag = R .. "x" .. C .. " int64"
  expect(tag .. " sum all", k:sum():item(), R * C * (R * C - 1) / 2)
  expect(tag .. " sum 0 last", k:sum(0)[C - 1]:item(), R * (C - 1) + C * R * (R - 1) / 2)
  expect(tag .. " sum 1 last", k:sum(1)[R - 1]:item(), C * (R - 1) * C + C * (C - 1) / 2)
  expect(tag .. " max 0 last", k:max(0)[C - 1]:item(), R * C - 1)
  expect(tag .. " argmax all", k:argmax():item(), R * C - 1)
  expect(tag .. " argmin 1 last", k:argmin(1)[R - 1]:item(), 0)
  expect(tag .. " cumsum 0 last", k:cumsum(0)[{ R - 1, C - 1 }]:item(), R * (C - 1) + C * R * (R - 1) / 2)
  expect(tag .. " cumsum 1 last", k:cumsum(1)[{ R - 1, C - 1 }]:item(), C * (R - 1) * C + C * (C - 1) / 2)
  expect(tag .. " mean all", k:astype(F64):mean():item(), (R * C - 1) / 2)
end

-- sort/argsort/unique
for _, n in ipairs { 65537, 98306 } do
  local x = ht.random.rand(n, { split = 0, dtype = F32 })
  local s, idx = ht.sort(x)
  emit(n .. " sort", s)
  emit(n .. " sort idx", idx)
  emit(n .. " argsort", ht.argsort(x))
  local k = ht.arange(n, { split = 0, dtype = ht.int32 }) * 7 % 1000
  local sk = ht.sort(k)
  expect(n .. " sort int last", sk[n - 1]:item(), 999)
  expect(n .. " sort int first", sk[0]:item(), 0)
  local un = ht.unique(k)
  expect(n .. " unique count", un.shape[1], 1000)
  expect(n .. " unique sum", un:sum():item(), 999 * 1000 / 2)
end
for _, shape in ipairs { { 300, 129 }, { 129, 300 }, { 4099, 9 } } do
  local tag = table.concat(shape, "x")
  local m = ht.random.randn(shape[1], shape[2], { split = 0, dtype = F64 })
  emit(tag .. " sort 1", ht.sort(m, 1))
  emit(tag .. " sort 0", ht.sort(m, 0))
  emit(tag .. " argsort 1", ht.argsort(m, 1))
end

-- getitem/setitem: slices, masks, fancy indices
for i, n in ipairs { 65537, 98305, 131073 } do
  local split = i == 2 and nil or 0
  local tag = n .. "/" .. tostring(split)
  local x = ht.random.rand(n, { split = split, dtype = F64 })
  emit(tag .. " slice", x[{ { 1, nil, 3 } }])
  emit(tag .. " mask", x[x:gt(0.5)])
  local idx = ht.arange(n, { dtype = ht.int64 }) * 7919 % n
  emit(tag .. " fancy", x[idx])
  local y = x:copy()
  y[y:gt(0.5)] = 0
  y[{ { 0, nil, 5 } }] = -1
  emit(tag .. " setitem", y)
  local a = ht.arange(n, { split = split, dtype = F64 })
  local fa = a[idx]
  expect(tag .. " fancy last", fa[n - 1]:item(), (n - 1) * 7919 % n)
  expect(tag .. " fancy sum", fa:sum():item(), n * (n - 1) / 2)
  local odd = a[ht.remainder(a, 2):eq(1)]
  expect(tag .. " mask count", odd.shape[1], math.floor(n / 2))
  local b = a:copy()
  b[b:ge(n - 3)] = -1
  expect(tag .. " setitem mask sum", b:sum():item(), n * (n - 1) / 2 - (3 * n - 6) - 3)
end

-- concatenate/hstack/vstack (join.c threads past 2^20 bytes)
for _, shape in ipairs { { 8193, 65 }, { 4099, 17 } } do
  local tag = table.concat(shape, "x")
  local m = ht.random.rand(shape[1], shape[2], { split = 0, dtype = F64 })
  local r = ht.random.rand(shape[1], shape[2], { dtype = F64 })
  emit(tag .. " hstack", ht.hstack { m, m * 2 })
  emit(tag .. " vstack", ht.vstack { m, r })
  emit(tag .. " concatenate 1", ht.concatenate({ r, m, r }, 1))
  local a = ht.arange(shape[1] * shape[2], { dtype = F64 }):reshape(shape[1], shape[2])
  local h = ht.hstack { a, a }
  expect(tag .. " hstack last", h[{ shape[1] - 1, 2 * shape[2] - 1 }]:item(), shape[1] * shape[2] - 1)
  expect(tag .. " hstack sum", h:sum():item(), shape[1] * shape[2] * (shape[1] * shape[2] - 1))
end

-- matmul (float via BLAS, integers in cpu/matmul.c past 2^20 multiply-adds), dot
do
  local A = ht.random.randn(301, 71, { split = 0, dtype = F64 })
  local B = ht.random.randn(71, 53, { dtype = F64 })
  emit("matmul f64", ht.matmul(A, B))
  emit("matmul f32", ht.matmul(A:astype(F32), B:astype(F32)))
  local v = ht.random.randn(65537, { split = 0, dtype = F64 })
  emit("dot f64", ht.dot(v, v):item())
  local I = ht.arange(301 * 71, { dtype = ht.int64 }):reshape(301, 71) % 5
  local J = ht.ones({ 71, 53 }, { dtype = ht.int64 })
  local P = ht.matmul(I, J)
  local row = 0
  for j = 0, 70 do row = row + (300 * 71 + j) % 5 end
  expect("matmul int64 last", P[{ 300, 52 }]:item(), row)
  expect("matmul int64 sum", P:sum():item(), 53 * I:sum():item())
end

-- cdist, StandardScaler (column moments), k-means fit
do
  local X = ht.random.randn(5003, 5, { split = 0, dtype = F64 })
  local Y = ht.random.randn(307, 5, { dtype = F64 })
  emit("cdist f64", ht.spatial.cdist(X, Y))
  emit("cdist f32", ht.spatial.cdist(X:astype(F32), Y:astype(F32)))
  local sc = ht.preprocessing.StandardScaler():fit(X)
  emit("scaler mean_", sc.mean_)
  emit("scaler var_", sc.var_)
  local km = ht.cluster.KMeans { n_clusters = 4, init = "random", random_state = 3, max_iter = 20 }
  km:fit(X:astype(F32))
  emit("kmeans centers", km.cluster_centers_)
  emit("kmeans labels", km.labels_)
  emit("kmeans inertia", km.inertia_)
end

-- BLAS and LAPACK at sizes where OpenBLAS threads (cpu/blas.c, cpu/lapack.c): x.T @ x
-- (SYRK, tiles of 128 columns), matrix @ vector, dot, QR, SVD, hsvd, eigh, inv, solve.
-- Before the fix float32 SYRK and every LAPACK result here changed at 2 threads.
for si = 1, 2 do
  local split = si == 1 and 0 or nil
  local tag = "la " .. tostring(split)
  local X = ht.random.randn(3000, 200, { split = split, dtype = F64 })
  emit(tag .. " X.T@X f64", ht.matmul(X.T, X))
  emit(tag .. " X.T@X f32", ht.matmul(X.T:astype(F32), X:astype(F32)))
  local W = X[{ { 0, 300 } }]:astype(F32)
  emit(tag .. " W@W.T f32", ht.matmul(W, W.T))
  local A = ht.random.randn(700, 400, { split = split, dtype = F64 })
  local v = ht.random.randn(400, { dtype = F64 })
  local w = ht.random.randn(700, { split = split, dtype = F64 })
  emit(tag .. " A@v f64", ht.matmul(A, v))
  emit(tag .. " A@v f32", ht.matmul(A:astype(F32), v:astype(F32)))
  emit(tag .. " w@A f64", ht.matmul(w, A))
  emit(tag .. " dot f64", ht.dot(w, w):item())
  local Q, R = ht.linalg.qr(A)
  emit(tag .. " qr Q f64", Q)
  emit(tag .. " qr R f64", R)
  Q, R = ht.linalg.qr(A:astype(F32))
  emit(tag .. " qr Q f32", Q)
  emit(tag .. " qr R f32", R)
  local B = A[{ { 0, 400 }, { 0, 300 } }]
  local U, S, Vt = ht.linalg.svd(B)
  emit(tag .. " svd U", U)
  emit(tag .. " svd S", S)
  emit(tag .. " svd Vt", Vt)
  local Uh, Sh = ht.linalg.hsvd_rank(B, 20, { compute_sv = true })
  emit(tag .. " hsvd U", Uh)
  emit(tag .. " hsvd S", Sh)
  local ew, ev = ht.linalg.eigh(ht.matmul(B.T, B))
  emit(tag .. " eigh w", ew)
  emit(tag .. " eigh V", ev)
  local M = ht.random.randn(300, 300, { split = split, dtype = F64 }) + ht.eye(300) * 10
  local b = ht.random.randn(300, 5, { split = split, dtype = F64 })
  emit(tag .. " inv f64", ht.linalg.inv(M))
  emit(tag .. " inv f32", ht.linalg.inv(M:astype(F32)))
  emit(tag .. " solve f64", ht.linalg.solve(M, b))
  emit(tag .. " solve_triangular f64", ht.linalg.solve_triangular(ht.triu(M), b))
  -- exact: integer-valued X[i, j] = (200 i + j) % 7, G = X.T @ X across the tile edges
  for _, dt in ipairs { F64, F32 } do
    local K = (ht.arange(3000 * 200, { split = split, dtype = dt }) % 7):reshape(3000, 200)
    local G = ht.matmul(K.T, K)
    for _, ij in ipairs { { 0, 199 }, { 199, 0 }, { 127, 128 }, { 128, 127 }, { 150, 150 } } do
      local want = 0
      for r = 0, 2999 do want = want + (200 * r + ij[1]) % 7 * ((200 * r + ij[2]) % 7) end
      expect(string.format("%s %s X.T@X int-valued [%d,%d]", tag, dt, ij[1], ij[2]),
        G[ij]:item(), want)
    end
    expect(tag .. " " .. dt .. " A@ones", ht.matmul(K, ht.ones(200, { dtype = dt }))[2999]:item(),
      (function()
        local s = 0
        for j = 0, 199 do s = s + (200 * 2999 + j) % 7 end
        return s
      end)())
  end
end

print(failures == 0 and "ok" or "failed")
