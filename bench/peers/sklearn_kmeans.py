"""scikit-learn's KMeans on the data bench/cluster_bench.lua generates (the same recipe:
K Gaussian blobs, centres uniform in [-10, 10]^F, unit noise, float32; NumPy's generator,
so the same distribution, not the same bits): the peer measured in the same run.
    python bench/peers/sklearn_kmeans.py [rows] [features] [k]
Prints one line per case: the k-means++ initialisation alone, KMeans fit + predict for
init = "k-means++" and "random" (n_init = 1), seconds, iterations, inertia, ARI."""
import sys
import time

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.metrics import adjusted_rand_score

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
F = int(sys.argv[2]) if len(sys.argv) > 2 else 64
K = int(sys.argv[3]) if len(sys.argv) > 3 else 25

rng = np.random.default_rng(1)
centres = rng.uniform(-10, 10, (K, F)).astype(np.float32)
truth = rng.integers(0, K, N)
X = centres[truth] + rng.standard_normal((N, F), dtype=np.float32)

t0 = time.perf_counter()
kmeans_plusplus(X, K, random_state=0)
print("scikit-learn kmeans_plusplus(%d) on %dx%d float32: %.3f s" % (K, N, F, time.perf_counter() - t0))
for init in ("k-means++", "random"):
    t0 = time.perf_counter()
    km = KMeans(K, init=init, n_init=1, random_state=0).fit(X)
    labels = km.predict(X)
    t = time.perf_counter() - t0
    print("scikit-learn KMeans(%d, init=%s) fit+predict on %dx%d float32: %.3f s, %d iterations, "
          "inertia %.6g, ARI %.4f" % (K, init, N, F, t, km.n_iter_, km.inertia_,
                                      adjusted_rand_score(truth, labels)))
