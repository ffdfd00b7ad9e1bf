/* The AVX-512 row kernels of exact sums (cpu/binned_rows.h), eight short rows at a time:
 * float64 sums (each 8 x 8 block of terms transposed in registers so that lane k folds row
 * k, as the column folds do), squared deviations (each row read in order, its lanes reduced
 * once at the end) and plain float32 sums (the mean pass of mean/var along rows). */
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
 * columns past m are zeros. */
K void block(const char *const p[8], const char *nx, int64_t t0, int m, __m512d x[8]) {
  /* the next tile's bytes in order, eight lines per block (the eight rows' streams 512 B
   * apart at 64 terms hid the tile starts from the hardware prefetcher) */
  if (nx)
    for (int k = 0; k < 8; k++) _mm_prefetch(nx + (t0 + k) * 64, _MM_HINT_T0);
  const __mmask8 m8 = (__mmask8)((1u << m) - 1);
  __m512d r[8];
  for (int k = 0; k < 8; k++)
    r[k] = _mm512_maskz_loadu_pd(m8, (const double *)(const void *)p[k] + t0);
  const __m512d t0a = _mm512_unpacklo_pd(r[0], r[1]), t1 = _mm512_unpackhi_pd(r[0], r[1]);
  const __m512d t2 = _mm512_unpacklo_pd(r[2], r[3]), t3 = _mm512_unpackhi_pd(r[2], r[3]);
  const __m512d t4 = _mm512_unpacklo_pd(r[4], r[5]), t5 = _mm512_unpackhi_pd(r[4], r[5]);
  const __m512d t6 = _mm512_unpacklo_pd(r[6], r[7]), t7 = _mm512_unpackhi_pd(r[6], r[7]);
  x[0] = _mm512_shuffle_f64x2(t0a, t2, 0x88), x[1] = _mm512_shuffle_f64x2(t0a, t2, 0xdd);
  x[2] = _mm512_shuffle_f64x2(t1, t3, 0x88), x[3] = _mm512_shuffle_f64x2(t1, t3, 0xdd);
  x[4] = _mm512_shuffle_f64x2(t4, t6, 0x88), x[5] = _mm512_shuffle_f64x2(t4, t6, 0xdd);
  x[6] = _mm512_shuffle_f64x2(t5, t7, 0x88), x[7] = _mm512_shuffle_f64x2(t5, t7, 0xdd);
}

/* The lanes of x[j & 3] that hold columns below m (lane pairs 0x33: first column, 0xcc:
 * second, of (0,4), (2,6), (1,5), (3,7)). */
static inline __mmask8 cols_mask(int j, int m) {
  static const int first[4] = {0, 2, 1, 3};
  return (__mmask8)((first[j & 3] < m ? 0x33 : 0) | (first[j & 3] + 4 < m ? 0xcc : 0));
}

/* |x| as bits: ordered like the magnitudes. */
K __m512i magbits(__m512d x) {
  return _mm512_and_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(INT64_MAX));
}

K void step(half *st, __m512d x) {
  const __m512i b = magbits(x);
  st->mx = _mm512_max_epu64(st->mx, b), st->mn = _mm512_min_epu64(st->mn, b);
  const __m512d t = _mm512_add_pd(st->S, x);
  st->L = _mm512_add_pd(st->L, _mm512_sub_pd(x, _mm512_sub_pd(t, st->S)));
  st->S = t;
}

/* The same for the lanes in k only (a partial block). */
K void step_mask(half *st, __m512d x, __mmask8 k) {
  const __m512i b = magbits(x);
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
K void run(const char *const p[8], int64_t n, int h, __m512i g, const __m512d *x0,
           const char *nx, half *A, half *B) {
  const __m512i sh = _mm512_set1_epi64((int64_t)(h + 1) << 52 | (int64_t)1 << 51);
  half_init(A, _mm512_permutexvar_epi64(IA, g), sh);
  half_init(B, _mm512_permutexvar_epi64(IB, g), sh);
  __m512d x[8];
  int64_t t0 = 0;
  if (x0 && n >= 8) {
    for (int j = 0; j < 8; j++) step(j < 4 ? A : B, x0[j]);
    t0 = 8;
  }
  for (; t0 + 8 <= n; t0 += 8) {
    block(p, nx, t0, 8, x);
    for (int j = 0; j < 8; j++) step(j < 4 ? A : B, x[j]);
  }
  if (t0 < n) {
    const int m = (int)(n - t0);
    if (x0 && t0 == 0)
      for (int j = 0; j < 8; j++) x[j] = x0[j];
    else
      block(p, nx, t0, m, x);
    for (int j = 0; j < 8; j++) step_mask(j < 4 ? A : B, x[j], cols_mask(j, m));
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
K void tile(const void *v, int64_t n, int64_t r0, int nr, double *hi, double *lo,
            unsigned char *bad) {
  const int64_t item = 8;
  const char *p[8];
  for (int k = 0; k < 8; k++) p[k] = (const char *)v + (r0 + (k < nr ? k : nr - 1)) * n * item;
  const __mmask8 rm = (__mmask8)((1u << nr) - 1);
  const int h = headroom(n), range = fold1_range(h);
  const int m0 = n < 8 ? (int)n : 8;
  const char *nx = (const char *)v + (r0 + 16) * n * item; /* prefetched: may lie past the end */
  __m512d x0[8];
  block(p, nx, 0, m0, x0);
  __m512i ga = _mm512_setzero_si512(), gb = ga;
  for (int j = 0; j < 4; j++) {
    ga = _mm512_mask_max_epu64(ga, cols_mask(j, m0), ga, magbits(x0[j]));
    gb = _mm512_mask_max_epu64(gb, cols_mask(j, m0), gb, magbits(x0[j + 4]));
  }
  const __m512i gm = _mm512_max_epu64(lo_pair(ga, gb), hi_pair(ga, gb));
  __m512i g = _mm512_add_epi64(_mm512_and_si512(_mm512_srli_epi64(gm, 52), _mm512_set1_epi64(0x7ff)),
                               _mm512_set1_epi64(MARGIN));
  g = clamp(g);
  half A, B;
  run(p, n, h, g, x0, nx, &A, &B);
  __mmask8 fits;
  __m512i ex;
  __mmask8 ok = held(&A, &B, g, range, &fits, &ex);
  if (fits & ~ok & rm) { /* a missed guess: once more with the true exponents */
    g = clamp(_mm512_mask_blend_epi64(ok, ex, g));
    run(p, n, h, g, NULL, NULL, &A, &B);
    ok = held(&A, &B, g, range, &fits, &ex);
  }
  const __m512d H = join_pd(_mm512_sub_pd(A.S, A.s), _mm512_sub_pd(B.S, B.s));
  _mm512_mask_storeu_pd(hi + r0, rm, H);
  _mm512_mask_storeu_pd(lo + r0, rm, join_pd(A.L, B.L));
  for (int k = 0; k < nr; k++) bad[r0 + k] = !(ok >> k & 1);
}

__attribute__((target("avx512f"), optimize("fp-contract=off"))) static void
rows_f64(const void *v, int64_t n, int64_t rows, double *hi, double *lo, unsigned char *bad) {
  for (int64_t r = 0; r < rows; r += 8)
    tile(v, n, r, rows - r < 8 ? (int)(rows - r) : 8, hi, lo, bad);
}

/* Lane k of the result: the sum of the lanes of a[k] (three levels of pairs; the sums
 * are exact where the callers use them, so their order does not matter). */
K __m512d sum8(const __m512d a[8]) {
  __m512d b[4], c[2];
  for (int k = 0; k < 4; k++)
    b[k] = _mm512_add_pd(_mm512_unpacklo_pd(a[2 * k], a[2 * k + 1]),
                         _mm512_unpackhi_pd(a[2 * k], a[2 * k + 1]));
  for (int k = 0; k < 2; k++)
    c[k] = _mm512_add_pd(_mm512_shuffle_f64x2(b[2 * k], b[2 * k + 1], 0x88),
                         _mm512_shuffle_f64x2(b[2 * k], b[2 * k + 1], 0xdd));
  return _mm512_add_pd(_mm512_shuffle_f64x2(c[0], c[1], 0x88),
                       _mm512_shuffle_f64x2(c[0], c[1], 0xdd));
}

/* ---- squared deviations along rows (var/std, axis -1) ---- */

/* The proof is binned_sqdev.c's, lane by lane: each lane keeps S = s1 + (pieces so far),
 * t = S + x, L += x - (t - S), S = t with one constant s1 = 1.5 * 2^(E+h) per row (E = g -
 * 1022, h = headroom(n)). Squares are >= 0, so S only grows: when every lane's last S
 * still lies below 2^(E+h+1), each piece was exact, a multiple of u = 2^(E+h-52), and
 * each remainder exact, at most u/2; no term's exponent need be tracked. The lanes' S - s1
 * are exact and >= 0, so their sum in any order is exact when it ends below 2^(E+h+1)
 * (2^53 u: a partial sum that reached it would leave the total there too): the row's
 * check. The remainders add exactly when the smallest term's biased exponent is at least
 * g - fold1_range(h) (fold1_pass's proof, cpu/binned.c). So hi + lo is the row's exact sum
 * whatever g is: the same bits as the generic path. g comes from the last tile's largest
 * held sum (rows of one array are alike); a row that missed is redone once with a g from
 * its own sum, one that misses again takes the generic path. */

enum { SQ_AHEAD = 262144 };

/* Eight terms at p (lanes in m, the others 0): widened, then (x - c)^2; x - c is an fma
 * with 1 (the same rounding) so that it may run beside the adds. */
K __m512d sq_term8(const char *p, bool f32, __mmask8 m, __m512d c) {
  __m512d x;
  if (f32)
    x = _mm512_cvtps_pd(m == 0xff ? _mm256_loadu_ps((const float *)(const void *)p)
                                  : _mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)m, (const float *)(const void *)p)));
  else
    x = m == 0xff ? _mm512_loadu_pd(p) : _mm512_maskz_loadu_pd(m, p);
  x = _mm512_fmsub_pd(x, _mm512_set1_pd(1.0), c);
  return m == 0xff ? _mm512_mul_pd(x, x) : _mm512_maskz_mul_pd(m, x, x);
}

/* One row's pass: S - s1 and L per lane; okr: every lane's S within the binade and every
 * term's exponent within range of g. mn: the smallest term's bits. */
K void sq_row(const char *p, bool f32, double cr, int64_t n, int h, int64_t g, int range,
           __m512d *H, __m512d *L, bool *okr, __m512i *mnout) {
  const int64_t item = f32 ? 4 : 8;
  const __m512d one = _mm512_set1_pd(1.0), c = _mm512_set1_pd(cr), s1 = _mm512_set1_pd(sigma(g, h));
  __m512d S = s1, l = _mm512_setzero_pd();
  __m512i mn = _mm512_set1_epi64(-1);
  /* the row one fused tile on (cpu/reduce_exact.c, FUSE_BYTES): its mean pass then reads
   * from L2, its memory read overlapped with this pass's arithmetic */
  for (int64_t b = 0; b < n * item; b += 64) _mm_prefetch(p + SQ_AHEAD + b, _MM_HINT_T1);
  int64_t t = 0;
  for (; t + 8 <= n; t += 8) {
    const __m512d x = sq_term8(p + t * item, f32, 0xff, c);
    mn = _mm512_min_epu64(mn, _mm512_castpd_si512(x));
    const __m512d u = _mm512_add_pd(S, x);
    l = _mm512_add_pd(l, _mm512_sub_pd(x, _mm512_fmsub_pd(u, one, S)));
    S = u;
  }
  if (t < n) { /* the lanes past the row hold 0: S and L unchanged */
    const __mmask8 m = (__mmask8)((1u << (n - t)) - 1);
    const __m512d x = sq_term8(p + t * item, f32, m, c);
    mn = _mm512_mask_min_epu64(mn, m, mn, _mm512_castpd_si512(x));
    const __m512d u = _mm512_add_pd(S, x);
    l = _mm512_add_pd(l, _mm512_sub_pd(x, _mm512_fmsub_pd(u, one, S)));
    S = u;
  }
  const int64_t lo = g - range > 1 ? g - range : 1;
  *okr = _mm512_cmp_epu64_mask(_mm512_castpd_si512(S), _mm512_set1_epi64((g + h + 2) << 52),
                               _MM_CMPINT_LT) == 0xff &&
         _mm512_cmp_epu64_mask(mn, _mm512_set1_epi64(lo << 52), _MM_CMPINT_NLT) == 0xff;
  *H = _mm512_sub_pd(S, s1), *L = l, *mnout = mn;
}

/* Rows r0 .. r0+nr (nr <= 8) with the guess *g, updated from the rows that held. */
K void sq_tile(const char *v, bool f32, const double *cs, int64_t n, int64_t r0, int nr,
            int64_t *g, double *hi, double *lo, unsigned char *bad) {
  const int64_t item = f32 ? 4 : 8;
  const int h = headroom(n), range = fold1_range(h);
  __m512d H[8], L[8];
  __m512i mn[8];
  __mmask8 ok = 0;
  for (int k = 0; k < 8; k++) {
    H[k] = L[k] = _mm512_setzero_pd();
    if (k >= nr) continue;
    bool okr;
    sq_row(v + (r0 + k) * n * item, f32, cs[r0 + k], n, h, *g, range, &H[k], &L[k], &okr, &mn[k]);
    ok |= (__mmask8)(okr << k);
  }
  const __mmask8 rm = (__mmask8)((1u << nr) - 1);
  const __m512d Hs = sum8(H), Ls = sum8(L);
  ok &= _mm512_cmp_epu64_mask(_mm512_castpd_si512(Hs), _mm512_set1_epi64((*g + h + 2) << 52),
                              _MM_CMPINT_LT);
  _mm512_mask_storeu_pd(hi + r0, rm, Hs);
  _mm512_mask_storeu_pd(lo + r0, rm, Ls);
  const int64_t g0 = *g;
  if (ok & rm) *g = clamp_g(bexp(_mm512_mask_reduce_max_pd(ok & rm, Hs)) - h + 1);
  for (int k = 0; k < nr; k++) {
    bad[r0 + k] = !(ok >> k & 1);
    if (!bad[r0 + k]) continue;
    /* a missed guess: once more with the lowest g whose binades hold the row's sum (one
     * spare; hi + lo is near it: a g too high left the terms in lo), where the smallest
     * term allows it (zeros, NaN and infinities never do) */
    const int64_t es = bexp(hi[r0 + k] + lo[r0 + k]), en = (int64_t)(_mm512_reduce_min_epu64(mn[k]) >> 52);
    const int64_t g2 = clamp_g(es - h + 2);
    if (es == 0x7ff || en == 0 || en == 0x7ff || g2 == g0 || g2 - en > range) continue;
    bool okr;
    __m512d h1, l1;
    __m512i m1;
    sq_row(v + (r0 + k) * n * item, f32, cs[r0 + k], n, h, g2, range, &h1, &l1, &okr, &m1);
    const double s = _mm512_reduce_add_pd(h1);
    if (!okr || bexp(s) > g2 + h + 1) continue;
    hi[r0 + k] = s, lo[r0 + k] = _mm512_reduce_add_pd(l1), bad[r0 + k] = 0;
  }
}

/* The first guess: the first row's first terms' sum scaled to n, two binades spare. */
K int64_t first_guess(const char *v, bool f32, double c, int64_t n) {
  const int m = n < 8 ? (int)n : 8;
  const double s = _mm512_reduce_add_pd(sq_term8(v, f32, (__mmask8)((1u << m) - 1), _mm512_set1_pd(c)));
  return clamp_g(bexp(s * (double)n / (double)m) - headroom(n) + 2);
}

#define ROWS_SQ(name, f32)                                                                 \
  __attribute__((target("avx512f"), optimize("fp-contract=off"))) static void name(        \
      const void *v, const double *c, int64_t n, int64_t rows, double *hi, double *lo,    \
      unsigned char *bad) {                                                               \
    int64_t g = first_guess(v, f32, c[0], n);                                             \
    for (int64_t r = 0; r < rows; r += 8)                                                 \
      sq_tile(v, f32, c, n, r, rows - r < 8 ? (int)(rows - r) : 8, &g, hi, lo, bad);          \
  }
ROWS_SQ(rows_sq_f64, false)
ROWS_SQ(rows_sq_f32, true)
#undef ROWS_SQ


/* Plain float32 row sums (ht_xacc_plain_rows_f32) eight rows a tile: each row's 16 terms
 * a step summed in two double vectors, the exponent extremes kept for the tile as a whole
 * and checked once with plain_ok (a row lies within its tile's range); a tile that fails
 * is checked row by row. Where plain_ok holds the double sum is exact in any order, so the
 * lanes' order and the tile's reduction give the AVX2 kernel's bits. */
#define PLAIN_STEP(x, a0, a1, p)                                                          \
  do {                                                                                    \
    const __m512i b_ = _mm512_and_si512(_mm512_castps_si512(x), abs);                     \
    mx = _mm512_max_epu32(mx, b_);                                                        \
    mn = _mm512_mask_min_epu32(mn, _mm512_test_epi32_mask(b_, b_), mn, b_);               \
    (a0) = _mm512_add_pd((a0), _mm512_cvtps_pd(_mm512_castps512_ps256(x)));              \
    (a1) = _mm512_add_pd((a1), _mm512_cvtps_pd(_mm256_castpd_ps(                          \
                                   _mm512_extractf64x4_pd(_mm512_castps_pd(x), 1))));     \
  } while (0)

/* The |bits| extremes of row p's n terms (zeros left out of the smallest). */
K void plain_range(const float *p, int64_t n, uint32_t *tmx, uint32_t *tmn) {
  const __m512i abs = _mm512_set1_epi32(0x7fffffff);
  __m512i mx = _mm512_setzero_si512(), mn = abs;
  for (int64_t t = 0; t < n; t += 16) {
    const __mmask16 m = n - t >= 16 ? 0xffff : (__mmask16)((1u << (n - t)) - 1);
    const __m512i b = _mm512_and_si512(_mm512_castps_si512(_mm512_maskz_loadu_ps(m, p + t)), abs);
    mx = _mm512_max_epu32(mx, b);
    mn = _mm512_mask_min_epu32(mn, _mm512_test_epi32_mask(b, b), mn, b);
  }
  *tmx = _mm512_reduce_max_epu32(mx), *tmn = _mm512_reduce_min_epu32(mn);
}

__attribute__((target("avx512f"), optimize("fp-contract=off"))) static void
plain_rows_f32(const float *v, int64_t n, int64_t rows, double *out, unsigned char *bad) {
  const __m512i abs = _mm512_set1_epi32(0x7fffffff);
  const __mmask16 tail = (__mmask16)((1u << (n & 15)) - 1);
  for (int64_t r0 = 0; r0 < rows; r0 += 8) {
    const int nr = rows - r0 < 8 ? (int)(rows - r0) : 8;
    __m512i mx = _mm512_setzero_si512(), mn = abs;
    __m512d a[8];
    for (int k = 0; k < 8; k++) {
      __m512d a0 = _mm512_setzero_pd(), a1 = a0;
      if (k < nr) {
        const float *p = v + (r0 + k) * n;
        int64_t t = 0;
        for (; t + 16 <= n; t += 16) {
          const __m512 x = _mm512_loadu_ps(p + t);
          PLAIN_STEP(x, a0, a1, p);
        }
        if (t < n) {
          const __m512 x = _mm512_maskz_loadu_ps(tail, p + t);
          PLAIN_STEP(x, a0, a1, p);
        }
      }
      a[k] = _mm512_add_pd(a0, a1);
    }
    const __mmask8 rm = (__mmask8)((1u << nr) - 1);
    _mm512_mask_storeu_pd(out + r0, rm, sum8(a));
    const bool ok = plain_ok(_mm512_reduce_max_epu32(mx), _mm512_reduce_min_epu32(mn), n);
    for (int k = 0; k < nr; k++) {
      uint32_t tmx, tmn;
      if (!ok) plain_range(v + (r0 + k) * n, n, &tmx, &tmn);
      bad[r0 + k] = !ok && !plain_ok(tmx, tmn, n);
    }
  }
}
#undef PLAIN_STEP
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
    if (!c) rows_f64(v, n, rows, hi, lo, bad);
    else if (f32) rows_sq_f32(v, c, n, rows, hi, lo, bad);
    else rows_sq_f64(v, c, n, rows, hi, lo, bad);
    return rows;
  }
#else
  (void)v, (void)f32, (void)c, (void)n, (void)hi, (void)lo, (void)bad;
#endif
  return 0;
}

int64_t ht_xacc_plain_rows_avx512(const float *v, int64_t n, int64_t rows, double *s,
                                  unsigned char *bad) {
#ifdef HAVE_ROWS_AVX512
  if (use < 0) ht_xacc_rows_simd(-1);
  if (use > 0 && rows > 0 && n > 0 && n <= HT_XACC_F32_PLAIN) {
    plain_rows_f32(v, n, rows, s, bad);
    return rows;
  }
#else
  (void)v, (void)n, (void)rows, (void)s, (void)bad;
#endif
  return 0;
}
