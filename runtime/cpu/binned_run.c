/* cumsum's one pass over a block (runtime/cpu/binned_run.c): each row checked against
 * its column's bound, then folded exactly and overwritten by the running sum
 * (ht_xacc_fold_run_cols in cpu/binned.h; the folds' constants in binned_fold.h). */
#include "binned.h"
#include "binned_fold.h"
#include "simd.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_AVX2_PLAIN
#include <immintrin.h>
#endif

/* fold1_any's proof (binned.c) with a bound E taken from an earlier block instead of the block's
 * largest term: when every term satisfies 2^(E-1-R) <= |x| < 2^E (R = fold1_range(h):
 * biased exponents in [E+1022-R, E+1022]), the pieces q against s = 1.5 * 2^(E+h) and the
 * remainders x - q add exactly as there, for any subset of the block's rows; a larger E
 * than the block's own only widens the range the smallest term must lie in. Each row is
 * checked before it is folded and run over, so the block is read once from memory and a
 * row that fails is left as it was for the caller's two-pass folds. */

/* s = 1.5 * 2^(E+h) for a valid bound E, else 0 (the check fails the column anyway). */
static inline double hint_sigma(int32_t E, int hr) {
  if (E == INT32_MIN || E > 1000 || E < -960) return 0;
  const uint64_t b = (uint64_t)(E + hr + 1023) << 52 | (uint64_t)1 << 51;
  double s;
  memcpy(&s, &b, 8);
  return s;
}

/* The check as bounds on |x|: lb <= |x| < ub holds exactly when x's biased exponent lies
 * in [E+1022-R, E+1022] and is at least 1, so zeros, subnormals, NaN and infinities fail;
 * nothing passes when E is not a valid bound (ub = 0). */
static inline void hint_bounds(int32_t E, int hr, double *ub, double *lb) {
  if (E == INT32_MIN || E > 1000 || E < -960) {
    *ub = 0, *lb = INFINITY;
    return;
  }
  const int k = E - 1 - fold1_range(hr);
  *ub = ldexp(1.0, E), *lb = ldexp(1.0, k < -1022 ? -1022 : k);
}

/* One column (the tiles' last columns, or no AVX2): rows done. */
static int64_t fold_run_col(void *v, bool f32, int64_t ld, int64_t rows, int32_t E, int hr,
                            double *run, double *hi, double *lo, double *mx) {
  double ub, lb, h = 0, g = 0, m = 0, y = *run;
  const double s = hint_sigma(E, hr);
  hint_bounds(E, hr, &ub, &lb);
  int64_t r = 0;
  for (; r < rows; r++) {
    const double x = f32 ? (double)((float *)v)[r * ld] : ((double *)v)[r * ld], a = fabs(x);
    if (!(a < ub && a >= lb)) break;
    const double q = (s + x) - s;
    h += q, g += x - q, m = a > m ? a : m, y += x;
    if (f32) ((float *)v)[r * ld] = (float)y;
    else ((double *)v)[r * ld] = y;
  }
  *run = y, *hi = h, *lo = g, *mx = m;
  return r;
}

#ifdef HAVE_AVX2_PLAIN
/* Rows [r0, r1) of 8 columns: the state (run, hi, lo, mx) in registers across the rows,
 * kept in memory between calls; each row is checked before it is folded and overwritten.
 * s, ub, lb: the columns' fold constants and bounds. Returns the first row not taken. */
__attribute__((target("avx2"))) static int64_t fold_run8_f64(double *v, int64_t ld, int64_t r0,
                                                            int64_t r1, const double *s,
                                                            const double *ub, const double *lb,
                                                            double *run, double *hi,
                                                            double *lo, double *mx) {
  const __m256d abs = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  const __m256d s0 = _mm256_loadu_pd(s), s1 = _mm256_loadu_pd(s + 4);
  const __m256d u0 = _mm256_loadu_pd(ub), u1 = _mm256_loadu_pd(ub + 4);
  const __m256d b0 = _mm256_loadu_pd(lb), b1 = _mm256_loadu_pd(lb + 4);
  __m256d y0 = _mm256_loadu_pd(run), y1 = _mm256_loadu_pd(run + 4);
  __m256d h0 = _mm256_loadu_pd(hi), h1 = _mm256_loadu_pd(hi + 4);
  __m256d g0 = _mm256_loadu_pd(lo), g1 = _mm256_loadu_pd(lo + 4);
  __m256d m0 = _mm256_loadu_pd(mx), m1 = _mm256_loadu_pd(mx + 4);
  int64_t r = r0;
  for (; r < r1; r++) {
    double *p = v + r * ld;
    const __m256d x0 = _mm256_loadu_pd(p), x1 = _mm256_loadu_pd(p + 4);
    const __m256d a0 = _mm256_and_pd(x0, abs), a1 = _mm256_and_pd(x1, abs);
    const __m256d ok0 = _mm256_and_pd(_mm256_cmp_pd(a0, u0, _CMP_LT_OQ), _mm256_cmp_pd(a0, b0, _CMP_GE_OQ));
    const __m256d ok1 = _mm256_and_pd(_mm256_cmp_pd(a1, u1, _CMP_LT_OQ), _mm256_cmp_pd(a1, b1, _CMP_GE_OQ));
    if (_mm256_movemask_pd(_mm256_and_pd(ok0, ok1)) != 0xf) break;
    m0 = _mm256_max_pd(m0, a0), m1 = _mm256_max_pd(m1, a1);
    const __m256d q0 = _mm256_sub_pd(_mm256_add_pd(s0, x0), s0);
    const __m256d q1 = _mm256_sub_pd(_mm256_add_pd(s1, x1), s1);
    h0 = _mm256_add_pd(h0, q0), h1 = _mm256_add_pd(h1, q1);
    g0 = _mm256_add_pd(g0, _mm256_sub_pd(x0, q0)), g1 = _mm256_add_pd(g1, _mm256_sub_pd(x1, q1));
    y0 = _mm256_add_pd(y0, x0), y1 = _mm256_add_pd(y1, x1);
    _mm256_storeu_pd(p, y0), _mm256_storeu_pd(p + 4, y1);
  }
  _mm256_storeu_pd(run, y0), _mm256_storeu_pd(run + 4, y1);
  _mm256_storeu_pd(hi, h0), _mm256_storeu_pd(hi + 4, h1), _mm256_storeu_pd(lo, g0);
  _mm256_storeu_pd(lo + 4, g1), _mm256_storeu_pd(mx, m0), _mm256_storeu_pd(mx + 4, m1);
  return r;
}

/* Every |x| of a float32 row within [b, u) or zero. */
__attribute__((target("avx2"), always_inline)) static inline bool f32_row_in(__m256 a, __m256 u,
                                                                           __m256 b) {
  const __m256 in = _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_GE_OQ), _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_EQ_OQ));
  return _mm256_movemask_ps(_mm256_and_ps(in, _mm256_cmp_ps(a, u, _CMP_LT_OQ))) == 0xff;
}

/* float32: no fold. Terms with 2^(E-31+h) <= |x| < 2^E or zero have a double sum that is
 * exact in any order for up to 2^(h-1) of them (plain_ok's proof: biased exponents within
 * 31 - h of each other), so each column is summed as plain doubles (lo stays 0), the check
 * made on the floats as read (ub, lb: bounds rounded inwards to float; subnormals fail). */
__attribute__((target("avx2"))) static int64_t fold_run8_f32(float *v, int64_t ld, int64_t r0,
                                                            int64_t r1, const float *ub,
                                                            const float *lb, double *run,
                                                            double *hi, double *mx) {
  const __m256 abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 u = _mm256_loadu_ps(ub), b = _mm256_loadu_ps(lb);
  __m256d y0 = _mm256_loadu_pd(run), y1 = _mm256_loadu_pd(run + 4);
  __m256d h0 = _mm256_loadu_pd(hi), h1 = _mm256_loadu_pd(hi + 4);
  __m256 m = _mm256_setzero_ps();
  int64_t r = r0;
  for (; r < r1; r++) {
    float *p = v + r * ld;
    const __m256 x = _mm256_loadu_ps(p), a = _mm256_and_ps(x, abs);
    if (!f32_row_in(a, u, b)) break;
    m = _mm256_max_ps(m, a);
    const __m256d x0 = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
    const __m256d x1 = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    h0 = _mm256_add_pd(h0, x0), h1 = _mm256_add_pd(h1, x1);
    y0 = _mm256_add_pd(y0, x0), y1 = _mm256_add_pd(y1, x1);
    _mm_storeu_ps(p, _mm256_cvtpd_ps(y0)), _mm_storeu_ps(p + 4, _mm256_cvtpd_ps(y1));
  }
  _mm256_storeu_pd(run, y0), _mm256_storeu_pd(run + 4, y1);
  _mm256_storeu_pd(hi, h0), _mm256_storeu_pd(hi + 4, h1);
  _mm256_storeu_pd(mx, _mm256_max_pd(_mm256_loadu_pd(mx), _mm256_cvtps_pd(_mm256_castps256_ps128(m))));
  _mm256_storeu_pd(mx + 4, _mm256_max_pd(_mm256_loadu_pd(mx + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(m, 1))));
  return r;
}

/* The same two with AVX-512, one register per 8 columns: half the instructions per row,
 * so twice the rows (and loads) in flight (HEATLUA_NO_AVX512=1: the AVX2 ones). */
__attribute__((target("avx512f"))) static int64_t fold_run8_f64_512(double *v, int64_t ld,
                                                                   int64_t r0, int64_t r1,
                                                                   const double *s,
                                                                   const double *ub,
                                                                   const double *lb,
                                                                   double *run, double *hi,
                                                                   double *lo, double *mx) {
  const __m512d S = _mm512_loadu_pd(s), U = _mm512_loadu_pd(ub), B = _mm512_loadu_pd(lb);
  __m512d y = _mm512_loadu_pd(run), h = _mm512_loadu_pd(hi), g = _mm512_loadu_pd(lo);
  __m512d m = _mm512_loadu_pd(mx);
  int64_t r = r0;
  for (; r < r1; r++) {
    double *p = v + r * ld;
    const __m512d x = _mm512_loadu_pd(p), a = _mm512_abs_pd(x);
    if (_mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(a, U, _CMP_LT_OQ), a, B, _CMP_GE_OQ) != 0xff) break;
    m = _mm512_max_pd(m, a);
    const __m512d q = _mm512_sub_pd(_mm512_add_pd(S, x), S);
    h = _mm512_add_pd(h, q), g = _mm512_add_pd(g, _mm512_sub_pd(x, q)), y = _mm512_add_pd(y, x);
    _mm512_storeu_pd(p, y);
  }
  _mm512_storeu_pd(run, y), _mm512_storeu_pd(hi, h), _mm512_storeu_pd(lo, g), _mm512_storeu_pd(mx, m);
  return r;
}

__attribute__((target("avx512f"))) static int64_t fold_run8_f32_512(float *v, int64_t ld,
                                                                   int64_t r0, int64_t r1,
                                                                   const float *ub,
                                                                   const float *lb,
                                                                   double *run, double *hi,
                                                                   double *mx) {
  const __m256 abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 u = _mm256_loadu_ps(ub), b = _mm256_loadu_ps(lb);
  __m512d y = _mm512_loadu_pd(run), h = _mm512_loadu_pd(hi);
  __m256 m = _mm256_setzero_ps();
  int64_t r = r0;
  for (; r < r1; r++) {
    float *p = v + r * ld;
    const __m256 x = _mm256_loadu_ps(p), a = _mm256_and_ps(x, abs);
    if (!f32_row_in(a, u, b)) break;
    m = _mm256_max_ps(m, a);
    const __m512d xd = _mm512_cvtps_pd(x);
    h = _mm512_add_pd(h, xd), y = _mm512_add_pd(y, xd);
    _mm256_storeu_ps(p, _mm512_cvtpd_ps(y));
  }
  _mm512_storeu_pd(run, y), _mm512_storeu_pd(hi, h);
  _mm512_storeu_pd(mx, _mm512_max_pd(_mm512_loadu_pd(mx), _mm512_cvtps_pd(m)));
  return r;
}


/* Columns [c0, c1) (multiples of 8) in tiles of RUN_TILE rows across all their groups,
 * so that the block is read in the order it lies in memory; a group that stops is left
 * out of the later tiles. */
enum { RUN_TILE = 16, RUN_CHUNK = 64 };
#ifndef RUN_AHEAD
#define RUN_AHEAD 32
#endif
__attribute__((target("avx2"))) static void fold_run_chunk(void *v, bool f32, int64_t ld,
                                                          int64_t rows, int64_t c0,
                                                          int64_t c1, int hr,
                                                          const int32_t *e, double *run,
                                                          double *hi, double *lo,
                                                          double *mx, int64_t *done) {
  double s[RUN_CHUNK], ub[RUN_CHUNK], lb[RUN_CHUNK];
  float fub[RUN_CHUNK], flb[RUN_CHUNK];
  for (int64_t l = c0; l < c1; l++) {
    const int32_t E = e[l];
    const bool ok = E != INT32_MIN && E <= 1000 && E >= -960;
    s[l - c0] = hint_sigma(E, hr), hint_bounds(E, hr, &ub[l - c0], &lb[l - c0]);
    const int k = ok ? E - 31 + hr : 0;
    fub[l - c0] = ok ? (E > 127 ? INFINITY : ldexpf(1.0f, E)) : 0;
    flb[l - c0] = k > 127 ? INFINITY : ldexpf(1.0f, k < -126 ? -126 : k);
  }
  const bool w512 = ht_cpu_avx512();
  for (int64_t r0 = 0; r0 < rows; r0 += RUN_TILE) {
    const int64_t r1 = rows - r0 < RUN_TILE ? rows : r0 + RUN_TILE;
    /* the rows RUN_AHEAD on asked for (past the block too: the next one follows): the
     * hardware prefetch alone left two thirds of the time waiting on these loads */
    for (int64_t r = r0 + RUN_AHEAD; r < r1 + RUN_AHEAD; r++)
      for (int64_t k = c0; k < c1; k += f32 ? 16 : 8)
        __builtin_prefetch((const char *)v + (r * ld + k) * (f32 ? 4 : 8));
    for (int64_t g = c0; g < c1; g += 8) {
      if (done[g] != r0) continue; /* stopped in an earlier tile */
      const int64_t k = g - c0;
      int64_t d;
      if (f32)
        d = (w512 ? fold_run8_f32_512 : fold_run8_f32)((float *)v + g, ld, r0, r1, fub + k, flb + k,
                                                       run + g, hi + g, mx + g);
      else
        d = (w512 ? fold_run8_f64_512 : fold_run8_f64)((double *)v + g, ld, r0, r1, s + k, ub + k,
                                                       lb + k, run + g, hi + g, lo + g, mx + g);
      for (int l = 0; l < 8; l++) done[g + l] = d;
    }
  }
}
#endif

void ht_xacc_fold_run_cols(void *v, bool f32, int64_t ld, int64_t rows, int64_t w,
                           const int32_t *e, double *run, double *hi, double *lo, double *mx,
                           int64_t *done) {
  const int hr = headroom(rows), item = f32 ? 4 : 8;
  int64_t l0 = 0;
#ifdef HAVE_AVX2_PLAIN
  if (have_avx2()) {
    for (int64_t l = 0; l < w / 8 * 8; l++) hi[l] = 0, lo[l] = 0, mx[l] = 0, done[l] = 0;
    for (; l0 + 8 <= w; l0 += RUN_CHUNK) {
      const int64_t c1 = w / 8 * 8 - l0 < RUN_CHUNK ? w / 8 * 8 : l0 + RUN_CHUNK;
      fold_run_chunk(v, f32, ld, rows, l0, c1, hr, e, run, hi, lo, mx, done);
    }
    l0 = w / 8 * 8;
  }
#endif
  for (; l0 < w; l0++)
    done[l0] = fold_run_col((char *)v + l0 * item, f32, ld, rows, e[l0], hr, run + l0, hi + l0,
                            lo + l0, mx + l0);
}
