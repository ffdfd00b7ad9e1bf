/* The AVX-512 column kernel of exact squared-deviation sums (cpu/binned_sqdev.h): up to
 * 64 columns per pass, each row read once, 16 terms widened to 2 x 8 doubles per step and
 * folded at once with the one-pass fold of binned_spec.c (guess, check, redo). */
#include "binned_sqdev.h"

#include <string.h>

#include "binned.h"
#include "binned_fold.h"
#include "simd.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_SQDEV_AVX512 1
#include <immintrin.h>

#define K static inline __attribute__((always_inline, target("avx512f,avx512vl")))

/* Per column, the running fold of binned_spec.c with a check that suits terms >= 0: each
 * lane keeps S = s1 + (pieces so far), t = S + x, L += x - (t - S), S = t, with s1 = 1.5 *
 * 2^(E+h) guessed from the sum of the column's first GUESS terms (E = g - 1022
 * for the biased exponent g). Squares are >= 0 (or NaN), so S only grows: when the last S
 * still lies below 2^(E+h+1) (its exponent is that of s1), every S and t lay in that
 * binade, so each x < 2^(E+h-1) <= S, t - S is exact (Sterbenz), x - (t - S) is the exact
 * rounding error, a multiple of x's ulp at most u/2 = 2^(E+h-53), and S - s1 is the exact
 * sum of the pieces. The remainders (at most 2^(h-1) of them) then add exactly in L when
 * the smallest term's biased exponent is at least g - fold1_range(h), as in the proof
 * above fold1_pass (cpu/binned.c). So the pass keeps only the smallest term (one min per
 * eight terms; a NaN or infinity leaves S non-finite, a zero or subnormal fails the range)
 * and hi + lo = (S - s1) + L is the column's exact sum whatever the constant: the same
 * bits as the generic path. A group of 16 columns where one failed (its S left the binade,
 * or the guess was too high for its smallest term) is redone once with the lowest g its
 * sum allows. */
/* AHEAD: how far ahead (bytes) the first pass over a tile asks for each row's lines; at 64
 * columns too (~10% against the hardware prefetcher alone at 131072 x 64). */
enum { GUESS = 32, AHEAD = 16384 };

/* Eight terms at p (mask m: the columns present, the others 0): widened, then (x - c)^2.
 * x - c is an fma with 1 (the same rounding) so that it runs beside the adds. */
K __m512d term8(const char *p, bool f32, __mmask8 m, const double *c) {
  __m512d x;
  if (f32)
    x = _mm512_cvtps_pd(m == 0xff ? _mm256_loadu_ps((const float *)(const void *)p)
                                  : _mm256_maskz_loadu_ps(m, (const float *)(const void *)p));
  else
    x = m == 0xff ? _mm512_loadu_pd(p) : _mm512_maskz_loadu_pd(m, p);
  x = _mm512_fmsub_pd(x, _mm512_set1_pd(1.0), _mm512_loadu_pd(c));
  return _mm512_mul_pd(x, x);
}

/* The running fold: S = s1 + pieces so far, L += what each piece left. */
#define FOLD(x, S, L)                                                                       \
  do {                                                                                      \
    const __m512d t_ = _mm512_add_pd((S), (x));                                             \
    (L) = _mm512_add_pd((L), _mm512_sub_pd((x), _mm512_fmsub_pd(t_, one, (S))));            \
    (S) = t_;                                                                               \
  } while (0)

/* One row's 16 columns at p (masks ma, mb for the low and high eight) into their state:
 * the folds and the smallest terms of the two halves. Named registers, not an array: gcc
 * kept an array's state in memory (binned_cols.c). */
#define GROUP(p, ma, mb, c, Sa, Sb, La, Lb, mna, mnb)                                       \
  do {                                                                                      \
    const __m512d a_ = term8((p), f32, (ma), (c)), b_ = term8((p) + 8 * item, f32, (mb), (c) + 8); \
    (mna) = _mm512_min_pd((mna), a_), (mnb) = _mm512_min_pd((mnb), b_);                     \
    FOLD(a_, Sa, La);                                                                       \
    FOLD(b_, Sb, Lb);                                                                       \
  } while (0)

/* The state of one group out: S, L and the smallest term of its 16 columns. */
K void out16(__m512d Sa, __m512d Sb, __m512d La, __m512d Lb, __m512d mna, __m512d mnb,
             double *S, double *L, double *mn) {
  _mm512_storeu_pd(S, Sa), _mm512_storeu_pd(S + 8, Sb);
  _mm512_storeu_pd(L, La), _mm512_storeu_pd(L + 8, Lb);
  _mm512_storeu_pd(mn, mna), _mm512_storeu_pd(mn + 8, mnb);
}

/* G groups of 16 columns at v (the last one masked by m unless full) over the rows, from
 * the constants s (64, padded) and centres c (64, padded); pf: bytes of each row to
 * prefetch ahead (the first pass over a tile asks for the whole row). */
K void pass(const char *v, bool f32, int64_t ld, int64_t rows, int G, bool full, __mmask16 m, int64_t pf,
            const double *s, const double *c, double *S, double *L, double *mn) {
  const int64_t item = f32 ? 4 : 8;
  const __m512d one = _mm512_set1_pd(1.0);
  const __m512d top = _mm512_set1_pd(__builtin_inf());
  const __m512d zd = _mm512_setzero_pd();
  __m512d S0a = _mm512_loadu_pd(s), S0b = _mm512_loadu_pd(s + 8), L0a = zd, L0b = zd;
  __m512d S1a = _mm512_loadu_pd(s + 16), S1b = _mm512_loadu_pd(s + 24), L1a = zd, L1b = zd;
  __m512d S2a = _mm512_loadu_pd(s + 32), S2b = _mm512_loadu_pd(s + 40), L2a = zd, L2b = zd;
  __m512d S3a = _mm512_loadu_pd(s + 48), S3b = _mm512_loadu_pd(s + 56), L3a = zd, L3b = zd;
  __m512d m0a = top, m0b = top, m1a = top, m1b = top, m2a = top, m2b = top, m3a = top, m3b = top;
  const __mmask8 ma = full ? 0xff : (__mmask8)m, mb = full ? 0xff : (__mmask8)(m >> 8), f = 0xff;
  const int64_t ahead = (ld * item < AHEAD ? AHEAD / (ld * item) : 1) * ld * item;
  for (int64_t r = 0; r < rows; r++) {
    const char *p = v + r * ld * item;
    for (int64_t k = 0; k < pf; k += 64) _mm_prefetch(p + ahead + k, _MM_HINT_T0);
    if (G == 1) GROUP(p, ma, mb, c, S0a, S0b, L0a, L0b, m0a, m0b);
    else GROUP(p, f, f, c, S0a, S0b, L0a, L0b, m0a, m0b);
    if (G == 2) GROUP(p + 16 * item, ma, mb, c + 16, S1a, S1b, L1a, L1b, m1a, m1b);
    else if (G > 2) GROUP(p + 16 * item, f, f, c + 16, S1a, S1b, L1a, L1b, m1a, m1b);
    if (G == 3) GROUP(p + 32 * item, ma, mb, c + 32, S2a, S2b, L2a, L2b, m2a, m2b);
    else if (G > 3) GROUP(p + 32 * item, f, f, c + 32, S2a, S2b, L2a, L2b, m2a, m2b);
    if (G == 4) GROUP(p + 48 * item, ma, mb, c + 48, S3a, S3b, L3a, L3b, m3a, m3b);
  }
  out16(S0a, S0b, L0a, L0b, m0a, m0b, S, L, mn);
  if (G > 1) out16(S1a, S1b, L1a, L1b, m1a, m1b, S + 16, L + 16, mn + 16);
  if (G > 2) out16(S2a, S2b, L2a, L2b, m2a, m2b, S + 32, L + 32, mn + 32);
  if (G > 3) out16(S3a, S3b, L3a, L3b, m3a, m3b, S + 48, L + 48, mn + 48);
}
#undef GROUP

/* Columns l0 .. l0+n (n <= 64) of the block. */
K void chunk(const char *v, bool f32, const double *cs, int64_t ld, int64_t rows, int64_t n,
             int64_t pf, double *hi, double *lo, unsigned char *bad) {
  const int64_t item = f32 ? 4 : 8;
  const int G = (int)((n + 15) / 16), h = headroom(rows), range = fold1_range(h);
  const __mmask16 m = (__mmask16)((1u << (n - 16 * (G - 1))) - 1);
  _Alignas(64) double c[64], s[64], S[64], L[64], mn[64];
  int64_t g[64];
  memset(c, 0, sizeof c);
  memcpy(c, cs, (size_t)n * sizeof(double));
  /* the guess: the lowest g whose binade holds the sum of the column's first GUESS rows
   * scaled to all rows, plus 2 binades spare (1 when those are all the rows) */
  const int64_t first = rows < GUESS ? rows : GUESS;
  const double scale = (double)rows / (double)first;
  for (int64_t k = 0; k < n; k += 8) {
    const __mmask8 mk = (__mmask8)(n - k >= 8 ? 0xff : (1u << (n - k)) - 1);
    __m512d t = _mm512_setzero_pd();
    for (int64_t r = 0; r < first; r++) t = _mm512_add_pd(t, term8(v + (r * ld + k) * item, f32, mk, c + k));
    _mm512_storeu_pd(S + k, _mm512_mul_pd(t, _mm512_set1_pd(scale)));
  }
  for (int64_t l = 0; l < n; l++)
    g[l] = clamp_g(bexp(S[l]) - h + (rows > first ? 3 : 2)), s[l] = sigma(g[l], h);
  for (int64_t l = n; l < 64; l++) s[l] = 0;
  /* constant group counts and masks: the state stays in registers, no branch per row */
  if (n == 64) pass(v, f32, ld, rows, 4, true, m, pf, s, c, S, L, mn);
  else if (G == 4) pass(v, f32, ld, rows, 4, false, m, pf, s, c, S, L, mn);
  else if (G == 3) pass(v, f32, ld, rows, 3, false, m, pf, s, c, S, L, mn);
  else if (G == 2) pass(v, f32, ld, rows, 2, false, m, pf, s, c, S, L, mn);
  else pass(v, f32, ld, rows, 1, false, m, pf, s, c, S, L, mn);
  for (int q = 0; q < G; q++) {
    const int64_t l0 = 16 * q, l1 = n < l0 + 16 ? n : l0 + 16;
    bool redo = false;
    for (int64_t l = l0; l < l1; l++) {
      const int64_t es = bexp(S[l]), en = bexp(mn[l]);
      bad[l] = !(es == g[l] + h + 1 && en != 0 && g[l] - en <= range);
      if (!bad[l] || es == 0x7ff || en == 0) continue;
      /* the lowest g whose binade holds the column's sum (one binade spare) */
      const int64_t g2 = clamp_g(bexp(S[l] - s[l]) - h + 2);
      if (g2 != g[l] && g2 - en <= range) g[l] = g2, s[l] = sigma(g2, h), redo = true;
    }
    if (!redo) continue;
    /* a missed guess: the group once more with the new constants (the others unchanged) */
    if (l1 - l0 == 16) pass(v + l0 * item, f32, ld, rows, 1, true, m, 0, s + l0, c + l0, S + l0, L + l0, mn + l0);
    else pass(v + l0 * item, f32, ld, rows, 1, false, m, 0, s + l0, c + l0, S + l0, L + l0, mn + l0);
    for (int64_t l = l0; l < l1; l++)
      bad[l] = !(bexp(S[l]) == g[l] + h + 1 && bexp(mn[l]) != 0 && g[l] - bexp(mn[l]) <= range);
  }
  for (int64_t l = 0; l < n; l++) hi[l] = S[l] - s[l], lo[l] = L[l];
}

/* One entry per dtype, so that the always-inline chunk() is compiled with f32 a constant. */
__attribute__((target("avx512f,avx512vl"), optimize("fp-contract=off"))) static void
sqdev_f32(const void *v, const double *c, int64_t ld, int64_t rows, int64_t w, double *hi,
          double *lo, unsigned char *bad) {
  const int64_t pf = w * 4;
  for (int64_t l0 = 0; l0 < w; l0 += 64)
    chunk((const char *)v + l0 * 4, true, c + l0, ld, rows, w - l0 < 64 ? w - l0 : 64,
          l0 == 0 ? pf : 0, hi + l0, lo + l0, bad + l0);
}

__attribute__((target("avx512f,avx512vl"), optimize("fp-contract=off"))) static void
sqdev_f64(const void *v, const double *c, int64_t ld, int64_t rows, int64_t w, double *hi,
          double *lo, unsigned char *bad) {
  const int64_t pf = w * 8;
  for (int64_t l0 = 0; l0 < w; l0 += 64)
    chunk((const char *)v + l0 * 8, false, c + l0, ld, rows, w - l0 < 64 ? w - l0 : 64,
          l0 == 0 ? pf : 0, hi + l0, lo + l0, bad + l0);
}
#endif

/* 1: the kernel where the CPU has AVX-512 (F and VL); 0: off (tests compare); -1: not yet
 * asked. */
static int use = -1;

int ht_xacc_sqdev_simd(int on) {
#ifdef HAVE_SQDEV_AVX512
  return ht_simd_switch(&use, ht_cpu_avx512vl(), on);
#else
  return ht_simd_switch(&use, false, on);
#endif
}

int64_t ht_xacc_sqdev_cols_avx512(const void *v, bool f32, const double *c, int64_t ld,
                                  int64_t rows, int64_t w, double *hi, double *lo,
                                  unsigned char *bad) {
#ifdef HAVE_SQDEV_AVX512
  if (use < 0) ht_xacc_sqdev_simd(-1); /* set before threads call it, or by a first call */
  if (use > 0 && w > 0 && rows > 0 && rows <= HT_XACC_BLOCK) {
    if (f32) sqdev_f32(v, c, ld, rows, w, hi, lo, bad);
    else sqdev_f64(v, c, ld, rows, w, hi, lo, bad);
    return w;
  }
#else
  (void)v, (void)f32, (void)c, (void)ld, (void)rows, (void)hi, (void)lo, (void)bad;
#endif
  return 0;
}
