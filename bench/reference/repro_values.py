# The expected values of tests/lua/repro_spec.lua: the spec's generator (gen, normalish,
# wide) with the same operations in the same order, then math.fsum. Run by hand with numpy:
#   python3 bench/reference/repro_values.py
import math, numpy as np
def gen(seed):
    s = [seed]
    def u():
        s[0] = s[0] * 48271 % 2147483647
        return s[0] / 2147483647
    return u
def normalish(u):
    a = u(); b = u(); c = u(); d = u()
    return ((((a + b) + c) + d) - 2) * 1.7
def wide(u):
    v = normalish(u)
    return math.ldexp(v, math.floor(u() * 67) - 33)
u = gen(13); x = []; y = []
for i in range(1001):
    v = normalish(u); x.append(v); y.append(math.ldexp(v, math.floor(u() * 67) - 33))
u = gen(17); m = [[normalish(u) for j in range(5)] for i in range(37)]
u = gen(19); f = [float(np.float32(normalish(u))) for i in range(1001)]
u = gen(31); w = [[wide(u) for j in range(3)] for i in range(300)]
u = gen(37); f2 = [[float(np.float32(normalish(u))) for j in range(4)] for i in range(300)]
def var(v, ddof=0):
    n = len(v); mu = math.fsum(v) / n
    return math.fsum((t - mu) * (t - mu) for t in v) / (n - ddof)
f32 = lambda z: float(np.float32(z))
r = lambda z: repr(z)
print("x sum", r(math.fsum(x)), "np", r(float(np.sum(x))))
print("y sum", r(math.fsum(y)), "np", r(float(np.sum(y))), "ltr", r(sum(y)))
print("x mean", r(math.fsum(x) / 1001))
print("y[3:990]", r(math.fsum(y[3:990])))
print("var y", r(var(y)), "np", r(float(np.var(y))))
print("var x ddof1", r(var(x, 1)), "std", r(math.sqrt(var(x, 1))))
print("m cols", [r(math.fsum(row[j] for row in m)) for j in range(5)])
print("m rows", [r(math.fsum(m[i])) for i in range(4)])
print("f sum", r(f32(math.fsum(f))), "np", r(float(np.sum(np.array(f, dtype=np.float32)))))
W = np.array(w); F = np.array(f2, dtype=np.float32)
print("w var0", [r(var(list(W[:, j]))) for j in range(3)], "np", np.var(W, axis=0))
print("w[0:4] var1", [r(var(list(W[i]))) for i in range(4)])
print("w std", r(math.sqrt(var(list(W.ravel())))))
print("f2 sum0", [r(f32(math.fsum(map(float, F[:, j])))) for j in range(4)])
print("f2 var0", [r(f32(var(list(map(float, F[:, j]))))) for j in range(4)], "np", np.var(F, axis=0))
print("f2[0:3] std1 ddof1", [r(f32(math.sqrt(var(list(map(float, F[i])), 1)))) for i in range(3)])
print("f2 var", r(f32(var(list(map(float, F.ravel()))))))
print("check", x[:3], y[:3], min(abs(t) for t in y), max(abs(t) for t in y))
# tiny deviations (the spec's "squared deviations far below the largest"): +-pairs, so
# the exact mean is 0 and the squares of 2^-40, 1e-30 and 2^-60 sit ~80+ binades down
u = gen(41); T = []
for i in range(300):
    row = [normalish(u) for j in range(3)]
    T.append(row); T.append([-z for z in row])
T[0] = [2.0**-40, 1e-30, 0.0]; T[1] = [-2.0**-40, -1e-30, 0.0]
T[2][2] = 2.0**-60; T[3][2] = -2.0**-60
for name, cast in (("f64", float), ("f32", f32)):
    cols = [[cast(T[i][j]) for i in range(600)] for j in range(3)]
    out = lambda z: r(z) if cast is float else r(f32(z))
    print("tiny", name, "var0", [out(var(c)) for c in cols],
          "std0 ddof1", [out(math.sqrt(var(c, 1))) for c in cols],
          "np var0", np.var(np.array(cols, dtype=np.float64 if cast is float else np.float32), axis=1))
# a tie that only the tiny squares break: squares 2^52 + 2^52 + 4 * 1/4 + 2 * 2^-80
# = 2^53 + 1 + 2^-79 rounds up to 2^53 + 2 (without the 2^-80s: the tie, to even 2^53)
col = [2.0**26, -2.0**26, 0.5, -0.5, 0.5, -0.5, 2.0**-40, -2.0**-40]
for c in (col, [2 * z for z in col]):
    print("tie var", r(var(c)), "ddof1", r(var(c, 1)), "std", r(math.sqrt(var(c))),
          "without tiny", r(var(c[:6] + [0.0, 0.0])), "np", r(float(np.var(c))))
