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
 * outputs may be NULL; sums, wsum and inertia are added to; *changed is added to. A row's
 * label is the exact rule's: the nearest centre by sq_row's float64 distance, ties to the
 * lower index (the GEMM expansion decides unless its two best values are within its
 * rounding). */
int ht_cpu_kmeans_assign(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                         const void *c, const void *w, int64_t *labels, void *mind,
                         double *sums, double *wsum, double *inertia, int64_t *changed);

/* One pass of the bounded Lloyd on this rank's rows (ht_kmeans_assign_bounded): full, the
 * pass of ht_cpu_kmeans_assign that also fills ub (the distance to the row's centre) and lb
 * (a lower bound on the distance to every other centre) and puts the rank's weighted sums
 * and weights into lsums (k*f + k); else the bounds are moved by how far each centre went
 * since cprev, and only rows whose bounds overlap get their distances and, when their label
 * changes, move their w x between the clusters of lsums. Labels follow the exact rule of
 * ht_cpu_kmeans_assign (the same labels for the same centres). The bounds are float32,
 * rounded outwards. cprev receives c; *inertia
 * (when not NULL) and *changed are added to. 0 or -1. */
int ht_cpu_kmeans_bounded(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                          const void *c, const void *w, int64_t *labels, bool full, float *ub,
                          float *lb, double *lsums, double *cprev, double *inertia,
                          int64_t *changed);

/* Greedy k-means++'s test of L candidate centres c (L x f): pot[j] += sum_i w[i] *
 * min(mind[i], d_ij) with d_ij = |x[i] - c[j]|^2 from the GEMM expansion in row blocks;
 * mind NULL counts as infinity, w NULL as ones; d (n x L) receives d_ij when not NULL.
 * Chunk partials are added in chunk order (the same bits for any thread count). 0 or -1. */
int ht_cpu_kmeans_potential(ht_dtype t, int64_t n, int64_t f, int64_t L, const void *x,
                            const void *c, const void *w, const double *mind, double *pot,
                            double *d);

/* Lloyd's iterations on x (n x f) from the centres c (k x f, updated in place) until no
 * label moves or the squared centre shift is <= tol (at most max_iter passes), with
 * Hamerly's distance bounds so that passes near the fixed point skip most rows. Unweighted;
 * an empty cluster keeps its centre. labels (n) receives the last assignment, *n_iter the
 * passes. 0 or -1. */
int ht_cpu_kmeans_lloyd(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x, void *c,
                        int64_t max_iter, double tol, int64_t *labels, int64_t *n_iter);

#endif
