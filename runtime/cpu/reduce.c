/* Typed local reduction kernels. Each loop body is written once as an inline function of
 * (op, dtype); the switches call it with constants, so every case compiles into its own
 * vectorisable loop with no per-element dispatch. Threads take ranges of outputs or,
 * when there are too few of them, slices of the reduced range R. */
#include "reduce.h"

#include "arg_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define KINLINE static inline __attribute__((always_inline))
#if defined(__GNUC__) && !defined(__clang__)
#define NO_UNROLL _Pragma("GCC unroll 1")
#define JOIN_UNROLL _Pragma("GCC unroll 16")
/* GCC's unroll-and-jam walks two rows of a column pass at once; measured, those two
 * interleaved streams read memory at half speed once rows pass ~256 bytes. */
#define NO_JAM __attribute__((optimize("no-loop-unroll-and-jam")))
#else
#define NO_UNROLL
#define JOIN_UNROLL
#define NO_JAM
#endif
/* Kernels bound by arithmetic rather than memory are also built for wider vectors and
 * picked at load time (as in cpu/elementwise.c). No FMA contraction in them: a variance
 * keeps the same bits whichever clone runs (and NumPy's rounding). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VEC_CLONES                                                                       \
  __attribute__((target_clones("avx512f", "avx2", "default"), optimize("fp-contract=off")))
#else
#define VEC_CLONES
#endif

enum {
  LANES = 16,      /* independent accumulators per row: vector width, and shorter sums */
  BLOCK = 4096,    /* row elements summed in lanes before joining the row's total */
  SHORT_ROW = 32,  /* rows shorter than this skip the lanes */
  TILE = 8192,     /* output columns per pass when I > 1: 64 KiB of accumulators, in L2 */
  ARG_TILE = 512,  /* argmin/argmax columns per pass: the block extremes, 4 KiB on the stack */
  ARG_ROWS4 = 256, /* float32 argmin/argmax rows shorter than this go eight at a time */
};
/* Input bytes per block of rows in which argmin/argmax look for a better extreme. */
#define ARG_BLOCK_BYTES ((int64_t)256 << 10)
/* Elements per thread below which a parallel region costs more than it saves. */
#define PAR_GRAIN ((int64_t)1 << 15)
/* Input rows per block when rows are wider than a tile: stays in L2 across the tiles. */
#define ROW_BLOCK_BYTES ((int64_t)256 << 10)
/* Most memory the per-thread partial results of a split R may take. */
#define PARTIAL_BYTES ((int64_t)64 << 20)

/* Calls fn(<dtype constant>, ...) for the dtype t. */
#define DTYPE_SWITCH(t, fn, ...)                                \
  switch (t) {                                                  \
  case HT_BOOL: fn(HT_BOOL, __VA_ARGS__); break;                \
  case HT_UINT8: fn(HT_UINT8, __VA_ARGS__); break;              \
  case HT_INT8: fn(HT_INT8, __VA_ARGS__); break;                \
  case HT_INT16: fn(HT_INT16, __VA_ARGS__); break;              \
  case HT_INT32: fn(HT_INT32, __VA_ARGS__); break;              \
  case HT_INT64: fn(HT_INT64, __VA_ARGS__); break;              \
  case HT_FLOAT32: fn(HT_FLOAT32, __VA_ARGS__); break;          \
  case HT_FLOAT64: fn(HT_FLOAT64, __VA_ARGS__); break;          \
  default: break;                                               \
  }

/* Calls fn(<op constant>, ...) for the value-accumulating ops. */
#define OP_SWITCH(op, fn, ...)                                  \
  switch (op) {                                                 \
  case HT_K_SUM: fn(HT_K_SUM, __VA_ARGS__); break;              \
  case HT_K_PROD: fn(HT_K_PROD, __VA_ARGS__); break;            \
  case HT_K_SQDEV: fn(HT_K_SQDEV, __VA_ARGS__); break;          \
  case HT_K_MIN: fn(HT_K_MIN, __VA_ARGS__); break;              \
  case HT_K_MAX: fn(HT_K_MAX, __VA_ARGS__); break;              \
  case HT_K_ALL: fn(HT_K_ALL, __VA_ARGS__); break;              \
  case HT_K_ANY: fn(HT_K_ANY, __VA_ARGS__); break;              \
  default: break;                                               \
  }

/* ---- elements and steps ---- */

KINLINE double load_f64(ht_dtype t, const void *p, int64_t k) {
  switch (t) {
  case HT_BOOL: return ((const uint8_t *)p)[k] != 0;
  case HT_UINT8: return ((const uint8_t *)p)[k];
  case HT_INT8: return ((const int8_t *)p)[k];
  case HT_INT16: return ((const int16_t *)p)[k];
  case HT_INT32: return ((const int32_t *)p)[k];
  case HT_INT64: return (double)((const int64_t *)p)[k];
  case HT_FLOAT32: return ((const float *)p)[k];
  case HT_FLOAT64: return ((const double *)p)[k];
  default: return 0;
  }
}

KINLINE int64_t load_i64(ht_dtype t, const void *p, int64_t k) {
  switch (t) {
  case HT_BOOL: return ((const uint8_t *)p)[k] != 0;
  case HT_UINT8: return ((const uint8_t *)p)[k];
  case HT_INT8: return ((const int8_t *)p)[k];
  case HT_INT16: return ((const int16_t *)p)[k];
  case HT_INT32: return ((const int32_t *)p)[k];
  case HT_INT64: return ((const int64_t *)p)[k];
  default: return 0;
  }
}

static const struct {
  double f;
  int64_t i;
  ht_kjoin join;
} kops[] = {
#define HT_X(e, f, i, j) [e] = {f, i, HT_JOIN_##j},
    HT_KOPS(HT_X)
#undef HT_X
};

/* Table reads at a constant op: the compiler folds them like the switch they replace. */
KINLINE double ident_f64(ht_kop op) { return kops[op].f; }
KINLINE int64_t ident_i64(ht_kop op) { return kops[op].i; }
ht_kjoin ht_cpu_kop_join(ht_kop op) { return kops[op].join; }

/* acc (op) x. min/max keep a NaN once one is seen, as NumPy does. Each case is a plain
 * select (no || or &&), the form GCC if-converts and vectorises. */
KINLINE double step_f64(ht_kop op, double acc, double x, double center) {
  switch (op) {
  case HT_K_SUM: return acc + x;
  case HT_K_PROD: return acc * x;
  case HT_K_SQDEV: return acc + (x - center) * (x - center);
  case HT_K_MIN: acc = x < acc ? x : acc; return x != x ? x : acc;
  case HT_K_MAX: acc = x > acc ? x : acc; return x != x ? x : acc;
  case HT_K_ALL: return x == 0 ? 0.0 : acc;
  case HT_K_ANY: return x != 0 ? 1.0 : acc;
  default: return acc;
  }
}

/* Joins two partial results (a squared-deviation partial is already squared). */
KINLINE double join_f64(ht_kop op, double a, double b) {
  return op == HT_K_SQDEV ? a + b : step_f64(op, a, b, 0);
}

/* Integer sums and products wrap like NumPy's (unsigned arithmetic: no overflow UB). */
KINLINE int64_t step_i64(ht_kop op, int64_t acc, int64_t x) {
  switch (op) {
  case HT_K_SUM: return (int64_t)((uint64_t)acc + (uint64_t)x);
  case HT_K_PROD: return (int64_t)((uint64_t)acc * (uint64_t)x);
  case HT_K_MIN: return x < acc ? x : acc;
  case HT_K_MAX: return x > acc ? x : acc;
  case HT_K_ALL: return acc & (x != 0);
  case HT_K_ANY: return acc | (x != 0);
  default: return acc;
  }
}

/* Does x replace the best so far? Strictly better only, so ties keep the first; a NaN
 * beats every number and is never replaced (NumPy's argmin/argmax). */
KINLINE bool beats_f64(bool is_max, double x, double best) {
  if (x != x) return best == best;
  return is_max ? x > best : x < best;
}

KINLINE bool beats_i64(bool is_max, int64_t x, int64_t best) {
  return is_max ? x > best : x < best;
}

/* Does candidate b replace a? Between partials of different ranges a tie goes to the
 * smaller index, so the result does not depend on which range was merged first. */
KINLINE bool arg_takes(bool is_max, bool isf, const ht_argacc *a, const ht_argacc *b) {
  if (b->idx < 0) return false;
  if (a->idx < 0) return true;
  if (isf) {
    const double x = a->v.f, y = b->v.f;
    if (x != x || y != y) return y != y && (x == x || b->idx < a->idx);
    if (y == x) return b->idx < a->idx;
    return beats_f64(is_max, y, x);
  }
  if (b->v.i == a->v.i) return b->idx < a->idx;
  return beats_i64(is_max, b->v.i, a->v.i);
}

/* ---- rows: I == 1, out[o] = op over in[o*R + r] ---- */

/* One row of n elements from in[k0]: LANES accumulators per BLOCK, blocks joined in
 * order, so a sum's rounding error grows like BLOCK/LANES + n/BLOCK rather than n. The
 * lane loop stays a loop (NO_UNROLL): GCC then vectorises it for every op, selects
 * included, where the fully unrolled form defeats it. */
KINLINE double row_f64(ht_kop op, ht_dtype t, const void *in, int64_t k0, int64_t n,
                       double center) {
  double total = ident_f64(op);
  for (int64_t b = 0; b < n; b += BLOCK) {
    const int64_t m = n - b < BLOCK ? n - b : BLOCK, kb = k0 + b;
    double lane[LANES];
    for (int l = 0; l < LANES; l++) lane[l] = ident_f64(op);
    int64_t k = 0;
    for (; k + LANES <= m; k += LANES) {
      NO_UNROLL
      for (int l = 0; l < LANES; l++)
        lane[l] = step_f64(op, lane[l], load_f64(t, in, kb + k + l), center);
    }
    for (; k < m; k++) lane[0] = step_f64(op, lane[0], load_f64(t, in, kb + k), center);
    /* the same tree, unrolled so that the lanes stay in registers (as a loop GCC kept
     * them on the stack, a store-to-load chain that cost more than the row's steps) */
    JOIN_UNROLL
    for (int w = LANES / 2; w > 0; w /= 2) {
      JOIN_UNROLL
      for (int l = 0; l < w; l++) lane[l] = join_f64(op, lane[l], lane[l + w]);
    }
    total = join_f64(op, total, lane[0]);
  }
  return total;
}

/* Integer steps are associative, so one accumulator lets the compiler vectorise freely.
 * (Eight explicit lanes over 1-byte inputs miscompile with GCC 12 -O3.) */
KINLINE int64_t row_i64(ht_kop op, ht_dtype t, const void *in, int64_t k0, int64_t n) {
  int64_t acc = ident_i64(op);
  for (int64_t k = 0; k < n; k++) acc = step_i64(op, acc, load_i64(t, in, k0 + k));
  return acc;
}

/* Short rows (k-means' 25 distances, a point's 3 coordinates) would pay the lanes' set-up
 * per row: four rows at a time with one accumulator each keep the adders busy instead. */
KINLINE void rows_f64_body(ht_kop op, ht_dtype t, const ht_rjob *j, int64_t o0, int64_t o1,
                           int64_t r0, int64_t r1, double *acc) {
  const void *in = j->in;
  const int64_t R = j->R;
  int64_t o = o0;
  if (r1 - r0 < SHORT_ROW)
    for (; o + 4 <= o1; o += 4) {
      double a[4], c[4];
      for (int q = 0; q < 4; q++)
        a[q] = ident_f64(op), c[q] = op == HT_K_SQDEV ? j->center[o + q] : 0;
      for (int64_t r = r0; r < r1; r++)
        for (int q = 0; q < 4; q++)
          a[q] = step_f64(op, a[q], load_f64(t, in, (o + q) * R + r), c[q]);
      for (int q = 0; q < 4; q++) acc[o + q - o0] = join_f64(op, acc[o + q - o0], a[q]);
    }
  for (; o < o1; o++) {
    const double c = op == HT_K_SQDEV ? j->center[o] : 0;
    acc[o - o0] = join_f64(op, acc[o - o0], row_f64(op, t, in, o * R + r0, r1 - r0, c));
  }
}

KINLINE void rows_i64_body(ht_kop op, ht_dtype t, const ht_rjob *j, int64_t o0, int64_t o1,
                           int64_t r0, int64_t r1, int64_t *acc) {
  const void *in = j->in;
  const int64_t R = j->R;
  for (int64_t o = o0; o < o1; o++)
    acc[o - o0] = step_i64(op, acc[o - o0], row_i64(op, t, in, o * R + r0, r1 - r0));
}

/* A float row segment's extreme in its own type (float compares are exact, so this is
 * the extreme the double accumulators would find) in ARG_LANES vectorisable lanes, a NaN
 * when the segment holds one; then the first position holding it, or the first NaN. */
#define ARG_LANES 8
#define DEFINE_ARG_SEG(T, ext_fn, find_fn)                                               \
  KINLINE T ext_fn(bool is_max, const T *p, int64_t n) {                                 \
    T lane[ARG_LANES], bad[ARG_LANES];                                                   \
    for (int l = 0; l < ARG_LANES; l++) lane[l] = p[0], bad[l] = 0;                      \
    int64_t k = 0;                                                                       \
    for (; k + ARG_LANES <= n; k += ARG_LANES) {                                         \
      NO_UNROLL                                                                          \
      for (int l = 0; l < ARG_LANES; l++) {                                              \
        const T x = p[k + l];                                                            \
        lane[l] = (is_max ? x > lane[l] : x < lane[l]) ? x : lane[l];                    \
        bad[l] = x != x ? x : bad[l];                                                    \
      }                                                                                  \
    }                                                                                    \
    T m = lane[0], nan = bad[0];                                                         \
    for (int l = 1; l < ARG_LANES; l++) {                                                \
      m = (is_max ? lane[l] > m : lane[l] < m) ? lane[l] : m;                            \
      nan = bad[l] != bad[l] ? bad[l] : nan;                                             \
    }                                                                                    \
    for (; k < n; k++) {                                                                 \
      const T x = p[k];                                                                  \
      m = (is_max ? x > m : x < m) ? x : m;                                              \
      nan = x != x ? x : nan;                                                            \
    }                                                                                    \
    return nan != nan ? nan : m;                                                         \
  }                                                                                      \
  KINLINE int64_t find_fn(const T *p, T m) {                                             \
    int64_t r = 0;                                                                       \
    if (m != m) while (p[r] == p[r]) r++;                                                \
    else while (p[r] != m) r++;                                                          \
    return r;                                                                            \
  }
DEFINE_ARG_SEG(float, ext_f32_lanes, find_f32)
DEFINE_ARG_SEG(double, ext_f64, find_f64)

/* float32 by hand in 4-wide vectors (GCC's generic vectors: SSE2 on x86-64, NEON on
 * arm64): the lanes above pay a scalar join per segment that dominates k-means' rows of
 * 25 distances. Segments of 8 or more are read as 8-element steps, the last one
 * overlapping the one before (min/max and the NaN test do not mind a second look). */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
KINLINE v4f load4(const float *p) {
  v4f v;
  memcpy(&v, p, sizeof v);
  return v;
}
KINLINE v4f pick4(v4i c, v4f x, v4f y) { return (v4f)(((v4i)x & c) | ((v4i)y & ~c)); }
/* The extreme of p[0 .. n) and its first position (a NaN: the first NaN) in one pass:
 * each lane keeps its extreme and where it first saw it, so a tie between lanes goes to
 * the smaller position. */
KINLINE int64_t arg_f32(bool is_max, const float *p, int64_t n, float *mout) {
  if (n < 8) {
    const float m = ext_f32_lanes(is_max, p, n);
    *mout = m;
    return find_f32(p, m);
  }
  const v4i step = {0, 1, 2, 3};
  v4f a = load4(p), b = load4(p + 4);
  v4i ia = step, ib = step + 4, bad = (a != a) | (b != b);
  for (int64_t k = 8;; k += 8) {
    if (k > n - 8) {
      if (k == n) break;
      k = n - 8;
    }
    const v4f x = load4(p + k), y = load4(p + k + 4);
    const v4i kx = step + (int32_t)k, ky = kx + 4;
    const v4i cx = is_max ? x > a : x < a, cy = is_max ? y > b : y < b;
    a = pick4(cx, x, a), ia = (kx & cx) | (ia & ~cx);
    b = pick4(cy, y, b), ib = (ky & cy) | (ib & ~cy);
    bad |= (x != x) | (y != y);
    if (k == n - 8) break;
  }
  if (bad[0] | bad[1] | bad[2] | bad[3]) {
    *mout = NAN;
    return find_f32(p, NAN);
  }
  const v4i c = (is_max ? b > a : b < a) | ((b == a) & (ib < ia));
  a = pick4(c, b, a), ia = (ib & c) | (ia & ~c);
  float m = a[0];
  int32_t i = ia[0];
  for (int l = 1; l < 4; l++) {
    const bool t = (is_max ? a[l] > m : a[l] < m) || (a[l] == m && ia[l] < i);
    m = t ? a[l] : m, i = t ? ia[l] : i;
  }
  *mout = m;
  return i;
}

#ifdef __clang__
#define SHUF4(x, y, a, b, c, d) __builtin_shufflevector(x, y, a, b, c, d)
#else
#define SHUF4(x, y, a, b, c, d) __builtin_shuffle(x, y, (v4i){a, b, c, d})
#endif

/* Short float32 rows four at a time, with no join per row: four rows' next four elements
 * are transposed so that lane q follows row q, and each lane keeps its row's running
 * extreme and where it first saw it (strictly better only: ties keep the first). A row
 * holding a NaN is looked at again for its first NaN. p is row 0's element 0. */
KINLINE void arg4_f32(bool is_max, const float *p, int64_t R, int64_t n, int64_t r0,
                      ht_argacc *out) {
  v4f m = {p[0], p[R], p[2 * R], p[3 * R]};
  v4i at = {0, 0, 0, 0}, bad = m != m;
#define ARG4_STEP(v, r)                                                                  \
  do {                                                                                   \
    const v4i c_ = is_max ? (v) > m : (v) < m;                                           \
    m = pick4(c_, (v), m);                                                               \
    at = (((v4i){0, 0, 0, 0} + (int32_t)(r)) & c_) | (at & ~c_);                         \
    bad |= (v) != (v);                                                                   \
  } while (0)
  int64_t r = 0;
  for (; r + 4 <= n; r += 4) {
    const v4f a = load4(p + r), b = load4(p + R + r), c = load4(p + 2 * R + r),
              d = load4(p + 3 * R + r);
    const v4f ab0 = SHUF4(a, b, 0, 4, 1, 5), ab1 = SHUF4(a, b, 2, 6, 3, 7);
    const v4f cd0 = SHUF4(c, d, 0, 4, 1, 5), cd1 = SHUF4(c, d, 2, 6, 3, 7);
    ARG4_STEP(SHUF4(ab0, cd0, 0, 1, 4, 5), r);
    ARG4_STEP(SHUF4(ab0, cd0, 2, 3, 6, 7), r + 1);
    ARG4_STEP(SHUF4(ab1, cd1, 0, 1, 4, 5), r + 2);
    ARG4_STEP(SHUF4(ab1, cd1, 2, 3, 6, 7), r + 3);
  }
  for (; r < n; r++) {
    const v4f v = {p[r], p[R + r], p[2 * R + r], p[3 * R + r]};
    ARG4_STEP(v, r);
  }
#undef ARG4_STEP
  for (int q = 0; q < 4; q++) {
    if (bad[q]) {
      out[q].v.f = NAN, out[q].idx = r0 + find_f32(p + q * R, NAN);
    } else {
      out[q].v.f = m[q], out[q].idx = r0 + at[q];
    }
  }
}

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
/* an unaligned view, not a function: a 32-byte return value would change the ABI of
 * the clones built without AVX */
typedef float v8f_u __attribute__((vector_size(32), aligned(4), may_alias));
#define load8(p) (*(const v8f_u *)(p))
#ifdef __clang__
#define SHUF8(x, y, ...) __builtin_shufflevector(x, y, __VA_ARGS__)
#else
#define SHUF8(x, y, ...) __builtin_shuffle(x, y, (v8i){__VA_ARGS__})
#endif

/* As arg4_f32 with eight rows in 256-bit vectors (two 128-bit halves where the clone has
 * no AVX): an 8 x 8 block is transposed with in-lane unpacks, in-lane shuffles and a
 * half swap (unpcklps/shufps/vperm2f128), so lane q follows row q. */
KINLINE void arg8_f32(bool is_max, const float *p, int64_t R, int64_t n, int64_t r0,
                      ht_argacc *out) {
  /* two chains of extremes, even and odd columns, so one compare-and-blend does not wait
   * for the one before (that latency bound the loop at half the memory's speed) */
  v8f m0 = {p[0], p[R], p[2 * R], p[3 * R], p[4 * R], p[5 * R], p[6 * R], p[7 * R]}, m1 = m0;
  v8i at0 = {0}, at1 = {0}, bad = m0 != m0;
#define ARG8_STEP(m, at, v, r)                                                           \
  do {                                                                                   \
    const v8f v_ = (v);                                                                  \
    const v8i c_ = is_max ? v_ > m : v_ < m;                                             \
    m = (v8f)(((v8i)v_ & c_) | ((v8i)m & ~c_));                                          \
    at = (((v8i){0} + (int32_t)(r)) & c_) | (at & ~c_);                                  \
    bad |= v_ != v_;                                                                     \
  } while (0)
  int64_t r = 0;
  for (; r + 8 <= n; r += 8) {
    const float *q = p + r;
    if (!(r & 15)) /* the same columns two groups of rows ahead (prefetch never faults) */
      for (int k = 16; k < 24; k++) __builtin_prefetch(q + k * R);
    const v8f a = load8(q), b = load8(q + R), c = load8(q + 2 * R), d = load8(q + 3 * R),
              e = load8(q + 4 * R), f = load8(q + 5 * R), g = load8(q + 6 * R),
              h = load8(q + 7 * R);
    /* {a0 b0 a1 b1 | a4 b4 a5 b5} and {a2 b2 a3 b3 | a6 b6 a7 b7}, likewise c-d, e-f, g-h */
    const v8f ab0 = SHUF8(a, b, 0, 8, 1, 9, 4, 12, 5, 13), ab1 = SHUF8(a, b, 2, 10, 3, 11, 6, 14, 7, 15);
    const v8f cd0 = SHUF8(c, d, 0, 8, 1, 9, 4, 12, 5, 13), cd1 = SHUF8(c, d, 2, 10, 3, 11, 6, 14, 7, 15);
    const v8f ef0 = SHUF8(e, f, 0, 8, 1, 9, 4, 12, 5, 13), ef1 = SHUF8(e, f, 2, 10, 3, 11, 6, 14, 7, 15);
    const v8f gh0 = SHUF8(g, h, 0, 8, 1, 9, 4, 12, 5, 13), gh1 = SHUF8(g, h, 2, 10, 3, 11, 6, 14, 7, 15);
    /* {a0 b0 c0 d0 | a4 b4 c4 d4} ... */
    const v8f u0 = SHUF8(ab0, cd0, 0, 1, 8, 9, 4, 5, 12, 13), u1 = SHUF8(ab0, cd0, 2, 3, 10, 11, 6, 7, 14, 15);
    const v8f u2 = SHUF8(ab1, cd1, 0, 1, 8, 9, 4, 5, 12, 13), u3 = SHUF8(ab1, cd1, 2, 3, 10, 11, 6, 7, 14, 15);
    const v8f w0 = SHUF8(ef0, gh0, 0, 1, 8, 9, 4, 5, 12, 13), w1 = SHUF8(ef0, gh0, 2, 3, 10, 11, 6, 7, 14, 15);
    const v8f w2 = SHUF8(ef1, gh1, 0, 1, 8, 9, 4, 5, 12, 13), w3 = SHUF8(ef1, gh1, 2, 3, 10, 11, 6, 7, 14, 15);
    ARG8_STEP(m0, at0, SHUF8(u0, w0, 0, 1, 2, 3, 8, 9, 10, 11), r);
    ARG8_STEP(m1, at1, SHUF8(u1, w1, 0, 1, 2, 3, 8, 9, 10, 11), r + 1);
    ARG8_STEP(m0, at0, SHUF8(u2, w2, 0, 1, 2, 3, 8, 9, 10, 11), r + 2);
    ARG8_STEP(m1, at1, SHUF8(u3, w3, 0, 1, 2, 3, 8, 9, 10, 11), r + 3);
    ARG8_STEP(m0, at0, SHUF8(u0, w0, 4, 5, 6, 7, 12, 13, 14, 15), r + 4);
    ARG8_STEP(m1, at1, SHUF8(u1, w1, 4, 5, 6, 7, 12, 13, 14, 15), r + 5);
    ARG8_STEP(m0, at0, SHUF8(u2, w2, 4, 5, 6, 7, 12, 13, 14, 15), r + 6);
    ARG8_STEP(m1, at1, SHUF8(u3, w3, 4, 5, 6, 7, 12, 13, 14, 15), r + 7);
  }
  for (; r < n; r++) {
    const v8f v = {p[r],         p[R + r],     p[2 * R + r], p[3 * R + r],
                   p[4 * R + r], p[5 * R + r], p[6 * R + r], p[7 * R + r]};
    ARG8_STEP(m0, at0, v, r);
  }
#undef ARG8_STEP
  /* the odd chain wins where strictly better, or equal at an earlier column */
  const v8i c = (is_max ? m1 > m0 : m1 < m0) | ((m1 == m0) & (at1 < at0));
  const v8f m = (v8f)(((v8i)m1 & c) | ((v8i)m0 & ~c));
  const v8i at = (at1 & c) | (at0 & ~c);
  for (int q = 0; q < 8; q++) {
    if (bad[q]) {
      out[q].v.f = NAN, out[q].idx = r0 + find_f32(p + q * R, NAN);
    } else {
      out[q].v.f = m[q], out[q].idx = r0 + at[q];
    }
  }
}

/* argmin/argmax: short float32 rows eight (then four) at a time; other float rows block by block (for
 * float32 the extreme and its position in one pass; for float64 the extreme, then, only
 * when it beats the best so far, a scan for its first position); integer rows likewise
 * with the vectorised min/max above, or one scan when short. */
KINLINE void rows_arg_body(bool is_max, ht_dtype t, const ht_rjob *j, int64_t o0, int64_t o1,
                           int64_t r0, int64_t r1, ht_argacc *acc) {
  const void *in = j->in;
  const int64_t R = j->R;
  const ht_kop ext = is_max ? HT_K_MAX : HT_K_MIN;
  int64_t o = o0;
  if (t == HT_FLOAT32 && r1 - r0 <= HT_ARG_ROWS_MAX && r1 > r0) /* AVX-512, cpu/arg_rows.c */
    while (o < o1) {
      ht_argacc part[64];
      const int64_t m = o1 - o < 64 ? o1 - o : 64;
      if (!ht_arg_rows_avx512(is_max, (const float *)in + o * R + r0, R, r1 - r0, m, r0, part))
        break;
      for (int64_t q = 0; q < m; q++)
        if (arg_takes(is_max, true, &acc[o + q - o0], &part[q])) acc[o + q - o0] = part[q];
      o += m;
    }
  if (t == HT_FLOAT32 && r1 - r0 < ARG_ROWS4) {
    for (; o + 8 <= o1; o += 8) {
      ht_argacc part[8];
      arg8_f32(is_max, (const float *)in + o * R + r0, R, r1 - r0, r0, part);
      for (int q = 0; q < 8; q++)
        if (arg_takes(is_max, true, &acc[o + q - o0], &part[q])) acc[o + q - o0] = part[q];
    }
    for (; o + 4 <= o1; o += 4) {
      ht_argacc part[4];
      arg4_f32(is_max, (const float *)in + o * R + r0, R, r1 - r0, r0, part);
      for (int q = 0; q < 4; q++)
        if (arg_takes(is_max, true, &acc[o + q - o0], &part[q])) acc[o + q - o0] = part[q];
    }
  }
  if (!ht_dtype_is_float(t) && r1 - r0 < SHORT_ROW) /* too short to repay two steps */
    for (; o < o1 && r0 < r1; o++) {
      const int64_t k = o * R;
      ht_argacc best = {.idx = r0};
      int64_t m = load_i64(t, in, k + r0);
      for (int64_t r = r0 + 1; r < r1; r++) {
        const int64_t x = load_i64(t, in, k + r);
        if (beats_i64(is_max, x, m)) m = x, best.idx = r;
      }
      best.v.i = m;
      if (arg_takes(is_max, false, &acc[o - o0], &best)) acc[o - o0] = best;
    }
  for (; o < o1; o++) {
    ht_argacc *best = &acc[o - o0];
    for (int64_t b = r0; b < r1; b += BLOCK) {
      const int64_t e = r1 - b < BLOCK ? r1 : b + BLOCK, k = o * R;
      if (t == HT_FLOAT32 || t == HT_FLOAT64) {
        if (t == HT_FLOAT32) {
          float m;
          const int64_t r = arg_f32(is_max, (const float *)in + k + b, e - b, &m);
          if (best->idx >= 0 && !beats_f64(is_max, m, best->v.f)) continue;
          best->v.f = m, best->idx = b + r;
        } else {
          const double *pd = (const double *)in + k + b, m = ext_f64(is_max, pd, e - b);
          if (best->idx >= 0 && !beats_f64(is_max, m, best->v.f)) continue;
          best->v.f = m, best->idx = b + find_f64(pd, m);
        }
      } else {
        int64_t r = b;
        const int64_t m = row_i64(ext, t, in, k + b, e - b);
        if (best->idx >= 0 && !beats_i64(is_max, m, best->v.i)) continue;
        while (load_i64(t, in, k + r) != m) r++;
        best->v.i = m, best->idx = r;
      }
    }
  }
}

/* ---- cols: I > 1, a tile of w outputs (o, i0 .. i0+w) over rows r0 .. r1 ---- */

KINLINE void cols_f64_body(ht_kop op, ht_dtype t, const ht_rjob *j, int64_t o, int64_t i0,
                           int64_t w, int64_t r0, int64_t r1, double *restrict acc) {
  const void *in = j->in;
  const int64_t I = j->I, R = j->R;
  const double *c = op == HT_K_SQDEV ? j->center + o * I + i0 : NULL;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t k = (o * R + r) * I + i0;
    for (int64_t l = 0; l < w; l++)
      acc[l] = step_f64(op, acc[l], load_f64(t, in, k + l), op == HT_K_SQDEV ? c[l] : 0);
  }
}

KINLINE void cols_i64_body(ht_kop op, ht_dtype t, const ht_rjob *j, int64_t o, int64_t i0,
                           int64_t w, int64_t r0, int64_t r1, int64_t *restrict acc) {
  const void *in = j->in;
  const int64_t I = j->I, R = j->R;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t k = (o * R + r) * I + i0;
    for (int64_t l = 0; l < w; l++) acc[l] = step_i64(op, acc[l], load_i64(t, in, k + l));
  }
}

/* The same two steps for a tile: the block's column extremes into a scratch tile, then
 * a scan down the block for each column whose extreme beats its best so far. */
KINLINE void cols_arg_body(bool is_max, ht_dtype t, const ht_rjob *j, int64_t o, int64_t i0,
                           int64_t w, int64_t r0, int64_t r1, ht_argacc *restrict acc) {
  const void *in = j->in;
  const int64_t I = j->I, R = j->R;
  const ht_kop ext = is_max ? HT_K_MAX : HT_K_MIN;
  union {
    double f[ARG_TILE];
    int64_t i[ARG_TILE];
  } m;
  /* blocks of rows small enough to be read from memory once for all column chunks */
  int64_t rows = ARG_BLOCK_BYTES / (w * (int64_t)ht_dtype_size(t));
  rows = rows < 16 ? 16 : rows > 256 ? 256 : rows;
  for (int64_t b = r0; b < r1; b += rows) {
    const int64_t e = r1 - b < rows ? r1 : b + rows;
    for (int64_t c0 = 0; c0 < w; c0 += ARG_TILE) {
      const int64_t cw = w - c0 < ARG_TILE ? w - c0 : ARG_TILE;
      if (ht_dtype_is_float(t)) {
        for (int64_t l = 0; l < cw; l++) m.f[l] = ident_f64(ext);
        cols_f64_body(ext, t, j, o, i0 + c0, cw, b, e, m.f);
      } else {
        for (int64_t l = 0; l < cw; l++) m.i[l] = ident_i64(ext);
        cols_i64_body(ext, t, j, o, i0 + c0, cw, b, e, m.i);
      }
      for (int64_t l = 0; l < cw; l++) {
        ht_argacc *best = &acc[c0 + l];
        const int64_t k = o * R * I + i0 + c0 + l;
        int64_t r = b;
        if (ht_dtype_is_float(t)) {
          const double x = m.f[l];
          if (best->idx >= 0 && !beats_f64(is_max, x, best->v.f)) continue;
          if (x != x) while (load_f64(t, in, k + r * I) == load_f64(t, in, k + r * I)) r++;
          else while (load_f64(t, in, k + r * I) != x) r++;
          best->v.f = x, best->idx = r;
        } else {
          const int64_t x = m.i[l];
          if (best->idx >= 0 && !beats_i64(is_max, x, best->v.i)) continue;
          while (load_i64(t, in, k + r * I) != x) r++;
          best->v.i = x, best->idx = r;
        }
      }
    }
  }
}

/* ---- the typed entry points: dtype, then op, become constants ---- */

/* Integer inputs reach the double accumulators only for mean and var (SUM, SQDEV). */
#define F64_OPS(t, fn, j, ...)                                                   \
  do {                                                                           \
    if (ht_dtype_is_float(t)) {                                                  \
      OP_SWITCH((j)->op, fn, t, j, __VA_ARGS__)                                  \
    } else if ((j)->op == HT_K_SUM) {                                            \
      fn(HT_K_SUM, t, j, __VA_ARGS__);                                           \
    } else if ((j)->op == HT_K_SQDEV) {                                          \
      fn(HT_K_SQDEV, t, j, __VA_ARGS__);                                         \
    }                                                                            \
  } while (0)

/* Float inputs never use int64 accumulators (ops/reduce.c picks f64 for them). */
#define I64_OPS(t, fn, j, ...)                                                   \
  do {                                                                           \
    if (!ht_dtype_is_float(t)) OP_SWITCH((j)->op, fn, t, j, __VA_ARGS__)         \
  } while (0)

#define ARG_OPS(t, fn, j, ...) fn((j)->op == HT_K_ARGMAX, t, j, __VA_ARGS__)

KINLINE void rows_f64_t(ht_dtype t, const ht_rjob *j, int64_t o0, int64_t o1, int64_t r0,
                        int64_t r1, void *acc) {
  F64_OPS(t, rows_f64_body, j, o0, o1, r0, r1, (double *)acc);
}
KINLINE void rows_i64_t(ht_dtype t, const ht_rjob *j, int64_t o0, int64_t o1, int64_t r0,
                        int64_t r1, void *acc) {
  I64_OPS(t, rows_i64_body, j, o0, o1, r0, r1, (int64_t *)acc);
}
KINLINE void rows_arg_t(ht_dtype t, const ht_rjob *j, int64_t o0, int64_t o1, int64_t r0,
                        int64_t r1, void *acc) {
  ARG_OPS(t, rows_arg_body, j, o0, o1, r0, r1, (ht_argacc *)acc);
}
KINLINE void cols_f64_t(ht_dtype t, const ht_rjob *j, int64_t o, int64_t i0, int64_t w,
                        int64_t r0, int64_t r1, void *acc) {
  F64_OPS(t, cols_f64_body, j, o, i0, w, r0, r1, (double *)acc);
}
KINLINE void cols_i64_t(ht_dtype t, const ht_rjob *j, int64_t o, int64_t i0, int64_t w,
                        int64_t r0, int64_t r1, void *acc) {
  I64_OPS(t, cols_i64_body, j, o, i0, w, r0, r1, (int64_t *)acc);
}
KINLINE void cols_arg_t(ht_dtype t, const ht_rjob *j, int64_t o, int64_t i0, int64_t w,
                        int64_t r0, int64_t r1, void *acc) {
  ARG_OPS(t, cols_arg_body, j, o, i0, w, r0, r1, (ht_argacc *)acc);
}

VEC_CLONES static void rows_f64(const ht_rjob *j, int64_t o0, int64_t o1, int64_t r0,
                                int64_t r1, void *acc) {
  DTYPE_SWITCH(j->t, rows_f64_t, j, o0, o1, r0, r1, acc)
}
static void rows_i64(const ht_rjob *j, int64_t o0, int64_t o1, int64_t r0, int64_t r1,
                     void *acc) {
  DTYPE_SWITCH(j->t, rows_i64_t, j, o0, o1, r0, r1, acc)
}
VEC_CLONES static void rows_arg(const ht_rjob *j, int64_t o0, int64_t o1, int64_t r0,
                                int64_t r1, void *acc) {
  DTYPE_SWITCH(j->t, rows_arg_t, j, o0, o1, r0, r1, acc)
}
NO_JAM VEC_CLONES static void cols_f64(const ht_rjob *j, int64_t o, int64_t i0, int64_t w,
                                       int64_t r0, int64_t r1, void *acc) {
  DTYPE_SWITCH(j->t, cols_f64_t, j, o, i0, w, r0, r1, acc)
}
NO_JAM static void cols_i64(const ht_rjob *j, int64_t o, int64_t i0, int64_t w, int64_t r0,
                            int64_t r1, void *acc) {
  DTYPE_SWITCH(j->t, cols_i64_t, j, o, i0, w, r0, r1, acc)
}
NO_JAM static void cols_arg(const ht_rjob *j, int64_t o, int64_t i0, int64_t w, int64_t r0,
                            int64_t r1, void *acc) {
  DTYPE_SWITCH(j->t, cols_arg_t, j, o, i0, w, r0, r1, acc)
}

/* ---- accumulator kinds ---- */

static bool is_arg(ht_kop op) { return kops[op].join == HT_JOIN_ARG; }

size_t ht_cpu_acc_size(const ht_rjob *j) {
  return is_arg(j->op) ? sizeof(ht_argacc) : 8;
}

static void fill_identity(const ht_rjob *j, void *acc, int64_t n) {
  if (is_arg(j->op)) {
    ht_argacc *a = acc;
    for (int64_t k = 0; k < n; k++) a[k].v.i = 0, a[k].idx = -1;
  } else if (j->f64) {
    double *a = acc, v = ident_f64(j->op);
    for (int64_t k = 0; k < n; k++) a[k] = v;
  } else {
    int64_t *a = acc, v = ident_i64(j->op);
    for (int64_t k = 0; k < n; k++) a[k] = v;
  }
}

KINLINE void merge_f64_body(ht_kop op, double *a, const double *b, int64_t n) {
  for (int64_t k = 0; k < n; k++) a[k] = join_f64(op, a[k], b[k]);
}
KINLINE void merge_i64_body(ht_kop op, int64_t *a, const int64_t *b, int64_t n) {
  for (int64_t k = 0; k < n; k++) a[k] = step_i64(op, a[k], b[k]);
}

void ht_cpu_reduce_merge(const ht_rjob *j, void *acc, const void *part, int64_t n) {
  if (is_arg(j->op)) {
    const bool is_max = j->op == HT_K_ARGMAX, isf = ht_dtype_is_float(j->t);
    ht_argacc *a = acc;
    const ht_argacc *b = part;
    for (int64_t k = 0; k < n; k++)
      if (arg_takes(is_max, isf, &a[k], &b[k])) a[k] = b[k];
  } else if (j->f64) {
    OP_SWITCH(j->op, merge_f64_body, (double *)acc, (const double *)part, n)
  } else {
    OP_SWITCH(j->op, merge_i64_body, (int64_t *)acc, (const int64_t *)part, n)
  }
}

/* ---- work sharing ---- */

typedef struct kernel {
  void (*rows)(const ht_rjob *, int64_t o0, int64_t o1, int64_t r0, int64_t r1, void *acc);
  void (*cols)(const ht_rjob *, int64_t o, int64_t i0, int64_t w, int64_t r0, int64_t r1,
               void *acc);
} kernel;

static const kernel f64_kernel = {rows_f64, cols_f64};
static const kernel i64_kernel = {rows_i64, cols_i64};
static const kernel arg_kernel = {rows_arg, cols_arg};

static int threads_for(int64_t elements) {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1;
  int64_t want = elements / PAR_GRAIN;
  int nt = omp_get_max_threads();
  return want < 1 ? 1 : want < nt ? (int)want : nt;
#else
  (void)elements;
  return 1;
#endif
}

/* Outputs o0 .. o1 over rows r0 .. r1 into acc (which starts at output o0). Rows wider
 * than a tile are walked in blocks that stay in cache while every tile passes over them,
 * so memory is still read once, in order. */
static void run_block(const kernel *k, const ht_rjob *j, int64_t o0, int64_t o1, int64_t r0,
                      int64_t r1, char *acc, size_t as) {
  const int64_t I = j->I;
  if (I == 1) {
    k->rows(j, o0, o1, r0, r1, acc);
    return;
  }
  int64_t rb = r1 - r0;
  if (I > TILE) {
    rb = ROW_BLOCK_BYTES / (I * (int64_t)ht_dtype_size(j->t));
    if (rb < 16) rb = 16; /* a pass over fewer rows costs more than it saves */
  }
  for (int64_t o = o0; o < o1; o++)
    for (int64_t b = r0; b < r1; b += rb)
      for (int64_t i0 = 0; i0 < I; i0 += TILE) {
        const int64_t w = I - i0 < TILE ? I - i0 : TILE, e = r1 - b < rb ? r1 : b + rb;
        k->cols(j, o, i0, w, b, e, acc + (size_t)((o - o0) * I + i0) * as);
      }
}

/* Few outputs and a long R: each thread reduces one slice of R into its own partial
 * accumulators (streaming its rows in order), joined in thread order afterwards. */
static int split_r(const kernel *k, const ht_rjob *j, char *acc, size_t as, int nt) {
  const int64_t n = j->O * j->I, R = j->R;
  /* each thread's partials on cache lines of their own: a line shared at the boundary
   * is written by both threads for every row (measured: 1x2 threads at 1x1 speed) */
  const size_t stride = ((size_t)n * as + 63) & ~(size_t)63;
  char *part = aligned_alloc(64, (size_t)nt * stride);
  if (!part) return -1;
  for (int t = 0; t < nt; t++) fill_identity(j, part + (size_t)t * stride, n);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int t = 0; t < nt; t++)
    run_block(k, j, 0, j->O, R * t / nt, R * (t + 1) / nt, part + (size_t)t * stride, as);
  for (int t = 0; t < nt; t++) ht_cpu_reduce_merge(j, acc, part + (size_t)t * stride, n);
  free(part);
  return 0;
}

void ht_cpu_reduce(const ht_rjob *j, void *accv) {
  const kernel *k = is_arg(j->op) ? &arg_kernel : j->f64 ? &f64_kernel : &i64_kernel;
  const size_t as = ht_cpu_acc_size(j);
  const int64_t O = j->O, R = j->R, I = j->I;
  char *acc = accv;
  fill_identity(j, acc, O * I);
  if (O * I == 0 || R == 0) return;
  const int nt = threads_for(O * R * I);
  if (nt == 1) {
    run_block(k, j, 0, O, 0, R, acc, as);
    return;
  }
  /* many outputs: each thread a range of them, whose rows are contiguous in memory */
  if (O >= 4 * (int64_t)nt) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
      const int64_t o0 = O * t / nt, o1 = O * (t + 1) / nt;
      run_block(k, j, o0, o1, 0, R, acc + (size_t)(o0 * I) * as, as);
    }
    return;
  }
  /* few outputs: slices of R, unless the partial results would take too much memory */
  if ((int64_t)nt * O * I * (int64_t)as <= PARTIAL_BYTES && split_r(k, j, acc, as, nt) == 0)
    return;
  const int64_t ntiles = (I + TILE - 1) / TILE, items = O * ntiles;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t it = 0; it < items; it++) {
    const int64_t o = it / ntiles, i0 = it % ntiles * TILE;
    const int64_t w = I - i0 < TILE ? I - i0 : TILE;
    if (I == 1) k->rows(j, o, o + 1, 0, R, acc + (size_t)o * as);
    else k->cols(j, o, i0, w, 0, R, acc + (size_t)(o * I + i0) * as);
  }
}
