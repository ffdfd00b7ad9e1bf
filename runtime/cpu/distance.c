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

static void row_norms(ht_dtype t, int64_t n, int64_t f, const void *x, double *out) {
#pragma omp parallel for schedule(static) if (n * f > 65536)
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    if (t == HT_FLOAT32) {
      const float *r = (const float *)x + i * f;
      for (int64_t j = 0; j < f; j++) s += (double)r[j] * r[j];
    } else {
      const double *r = (const double *)x + i * f;
      for (int64_t j = 0; j < f; j++) s += r[j] * r[j];
    }
    out[i] = s;
  }
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
    if (m == HT_DIST_MANHATTAN)
      for (int64_t j = 0; j < f; j++) s += fabs((double)a[j] - b[j]);
    else
      for (int64_t j = 0; j < f; j++) {
        double d = (double)a[j] - b[j];
        s += d * d;
      }
  } else {
    const double *a = x, *b = y;
    if (m == HT_DIST_MANHATTAN)
      for (int64_t j = 0; j < f; j++) s += fabs(a[j] - b[j]);
    else
      for (int64_t j = 0; j < f; j++) {
        double d = a[j] - b[j];
        s += d * d;
      }
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
  const int64_t B = block_rows(ny, item);
  for (int64_t i0 = 0; i0 < nx; i0 += B) {
    const int64_t nb = nx - i0 < B ? nx - i0 : B;
    char *o = (char *)out + (size_t)(i0 * ldo) * item;
    if (ht_blas_gemm(t, false, true, nb, ny, f, -2.0, (const char *)x + (size_t)(i0 * f) * item,
                     f, y, f, 0.0, o, ldo))
      return free(xn), -1;
#pragma omp parallel for schedule(static) if (nb * ny > 65536)
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
  free(xn);
  return 0;
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
    for (int64_t c = 0; c < j->k; c++) {
      double v = getv(j->t, d, i * j->k + c) + j->cn[c];
      if (v < bd) bd = v, best = c;
    }
    const char *xr = (const char *)j->x + (size_t)(row * j->f) * item;
    double d2 = direct_pair(j->t, HT_DIST_SQEUCLIDEAN, j->f, xr,
                            (const char *)j->c + (size_t)(best * j->f) * item);
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

int ht_cpu_kmeans_assign(ht_dtype t, int64_t n, int64_t f, int64_t k, const void *x,
                         const void *c, const void *w, int64_t *labels, void *mind,
                         double *sums, double *wsum, double *inertia, int64_t *changed) {
  const size_t item = ht_dtype_size(t);
  const int64_t B = block_rows(k, item);
  const int nt = omp_get_max_threads();
  const int64_t per = k * f + k;
  double *cn = malloc(sizeof(double) * (size_t)k);
  void *d = malloc((size_t)((n < B ? n : B) * k) * item + 64);
  double *acc = sums ? calloc((size_t)(nt * per), sizeof(double)) : NULL;
  if (!cn || !d || (sums && !acc)) {
    free(cn), free(d), free(acc);
    return ht_error("kmeans: out of memory (block of %lld x %lld distances)",
                    (long long)B, (long long)k);
  }
  row_norms(t, k, f, c, cn);
  assign_job j = {t, f, k, x, c, w, cn, labels, mind, NULL, NULL};
  double in = 0;
  int64_t ch = 0;
  for (int64_t i0 = 0; i0 < n; i0 += B) {
    const int64_t nb = n - i0 < B ? n - i0 : B;
    if (ht_blas_gemm(t, false, true, nb, k, f, -2.0, (const char *)x + (size_t)(i0 * f) * item,
                     f, c, f, 0.0, d, k)) {
      free(cn), free(d), free(acc);
      return -1;
    }
#pragma omp parallel reduction(+ : in, ch) if (nb >= 1024)
    {
      const int tid = omp_get_thread_num(), T = omp_get_num_threads();
      const int64_t lo = nb * tid / T, hi = nb * (tid + 1) / T;
      double *s = acc ? acc + tid * per : NULL;
      in += assign_rows(&j, i0 + lo, hi - lo, (const char *)d + (size_t)(lo * k) * item,
                        s, s ? s + k * f : NULL, &ch);
    }
  }
  if (acc)
    for (int th = 0; th < nt; th++) {
      for (int64_t q = 0; q < k * f; q++) sums[q] += acc[th * per + q];
      for (int64_t q = 0; q < k; q++) wsum[q] += acc[th * per + k * f + q];
    }
  if (inertia) *inertia += in;
  if (changed) *changed += ch;
  free(cn), free(d), free(acc);
  return 0;
}
