/* The AVX-512 row kernel of float32 argmin/argmax (cpu/arg_rows.h): each row of up to 64
 * elements is four vectors folded into one lane-wise extreme, sixteen rows' vectors are
 * then folded into one vector holding each row's extreme (a transpose-and-fold tree, no
 * per-row horizontal work), and each row's first position is the lowest bit of its
 * compare-equal mask. The rows are read again from L1 for the masks. */
#include "arg_rows.h"

#include <math.h>

#include "simd.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_ARG_ROWS_AVX512 1
#include <immintrin.h>

#define K static inline __attribute__((always_inline, target("avx512f")))

K __m512 ext(bool is_max, __m512 a, __m512 b) {
  return is_max ? _mm512_max_ps(a, b) : _mm512_min_ps(a, b);
}

/* Sixteen vectors v[q] into one whose lane q is the extreme of v[q]'s lanes: pairs of
 * rows interleaved by 32, 64 and 128 bits, each level halving the partials per row. */
K __m512 fold16(bool is_max, __m512 v[16]) {
  __m512 a[8], b[4], c[2];
  for (int i = 0; i < 8; i++) /* 128-bit lane: r r' r r' (2i, 2i+1) */
    a[i] = ext(is_max, _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
               _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 4; i++) { /* 128-bit lane: rows 4i .. 4i+3 */
    const __m512d x = _mm512_castps_pd(a[2 * i]), y = _mm512_castps_pd(a[2 * i + 1]);
    b[i] = ext(is_max, _mm512_castpd_ps(_mm512_unpacklo_pd(x, y)),
               _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
  }
  for (int i = 0; i < 2; i++) /* 128-bit lanes 0, 1: rows 8i .. 8i+3; 2, 3: 8i+4 .. 8i+7 */
    c[i] = ext(is_max, _mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0x88),
               _mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0xdd));
  return ext(is_max, _mm512_shuffle_f32x4(c[0], c[1], 0x88),
             _mm512_shuffle_f32x4(c[0], c[1], 0xdd));
}

/* Up to sixteen rows (nr) of n elements in nv = ceil(n / 16) vectors; lanes past n hold
 * the fill (+inf for min, -inf for max), which never beats a row's own extreme and is
 * masked out of the position search. */
K void group(bool is_max, int nv, bool full, const float *p, int64_t ld, int64_t n, int nr, int64_t r0,
             ht_argacc *out) {
  const __m512 fill = _mm512_set1_ps(is_max ? -INFINITY : INFINITY);
  __mmask16 m[4];
  for (int v = 0; v < 4; v++) {
    const int64_t k = n - 16 * v;
    m[v] = (__mmask16)(k >= 16 ? 0xffff : k > 0 ? (1u << k) - 1 : 0);
  }
  __m512 e[16];
  unsigned nan = 0; /* rows holding a NaN */
  for (int q = 0; q < 16; q++) {
    if (q >= nr) {
      e[q] = fill;
      continue;
    }
    const float *row = p + q * ld;
    for (int v = 0; v < nv; v++) _mm_prefetch((const char *)(row + 32 * ld + 16 * v), _MM_HINT_T0);
    __m512 x[4];
    for (int v = 0; v < nv; v++)
      x[v] = full ? _mm512_loadu_ps(row + 16 * v) : _mm512_mask_loadu_ps(fill, m[v], row + 16 * v);
    __mmask16 u = _mm512_cmp_ps_mask(x[0], x[nv > 1 ? 1 : 0], _CMP_UNORD_Q);
    if (nv > 2) u |= _mm512_cmp_ps_mask(x[2], x[nv > 3 ? 3 : 2], _CMP_UNORD_Q);
    nan |= (unsigned)(u != 0) << q;
    __m512 y = nv > 1 ? ext(is_max, x[0], x[1]) : x[0];
    if (nv > 2) y = ext(is_max, y, nv > 3 ? ext(is_max, x[2], x[3]) : x[2]);
    e[q] = y;
  }
  float best[16];
  _mm512_storeu_ps(best, fold16(is_max, e));
  for (int q = 0; q < nr; q++) {
    const float *row = p + q * ld;
    const __m512 b = _mm512_set1_ps(best[q]);
    const int cmp = nan >> q & 1 ? _CMP_UNORD_Q : _CMP_EQ_OQ;
    uint64_t hit = 0;
    for (int v = nv - 1; v >= 0; v--) {
      const __m512 x = full ? _mm512_loadu_ps(row + 16 * v) : _mm512_maskz_loadu_ps(m[v], row + 16 * v);
      const __mmask16 k = cmp == _CMP_UNORD_Q ? _mm512_mask_cmp_ps_mask(m[v], x, x, _CMP_UNORD_Q)
                                              : _mm512_mask_cmp_ps_mask(m[v], x, b, _CMP_EQ_OQ);
      hit = hit << 16 | (uint64_t)k;
    }
    const int at = __builtin_ctzll(hit);
    out[q].v.f = cmp == _CMP_UNORD_Q ? NAN : (double)row[at];
    out[q].idx = r0 + at;
  }
}

#define ROWS(name, is_max, nv)                                                              \
  __attribute__((target("avx512f"))) static void name(const float *p, int64_t ld, int64_t n,  \
                                                      int64_t rows, int64_t r0,             \
                                                      ht_argacc *out) {                      \
    for (int64_t o = 0; o < rows; o += 16)                                                  \
      group(is_max, nv, n == 16 * nv, p + o * ld, ld, n, rows - o < 16 ? (int)(rows - o) : 16, r0,        \
            out + o);                                                                       \
  }
ROWS(min1, false, 1)
ROWS(min2, false, 2)
ROWS(min3, false, 3)
ROWS(min4, false, 4)
ROWS(max1, true, 1)
ROWS(max2, true, 2)
ROWS(max3, true, 3)
ROWS(max4, true, 4)
#undef ROWS
#endif

/* 1: the kernel where the CPU has AVX-512; 0: off (tests compare); -1: not yet asked. */
static int use = -1;

int ht_arg_rows_simd(int on) {
#ifdef HAVE_ARG_ROWS_AVX512
  return ht_simd_switch(&use, ht_cpu_avx512(), on);
#else
  return ht_simd_switch(&use, false, on);
#endif
}

int64_t ht_arg_rows_avx512(bool is_max, const float *p, int64_t ld, int64_t n, int64_t rows,
                           int64_t r0, ht_argacc *out) {
#ifdef HAVE_ARG_ROWS_AVX512
  if (use < 0) ht_arg_rows_simd(-1); /* set before threads call it, or by a first call */
  if (use <= 0 || rows <= 0 || n < 1 || n > HT_ARG_ROWS_MAX) return 0;
  typedef void (*fn)(const float *, int64_t, int64_t, int64_t, int64_t, ht_argacc *);
  static const fn mins[4] = {min1, min2, min3, min4}, maxs[4] = {max1, max2, max3, max4};
  (is_max ? maxs : mins)[(n - 1) / 16](p, ld, n, rows, r0, out);
  return rows;
#else
  (void)is_max, (void)p, (void)ld, (void)n, (void)rows, (void)r0, (void)out;
  return 0;
#endif
}
