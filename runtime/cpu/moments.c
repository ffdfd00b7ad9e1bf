/* Local kernels of the column statistics: one-pass shifted column moments and the packing
 * of weighted augmented rows for the Gram matrix. */
#include "moments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows [i0, i1) of a typed block: a1 += w (x - s), a2 += w (x - s)^2, *sw += w. */
#define MOMENTS_LOOP(T)                                                                   \
  static void moments_##T(int64_t i0, int64_t i1, int64_t f, const T *x, const double *w, \
                          const double *s, double *a1, double *a2, double *sw) {         \
    double acc = 0;                                                                       \
    for (int64_t i = i0; i < i1; i++) {                                                   \
      const T *row = x + i * f;                                                           \
      const double wi = w ? w[i] : 1.0;                                                   \
      acc += wi;                                                                          \
      for (int64_t j = 0; j < f; j++) {                                                   \
        const double d = (double)row[j] - s[j];                                           \
        a1[j] += wi * d;                                                                  \
        a2[j] += wi * d * d;                                                              \
      }                                                                                   \
    }                                                                                     \
    *sw += acc;                                                                           \
  }
MOMENTS_LOOP(float)
MOMENTS_LOOP(double)

int ht_cpu_col_moments(ht_dtype t, int64_t n, int64_t f, const void *x, const double *w,
                       double *sw, double *mean, double *m2) {
  *sw = 0;
  memset(mean, 0, sizeof(double) * (size_t)f);
  memset(m2, 0, sizeof(double) * (size_t)f);
  if (n == 0 || f == 0) {
    if (n > 0) /* no columns: the weights still count */
      for (int64_t i = 0; i < n; i++) *sw += w ? w[i] : 1.0;
    return 0;
  }
  /* fixed chunks of rows, independent of the thread count, whose partials are added in
   * chunk order: the same bits at any OMP_NUM_THREADS (thread slices gave other bits) */
  int64_t nch = n < 4096 ? 1 : (n + 4095) / 4096 < 64 ? (n + 4095) / 4096 : 64;
  while (nch > 1 && nch * (2 * f + 1) > ((int64_t)1 << 21)) nch /= 2; /* <= 16 MiB */
  double *s = malloc(sizeof(double) * (size_t)f);
  double *part = calloc((size_t)nch * (size_t)(2 * f + 1), sizeof(double));
  if (!s || !part) return free(s), free(part), -1;
  for (int64_t j = 0; j < f; j++)
    s[j] = t == HT_FLOAT32 ? ((const float *)x)[j] : ((const double *)x)[j];
#pragma omp parallel for schedule(static) if (nch > 1)
  for (int64_t c = 0; c < nch; c++) {
    const int64_t i0 = n * c / nch, i1 = n * (c + 1) / nch;
    double *a1 = part + (size_t)c * (size_t)(2 * f + 1), *a2 = a1 + f, *acc = a2 + f;
    if (t == HT_FLOAT32) moments_float(i0, i1, f, x, w, s, a1, a2, acc);
    else moments_double(i0, i1, f, x, w, s, a1, a2, acc);
  }
  for (int64_t k = 0; k < nch; k++) { /* chunk partials share the shift: plain sums */
    const double *a1 = part + (size_t)k * (size_t)(2 * f + 1);
    for (int64_t j = 0; j < f; j++) mean[j] += a1[j], m2[j] += a1[f + j];
    *sw += a1[2 * f];
  }
  for (int64_t j = 0; j < f; j++) {
    const double d = *sw > 0 ? mean[j] / *sw : 0;
    m2[j] = fmax(m2[j] - d * mean[j], 0.0);
    mean[j] = s[j] + d;
  }
  free(part);
  free(s);
  return 0;
}

int64_t ht_cpu_pack_augmented(ht_dtype t, int64_t r0, int64_t nb, int64_t f, const void *x,
                              const double *y, const double *w, double *buf) {
  const int64_t m = f + 1 + (y != NULL);
  int64_t bad = 0;
  for (int64_t i = 0; i < nb; i++) {
    const int64_t r = r0 + i;
    double sq = 1.0;
    if (w) {
      if (!(w[r] >= 0)) bad++;
      sq = w[r] >= 0 ? sqrt(w[r]) : 0.0;
    }
    double *z = buf + i * m;
    if (t == HT_FLOAT32) {
      const float *row = (const float *)x + r * f;
      for (int64_t j = 0; j < f; j++) z[j] = sq * (double)row[j];
    } else {
      const double *row = (const double *)x + r * f;
      for (int64_t j = 0; j < f; j++) z[j] = sq * row[j];
    }
    z[f] = sq;
    if (y) z[f + 1] = sq * y[r];
  }
  return bad;
}
