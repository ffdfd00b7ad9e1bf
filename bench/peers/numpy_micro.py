"""The NumPy peer of bench/micro.lua: the same kernels on one process.
usage: python3 numpy_micro.py SIZE REPS OUT.jsonl [ops]"""
import os
import sys
import tempfile

import numpy as np

from common import COLS, F32, GEMM, Bench

size, reps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
        return ", ".join("%s %s threads" % (i.get("internal_api"), i.get("num_threads"))
                         for i in threadpool_info())
    except ImportError:
        return "OMP_NUM_THREADS=%s (no threadpoolctl)" % os.environ.get("OMP_NUM_THREADS", "unset")


b = Bench("numpy", size, reps, out, only=sys.argv[4] if len(sys.argv) > 4 else None,
          extra={"peer_version": "numpy " + np.__version__, "peer_threads": blas_threads()})
R, C, N = b.rows, COLS, b.n
rng = np.random.default_rng(1)
x = rng.random((R, C), dtype=np.float32)
y = rng.random((R, C), dtype=np.float32)

b.measure("add", lambda: x + y, bytes=3 * N * F32, probe="triad")
b.measure("triad", lambda: y + x * np.float32(3.0), bytes=3 * N * F32, probe="triad")
b.measure("exp", lambda: np.exp(x), bytes=2 * N * F32, probe="triad")
b.measure("sqrt", lambda: np.sqrt(x), bytes=2 * N * F32, probe="triad")
b.measure("astype_f64", lambda: x.astype(np.float64), bytes=N * (F32 + 8), probe="triad")
for red in ("sum", "mean", "var"):
    fn = getattr(np, red)
    b.measure(red + "_axis0", lambda fn=fn: fn(x, axis=0), bytes=N * F32, probe="read")
    b.measure(red + "_axis1", lambda fn=fn: fn(x, axis=1), bytes=N * F32, probe="read")
b.measure("sum_all", lambda: x.sum(), bytes=N * F32, probe="read")
b.measure("max_axis0", lambda: x.max(axis=0), bytes=N * F32, probe="read")
b.measure("argmin_axis1", lambda: x.argmin(axis=1), bytes=N * F32, probe="read")
b.measure("cumsum_axis0", lambda: np.cumsum(x, axis=0), bytes=2 * N * F32, probe="copy")
near1 = x * np.float32(1e-3) + np.float32(1)
b.measure("prod_axis0", lambda: np.prod(near1, axis=0), bytes=N * F32, probe="read")
b.measure("random_rand", lambda: rng.random((R, C), dtype=np.float32), bytes=N * F32,
          probe="triad")
b.measure("random_randn", lambda: rng.standard_normal((R, C), dtype=np.float32),
          bytes=N * F32, probe="triad")
# np.zeros maps zero pages lazily (calloc): nothing is written until first use
b.measure("zeros", lambda: np.zeros((R, C), dtype=np.float32), bytes=N * F32, probe="triad")
G = GEMM[size]
ga = rng.random((G, G), dtype=np.float32)
gb = rng.random((G, G), dtype=np.float32)
b.measure("matmul", lambda: ga @ gb, flops=2 * G ** 3, probe="sgemm")
M = {"tiny": 256, "small": 2048, "medium": 4096}[size]
sa = rng.random((M, M), dtype=np.float32)
sb = rng.random((M, M), dtype=np.float32)
b.measure("matmul_local", lambda: sa @ sb, flops=2 * M ** 3, probe="sgemm")
da, db = sa.astype(np.float64), sb.astype(np.float64)
b.measure("matmul_local_f64", lambda: da @ db, flops=2 * M ** 3, probe="dgemm")
del da, db, sa, sb
b.measure("gram", lambda: x.T @ x, flops=R * C * C, probe="ssyrk")
b.measure("getitem_rows", lambda: x[1:R - 1].copy(), bytes=2 * (R - 2) * C * F32, probe="copy")
b.measure("getitem_mask", lambda: x[x > 0.5], bytes=(2 * N + N // 2) * F32, probe="copy")
b.measure("hstack", lambda: np.hstack([x, y]), bytes=4 * N * F32, probe="copy")
b.measure("concatenate_0", lambda: np.concatenate([x, y], 0), bytes=4 * N * F32, probe="copy")
# a view in NumPy: reshaping a C-contiguous array moves no data
b.measure("reshape_flat", lambda: x.reshape(N), bytes=2 * N * F32, probe="copy")
b.measure("sort_axis1", lambda: np.sort(x, axis=1), bytes=2 * N * F32, probe="copy")

# each run its own file: two runs sharing one default name at once collide
fd, h5 = tempfile.mkstemp(prefix="heatlua-bench-numpy-", suffix=".h5")
os.close(fd)


def save():
    import h5py
    with h5py.File(h5, "w") as f:
        f.create_dataset("x", data=x)


def load():
    import h5py
    with h5py.File(h5, "r") as f:
        return f["x"][...]


b.measure("save_hdf5", save, bytes=N * F32, probe="copy")
b.measure("load_hdf5", load, bytes=N * F32, probe="copy")
if os.path.exists(h5):
    os.remove(h5)


def cdist():
    from scipy.spatial.distance import cdist as sp_cdist
    return sp_cdist(ca, cb)


ca = rng.random((G * 4, C), dtype=np.float32)
cb = rng.random((G // 4, C), dtype=np.float32)
b.measure("cdist", cdist, flops=3 * (G * 4) * (G // 4) * C, probe="sgemm")
