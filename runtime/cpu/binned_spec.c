/* The one-pass AVX2 folds of exact sums: the one-fold case of runtime/cpu/binned.c with
 * its exponent-range pass fused into the fold pass (declared in binned_fold.h). */
#include "binned.h"
#include "binned_fold.h"

#ifdef HAVE_AVX2_PLAIN
#include <immintrin.h>
/* One pass instead of two for the one-fold case (float64 terms, or squared deviations of
 * float64 or float32): the fold constant is guessed before the pass, from the first eight
 * terms' largest exponent plus SPEC_MARGIN binades, and the exponent range (and, max and
 * min of the bits, integer operations that leave the floating-point adders free) is checked
 * as the terms are folded. After the pass the guess is verified: every biased exponent at
 * most ebg (so every |x| < 2^E with E = ebg - 1022) and ebg - (smallest) <= fold1_range(h).
 * These are the conditions of fold1_any with ebg in place of the largest exponent, and its
 * proof (cpu/binned.c, above fold1_pass) uses only |x| < 2^E and the smallest exponent,
 * so the fold is exact. A miss whose true range allows one fold is redone with the true largest exponent;
 * otherwise -1 (the caller's fallback, as before). The result, hi + lo, is the exact sum,
 * so it has the same bits whatever constant was used.
 * The fold is ReproBLAS's running form, 4 operations per vector instead of 5: each lane
 * keeps S = s1 + (its pieces so far), t = S + x, q = t - S, lo += x - q, S = t. With
 * s1 = 1.5 * 2^(E+h), |x| < 2^E and at most 2^(h-1) terms, S + x lies strictly within
 * (2^(E+h), 2^(E+h+1)), so t is S + x rounded to a multiple of u = 2^(E+h-52) (ties may
 * go either way, it does not matter), t - S is exact, x - q is exact (a multiple of x's
 * ulp, at most u/2 in magnitude), every S is a multiple of u below 2^(E+h+1): the pieces
 * add exactly, S - s1 is their exact sum, and the remainders obey the bound used above. */
enum { SPEC_MARGIN = 3 };

static inline __attribute__((always_inline, target("avx2"))) __m256d
spec_term(const void *v, bool f32, bool sq, __m256d c, int64_t k) {
  __m256d x = f32 ? _mm256_cvtps_pd(_mm_loadu_ps((const float *)v + k))
                  : _mm256_loadu_pd((const double *)v + k);
  if (sq) x = _mm256_sub_pd(x, c), x = _mm256_mul_pd(x, x);
  return x;
}

/* One vector of terms: the exponent bits into the lane extremes, the running fold. */
static inline __attribute__((always_inline, target("avx2"))) void
spec_step(__m256d x, __m256i expm, __m256d *S, __m256d *L, __m256i *mx, __m256i *mn) {
  const __m256i e = _mm256_and_si256(_mm256_castpd_si256(x), expm);
  *mx = _mm256_max_epi32(*mx, e), *mn = _mm256_min_epi32(*mn, e);
  const __m256d t = _mm256_add_pd(*S, x);
  *L = _mm256_add_pd(*L, _mm256_sub_pd(x, _mm256_sub_pd(t, *S)));
  *S = t;
}

/* The largest (max) or smallest odd 32-bit lane of a, the high words of four doubles. */
static inline __attribute__((always_inline, target("avx2"))) int hi_words(__m256i a, bool max) {
  _Alignas(32) int32_t w[8];
  _mm256_store_si256((__m256i *)(void *)w, a);
  int r = w[1];
  for (int l = 3; l < 8; l += 2) r = max ? (w[l] > r ? w[l] : r) : (w[l] < r ? w[l] : r);
  return r;
}

/* n >= 8 terms; ebg: the biased exponent to build the constant from, or -1 to guess it.
 * 0: done; -1: the range needs more than one fold; -2: not tried (the generic path). */
static inline __attribute__((always_inline, target("avx2"))) int
spec_fold(const void *restrict v, bool f32, bool sq, double cs, int64_t n, int ebg, double *hi,
          double *lo) {
  const __m256i EXPM = _mm256_set1_epi64x((int64_t)0x7ff << 52);
  const __m256d c = _mm256_set1_pd(cs);
  const int h = headroom(n);
  if (ebg < 0) {
    const __m256i g = _mm256_max_epi32(
        _mm256_and_si256(_mm256_castpd_si256(spec_term(v, f32, sq, c, 0)), EXPM),
        _mm256_and_si256(_mm256_castpd_si256(spec_term(v, f32, sq, c, 4)), EXPM));
    ebg = (hi_words(g, true) >> 20) + SPEC_MARGIN;
  }
  if (ebg - 1022 > 1000 || ebg - 1022 < -960) return -2;
  for (;;) {
  double s1, s2;
  const uint64_t gb = (uint64_t)ebg << 52;
  double gx;
  memcpy(&gx, &gb, 8);
  fold_sigmas(gx, h, &s1, &s2);
  const __m256d s = _mm256_set1_pd(s1);
  __m256d S0 = s, S1 = s, L0 = _mm256_setzero_pd(), L1 = L0;
  __m256i mx0 = _mm256_setzero_si256(), mx1 = mx0, mn0 = EXPM, mn1 = EXPM;
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m256d x0 = spec_term(v, f32, sq, c, k), x1 = spec_term(v, f32, sq, c, k + 4);
    spec_step(x0, EXPM, &S0, &L0, &mx0, &mn0), spec_step(x1, EXPM, &S1, &L1, &mx1, &mn1);
  }
  int ebx = hi_words(_mm256_max_epi32(mx0, mx1), true) >> 20;
  int ebn = hi_words(_mm256_min_epi32(mn0, mn1), false) >> 20;
  _Alignas(32) double a[4], b[4];
  _mm256_store_pd(a, _mm256_add_pd(_mm256_sub_pd(S0, s), _mm256_sub_pd(S1, s)));
  _mm256_store_pd(b, _mm256_add_pd(L0, L1));
  double H = (a[0] + a[1]) + (a[2] + a[3]), G = (b[0] + b[1]) + (b[2] + b[3]);
  double St = s1; /* the tail: the same running fold, one term at a time */
  for (; k < n; k++) {
    double x = f32 ? (double)((const float *)v)[k] : ((const double *)v)[k];
    if (sq) x = (x - cs) * (x - cs);
    uint64_t xb;
    memcpy(&xb, &x, 8);
    const int e = (int)(xb >> 52 & 0x7ff);
    ebx = e > ebx ? e : ebx, ebn = e < ebn ? e : ebn;
    const double t = St + x;
    G += x - (t - St), St = t;
  }
  H += St - s1;
  if (ebn == 0 || ebx == 0x7ff) return -1; /* zeros, subnormals, NaN, infinities */
  if (ebx <= ebg && ebg - ebn <= fold1_range(h)) return *hi = H, *lo = G, 0;
  if (ebx - ebn > fold1_range(h) || ebx - 1022 > 1000 || ebx - 1022 < -960) return -1;
  ebg = ebx; /* the guess was too low: once more with the true exponent, which passes */
  }
}

__attribute__((target("avx2"), optimize("fp-contract=off"))) static int
spec_f64(const double *v, int64_t n, double *hi, double *lo) {
  return spec_fold(v, false, false, 0, n, -1, hi, lo);
}
__attribute__((target("avx2"), optimize("fp-contract=off"))) static int
spec_sq_f64(const double *v, double c, int64_t n, double *hi, double *lo) {
  return spec_fold(v, false, true, c, n, -1, hi, lo);
}
__attribute__((target("avx2"), optimize("fp-contract=off"))) static int
spec_sq_f32(const float *v, double c, int64_t n, double *hi, double *lo) {
  return spec_fold(v, true, true, c, n, -1, hi, lo);
}

/* Columns of a row-major block (v[r*ld + l], rows <= HT_XACC_BLOCK), eight at a time (a
 * group: two vectors, one lane per column) by the one-pass fold of spec_fold: each lane's
 * constant is guessed from its column's first eight rows and checked at the end, as there.
 * The rows go in chunks of SPEC_ROWS (16 KiB of float64 at 64 columns, in L1), every group
 * over a chunk before the next, each group's state stored between chunks: the block is
 * read once, in order, and the next chunk is prefetched. bad[l]: 0 when hi[l] + lo[l] is
 * column l's exact sum, else 1 (the caller takes the generic path for that column). */
enum { SPEC_ROWS = 32 };
typedef struct spec_grp {
  __m256i g[2], mx[2], mn[2];
  __m256d s[2], S[2], L[2];
} spec_grp;

static inline __attribute__((always_inline, target("avx2"))) void
spec_cols_run(const char *restrict p0, bool f32, bool sq, const double *restrict cs, int64_t ld,
              int64_t r0, int64_t r1, int64_t pf, spec_grp *restrict G) {
  const __m256i EXPM = _mm256_set1_epi64x((int64_t)0x7ff << 52);
  const __m256d c0 = sq ? _mm256_loadu_pd(cs) : _mm256_setzero_pd();
  const __m256d c1 = sq ? _mm256_loadu_pd(cs + 4) : _mm256_setzero_pd();
  const int item = f32 ? 4 : 8;
  __m256d S0 = G->S[0], S1 = G->S[1], L0 = G->L[0], L1 = G->L[1];
  __m256i mx0 = G->mx[0], mx1 = G->mx[1], mn0 = G->mn[0], mn1 = G->mn[1];
  for (int64_t r = r0; r < r1; r++) {
    const char *p = p0 + r * ld * item;
    for (int64_t k = 0; k < pf * item; k += 64) __builtin_prefetch(p + SPEC_ROWS * ld * item + k);
    const __m256d x0 = spec_term(p, f32, sq, c0, 0), x1 = spec_term(p, f32, sq, c1, 4);
    spec_step(x0, EXPM, &S0, &L0, &mx0, &mn0), spec_step(x1, EXPM, &S1, &L1, &mx1, &mn1);
  }
  G->S[0] = S0, G->S[1] = S1, G->L[0] = L0, G->L[1] = L1;
  G->mx[0] = mx0, G->mx[1] = mx1, G->mn[0] = mn0, G->mn[1] = mn1;
}

/* Group state from the exponents g (biased, in bits 52..62 of each lane): s1 = 1.5 *
 * 2^(E+h) with E = ebg - 1022 (fold_sigmas). 0, or -1 when a lane is out of range. */
static inline __attribute__((always_inline, target("avx2"))) int spec_grp_init(spec_grp *G,
                                                                             int h) {
  _Alignas(32) int64_t eg[8];
  _mm256_store_si256((__m256i *)(void *)eg, G->g[0]), _mm256_store_si256((__m256i *)(void *)(eg + 4), G->g[1]);
  for (int l = 0; l < 8; l++)
    if ((eg[l] >> 52) - 1022 > 1000 || (eg[l] >> 52) - 1022 < -960) return -1;
  const __m256i sh = _mm256_set1_epi64x((int64_t)(h + 1) << 52 | (int64_t)1 << 51);
  for (int k = 0; k < 2; k++) {
    G->s[k] = G->S[k] = _mm256_castsi256_pd(_mm256_add_epi64(G->g[k], sh));
    G->L[k] = _mm256_setzero_pd();
    G->mx[k] = _mm256_setzero_si256(), G->mn[k] = _mm256_set1_epi64x((int64_t)0x7ff << 52);
  }
  return 0;
}

/* wide[l] = 1 for the lanes whose range needs more than one fold (whatever the guess);
 * returns 1 when the guess held for all others, else 0 (G->g set to the true exponents). */
static inline __attribute__((always_inline, target("avx2"))) int
spec_grp_check(spec_grp *G, int h, unsigned char *wide) {
  _Alignas(32) int64_t eg[8], ex[8], en[8];
  _mm256_store_si256((__m256i *)(void *)eg, G->g[0]), _mm256_store_si256((__m256i *)(void *)(eg + 4), G->g[1]);
  _mm256_store_si256((__m256i *)(void *)ex, G->mx[0]), _mm256_store_si256((__m256i *)(void *)(ex + 4), G->mx[1]);
  _mm256_store_si256((__m256i *)(void *)en, G->mn[0]), _mm256_store_si256((__m256i *)(void *)(en + 4), G->mn[1]);
  bool hit = true;
  for (int l = 0; l < 8; l++) {
    const int64_t g = eg[l] >> 52, x = ex[l] >> 52, n = en[l] >> 52;
    wide[l] = n == 0 || x == 0x7ff || x - n > fold1_range(h);
    hit &= wide[l] || (x <= g && g - n <= fold1_range(h));
  }
  if (hit) return 1;
  G->g[0] = G->mx[0], G->g[1] = G->mx[1];
  return 0;
}

static inline __attribute__((always_inline, target("avx2"))) void
spec_cols(const void *restrict v, bool f32, bool sq, const double *restrict cs, int64_t ld,
          int64_t rows, int64_t groups, double *restrict hi, double *restrict lo,
          unsigned char *restrict bad) {
  const __m256i EXPM = _mm256_set1_epi64x((int64_t)0x7ff << 52);
  const __m256i mg = _mm256_set1_epi64x((int64_t)SPEC_MARGIN << 52);
  const int h = headroom(rows), item = f32 ? 4 : 8;
  const char *p0 = v;
  spec_grp G[HT_XACC_SPEC_GROUPS];
  unsigned char ok[HT_XACC_SPEC_GROUPS];
  for (int64_t q = 0; q < groups; q++) {
    const double *c = sq ? cs + 8 * q : NULL;
    const __m256d c0 = sq ? _mm256_loadu_pd(c) : _mm256_setzero_pd();
    const __m256d c1 = sq ? _mm256_loadu_pd(c + 4) : _mm256_setzero_pd();
    __m256i g0 = _mm256_setzero_si256(), g1 = g0;
    for (int64_t r = 0; r < rows && r < 8; r++) {
      const char *p = p0 + (r * ld + 8 * q) * item;
      g0 = _mm256_max_epi32(g0, _mm256_and_si256(_mm256_castpd_si256(spec_term(p, f32, sq, c0, 0)), EXPM));
      g1 = _mm256_max_epi32(g1, _mm256_and_si256(_mm256_castpd_si256(spec_term(p, f32, sq, c1, 4)), EXPM));
    }
    G[q].g[0] = _mm256_add_epi64(g0, mg), G[q].g[1] = _mm256_add_epi64(g1, mg);
    ok[q] = spec_grp_init(&G[q], h) == 0;
  }
  for (int64_t r = 0; r < rows; r += SPEC_ROWS) {
    const int64_t r1 = rows - r < SPEC_ROWS ? rows : r + SPEC_ROWS;
    for (int64_t q = 0; q < groups; q++)
      if (ok[q])
        spec_cols_run(p0 + 8 * q * item, f32, sq, sq ? cs + 8 * q : NULL, ld, r, r1,
                      q ? 0 : 8 * groups, &G[q]);
  }
  for (int64_t q = 0; q < groups; q++) {
    unsigned char *wide = bad + 8 * q;
    if (ok[q] && spec_grp_check(&G[q], h, wide) == 0) {
      /* a missed guess: the group once more with its true exponents (its wide lanes'
       * results are not used) */
      ok[q] = spec_grp_init(&G[q], h) == 0;
      if (ok[q]) spec_cols_run(p0 + 8 * q * item, f32, sq, sq ? cs + 8 * q : NULL, ld, 0, rows, 0, &G[q]);
    }
    if (!ok[q]) memset(wide, 1, 8);
    if (!ok[q]) continue;
    for (int k = 0; k < 2; k++) {
      _mm256_storeu_pd(hi + 8 * q + 4 * k, _mm256_sub_pd(G[q].S[k], G[q].s[k]));
      _mm256_storeu_pd(lo + 8 * q + 4 * k, G[q].L[k]);
    }
  }
}

#define SPEC_COLS(name, T, f32, sq)                                                        \
  __attribute__((target("avx2"), optimize("fp-contract=off"))) static void name(           \
      const T *v, const double *c, int64_t ld, int64_t rows, int64_t groups, double *hi,  \
      double *lo, unsigned char *bad) {                                                   \
    spec_cols(v, f32, sq, c, ld, rows, groups, hi, lo, bad);                              \
  }
/* float32 squared deviations only: float64 columns (sums and squares) ran no faster than
 * the generic folds here (memory-bound at max(0)'s speed; docs/performance-notes.md) */
SPEC_COLS(spec_cols_sq_f32, float, true, true)
#undef SPEC_COLS

int ht_xacc_spec_terms(const void *v, bool f32, const double *c, int64_t n, double *hi,
                       double *lo) {
  if (n < 8 || !have_avx2() || (f32 && !c)) return -2;
  if (!c) return spec_f64(v, n, hi, lo);
  return f32 ? spec_sq_f32(v, *c, n, hi, lo) : spec_sq_f64(v, *c, n, hi, lo);
}

void ht_xacc_spec_cols_sq_f32(const float *v, const double *c, int64_t ld, int64_t rows,
                              int64_t groups, double *hi, double *lo, unsigned char *bad) {
  spec_cols_sq_f32(v, c, ld, rows, groups, hi, lo, bad);
}
#else
int ht_xacc_spec_terms(const void *v, bool f32, const double *c, int64_t n, double *hi,
                       double *lo) {
  (void)v, (void)f32, (void)c, (void)n, (void)hi, (void)lo;
  return -2;
}
#endif
