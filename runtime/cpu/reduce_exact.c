/* Exact local sums (sum, mean, var, std of any dtype, in double): every output's terms
 * are added without rounding through the binned folds and superaccumulators of
 * cpu/binned.c, so the result is the same for any split of the work among threads and
 * ranks. The chunk is the (O, R, I) problem of cpu/reduce.h. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_thread_num(void) { return 0; }
#endif

#include "binned.h"
#include "binned_rows.h"
#include "binned_sqdev.h"
#include "reduce.h"

enum {
  COLS = 256,            /* output columns per tile when I > 1 */
  TILE_DOUBLES = 32768,  /* a block of rows x columns as doubles: 256 KiB, in L2 */
};
#define PAR_GRAIN ((int64_t)1 << 15)

/* A thread's scratch: one block of terms as doubles, and the per-column fold results. */
typedef struct wsp {
  double *v, *hi, *lo, *fs;
  unsigned char *bad;
  ht_xacc *xa;
} wsp;

static int wsp_init(wsp *w) {
  w->v = malloc(TILE_DOUBLES * sizeof(double));
  w->hi = malloc(5 * COLS * sizeof(double));
  w->bad = malloc(COLS);
  w->xa = malloc(COLS * sizeof(ht_xacc));
  w->lo = w->hi ? w->hi + COLS : NULL, w->fs = w->hi ? w->hi + 2 * COLS : NULL;
  return w->v && w->hi && w->bad && w->xa ? 0 : -1;
}

static void wsp_free(wsp *w) { free(w->v), free(w->hi), free(w->bad), free(w->xa); }

/* n terms from element k of the chunk (contiguous) as doubles in v: the element, or its
 * squared deviation from c. */
static void terms(const ht_rjob *j, int64_t k, int64_t n, double c, double *v) {
  const size_t item = ht_dtype_size(j->t);
  ht_cast(j->t, (const char *)j->in + k * (int64_t)item, (int64_t)item, HT_FLOAT64, v, 8, n);
  if (j->op == HT_K_SQDEV)
    for (int64_t l = 0; l < n; l++) v[l] = (v[l] - c) * (v[l] - c);
}

/* The same for a row of the tile at (o, r, i0 .. i0+w), one centre per column. */
static void row_terms(const ht_rjob *j, int64_t o, int64_t r, int64_t i0, int64_t w,
                      double *v) {
  const int64_t I = j->I;
  const size_t item = ht_dtype_size(j->t);
  ht_cast(j->t, (const char *)j->in + ((o * j->R + r) * I + i0) * (int64_t)item,
          (int64_t)item, HT_FLOAT64, v, 8, w);
  if (j->op == HT_K_SQDEV) {
    const double *c = j->center + o * I + i0;
    for (int64_t l = 0; l < w; l++) v[l] = (v[l] - c[l]) * (v[l] - c[l]);
  }
}

/* Column l of a block of n rows (row stride ld) that the folds gave up on, into x: the
 * terms read where they lie (float64, float32), else the scratch's doubles. */
static void col_terms(const ht_rjob *j, ht_xacc *x, const void *v, bool inplace, int64_t ld,
                      int64_t l, int64_t n, double c) {
  const bool sq = j->op == HT_K_SQDEV;
  if (inplace)
    ht_xacc_add_terms(x, (const char *)v + l * (int64_t)ht_dtype_size(j->t),
                      j->t == HT_FLOAT32, sq ? &c : NULL, ld, n);
  else
    ht_xacc_add_terms(x, (const double *)v + l, false, NULL, ld, n);
}

/* float64 and float32 chunks are folded as they lie (squared deviations computed as they
 * are read); other dtypes are converted a block at a time into the thread's scratch. */
static bool folds_in_place(const ht_rjob *j) { return j->t == HT_FLOAT64 || j->t == HT_FLOAT32; }

/* Row o over r0 .. r1 (I == 1): added to *x when x is given, else rounded into *out. */
static void exact_row(const ht_rjob *j, wsp *ws, int64_t o, int64_t r0, int64_t r1,
                      ht_xacc *x, double *out) {
  const int64_t R = j->R;
  const bool direct = j->t == HT_FLOAT64 && j->op == HT_K_SUM, inplace = folds_in_place(j);
  const bool sq = j->op == HT_K_SQDEV, f32 = j->t == HT_FLOAT32;
  const double c = sq ? j->center[o] : 0;
  const size_t item = ht_dtype_size(j->t);
  /* squared deviations near 0 widen a block's exponent range; shorter blocks let one fold
   * take a wider range, and let float32 blocks be plain double sums (cpu/binned.c) */
  const int64_t B = sq ? 1024 : f32 ? HT_XACC_F32_PLAIN : HT_XACC_BLOCK;
  ht_xacc own;
  bool zeroed = false;
  for (int64_t b = r0; b < r1; b += B) {
    const int64_t n = r1 - b < B ? r1 - b : B;
    const void *src = (const char *)j->in + (o * R + b) * (int64_t)item;
    const double *v = src;
    double hi, lo;
    int ok = inplace && ht_xacc_fold_terms(src, f32, sq ? &c : NULL, n, &hi, &lo) == 0;
    if (!ok && !direct) terms(j, o * R + b, n, c, ws->v), v = ws->v;
    if (!ok) ok = ht_xacc_fold_block(v, n, &hi, &lo) == 0;
    if (ok && !x && n == r1 - r0) { /* the whole row in one block: hi + lo rounds once */
      *out = hi + lo;
      return;
    }
    if (!x) {
      x = &own;
      if (!zeroed) ht_xacc_zero(x), zeroed = true;
    }
    if (ok) ht_xacc_add(x, hi), ht_xacc_add(x, lo);
    else ht_xacc_add_terms(x, v, false, NULL, 1, n);
  }
  if (x == &own) *out = ht_xacc_round(&own);
  else if (!x) *out = 0; /* no terms */
}

/* The tile (o, i0 .. i0+w) over rows r0 .. r1 (I > 1): added to x[0..w) when x is
 * given, else rounded into out[0..w). */
static void exact_cols(const ht_rjob *j, wsp *ws, int64_t o, int64_t i0, int64_t w,
                       int64_t r0, int64_t r1, ht_xacc *x, double *out) {
  int64_t rb = TILE_DOUBLES / w;
  if (rb > HT_XACC_BLOCK) rb = HT_XACC_BLOCK;
  if (rb > HT_XACC_F32_PLAIN && j->t == HT_FLOAT32 && j->op == HT_K_SUM) rb = HT_XACC_F32_PLAIN;
  const bool one = r1 - r0 <= rb;
  if (!x && !one) {
    x = ws->xa;
    for (int64_t l = 0; l < w; l++) ht_xacc_zero(&x[l]);
  }
  if (r1 == r0)
    for (int64_t l = 0; l < w && out; l++) out[l] = 0;
  const bool inplace = folds_in_place(j), sq = j->op == HT_K_SQDEV;
  const double *c = sq ? j->center + o * j->I + i0 : NULL;
  const size_t item = ht_dtype_size(j->t);
  for (int64_t b = r0; b < r1; b += rb) {
    const int64_t n = r1 - b < rb ? r1 - b : rb;
    const void *v = ws->v;
    int64_t ld = w;
    if (inplace) {
      v = (const char *)j->in + ((o * j->R + b) * j->I + i0) * (int64_t)item, ld = j->I;
      /* squared deviations: the AVX-512 column kernel (cpu/binned_sqdev.c) where it runs */
      if (!sq || !ht_xacc_sqdev_cols_avx512(v, j->t == HT_FLOAT32, c, ld, n, w, ws->hi,
                                            ws->lo, ws->bad))
        ht_xacc_fold_cols_terms(v, j->t == HT_FLOAT32, c, ld, n, w, ws->hi, ws->lo, ws->bad,
                                ws->fs);
    } else {
      for (int64_t r = 0; r < n; r++) row_terms(j, o, b + r, i0, w, ws->v + r * w);
      ht_xacc_fold_cols(ws->v, ld, n, w, ws->hi, ws->lo, ws->bad, ws->fs);
    }
    for (int64_t l = 0; l < w; l++) {
      const double cl = sq ? c[l] : 0;
      if (one && !x) {
        if (!ws->bad[l]) {
          out[l] = ws->hi[l] + ws->lo[l];
          continue;
        }
        ht_xacc t;
        ht_xacc_zero(&t);
        col_terms(j, &t, v, inplace, ld, l, n, cl);
        out[l] = ht_xacc_round(&t);
      } else if (!ws->bad[l]) {
        ht_xacc_add(&x[l], ws->hi[l]), ht_xacc_add(&x[l], ws->lo[l]);
      } else {
        col_terms(j, &x[l], v, inplace, ld, l, n, cl);
      }
    }
  }
  if (!one && out)
    for (int64_t l = 0; l < w; l++) out[l] = ht_xacc_round(&x[l]);
}

/* Work item it of O * tiles (tiles per output: 1 when I == 1) over rows r0 .. r1. */
static void exact_item(const ht_rjob *j, wsp *ws, int64_t it, int64_t r0, int64_t r1,
                       ht_xacc *xacc, double *out) {
  const int64_t I = j->I;
  if (I == 1) {
    exact_row(j, ws, it, r0, r1, xacc ? &xacc[it] : NULL, out ? &out[it] : NULL);
    return;
  }
  const int64_t tiles = (I + COLS - 1) / COLS, o = it / tiles, i0 = it % tiles * COLS;
  const int64_t w = I - i0 < COLS ? I - i0 : COLS, k = o * I + i0;
  exact_cols(j, ws, o, i0, w, r0, r1, xacc ? xacc + k : NULL, out ? out + k : NULL);
}

/* Short float32 rows (I == 1, R <= HT_XACC_F32_PLAIN) are summed COLS at a time as plain
 * double sums (cpu/binned.c); a row whose exponent range is too wide takes exact_row. */
static bool plain_rows(const ht_rjob *j) {
  return j->I == 1 && j->t == HT_FLOAT32 && j->op == HT_K_SUM && j->R <= HT_XACC_F32_PLAIN;
}

/* Rows it * COLS .. (it + 1) * COLS (plain_rows): added to xacc when given, else into out. */
static void plain_item(const ht_rjob *j, wsp *ws, int64_t it, ht_xacc *xacc, double *out) {
  const int64_t o0 = it * COLS, nb = j->O - o0 < COLS ? j->O - o0 : COLS;
  ht_xacc_plain_rows_f32((const float *)j->in + o0 * j->R, j->R, nb, ws->hi, ws->bad);
  for (int64_t k = 0; k < nb; k++) {
    if (ws->bad[k]) exact_row(j, ws, o0 + k, 0, j->R, xacc ? &xacc[o0 + k] : NULL,
                              out ? &out[o0 + k] : NULL);
    else if (xacc) ht_xacc_add(&xacc[o0 + k], ws->hi[k]);
    else out[o0 + k] = ws->hi[k];
  }
}

/* Short float64 rows (sums, squared deviations) and float32 squared deviations (I == 1,
 * one block per row) go eight rows at a time through the AVX-512 row kernel
 * (cpu/binned_rows.c); a row it cannot hold in one fold takes exact_row. */
static bool kernel_rows(const ht_rjob *j) {
  const bool sq = j->op == HT_K_SQDEV;
  return j->I == 1 && (j->t == HT_FLOAT64 || (j->t == HT_FLOAT32 && sq)) &&
         j->R <= (sq ? 1024 : HT_XACC_BLOCK) && ht_xacc_rows_simd(-1) > 0;
}

/* Rows it * COLS .. (it + 1) * COLS (kernel_rows): added to xacc when given, else into out. */
static void kernel_item(const ht_rjob *j, wsp *ws, int64_t it, ht_xacc *xacc, double *out) {
  const int64_t o0 = it * COLS, nb = j->O - o0 < COLS ? j->O - o0 : COLS;
  const bool sq = j->op == HT_K_SQDEV;
  const char *v = (const char *)j->in + o0 * j->R * (int64_t)ht_dtype_size(j->t);
  ht_xacc_rows_avx512(v, j->t == HT_FLOAT32, sq ? j->center + o0 : NULL, j->R, nb, ws->hi,
                      ws->lo, ws->bad);
  for (int64_t k = 0; k < nb; k++) {
    if (ws->bad[k]) exact_row(j, ws, o0 + k, 0, j->R, xacc ? &xacc[o0 + k] : NULL,
                              out ? &out[o0 + k] : NULL);
    else if (xacc) ht_xacc_add(&xacc[o0 + k], ws->hi[k]), ht_xacc_add(&xacc[o0 + k], ws->lo[k]);
    else out[o0 + k] = ws->hi[k] + ws->lo[k]; /* hi + lo is exact: rounded once */
  }
}

/* Every item of j in this thread, in order, rounded into out (j->I == 1). */
static void local_items(const ht_rjob *j, wsp *ws, double *out) {
  const bool plain = plain_rows(j), rows = !plain && kernel_rows(j);
  if (plain)
    for (int64_t it = 0; it < (j->O + COLS - 1) / COLS; it++) plain_item(j, ws, it, NULL, out);
  else if (rows)
    for (int64_t it = 0; it < (j->O + COLS - 1) / COLS; it++) kernel_item(j, ws, it, NULL, out);
  else
    for (int64_t o = 0; o < j->O; o++) exact_row(j, ws, o, 0, j->R, NULL, &out[o]);
}

static int threads_for(int64_t elements) {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1;
  const int64_t want = elements / PAR_GRAIN;
  const int nt = omp_get_max_threads();
  return want < 1 ? 1 : want < nt ? (int)want : nt;
#else
  (void)elements;
  return 1;
#endif
}

int ht_cpu_reduce_exact(const ht_rjob *j, ht_xacc *xacc, double *out) {
  const int64_t O = j->O, R = j->R, I = j->I, n = O * I;
  if (xacc)
    for (int64_t k = 0; k < n; k++) ht_xacc_zero(&xacc[k]);
  if (n == 0) return 0;
  if (R == 0) {
    for (int64_t k = 0; k < n && out; k++) out[k] = 0;
    return 0;
  }
  const int64_t items = I == 1 ? O : O * ((I + COLS - 1) / COLS);
  const bool plain = plain_rows(j), rows = !plain && kernel_rows(j);
  int nt = threads_for(O * R * I);
  int status = 0;
  if (nt == 1 || items >= nt) {
#pragma omp parallel num_threads(nt) reduction(| : status)
    {
      wsp ws;
      const bool ok = wsp_init(&ws) == 0;
      if (ok && plain) {
#pragma omp for schedule(static)
        for (int64_t it = 0; it < (O + COLS - 1) / COLS; it++) plain_item(j, &ws, it, xacc, out);
      } else if (ok && rows) {
#pragma omp for schedule(static)
        for (int64_t it = 0; it < (O + COLS - 1) / COLS; it++) kernel_item(j, &ws, it, xacc, out);
      } else if (ok) {
#pragma omp for schedule(static)
        for (int64_t it = 0; it < items; it++) exact_item(j, &ws, it, 0, R, xacc, out);
      } else {
        status = 1;
      }
      wsp_free(&ws);
    }
    for (int64_t k = 0; k < n && xacc; k++) ht_xacc_normalize(&xacc[k]);
    return status ? -1 : 0;
  }
  /* few outputs, long rows: each thread a slice of R into its own exact partials; the
   * partials join exactly, so the result does not depend on the number of threads */
  ht_xacc *part = malloc((size_t)nt * (size_t)n * sizeof(ht_xacc));
  if (!part) return -1;
#pragma omp parallel num_threads(nt) reduction(| : status)
  {
    const int t = omp_get_thread_num();
    ht_xacc *px = part + (size_t)t * (size_t)n;
    wsp ws;
    for (int64_t k = 0; k < n; k++) ht_xacc_zero(&px[k]);
    if (wsp_init(&ws) == 0)
      for (int64_t it = 0; it < items; it++)
        exact_item(j, &ws, it, R * t / nt, R * (t + 1) / nt, px, NULL);
    else
      status = 1;
    wsp_free(&ws);
  }
  for (int64_t k = 0; k < n && !status; k++) {
    ht_xacc s;
    ht_xacc_zero(&s);
    for (int t = 0; t < nt; t++) {
      ht_xacc_normalize(&part[(size_t)t * (size_t)n + k]);
      ht_xacc_merge(&s, &part[(size_t)t * (size_t)n + k]);
    }
    if (xacc) xacc[k] = s;
    else out[k] = ht_xacc_round(&s);
  }
  free(part);
  return status ? -1 : 0;
}

/* Both passes of var/std over rows (I == 1) a tile at a time: the tile's exact sums, its
 * means, then its squared deviations while the tile is still in L2, so the data is read
 * from memory once instead of twice. Each row's two results are those of the two whole
 * passes (the same kernels, exact sums), so the bits are the same. */
enum { FUSE_BYTES = 262144 }; /* a tile of rows: in L2 beside the kernels' scratch */

int ht_cpu_var_rows_exact(const ht_rjob *j, double N, double *mean, double *out) {
  const int64_t O = j->O, R = j->R, item = (int64_t)ht_dtype_size(j->t);
  if (j->op != HT_K_SUM || !j->f64 || j->I != 1 || O == 0 || R == 0 || R * item > FUSE_BYTES)
    return 1;
  int64_t T = FUSE_BYTES / (R * item);
  if (T >= COLS) T -= T % COLS; /* whole items of the row kernels */
  const int64_t tiles = (O + T - 1) / T;
  int nt = threads_for(O * R);
  if (nt > tiles) nt = (int)tiles;
  int status = 0;
#pragma omp parallel num_threads(nt) reduction(| : status)
  {
    wsp ws;
    if (wsp_init(&ws) == 0) {
#pragma omp for schedule(static)
      for (int64_t t = 0; t < tiles; t++) {
        const int64_t o0 = t * T;
        ht_rjob jt = *j;
        jt.in = (const char *)j->in + o0 * R * item;
        jt.O = O - o0 < T ? O - o0 : T;
        local_items(&jt, &ws, out + o0);
        for (int64_t k = 0; k < jt.O; k++) mean[o0 + k] = out[o0 + k] / N;
        jt.op = HT_K_SQDEV, jt.center = mean + o0;
        local_items(&jt, &ws, out + o0);
      }
    } else {
      status = 1;
    }
    wsp_free(&ws);
  }
  return status ? -1 : 0;
}
