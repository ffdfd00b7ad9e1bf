/* Local distance kernels: the GEMM expansion |x|^2 - 2 x.y + |y|^2 in row blocks, the
 * direct forms, and the nearest-centre step of k-means with its per-cluster sums. */
#include "distance.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "blas.h"
#include "dist_direct.h"

/* Rows per block: a block of distances stays within about 1 MiB (cache-sized), so the
 * post-processing reads what the GEMM just wrote. */
static int64_t block_rows(int64_t cols, size_t item) {
  int64_t b = (int64_t)((1 << 20) / ((size_t)(cols > 0 ? cols : 1) * item));
  return b < 16 ? 16 : b;
}

/* Squared distance of two rows (squared norm when b is NULL), accumulated in float64 over
 * 8 independent partial sums: one running sum made the FP-add latency the assignment
 * step's bottleneck. A fixed order, so the same bits for any thread or rank count. */
#define HT_SQ_BODY(T)                                                                      \
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                   \
  int64_t q = 0;                                                                           \
  for (; q + 8 <= f; q += 8)                                                               \
    for (int u = 0; u < 8; u++) {                                                          \
      const double d = (double)a[q + u] - (b ? (double)b[q + u] : 0.0);                    \
      s[u] += d * d;                                                                       \
    }                                                                                      \
  for (int u = 0; q < f; q++, u++) {                                                       \
    const double d = (double)a[q] - (b ? (double)b[q] : 0.0);                              \
    s[u] += d * d;                                                                         \
  }                                                                                        \
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
static inline double sq_f32(const float *a, const float *b, int64_t f) { HT_SQ_BODY(float) }
static inline double sq_f64(const double *a, const double *b, int64_t f) { HT_SQ_BODY(double) }
#undef HT_SQ_BODY

static inline double sq_row(ht_dtype t, const void *a, const void *b, int64_t f) {
  return t == HT_FLOAT32 ? sq_f32(a, b, f) : sq_f64(a, b, f);
}

static void row_norms(ht_dtype t, int64_t n, int64_t f, const void *x, double *out) {
  const size_t row = (size_t)f * ht_dtype_size(t);
#pragma omp parallel for schedule(static) if (n * f > 65536)
  for (int64_t i = 0; i < n; i++) out[i] = sq_row(t, (const char *)x + (size_t)i * row, NULL, f);
}

static inline double finish(ht_dist_metric m, double d2, double gamma) {
  switch (m) {
  case HT_DIST_EUCLIDEAN: return sqrt(d2);
  case HT_DIST_RBF: return exp(-d2 * gamma);
  default: return d2;
  }
}

static inline double direct_pair(ht_dtype t, ht_dist_metric m, int64_t f, const void *x,
                                 const void *y) {
  double s = 0;
  if (t == HT_FLOAT32) {
    const float *a = x, *b = y;
    if (m != HT_DIST_MANHATTAN) return sq_f32(a, b, f);
    for (int64_t j = 0; j < f; j++) s += fabs((double)a[j] - b[j]);
  } else {
    const double *a = x, *b = y;
    if (m != HT_DIST_MANHATTAN) return sq_f64(a, b, f);
    for (int64_t j = 0; j < f; j++) s += fabs(a[j] - b[j]);
  }
  return s;
}

int ht_cpu_dist(ht_dtype t, ht_dist_metric m, bool quadratic, double sigma, int64_t nx,
                int64_t ny, int64_t f, const void *x, const void *y, void *out, int64_t ldo) {
  const size_t item = ht_dtype_size(t);
  const double gamma = 1.0 / (2.0 * sigma * sigma);
  if (nx == 0 || ny == 0) return 0;
  if (!quadratic || m == HT_DIST_MANHATTAN) {
    /* the vector kernel, same bits; the plain loop below where it does not run */
    const int rc = ht_dist_direct(t, m, gamma, nx, ny, f, x, y, out, ldo);
    if (rc) return rc < 0 ? -1 : 0;
#pragma omp parallel for schedule(dynamic, 16)
    for (int64_t i = 0; i < nx; i++)
      for (int64_t j = 0; j < ny; j++) {
        double d = direct_pair(t, m, f, (const char *)x + (size_t)(i * f) * item,
                               (const char *)y + (size_t)(j * f) * item);
        ht_set_f64(t, (char *)out + (size_t)(i * ldo + j) * item, finish(m, d, gamma));
      }
    return 0;
  }
  double *xn = malloc(sizeof(double) * (size_t)(nx + ny));
  if (!xn) return ht_error("cdist: out of memory (%lld norms)", (long long)(nx + ny));
  double *yn = xn + nx;
  row_norms(t, nx, f, x, xn);
  row_norms(t, ny, f, y, yn);
  /* blocks of rows in parallel, each thread's GEMM single-threaded (see ht_blas_threads) */
  const int64_t B = block_rows(ny, item), nblk = (nx + B - 1) / B;
  const int bt = ht_blas_threads();
  int status = 0;
  if (omp_get_max_threads() > 1 && nblk > 1) ht_blas_set_threads(1);
#pragma omp parallel for schedule(dynamic, 1) reduction(| : status) if (nblk > 1)
  for (int64_t b = 0; b < nblk; b++) {
    const int64_t i0 = b * B, nb = nx - i0 < B ? nx - i0 : B;
    char *o = (char *)out + (size_t)(i0 * ldo) * item;
    status |= ht_blas_gemm(t, false, true, nb, ny, f, -2.0,
                           (const char *)x + (size_t)(i0 * f) * item, f, y, f, 0.0, o, ldo);
    for (int64_t i = 0; i < nb; i++) {
      if (t == HT_FLOAT32) {
        float *r = (float *)o + i * ldo;
        for (int64_t j = 0; j < ny; j++) {
          double d = (double)r[j] + xn[i0 + i] + yn[j];
          r[j] = (float)finish(m, d > 0 ? d : 0, gamma);
        }
      } else {
        double *r = (double *)o + i * ldo;
        for (int64_t j = 0; j < ny; j++) {
          double d = r[j] + xn[i0 + i] + yn[j];
          r[j] = finish(m, d > 0 ? d : 0, gamma);
        }
      }
    }
  }
  ht_blas_set_threads(bt);
  free(xn);
  return status ? -1 : 0;
}

/* ---- k-means ---- */

typedef struct assign_job {
  ht_dtype t;
  int64_t f, k;
  const void *x, *c, *w;
  const double *cn;
  double cnmax;
  int64_t *labels;
  void *mind;
  float *ub, *lb; /* the bounded Lloyd's bounds (n each), or NULL */
} assign_job;

/* Row i's exact squared distances to all k centres (sq_row, ties to the lower index): the
 * label of the exact rule; *b1, *b2 the best and second best. */
static int64_t exact_row(ht_dtype t, int64_t f, int64_t k, const void *xr, const void *c,
                         double *b1, double *b2) {
  const size_t item = ht_dtype_size(t);
  double d1 = INFINITY, d2 = INFINITY;
  int64_t best = 0;
  for (int64_t q = 0; q < k; q++) {
    const double d = sq_row(t, xr, (const char *)c + (size_t)(q * f) * item, f);
    if (d < d1) d2 = d1, d1 = d, best = q;
    else if (d < d2) d2 = d;
  }
  *b1 = d1, *b2 = d2;
  return best;
}

/* The bounded Lloyd keeps its bounds in float32 (8 bytes a row, not 16): an upper bound
 * rounded up, a lower bound rounded down (distances are >= 0, so 0 is a valid one). */
static inline float bound_up(double v) { return (float)(v * (1 + 0x1p-22)); }
static inline float bound_down(double v) {
  return v <= 0 ? 0.0f : v > 3.0e38 ? 3.0e38f : (float)(v * (1 - 0x1p-22));
}

/* A bound on the rounding of the GEMM expansion's values v_c = -2 x.c + |c|^2 (|x|^2 left
 * out), 2 (f + 2) u (|x|^2 + max |c|^2), with |x|^2 <= 2 d + 2 max |c|^2 for d the exact
 * squared distance to any centre: when the second-best value exceeds the best by more, the
 * expansion's argmin is the exact one. */
static inline double expansion_margin(ht_dtype t, int64_t f, double d, double cnmax) {
  const double u = t == HT_FLOAT32 ? 0x1p-24 : 0x1p-53;
  return 2.0 * (double)(f + 2) * u * (2.0 * d + 3.0 * cnmax);
}

/* Rows [i0, i0 + nb) against the GEMM block d (nb x k holding -2 x.c). Returns the local
 * inertia and adds to the thread's sums; *changed counts relabelled rows. */
static double assign_rows(const assign_job *j, int64_t i0, int64_t nb, const void *d,
                          double *sums, double *wsum, int64_t *changed) {
  double inertia = 0;
  const size_t item = ht_dtype_size(j->t);
  for (int64_t i = 0; i < nb; i++) {
    const int64_t row = i0 + i;
    int64_t best = 0;
    double bd = INFINITY, b2 = INFINITY;
    if (j->t == HT_FLOAT32) {
      const float *g = (const float *)d + i * j->k;
      for (int64_t c = 0; c < j->k; c++) {
        const double v = (double)g[c] + j->cn[c];
        if (v < bd) b2 = bd, bd = v, best = c;
        else if (v < b2) b2 = v;
      }
    } else {
      const double *g = (const double *)d + i * j->k;
      for (int64_t c = 0; c < j->k; c++) {
        const double v = g[c] + j->cn[c];
        if (v < bd) b2 = bd, bd = v, best = c;
        else if (v < b2) b2 = v;
      }
    }
    const char *xr = (const char *)j->x + (size_t)(row * j->f) * item;
    double d2 = sq_row(j->t, xr, (const char *)j->c + (size_t)(best * j->f) * item, j->f);
    /* labels follow the exact rule: a near tie of the expansion is settled by the exact
     * distances, so the bounded Lloyd (which uses them) assigns every row the same way */
    const double margin = expansion_margin(j->t, j->f, d2, j->cnmax);
    double lo2 = d2 + (b2 - bd) - margin; /* <= the exact second best */
    if (b2 - bd <= margin) best = exact_row(j->t, j->f, j->k, xr, j->c, &d2, &lo2);
    if (j->ub) j->ub[row] = bound_up(sqrt(d2)), j->lb[row] = bound_down(lo2 > 0 ? sqrt(lo2) : 0);
    const double wi = j->w ? ht_get_float(j->t, j->w, row) : 1.0;
    inertia += wi * d2;
    if (j->labels) {
      if (j->labels[row] != best) (*changed)++;
      j->labels[row] = best;
    }
    if (j->mind) ht_set_f64(j->t, (char *)j->mind + (size_t)row * item, d2);
    if (sums) {
      double *s = sums + best * j->f;
      if (j->t == HT_FLOAT32)
        for (int64_t q = 0; q < j->f; q++) s[q] += wi * ((const float *)xr)[q];
      else
        for (int64_t q = 0; q < j->f; q++) s[q] += wi * ((const double *)xr)[q];
      wsum[best] += wi;
    }
  }
  return inertia;
}

static int assign_pass(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                       const void *c, const void *w, int64_t *labels, void *mind, float *ub,
                       float *lb, double *sums, double *wsum, double *inertia,
                       int64_t *changed);

/* Rows are cut into at most this many chunks whatever the thread count; partial sums are
 * kept per chunk and added in chunk order, so results are bitwise the same for any number
 * of threads (ranks holding a replicated array must agree to the last bit). */
#define HT_KM_CHUNKS 64

/* The chunks nblk blocks of rows are cut into: one per block, at least 1, at most HT_KM_CHUNKS. */
static int64_t km_chunks(int64_t nblk) {
  return nblk < HT_KM_CHUNKS ? (nblk > 0 ? nblk : 1) : HT_KM_CHUNKS;
}

int ht_cpu_kmeans_assign(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                         const void *c, const void *w, int64_t *labels, void *mind,
                         double *sums, double *wsum, double *inertia, int64_t *changed) {
  return assign_pass(t, n, f, k, x, c, w, labels, mind, NULL, NULL, sums, wsum, inertia, changed);
}

static int assign_pass(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                       const void *c, const void *w, int64_t *labels, void *mind, float *ub,
                       float *lb, double *sums, double *wsum, double *inertia,
                       int64_t *changed) {
  const size_t item = ht_dtype_size(t);
  const int64_t B = block_rows(k, item), nblk = (n + B - 1) / B;
  const int64_t nch = km_chunks(nblk);
  const int nt = omp_get_max_threads();
  const int64_t per = (sums ? k * f + k : 0) + 2, bsz = (n < B ? n : B) * k;
  double *cn = malloc(sizeof(double) * (size_t)k);
  char *d = malloc((size_t)(nt * bsz) * item + 64); /* one block of distances per thread */
  double *acc = calloc((size_t)(nch * per), sizeof(double));
  if (!cn || !d || !acc) {
    free(cn), free(d), free(acc);
    return ht_error("kmeans: out of memory (%d blocks of %lld x %lld distances)", nt,
                    (long long)B, (long long)k);
  }
  row_norms(t, k, f, c, cn);
  double cnmax = 0;
  for (int64_t q = 0; q < k; q++) cnmax = cn[q] > cnmax ? cn[q] : cnmax;
  assign_job j = {t, f, k, x, c, w, cn, cnmax, labels, mind, ub, lb};
  int status = 0;
  /* chunks in parallel, each thread's GEMM single-threaded (see ht_blas_threads) */
  const int bt = ht_blas_threads();
  if (nt > 1 && nch > 1) ht_blas_set_threads(1);
#pragma omp parallel for schedule(dynamic, 1) reduction(| : status) if (nch > 1)
  for (int64_t ch = 0; ch < nch; ch++) {
    char *db = d + (size_t)(omp_get_thread_num() * bsz) * item;
    double *a = acc + ch * per, *s = sums ? a : NULL;
    int64_t moved = 0;
    /* whole blocks per chunk: the chunk's first block index is ch * nblk / nch */
    for (int64_t b = ch * nblk / nch; b < (ch + 1) * nblk / nch && !status; b++) {
      const int64_t i0 = b * B, nb = n - i0 < B ? n - i0 : B;
      int rc = ht_blas_gemm(t, false, true, nb, k, f, -2.0,
                            (const char *)x + (size_t)(i0 * f) * item, f, c, f, 0.0, db, k);
      status |= rc;
      if (!rc) a[per - 2] += assign_rows(&j, i0, nb, db, s, s ? s + k * f : NULL, &moved);
    }
    a[per - 1] = (double)moved;
  }
  ht_blas_set_threads(bt);
  double in = 0;
  int64_t moved = 0;
  for (int64_t ch = 0; ch < nch; ch++) {
    const double *a = acc + ch * per;
    if (sums) {
      for (int64_t q = 0; q < k * f; q++) sums[q] += a[q];
      for (int64_t q = 0; q < k; q++) wsum[q] += a[k * f + q];
    }
    in += a[per - 2], moved += (int64_t)a[per - 1];
  }
  if (inertia) *inertia += in;
  if (changed) *changed += moved;
  free(cn), free(d), free(acc);
  return status ? -1 : 0;
}

/* Adds w x (row xr) to cluster `to`'s sums and weight in ds (k*f sums, then k weights) and
 * takes it from cluster `from` (-1: none). */
static void move_row(ht_dtype t, int64_t f, int64_t k, const void *xr, double wi, int64_t from,
                     int64_t to, double *ds) {
  double *dw = ds + k * f;
  for (int64_t q = 0; q < f; q++) {
    const double v = wi * ht_get_float(t, xr, q);
    if (from >= 0) ds[from * f + q] -= v;
    ds[to * f + q] += v;
  }
  if (from >= 0) dw[from] -= wi;
  dw[to] += wi;
}

int ht_cpu_kmeans_bounded(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                          const void *c, const void *w, int64_t *labels, bool full, float *ub,
                          float *lb, double *lsums, double *cprev, double *inertia,
                          int64_t *changed) {
  const size_t item = ht_dtype_size(t);
  int status = 0;
  if (full) {
    memset(lsums, 0, sizeof(double) * (size_t)(k * f + k));
    status = assign_pass(t, n, f, k, x, c, w, labels, NULL, ub, lb, lsums, lsums + k * f,
                         inertia, changed);
  } else {
    /* the same chunks and blocks as assign_pass, so the inertia is added in its order */
    const int64_t B = block_rows(k, item), nblk = (n + B - 1) / B;
    const int64_t nch = km_chunks(nblk);
    const int64_t per = k * f + k + 2;
    double *acc = calloc((size_t)(nch * per + k), sizeof(double));
    if (!acc) return ht_error("kmeans: out of memory (%lld x %lld partial sums)", (long long)nch,
                              (long long)per);
    /* how far each centre moved: upper bounds grow by their centre's move, lower bounds
     * shrink by the largest move of another centre */
    double *delta = acc + nch * per, dmax = 0, dmax2 = 0;
    int64_t jmax = -1;
    for (int64_t q = 0; q < k; q++) {
      double d2 = 0;
      for (int64_t p = 0; p < f; p++) {
        const double d = ht_get_float(t, c, q * f + p) - cprev[q * f + p];
        d2 += d * d;
      }
      delta[q] = sqrt(d2);
      if (delta[q] > dmax) dmax2 = dmax, dmax = delta[q], jmax = q;
      else if (delta[q] > dmax2) dmax2 = delta[q];
    }
    const double e = 1e-12; /* slack against the rounding of sqrt, deltas and sq_row */
#pragma omp parallel for schedule(dynamic, 1) if (nch > 1 && n > 65536)
    for (int64_t ch = 0; ch < nch; ch++) {
      double *ds = acc + ch * per;
      int64_t moved = 0;
      for (int64_t b = ch * nblk / nch; b < (ch + 1) * nblk / nch; b++) {
        const int64_t i0 = b * B, i1 = n - i0 < B ? n : i0 + B;
        double in = 0;
        for (int64_t i = i0; i < i1; i++) {
          const int64_t l = labels[i];
          const char *xr = (const char *)x + (size_t)(i * f) * item;
          double u = (ub[i] + delta[l]) * (1 + e);
          double lo = lb[i] * (1 - e) - (l == jmax ? dmax2 : dmax) * (1 + e);
          if (!(u < lo)) {
            u = sqrt(sq_row(t, xr, (const char *)c + (size_t)(l * f) * item, f));
            if (!(u < lo)) {
              double d1, d2;
              const int64_t best = exact_row(t, f, k, xr, c, &d1, &d2);
              u = sqrt(d1), lo = sqrt(d2);
              if (best != l) {
                move_row(t, f, k, xr, w ? ht_get_float(t, w, i) : 1.0, l, best, ds);
                labels[i] = best, moved++;
              }
            }
          }
          ub[i] = bound_up(u), lb[i] = bound_down(lo);
          if (inertia)
            in += (w ? ht_get_float(t, w, i) : 1.0) *
                  sq_row(t, xr, (const char *)c + (size_t)(labels[i] * f) * item, f);
        }
        ds[per - 2] += in;
      }
      ds[per - 1] = (double)moved;
    }
    /* chunk deltas in chunk order: the same bits for any thread count */
    double in = 0;
    int64_t moved = 0;
    for (int64_t ch = 0; ch < nch; ch++) {
      const double *ds = acc + ch * per;
      for (int64_t q = 0; q < k * f + k; q++) lsums[q] += ds[q];
      in += ds[per - 2], moved += (int64_t)ds[per - 1];
    }
    if (inertia) *inertia += in;
    if (changed) *changed += moved;
    free(acc);
  }
  if (!status)
    for (int64_t q = 0; q < k * f; q++) cprev[q] = ht_get_float(t, c, q);
  return status;
}

/* Rows [i0, i0 + nb) against the GEMM block g (nb x L holding -2 x.c): adds to pot[j] the
 * weighted min(mind, d_ij) and stores d_ij in d (n x L) when asked. */
static void potential_rows(ht_dtype t, int64_t i0, int64_t nb, int64_t f, int64_t L,
                           const void *x, const void *g, const double *cn, const void *w,
                           const double *mind, double *pot, double *d) {
  for (int64_t i = 0; i < nb; i++) {
    const int64_t row = i0 + i;
    const double xn = sq_row(t, (const char *)x + (size_t)(row * f) * ht_dtype_size(t), NULL, f);
    const double m = mind ? mind[row] : INFINITY, wi = w ? ht_get_float(t, w, row) : 1.0;
    for (int64_t j = 0; j < L; j++) {
      double v = ht_get_float(t, g, i * L + j) + xn + cn[j];
      v = v > 0 ? v : 0;
      if (d) d[row * L + j] = v;
      pot[j] += wi * (v < m ? v : m);
    }
  }
}

int ht_cpu_kmeans_potential(ht_dtype t, int64_t n, int64_t f, int64_t L, const void *x,
                            const void *c, const void *w, const double *mind, double *pot,
                            double *d) {
  const size_t item = ht_dtype_size(t);
  const int64_t B = block_rows(L, item), nblk = (n + B - 1) / B;
  const int64_t nch = km_chunks(nblk);
  const int nt = omp_get_max_threads();
  const int64_t bsz = (n < B ? n : B) * L;
  double *cn = malloc(sizeof(double) * (size_t)L), *acc = calloc((size_t)(nch * L), sizeof(double));
  char *g = malloc((size_t)(nt * bsz) * item + 64); /* one GEMM block per thread */
  if (!cn || !acc || !g) {
    free(cn), free(acc), free(g);
    return ht_error("kmeans++: out of memory (%d blocks of %lld x %lld distances)", nt,
                    (long long)B, (long long)L);
  }
  row_norms(t, L, f, c, cn);
  int status = 0;
  const int bt = ht_blas_threads();
  if (nt > 1 && nch > 1) ht_blas_set_threads(1);
#pragma omp parallel for schedule(dynamic, 1) reduction(| : status) if (nch > 1)
  for (int64_t ch = 0; ch < nch; ch++) {
    char *gb = g + (size_t)(omp_get_thread_num() * bsz) * item;
    for (int64_t b = ch * nblk / nch; b < (ch + 1) * nblk / nch && !status; b++) {
      const int64_t i0 = b * B, nb = n - i0 < B ? n - i0 : B;
      int rc = ht_blas_gemm(t, false, true, nb, L, f, -2.0,
                            (const char *)x + (size_t)(i0 * f) * item, f, c, f, 0.0, gb, L);
      status |= rc;
      if (!rc) potential_rows(t, i0, nb, f, L, x, gb, cn, w, mind, acc + ch * L, d);
    }
  }
  ht_blas_set_threads(bt);
  for (int64_t ch = 0; ch < nch; ch++)
    for (int64_t j = 0; j < L; j++) pot[j] += acc[ch * L + j];
  free(cn), free(acc), free(g);
  return status ? -1 : 0;
}

/* ---- Lloyd with Hamerly's bounds (the batchparallel local phase) ---- */

/* Per row: ub >= the distance to its centre, lb <= the distance to every other centre. After
 * centres move by delta, ub grows by its centre's delta and lb shrinks by the largest other
 * delta; a row with ub <= lb keeps its label without touching its distances. Near a fixed
 * point (the slow tail where a few hundred rows move per pass) almost every row is skipped,
 * so a pass costs O(n) instead of an n x k x f GEMM. */
typedef struct bounded_job {
  ht_dtype t;
  int64_t f, k;
  const void *x, *c;
  const double *cn;
  int64_t *labels;
  double *ub, *lb;
} bounded_job;

/* Row i's exact squared distances to all k centres: best and second best into the bounds;
 * returns the new label. */
static int64_t bounded_full_row(const bounded_job *j, int64_t i) {
  double b1, b2;
  const int64_t best = exact_row(j->t, j->f, j->k,
                                 (const char *)j->x + (size_t)(i * j->f) * ht_dtype_size(j->t),
                                 j->c, &b1, &b2);
  j->ub[i] = sqrt(b1), j->lb[i] = sqrt(b2);
  return best;
}

/* Moves row i from cluster `from` (-1: none) to `to` in the chunk's delta sums. */
static void bounded_move(const bounded_job *j, int64_t i, int64_t from, int64_t to, double *ds) {
  move_row(j->t, j->f, j->k, (const char *)j->x + (size_t)(i * j->f) * ht_dtype_size(j->t), 1.0,
           from, to, ds);
}

/* First pass: GEMM blocks give the label (as ht_cpu_kmeans_assign) and the second-best
 * value, whose rounding (the expansion in float32) is taken off lb as a margin. */
static void bounded_first_rows(const bounded_job *j, int64_t i0, int64_t nb, const void *g,
                               double cnmax, double *ds) {
  const size_t item = ht_dtype_size(j->t);
  const double u = j->t == HT_FLOAT32 ? 0x1p-24 : 0x1p-53;
  for (int64_t i = 0; i < nb; i++) {
    const int64_t row = i0 + i;
    const char *xr = (const char *)j->x + (size_t)(row * j->f) * item;
    double v1 = INFINITY, v2 = INFINITY;
    int64_t best = 0;
    for (int64_t c = 0; c < j->k; c++) {
      const double v = ht_get_float(j->t, g, i * j->k + c) + j->cn[c];
      if (v < v1) v2 = v1, v1 = v, best = c;
      else if (v < v2) v2 = v;
    }
    const double xn = sq_row(j->t, xr, NULL, j->f);
    const double margin = 2.0 * (double)(j->f + 2) * u * (xn + cnmax);
    const double l2 = v2 + xn - margin;
    j->ub[row] = sqrt(sq_row(j->t, xr, (const char *)j->c + (size_t)(best * j->f) * item, j->f));
    j->lb[row] = l2 > 0 ? sqrt(l2) : 0;
    bounded_move(j, row, -1, best, ds);
    j->labels[row] = best;
  }
}

int ht_cpu_kmeans_lloyd(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x, void *c,
                        int64_t max_iter, double tol, int64_t *labels, int64_t *n_iter) {
  const size_t item = ht_dtype_size(t);
  const int64_t B = block_rows(k, item), nblk = (n + B - 1) / B;
  const int64_t nch = km_chunks(nblk);
  const int nt = omp_get_max_threads();
  const int64_t per = k * f + k + 1, bsz = (n < B ? n : B) * k;
  double *bounds = malloc(sizeof(double) * (size_t)(2 * n + 3 * k + k * f));
  double *acc = malloc(sizeof(double) * (size_t)(nch * per));
  char *g = malloc((size_t)(nt * bsz) * item + 64);
  if (!bounds || !acc || !g) {
    free(bounds), free(acc), free(g);
    return ht_error("kmeans: out of memory (bounds of %lld rows)", (long long)n);
  }
  double *cn = bounds + 2 * n, *delta = cn + k, *cnt = delta + k, *sums = cnt + k;
  bounded_job j = {t, f, k, x, c, cn, labels, bounds, bounds + n};
  memset(sums, 0, sizeof(double) * (size_t)(k * f)), memset(cnt, 0, sizeof(double) * (size_t)k);
  int status = 0;
  int64_t it = 0;
  const int bt = ht_blas_threads();
  if (nt > 1 && nch > 1) ht_blas_set_threads(1);
  for (; it < max_iter && !status; it++) {
    row_norms(t, k, f, c, cn);
    double cnmax = 0;
    for (int64_t q = 0; q < k; q++) cnmax = cn[q] > cnmax ? cn[q] : cnmax;
    memset(acc, 0, sizeof(double) * (size_t)(nch * per));
#pragma omp parallel for schedule(dynamic, 1) reduction(| : status) if (nch > 1)
    for (int64_t ch = 0; ch < nch; ch++) {
      double *ds = acc + ch * per;
      const int64_t r0 = ch * nblk / nch * B, r1 = (ch + 1) * nblk / nch * B;
      if (it == 0) {
        char *gb = g + (size_t)(omp_get_thread_num() * bsz) * item;
        for (int64_t i0 = r0; i0 < r1 && i0 < n && !status; i0 += B) {
          const int64_t nb = n - i0 < B ? n - i0 : B;
          int rc = ht_blas_gemm(t, false, true, nb, k, f, -2.0,
                                (const char *)x + (size_t)(i0 * f) * item, f, c, f, 0.0, gb, k);
          status |= rc;
          if (!rc) bounded_first_rows(&j, i0, nb, gb, cnmax, ds);
        }
        ds[per - 1] = (double)(r1 < n ? r1 - r0 : n - r0);
        continue;
      }
      int64_t moved = 0;
      for (int64_t i = r0; i < r1 && i < n; i++) {
        const int64_t old = labels[i];
        if (j.ub[i] <= j.lb[i]) continue;
        j.ub[i] = sqrt(sq_row(t, (const char *)x + (size_t)(i * f) * item,
                              (const char *)c + (size_t)(old * f) * item, f));
        if (j.ub[i] <= j.lb[i]) continue;
        const int64_t best = bounded_full_row(&j, i);
        if (best != old) bounded_move(&j, i, old, best, ds), labels[i] = best, moved++;
      }
      ds[per - 1] = (double)moved;
    }
    if (status) break;
    /* chunk deltas in chunk order: the same bits for any thread count */
    int64_t changed = 0;
    for (int64_t ch = 0; ch < nch; ch++) {
      const double *ds = acc + ch * per;
      for (int64_t q = 0; q < k * f; q++) sums[q] += ds[q];
      for (int64_t q = 0; q < k; q++) cnt[q] += ds[k * f + q];
      changed += (int64_t)ds[per - 1];
    }
    double shift = 0, dmax = 0, dmax2 = 0;
    int64_t jmax = -1;
    for (int64_t q = 0; q < k; q++) {
      double d2 = 0;
      if (cnt[q] > 0) /* an empty cluster keeps its centre */
        for (int64_t p = 0; p < f; p++) {
          char *cp = (char *)c + (size_t)(q * f + p) * item;
          const double old = ht_get_f64(t, cp);
          ht_set_f64(t, cp, sums[q * f + p] / cnt[q]);
          const double d = ht_get_f64(t, cp) - old;
          d2 += d * d;
        }
      shift += d2;
      delta[q] = sqrt(d2);
      if (delta[q] > dmax) dmax2 = dmax, dmax = delta[q], jmax = q;
      else if (delta[q] > dmax2) dmax2 = delta[q];
    }
    if (changed == 0 || shift <= tol) {
      it++;
      break;
    }
    /* a hair of slack on both bounds against the rounding of the sqrt and the deltas */
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++) {
      const int64_t l = labels[i];
      j.ub[i] = (j.ub[i] + delta[l]) * (1 + 1e-12);
      j.lb[i] = (j.lb[i] - (l == jmax ? dmax2 : dmax)) * (1 - 1e-12);
    }
  }
  ht_blas_set_threads(bt);
  if (n_iter) *n_iter = it;
  free(bounds), free(acc), free(g);
  return status ? -1 : 0;
}
