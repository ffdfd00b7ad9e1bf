/* The k-means family's distributed steps: the assignment step of Lloyd's algorithm (local
 * blocked kernel, then one allreduce of the per-cluster sums) and the rank-local views
 * that batchparallel initialisation clusters on. */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../device.h"
#include "../cpu/distance.h"
#include "../spatial.h"

static int same_rows(const char *what, const ht_array *x, const ht_array *a, int ndim) {
  char sx[128], sa[128];
  bool ok = a->ndim == ndim && a->gshape[0] == x->gshape[0] && a->split == (x->split < 0 ? -1 : 0);
  for (int r = 0; ok && x->split >= 0 && r < ht_comm_size(); r++) ok = a->counts[r] == x->counts[r];
  if (ht_require_host(a, "kmeans")) return -1;
  if (!ok || !ht_array_is_contiguous(a))
    return ht_error("kmeans: %s of shape %s (split %d) does not match X of shape %s (split %d)",
                    what, ht_fmt_shape(sa, sizeof sa, a->ndim, a->gshape), a->split,
                    ht_fmt_shape(sx, sizeof sx, x->ndim, x->gshape), x->split);
  return 0;
}

/* The bounds' storage for n rows, k centres of f features: (re)allocated, marked for a
 * full pass, when the shapes changed. 0 or -1 (out of memory: not agreed yet). */
static int bounds_fit(ht_kmeans_bounds *b, int64_t n, int64_t k, int64_t f) {
  if (b->ub && b->n == n && b->k == k && b->f == f) return 0;
  free(b->ub), free(b->lsums);
  b->valid = false, b->n = n, b->k = k, b->f = f;
  b->ub = malloc(sizeof(float) * (size_t)(2 * n) + 8);
  b->lsums = malloc(sizeof(double) * (size_t)(2 * k * f + k));
  if (!b->ub || !b->lsums) {
    free(b->ub), free(b->lsums);
    b->ub = NULL, b->lsums = NULL;
    return ht_error("kmeans: out of memory (bounds of %lld rows)", (long long)n);
  }
  b->lb = b->ub + n, b->cprev = b->lsums + k * f + k;
  return 0;
}

ht_kmeans_bounds *ht_kmeans_bounds_new(void) {
  ht_kmeans_bounds *b = calloc(1, sizeof *b);
  if (!b) ht_error("kmeans: out of memory");
  return b;
}

void ht_kmeans_bounds_free(ht_kmeans_bounds *b) {
  if (!b) return;
  free(b->ub), free(b->lsums), free(b);
}

static int assign_op(const ht_array *x, const ht_array *c, const ht_array *w, ht_array *labels,
                     ht_array *mind, ht_kmeans_bounds *b, double *sums, double *wsum,
                     double *inertia, int64_t *changed) {
  char sx[128], sc[128];
  if (ht_require_host(x, "kmeans")) return -1;
  if (x->ndim != 2 || !ht_dtype_is_float(x->dtype) || x->split == 1 || !ht_array_is_contiguous(x))
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
  if (!status && b) status = bounds_fit(b, x->lshape[0], k, f);
  if (!status && b) {
    /* inertia only when asked: it is the one part of a bounded pass that reads every row */
    status = ht_cpu_kmeans_bounded(x->dtype, x->lshape[0], f, k, ht_array_data(x),
                                   ht_array_data(c), w ? ht_array_data(w) : NULL,
                                   ht_array_data(labels), !b->valid, b->ub, b->lb, b->lsums,
                                   b->cprev, inertia ? &acc[nacc - 2] : NULL, &ch);
    b->valid = !status;
    if (!status && sums) memcpy(acc, b->lsums, sizeof(double) * (size_t)(k * f + k));
  } else if (!status) {
    status = ht_cpu_kmeans_assign(x->dtype, x->lshape[0], f, k, ht_array_data(x),
                                  ht_array_data(c), w ? ht_array_data(w) : NULL,
                                  labels ? ht_array_data(labels) : NULL,
                                  mind ? ht_array_data(mind) : NULL, sums ? acc : NULL,
                                  sums ? acc + k * f : NULL, &acc[nacc - 2], &ch);
  }
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

int ht_kmeans_assign(const ht_array *x, const ht_array *c, const ht_array *w,
                     ht_array *labels, ht_array *mind, double *sums, double *wsum,
                     double *inertia, int64_t *changed) {
  return assign_op(x, c, w, labels, mind, NULL, sums, wsum, inertia, changed);
}

int ht_kmeans_assign_bounded(const ht_array *x, const ht_array *c, const ht_array *w,
                             ht_array *labels, ht_kmeans_bounds *b, double *sums, double *wsum,
                             double *inertia, int64_t *changed) {
  if (!labels) return ht_error("kmeans: the bounded assignment needs the labels array");
  return assign_op(x, c, w, labels, NULL, b, sums, wsum, inertia, changed);
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

/* ---- greedy k-means++ (scikit-learn's), rank-local or over the rows of a split array ---- */

/* the sampling weight of row i: w[i] * mind[i], either factor 1 when NULL */
static inline double weight(ht_dtype t, const void *w, const double *mind, int64_t i) {
  return (w ? ht_get_f64(t, (const char *)w + (size_t)i * ht_dtype_size(t)) : 1.0) *
         (mind ? mind[i] : 1.0);
}

/* D^2 sampling of L rows into cand (L x f, replicated when dist): for target u[l] * total,
 * the first row in global order whose cumulative weight w[i] * mind[i] exceeds it (the
 * first centre: mind NULL, by w as scikit-learn >= 1.3); uniform over the global rows when
 * every weight is 0 or there are none. Only the owner of a row
 * writes it, so the allreduce of cand adds zeros: exact. Collective when dist. */
static int sample_rows(ht_dtype t, int64_t n, int64_t f, const void *x, const void *w,
                       const double *mind, const double *u, int64_t L, bool dist, void *cand) {
  const int p = dist ? ht_comm_size() : 1, me = dist ? ht_comm_rank() : 0;
  const size_t item = ht_dtype_size(t), row = (size_t)f * item;
  double *g = calloc((size_t)(2 * p), sizeof(double)); /* local totals, then row counts */
  int status = g ? 0 : ht_error("kmeans++: out of memory");
  if (dist && ht_comm_agree(status)) return free(g), -1;
  if (status) return -1;
  double tl = 0;
  for (int64_t i = 0; (mind || w) && i < n; i++) tl += weight(t, w, mind, i);
  g[me] = tl, g[p + me] = (double)n; /* row counts exact below 2^53 */
  if (dist && ht_comm_allreduce(g, 2 * p, HT_FLOAT64, MPI_SUM)) return free(g), -1;
  double total = 0, off = 0, nglob = 0, roff = 0;
  for (int r = 0; r < p; r++) {
    if (r == me) off = total, roff = nglob;
    total += g[r], nglob += g[p + r];
  }
  memset(cand, 0, (size_t)L * row);
  for (int64_t l = 0; l < L; l++) {
    int64_t idx = -1; /* local row this rank contributes, if any */
    if (total > 0) {
      const double target = u[l] * total;
      int owner = -1, last = -1;
      double cum = 0;
      for (int r = 0; r < p && owner < 0; r++) {
        if (g[r] > 0) last = r;
        if (g[r] > 0 && cum + g[r] > target) owner = r;
        cum += g[r];
      }
      if (owner < 0) owner = last; /* rounding: target at the very end */
      if (owner == me) {
        const double rt = target - off;
        double c = 0;
        for (idx = 0; idx < n - 1; idx++) {
          c += weight(t, w, mind, idx);
          if (c > rt) break;
        }
      }
    } else {
      int64_t gi = (int64_t)(u[l] * nglob);
      if (gi > (int64_t)nglob - 1) gi = (int64_t)nglob - 1;
      if (gi >= (int64_t)roff && gi < (int64_t)roff + n) idx = gi - (int64_t)roff;
    }
    if (idx >= 0) memcpy((char *)cand + (size_t)l * row, (const char *)x + (size_t)idx * row, row);
  }
  free(g);
  return dist ? ht_comm_allreduce(cand, L * f, t, MPI_SUM) : 0;
}

/* Greedy k-means++: each step draws L = ht_kmeanspp_trials(k) candidates by D^2 sampling
 * and keeps the one that lowers the potential sum_i w[i] min(mind[i], |x[i] - c|^2) most.
 * Two passes over the local rows per centre (sampling over mind, one GEMM pass for the L
 * candidates that also keeps their distances, n x L doubles, for the update of mind).
 * u: 1 + (k - 1) L uniforms, the same on every rank. dist: the rows of all ranks together
 * (collective, every failure agreed); else this rank's rows alone. */
static int greedy_pp(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x, const void *w,
                     const double *u, bool dist, void *c) {
  const size_t row = (size_t)f * ht_dtype_size(t);
  const int64_t L = ht_kmeanspp_trials(k);
  char *cand = malloc((size_t)L * row + 64);
  double *pot = malloc(sizeof(double) * (size_t)L);
  double *mind = malloc(sizeof(double) * (size_t)n + 8), *d = malloc(sizeof(double) * (size_t)(n * L) + 8);
  int status = cand && pot && mind && d ? 0 : ht_error("kmeans++: out of memory (%lld x %lld "
                                                       "distances)", (long long)n, (long long)L);
  for (int64_t j = 0; j < k; j++) {
    const int64_t nc = j == 0 ? 1 : L;
    if (dist && ht_comm_agree(status)) status = -1;
    if (status) break;
    status = sample_rows(t, n, f, x, w, j == 0 ? NULL : mind, j == 0 ? u : u + 1 + (j - 1) * L,
                         nc, dist, cand);
    if (status) break; /* collective failures are already agreed */
    memset(pot, 0, sizeof(double) * (size_t)nc);
    status = ht_cpu_kmeans_potential(t, n, f, nc, x, cand, w, j == 0 ? NULL : mind, pot,
                                     j == 0 ? mind : d);
    if (dist && ht_comm_agree(status)) status = -1;
    if (status || (dist && ht_comm_allreduce(pot, nc, HT_FLOAT64, MPI_SUM))) break;
    int64_t best = 0;
    for (int64_t l = 1; l < nc; l++) if (pot[l] < pot[best]) best = l;
    memcpy((char *)c + (size_t)j * row, cand + (size_t)best * row, row);
    if (j > 0)
      for (int64_t i = 0; i < n; i++) {
        const double v = d[i * L + best];
        if (v < mind[i]) mind[i] = v;
      }
  }
  free(cand), free(pot), free(mind), free(d);
  return status ? -1 : 0;
}

ht_array *ht_kmeanspp(const ht_array *x, const ht_array *w, int64_t k, const double *u) {
  char sx[128];
  if (ht_require_host(x, "kmeans++")) return NULL;
  if (x->ndim != 2 || !ht_dtype_is_float(x->dtype) || x->split == 1 || !ht_array_is_contiguous(x))
    return ht_error("kmeans++: X must be a contiguous 2-D float array split 0 or replicated, got "
                    "shape %s, dtype %s, split %d", ht_fmt_shape(sx, sizeof sx, x->ndim, x->gshape),
                    ht_dtype_name(x->dtype), x->split), NULL;
  if (k < 1 || k > x->gshape[0])
    return ht_error("kmeans++: n_clusters=%lld must be in [1, %lld] (the rows of X)", (long long)k,
                    (long long)x->gshape[0]), NULL;
  if (w && (same_rows("sample_weight", x, w, 1) ||
            (w->dtype != x->dtype && ht_error("kmeans++: sample_weight must have X's dtype"))))
    return NULL;
  const int64_t shape[2] = {k, x->gshape[1]};
  ht_array *c = ht_array_empty(x->dtype, 2, shape, -1, HT_CPU);
  const bool dist = x->split >= 0;
  if (dist && ht_comm_agree(c ? 0 : -1)) return ht_array_free(c), NULL;
  if (!c) return NULL;
  if (greedy_pp(x->dtype, x->lshape[0], x->gshape[1], k, ht_array_data(x),
                w ? ht_array_data(w) : NULL, u, dist, ht_array_data(c)))
    return ht_array_free(c), NULL;
  return c;
}

/* The batchparallel local phase on one batch of rows: k-means++ and Lloyd on a strided
 * sample of ns rows, then Lloyd on all of them, both with Hamerly's bounds
 * (ht_cpu_kmeans_lloyd). From a k-means++ start that shares a true cluster between two
 * centres Lloyd crawls: tens of passes that move a few hundred rows each. On the sample the
 * crawl costs ns/n of a pass, and the bounds make the remaining full passes near the fixed
 * point skip almost every row. cnt (k) receives the cluster sizes. */
static int local_lloyd(ht_dtype t, int64_t n, int64_t f, int64_t k, int64_t ns, const void *x,
                       void *c, double *cnt, const double *u, int64_t max_iter, double tol) {
  const size_t item = ht_dtype_size(t);
  if (ns > n) ns = n;
  char *xs = ns < n ? malloc((size_t)(ns * f) * item + 64) : (char *)x;
  int64_t *labels = malloc(sizeof(int64_t) * (size_t)n + 8);
  int status = labels && xs ? 0 : ht_error("kmeans: out of memory (local phase)");
  if (!status && ns < n)
    for (int64_t i = 0; i < ns; i++)
      memcpy(xs + (size_t)(i * f) * item, (const char *)x + (size_t)((i * n / ns) * f) * item,
             (size_t)f * item);
  if (!status) status = greedy_pp(t, ns, f, k, xs, NULL, u, false, c);
  if (!status && ns < n)
    status = ht_cpu_kmeans_lloyd(t, ns, f, k, xs, c, max_iter, tol, labels, NULL);
  if (xs != x) free(xs);
  if (!status) status = ht_cpu_kmeans_lloyd(t, n, f, k, x, c, max_iter, tol, labels, NULL);
  memset(cnt, 0, sizeof(double) * (size_t)k);
  for (int64_t i = 0; !status && i < n; i++) cnt[labels[i]] += 1;
  free(labels);
  return status;
}

ht_array *ht_kmeans_local(const ht_array *x, int64_t k, int64_t nbatch, const double *u,
                          int64_t max_iter, double tol, ht_array **counts) {
  *counts = NULL;
  if (x->ndim != 2 || !ht_dtype_is_float(x->dtype) || x->split == 1 || !ht_array_is_contiguous(x))
    return ht_error("kmeans: X must be a contiguous 2-D float array split 0 or replicated"), NULL;
  if (nbatch < 1) return ht_error("kmeans: batches must be >= 1, got %lld", (long long)nbatch), NULL;
  const size_t item = ht_dtype_size(x->dtype);
  const int64_t n = x->lshape[0], f = x->gshape[1];
  /* each batch's rows: [b n / nbatch, (b + 1) n / nbatch); it yields min(k, its rows) centres */
  int64_t m = 0;
  for (int64_t b = 0; b < nbatch; b++) {
    const int64_t nb = (b + 1) * n / nbatch - b * n / nbatch;
    m += nb < k ? nb : k;
  }
  /* the sample of all batches of all ranks together: max(100,000, 1000 k) rows, at least
   * 1000 k per batch, so the work of the sample phase shrinks as ranks are added */
  const int64_t p = x->split >= 0 ? ht_comm_size() : 1;
  int64_t ns = 100000 / (p * nbatch);
  if (ns < 1000 * k) ns = 1000 * k;
  const int64_t shape[2] = {m, f};
  ht_array *c = ht_array_empty(x->dtype, 2, shape, -1, HT_CPU);
  ht_array *cnt = ht_array_empty(HT_FLOAT64, 1, shape, -1, HT_CPU);
  int status = c && cnt ? 0 : -1;
  for (int64_t b = 0, row = 0; !status && b < nbatch; b++) {
    const int64_t i0 = b * n / nbatch, nb = (b + 1) * n / nbatch - i0;
    const char *xb = (const char *)ht_array_data(x) + (size_t)(i0 * f) * item;
    char *cb = (char *)ht_array_data(c) + (size_t)(row * f) * item;
    double *wb = (double *)ht_array_data(cnt) + row;
    if (nb <= k) {
      memcpy(cb, xb, (size_t)(nb * f) * item);
      for (int64_t i = 0; i < nb; i++) wb[i] = 1;
    } else {
      status = local_lloyd(x->dtype, nb, f, k, ns, xb, cb, wb, u + b * (1 + (k - 1) * ht_kmeanspp_trials(k)),
                           max_iter, tol);
    }
    row += nb < k ? nb : k;
  }
  if (x->split >= 0 ? ht_comm_agree(status) : status) {
    ht_array_free(c), ht_array_free(cnt);
    return NULL;
  }
  *counts = cnt;
  return c;
}
