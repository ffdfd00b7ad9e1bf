/* Exact float64 sums: the superaccumulator (digits of 32 bits over the whole double
 * range, as in Neal's xsum) and the binned folds that feed it a block at a time (as in
 * ReproBLAS: terms split against 1.5 * 2^k, whose pieces add without rounding). */
#include "binned.h"
#include "binned_cols.h"
#include "binned_fold.h"
#include "binned_rows.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

typedef unsigned __int128 u128;

/* Rounding must be exactly IEEE: no fused multiply-add in the folds, in any clone. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VEC_CLONES                                                                       \
  __attribute__((target_clones("avx2", "default"), optimize("fp-contract=off")))
#define NO_UNROLL _Pragma("GCC unroll 1")
#include <immintrin.h>
#else
#define VEC_CLONES
#define NO_UNROLL
#endif

enum {
  LANES = 8,
  HEADROOM = 13,         /* log2(HT_XACC_BLOCK) + 1: a block of fold pieces sums exactly */
  TOP = HT_XACC_DIGITS - 1,
};
#define MAX_ADDS ((int64_t)1 << 30)
#define M32 0xffffffffu

static void fold_cols_generic(const void *v, bool f32, const double *c, int64_t ld,
                              int64_t rows, int64_t w, double *hi, double *lo,
                              unsigned char *bad, double *scratch);

void ht_xacc_zero(ht_xacc *a) { memset(a, 0, sizeof *a); }

void ht_xacc_normalize(ht_xacc *a) {
  for (int i = 0; i < TOP; i++) {
    const int64_t c = a->d[i] >> 32; /* floor division: the digit keeps its low 32 bits */
    a->d[i] -= (int64_t)((uint64_t)c << 32);
    a->d[i + 1] += c;
  }
  a->adds = 0;
}

void ht_xacc_add(ht_xacc *a, double x) {
  uint64_t b;
  memcpy(&b, &x, 8);
  const int eb = (int)(b >> 52 & 0x7ff);
  uint64_t m = b & (((uint64_t)1 << 52) - 1);
  if (eb == 0x7ff) {
    if (m) a->nan++;
    else if (b >> 63) a->ninf++;
    else a->pinf++;
    return;
  }
  int pos = 0; /* the weight of m's lowest bit is 2^(pos - 1074) */
  if (eb == 0) {
    if (!m) return;
  } else {
    m |= (uint64_t)1 << 52, pos = eb - 1;
  }
  const int i = pos >> 5;
  const u128 v = (u128)m << (pos & 31);
  const int64_t d0 = (int64_t)(v & M32), d1 = (int64_t)(v >> 32 & M32), d2 = (int64_t)(v >> 64);
  if (b >> 63) a->d[i] -= d0, a->d[i + 1] -= d1, a->d[i + 2] -= d2;
  else a->d[i] += d0, a->d[i + 1] += d1, a->d[i + 2] += d2;
  if (++a->adds >= MAX_ADDS) ht_xacc_normalize(a);
}


/* A term as the folds see it: a float64 or float32 value, or its squared deviation from
 * c, computed in double as it is read (no scratch copy of the terms). */
static inline __attribute__((always_inline)) double term(const void *v, bool f32, bool sq,
                                                         double c, int64_t k) {
  double x = f32 ? (double)((const float *)v)[k] : ((const double *)v)[k];
  if (sq) x = (x - c) * (x - c);
  return x;
}

/* With |x| < 2^E and s = 1.5 * 2^(E+13), s + x stays in [2^(E+13), 2^(E+14)), so
 * q = (s + x) - s is exact, a multiple of 2^(E-39), and x - q is exact and below
 * 2^(E-40); 4096 such q add without rounding in any order. */

/* The one-fold pass over float64 or float32 terms: the pieces q and the remainders
 * x - q summed in lanes (both sums exact when the caller's exponent check passed). */
static inline __attribute__((always_inline)) void fold1_pass(const void *v, bool f32, bool sq,
                                                             double c, int64_t n, double s1,
                                                             double *hi, double *lo) {
  double a1[LANES] = {0}, a2[LANES] = {0};
  int64_t k = 0;
  for (; k + LANES <= n; k += LANES) {
    NO_UNROLL
    for (int l = 0; l < LANES; l++) {
      const double x = term(v, f32, sq, c, k + l);
      const double q = (s1 + x) - s1;
      a1[l] += q, a2[l] += x - q;
    }
  }
  for (; k < n; k++) {
    const double x = term(v, f32, sq, c, k);
    const double q = (s1 + x) - s1;
    a1[0] += q, a2[0] += x - q;
  }
  double h = 0, g = 0;
  for (int l = 0; l < LANES; l++) h += a1[l], g += a2[l];
  *hi = h, *lo = g;
}

/* One fold, the common case: when every term is a normal number within 2^28 (float32:
 * 2^57) of the block's largest, the remainders x - q are multiples of the smallest
 * term's ulp and their sum stays within 53 bits of it, so they add exactly as they are.
 * Two passes of few operations: the exponent range (masked bits, max and min), then the
 * fold. -1 when the range is wider (or holds zeros, subnormals, NaN or infinities). */
static inline __attribute__((always_inline)) int fold1_any(const void *restrict v, bool f32,
                                                           bool sq, double c, int64_t n,
                                                           double *hi, double *lo) {
  const int h = headroom(n);
  double mx[LANES], mn[LANES];
  const uint64_t EXP = (uint64_t)0x7ff << 52;
  for (int l = 0; l < LANES; l++) mx[l] = 0, mn[l] = INFINITY;
  int64_t k = 0;
  for (; k + LANES <= n; k += LANES) {
    NO_UNROLL
    for (int l = 0; l < LANES; l++) {
      uint64_t b;
      double t = term(v, f32, sq, c, k + l);
      memcpy(&b, &t, 8);
      b &= EXP;
      memcpy(&t, &b, 8);
      mx[l] = t > mx[l] ? t : mx[l];
      mn[l] = t < mn[l] ? t : mn[l];
    }
  }
  for (; k < n; k++) {
    uint64_t b;
    double t = term(v, f32, sq, c, k);
    memcpy(&b, &t, 8);
    b &= EXP;
    memcpy(&t, &b, 8);
    mx[0] = t > mx[0] ? t : mx[0];
    mn[0] = t < mn[0] ? t : mn[0];
  }
  double tmx = 0, tmn = INFINITY;
  for (int l = 0; l < LANES; l++) tmx = mx[l] > tmx ? mx[l] : tmx, tmn = mn[l] < tmn ? mn[l] : tmn;
  uint64_t bx, bn;
  memcpy(&bx, &tmx, 8), memcpy(&bn, &tmn, 8);
  const int ebx = (int)(bx >> 52), ebn = (int)(bn >> 52);
  const int E = ebx - 1022;
  if (ebn == 0 || ebx - ebn > fold1_range(h) || E > 1000 || E < -960) return -1;
  double s1, s2;
  fold_sigmas(tmx, h, &s1, &s2);
  fold1_pass(v, f32, sq, c, n, s1, hi, lo);
  return 0;
}

VEC_CLONES static int fold1_f64(const double *restrict v, int64_t n, double *hi, double *lo) {
  return fold1_any(v, false, false, 0, n, hi, lo);
}

VEC_CLONES static int fold1_sq_f64(const double *restrict v, double c, int64_t n, double *hi,
                                   double *lo) {
  return fold1_any(v, false, true, c, n, hi, lo);
}

VEC_CLONES static int fold1_sq_f32(const float *restrict v, double c, int64_t n, double *hi,
                                   double *lo) {
  return fold1_any(v, true, true, c, n, hi, lo);
}

/* The one-fold case: the one-pass AVX2 folds (binned_spec.c) from 8 terms on, else (or
 * when they did not try) the two passes of fold1_any. */
static int fold1_fast(const void *v, bool f32, const double *c, int64_t n, double *hi,
                      double *lo) {
  const int r = ht_xacc_spec_terms(v, f32, c, n, hi, lo);
  if (r != -2) return r;
  if (!c) return fold1_f64(v, n, hi, lo);
  return f32 ? fold1_sq_f32(v, *c, n, hi, lo) : fold1_sq_f64(v, *c, n, hi, lo);
}

int ht_xacc_fold_terms(const void *v, bool f32, const double *c, int64_t n, double *hi,
                       double *lo) {
  if (!c && f32) return ht_xacc_fold_block_f32(v, n, hi, lo);
  return fold1_fast(v, f32, c, n, hi, lo);
}

/* One float32 term into a double lane and the exponent extremes (see plain_ok in
 * binned_fold.h: float32 terms need no fold in the common case). */
#define PLAIN_STEP(x, a, mx, mn)                                                         \
  do {                                                                                   \
    uint32_t b_;                                                                         \
    memcpy(&b_, &(x), 4);                                                                \
    b_ &= 0x7fffffffu;                                                                   \
    const uint32_t z_ = b_ ? b_ : 0x7fffffffu;                                           \
    (mx) = b_ > (mx) ? b_ : (mx);                                                        \
    (mn) = z_ < (mn) ? z_ : (mn);                                                        \
    (a) += (double)(x);                                                                  \
  } while (0)

/* The exact sum of n <= HT_XACC_F32_PLAIN float32 terms as one double, in one pass of
 * few vector operations (convert, add, and, compare, max, min); -1 when plain_ok fails. */
VEC_CLONES static int plain_f32(const float *restrict v, int64_t n, double *s) {
  enum { FL = 2 * LANES };
  double a[FL];
  uint32_t mx[FL], mn[FL];
  for (int l = 0; l < FL; l++) a[l] = 0, mx[l] = 0, mn[l] = 0x7fffffffu;
  int64_t k = 0;
  for (; k + FL <= n; k += FL) {
    NO_UNROLL
    for (int l = 0; l < FL; l++) PLAIN_STEP(v[k + l], a[l], mx[l], mn[l]);
  }
  for (; k < n; k++) PLAIN_STEP(v[k], a[0], mx[0], mn[0]);
  uint32_t tmx = 0, tmn = 0x7fffffffu;
  double t = 0;
  for (int l = 0; l < FL; l++) {
    tmx = mx[l] > tmx ? mx[l] : tmx, tmn = mn[l] < tmn ? mn[l] : tmn;
    t += a[l];
  }
  if (!plain_ok(tmx, tmn, n)) return -1;
  *s = t;
  return 0;
}

#ifdef HAVE_AVX2_PLAIN
/* 16 columns of a row-major float32 block, each summed in its own double lane (as
 * plain_f32, one lane per column), lanes in registers across the rows. Written with AVX2
 * intrinsics: GCC's vectoriser kept the lanes in memory (4x slower) and its generic
 * vectors split every conversion in two. pf > 0: this pass also asks for the cache lines
 * of columns 0 .. pf of the rows ~16 KiB ahead (the later passes' too): strided passes
 * straight from memory ran at a quarter of its speed. */
__attribute__((target("avx2"))) static void plain_cols16_avx2(const float *restrict v,
                                                             int64_t ld, int64_t rows,
                                                             int64_t pf, double *restrict s,
                                                             uint32_t *restrict mxo,
                                                             uint32_t *restrict mno) {
  const __m256i abs = _mm256_set1_epi32(0x7fffffff), zero = _mm256_setzero_si256();
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  __m256i mx0 = zero, mx1 = zero, mn0 = abs, mn1 = abs; /* |bits| compare as int32 */
  const int64_t ahead = (ld < 4096 ? 4096 / ld : 1) * ld; /* rows about 16 KiB ahead */
  for (int64_t r = 0; r < rows; r++) {
    const float *p = v + r * ld;
    for (int64_t k = 0; k < pf; k += 16) __builtin_prefetch(p + ahead + k);
    const __m256i b0 = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)p), abs);
    const __m256i b1 = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(p + 8)), abs);
    mx0 = _mm256_max_epi32(mx0, b0), mx1 = _mm256_max_epi32(mx1, b1);
    /* zeros count as 0x7fffffff, above every finite |bits| */
    mn0 = _mm256_min_epi32(mn0, _mm256_or_si256(b0, _mm256_and_si256(_mm256_cmpeq_epi32(b0, zero), abs)));
    mn1 = _mm256_min_epi32(mn1, _mm256_or_si256(b1, _mm256_and_si256(_mm256_cmpeq_epi32(b1, zero), abs)));
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(p)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(p + 4)));
    a2 = _mm256_add_pd(a2, _mm256_cvtps_pd(_mm_loadu_ps(p + 8)));
    a3 = _mm256_add_pd(a3, _mm256_cvtps_pd(_mm_loadu_ps(p + 12)));
  }
  _mm256_storeu_pd(s, a0), _mm256_storeu_pd(s + 4, a1);
  _mm256_storeu_pd(s + 8, a2), _mm256_storeu_pd(s + 12, a3);
  _mm256_storeu_si256((__m256i *)(void *)mxo, mx0), _mm256_storeu_si256((__m256i *)(void *)(mxo + 8), mx1);
  _mm256_storeu_si256((__m256i *)(void *)mno, mn0), _mm256_storeu_si256((__m256i *)(void *)(mno + 8), mn1);
}

/* Many short float32 rows (ht_xacc_plain_rows_f32): each row's lanes reduced in
 * registers, without the per-call setup of plain_f32 (which a row of 64 terms paid 4x). */
__attribute__((target("avx2"))) static void plain_rows_avx2(const float *restrict v, int64_t n,
                                                           int64_t rows, double *restrict out,
                                                           unsigned char *restrict bad) {
  const __m256i abs = _mm256_set1_epi32(0x7fffffff), zero = _mm256_setzero_si256();
  for (int64_t r = 0; r < rows; r++) {
    const float *p = v + r * n;
    __m256d a0 = _mm256_setzero_pd(), a1 = a0;
    __m256i mx = zero, mn = abs;
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
      const __m256i b = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(p + k)), abs);
      mx = _mm256_max_epi32(mx, b);
      mn = _mm256_min_epi32(mn, _mm256_or_si256(b, _mm256_and_si256(_mm256_cmpeq_epi32(b, zero), abs)));
      a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(p + k)));
      a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(p + k + 4)));
    }
    _Alignas(32) double a[4];
    _Alignas(32) uint32_t hx[8], hn[8];
    _mm256_store_pd(a, _mm256_add_pd(a0, a1));
    _mm256_store_si256((__m256i *)(void *)hx, mx), _mm256_store_si256((__m256i *)(void *)hn, mn);
    double t = (a[0] + a[1]) + (a[2] + a[3]);
    uint32_t tmx = 0, tmn = 0x7fffffffu;
    for (int l = 0; l < 8; l++) tmx = hx[l] > tmx ? hx[l] : tmx, tmn = hn[l] < tmn ? hn[l] : tmn;
    for (; k < n; k++) {
      uint32_t b;
      memcpy(&b, &p[k], 4);
      b &= 0x7fffffffu;
      tmx = b > tmx ? b : tmx, tmn = b && b < tmn ? b : tmn;
      t += (double)p[k];
    }
    out[r] = t, bad[r] = !plain_ok(tmx, tmn, n);
  }
}

#endif

void ht_xacc_plain_rows_f32(const float *v, int64_t n, int64_t rows, double *s,
                            unsigned char *bad) {
  if (ht_xacc_plain_rows_avx512(v, n, rows, s, bad)) return;
#ifdef HAVE_AVX2_PLAIN
  if (have_avx2()) {
    plain_rows_avx2(v, n, rows, s, bad);
    return;
  }
#endif
  for (int64_t r = 0; r < rows; r++) bad[r] = plain_f32(v + r * n, n, &s[r]) != 0;
}

/* w columns of a row-major float32 block, each summed in its own double lane (as
 * plain_f32, one lane per column): without AVX2, and a tile's last w < 16 columns. */
static inline __attribute__((always_inline)) void plain_cols_few(const float *restrict v,
                                                                 int64_t ld, int64_t rows,
                                                                 int64_t w, double *restrict s,
                                                                 uint32_t *restrict mx,
                                                                 uint32_t *restrict mn) {
  for (int64_t l = 0; l < w; l++) s[l] = 0, mx[l] = 0, mn[l] = 0x7fffffffu;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t l = 0; l < w; l++) PLAIN_STEP(v[r * ld + l], s[l], mx[l], mn[l]);
}

/* Columns of a float32 block without a fold where plain_ok allows (rows <=
 * HT_XACC_F32_PLAIN): hi[l] is the exact sum and lo[l] 0 where bad[l] is 0. Returns the
 * number of columns left bad. mx, mn: 2 * w uint32 of scratch. */
static int64_t plain_cols_f32(const float *restrict v, int64_t ld, int64_t rows,
                                         int64_t w, double *restrict hi, double *restrict lo,
                                         unsigned char *restrict bad, uint32_t *restrict mx,
                                         uint32_t *restrict mn) {
  int64_t l0 = ht_xacc_plain_cols_avx512(v, ld, rows, w, hi, mx, mn), nbad = 0;
#ifdef HAVE_AVX2_PLAIN
  if (have_avx2())
    for (; l0 + 16 <= w; l0 += 16)
      plain_cols16_avx2(v + l0, ld, rows, l0 == 0 ? w : 0, hi + l0, mx + l0, mn + l0);
#endif
  if (l0 < w) plain_cols_few(v + l0, ld, rows, w - l0, hi + l0, mx + l0, mn + l0);
  for (int64_t l = 0; l < w; l++) {
    lo[l] = 0;
    bad[l] = !plain_ok(mx[l], mn[l], rows);
    nbad += bad[l];
  }
  return nbad;
}
#undef PLAIN_STEP

/* plain_f32 of one block through the intrinsic row kernel where there is AVX2: the
 * vectorised clone of plain_f32 keeps its 16 lanes in memory and ran at half the speed
 * of the row kernel on a whole-array float32 sum. */
static int plain_block_f32(const float *v, int64_t n, double *s) {
#ifdef HAVE_AVX2_PLAIN
  if (have_avx2()) {
    unsigned char bad;
    plain_rows_avx2(v, n, 1, s, &bad);
    return bad ? -1 : 0;
  }
#endif
  return plain_f32(v, n, s);
}

VEC_CLONES int ht_xacc_fold_block_f32(const float *restrict v, int64_t n, double *hi,
                                      double *lo) {
  enum { FL = 2 * LANES };
  const bool f32 = true;
  uint32_t mx[FL], mn[FL];
  if (n == 0) return *hi = 0, *lo = 0, 0;
  if (n <= HT_XACC_F32_PLAIN && plain_block_f32(v, n, hi) == 0) return *lo = 0, 0;
  for (int l = 0; l < FL; l++) mx[l] = 0, mn[l] = 0xffffffffu;
  int64_t k = 0;
  for (; k + FL <= n; k += FL) {
    NO_UNROLL
    for (int l = 0; l < FL; l++) {
      uint32_t b;
      memcpy(&b, &v[k + l], 4);
      b &= 0x7f800000u;
      mx[l] = b > mx[l] ? b : mx[l];
      mn[l] = b < mn[l] ? b : mn[l];
    }
  }
  for (; k < n; k++) {
    uint32_t b;
    memcpy(&b, &v[k], 4);
    b &= 0x7f800000u;
    mx[0] = b > mx[0] ? b : mx[0];
    mn[0] = b < mn[0] ? b : mn[0];
  }
  uint32_t tmx = 0, tmn = 0xffffffffu;
  for (int l = 0; l < FL; l++) tmx = mx[l] > tmx ? mx[l] : tmx, tmn = mn[l] < tmn ? mn[l] : tmn;
  const int ebx = (int)(tmx >> 23), ebn = (int)(tmn >> 23);
  /* zeros, subnormals, specials or a wide range: the caller takes the float64 path */
  if (ebn == 0 || ebx == 255 || ebx - ebn > 57) return -1;
  double s1, s2;
  fold_sigmas(ldexp(1.0, ebx - 127), HEADROOM, &s1, &s2);
  fold1_pass(v, f32, false, 0, n, s1, hi, lo);
  return 0;
}

/* Two folds: every term within 2^27 of the largest, zeros allowed. */
VEC_CLONES static int fold2_f64(const double *v, int64_t n, double *hi, double *lo) {
  double mx[LANES] = {0}, a1[LANES] = {0}, a2[LANES] = {0}, z[LANES] = {0};
  int64_t k = 0;
  for (; k + LANES <= n; k += LANES) {
    NO_UNROLL
    for (int l = 0; l < LANES; l++) {
      const double ax = fabs(v[k + l]);
      mx[l] = ax > mx[l] ? ax : mx[l];
    }
  }
  for (; k < n; k++) {
    const double ax = fabs(v[k]);
    mx[0] = ax > mx[0] ? ax : mx[0];
  }
  /* a NaN is not seen by the maximum; it makes z NaN below */
  double m = 0;
  for (int l = 0; l < LANES; l++) m = mx[l] > m ? mx[l] : m;
  double s1, s2;
  if (fold_sigmas(m, HEADROOM, &s1, &s2)) return -1;
  for (k = 0; k + LANES <= n; k += LANES) {
    NO_UNROLL
    for (int l = 0; l < LANES; l++) {
      const double x = v[k + l], q1 = (s1 + x) - s1, r1 = x - q1;
      const double q2 = (s2 + r1) - s2;
      a1[l] += q1, a2[l] += q2, z[l] += fabs(r1 - q2);
    }
  }
  for (; k < n; k++) {
    const double x = v[k], q1 = (s1 + x) - s1, r1 = x - q1, q2 = (s2 + r1) - s2;
    a1[0] += q1, a2[0] += q2, z[0] += fabs(r1 - q2);
  }
  double h = 0, g = 0, zz = 0;
  for (int l = 0; l < LANES; l++) h += a1[l], g += a2[l], zz += z[l];
  if (!(zz == 0)) return -1; /* bits left over, or a NaN */
  *hi = h, *lo = g;
  return 0;
}

int ht_xacc_fold_block(const double *v, int64_t n, double *hi, double *lo) {
  if (fold1_fast(v, false, NULL, n, hi, lo) == 0) return 0;
  return fold2_f64(v, n, hi, lo);
}

/* Column l of the block: the one-fold case where the exponents allow it (as fold1_f64),
 * else two folds with a remainder check (as fold2_f64), only when some column needs it. */
static inline __attribute__((always_inline)) void
fold_cols_any(const void *restrict v, bool f32, bool sq, const double *restrict c, int64_t ld,
              int64_t rows, int64_t w, double *restrict hi, double *restrict lo,
              unsigned char *restrict bad, double *restrict scratch) {
  const int h = headroom(rows);
  double *restrict s1 = scratch, *restrict s2 = scratch + w, *restrict z = scratch + 2 * w;
  const uint64_t EXP = (uint64_t)0x7ff << 52;
  for (int64_t l = 0; l < w; l++) s1[l] = 0, s2[l] = INFINITY, hi[l] = 0, lo[l] = 0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t l = 0; l < w; l++) {
      uint64_t b;
      double t = term(v, f32, sq, sq ? c[l] : 0, r * ld + l);
      memcpy(&b, &t, 8);
      b &= EXP;
      memcpy(&t, &b, 8);
      s1[l] = t > s1[l] ? t : s1[l];
      s2[l] = t < s2[l] ? t : s2[l];
    }
  int wide = 0;
  for (int64_t l = 0; l < w; l++) {
    uint64_t bx, bn;
    memcpy(&bx, &s1[l], 8), memcpy(&bn, &s2[l], 8);
    const int ebx = (int)(bx >> 52), ebn = (int)(bn >> 52), E = ebx - 1022;
    bad[l] = ebn == 0 || ebx - ebn > fold1_range(h) || E > 1000 || E < -960;
    if (bad[l] || fold_sigmas(s1[l], h, &s1[l], &s2[l])) s1[l] = 0, bad[l] = 1;
    wide |= bad[l];
  }
  for (int64_t r = 0; r < rows; r++)
    for (int64_t l = 0; l < w; l++) {
      const double x = term(v, f32, sq, sq ? c[l] : 0, r * ld + l), q = (s1[l] + x) - s1[l];
      hi[l] += q, lo[l] += x - q;
    }
  /* squared deviations are wide for their tiny terms near the centre, whose bits two
   * folds rarely hold: the caller's ht_xacc_add_terms takes those columns */
  if (!wide || sq) return;
  /* the columns that need two folds, done for all and kept for those */
  for (int64_t l = 0; l < w; l++) s1[l] = 0, z[l] = 0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t l = 0; l < w; l++) {
      const double ax = fabs(term(v, f32, sq, sq ? c[l] : 0, r * ld + l));
      s1[l] = ax > s1[l] ? ax : s1[l];
    }
  for (int64_t l = 0; l < w; l++) {
    if (!bad[l]) {
      s1[l] = 0, s2[l] = 0;
      continue;
    }
    bad[l] = fold_sigmas(s1[l], HEADROOM, &s1[l], &s2[l]) != 0;
    if (bad[l]) s1[l] = 0, s2[l] = 0, bad[l] = 2;
    else hi[l] = 0, lo[l] = 0;
  }
  for (int64_t r = 0; r < rows; r++)
    for (int64_t l = 0; l < w; l++) {
      const double x = term(v, f32, sq, sq ? c[l] : 0, r * ld + l);
      const double q1 = (s1[l] + x) - s1[l], r1 = x - q1;
      const double q2 = (s2[l] + r1) - s2[l];
      if (s1[l] != 0) hi[l] += q1, lo[l] += q2, z[l] += fabs(r1 - q2);
    }
  for (int64_t l = 0; l < w; l++) bad[l] = bad[l] == 2 || !(z[l] == 0);
}

#define FOLD_COLS(name, T, f32, sq)                                                        \
  VEC_CLONES static void name(const T *restrict v, const double *restrict c, int64_t ld,      \
                              int64_t rows, int64_t w, double *restrict hi,                   \
                              double *restrict lo, unsigned char *restrict bad,               \
                              double *restrict scratch) {                                     \
    fold_cols_any(v, f32, sq, c, ld, rows, w, hi, lo, bad, scratch);                          \
  }
FOLD_COLS(fold_cols_f64, double, false, false)
FOLD_COLS(fold_cols_f32, float, true, false)
FOLD_COLS(fold_cols_sq_f64, double, false, true)
FOLD_COLS(fold_cols_sq_f32, float, true, true)
#undef FOLD_COLS

void ht_xacc_fold_cols_terms(const void *v, bool f32, const double *c, int64_t ld,
                             int64_t rows, int64_t w, double *hi, double *lo,
                             unsigned char *bad, double *scratch) {
#ifdef HAVE_AVX2_PLAIN
  if (c && f32 && have_avx2()) { /* eight columns at a time in one pass, else generic */
    const int item = f32 ? 4 : 8;
    const int64_t groups = w / 8 < HT_XACC_SPEC_GROUPS ? w / 8 : HT_XACC_SPEC_GROUPS, l0 = 8 * groups;
    /* a column one fold cannot hold stays bad: the generic folds would not take it either
     * (squares take no second fold, fold_cols_any) */
    ht_xacc_spec_cols_sq_f32(v, c, ld, rows, groups, hi, lo, bad);
    if (l0 < w)
      fold_cols_generic((const char *)v + l0 * item, f32, c ? c + l0 : NULL, ld,
                                      rows, w - l0, hi + l0, lo + l0, bad + l0, scratch);
    return;
  }
#endif
  fold_cols_generic(v, f32, c, ld, rows, w, hi, lo, bad, scratch);
}

/* The two-pass column folds (fold_cols_any) for every dtype and term. */
static void fold_cols_generic(const void *v, bool f32, const double *c, int64_t ld,
                              int64_t rows, int64_t w, double *hi, double *lo,
                              unsigned char *bad, double *scratch) {
  if (c && f32) fold_cols_sq_f32(v, c, ld, rows, w, hi, lo, bad, scratch);
  else if (c) fold_cols_sq_f64(v, c, ld, rows, w, hi, lo, bad, scratch);
  else if (f32 && rows <= HT_XACC_F32_PLAIN) {
    /* a few bad columns are left to the caller's term by term deposit; many take the folds */
    const int64_t nbad = plain_cols_f32(v, ld, rows, w, hi, lo, bad, (uint32_t *)scratch,
                                        (uint32_t *)scratch + w);
    if (nbad * 8 > w) fold_cols_f32(v, NULL, ld, rows, w, hi, lo, bad, scratch);
  } else if (f32) fold_cols_f32(v, NULL, ld, rows, w, hi, lo, bad, scratch);
  else fold_cols_f64(v, NULL, ld, rows, w, hi, lo, bad, scratch);
}

void ht_xacc_fold_cols(const double *v, int64_t ld, int64_t rows, int64_t w, double *hi,
                       double *lo, unsigned char *bad, double *scratch) {
  fold_cols_f64(v, NULL, ld, rows, w, hi, lo, bad, scratch);
}

void ht_xacc_add_block(ht_xacc *a, const double *v, int64_t n) {
  for (int64_t b = 0; b < n; b += HT_XACC_BLOCK) {
    const int64_t m = n - b < HT_XACC_BLOCK ? n - b : HT_XACC_BLOCK;
    double hi, lo;
    if (ht_xacc_fold_block(v + b, m, &hi, &lo) == 0) {
      ht_xacc_add(a, hi);
      ht_xacc_add(a, lo);
    } else {
      for (int64_t k = 0; k < m; k++) ht_xacc_add(a, v[b + k]);
    }
  }
}

/* A column the folds could not take (ht_xacc_add_terms): its terms within fold1_range of
 * the largest are folded as in fold1_any (the proof there needs only |x| < 2^E and the
 * range of the folded terms), the few further below (squared deviations near the centre),
 * zeros and subnormals go one by one; NaN, infinities or an extreme E: all one by one. */
static inline __attribute__((always_inline)) void add_terms_any(ht_xacc *a, const void *v,
                                                                bool f32, bool sq, double c,
                                                                int64_t ld, int64_t n) {
  uint64_t mb = 0;
  for (int64_t r = 0; r < n; r++) {
    const double t = term(v, f32, sq, c, r * ld);
    uint64_t b;
    memcpy(&b, &t, 8);
    b &= (uint64_t)0x7ff << 52;
    mb = b > mb ? b : mb;
  }
  const int ebx = (int)(mb >> 52), h = headroom(n), E = ebx - 1022;
  double s1, s2, mx;
  memcpy(&mx, &mb, 8);
  if (ebx == 0 || ebx == 0x7ff || E > 1000 || E < -960 || fold_sigmas(mx, h, &s1, &s2)) {
    for (int64_t r = 0; r < n; r++) ht_xacc_add(a, term(v, f32, sq, c, r * ld));
    return;
  }
  const int lim = ebx - fold1_range(h) > 1 ? ebx - fold1_range(h) : 1;
  double hi = 0, lo = 0;
  for (int64_t r = 0; r < n; r++) {
    const double x = term(v, f32, sq, c, r * ld);
    uint64_t b;
    memcpy(&b, &x, 8);
    if ((int)(b >> 52 & 0x7ff) < lim) {
      ht_xacc_add(a, x);
      continue;
    }
    const double q = (s1 + x) - s1;
    hi += q, lo += x - q;
  }
  ht_xacc_add(a, hi), ht_xacc_add(a, lo);
}

VEC_CLONES static void add_terms_f64(ht_xacc *a, const double *v, bool sq, double c, int64_t ld,
                                     int64_t n) {
  add_terms_any(a, v, false, sq, c, ld, n);
}

VEC_CLONES static void add_terms_f32(ht_xacc *a, const float *v, bool sq, double c, int64_t ld,
                                     int64_t n) {
  add_terms_any(a, v, true, sq, c, ld, n);
}

void ht_xacc_add_terms(ht_xacc *a, const void *v, bool f32, const double *c, int64_t ld,
                       int64_t n) {
  if (f32) add_terms_f32(a, v, c != NULL, c ? *c : 0, ld, n);
  else add_terms_f64(a, v, c != NULL, c ? *c : 0, ld, n);
}

void ht_xacc_merge(ht_xacc *a, const ht_xacc *b) {
  ht_xacc_normalize(a);
  for (int i = 0; i < HT_XACC_DIGITS; i++) a->d[i] += b->d[i];
  a->nan += b->nan, a->pinf += b->pinf, a->ninf += b->ninf;
  ht_xacc_normalize(a);
}

static int top_bit(u128 v) {
  const uint64_t h = (uint64_t)(v >> 64);
  return h ? 127 - __builtin_clzll(h) : 63 - __builtin_clzll((uint64_t)v);
}

double ht_xacc_round(const ht_xacc *src) {
  if (src->nan || (src->pinf && src->ninf)) return NAN;
  if (src->pinf) return INFINITY;
  if (src->ninf) return -INFINITY;
  ht_xacc a = *src;
  ht_xacc_normalize(&a);
  const int neg = a.d[TOP] < 0;
  if (neg) {
    for (int i = 0; i < HT_XACC_DIGITS; i++) a.d[i] = -a.d[i];
    ht_xacc_normalize(&a);
  }
  int h = TOP;
  while (h >= 0 && a.d[h] == 0) h--;
  if (h < 0) return 0.0;
  /* the top three digits (at least 65 bits when h >= 2) and a sticky bit for the rest */
  const int lo = h >= 2 ? h - 2 : 0;
  u128 v = 0;
  for (int i = h; i >= lo; i--) v = v << 32 | (uint64_t)a.d[i];
  int sticky = 0;
  for (int i = 0; i < lo; i++) sticky |= a.d[i] != 0;
  const int t = top_bit(v);
  double r;
  if (lo == 0 && t <= 52) {
    r = ldexp((double)(uint64_t)v, -1074); /* exact: a subnormal or a short normal */
  } else {
    int sh = t - 52;
    uint64_t m = (uint64_t)(v >> sh);
    const u128 rem = v & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);
    if (rem > half || (rem == half && (sticky || (m & 1)))) m++;
    if (m >> 53) m >>= 1, sh++;
    r = ldexp((double)m, 32 * lo + sh - 1074); /* beyond the range: inf */
  }
  return neg ? -r : r;
}
