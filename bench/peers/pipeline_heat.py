"""The Heat peer of scripts/pipeline.lua: the same stages on the same file under mpirun with
Heat's own functions, printed (rank 0) as one JSON object in pipeline_sklearn.py's schema.
Where Heat lacks heatlua's form, the nearest one (docs/performance.md, "Against Heat"):
- load + hstack: one ht.load_hdf5 per dataset, then ht.hstack (heatlua: one fused read);
- scale: ht.preprocessing.StandardScaler(copy=False).fit_transform, as heatlua;
- hsvd_rtol: ht.linalg.hsvd_rtol(X, rtol) always forms the n x r U (heatlua: compute_u=false);
- k-means: ht.cluster.KMeans(k, init="batchparallel", max_iter, random_state), labels_ of fit
  (Heat's tol: absolute, on the squared centre shift); the inertia is computed after the stage;
- Lasso: ht.regression.Lasso has no sample_weight and no intercept of its own: its first column
  is the unpenalised intercept, so it fits [1, X] with rows scaled by sqrt(w / mean(w)) (the
  weighted least-squares identity; Heat's coordinate step assumes unit-variance columns),
  lam and max_iter as given, Heat's tol; the MSE is of the unscaled rows, as heatlua's.
usage: mpirun -n P python pipeline_heat.py FILE.h5 RTOL CLUSTERS LAM MAX_ITER KMEANS_ITER SEED OUT.json"""
import gc
import json
import os
import sys
import time

import h5py
import heat as ht
import numpy as np
import torch

from common import reset_peak_rss, _status_mib


def ari(truth, labels):
    """adjusted_rand_score(truth, labels) (scikit-learn's formula, in NumPy)"""
    _, t = np.unique(np.ravel(truth), return_inverse=True)
    _, p = np.unique(np.ravel(labels), return_inverse=True)  # Heat's labels_ are (n, 1)
    table = np.zeros((t.max() + 1, p.max() + 1), dtype=np.int64)
    np.add.at(table, (t, p), 1)
    comb = lambda v: (v * (v - 1) // 2).sum(dtype=np.float64)
    s, a, b, n = comb(table), comb(table.sum(1)), comb(table.sum(0)), comb(np.array([t.size]))
    expected = a * b / n
    return float((s - expected) / ((a + b) / 2 - expected)) if a + b != 2 * expected else 1.0


def main():
    path, rtol, k, lam, max_iter, kiter, seed, out = sys.argv[1:9]
    rtol, k, lam = float(rtol), int(k), float(lam)
    max_iter, kiter, seed = int(max_iter), int(kiter), int(seed)
    comm = ht.MPI_WORLD
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))))
    skip = {"labels", "weights", "cluster"}
    with h5py.File(path, "r") as f:  # the feature datasets, as scripts/pipeline.lua picks them
        n = f["labels"].shape[0] if "labels" in f else None
        names = sorted(k_ for k_ in f if k_ not in skip and f[k_].dtype.kind == "f"
                       and f[k_].ndim <= 2 and (n is None or f[k_].shape[0] == n))
        has = {k_: k_ in f for k_ in skip}

    times, peaks, order = {}, {}, []

    def stage(name, fn):
        gc.collect()
        reset_peak_rss()
        comm.Barrier()
        t0 = time.perf_counter()
        r = fn()
        peaks[name] = _status_mib("VmHWM")
        comm.Barrier()
        times[name] = time.perf_counter() - t0
        order.append(name)
        return r

    def load():
        cols = []
        for name in names:
            d = ht.load_hdf5(path, name, dtype=ht.float32, split=0)
            cols.append(d if d.ndim == 2 else ht.expand_dims(d, 1))
        X = ht.hstack(cols)
        del cols
        get = lambda name, dt: ht.load_hdf5(path, name, dtype=dt, split=0) if has[name] else None
        return X, get("labels", ht.float32), get("weights", ht.float32), get("cluster", ht.int32)

    X, y, w, truth = stage("load + hstack", load)
    gc.collect()
    # copy=False scales X in place (and returns the scaler, not X)
    stage("scale", lambda: ht.preprocessing.StandardScaler(copy=False).fit_transform(X))

    def hsvd():
        # split=0 input: Heat works on X.T, and (V, S, U.T, err) is the one form whose rank
        # reads the same way; without compute_sv it forms the n x r factor all the same
        _, S, _, err = ht.linalg.hsvd_rtol(X, rtol, compute_sv=True)
        return S.shape[0], float(err)

    rank, err = stage("hsvd_rtol", hsvd)
    gc.collect()

    km = ht.cluster.KMeans(n_clusters=k, init="batchparallel", max_iter=kiter, random_state=seed)

    def kmeans():
        km.fit(X)
        return ari(truth.numpy(), km.labels_.numpy()) if truth is not None else None

    score = stage("k-means fit + predict", kmeans)
    # Heat's inertia_ is the last centre shift; the sum of squared distances to the nearest
    # centre (scikit-learn's and heatlua's inertia) is computed here, untimed
    d = ht.spatial.cdist(X, km.cluster_centers_, quadratic_expansion=True)
    inertia = float((ht.min(d, axis=1) ** 2).sum().item())
    del d

    mse, lasso_iter = None, None
    if y is not None:
        def lasso():
            ones = ht.ones((X.shape[0], 1), dtype=X.dtype, split=0, device=X.device, comm=X.comm)
            X1, yc = ht.hstack([ones, X]), ht.expand_dims(y, 1)
            if w is not None:
                s = ht.expand_dims(ht.sqrt(w / ht.mean(w)), 1)
                X1, yc = X1 * s, yc * s
            m = ht.regression.Lasso(lam=lam, max_iter=max_iter)
            m.fit(X1, yc)
            del X1, yc
            theta = m.theta
            pred = ht.matmul(X, theta[1:]) + theta[0]
            r = ht.expand_dims(y, 1) - pred
            return float(ht.mean(r * r).item()), m.n_iter

        mse, lasso_iter = stage("Lasso fit + predict", lasso)

    mine = [max(peaks.values())] + [peaks[s] for s in order]
    rows = comm.handle.allgather(mine)
    if comm.rank == 0:
        rec = {"peer": "heat", "nprocs": comm.size, "load": "ht.load_hdf5 + ht.hstack",
               "stages": times, "total": sum(times.values()),
               "peak_mib": [r[0] for r in rows],
               "stage_peak_mib": {s: [r[i + 1] for r in rows] for i, s in enumerate(order)},
               "pca_rank": rank, "pca_error": err, "inertia": inertia,
               "kmeans_iter": int(km.n_iter_), "ari": score, "mse": mse, "lasso_iter": lasso_iter,
               "rows": int(X.shape[0]), "features": int(X.shape[1]),
               "peer_version": "heat %s, torch %s" % (ht.__version__, torch.__version__),
               "peer_threads": "torch %d threads per rank" % torch.get_num_threads()}
        with open(out, "w") as f:
            f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
