/* Box-Muller for float32 normals from two Philox words, as one fixed sequence of IEEE
 * operations (+, *, fmaf, sqrtf, integer bit moves) written twice: scalar (the reference
 * and the portable path) and AVX-512 (the fused kernel), which give the same bits.
 *
 * Why not libm/libmvec: their logf/sinf/cosf differ between libraries and vector widths and
 * cost a third of randn's time; here the angle is a 24-bit fixed-point fraction of a turn,
 * so its reduction to [-pi/4, pi/4] is exact integer work and one pair of short
 * polynomials serves both sin and cos. Accuracy (tests/runtime/test_random.c, against
 * double-precision log/sin/cos): log within 2 ulp, sin/cos within 2 ulp of their value
 * (1e-7 absolute). */
#ifndef HT_CPU_BOXMULLER_H
#define HT_CPU_BOXMULLER_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* log(1 + f) = f - f^2/2 + f^3 P(f) on [sqrt(1/2) - 1, sqrt(2) - 1] (Cephes' logf), P's
 * coefficients from the highest power down */
static const float bm_log_p[9] = {7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f,
                                  -1.2420140846e-1f, 1.4249322787e-1f, -1.6668057665e-1f,
                                  2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f};
#define BM_LN2_HI 0.693359375f      /* 355/512: e * BM_LN2_HI is exact */
#define BM_LN2_LO -2.12194440e-4f   /* ln 2 - BM_LN2_HI */
/* sin(pi/2 t) = t S(t^2), cos(pi/2 t) = C(t^2) for |t| <= 1/2: Cephes' sinf/cosf minimax
 * polynomials on [-pi/4, pi/4] with x = (pi/2) t folded into the coefficients, highest
 * power first */
static const float bm_sin_s[4] = {-0.004604837391525507f, 0.0796814113855362f,
                                  -0.6459636092185974f, 1.5707963705062866f};
static const float bm_cos_c[5] = {0.0009056045673787594f, -0.020861119031906128f,
                                  0.2536693811416626f, -1.2337005138397217f, 1.0f};

static inline uint32_t bm_bits(float x) { uint32_t b; memcpy(&b, &x, 4); return b; }
static inline float bm_float(uint32_t b) { float x; memcpy(&x, &b, 4); return x; }

/* u1 in (0, 1] from a word, as the stream defines it (float of the word, + 1, * 2^-32) */
static inline float bm_u1(uint32_t w) { return ((float)w + 1.0f) * 0x1p-32f; }

/* log(x) for normal positive x: x = 2^e m with m in [sqrt(1/2), sqrt(2)), f = m - 1 exact */
static inline float bm_logf(float x) {
  uint32_t ix = bm_bits(x) + (0x3f800000u - 0x3f3504f3u);
  float e = (float)((int32_t)(ix >> 23) - 0x7f);
  float f = bm_float((ix & 0x007fffffu) + 0x3f3504f3u) - 1.0f;
  float z = f * f, p = bm_log_p[0];
  for (int k = 1; k < 9; k++) p = fmaf(p, f, bm_log_p[k]);
  float y = f * z * p;
  y = fmaf(e, BM_LN2_LO, y);
  y = fmaf(-0.5f, z, y);
  return fmaf(e, BM_LN2_HI, f + y);
}

/* cos and sin of 2 pi m / 2^24 (m < 2^24): quadrant q and t = m / 2^22 - q in [-1/2, 1/2)
 * exactly, then the quadrant swaps the two and sets their signs. */
static inline void bm_sincos(uint32_t m, float *c, float *s) {
  uint32_t q = (m + (1u << 21)) >> 22; /* 0..4; 4 is quadrant 0 */
  float t = (float)((int32_t)m - (int32_t)(q << 22)) * 0x1p-22f, t2 = t * t;
  float sp = bm_sin_s[0], cp = bm_cos_c[0];
  for (int k = 1; k < 4; k++) sp = fmaf(sp, t2, bm_sin_s[k]);
  for (int k = 1; k < 5; k++) cp = fmaf(cp, t2, bm_cos_c[k]);
  sp = t * sp;
  float cv = q & 1 ? sp : cp, sv = q & 1 ? cp : sp;
  *c = bm_float(bm_bits(cv) ^ (((q + 1) >> 1 & 1) << 31)); /* q 1, 2: -cos */
  *s = bm_float(bm_bits(sv) ^ ((q >> 1 & 1) << 31));       /* q 2, 3: -sin */
}

/* The pair of normals (cos, sin) of words (w0, w1), scaled by sd and shifted by mean. */
static inline void bm_pair(uint32_t w0, uint32_t w1, float mean, float sd, float *zc,
                           float *zs) {
  float rad = sqrtf(-2.0f * bm_logf(bm_u1(w0))) * sd, c, s;
  bm_sincos(w1 >> 8, &c, &s);
  *zc = fmaf(rad, c, mean), *zs = fmaf(rad, s, mean);
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define BM_AVX512 __attribute__((target("avx512f"), always_inline)) static inline

/* sd * sqrt(-2 log u1(w)), 16 lanes, the same operations as the scalar code */
BM_AVX512 __m512 bm_rad512(__m512i w, __m512 sd) {
  __m512 x = _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepu32_ps(w), _mm512_set1_ps(1.0f)),
                           _mm512_set1_ps(0x1p-32f));
  __m512i ix = _mm512_add_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(0x3f800000 - 0x3f3504f3));
  __m512 e = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(ix, 23), _mm512_set1_epi32(0x7f)));
  __m512 f = _mm512_sub_ps(
      _mm512_castsi512_ps(_mm512_add_epi32(_mm512_and_si512(ix, _mm512_set1_epi32(0x007fffff)),
                                           _mm512_set1_epi32(0x3f3504f3))),
      _mm512_set1_ps(1.0f));
  __m512 z = _mm512_mul_ps(f, f), p = _mm512_set1_ps(bm_log_p[0]);
  for (int k = 1; k < 9; k++) p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(bm_log_p[k]));
  __m512 y = _mm512_mul_ps(_mm512_mul_ps(f, z), p);
  y = _mm512_fmadd_ps(e, _mm512_set1_ps(BM_LN2_LO), y);
  y = _mm512_fmadd_ps(_mm512_set1_ps(-0.5f), z, y);
  __m512 lg = _mm512_fmadd_ps(e, _mm512_set1_ps(BM_LN2_HI), _mm512_add_ps(f, y));
  return _mm512_mul_ps(_mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), lg)), sd);
}

/* cos and sin of 2 pi (w >> 8) / 2^24, 16 lanes */
BM_AVX512 void bm_sincos512(__m512i w, __m512 *c, __m512 *s) {
  __m512i m = _mm512_srli_epi32(w, 8);
  __m512i q = _mm512_srli_epi32(_mm512_add_epi32(m, _mm512_set1_epi32(1 << 21)), 22);
  __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(m, _mm512_slli_epi32(q, 22))),
                           _mm512_set1_ps(0x1p-22f));
  __m512 t2 = _mm512_mul_ps(t, t);
  __m512 sp = _mm512_set1_ps(bm_sin_s[0]), cp = _mm512_set1_ps(bm_cos_c[0]);
  for (int k = 1; k < 5; k++) { /* the two chains interleaved */
    if (k < 4) sp = _mm512_fmadd_ps(sp, t2, _mm512_set1_ps(bm_sin_s[k]));
    cp = _mm512_fmadd_ps(cp, t2, _mm512_set1_ps(bm_cos_c[k]));
  }
  sp = _mm512_mul_ps(t, sp);
  __mmask16 odd = _mm512_test_epi32_mask(q, _mm512_set1_epi32(1));
  __m512i cv = _mm512_castps_si512(_mm512_mask_blend_ps(odd, cp, sp));
  __m512i sv = _mm512_castps_si512(_mm512_mask_blend_ps(odd, sp, cp));
  __m512i one = _mm512_set1_epi32(1);
  __m512i csign = _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(_mm512_add_epi32(q, one), 1), one), 31);
  __m512i ssign = _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(q, 1), one), 31);
  *c = _mm512_castsi512_ps(_mm512_xor_si512(cv, csign));
  *s = _mm512_castsi512_ps(_mm512_xor_si512(sv, ssign));
}
#endif

#endif
