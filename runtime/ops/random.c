/* Random numbers from Random123's Philox4x32-10: key = the seed, counter = (block of the
 * global element index, call number), so values depend on the seed, the call and the
 * global index only — the same for any number of ranks, split or thread count.
 *
 * The stream layout (a CUDA twin must follow it to give the same bits): call k of a
 * seed s draws block b as philox4x32({b lo, b hi, k lo, k hi}, {s lo, s hi}) = words
 * w0..w3. Element i (C-order global index) lives in block i / per_block:
 *   uniform f32: 4 per block, w[i%4] >> 8 scaled by 2^-24;
 *   uniform f64: 2 per block, the top 52 bits of (w[2j+1] << 32 | w[2j]), j = i%2;
 *   normal f32: 4 per block, Box-Muller on (w0, w1) -> elements 0, 1 and (w2, w3) -> 2, 3,
 *     with cpu/boxmuller.h's log and sincos (exact operation sequences, since 2026-11-30);
 *   normal f64: 2 per block, Box-Muller on 53-bit uniforms from (w0, w1) and (w2, w3);
 *   randint: 2 per block, low + ((w[2j+1] << 32 | w[2j]) * (high - low)) >> 64.
 * The uniforms, integers and float32 normals are exact (a twin repeating the operations
 * gets the same bits); float64 normals go through glibc's vector log, sin and cos
 * (libmvec, within 4 ulp), so a twin matches them to a few ulp, not bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "blockfill.h"
#include "ops.h"
#include "../cpu/boxmuller.h"
#include "../cpu/vecmath.h"

/* The runtime's seed until ht_random_seed is called: fixed, so C programs are repeatable
 * (the Lua binding seeds from the clock on first use, as NumPy and Heat do). */
#define DEFAULT_SEED 0x5EED5EEDu
#define TWO_PI 6.283185307179586476925286766559

static uint64_t seed = DEFAULT_SEED;
/* Calls made since seeding: the same on every rank, since every rank makes every call. */
static uint64_t calls;

void ht_random_seed(uint64_t s) {
  seed = s;
  calls = 0;
}

uint64_t ht_random_get_seed(void) { return seed; }

/* Counter blocks are generated G at a time, one per vector lane: every block goes through
 * the same lane code whatever its position, so no value depends on where a chunk starts.
 * The block loops below always make whole groups (nb rounded up to G; the tile has room). */
#define G 16

/* Philox4x32-10 of blocks b0 .. b0 + G - 1 of call `call`: w[j][l] is word j of block
 * b0 + l. One per instruction set, picked by philox_pick. */
typedef void (*philox_fn)(philox4x32_key_t key, uint64_t call, uint64_t b0, uint32_t w[4][G]);

typedef struct gen_ctx gen_ctx;
/* Generates nb whole counter blocks from block b0 on into tile (per_block values each),
 * rounded up to whole groups of G blocks (see below). */
typedef void (*blocks_fn)(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile);

struct gen_ctx {
  philox4x32_key_t key;
  uint64_t call;
  double a, b;         /* uniform: low, high; normal: mean, std */
  int64_t low;         /* randint: low and high - low */
  uint64_t range;
  blocks_fn blocks;
  philox_fn philox;
  int per_block;       /* values per block of 4 words */
  ht_dtype tile_t, t;  /* what blocks writes, what the array holds */
};

/* Whether the switch `name` is set in the environment to something other than "" or "0". */
static int env_on(const char *name) {
  const char *v = getenv(name);
  return v && *v && strcmp(v, "0") != 0;
}

/* ---- vectorised Philox and Box-Muller ---- */

/* float64 Box-Muller calls log/sin/cos through libmvec (cpu/vecmath.h): within 4 ulp; its
 * bits may differ between machines of different vector widths, never between ranks,
 * splits or threads of one run. float32's own math (cpu/boxmuller.h) is the same anywhere. */

/* Philox4x32-10 — Random123's philox4x32 with counter {b lo, b hi, call lo, call hi} and
 * key {seed lo, seed hi} — G blocks at a time, one per 32-bit lane. A round's 32x32->64-bit
 * products are pmuludq on the even lanes and on the odd lanes shifted down; GCC 12 cannot
 * be made to vectorise them well (full 64-bit multiplies for AVX-512, shuffles for AVX2),
 * so x86 gets intrinsics for SSE2, AVX2 and AVX-512F, other targets the plain loop. */
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

/* V: the vector type, P: the intrinsics' prefix, S: the suffix of the whole-register ops
 * (si128 ...), W: lanes. */
#define PHILOX_SIMD(name, tgt, V, P, S, W)                                              \
  __attribute__((target(tgt))) static void name(philox4x32_key_t key, uint64_t call,    \
                                                uint64_t b0, uint32_t w[4][G]) {        \
    uint32_t c0[G], c1[G];                                                              \
    for (int l = 0; l < G; l++) {                                                       \
      uint64_t b = b0 + (uint64_t)l;                                                    \
      c0[l] = (uint32_t)b, c1[l] = (uint32_t)(b >> 32);                                 \
    }                                                                                   \
    const V m0 = P##_set1_epi32((int)UINT32_C(0xD2511F53));                             \
    const V m1 = P##_set1_epi32((int)UINT32_C(0xCD9E8D57));                             \
    const V low = P##_srli_epi64(P##_set1_epi32(-1), 32); /* the low word of each pair */ \
    for (int v = 0; v < G; v += W) {                                                    \
      V x0 = P##_loadu_##S((const V *)(c0 + v)), x1 = P##_loadu_##S((const V *)(c1 + v)); \
      V x2 = P##_set1_epi32((int)(uint32_t)call);                                       \
      V x3 = P##_set1_epi32((int)(uint32_t)(call >> 32));                               \
      uint32_t k0 = key.v[0], k1 = key.v[1];                                            \
      for (int r = 0; r < 10; r++) {                                                    \
        V e0 = P##_mul_epu32(x0, m0), o0 = P##_mul_epu32(P##_srli_epi64(x0, 32), m0);   \
        V e1 = P##_mul_epu32(x2, m1), o1 = P##_mul_epu32(P##_srli_epi64(x2, 32), m1);   \
        V lo0 = P##_or_##S(P##_and_##S(e0, low), P##_slli_epi64(o0, 32));               \
        V hi0 = P##_or_##S(P##_srli_epi64(e0, 32), P##_andnot_##S(low, o0));            \
        V lo1 = P##_or_##S(P##_and_##S(e1, low), P##_slli_epi64(o1, 32));               \
        V hi1 = P##_or_##S(P##_srli_epi64(e1, 32), P##_andnot_##S(low, o1));            \
        x0 = P##_xor_##S(P##_xor_##S(hi1, x1), P##_set1_epi32((int)k0));                \
        x2 = P##_xor_##S(P##_xor_##S(hi0, x3), P##_set1_epi32((int)k1));                \
        x1 = lo1, x3 = lo0;                                                             \
        k0 += UINT32_C(0x9E3779B9), k1 += UINT32_C(0xBB67AE85);                         \
      }                                                                                 \
      P##_storeu_##S((V *)(w[0] + v), x0), P##_storeu_##S((V *)(w[1] + v), x1);         \
      P##_storeu_##S((V *)(w[2] + v), x2), P##_storeu_##S((V *)(w[3] + v), x3);         \
    }                                                                                   \
  }

PHILOX_SIMD(philox_sse2, "sse2", __m128i, _mm, si128, 4)
PHILOX_SIMD(philox_avx2, "avx2", __m256i, _mm256, si256, 8)

/* AVX-512F: the same rounds with fewer instructions: the low words of the four products in
 * one vpmulld, the high words merged from the even and odd products by a lane mask. */
__attribute__((target("avx512f"))) static void philox_avx512(philox4x32_key_t key,
                                                               uint64_t call, uint64_t b0,
                                                               uint32_t w[4][G]) {
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  /* block b0 + l in lane l: the low word wraps into the high one (no wrap: one add) */
  __m512i x0 = _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)b0), lane);
  __mmask16 carry = _mm512_cmplt_epu32_mask(x0, lane);
  __m512i x1 = _mm512_mask_add_epi32(_mm512_set1_epi32((int)(uint32_t)(b0 >> 32)), carry,
                                     _mm512_set1_epi32((int)(uint32_t)(b0 >> 32)),
                                     _mm512_set1_epi32(1));
  __m512i x2 = _mm512_set1_epi32((int)(uint32_t)call);
  __m512i x3 = _mm512_set1_epi32((int)(uint32_t)(call >> 32));
  const __m512i m0 = _mm512_set1_epi32((int)UINT32_C(0xD2511F53));
  const __m512i m1 = _mm512_set1_epi32((int)UINT32_C(0xCD9E8D57));
  const __mmask16 odd = 0xAAAA;
  uint32_t k0 = key.v[0], k1 = key.v[1];
  for (int r = 0; r < 10; r++) {
    __m512i e0 = _mm512_mul_epu32(x0, m0), o0 = _mm512_mul_epu32(_mm512_srli_epi64(x0, 32), m0);
    __m512i e1 = _mm512_mul_epu32(x2, m1), o1 = _mm512_mul_epu32(_mm512_srli_epi64(x2, 32), m1);
    __m512i lo0 = _mm512_mullo_epi32(x0, m0), lo1 = _mm512_mullo_epi32(x2, m1);
    __m512i hi0 = _mm512_mask_blend_epi32(odd, _mm512_srli_epi64(e0, 32), o0);
    __m512i hi1 = _mm512_mask_blend_epi32(odd, _mm512_srli_epi64(e1, 32), o1);
    x0 = _mm512_xor_si512(_mm512_xor_si512(hi1, x1), _mm512_set1_epi32((int)k0));
    x2 = _mm512_xor_si512(_mm512_xor_si512(hi0, x3), _mm512_set1_epi32((int)k1));
    x1 = lo1, x3 = lo0;
    k0 += UINT32_C(0x9E3779B9), k1 += UINT32_C(0xBB67AE85);
  }
  _mm512_storeu_si512((void *)w[0], x0), _mm512_storeu_si512((void *)w[1], x1);
  _mm512_storeu_si512((void *)w[2], x2), _mm512_storeu_si512((void *)w[3], x3);
}

static philox_fn philox_pick(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return philox_avx512;
  if (__builtin_cpu_supports("avx2")) return philox_avx2;
  return philox_sse2;
}
#else
static void philox_plain(philox4x32_key_t key, uint64_t call, uint64_t b0, uint32_t w[4][G]) {
  for (int l = 0; l < G; l++) {
    philox4x32_ctr_t ctr = {{(uint32_t)(b0 + (uint64_t)l), (uint32_t)((b0 + (uint64_t)l) >> 32),
                             (uint32_t)call, (uint32_t)(call >> 32)}};
    philox4x32_ctr_t r = philox4x32(ctr, key);
    for (int j = 0; j < 4; j++) w[j][l] = r.v[j];
  }
}

static philox_fn philox_pick(void) { return philox_plain; }
#endif

static inline uint64_t word64(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

/* Exactly the double of a uint32 (2^52 + x taken off 2^52), which unlike the conversion
 * instruction vectorises below AVX-512. */
static inline double u32_to_f64(uint32_t x) {
  uint64_t bits = UINT64_C(0x4330000000000000) | x;
  double d;
  memcpy(&d, &bits, sizeof d);
  return d - 0x1p52;
}

/* The high 64 bits of x * r: an integer in [0, r) with bias below r / 2^64. */
static inline uint64_t mulhi64(uint64_t x, uint64_t r) {
#ifdef __SIZEOF_INT128__
  return (uint64_t)(((unsigned __int128)x * r) >> 64);
#else
  uint64_t xl = (uint32_t)x, xh = x >> 32, rl = (uint32_t)r, rh = r >> 32;
  uint64_t mid = xh * rl + (xl * rl >> 32), mid2 = xl * rh + (uint32_t)mid;
  return xh * rh + (mid >> 32) + (mid2 >> 32);
#endif
}

/* float32 uniform: one word per value. 24 bits make u exact in [0, 1); rounding of
 * low + span*u can still reach high, which is then moved just below it. */
HT_VEC_CLONES static void uniform_f32_blocks(const gen_ctx *c, uint64_t b0, int64_t nb,
                                             void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  float *t = tile, lo = (float)c->a, hi = (float)c->b, span = (float)(c->b - c->a);
  float below = nextafterf(hi, lo), cap = hi > lo ? hi : INFINITY; /* no branch in the loop */
  for (int64_t g = 0; g < nb; g += G, t += 4 * G) {
    uint32_t w[4][G];
    c->philox(key, call, b0 + (uint64_t)g, w);
#pragma omp simd
    for (int l = 0; l < G; l++)
      for (int j = 0; j < 4; j++) {
        float v = lo + span * ((float)(w[j][l] >> 8) * 0x1p-24f);
        t[4 * l + j] = v >= cap ? below : v;
      }
  }
}

/* A double in [0, 1) from the top 52 bits of x: placed in the mantissa of 1.0 and 1.0
 * taken off again, which (unlike a uint64 -> double conversion) vectorises. */
static inline double unit52(uint64_t x) {
  uint64_t bits = UINT64_C(0x3FF0000000000000) | x >> 12;
  double d;
  memcpy(&d, &bits, sizeof d);
  return d - 1.0;
}

/* float64 uniform: two words (52 bits) per value. */
HT_VEC_CLONES static void uniform_f64_blocks(const gen_ctx *c, uint64_t b0, int64_t nb,
                                             void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  double *t = tile, lo = c->a, hi = c->b, span = c->b - c->a;
  double below = nextafter(hi, lo), cap = hi > lo ? hi : INFINITY;
  for (int64_t g = 0; g < nb; g += G, t += 2 * G) {
    uint32_t w[4][G];
    c->philox(key, call, b0 + (uint64_t)g, w);
#pragma omp simd
    for (int l = 0; l < G; l++)
      for (int j = 0; j < 2; j++) {
        double v = lo + span * unit52(word64(w[2 * j][l], w[2 * j + 1][l]));
        t[2 * l + j] = v >= cap ? below : v;
      }
  }
}

/* Box-Muller: a pair (u1 in (0, 1], u2 in [0, 1)) gives two normals. float32 takes its
 * uniforms from single words (u1 >= 2^-32 bounds |z| by 6.66): 4 values per block, through
 * cpu/boxmuller.h's own log and sincos, so the fused kernel's bits are these. */
HT_VEC_CLONES static void normal_f32_blocks(const gen_ctx *c, uint64_t b0, int64_t nb,
                                            void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  float *t = tile, mean = (float)c->a, sd = (float)c->b;
  for (int64_t g = 0; g < nb; g += G, t += 4 * G) {
    uint32_t w[4][G];
    c->philox(key, call, b0 + (uint64_t)g, w);
#pragma omp simd
    for (int l = 0; l < G; l++) {
      bm_pair(w[0][l], w[1][l], mean, sd, &t[4 * l], &t[4 * l + 1]);
      bm_pair(w[2][l], w[3][l], mean, sd, &t[4 * l + 2], &t[4 * l + 3]);
    }
  }
}

/* float64: 53-bit uniforms from two words each, so a block gives one pair. */
HT_VEC_CLONES static void normal_f64_blocks(const gen_ctx *c, uint64_t b0, int64_t nb,
                                            void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  double *t = tile, mean = c->a, sd = c->b;
  for (int64_t g = 0; g < nb; g += G, t += 2 * G) {
    uint32_t w[4][G];
    c->philox(key, call, b0 + (uint64_t)g, w);
    double rad[G], theta[G], zc[G], zs[G]; /* sin and cos apart, as in float32 */
#pragma omp simd
    for (int l = 0; l < G; l++) {
      /* (word64 >> 11) + 1 and word64 >> 11, 53-bit integers, exact as doubles */
      double u1 = (u32_to_f64(w[1][l]) * 0x1p21 + u32_to_f64((w[0][l] >> 11) + 1)) * 0x1p-53;
      theta[l] = TWO_PI * ((u32_to_f64(w[3][l]) * 0x1p21 + u32_to_f64(w[2][l] >> 11)) * 0x1p-53);
      rad[l] = sd * sqrt(-2.0 * log(u1));
    }
#pragma omp simd
    for (int l = 0; l < G; l++) zc[l] = mean + rad[l] * cos(theta[l]);
#pragma omp simd
    for (int l = 0; l < G; l++) zs[l] = mean + rad[l] * sin(theta[l]);
#pragma omp simd
    for (int l = 0; l < G; l++) t[2 * l] = zc[l], t[2 * l + 1] = zs[l];
  }
}

#if defined(__GNUC__) && defined(__x86_64__)
/* ---- AVX-512: Philox fused with the conversion, in registers ----
 * The block loops above stage a group's words in w[4][G] and interleave them through
 * memory. Here the words stay in registers: lane p = 4k + j of a group holds block
 * 4j + k (a fixed permutation of the counters, so no value changes), which makes the
 * 4x4 word transpose of four 128-bit lanes (unpack 32, then unpack 64) give blocks
 * 4m .. 4m + 3 in order in output vector m. Two groups are interleaved for the
 * multiplier's latency; the low words come from vpmulld (a little faster on this
 * machine's AMD cores than a shift and blend of the even/odd products) and the xors of a
 * round are one vpternlogd. The conversions are the same operations as in the target
 * clones' loops (FMA included), so the bits equal theirs. */
#define AVX512 __attribute__((target("avx512f")))
#define AVX512_INLINE __attribute__((target("avx512f"), always_inline)) static inline

typedef struct {
  __m512i k0[10], k1[10]; /* round keys, broadcast */
  __m512i c2, c3;         /* the call counter words */
} philox512_keys;

AVX512_INLINE void philox512_setup(philox512_keys *k, philox4x32_key_t key, uint64_t call) {
  uint32_t k0 = key.v[0], k1 = key.v[1];
  for (int r = 0; r < 10; r++) {
    k->k0[r] = _mm512_set1_epi32((int)k0), k->k1[r] = _mm512_set1_epi32((int)k1);
    k0 += UINT32_C(0x9E3779B9), k1 += UINT32_C(0xBB67AE85);
  }
  k->c2 = _mm512_set1_epi32((int)(uint32_t)call);
  k->c3 = _mm512_set1_epi32((int)(uint32_t)(call >> 32));
}

/* ng (1 or 2) groups of 16 blocks from block b on, lanes permuted as above: x[q][j] is
 * word j of group q. */
AVX512_INLINE void philox512(const philox512_keys *k, uint64_t b, int ng, __m512i x[2][4]) {
  const __m512i lane = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  const __m512i m0 = _mm512_set1_epi32((int)UINT32_C(0xD2511F53));
  const __m512i m1 = _mm512_set1_epi32((int)UINT32_C(0xCD9E8D57));
  const __mmask16 odd = 0xAAAA;
  for (int q = 0; q < ng; q++) {
    uint64_t bq = b + (uint64_t)(16 * q);
    __m512i hi = _mm512_set1_epi32((int)(uint32_t)(bq >> 32));
    x[q][0] = _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)bq), lane);
    x[q][1] = _mm512_mask_add_epi32(hi, _mm512_cmplt_epu32_mask(x[q][0], lane), hi,
                                    _mm512_set1_epi32(1));
    x[q][2] = k->c2, x[q][3] = k->c3;
  }
  for (int r = 0; r < 10; r++)
    for (int q = 0; q < ng; q++) {
      __m512i *v = x[q];
      __m512i e0 = _mm512_mul_epu32(v[0], m0), o0 = _mm512_mul_epu32(_mm512_srli_epi64(v[0], 32), m0);
      __m512i e1 = _mm512_mul_epu32(v[2], m1), o1 = _mm512_mul_epu32(_mm512_srli_epi64(v[2], 32), m1);
      __m512i hi0 = _mm512_mask_blend_epi32(odd, _mm512_srli_epi64(e0, 32), o0);
      __m512i hi1 = _mm512_mask_blend_epi32(odd, _mm512_srli_epi64(e1, 32), o1);
      __m512i lo0 = _mm512_mullo_epi32(v[0], m0), lo1 = _mm512_mullo_epi32(v[2], m1);
      v[0] = _mm512_ternarylogic_epi32(hi1, v[1], k->k0[r], 0x96);
      v[2] = _mm512_ternarylogic_epi32(hi0, v[3], k->k1[r], 0x96);
      v[1] = lo1, v[3] = lo0;
    }
}

/* Stores y[0..3] (y[j] holding value j of each block, lanes permuted) as 64 consecutive
 * 32-bit values, or (as words pairs) 32 consecutive 64-bit ones. */
AVX512_INLINE void store_interleaved(void *t, __m512i y0, __m512i y1, __m512i y2, __m512i y3) {
  __m512i a = _mm512_unpacklo_epi32(y0, y1), b = _mm512_unpackhi_epi32(y0, y1);
  __m512i c = _mm512_unpacklo_epi32(y2, y3), d = _mm512_unpackhi_epi32(y2, y3);
  char *p = t;
  _mm512_storeu_si512((void *)p, _mm512_unpacklo_epi64(a, c));
  _mm512_storeu_si512((void *)(p + 64), _mm512_unpackhi_epi64(a, c));
  _mm512_storeu_si512((void *)(p + 128), _mm512_unpacklo_epi64(b, d));
  _mm512_storeu_si512((void *)(p + 192), _mm512_unpackhi_epi64(b, d));
}

/* Runs the body (q, x[q], out) over nb blocks from b0 (whole groups, as the loops above),
 * two groups per Philox pass while they last. per: values per block, sz: bytes each. */
#define FUSED_LOOP(per, sz, ...)                                                       \
  do {                                                                                  \
    philox512_keys keys;                                                                \
    philox512_setup(&keys, c->key, c->call);                                            \
    char *out = tile;                                                                   \
    int64_t g = 0;                                                                      \
    for (; g + 32 <= nb; g += 32) {                                                     \
      __m512i x[2][4];                                                                  \
      philox512(&keys, b0 + (uint64_t)g, 2, x);                                         \
      for (int q = 0; q < 2; q++, out += 16 * (per) * (sz)) __VA_ARGS__                      \
    }                                                                                   \
    for (; g < nb; g += 16) {                                                           \
      __m512i x[2][4];                                                                  \
      philox512(&keys, b0 + (uint64_t)g, 1, x);                                         \
      for (int q = 0; q < 1; q++, out += 16 * (per) * (sz)) __VA_ARGS__                      \
    }                                                                                   \
  } while (0)

AVX512_INLINE __m512 unif_f32(__m512i w, __m512 lo, __m512 span, __m512 cap, __m512 below) {
  __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 8)), _mm512_set1_ps(0x1p-24f));
  __m512 v = _mm512_fmadd_ps(u, span, lo);
  return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, cap, _CMP_GE_OQ), below);
}

AVX512 static void uniform_f32_avx512(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  float lo = (float)c->a, hi = (float)c->b, span = (float)(c->b - c->a);
  __m512 vlo = _mm512_set1_ps(lo), vspan = _mm512_set1_ps(span);
  __m512 vbelow = _mm512_set1_ps(nextafterf(hi, lo)), vcap = _mm512_set1_ps(hi > lo ? hi : INFINITY);
  FUSED_LOOP(4, 4, {
    __m512i y[4];
    for (int j = 0; j < 4; j++)
      y[j] = _mm512_castps_si512(unif_f32(x[q][j], vlo, vspan, vcap, vbelow));
    store_interleaved(out, y[0], y[1], y[2], y[3]);
  });
}

AVX512_INLINE __m512d unif_f64(__m512i w, __m512d lo, __m512d span, __m512d cap, __m512d below) {
  __m512i bits = _mm512_or_si512(_mm512_srli_epi64(w, 12), _mm512_set1_epi64(0x3FF0000000000000));
  __m512d u = _mm512_sub_pd(_mm512_castsi512_pd(bits), _mm512_set1_pd(1.0));
  __m512d v = _mm512_fmadd_pd(u, span, lo);
  return _mm512_mask_mov_pd(v, _mm512_cmp_pd_mask(v, cap, _CMP_GE_OQ), below);
}

AVX512 static void uniform_f64_avx512(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  double lo = c->a, hi = c->b;
  __m512d vlo = _mm512_set1_pd(lo), vspan = _mm512_set1_pd(c->b - c->a);
  __m512d vbelow = _mm512_set1_pd(nextafter(hi, lo)), vcap = _mm512_set1_pd(hi > lo ? hi : INFINITY);
  FUSED_LOOP(2, 8, {
    /* (w0, w1) and (w2, w3) of a block paired into 64-bit words by the same transpose */
    __m512i a = _mm512_unpacklo_epi32(x[q][0], x[q][1]), b = _mm512_unpackhi_epi32(x[q][0], x[q][1]);
    __m512i cc = _mm512_unpacklo_epi32(x[q][2], x[q][3]), d = _mm512_unpackhi_epi32(x[q][2], x[q][3]);
    __m512i w[4] = {_mm512_unpacklo_epi64(a, cc), _mm512_unpackhi_epi64(a, cc),
                    _mm512_unpacklo_epi64(b, d), _mm512_unpackhi_epi64(b, d)};
    for (int j = 0; j < 4; j++)
      _mm512_storeu_pd((double *)out + 8 * j, unif_f64(w[j], vlo, vspan, vcap, vbelow));
  });
}

/* ng groups' normals: each step over all pairs before the next, so the latencies of the
 * polynomials and vsqrtps overlap instead of chaining through one pair. */
AVX512_INLINE void normal_f32_groups(const philox512_keys *k, uint64_t b, int ng, __m512 mean,
                                     __m512 sd, float *out) {
  __m512i x[2][4];
  __m512 rad[4], cs[4], sn[4];
  philox512(k, b, ng, x);
  for (int i = 0; i < 2 * ng; i++) /* pair i: words (2p, 2p + 1) of group q */
    rad[i] = bm_rad512(x[i / 2][2 * (i % 2)], sd);
  for (int i = 0; i < 2 * ng; i++) bm_sincos512(x[i / 2][2 * (i % 2) + 1], &cs[i], &sn[i]);
  for (int q = 0; q < ng; q++) /* values 4l + 2p (cos) and 4l + 2p + 1 (sin) of block l */
    store_interleaved(out + 64 * q,
                      _mm512_castps_si512(_mm512_fmadd_ps(rad[2 * q], cs[2 * q], mean)),
                      _mm512_castps_si512(_mm512_fmadd_ps(rad[2 * q], sn[2 * q], mean)),
                      _mm512_castps_si512(_mm512_fmadd_ps(rad[2 * q + 1], cs[2 * q + 1], mean)),
                      _mm512_castps_si512(_mm512_fmadd_ps(rad[2 * q + 1], sn[2 * q + 1], mean)));
}

AVX512 static void normal_f32_avx512(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  __m512 mean = _mm512_set1_ps((float)c->a), sd = _mm512_set1_ps((float)c->b);
  philox512_keys keys;
  philox512_setup(&keys, c->key, c->call);
  float *out = tile;
  int64_t g = 0;
  for (; g + 32 <= nb; g += 32, out += 128)
    normal_f32_groups(&keys, b0 + (uint64_t)g, 2, mean, sd, out);
  for (; g < nb; g += 16, out += 64) normal_f32_groups(&keys, b0 + (uint64_t)g, 1, mean, sd, out);
}
#define NORMAL_F32_FUSED normal_f32_avx512
#define UNIFORM_F32_FUSED uniform_f32_avx512
#define UNIFORM_F64_FUSED uniform_f64_avx512

/* The fused kernel where there is one and this CPU has AVX-512F, else the block loop.
 * HEATLUA_RANDOM_UNFUSED=1 keeps the block loops (to compare the two, as the tests do). */
static blocks_fn fused_pick(blocks_fn fused, blocks_fn loop) {
  __builtin_cpu_init();
  if (!fused || !__builtin_cpu_supports("avx512f") || env_on("HEATLUA_RANDOM_UNFUSED")) return loop;
  return fused;
}
#else
#define UNIFORM_F32_FUSED NULL
#define UNIFORM_F64_FUSED NULL
#define NORMAL_F32_FUSED NULL
static blocks_fn fused_pick(blocks_fn fused, blocks_fn loop) { (void)fused; return loop; }
#endif

/* Integers: 64 random bits per value scaled by multiply-shift, in int64. */
static void randint_blocks(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  int64_t *t = tile, low = c->low;
  uint64_t range = c->range;
  for (int64_t g = 0; g < nb; g += G, t += 2 * G) {
    uint32_t w[4][G];
    c->philox(key, call, b0 + (uint64_t)g, w);
    for (int l = 0; l < G; l++)
      for (int j = 0; j < 2; j++)
        t[2 * l + j] =
            (int64_t)((uint64_t)low + mulhi64(word64(w[2 * j][l], w[2 * j + 1][l]), range));
  }
}

#define TILE 1024 /* values; 8 KiB of int64 or double */
/* The block loops fill whole groups of G blocks: nb <= TILE / per_block rounds up to no
 * more than that when it is a multiple of G (per_block is 2 or 4). */
_Static_assert(TILE / 4 % G == 0 && TILE / 2 % G == 0, "TILE holds whole groups");

/* Fills global indices [g, g + n): whole groups of blocks go straight into out when its
 * dtype is the tile's; the rest into a tile (which absorbs the partial blocks at either end
 * and the rounding up to whole groups), copied, cast to the array's dtype. */
static void random_run(char *out, int64_t g, int64_t n, const void *ctx) {
  const gen_ctx *c = ctx;
  _Alignas(64) char tile[TILE * sizeof(double)];
  int64_t tsz = (int64_t)ht_dtype_size(c->tile_t), osz = (int64_t)ht_dtype_size(c->t);
  int64_t per = c->per_block, skip = g % per;
  uint64_t b = (uint64_t)(g / per);
  while (n > 0) {
    if (skip == 0 && c->tile_t == c->t && n >= per * G) { /* whole groups straight to out */
      int64_t nb = n / per / G * G;
      c->blocks(c, b, nb, out);
      out += nb * per * osz, n -= nb * per, b += (uint64_t)nb;
      continue;
    }
    int64_t nb = (skip + n + per - 1) / per;
    if (nb > TILE / per) nb = TILE / per;
    c->blocks(c, b, nb, tile);
    int64_t m = nb * per - skip < n ? nb * per - skip : n;
    ht_cast(c->tile_t, tile + skip * tsz, tsz, c->t, out, osz, m);
    out += m * osz, n -= m, b += (uint64_t)nb, skip = 0;
  }
}

/* The context of the next call: the call counter advances on every rank alike. */
static gen_ctx next_call(ht_dtype t, blocks_fn blocks, int per_block, ht_dtype tile_t) {
  gen_ctx c = {.key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}}, .call = calls++,
               .blocks = blocks, .philox = philox_pick(), .per_block = per_block,
               .tile_t = tile_t, .t = t};
  return c;
}

/* A new float array filled by one call's blocks (f32 or f64 by t), parameters a and b. */
static ht_array *float_draws(ht_dtype t, int ndim, const int64_t *gshape, int split,
                             ht_device dev, blocks_fn f32, blocks_fn f64, double a, double b) {
  ht_array *x = op_factory_empty("random", t, ndim, gshape, split, dev);
  if (!x) return NULL;
  gen_ctx c = t == HT_FLOAT32 ? next_call(t, f32, 4, HT_FLOAT32) : next_call(t, f64, 2, HT_FLOAT64);
  c.a = a, c.b = b;
  op_fill_by_index(x, random_run, &c);
  return x;
}

ht_array *ht_random_uniform(ht_dtype t, int ndim, const int64_t *gshape, int split,
                            ht_device dev, double low, double high) {
  if (op_check_factory("random.uniform", t, ndim, gshape, split, dev)) return NULL;
  if (!ht_dtype_is_float(t))
    return ht_error("random.uniform: dtype must be float32 or float64, got %s",
                    ht_dtype_name(t)), NULL;
  if (!isfinite(low) || !isfinite(high) || !isfinite(high - low))
    return ht_error("random.uniform: low %g and high %g must be finite", low, high), NULL;
  return float_draws(t, ndim, gshape, split, dev,
                     fused_pick(UNIFORM_F32_FUSED, uniform_f32_blocks),
                     fused_pick(UNIFORM_F64_FUSED, uniform_f64_blocks), low, high);
}

ht_array *ht_random_normal(ht_dtype t, int ndim, const int64_t *gshape, int split,
                           ht_device dev, double mean, double std) {
  if (op_check_factory("random.normal", t, ndim, gshape, split, dev)) return NULL;
  if (!ht_dtype_is_float(t))
    return ht_error("random.normal: dtype must be float32 or float64, got %s",
                    ht_dtype_name(t)), NULL;
  if (!(std >= 0)) return ht_error("random.normal: std must be non-negative, got %g", std), NULL;
  return float_draws(t, ndim, gshape, split, dev, fused_pick(NORMAL_F32_FUSED, normal_f32_blocks),
                     normal_f64_blocks, mean, std);
}

ht_array *ht_random_randint(ht_dtype t, int ndim, const int64_t *gshape, int split,
                            ht_device dev, int64_t low, int64_t high) {
  int64_t tmin, tmax;
  if (op_check_factory("random.randint", t, ndim, gshape, split, dev)) return NULL;
  if (!ht_dtype_is_int(t))
    return ht_error("random.randint: dtype must be an integer type, got %s",
                    ht_dtype_name(t)), NULL;
  if (low >= high)
    return ht_error("random.randint: low >= high (%lld >= %lld)", (long long)low,
                    (long long)high), NULL;
  op_int_limits(t, &tmin, &tmax);
  if (low < tmin) return ht_error("random.randint: low is out of bounds for %s", ht_dtype_name(t)), NULL;
  /* high is exclusive, so high - 1 must fit */
  if (high - 1 > tmax)
    return ht_error("random.randint: high is out of bounds for %s", ht_dtype_name(t)), NULL;
  ht_array *a = op_factory_empty("random.randint", t, ndim, gshape, split, dev);
  if (!a) return NULL;
  gen_ctx c = next_call(t, randint_blocks, 2, HT_INT64);
  c.low = low;
  c.range = (uint64_t)high - (uint64_t)low;
  op_fill_by_index(a, random_run, &c);
  return a;
}
