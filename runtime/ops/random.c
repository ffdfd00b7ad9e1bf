/* Random numbers from Random123's Philox4x32-10: key = the seed, counter = (block of the
 * global element index, call number), so values depend on the seed, the call and the
 * global index only — the same for any number of ranks, split or thread count.
 *
 * The stream layout (a CUDA twin must follow it to give the same bits): call k of a
 * seed s draws block b as philox4x32({b lo, b hi, k lo, k hi}, {s lo, s hi}) = words
 * w0..w3. Element i (C-order global index) lives in block i / per_block:
 *   uniform f32: 4 per block, w[i%4] >> 8 scaled by 2^-24;
 *   uniform f64: 2 per block, the top 52 bits of (w[2j+1] << 32 | w[2j]), j = i%2;
 *   normal f32: 4 per block, Box-Muller on (w0, w1) -> elements 0, 1 and (w2, w3) -> 2, 3;
 *   normal f64: 2 per block, Box-Muller on 53-bit uniforms from (w0, w1) and (w2, w3);
 *   randint: 2 per block, low + ((w[2j+1] << 32 | w[2j]) * (high - low)) >> 64. */
#include <math.h>
#include <string.h>

#include <Random123/philox.h>

#include "blockfill.h"
#include "ops.h"

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

typedef struct gen_ctx gen_ctx;
/* Generates nb whole counter blocks from block b0 on into tile (per_block values each). */
typedef void (*blocks_fn)(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile);

struct gen_ctx {
  philox4x32_key_t key;
  uint64_t call;
  double a, b;         /* uniform: low, high; normal: mean, std */
  int64_t low;         /* randint: low and high - low */
  uint64_t range;
  blocks_fn blocks;
  int per_block;       /* values per block of 4 words */
  ht_dtype tile_t, t;  /* what blocks writes, what the array holds */
};

/* Four 32-bit words for counter block b of call `call`. Key and call are passed by
 * value so that the loops below keep them in registers and vectorise. */
static inline philox4x32_ctr_t block(philox4x32_key_t key, uint64_t call, uint64_t b) {
  philox4x32_ctr_t ctr = {{(uint32_t)b, (uint32_t)(b >> 32), (uint32_t)call,
                           (uint32_t)(call >> 32)}};
  return philox4x32(ctr, key);
}

static inline uint64_t word64(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

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
static void uniform_f32_blocks(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  float *t = tile, lo = (float)c->a, hi = (float)c->b, span = (float)(c->b - c->a);
  float below = nextafterf(hi, lo), cap = hi > lo ? hi : INFINITY; /* no branch in the loop */
  for (int64_t b = 0; b < nb; b++) {
    philox4x32_ctr_t r = block(key, call, b0 + (uint64_t)b);
    for (int j = 0; j < 4; j++) {
      float v = lo + span * ((float)(r.v[j] >> 8) * 0x1p-24f);
      t[4 * b + j] = v >= cap ? below : v;
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
static void uniform_f64_blocks(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  double *t = tile, lo = c->a, hi = c->b, span = c->b - c->a;
  double below = nextafter(hi, lo), cap = hi > lo ? hi : INFINITY;
  for (int64_t b = 0; b < nb; b++) {
    philox4x32_ctr_t r = block(key, call, b0 + (uint64_t)b);
    for (int j = 0; j < 2; j++) {
      double v = lo + span * unit52(word64(r.v[2 * j], r.v[2 * j + 1]));
      t[2 * b + j] = v >= cap ? below : v;
    }
  }
}

/* Box-Muller: a pair (u1 in (0, 1], u2 in [0, 1)) gives two normals. float32 takes its
 * uniforms from single words (u1 >= 2^-32 bounds |z| by 6.66): 4 values per block. */
static void normal_f32_blocks(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  float *t = tile, mean = (float)c->a, sd = (float)c->b;
  for (int64_t b = 0; b < nb; b++) {
    philox4x32_ctr_t r = block(key, call, b0 + (uint64_t)b);
    for (int p = 0; p < 2; p++) {
      float u1 = ((float)r.v[2 * p] + 1.0f) * 0x1p-32f;
      float theta = (float)TWO_PI * ((float)(r.v[2 * p + 1] >> 8) * 0x1p-24f);
      float rad = sqrtf(-2.0f * logf(u1));
      t[4 * b + 2 * p] = mean + sd * rad * cosf(theta);
      t[4 * b + 2 * p + 1] = mean + sd * rad * sinf(theta);
    }
  }
}

/* float64: 53-bit uniforms from two words each, so a block gives one pair. */
static void normal_f64_blocks(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  double *t = tile, mean = c->a, sd = c->b;
  for (int64_t b = 0; b < nb; b++) {
    philox4x32_ctr_t r = block(key, call, b0 + (uint64_t)b);
    double u1 = (double)((word64(r.v[0], r.v[1]) >> 11) + 1) * 0x1p-53;
    double theta = TWO_PI * ((double)(word64(r.v[2], r.v[3]) >> 11) * 0x1p-53);
    double rad = sqrt(-2.0 * log(u1));
    t[2 * b] = mean + sd * rad * cos(theta);
    t[2 * b + 1] = mean + sd * rad * sin(theta);
  }
}

/* Integers: 64 random bits per value scaled by multiply-shift, in int64. */
static void randint_blocks(const gen_ctx *c, uint64_t b0, int64_t nb, void *tile) {
  philox4x32_key_t key = c->key;
  uint64_t call = c->call;
  int64_t *t = tile, low = c->low;
  uint64_t range = c->range;
  for (int64_t b = 0; b < nb; b++) {
    philox4x32_ctr_t r = block(key, call, b0 + (uint64_t)b);
    for (int j = 0; j < 2; j++)
      t[2 * b + j] =
          (int64_t)((uint64_t)low + mulhi64(word64(r.v[2 * j], r.v[2 * j + 1]), range));
  }
}

#define TILE 1024 /* values; 8 KiB of int64 or double */

/* Fills global indices [g, g + n): whole blocks go into a tile (the loops above then
 * vectorise), which also absorbs the partial blocks at either end, and the tile is
 * copied, cast to the array's dtype. */
static void random_run(char *out, int64_t g, int64_t n, const void *ctx) {
  const gen_ctx *c = ctx;
  _Alignas(64) char tile[TILE * sizeof(double)];
  int64_t tsz = (int64_t)ht_dtype_size(c->tile_t), osz = (int64_t)ht_dtype_size(c->t);
  int64_t per = c->per_block, skip = g % per;
  uint64_t b = (uint64_t)(g / per);
  while (n > 0) {
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
               .blocks = blocks, .per_block = per_block, .tile_t = tile_t, .t = t};
  return c;
}

ht_array *ht_random_uniform(ht_dtype t, int ndim, const int64_t *gshape, int split,
                            ht_device dev, double low, double high) {
  if (ht_check_factory("random.uniform", ndim, gshape, split, dev)) return NULL;
  if (!ht_dtype_is_float(t))
    return ht_error("random.uniform: dtype must be float32 or float64, got %s",
                    ht_dtype_name(t)), NULL;
  if (!isfinite(low) || !isfinite(high) || !isfinite(high - low))
    return ht_error("random.uniform: low %g and high %g must be finite", low, high), NULL;
  ht_array *a = ht_array_empty(t, ndim, gshape, split, dev);
  if (!a) return NULL;
  gen_ctx c = t == HT_FLOAT32 ? next_call(t, uniform_f32_blocks, 4, HT_FLOAT32)
                              : next_call(t, uniform_f64_blocks, 2, HT_FLOAT64);
  c.a = low, c.b = high;
  ht_fill_by_index(a, random_run, &c);
  return a;
}

ht_array *ht_random_normal(ht_dtype t, int ndim, const int64_t *gshape, int split,
                           ht_device dev, double mean, double std) {
  if (ht_check_factory("random.normal", ndim, gshape, split, dev)) return NULL;
  if (!ht_dtype_is_float(t))
    return ht_error("random.normal: dtype must be float32 or float64, got %s",
                    ht_dtype_name(t)), NULL;
  if (!(std >= 0)) return ht_error("random.normal: std must be non-negative, got %g", std), NULL;
  ht_array *a = ht_array_empty(t, ndim, gshape, split, dev);
  if (!a) return NULL;
  gen_ctx c = t == HT_FLOAT32 ? next_call(t, normal_f32_blocks, 4, HT_FLOAT32)
                              : next_call(t, normal_f64_blocks, 2, HT_FLOAT64);
  c.a = mean, c.b = std;
  ht_fill_by_index(a, random_run, &c);
  return a;
}

ht_array *ht_random_randint(ht_dtype t, int ndim, const int64_t *gshape, int split,
                            ht_device dev, int64_t low, int64_t high) {
  int64_t tmin, tmax;
  if (ht_check_factory("random.randint", ndim, gshape, split, dev)) return NULL;
  if (!ht_dtype_is_int(t))
    return ht_error("random.randint: dtype must be an integer type, got %s",
                    ht_dtype_name(t)), NULL;
  if (low >= high)
    return ht_error("random.randint: low >= high (%lld >= %lld)", (long long)low,
                    (long long)high), NULL;
  ht_int_limits(t, &tmin, &tmax);
  if (low < tmin) return ht_error("random.randint: low is out of bounds for %s", ht_dtype_name(t)), NULL;
  /* high is exclusive, so high - 1 must fit */
  if (high - 1 > tmax)
    return ht_error("random.randint: high is out of bounds for %s", ht_dtype_name(t)), NULL;
  ht_array *a = ht_array_empty(t, ndim, gshape, split, dev);
  if (!a) return NULL;
  gen_ctx c = next_call(t, randint_blocks, 2, HT_INT64);
  c.low = low;
  c.range = (uint64_t)high - (uint64_t)low;
  ht_fill_by_index(a, random_run, &c);
  return a;
}
