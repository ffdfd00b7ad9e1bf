"""The scikit-learn peer of scripts/pipeline.lua: the same stages on the same data in one
process (load, hstack, StandardScaler(copy=False), the exact SVD's rank for the same rtol,
KMeans(k) fit + predict, weighted Lasso fit + predict), printed as one JSON object.
The data comes from the HDF5 file with h5py, or, where h5py is missing, from the .npy
files that bench/pipeline writes beside it (then the load time is NumPy's .npy read).
usage: python pipeline_sklearn.py FILE.h5 NPYDIR RTOL CLUSTERS LAM MAX_ITER OUT.json"""
import json
import os
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import Lasso
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler


def peak_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def load(path, npydir):
    """features (name order, as the Lua script), labels, weights, true clusters"""
    skip = {"labels", "weights", "cluster"}
    try:
        import h5py
        with h5py.File(path, "r") as f:
            n = f["labels"].shape[0]
            names = sorted(k for k in f if k not in skip and f[k].dtype.kind == "f"
                           and f[k].ndim <= 2 and f[k].shape[0] == n)
            cols = [np.asarray(f[k], dtype=np.float32) for k in names]
            get = lambda k: np.asarray(f[k]) if k in f else None
            return "h5py", cols, get("labels"), get("weights"), get("cluster")
    except ImportError:
        names = sorted(x[:-4] for x in os.listdir(npydir) if x.endswith(".npy")
                       and x[:-4] not in skip)
        cols = [np.load(os.path.join(npydir, k + ".npy")) for k in names]
        get = lambda k: (np.load(os.path.join(npydir, k + ".npy"))
                         if os.path.exists(os.path.join(npydir, k + ".npy")) else None)
        return "npy", cols, get("labels"), get("weights"), get("cluster")


def main():
    path, npydir, rtol, k, lam, max_iter, out = sys.argv[1:8]
    rtol, k, lam, max_iter = float(rtol), int(k), float(lam), int(max_iter)
    t, st = {}, time.perf_counter()
    how, cols, y, w, truth = load(path, npydir)
    X = np.hstack([c.reshape(len(c), -1) for c in cols])
    del cols
    t["load + hstack"] = time.perf_counter() - st

    st = time.perf_counter()
    X = StandardScaler(copy=False).fit_transform(X)
    t["scale"] = time.perf_counter() - st

    # the rank the exact SVD needs for |X - X_r|_F <= rtol |X|_F (what hsvd_rtol estimates)
    st = time.perf_counter()
    s = np.linalg.svd(X, full_matrices=False, compute_uv=False).astype(np.float64)
    tail = np.sqrt(np.maximum(np.cumsum((s ** 2)[::-1])[::-1], 0)) / np.sqrt((s ** 2).sum())
    rank = int(np.argmax(np.append(tail[1:], 0) <= rtol) + 1)
    err = float(np.append(tail[1:], 0)[rank - 1])
    t["hsvd_rtol"] = time.perf_counter() - st

    st = time.perf_counter()
    km = KMeans(n_clusters=k, n_init=1, random_state=0).fit(X)
    labels = km.predict(X)
    t["k-means fit + predict"] = time.perf_counter() - st
    ari = float(adjusted_rand_score(truth, labels)) if truth is not None else None

    mse = None
    if y is not None:
        st = time.perf_counter()
        yf = y.astype(np.float32)
        m = Lasso(alpha=lam, max_iter=max_iter).fit(X, yf, sample_weight=w)
        mse = float(np.mean((yf - m.predict(X)) ** 2))
        t["Lasso fit + predict"] = time.perf_counter() - st

    rec = {"peer": "scikit-learn", "load": how, "stages": t, "total": sum(t.values()),
           "peak_mib": [peak_mib()], "pca_rank": rank, "pca_error": err,
           "inertia": float(km.inertia_), "kmeans_iter": int(km.n_iter_), "ari": ari,
           "mse": mse, "rows": int(X.shape[0]), "features": int(X.shape[1])}
    with open(out, "w") as f:
        f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
