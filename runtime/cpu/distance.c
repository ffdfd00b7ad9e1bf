/* Local distance kernels: the GEMM expansion |x|^2 - 2 x.y + |y|^2 in row blocks, the
 * direct forms, and the nearest-centre step of k-means with its per-cluster sums. */
#include "distance.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "blas.h"

/* Rows per block: a block of distances stays within about 1 MiB (cache-sized), so the
 * post-processing reads what the GEMM just wrote. */
static int64_t block_rows(int64_t cols, size_t item) {
  int64_t b = (int64_t)((1 << 20) / ((size_t)(cols > 0 ? cols : 1) * item));
  return b < 16 ? 16 : b;
}

static inline double getv(ht_dtype t, const void *p, int64_t i) {
  return t == HT_FLOAT32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
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
  int64_t *labels;
  void *mind;
  double *sums, *wsum; /* per thread: nt x (k*f), nt x k */
} assign_job;

/* Rows [i0, i0 + nb) against the GEMM block d (nb x k holding -2 x.c). Returns the local
 * inertia and adds to the thread's sums; *changed counts relabelled rows. */
static double assign_rows(const assign_job *j, int64_t i0, int64_t nb, const void *d,
                          double *sums, double *wsum, int64_t *changed) {
  double inertia = 0;
  const size_t item = ht_dtype_size(j->t);
  for (int64_t i = 0; i < nb; i++) {
    const int64_t row = i0 + i;
    int64_t best = 0;
    double bd = INFINITY;
    if (j->t == HT_FLOAT32) {
      const float *g = (const float *)d + i * j->k;
      for (int64_t c = 0; c < j->k; c++) {
        const double v = (double)g[c] + j->cn[c];
        if (v < bd) bd = v, best = c;
      }
    } else {
      const double *g = (const double *)d + i * j->k;
      for (int64_t c = 0; c < j->k; c++) {
        const double v = g[c] + j->cn[c];
        if (v < bd) bd = v, best = c;
      }
    }
    const char *xr = (const char *)j->x + (size_t)(row * j->f) * item;
    const double d2 = sq_row(j->t, xr, (const char *)j->c + (size_t)(best * j->f) * item, j->f);
    const double wi = j->w ? getv(j->t, j->w, row) : 1.0;
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

/* Rows are cut into at most this many chunks whatever the thread count; partial sums are
 * kept per chunk and added in chunk order, so results are bitwise the same for any number
 * of threads (ranks holding a replicated array must agree to the last bit). */
#define HT_KM_CHUNKS 64

int ht_cpu_kmeans_assign(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                         const void *c, const void *w, int64_t *labels, void *mind,
                         double *sums, double *wsum, double *inertia, int64_t *changed) {
  const size_t item = ht_dtype_size(t);
  const int64_t B = block_rows(k, item), nblk = (n + B - 1) / B;
  const int64_t nch = nblk < HT_KM_CHUNKS ? (nblk > 0 ? nblk : 1) : HT_KM_CHUNKS;
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
  assign_job j = {t, f, k, x, c, w, cn, labels, mind, NULL, NULL};
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

/* Rows [i0, i0 + nb) against the GEMM block g (nb x L holding -2 x.c): adds to pot[j] the
 * weighted min(mind, d_ij) and stores d_ij in d (n x L) when asked. */
static void potential_rows(ht_dtype t, int64_t i0, int64_t nb, int64_t f, int64_t L,
                           const void *x, const void *g, const double *cn, const void *w,
                           const double *mind, double *pot, double *d) {
  for (int64_t i = 0; i < nb; i++) {
    const int64_t row = i0 + i;
    const double xn = sq_row(t, (const char *)x + (size_t)(row * f) * ht_dtype_size(t), NULL, f);
    const double m = mind ? mind[row] : INFINITY, wi = w ? getv(t, w, row) : 1.0;
    for (int64_t j = 0; j < L; j++) {
      double v = (t == HT_FLOAT32 ? (double)((const float *)g)[i * L + j]
                                  : ((const double *)g)[i * L + j]) + xn + cn[j];
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
  const int64_t nch = nblk < HT_KM_CHUNKS ? (nblk > 0 ? nblk : 1) : HT_KM_CHUNKS;
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
