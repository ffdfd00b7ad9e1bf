/* The AVX-512 column kernel of exact float32 sums (cpu/binned_cols.h): up to 64 columns
 * per pass, each row read once as whole cache lines, 16 lanes per register for the
 * exponent extremes and 8 double lanes per register for the sums. */
#include "binned_cols.h"

#include <stdbool.h>

#include "simd.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512_INLINE static inline __attribute__((always_inline, target("avx512f")))

/* One row's 16 columns at p (mask m) into the running state of those columns: the sums
 * of their low and high eight in double, and the extremes of 2|bits| (the sign shifted
 * out); mn keeps 2|bits| - 1, so that a zero wraps to the top of the unsigned range and
 * never lowers it. Named registers, not an array: gcc kept an array's state in memory. */
#define STEP(p, m, lo, hi, mx, mn)                                                          \
  do {                                                                                      \
    const __m512 x_ = _mm512_maskz_loadu_ps((m), (p));                                      \
    const __m512i b_ = _mm512_slli_epi32(_mm512_castps_si512(x_), 1);                       \
    (mx) = _mm512_max_epu32((mx), b_);                                                      \
    (mn) = _mm512_min_epu32((mn), _mm512_sub_epi32(b_, one));                               \
    if ((m) == 0xFFFF) { /* converted from memory (an L1 hit): no shuffle for the top half */ \
      (lo) = _mm512_add_pd((lo), _mm512_cvtps_pd(_mm256_loadu_ps(p)));                      \
      (hi) = _mm512_add_pd((hi), _mm512_cvtps_pd(_mm256_loadu_ps((p) + 8)));                \
    } else {                                                                                \
      (lo) = _mm512_add_pd((lo), _mm512_cvtps_pd(_mm512_castps512_ps256(x_)));              \
      (hi) = _mm512_add_pd((hi), _mm512_cvtps_pd(_mm256_castpd_ps(                          \
                                     _mm512_extractf64x4_pd(_mm512_castps_pd(x_), 1))));     \
    }                                                                                       \
  } while (0)

/* Group g's state out to s, mx, mn (n of its 16 columns). */
AVX512_INLINE void out16(__m512d lo, __m512d hi, __m512i mx, __m512i mn, int n, double *s,
                         uint32_t *mxo, uint32_t *mno) {
  double a[16];
  uint32_t hx[16], hn[16];
  _mm512_storeu_pd(a, lo), _mm512_storeu_pd(a + 8, hi);
  _mm512_storeu_si512(hx, mx), _mm512_storeu_si512(hn, mn);
  for (int l = 0; l < n; l++) {
    s[l] = a[l], mxo[l] = hx[l] >> 1;
    mno[l] = hn[l] == 0xFFFFFFFFu ? 0x7fffffffu : (hn[l] + 1) >> 1;
  }
}

/* G groups of 16 columns at v (the last one masked by m) over the rows; pf: this pass
 * also asks for the tile's cache lines (pf bytes of each row) about 16 KiB ahead, since
 * the later passes' strided reads hide them from the hardware prefetcher. */
AVX512_INLINE void pass(const float *v, int64_t ld, int64_t rows, int G, __mmask16 m,
                        int64_t pf, double *s, uint32_t *mx, uint32_t *mn) {
  const __m512i one = _mm512_set1_epi32(1), top = _mm512_set1_epi32(-1);
  const __m512i zi = _mm512_setzero_si512();
  const __m512d zd = _mm512_setzero_pd();
  __m512d lo0 = zd, hi0 = zd, lo1 = zd, hi1 = zd, lo2 = zd, hi2 = zd, lo3 = zd, hi3 = zd;
  __m512i mx0 = zi, mx1 = zi, mx2 = zi, mx3 = zi, mn0 = top, mn1 = top, mn2 = top, mn3 = top;
  const __mmask16 full = 0xFFFF;
  const int64_t ahead = (ld < 4096 ? 4096 / ld : 1) * ld;
  for (int64_t r = 0; r < rows; r++) {
    const float *p = v + r * ld;
    for (int64_t k = 0; k < pf; k += 64) _mm_prefetch((const char *)(p + ahead) + k, _MM_HINT_T0);
    if (G == 1) STEP(p, m, lo0, hi0, mx0, mn0);
    else STEP(p, full, lo0, hi0, mx0, mn0);
    if (G == 2) STEP(p + 16, m, lo1, hi1, mx1, mn1);
    else if (G > 2) STEP(p + 16, full, lo1, hi1, mx1, mn1);
    if (G == 3) STEP(p + 32, m, lo2, hi2, mx2, mn2);
    else if (G > 3) STEP(p + 32, full, lo2, hi2, mx2, mn2);
    if (G == 4) STEP(p + 48, m, lo3, hi3, mx3, mn3);
  }
  const int last = __builtin_popcount(m);
  out16(lo0, hi0, mx0, mn0, G == 1 ? last : 16, s, mx, mn);
  if (G > 1) out16(lo1, hi1, mx1, mn1, G == 2 ? last : 16, s + 16, mx + 16, mn + 16);
  if (G > 2) out16(lo2, hi2, mx2, mn2, G == 3 ? last : 16, s + 32, mx + 32, mn + 32);
  if (G > 3) out16(lo3, hi3, mx3, mn3, last, s + 48, mx + 48, mn + 48);
}
#undef STEP

__attribute__((target("avx512f"))) static void cols_avx512(const float *v, int64_t ld,
                                                           int64_t rows, int64_t w, double *s,
                                                           uint32_t *mx, uint32_t *mn) {
  const int64_t pf = w > 64 ? w * 4 : 0;
  for (int64_t l0 = 0; l0 < w; l0 += 64) {
    const int64_t n = w - l0 < 64 ? w - l0 : 64, G = (n + 15) / 16;
    const __mmask16 m = (__mmask16)((1u << (n - 16 * (G - 1))) - 1);
    const int64_t f = l0 == 0 ? pf : 0;
    switch (G) { /* constant group counts: the state stays in registers */
    case 4: pass(v + l0, ld, rows, 4, m, f, s + l0, mx + l0, mn + l0); break;
    case 3: pass(v + l0, ld, rows, 3, m, f, s + l0, mx + l0, mn + l0); break;
    case 2: pass(v + l0, ld, rows, 2, m, f, s + l0, mx + l0, mn + l0); break;
    default: pass(v + l0, ld, rows, 1, m, f, s + l0, mx + l0, mn + l0); break;
    }
  }
}
#define HAVE_COLS_AVX512 1
#endif

/* 1: the kernel where the CPU has AVX-512; 0: off (tests compare); -1: not yet asked. */
static int use = -1;

int ht_xacc_cols_simd(int on) {
#ifdef HAVE_COLS_AVX512
  return ht_simd_switch(&use, ht_cpu_avx512(), on);
#else
  return ht_simd_switch(&use, false, on);
#endif
}

int64_t ht_xacc_plain_cols_avx512(const float *v, int64_t ld, int64_t rows, int64_t w,
                                  double *s, uint32_t *mx, uint32_t *mn) {
#ifdef HAVE_COLS_AVX512
  if (use < 0) ht_xacc_cols_simd(-1); /* set before threads call it, or by a first call */
  if (use > 0 && w > 0) {
    cols_avx512(v, ld, rows, w, s, mx, mn);
    return w;
  }
#else
  (void)v, (void)ld, (void)rows, (void)s, (void)mx, (void)mn;
#endif
  return 0;
}
