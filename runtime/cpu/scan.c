/* Reproducible float cumsum (cpu/scan.h): a column's running value restarts at every
 * global block from the correctly rounded exact prefix, which the binned folds of
 * cpu/binned.c keep up to date a block at a time. */
#include "scan.h"

#include "reduce.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

enum { COLS = 256 }; /* columns per work item when inner > 1 */

/* The exact prefix of a column (the sum of the rows before the next block) is kept as
 * two doubles S + E while that is exact, else in a superaccumulator (x, inx = 1). S is
 * then RN(S + E), the correctly rounded prefix itself, so a block start costs no
 * superaccumulator rounding (25% of the time before) and a block's exact sum hi + lo is
 * added with error-free sums, not two superaccumulator deposits.
 * Two-sum (Knuth): s = RN(a + b) and a + b = s + e exactly, for any finite a, b whose
 * sum does not overflow (no multiplications: nothing to contract into an FMA). */
#define TWO_SUM(a, b, s, e)                                                               \
  do {                                                                                   \
    const double a_ = (a), b_ = (b), s_ = a_ + b_, bb_ = s_ - a_;                         \
    (s) = s_, (e) = (a_ - (s_ - bb_)) + (b_ - bb_);                                        \
  } while (0)

/* S + E += hi + lo exactly, or 0 when two doubles cannot hold the new sum. With
 * S + hi = sh + sl and E + lo = th + tl (two-sums), the sum is sh + sl + th + tl;
 * c = sl + th and w = tl + vl are checked exact (their two-sum error is 0), and
 * sh + c = vh + vl, vh + w = zh + zl are two-sums, so zh + zl is the new sum exactly and
 * zh = RN(zh + zl). An overflow makes an error NaN or zh, zl not finite: 0 as well. */
static inline int dd_add(double *S, double *E, double hi, double lo) {
  double sh, sl, th, tl, c, ec, vh, vl, w, ew, zh, zl;
  TWO_SUM(*S, hi, sh, sl);
  TWO_SUM(*E, lo, th, tl);
  TWO_SUM(sl, th, c, ec);
  TWO_SUM(sh, c, vh, vl);
  TWO_SUM(tl, vl, w, ew);
  TWO_SUM(vh, w, zh, zl);
  if (!(ec == 0 && ew == 0 && zh - zh == 0 && zl - zl == 0)) return 0;
  *S = zh, *E = zl;
  return 1;
}

/* a's exact value as h + g with h = RN(a), g = RN(a - h), when those two hold it
 * exactly and a holds no specials: 1, else 0. Three roundings of a copy of a. */
static int to_dd(const ht_xacc *a, double *h, double *g) {
  if (a->nan || a->pinf || a->ninf) return 0;
  ht_xacc b = *a;
  const double r1 = ht_xacc_round(&b);
  if (!(r1 - r1 == 0)) return 0;
  ht_xacc_add(&b, -r1);
  const double r2 = ht_xacc_round(&b);
  ht_xacc_add(&b, -r2);
  if (ht_xacc_round(&b) != 0) return 0; /* a nonzero sum rounds to nonzero */
  *h = r1, *g = r2;
  return 1;
}

/* The column's prefix from an exact sum a: S + E when to_dd holds it, else a in x. */
static void from_xacc(const ht_xacc *a, double *S, double *E, unsigned char *inx, ht_xacc *x) {
  *inx = !to_dd(a, S, E);
  if (*inx) *x = *a;
}

/* Per-thread scratch of one work item. e: each column's bound for the one-pass folds
 * (ht_xacc_fold_run_cols), from the largest |x| of the block before. */
typedef struct scan_scratch {
  ht_xacc *x;
  double *v, *S, *E, *fold, *mx; /* fold: hi, lo, 3 of fold scratch */
  unsigned char *bad, *inx;
  int32_t *e;
  int64_t *done;
} scan_scratch;

/* Column l's prefix += hi + lo (exact). */
static void add_exact(scan_scratch *sc, int64_t l, double hi, double lo) {
  if (!sc->inx[l]) {
    if (dd_add(&sc->S[l], &sc->E[l], hi, lo)) return;
    /* to the superaccumulator, for good: S + E is still the prefix before the block */
    ht_xacc_zero(&sc->x[l]);
    ht_xacc_add(&sc->x[l], sc->S[l]), ht_xacc_add(&sc->x[l], sc->E[l]);
    sc->inx[l] = 1;
  }
  ht_xacc_add(&sc->x[l], hi), ht_xacc_add(&sc->x[l], lo);
}

/* The exact sum of rows [0, rows) of columns [0, w) (row stride ld) added into each
 * column's prefix (S + E, or x where inx), by the two-pass folds. */
static void deposit(ht_dtype t, const void *v, int64_t ld, int64_t rows, int64_t w,
                    scan_scratch *sc) {
  double *hi = sc->fold, *lo = sc->fold + COLS, *fs = sc->fold + 2 * COLS;
  unsigned char *bad = sc->bad, *inx = sc->inx;
  ht_xacc *x = sc->x;
  const int f32 = t == HT_FLOAT32;
  /* one contiguous column (ld 1); a last tile one column wide keeps its row stride (the
   * contiguous fold read the wrong terms there before: 9 columns in tiles of 8) */
  if (w == 1 && ld == 1) bad[0] = ht_xacc_fold_terms(v, f32, NULL, rows, hi, lo) != 0;
  else ht_xacc_fold_cols_terms(v, f32, NULL, ld, rows, w, hi, lo, bad, fs);
  for (int64_t l = 0; l < w; l++) {
    if (!bad[l]) {
      add_exact(sc, l, hi[l], lo[l]);
    } else if (!inx[l]) { /* the block's exact sum, added as two doubles when they hold it */
      double bh, bl;
      ht_xacc_zero(&x[l]);
      for (int64_t r = 0; r < rows; r++) ht_xacc_add(&x[l], ht_get_float(t, v, r * ld + l));
      if (to_dd(&x[l], &bh, &bl) && dd_add(&sc->S[l], &sc->E[l], bh, bl)) continue;
      ht_xacc_add(&x[l], sc->S[l]), ht_xacc_add(&x[l], sc->E[l]);
      inx[l] = 1;
    } else {
      for (int64_t r = 0; r < rows; r++) ht_xacc_add(&x[l], ht_get_float(t, v, r * ld + l));
    }
  }
}

/* rows [0, rows) of columns [0, w): v += x, x = v (stored in the data's type). */
static void run(ht_dtype t, void *p, int64_t ld, int64_t rows, int64_t w, double *restrict v) {
  if (t == HT_FLOAT32) {
    float *restrict x = p;
    for (int64_t r = 0; r < rows; r++)
      for (int64_t l = 0; l < w; l++) v[l] += x[r * ld + l], x[r * ld + l] = (float)v[l];
  } else {
    double *restrict x = p;
    for (int64_t r = 0; r < rows; r++)
      for (int64_t l = 0; l < w; l++) v[l] += x[r * ld + l], x[r * ld + l] = v[l];
  }
}

/* A block (not a chunk's last) of w >= 8 columns: folded and run in one pass as far as
 * each column group's terms pass the bounds of the block before, the rest of the group's
 * rows by deposit and run as before; then the bounds for the next block. */
static void fold_run(ht_dtype t, void *p, int64_t ld, int64_t rows, int64_t w, scan_scratch *sc) {
  const int64_t item = (int64_t)ht_dtype_size(t);
  double *hi = sc->fold, *lo = sc->fold + COLS, *mx = sc->mx;
  int64_t *done = sc->done;
  ht_xacc_fold_run_cols(p, t == HT_FLOAT32, ld, rows, w, sc->e, sc->v, hi, lo, mx, done);
  for (int64_t l = 0; l < w; l++) /* before deposit reuses hi, lo */
    if (done[l] > 0) add_exact(sc, l, hi[l], lo[l]);
  for (int64_t l = 0, l2; l < w; l = l2) {
    const int64_t d = done[l];
    for (l2 = l + 1; l2 < w && done[l2] == d; l2++) {}
    if (d == rows) continue;
    char *q = (char *)p + (d * ld + l) * item;
    scan_scratch sub = *sc;
    sub.x += l, sub.S += l, sub.E += l, sub.bad += l, sub.inx += l;
    deposit(t, q, ld, rows - d, l2 - l, &sub);
    for (int64_t r = 0; r < rows - d; r++) /* a NaN sticks */
      for (int64_t k = 0; k < l2 - l; k++) {
        const double a = fabs(ht_get_float(t, q, r * ld + k));
        mx[l + k] = a > mx[l + k] || a != a ? a : mx[l + k];
      }
    run(t, q, ld, rows - d, l2 - l, sc->v + l);
  }
  for (int64_t l = 0; l < w; l++) { /* every |x| < 2^(e-1): a block twice as large passes */
    uint64_t b;
    memcpy(&b, &mx[l], 8);
    const int ebx = (int)(b >> 52);
    sc->e[l] = ebx < 0x7ff ? ebx - 1021 : INT32_MIN;
  }
}

/* Rows [0, rows) of columns [0, w) (row stride ld elements) from in to p. */
static void load_block(char *p, const char *in, int64_t ld, int64_t rows, int64_t w,
                       int64_t item) {
  if (w == ld) {
    memcpy(p, in, (size_t)(rows * w * item));
    return;
  }
  for (int64_t r = 0; r < rows; r++)
    memcpy(p + r * ld * item, in + r * ld * item, (size_t)(w * item));
}

/* One work item: columns [i0, i0 + w) of outer index o; in: the input (NULL: data holds
 * it already), copied into data a block at a time just before the block is run over, so
 * that the pass reads it from cache, not from memory again as after a whole copy. */
static void item(ht_dtype t, char *data, const char *in, const char *head, int64_t h,
                 const ht_xacc *start, int64_t o, int64_t n, int64_t inner, int64_t i0,
                 int64_t w, int64_t g0, scan_scratch *sc) {
  const int64_t item = (int64_t)ht_dtype_size(t);
  ht_xacc *x = sc->x;
  double *v = sc->v, *S = sc->S, *E = sc->E;
  unsigned char *inx = sc->inx;
  if (h > 0) { /* back to the block start: the head's rows taken off exactly, then run */
    const char *hp = head + (o * h * inner + i0) * item;
    for (int64_t l = 0; l < w; l++) {
      if (start) x[l] = start[o * inner + i0 + l];
      else ht_xacc_zero(&x[l]);
    }
    for (int64_t r = 0; r < h; r++)
      for (int64_t l = 0; l < w; l++) ht_xacc_add(&x[l], -ht_get_float(t, hp, r * inner + l));
    for (int64_t l = 0; l < w; l++) v[l] = ht_xacc_round(&x[l]);
    for (int64_t r = 0; r < h; r++)
      for (int64_t l = 0; l < w; l++) v[l] += ht_get_float(t, hp, r * inner + l);
  }
  for (int64_t l = 0; l < w; l++) {
    S[l] = 0, E[l] = 0, inx[l] = 0, sc->e[l] = INT32_MIN;
    if (start) from_xacc(&start[o * inner + i0 + l], &S[l], &E[l], &inx[l], &x[l]);
  }
  char *p = data + (o * n * inner + i0) * item;
  /* the first block only sets the bounds; 8 columns make an AVX2 group */
  const bool fuse = n >= 4 * HT_SCAN_BLOCK && w >= 8;
  for (int64_t j = 0; j < n;) {
    const int64_t g = g0 + j, end = (g / HT_SCAN_BLOCK + 1) * HT_SCAN_BLOCK - g0;
    const int64_t rows = (end < n ? end : n) - j;
    if (g % HT_SCAN_BLOCK == 0) /* + 0.0: an exact zero is +0, as the rounding gives */
      for (int64_t l = 0; l < w; l++) v[l] = inx[l] ? ht_xacc_round(&x[l]) : S[l] + 0.0;
    if (in) /* the block's input, just before its pass reads it */
      load_block(p + j * inner * item, in + (o * n * inner + i0 + j * inner) * item, inner,
                 rows, w, item);
    if (j + rows < n && fuse) {
      fold_run(t, p + j * inner * item, inner, rows, w, sc);
    } else {
      if (j + rows < n) deposit(t, p + j * inner * item, inner, rows, w, sc);
      run(t, p + j * inner * item, inner, rows, w, v);
    }
    j += rows;
  }
}

static int threads(void) {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

/* Whether the threads take row ranges (cut at block starts) rather than column tiles:
 * where the columns make fewer work items than threads (64 columns are one item) and
 * each thread gets several blocks. Narrow column tiles of a row-major chunk read
 * partial cache lines and cost float32 2x; row ranges keep whole rows. */
static bool split_rows(int64_t outer, int64_t n, int64_t inner, int nt) {
  return nt > 1 && outer == 1 && (inner + COLS - 1) / COLS < nt &&
         n >= (int64_t)nt * 4 * HT_SCAN_BLOCK;
}

bool ht_cpu_cumsum_reads_input(ht_dtype t, int64_t outer, int64_t n, int64_t inner) {
  const int nt = threads();
  return n >= 4 * HT_SCAN_BLOCK && inner >= 8 &&
         (nt == 1 || t == HT_FLOAT64 || split_rows(outer, n, inner, nt));
}

/* outer == 1, rows cut among nt threads at global block starts: the exact sums of the
 * rows before each cut first (every thread reading a part, ht_cpu_reduce_exact), then
 * each range scanned on its own from its exact start. Every block restarts from its
 * correctly rounded exact prefix, so the cuts leave the bits alone; the price is one
 * more read of the rows before the last cut. */
static int cumsum_row_ranges(ht_dtype t, void *data, const void *in, const void *head,
                             int64_t h, const ht_xacc *start, int64_t n, int64_t inner,
                             int64_t g0, int nt) {
  const int64_t item = (int64_t)ht_dtype_size(t);
  int64_t cut[nt + 1];
  cut[0] = 0, cut[nt] = n;
  for (int k = 1; k < nt; k++) {
    const int64_t g = g0 + n * k / nt, b = (g + HT_SCAN_BLOCK - 1) / HT_SCAN_BLOCK;
    const int64_t c = b * HT_SCAN_BLOCK - g0;
    cut[k] = c < cut[k - 1] ? cut[k - 1] : c > n ? n : c;
  }
  /* pre[(k-1)*inner + l]: the exact sum of column l's rows [0, cut[k]) plus start */
  ht_xacc *pre = malloc((size_t)nt * (size_t)inner * sizeof(ht_xacc));
  if (!pre) return -1;
  ht_xacc *seg = pre + (size_t)(nt - 1) * (size_t)inner;
  const char *src = in ? in : data;
  for (int k = 1; k < nt; k++) {
    ht_xacc *p = pre + (size_t)(k - 1) * (size_t)inner;
    ht_rjob j = {.op = HT_K_SUM, .t = t, .f64 = true, .in = src + cut[k - 1] * inner * item,
                 .O = 1, .R = cut[k] - cut[k - 1], .I = inner};
    if (ht_cpu_reduce_exact(&j, seg, NULL)) return free(pre), -1;
    for (int64_t l = 0; l < inner; l++) {
      if (k > 1) p[l] = p[l - inner];
      else if (start) p[l] = start[l], ht_xacc_normalize(&p[l]);
      else ht_xacc_zero(&p[l]);
      ht_xacc_merge(&p[l], &seg[l]);
      ht_xacc_normalize(&p[l]);
    }
  }
  int status = 0;
#pragma omp parallel for num_threads(nt) schedule(static, 1) reduction(| : status)
  for (int k = 0; k < nt; k++) {
    const int64_t off = cut[k] * inner * item;
    if (cut[k + 1] > cut[k])
      status |= ht_cpu_cumsum_blocked(t, (char *)data + off, in ? (const char *)in + off : NULL,
                                      k ? NULL : head, k ? 0 : h,
                                      k ? pre + (size_t)(k - 1) * (size_t)inner : start, 1,
                                      cut[k + 1] - cut[k], inner, g0 + cut[k]) != 0;
  }
  free(pre);
  return status ? -1 : 0;
}

int ht_cpu_cumsum_blocked(ht_dtype t, void *data, const void *in, const void *head, int64_t h,
                          const ht_xacc *start, int64_t outer, int64_t n, int64_t inner,
                          int64_t g0) {
  if (outer == 0 || inner == 0 || n == 0) return 0;
  const int nth = threads();
  if (split_rows(outer, n, inner, nth))
    return cumsum_row_ranges(t, data, in, head, h, start, n, inner, g0, nth);
  /* columns per item: COLS, or fewer (a multiple of 8) so that every thread has columns
   * when outer is small; each column's folds and runs do not depend on its neighbours, so
   * the tiling leaves the bits alone */
  int64_t cols = COLS;
#ifdef _OPENMP
  const int64_t nt = omp_in_parallel() ? 1 : omp_get_max_threads();
  while (nt > 1 && cols > 8 && outer * ((inner + cols - 1) / cols) < 2 * nt) cols /= 2;
#endif
  const int64_t tiles = (inner + cols - 1) / cols, items = outer * tiles;
  int status = 0;
#pragma omp parallel if (items > 1 && outer * n * inner > (1 << 16)) reduction(| : status)
  {
    double *d = malloc(9 * COLS * sizeof(double)); /* v, S, E, the fold's 5, mx */
    scan_scratch sc = {malloc(COLS * sizeof(ht_xacc)), d, d + COLS, d + 2 * COLS, d + 3 * COLS,
                       d + 8 * COLS, malloc(2 * COLS), NULL, malloc(COLS * sizeof(int32_t)),
                       malloc(COLS * sizeof(int64_t))};
    if (sc.x && d && sc.bad && sc.e && sc.done) {
      sc.inx = sc.bad + COLS;
#pragma omp for schedule(static)
      for (int64_t it = 0; it < items; it++) {
        const int64_t o = it / tiles, i0 = it % tiles * cols;
        const int64_t w = inner - i0 < cols ? inner - i0 : cols;
        item(t, data, in, head, h, start, o, n, inner, i0, w, g0, &sc);
      }
    } else {
      status = 1;
    }
    free(sc.x), free(d), free(sc.bad), free(sc.e), free(sc.done);
  }
  return status ? -1 : 0;
}
