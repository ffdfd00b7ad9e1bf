/* Local kernels of ht.spatial and ht.cluster on row-major float32/float64 blocks. */
#ifndef HT_CPU_DISTANCE_H
#define HT_CPU_DISTANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "../dtype.h"
#include "../spatial.h"

/* out[i, j] (leading dimension ldo) = metric(x[i], y[j]) for x nx x f and y ny x f, both
 * contiguous. quadratic: GEMM expansion in row blocks; else direct, accumulated in
 * float64. 0, or -1 (allocation of the norms failed). */
int ht_cpu_dist(ht_dtype t, ht_dist_metric m, bool quadratic, double sigma, int64_t nx,
                int64_t ny, int64_t f, const void *x, const void *y, void *out, int64_t ldo);

/* The local part of ht_kmeans_assign (see spatial.h): x n x f, c k x f, w n or NULL; the
 * outputs may be NULL; sums, wsum and inertia are added to; *changed is added to. */
int ht_cpu_kmeans_assign(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                         const void *c, const void *w, int64_t *labels, void *mind,
                         double *sums, double *wsum, double *inertia, int64_t *changed);

#endif
