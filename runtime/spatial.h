/* Pairwise distances (ht.spatial) and the k-means family's assignment step (ht.cluster)
 * on distributed row-major matrices. Every function is collective; all return NULL (or -1)
 * with ht_errmsg() set, identically on every rank. */
#ifndef HT_SPATIAL_H
#define HT_SPATIAL_H

#include <stdbool.h>

#include "array.h"

typedef enum {
  HT_DIST_EUCLIDEAN, /* sqrt(sum (x - y)^2) */
  HT_DIST_SQEUCLIDEAN,
  HT_DIST_RBF,       /* exp(-|x - y|^2 / (2 sigma^2)) */
  HT_DIST_MANHATTAN  /* sum |x - y| */
} ht_dist_metric;

/* ---- distances (runtime/ops/distance.c, kernels in runtime/cpu/distance.c) ---- */
/* d[i, j] = metric(x[i], y[j]) for x (n, F) and y (m, F); y NULL: x with itself. Integer
 * inputs become float64, float32 stays float32 (mixed: float64). quadratic: the squared
 * distance as |x|^2 - 2 x.y + |y|^2 through GEMM (negative rounding clamped to 0), else
 * the exact direct form; Manhattan is always direct. The result is split like Heat's:
 * rows of x (split 0) when x is split, columns (split 1) when only y is, else replicated;
 * a split y travels round a ring of the ranks. An array split along its features (1) is
 * first redistributed by rows. */
ht_array *ht_cdist(const ht_array *x, const ht_array *y, ht_dist_metric metric,
                   bool quadratic, double sigma);

/* ---- k-means (runtime/ops/cluster.c) ---- */
/* One assignment step of Lloyd's algorithm: for every row of x (n, F; float32/float64,
 * split 0 or replicated) the nearest of the k rows of c (k, F; replicated, x's dtype),
 * by |x|^2 - 2 x.c + |c|^2 in row blocks (GEMM); near ties (within the expansion's
 * rounding) by the exact float64 distances, exact ties to the lower index. Optional
 * outputs, each NULL when not wanted:
 *   labels  int64 (n,) distributed like x: overwritten; *changed counts rows whose label
 *           differed from the value it held before
 *   mind    x's dtype (n,) like x: squared distance to the chosen centre (direct form)
 *   sums    k*F float64: per-cluster sums of w[i] x[i]; wsum k float64: sum of w[i]
 * w: sample weights (n,) like x in x's dtype, or NULL (all ones). *inertia = sum of
 * w[i] * the exact squared distance to the chosen centre. When x is split the sums, wsum,
 * inertia and changed are global: one allreduce of k*F + k + 2 values. */
int ht_kmeans_assign(const ht_array *x, const ht_array *c, const ht_array *w,
                     ht_array *labels, ht_array *mind, double *sums, double *wsum,
                     double *inertia, int64_t *changed);

/* A rank's memory between the passes of the bounded Lloyd (Hamerly's bounds kept per row
 * of this rank, its weighted per-cluster sums, the centres the bounds refer to). Local
 * memory only: free it from a finalizer. */
typedef struct ht_kmeans_bounds {
  int64_t n, k, f;
  bool valid;                   /* false: the next pass is a full one */
  float *ub, *lb;               /* n each, rounded outwards */
  double *lsums, *cprev;        /* k*F + k sums and weights; k*F */
} ht_kmeans_bounds;
ht_kmeans_bounds *ht_kmeans_bounds_new(void);
void ht_kmeans_bounds_free(ht_kmeans_bounds *b);

/* ht_kmeans_assign for the passes of one Lloyd run: labels (required) and b must be the
 * ones of the previous pass (the first pass, or one after the shapes changed, is a full
 * one). Later passes move each row's bounds by how far the centres went and recompute only
 * the rows whose bounds overlap, so they cost O(n) plus those rows; the sums and weights
 * come from the rank's kept sums, so the allreduce is the same k*F + k + 2 values. The
 * labels, sums and changed are ht_kmeans_assign's for the same centres (sums to rounding:
 * they are updated by the moved rows); *inertia, when not NULL, reads every row. */
int ht_kmeans_assign_bounded(const ht_array *x, const ht_array *c, const ht_array *w,
                             ht_array *labels, ht_kmeans_bounds *b, double *sums, double *wsum,
                             double *inertia, int64_t *changed);

/* Candidates tried per step of greedy k-means++ (scikit-learn's 2 + log k). */
static inline int64_t ht_kmeanspp_trials(int64_t k) {
  int64_t l = 2;
  for (double e = 2.718281828459045; e <= (double)k; e *= 2.718281828459045) l++;
  return l;
}

/* Greedy k-means++ (scikit-learn's) over all rows of x (split 0: collective; replicated:
 * local): k centres, each the best of ht_kmeanspp_trials(k) rows drawn with probability
 * w[i] * (squared distance to the closest centre so far), driven by 1 + (k - 1) * trials
 * uniforms u in [0, 1), the same on every rank, so the centres do not depend on the rank
 * count. w (n,) like x or NULL. Returns k x F replicated centres of x's dtype. */
ht_array *ht_kmeanspp(const ht_array *x, const ht_array *w, int64_t k, const double *u);

/* batchparallel's local phase on this rank's rows cut into nbatch contiguous batches: on
 * each, greedy k-means++ on a strided sample (max(100,000 / (ranks x nbatch), 1000 k)
 * rows), batch b driven by its U = 1 + (k - 1) * ht_kmeanspp_trials(k) uniforms in [0, 1),
 * u[b U, (b + 1) U), then Lloyd iterations (at most max_iter, until no label
 * changes or the squared centre shift is <= tol, an absolute tolerance: the caller scales
 * it by the data's variance) on the batch's rows. Returns a rank-local array (split None)
 * of the batches' centres (min(k, batch rows) each; a rank without rows returns 0 rows) and
 * in *counts the rows of each centre's cluster (float64, the merge's weights). Collective
 * only in that every rank agrees on failures once at the end. */
ht_array *ht_kmeans_local(const ht_array *x, int64_t k, int64_t nbatch, const double *u,
                          int64_t max_iter, double tol, ht_array **counts);

/* The rank's own rows as a replicated-looking array (its shape is the local chunk's, so
 * it differs between ranks): for rank-local work such as batchparallel's local k-means.
 * Only operations that do not communicate may be applied to it. */
ht_array *ht_local_rows(const ht_array *x);
/* The inverse: every rank's 2-D local array stacked by rows into one array split 0
 * (counts gathered). Collective. */
ht_array *ht_stack_local_rows(const ht_array *local);

#endif
