"""The NumPy peer of bench/hsvd_bench.lua: np.linalg.svd of the same tall-skinny float32
matrix (N(0,1) columns scaled by 0.93^j), the rank for rtol 2.5e-2, peak memory.
usage: python3 numpy_svd.py [rows] [cols] [reps]"""
import sys
import time

import numpy as np

from common import reset_peak_rss, _status_mib

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
cols = int(sys.argv[2]) if len(sys.argv) > 2 else 64
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
rng = np.random.default_rng(7)
X = rng.standard_normal((rows, cols), dtype=np.float32) * (0.93 ** np.arange(cols)).astype(np.float32)
reset_peak_rss()
best = float("inf")
for _ in range(reps):
    t0 = time.perf_counter()
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    best = min(best, time.perf_counter() - t0)
    del U, Vt
tail = np.cumsum((s ** 2)[::-1])[::-1] / np.sum(s ** 2)  # tail[r]: error^2 of rank r
r = int(np.argmax(np.append(tail, 0) <= 2.5e-2 ** 2))
print("np.linalg.svd %dx%d float32: %.3f s (best of %d), rank for rtol 2.5e-2: %d, peak %.0f MiB "
      "(input %.0f MiB), numpy %s" % (rows, cols, best, reps, r, _status_mib("VmHWM"),
                                     X.nbytes / 2 ** 20, np.__version__))
