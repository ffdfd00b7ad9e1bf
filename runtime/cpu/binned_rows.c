/* The AVX-512 row kernel of exact sums (cpu/binned_rows.h): eight short rows at a time,
 * each 8 x 8 block of terms transposed in registers so that lane k folds row k, as the
 * column folds do: no horizontal work and no per-row setup, one row per lane. */
#include "binned_rows.h"

#include "binned.h"
#include "binned_fold.h"
#include "simd.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_ROWS_AVX512 1
#include <immintrin.h>

#define K static inline __attribute__((always_inline, target("avx512f")))

/* Per row, the one-pass fold of binned_spec.c (its proof holds row by row): the constant
 * s1 = 1.5 * 2^(E+h) is guessed from the row's first eight terms plus MARGIN binades, the
 * biased exponent extremes are kept as the terms are folded, and the guess is checked after
 * the pass (every exponent <= g, g - smallest <= fold1_range(h)); a row that missed but
 * fits one fold is redone with its true largest exponent. The transpose stops one level
 * short: a register holds four rows, two lanes each (rows 0-3 in A, 4-7 in B), both lanes
 * of a row with the row's constant; the last level is done once per tile on the results.
 * Each lane's S - s1 and the remainders of a row add exactly (multiples of one u, within
 * the bound), so hi + lo is the row's exact sum, whatever the constant or the lane: the
 * same bits as the generic path. */
enum { MARGIN = 3 };

typedef struct half {
  __m512d s, S, L;
  __m512i mx, mn;
} half;

/* lane l of A holds row IA[l], of B row IB[l] (a row's two lanes: 128-bit lanes 0/1, 2/3) */
#define IA _mm512_set_epi64(3, 2, 3, 2, 1, 0, 1, 0)
#define IB _mm512_set_epi64(7, 6, 7, 6, 5, 4, 5, 4)

/* Columns t0 .. t0+m (m <= 8) of the eight rows at p[k], two transpose levels: x[0..4)
 * rows 0-3 (columns (0,4), (2,6), (1,5), (3,7) in their lane pairs), x[4..8) rows 4-7;
 * squared deviations from the lanes' centres cA, cB when sq; columns past m are zeros. */
K void block(const char *const p[8], const char *nx, bool f32, bool sq, __m512d cA, __m512d cB,
             int64_t t0, int m, __m512d x[8]) {
  /* the next tile's bytes in order, eight lines per block (the eight rows' streams 512 B
   * apart at 64 terms hid the tile starts from the hardware prefetcher) */
  if (nx)
    for (int k = 0; k < 8; k++) _mm_prefetch(nx + (t0 + k) * 64, _MM_HINT_T0);
  const __mmask8 m8 = (__mmask8)((1u << m) - 1);
  __m512d r[8];
  for (int k = 0; k < 8; k++)
    r[k] = f32 ? _mm512_cvtps_pd(_mm512_castps512_ps256(
                     _mm512_maskz_loadu_ps((__mmask16)m8, (const float *)(const void *)p[k] + t0)))
               : _mm512_maskz_loadu_pd(m8, (const double *)(const void *)p[k] + t0);
  const __m512d t0a = _mm512_unpacklo_pd(r[0], r[1]), t1 = _mm512_unpackhi_pd(r[0], r[1]);
  const __m512d t2 = _mm512_unpacklo_pd(r[2], r[3]), t3 = _mm512_unpackhi_pd(r[2], r[3]);
  const __m512d t4 = _mm512_unpacklo_pd(r[4], r[5]), t5 = _mm512_unpackhi_pd(r[4], r[5]);
  const __m512d t6 = _mm512_unpacklo_pd(r[6], r[7]), t7 = _mm512_unpackhi_pd(r[6], r[7]);
  x[0] = _mm512_shuffle_f64x2(t0a, t2, 0x88), x[1] = _mm512_shuffle_f64x2(t0a, t2, 0xdd);
  x[2] = _mm512_shuffle_f64x2(t1, t3, 0x88), x[3] = _mm512_shuffle_f64x2(t1, t3, 0xdd);
  x[4] = _mm512_shuffle_f64x2(t4, t6, 0x88), x[5] = _mm512_shuffle_f64x2(t4, t6, 0xdd);
  x[6] = _mm512_shuffle_f64x2(t5, t7, 0x88), x[7] = _mm512_shuffle_f64x2(t5, t7, 0xdd);
  if (sq)
    for (int j = 0; j < 8; j++) {
      x[j] = _mm512_sub_pd(x[j], j < 4 ? cA : cB);
      x[j] = _mm512_mul_pd(x[j], x[j]);
    }
}

/* The lanes of x[j & 3] that hold columns below m (lane pairs 0x33: first column, 0xcc:
 * second, of (0,4), (2,6), (1,5), (3,7)). */
static inline __mmask8 cols_mask(int j, int m) {
  static const int first[4] = {0, 2, 1, 3};
  return (__mmask8)((first[j & 3] < m ? 0x33 : 0) | (first[j & 3] + 4 < m ? 0xcc : 0));
}

/* |x| as bits (squares are >= 0 or NaN already): ordered like the magnitudes. */
K __m512i magbits(__m512d x, bool sq) {
  const __m512i b = _mm512_castpd_si512(x);
  return sq ? b : _mm512_and_si512(b, _mm512_set1_epi64(INT64_MAX));
}

K void step(half *st, __m512d x, bool sq) {
  const __m512i b = magbits(x, sq);
  st->mx = _mm512_max_epu64(st->mx, b), st->mn = _mm512_min_epu64(st->mn, b);
  const __m512d t = _mm512_add_pd(st->S, x);
  st->L = _mm512_add_pd(st->L, _mm512_sub_pd(x, _mm512_sub_pd(t, st->S)));
  st->S = t;
}

/* The same for the lanes in k only (a partial block). */
K void step_mask(half *st, __m512d x, bool sq, __mmask8 k) {
  const __m512i b = magbits(x, sq);
  st->mx = _mm512_mask_max_epu64(st->mx, k, st->mx, b);
  st->mn = _mm512_mask_min_epu64(st->mn, k, st->mn, b);
  const __m512d t = _mm512_mask_add_pd(st->S, k, st->S, x);
  st->L = _mm512_mask_add_pd(st->L, k, st->L, _mm512_sub_pd(x, _mm512_sub_pd(t, st->S)));
  st->S = t;
}

K void half_init(half *st, __m512i g, __m512i sh) {
  st->s = st->S = _mm512_castsi512_pd(_mm512_add_epi64(_mm512_slli_epi64(g, 52), sh));
  st->L = _mm512_setzero_pd();
  st->mx = _mm512_setzero_si512(), st->mn = _mm512_set1_epi64(-1);
}

/* One pass over the rows' n terms with the biased exponents g (lane k: row k); x0: the
 * first block when the caller made it already. */
K void run(const char *const p[8], bool f32, bool sq, __m512d c, int64_t n, int h, __m512i g,
           const __m512d *x0, const char *nx, half *A, half *B) {
  const __m512i sh = _mm512_set1_epi64((int64_t)(h + 1) << 52 | (int64_t)1 << 51);
  half_init(A, _mm512_permutexvar_epi64(IA, g), sh);
  half_init(B, _mm512_permutexvar_epi64(IB, g), sh);
  const __m512d cA = _mm512_permutexvar_pd(IA, c), cB = _mm512_permutexvar_pd(IB, c);
  __m512d x[8];
  int64_t t0 = 0;
  if (x0 && n >= 8) {
    for (int j = 0; j < 8; j++) step(j < 4 ? A : B, x0[j], sq);
    t0 = 8;
  }
  for (; t0 + 8 <= n; t0 += 8) {
    block(p, nx, f32, sq, cA, cB, t0, 8, x);
    for (int j = 0; j < 8; j++) step(j < 4 ? A : B, x[j], sq);
  }
  if (t0 < n) {
    const int m = (int)(n - t0);
    if (x0 && t0 == 0)
      for (int j = 0; j < 8; j++) x[j] = x0[j];
    else
      block(p, nx, f32, sq, cA, cB, t0, m, x);
    for (int j = 0; j < 8; j++) step_mask(j < 4 ? A : B, x[j], sq, cols_mask(j, m));
  }
}

/* The last transpose level: lane k of the result joins row k's two lanes of A and B. */
K __m512d join_pd(__m512d a, __m512d b) {
  return _mm512_add_pd(_mm512_shuffle_f64x2(a, b, 0x88), _mm512_shuffle_f64x2(a, b, 0xdd));
}
K __m512i lo_pair(__m512i a, __m512i b) { return _mm512_shuffle_i64x2(a, b, 0x88); }
K __m512i hi_pair(__m512i a, __m512i b) { return _mm512_shuffle_i64x2(a, b, 0xdd); }

/* Rows whose fold with constants g held every bit; fits: rows one fold can take. */
K __mmask8 held(const half *A, const half *B, __m512i g, int range, __mmask8 *fits, __m512i *ex) {
  const __m512i e = _mm512_set1_epi64(0x7ff);
  const __m512i mx = _mm512_max_epu64(lo_pair(A->mx, B->mx), hi_pair(A->mx, B->mx));
  const __m512i mn = _mm512_min_epu64(lo_pair(A->mn, B->mn), hi_pair(A->mn, B->mn));
  *ex = _mm512_and_si512(_mm512_srli_epi64(mx, 52), e);
  const __m512i en = _mm512_and_si512(_mm512_srli_epi64(mn, 52), e);
  const __m512i rg = _mm512_set1_epi64(range);
  const __mmask8 good = _mm512_cmp_epi64_mask(en, _mm512_setzero_si512(), _MM_CMPINT_NE) &
                        _mm512_cmp_epi64_mask(*ex, e, _MM_CMPINT_NE);
  *fits = good & _mm512_cmp_epi64_mask(_mm512_sub_epi64(*ex, en), rg, _MM_CMPINT_LE) &
          _mm512_cmp_epi64_mask(*ex, _mm512_set1_epi64(2022), _MM_CMPINT_LE) &
          _mm512_cmp_epi64_mask(*ex, _mm512_set1_epi64(62), _MM_CMPINT_NLT);
  return good & _mm512_cmp_epi64_mask(*ex, g, _MM_CMPINT_LE) &
         _mm512_cmp_epi64_mask(_mm512_sub_epi64(g, en), rg, _MM_CMPINT_LE);
}

/* E = g - 1022 within [-960, 1000], as fold_sigmas requires. */
K __m512i clamp(__m512i g) {
  return _mm512_max_epi64(_mm512_min_epi64(g, _mm512_set1_epi64(2022)), _mm512_set1_epi64(62));
}

/* Rows r0 .. r0+nr (nr <= 8) of n terms. */
K void tile(const void *v, bool f32, bool sq, const double *cs, int64_t n, int64_t r0, int nr,
            double *hi, double *lo, unsigned char *bad) {
  const int64_t item = f32 ? 4 : 8;
  const char *p[8];
  for (int k = 0; k < 8; k++) p[k] = (const char *)v + (r0 + (k < nr ? k : nr - 1)) * n * item;
  const __mmask8 rm = (__mmask8)((1u << nr) - 1);
  const __m512d c = sq ? _mm512_maskz_loadu_pd(rm, cs + r0) : _mm512_setzero_pd();
  if (sq) _mm_prefetch((const char *)(cs + r0) + 512, _MM_HINT_T0); /* 8 tiles on */
  const int h = headroom(n), range = fold1_range(h);
  const int m0 = n < 8 ? (int)n : 8;
  const char *nx = (const char *)v + (r0 + 16) * n * item; /* prefetched: may lie past the end */
  __m512d x0[8];
  block(p, nx, f32, sq, _mm512_permutexvar_pd(IA, c), _mm512_permutexvar_pd(IB, c), 0, m0, x0);
  __m512i ga = _mm512_setzero_si512(), gb = ga;
  for (int j = 0; j < 4; j++) {
    ga = _mm512_mask_max_epu64(ga, cols_mask(j, m0), ga, magbits(x0[j], sq));
    gb = _mm512_mask_max_epu64(gb, cols_mask(j, m0), gb, magbits(x0[j + 4], sq));
  }
  const __m512i gm = _mm512_max_epu64(lo_pair(ga, gb), hi_pair(ga, gb));
  __m512i g = _mm512_add_epi64(_mm512_and_si512(_mm512_srli_epi64(gm, 52), _mm512_set1_epi64(0x7ff)),
                               _mm512_set1_epi64(MARGIN));
  g = clamp(g);
  half A, B;
  run(p, f32, sq, c, n, h, g, x0, nx, &A, &B);
  __mmask8 fits;
  __m512i ex;
  __mmask8 ok = held(&A, &B, g, range, &fits, &ex);
  if (fits & ~ok & rm) { /* a missed guess: once more with the true exponents */
    g = clamp(_mm512_mask_blend_epi64(ok, ex, g));
    run(p, f32, sq, c, n, h, g, NULL, NULL, &A, &B);
    ok = held(&A, &B, g, range, &fits, &ex);
  }
  const __m512d H = join_pd(_mm512_sub_pd(A.S, A.s), _mm512_sub_pd(B.S, B.s));
  _mm512_mask_storeu_pd(hi + r0, rm, H);
  _mm512_mask_storeu_pd(lo + r0, rm, join_pd(A.L, B.L));
  for (int k = 0; k < nr; k++) bad[r0 + k] = !(ok >> k & 1);
}

#define ROWS(name, f32, sq)                                                                \
  __attribute__((target("avx512f"), optimize("fp-contract=off"))) static void name(        \
      const void *v, const double *c, int64_t n, int64_t rows, double *hi, double *lo,    \
      unsigned char *bad) {                                                               \
    for (int64_t r = 0; r < rows; r += 8)                                                 \
      tile(v, f32, sq, c, n, r, rows - r < 8 ? (int)(rows - r) : 8, hi, lo, bad);          \
  }
ROWS(rows_f64, false, false)
ROWS(rows_sq_f64, false, true)
ROWS(rows_sq_f32, true, true)
#undef ROWS
#endif

/* 1: the kernel where the CPU has AVX-512; 0: off (tests compare); -1: not yet asked. */
static int use = -1;

int ht_xacc_rows_simd(int on) {
#ifdef HAVE_ROWS_AVX512
  return ht_simd_switch(&use, ht_cpu_avx512(), on);
#else
  return ht_simd_switch(&use, false, on);
#endif
}

int64_t ht_xacc_rows_avx512(const void *v, bool f32, const double *c, int64_t n,
                            int64_t rows, double *hi, double *lo, unsigned char *bad) {
#ifdef HAVE_ROWS_AVX512
  if (use < 0) ht_xacc_rows_simd(-1); /* set before threads call it, or by a first call */
  if (use > 0 && rows > 0 && n > 0 && n <= HT_XACC_BLOCK && (c || !f32)) {
    if (!c) rows_f64(v, NULL, n, rows, hi, lo, bad);
    else if (f32) rows_sq_f32(v, c, n, rows, hi, lo, bad);
    else rows_sq_f64(v, c, n, rows, hi, lo, bad);
    return rows;
  }
#else
  (void)v, (void)f32, (void)c, (void)n, (void)hi, (void)lo, (void)bad;
#endif
  return 0;
}
