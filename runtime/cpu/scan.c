/* Reproducible float cumsum (cpu/scan.h): a column's running value restarts at every
 * global block from the correctly rounded exact prefix, which the binned folds of
 * cpu/binned.c keep up to date a block at a time. */
#include "scan.h"

#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

enum { COLS = 256 }; /* columns per work item when inner > 1 */

static double get(ht_dtype t, const void *p, int64_t k) {
  return t == HT_FLOAT32 ? (double)((const float *)p)[k] : ((const double *)p)[k];
}

/* The exact sum of rows [0, rows) of columns [0, w) (row stride ld) added into x[0..w). */
static void deposit(ht_dtype t, const void *v, int64_t ld, int64_t rows, int64_t w,
                    ht_xacc *x, double *scratch, unsigned char *bad) {
  double *hi = scratch, *lo = scratch + COLS, *fs = scratch + 2 * COLS;
  const int f32 = t == HT_FLOAT32;
  if (w == 1) {
    if (ht_xacc_fold_terms(v, f32, NULL, rows, hi, lo) == 0) {
      ht_xacc_add(x, hi[0]), ht_xacc_add(x, lo[0]);
      return;
    }
    for (int64_t r = 0; r < rows; r++) ht_xacc_add(x, get(t, v, r * ld));
    return;
  }
  ht_xacc_fold_cols_terms(v, f32, NULL, ld, rows, w, hi, lo, bad, fs);
  for (int64_t l = 0; l < w; l++) {
    if (!bad[l]) ht_xacc_add(&x[l], hi[l]), ht_xacc_add(&x[l], lo[l]);
    else for (int64_t r = 0; r < rows; r++) ht_xacc_add(&x[l], get(t, v, r * ld + l));
  }
}

/* rows [0, rows) of columns [0, w): v += x, x = v (stored in the data's type). */
static void run(ht_dtype t, void *p, int64_t ld, int64_t rows, int64_t w, double *v) {
  if (t == HT_FLOAT32) {
    float *x = p;
    for (int64_t r = 0; r < rows; r++)
      for (int64_t l = 0; l < w; l++) v[l] += x[r * ld + l], x[r * ld + l] = (float)v[l];
  } else {
    double *x = p;
    for (int64_t r = 0; r < rows; r++)
      for (int64_t l = 0; l < w; l++) v[l] += x[r * ld + l], x[r * ld + l] = v[l];
  }
}

/* One work item: columns [i0, i0 + w) of outer index o. */
static void item(ht_dtype t, char *data, const char *head, int64_t h, const ht_xacc *start,
                 int64_t o, int64_t n, int64_t inner, int64_t i0, int64_t w, int64_t g0,
                 ht_xacc *x, double *v, double *scratch, unsigned char *bad) {
  const int64_t item = (int64_t)ht_dtype_size(t);
  for (int64_t l = 0; l < w; l++) {
    if (start) x[l] = start[o * inner + i0 + l];
    else ht_xacc_zero(&x[l]);
  }
  if (h > 0) { /* back to the block start: the head's rows taken off exactly, then run */
    const char *hp = head + (o * h * inner + i0) * item;
    for (int64_t r = 0; r < h; r++)
      for (int64_t l = 0; l < w; l++) ht_xacc_add(&x[l], -get(t, hp, r * inner + l));
    for (int64_t l = 0; l < w; l++) {
      v[l] = ht_xacc_round(&x[l]);
      if (start) x[l] = start[o * inner + i0 + l];
      else ht_xacc_zero(&x[l]);
    }
    for (int64_t r = 0; r < h; r++)
      for (int64_t l = 0; l < w; l++) v[l] += get(t, hp, r * inner + l);
  }
  char *p = data + (o * n * inner + i0) * item;
  for (int64_t j = 0; j < n;) {
    const int64_t g = g0 + j, end = (g / HT_SCAN_BLOCK + 1) * HT_SCAN_BLOCK - g0;
    const int64_t rows = (end < n ? end : n) - j;
    if (g % HT_SCAN_BLOCK == 0)
      for (int64_t l = 0; l < w; l++) v[l] = ht_xacc_round(&x[l]);
    if (j + rows < n) deposit(t, p + j * inner * item, inner, rows, w, x, scratch, bad);
    run(t, p + j * inner * item, inner, rows, w, v);
    j += rows;
  }
}

int ht_cpu_cumsum_blocked(ht_dtype t, void *data, const void *head, int64_t h,
                          const ht_xacc *start, int64_t outer, int64_t n, int64_t inner,
                          int64_t g0) {
  if (outer == 0 || inner == 0 || n == 0) return 0;
  /* columns per item: COLS, or fewer (a multiple of 8) so that every thread has columns
   * when outer is small; each column's folds and runs do not depend on its neighbours, so
   * the tiling leaves the bits alone */
  int64_t cols = COLS;
#ifdef _OPENMP
  const int64_t nt = omp_in_parallel() ? 1 : omp_get_max_threads();
  while (cols > 8 && outer * ((inner + cols - 1) / cols) < 2 * nt) cols /= 2;
#endif
  const int64_t tiles = (inner + cols - 1) / cols, items = outer * tiles;
  int status = 0;
#pragma omp parallel if (items > 1 && outer * n * inner > (1 << 16)) reduction(| : status)
  {
    ht_xacc *x = malloc(COLS * sizeof(ht_xacc));
    double *v = malloc(6 * COLS * sizeof(double)); /* v, then hi, lo, 3 of fold scratch */
    unsigned char *bad = malloc(COLS);
    if (x && v && bad) {
#pragma omp for schedule(static)
      for (int64_t it = 0; it < items; it++) {
        const int64_t o = it / tiles, i0 = it % tiles * cols;
        const int64_t w = inner - i0 < cols ? inner - i0 : cols;
        item(t, data, head, h, start, o, n, inner, i0, w, g0, x, v, v + COLS, bad);
      }
    } else {
      status = 1;
    }
    free(x), free(v), free(bad);
  }
  return status ? -1 : 0;
}
