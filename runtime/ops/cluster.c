/* The k-means family's distributed steps: the assignment step of Lloyd's algorithm (local
 * blocked kernel, then one allreduce of the per-cluster sums) and the rank-local views
 * that batchparallel initialisation clusters on. */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/distance.h"
#include "../spatial.h"

static int same_rows(const char *what, const ht_array *x, const ht_array *a, int ndim) {
  char sx[128], sa[128];
  bool ok = a->ndim == ndim && a->gshape[0] == x->gshape[0] && a->split == (x->split < 0 ? -1 : 0);
  for (int r = 0; ok && x->split >= 0 && r < ht_comm_size(); r++) ok = a->counts[r] == x->counts[r];
  if (!ok || !ht_array_is_contiguous(a) || a->device != HT_CPU)
    return ht_error("kmeans: %s of shape %s (split %d) does not match X of shape %s (split %d)",
                    what, ht_fmt_shape(sa, sizeof sa, a->ndim, a->gshape), a->split,
                    ht_fmt_shape(sx, sizeof sx, x->ndim, x->gshape), x->split);
  return 0;
}

int ht_kmeans_assign(const ht_array *x, const ht_array *c, const ht_array *w,
                     ht_array *labels, ht_array *mind, double *sums, double *wsum,
                     double *inertia, int64_t *changed) {
  char sx[128], sc[128];
  if (x->ndim != 2 || !ht_dtype_is_float(x->dtype) || x->split == 1 || !ht_array_is_contiguous(x) ||
      x->device != HT_CPU)
    return ht_error("kmeans: X must be a contiguous 2-D float array split 0 or replicated, got "
                    "shape %s, dtype %s, split %d", ht_fmt_shape(sx, sizeof sx, x->ndim, x->gshape),
                    ht_dtype_name(x->dtype), x->split);
  if (c->ndim != 2 || c->gshape[1] != x->gshape[1] || c->dtype != x->dtype || c->split >= 0 ||
      !ht_array_is_contiguous(c))
    return ht_error("kmeans: centres of shape %s (dtype %s, split %d) do not fit X of shape %s "
                    "(dtype %s)", ht_fmt_shape(sc, sizeof sc, c->ndim, c->gshape),
                    ht_dtype_name(c->dtype), c->split, ht_fmt_shape(sx, sizeof sx, 2, x->gshape),
                    ht_dtype_name(x->dtype));
  if (w && (same_rows("sample_weight", x, w, 1) ||
            (w->dtype != x->dtype && ht_error("kmeans: sample_weight must have X's dtype"))))
    return -1;
  if (labels && (same_rows("labels", x, labels, 1) ||
                 (labels->dtype != HT_INT64 && ht_error("kmeans: labels must be int64"))))
    return -1;
  if (mind && (same_rows("distances", x, mind, 1) ||
               (mind->dtype != x->dtype && ht_error("kmeans: distances must have X's dtype"))))
    return -1;
  const int64_t k = c->gshape[0], f = x->gshape[1];
  if (k == 0) return ht_error("kmeans: no centres given");
  /* sums, wsum, inertia, changed: one buffer, one allreduce */
  const int64_t nacc = (sums ? k * f + k : 0) + 2;
  double *acc = calloc((size_t)nacc, sizeof(double));
  int64_t ch = 0;
  int status = acc ? 0 : ht_error("kmeans: out of memory");
  if (!status)
    status = ht_cpu_kmeans_assign(x->dtype, x->lshape[0], f, k, ht_array_data(x),
                                  ht_array_data(c), w ? ht_array_data(w) : NULL,
                                  labels ? ht_array_data(labels) : NULL,
                                  mind ? ht_array_data(mind) : NULL, sums ? acc : NULL,
                                  sums ? acc + k * f : NULL, &acc[nacc - 2], &ch);
  if (x->split >= 0) {
    if (ht_comm_agree(status)) return free(acc), -1;
    acc[nacc - 1] = (double)ch; /* exact below 2^53 rows */
    if (ht_comm_allreduce(acc, nacc, HT_FLOAT64, MPI_SUM)) return free(acc), -1;
    ch = (int64_t)acc[nacc - 1];
  } else if (status) {
    return free(acc), -1;
  }
  if (sums) {
    memcpy(sums, acc, sizeof(double) * (size_t)(k * f));
    memcpy(wsum, acc + k * f, sizeof(double) * (size_t)k);
  }
  if (inertia) *inertia = acc[nacc - 2];
  if (changed) *changed = ch;
  free(acc);
  return 0;
}

ht_array *ht_local_rows(const ht_array *x) {
  if (x->ndim != 2 || x->split == 1)
    return ht_error("local_rows: expected a 2-D array split 0 or replicated"), NULL;
  if (x->split < 0) return ht_copy(x);
  ht_array *v = ht_array_view(x);
  if (!v) return NULL;
  free(v->counts);
  v->counts = NULL;
  v->split = -1;
  v->gshape[0] = x->lshape[0];
  ht_array *out = ht_copy(v); /* own contiguous storage */
  ht_array_free(v);
  return out;
}

ht_array *ht_stack_local_rows(const ht_array *local) {
  if (local->ndim != 2 || local->split >= 0)
    return ht_error("stack_local_rows: expected a rank-local 2-D array"), NULL;
  const int p = ht_comm_size();
  int64_t *counts = malloc(sizeof(int64_t) * (size_t)(p + 1));
  if (ht_comm_agree(counts ? 0 : ht_error("stack_local_rows: out of memory"))) return free(counts), NULL;
  int64_t f[2] = {local->lshape[1], -local->lshape[1]};
  if (ht_comm_allreduce_i64(f, 2, MPI_MAX)) return free(counts), NULL;
  if (f[0] != -f[1]) {
    free(counts);
    return ht_error("stack_local_rows: the ranks' local arrays differ in their number of columns"), NULL;
  }
  memset(counts, 0, sizeof(int64_t) * (size_t)p);
  counts[ht_comm_rank()] = local->lshape[0];
  if (ht_comm_allreduce_i64(counts, p, MPI_SUM)) return free(counts), NULL;
  int64_t shape[2] = {0, f[0]};
  for (int r = 0; r < p; r++) shape[0] += counts[r];
  ht_array *out = ht_array_empty_counts(local->dtype, 2, shape, 0, counts, local->device);
  free(counts);
  if (ht_comm_agree(out ? 0 : -1)) return ht_array_free(out), NULL;
  ht_copy_into(out, local);
  return out;
}

/* ---- batchparallel's local phase: no communication until the final agreement ---- */

/* D^2 sampling: the first row whose cumulative mind exceeds u * total (uniform when every
 * row sits on a chosen centre already). */
static int64_t pick_row(const double *mind, int64_t n, double u) {
  double total = 0;
  for (int64_t i = 0; mind && i < n; i++) total += mind[i];
  int64_t idx = (int64_t)(u * (double)n);
  if (total > 0) {
    const double r = u * total;
    double cum = 0;
    for (idx = 0; idx < n - 1; idx++) {
      cum += mind[idx];
      if (cum > r) break;
    }
  }
  return idx < n ? idx : n - 1;
}

static int local_lloyd(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x, void *c,
                       const double *u, int64_t max_iter, double tol) {
  const size_t item = ht_dtype_size(t);
  double *mind = malloc(sizeof(double) * (size_t)n), *sums = malloc(sizeof(double) * (size_t)(k * f + k));
  void *tmp = malloc((size_t)n * item + 64);
  int64_t *labels = malloc(sizeof(int64_t) * (size_t)n);
  int status = mind && sums && tmp && labels ? 0 : ht_error("kmeans: out of memory (local phase)");
  /* k-means++ by D^2 sampling */
  for (int64_t j = 0; j < k && !status; j++) {
    const int64_t row = pick_row(j ? mind : NULL, n, u[j]);
    memcpy((char *)c + (size_t)(j * f) * item, (const char *)x + (size_t)(row * f) * item, (size_t)f * item);
    status = ht_cpu_kmeans_assign(t, n, f, 1, x, (char *)c + (size_t)(j * f) * item, NULL, NULL,
                                  tmp, NULL, NULL, NULL, NULL);
    for (int64_t i = 0; i < n && !status; i++) {
      const double d = ht_get_f64(t, (char *)tmp + (size_t)i * item);
      if (j == 0 || d < mind[i]) mind[i] = d;
    }
  }
  /* tolerance relative to the mean column variance, as scikit-learn's */
  double var = 0;
  for (int64_t q = 0; q < f && !status; q++) {
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++) {
      const double v = ht_get_f64(t, (const char *)x + (size_t)(i * f + q) * item);
      s += v, s2 += v * v;
    }
    var += (s2 - s * s / (double)n) / (double)n;
  }
  const double tol_abs = tol * var / (double)(f ? f : 1);
  for (int64_t i = 0; i < n; i++) labels[i] = -1;
  for (int64_t it = 0; it < max_iter && !status; it++) {
    int64_t changed = 0;
    memset(sums, 0, sizeof(double) * (size_t)(k * f + k));
    status = ht_cpu_kmeans_assign(t, n, f, k, x, c, NULL, labels, NULL, sums, sums + k * f, NULL,
                                  &changed);
    double shift = 0;
    for (int64_t j = 0; j < k && !status; j++) {
      if (sums[k * f + j] == 0) continue; /* an empty local cluster keeps its centre */
      for (int64_t q = 0; q < f; q++) {
        char *p = (char *)c + (size_t)(j * f + q) * item;
        const double nv = sums[j * f + q] / sums[k * f + j], d = nv - ht_get_f64(t, p);
        shift += d * d;
        ht_set_f64(t, p, nv);
      }
    }
    if (changed == 0 || shift <= tol_abs) break;
  }
  free(mind), free(sums), free(tmp), free(labels);
  return status;
}

ht_array *ht_kmeans_local(const ht_array *x, int64_t k, const double *u, int64_t max_iter,
                          double tol) {
  if (x->ndim != 2 || !ht_dtype_is_float(x->dtype) || x->split == 1 || !ht_array_is_contiguous(x))
    return ht_error("kmeans: X must be a contiguous 2-D float array split 0 or replicated"), NULL;
  const int64_t n = x->lshape[0], f = x->gshape[1], m = n < k ? n : k;
  const int64_t shape[2] = {m, f};
  ht_array *c = ht_array_empty(x->dtype, 2, shape, -1, HT_CPU);
  int status = c ? 0 : -1;
  if (!status && n <= k) {
    memcpy(ht_array_data(c), ht_array_data(x), (size_t)(n * f) * ht_dtype_size(x->dtype));
  } else if (!status) {
    status = local_lloyd(x->dtype, n, f, k, ht_array_data(x), ht_array_data(c), u, max_iter, tol);
  }
  if (x->split >= 0 ? ht_comm_agree(status) : status) return ht_array_free(c), NULL;
  return c;
}
