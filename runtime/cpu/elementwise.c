/* The CPU's typed inner loops of the elementwise ops (NumPy's ufunc loops): one plain C
 * function per (op, dtype), such as add_f32, each with contiguous and broadcast-scalar
 * fast paths the compiler vectorises, collected in tables indexed by op and dtype. */
#include "elementwise.h"

#include <stdbool.h>
#include <tgmath.h> /* sqrt(x) on a float calls sqrtf: the float loops stay float32 */

#include "vecmath.h"

/* Nothing reads the FP exception flags, and with them off GCC if-converts the selects of
 * minimum/maximum/clip/floor/ceil/round below into vector blends. (sqrt vectorises only with
 * -fno-math-errno on the command line: the pragma does not reach the builtin.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

/* ---- the loop shapes ---- */

/* out[i] = expr over inputs a = x[i], b = y[i]. The three fast paths are the common
 * cases: all contiguous, a scalar on the right (x - 2), a scalar on the left (2 - x). */
#define BINARY_LOOP(name, TI, TO, expr)                                                 \
  static void name(int64_t n, char **p, const int64_t *s) {                             \
    TO *o = (TO *)p[0];                                                                 \
    const TI *x = (const TI *)p[1], *y = (const TI *)p[2];                              \
    const int64_t so = (int64_t)sizeof(TO), si = (int64_t)sizeof(TI);                   \
    if (s[0] == so && s[1] == si && s[2] == si) {                                       \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TI a = x[i], b = y[i];                                                    \
        o[i] = (TO)(expr);                                                              \
      }                                                                                 \
    } else if (s[0] == so && s[1] == si && s[2] == 0) {                                 \
      const TI b = y[0];                                                                \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TI a = x[i];                                                              \
        o[i] = (TO)(expr);                                                              \
      }                                                                                 \
    } else if (s[0] == so && s[1] == 0 && s[2] == si) {                                 \
      const TI a = x[0];                                                                \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TI b = y[i];                                                              \
        o[i] = (TO)(expr);                                                              \
      }                                                                                 \
    } else {                                                                            \
      char *po = p[0];                                                                  \
      const char *px = p[1], *py = p[2];                                                \
      for (int64_t i = 0; i < n; i++, po += s[0], px += s[1], py += s[2]) {             \
        const TI a = *(const TI *)px, b = *(const TI *)py;                              \
        *(TO *)po = (TO)(expr);                                                         \
      }                                                                                 \
    }                                                                                   \
  }

/* out[i] = expr over a = x[i]. */
#define UNARY_LOOP(name, TI, TO, expr)                                                  \
  static void name(int64_t n, char **p, const int64_t *s) {                             \
    if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(TI)) {                   \
      TO *o = (TO *)p[0];                                                               \
      const TI *x = (const TI *)p[1];                                                   \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TI a = x[i];                                                              \
        (void)a;                                                                        \
        o[i] = (TO)(expr);                                                              \
      }                                                                                 \
    } else {                                                                            \
      char *po = p[0];                                                                  \
      const char *px = p[1];                                                            \
      for (int64_t i = 0; i < n; i++, po += s[0], px += s[1]) {                         \
        const TI a = *(const TI *)px;                                                   \
        (void)a;                                                                        \
        *(TO *)po = (TO)(expr);                                                         \
      }                                                                                 \
    }                                                                                   \
  }

/* out[i] = expr over a = x[i], b = y[i], c = z[i]; the fast paths: all contiguous, and
 * y, z broadcast scalars (clip(x, 0, 1)). */
#define TERNARY_LOOP(name, TX, T, expr)                                                 \
  static void name(int64_t n, char **p, const int64_t *s) {                             \
    T *o = (T *)p[0];                                                                   \
    const TX *x = (const TX *)p[1];                                                     \
    const T *y = (const T *)p[2], *z = (const T *)p[3];                                 \
    const int64_t st = (int64_t)sizeof(T), sx = (int64_t)sizeof(TX);                    \
    if (s[0] == st && s[1] == sx && s[2] == st && s[3] == st) {                         \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TX a = x[i];                                                              \
        const T b = y[i], c = z[i];                                                     \
        o[i] = (expr);                                                                  \
      }                                                                                 \
    } else if (s[0] == st && s[1] == sx && s[2] == 0 && s[3] == 0) {                    \
      const T b = y[0], c = z[0];                                                       \
      for (int64_t i = 0; i < n; i++) {                                                 \
        const TX a = x[i];                                                              \
        o[i] = (expr);                                                                  \
      }                                                                                 \
    } else {                                                                            \
      char *po = p[0];                                                                  \
      const char *px = p[1], *py = p[2], *pz = p[3];                                    \
      for (int64_t i = 0; i < n; i++, po += s[0], px += s[1], py += s[2], pz += s[3]) { \
        const TX a = *(const TX *)px;                                                   \
        const T b = *(const T *)py, c = *(const T *)pz;                                 \
        *(T *)po = (expr);                                                              \
      }                                                                                 \
    }                                                                                   \
  }

/* ---- the vector math loops (libmvec) ---- */

/* exp, log, log2, log10, sin, cos, tan and tanh: libmvec vector variants (vecmath.h). */

/* Every element goes through the vector variant, never the scalar function, so a value's
 * bits do not depend on where it sits in a chunk (splits and threads agree): name##_blocks
 * takes whole blocks of VBLK elements (a multiple of every vector width, so the vectorised
 * loop has no scalar prologue or epilogue — checked in the object code); the tail and
 * strided operands go through an aligned buffer, padded with zeros. In place (o == x) is
 * fine: element i reads x[i] only. */
#define VBLK 64
#define VBUF (4 * VBLK)
#define MATH_LOOP(name, T, f)                                                           \
  HT_VEC_CLONES static void name##_blocks(int64_t nb, T *o, const T *x) {               \
    for (int64_t b = 0; b < nb; b++, o += VBLK, x += VBLK) {                            \
      _Pragma("omp simd") for (int i = 0; i < VBLK; i++) o[i] = f(x[i]);                \
    }                                                                                   \
  }                                                                                     \
  static void name(int64_t n, char **p, const int64_t *s) {                             \
    int64_t i = 0;                                                                      \
    if (s[0] == (int64_t)sizeof(T) && s[1] == (int64_t)sizeof(T)) {                     \
      i = n / VBLK * VBLK;                                                              \
      name##_blocks(n / VBLK, (T *)p[0], (const T *)p[1]);                              \
    }                                                                                   \
    _Alignas(64) T buf[VBUF];                                                           \
    for (; i < n; i += VBUF) {                                                          \
      const int64_t m = n - i < VBUF ? n - i : VBUF, nb = (m + VBLK - 1) / VBLK;        \
      for (int64_t k = 0; k < nb * VBLK; k++)                                           \
        buf[k] = k < m ? *(const T *)(p[1] + (i + k) * s[1]) : 0;                       \
      name##_blocks(nb, buf, buf);                                                      \
      for (int64_t k = 0; k < m; k++) *(T *)(p[0] + (i + k) * s[0]) = buf[k];           \
    }                                                                                   \
  }

/* ---- element helpers with NumPy's semantics ---- */

#define INT_MAX_OF(a, b) ((a) > (b) ? (a) : (b))
#define INT_MIN_OF(a, b) ((a) < (b) ? (a) : (b))

/* Signed integers wrap on overflow like NumPy's: the arithmetic runs in the unsigned type
 * U (at least 32 bits, so uint16 * uint16 cannot overflow a promoted int). Division by
 * zero gives 0 (NumPy, with a warning); floor division and modulo round toward -inf, so
 * the remainder takes the divisor's sign (Python's %). MIN / -1 wraps to MIN. An integer
 * to a negative power is the truncated 1 / a^|b|: 1 for a = 1, +-1 for a = -1, else 0
 * (NumPy raises instead; a data-dependent error would need a collective). */
#define SIGNED_HELPERS(sfx, T, U)                                                       \
  static inline T elt_floordiv_##sfx(T a, T b) {                                        \
    if (b == 0) return 0;                                                               \
    if (b == -1) return (T)((U)0 - (U)a);                                               \
    T q = (T)(a / b);                                                                   \
    if (a % b != 0 && ((a < 0) != (b < 0))) q--;                                        \
    return q;                                                                           \
  }                                                                                     \
  static inline T elt_mod_##sfx(T a, T b) {                                             \
    if (b == 0 || b == -1) return 0;                                                    \
    T r = (T)(a % b);                                                                   \
    if (r != 0 && ((r < 0) != (b < 0))) r = (T)(r + b);                                 \
    return r;                                                                           \
  }                                                                                     \
  static inline T elt_pow_##sfx(T a, T b) {                                             \
    if (b < 0) return (T)(a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0);               \
    U r = 1, x = (U)a;                                                                  \
    for (T e = b; e; e = (T)(e >> 1), x *= x)                                           \
      if (e & 1) r *= x;                                                                \
    return (T)r;                                                                        \
  }

SIGNED_HELPERS(i8, int8_t, uint32_t)
SIGNED_HELPERS(i16, int16_t, uint32_t)
SIGNED_HELPERS(i32, int32_t, uint32_t)
SIGNED_HELPERS(i64, int64_t, uint64_t)

static inline uint8_t elt_floordiv_u8(uint8_t a, uint8_t b) { return b ? (uint8_t)(a / b) : 0; }
static inline uint8_t elt_mod_u8(uint8_t a, uint8_t b) { return b ? (uint8_t)(a % b) : 0; }
static inline uint8_t elt_pow_u8(uint8_t a, uint8_t b) {
  uint32_t r = 1, x = a;
  for (unsigned e = b; e; e >>= 1, x *= x)
    if (e & 1) r *= x;
  return (uint8_t)r;
}

/* NumPy's npy_divmod for floats: the floor quotient snapped to an integer and the remainder
 * with the divisor's sign; a zero divisor gives a / b (inf or nan) and fmod's nan. */
#define FLOAT_HELPERS(sfx, T)                                                           \
  static inline T elt_divmod_##sfx(T a, T b, T *mod) {                                  \
    T m = fmod(a, b), div = (a - m) / b, q;                                             \
    if (m != 0) {                                                                       \
      if ((b < 0) != (m < 0)) {                                                         \
        m += b;                                                                         \
        div -= 1;                                                                       \
      }                                                                                 \
    } else {                                                                            \
      m = copysign((T)0, b);                                                            \
    }                                                                                   \
    if (div != 0) {                                                                     \
      q = floor(div);                                                                   \
      if (div - q > (T)0.5) q += 1;                                                     \
    } else {                                                                            \
      q = copysign((T)0, a / b);                                                        \
    }                                                                                   \
    *mod = m;                                                                           \
    return q;                                                                           \
  }                                                                                     \
  static inline T elt_floordiv_##sfx(T a, T b) {                                        \
    T m;                                                                                \
    return b == 0 ? a / b : elt_divmod_##sfx(a, b, &m);                                 \
  }                                                                                     \
  static inline T elt_mod_##sfx(T a, T b) {                                             \
    T m;                                                                                \
    if (b == 0) return fmod(a, b);                                                      \
    elt_divmod_##sfx(a, b, &m);                                                         \
    return m;                                                                           \
  }

FLOAT_HELPERS(f32, float)
FLOAT_HELPERS(f64, double)

/* NaN wins in minimum/maximum (np.minimum, not np.fmin) and clip: a plain select (maxps)
 * and a NaN check on the inputs, which vectorises once trapping math is off. floor, ceil
 * and rint without libm calls, which the x86-64 baseline (no SSE4.1 roundps) cannot
 * vectorise: values below BIG = 2^mantissa go through an integer (truncation) or through
 * the addition of BIG (round half to even, the default rounding mode), larger ones and
 * NaN are already integral; copysign keeps the sign of -0.0 and of -0.5 -> -0.0. */
#define FLOAT_ROUNDING(sfx, T, I, BIG)                                                  \
  static inline T elt_max_##sfx(T a, T b) {                                             \
    const T m = a > b ? a : b;                                                          \
    return (a != a || b != b) ? a + b : m;                                              \
  }                                                                                     \
  static inline T elt_min_##sfx(T a, T b) {                                             \
    const T m = a < b ? a : b;                                                          \
    return (a != a || b != b) ? a + b : m;                                              \
  }                                                                                     \
  static inline T elt_clip_##sfx(T a, T lo, T hi) {                                     \
    T t = lo > a ? lo : a;                                                              \
    t = hi < t ? hi : t; /* a NaN a stays */                                            \
    return (lo != lo || hi != hi) ? lo + hi : t;                                        \
  }                                                                                     \
  static inline T elt_floor_##sfx(T x) {                                                \
    const bool small = fabs(x) < BIG;                                                   \
    const T c = small ? x : 0, t = (T)(I)c;                                             \
    return small ? copysign(t > c ? t - 1 : t, x) : x;                                  \
  }                                                                                     \
  static inline T elt_ceil_##sfx(T x) {                                                 \
    const bool small = fabs(x) < BIG;                                                   \
    const T c = small ? x : 0, t = (T)(I)c;                                             \
    return small ? copysign(t < c ? t + 1 : t, x) : x;                                  \
  }                                                                                     \
  static inline T elt_rint_##sfx(T x) {                                                 \
    const T r = (fabs(x) + BIG) - BIG;                                                  \
    return fabs(x) < BIG ? copysign(r, x) : x;                                          \
  }

FLOAT_ROUNDING(f32, float, int32_t, 0x1p23f)
FLOAT_ROUNDING(f64, double, int64_t, 0x1p52)

/* ---- the loops ---- */

/* Comparisons and logical ops of every dtype give bool; x != 0 is NumPy's truth (NaN is
 * true). */
#define COMPARE_LOOPS(sfx, T)                                                           \
  BINARY_LOOP(eq_##sfx, T, bool, a == b)                                                \
  BINARY_LOOP(ne_##sfx, T, bool, a != b)                                                \
  BINARY_LOOP(lt_##sfx, T, bool, a < b)                                                 \
  BINARY_LOOP(le_##sfx, T, bool, a <= b)                                                \
  BINARY_LOOP(gt_##sfx, T, bool, a > b)                                                 \
  BINARY_LOOP(ge_##sfx, T, bool, a >= b)                                                \
  BINARY_LOOP(land_##sfx, T, bool, (a != 0) & (b != 0))                                 \
  BINARY_LOOP(lor_##sfx, T, bool, (a != 0) | (b != 0))                                  \
  BINARY_LOOP(lxor_##sfx, T, bool, (a != 0) != (b != 0))                                \
  UNARY_LOOP(lnot_##sfx, T, bool, a == 0)

/* where reads its bool condition as uint8_t bytes, so it vectorises (see the bool loops). */
#define INT_LOOPS(sfx, T, U)                                                            \
  COMPARE_LOOPS(sfx, T)                                                                 \
  BINARY_LOOP(add_##sfx, T, T, (U)a + (U)b)                                             \
  BINARY_LOOP(sub_##sfx, T, T, (U)a - (U)b)                                             \
  BINARY_LOOP(mul_##sfx, T, T, (U)a * (U)b)                                             \
  BINARY_LOOP(floordiv_##sfx, T, T, elt_floordiv_##sfx(a, b))                           \
  BINARY_LOOP(mod_##sfx, T, T, elt_mod_##sfx(a, b))                                     \
  BINARY_LOOP(pow_##sfx, T, T, elt_pow_##sfx(a, b))                                     \
  BINARY_LOOP(minimum_##sfx, T, T, INT_MIN_OF(a, b))                                    \
  BINARY_LOOP(maximum_##sfx, T, T, INT_MAX_OF(a, b))                                    \
  UNARY_LOOP(neg_##sfx, T, T, (U)0 - (U)a)                                              \
  UNARY_LOOP(copy_##sfx, T, T, a)                                                       \
  UNARY_LOOP(isfinite_##sfx, T, bool, true)                                             \
  UNARY_LOOP(never_##sfx, T, bool, false)                                               \
  TERNARY_LOOP(where_##sfx, uint8_t, T, a ? b : c)                                      \
  TERNARY_LOOP(clip_##sfx, T, T, INT_MIN_OF(INT_MAX_OF(a, b), c))

INT_LOOPS(u8, uint8_t, uint32_t)
INT_LOOPS(i8, int8_t, uint32_t)
INT_LOOPS(i16, int16_t, uint32_t)
INT_LOOPS(i32, int32_t, uint32_t)
INT_LOOPS(i64, int64_t, uint64_t)

/* abs of a signed int wraps at MIN like NumPy's (abs(int8(-128)) == -128). */
UNARY_LOOP(abs_i8, int8_t, int8_t, a < 0 ? (uint32_t)0 - (uint32_t)a : (uint32_t)a)
UNARY_LOOP(abs_i16, int16_t, int16_t, a < 0 ? (uint32_t)0 - (uint32_t)a : (uint32_t)a)
UNARY_LOOP(abs_i32, int32_t, int32_t, a < 0 ? (uint32_t)0 - (uint32_t)a : (uint32_t)a)
UNARY_LOOP(abs_i64, int64_t, int64_t, a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a)

/* bool arithmetic as NumPy: + is or, * is and; min is and, max is or. bool elements are
 * read as the bytes 0 and 1 they are: GCC vectorises loops over uint8_t, not over _Bool. */
COMPARE_LOOPS(b, uint8_t)
BINARY_LOOP(or_b, uint8_t, uint8_t, a | b)
BINARY_LOOP(and_b, uint8_t, uint8_t, a & b)
UNARY_LOOP(copy_b, uint8_t, uint8_t, a)
UNARY_LOOP(isfinite_b, uint8_t, bool, true)
UNARY_LOOP(never_b, uint8_t, bool, false)
TERNARY_LOOP(where_b, uint8_t, uint8_t, a ? b : c)
TERNARY_LOOP(clip_b, uint8_t, uint8_t, (a | b) & c)

/* Float loops: the math functions come from <tgmath.h>, so the float32 ones call the
 * f-suffixed libm functions and never widen to double. round is half to even (rint). */
#define FLOAT_LOOPS(sfx, T)                                                             \
  COMPARE_LOOPS(sfx, T)                                                                 \
  BINARY_LOOP(add_##sfx, T, T, a + b)                                                   \
  BINARY_LOOP(sub_##sfx, T, T, a - b)                                                   \
  BINARY_LOOP(mul_##sfx, T, T, a * b)                                                   \
  BINARY_LOOP(div_##sfx, T, T, a / b)                                                   \
  BINARY_LOOP(floordiv_##sfx, T, T, elt_floordiv_##sfx(a, b))                           \
  BINARY_LOOP(mod_##sfx, T, T, elt_mod_##sfx(a, b))                                     \
  BINARY_LOOP(pow_##sfx, T, T, pow(a, b))                                               \
  BINARY_LOOP(minimum_##sfx, T, T, elt_min_##sfx(a, b))                                 \
  BINARY_LOOP(maximum_##sfx, T, T, elt_max_##sfx(a, b))                                 \
  UNARY_LOOP(neg_##sfx, T, T, -a)                                                       \
  UNARY_LOOP(abs_##sfx, T, T, fabs(a))                                                  \
  UNARY_LOOP(sqrt_##sfx, T, T, sqrt(a))                                                 \
  MATH_LOOP(exp_##sfx, T, exp)                                                          \
  MATH_LOOP(log_##sfx, T, log)                                                          \
  MATH_LOOP(log2_##sfx, T, log2)                                                        \
  MATH_LOOP(log10_##sfx, T, log10)                                                      \
  MATH_LOOP(sin_##sfx, T, sin)                                                          \
  MATH_LOOP(cos_##sfx, T, cos)                                                          \
  MATH_LOOP(tan_##sfx, T, tan)                                                          \
  MATH_LOOP(tanh_##sfx, T, tanh)                                                        \
  UNARY_LOOP(floor_##sfx, T, T, elt_floor_##sfx(a))                                     \
  UNARY_LOOP(ceil_##sfx, T, T, elt_ceil_##sfx(a))                                       \
  UNARY_LOOP(round_##sfx, T, T, elt_rint_##sfx(a))                                      \
  UNARY_LOOP(isnan_##sfx, T, bool, isnan(a))                                            \
  UNARY_LOOP(isinf_##sfx, T, bool, isinf(a))                                            \
  UNARY_LOOP(isfinite_##sfx, T, bool, isfinite(a))                                      \
  TERNARY_LOOP(where_##sfx, uint8_t, T, a ? b : c)                                      \
  TERNARY_LOOP(clip_##sfx, T, T, elt_clip_##sfx(a, b, c))

FLOAT_LOOPS(f32, float)
FLOAT_LOOPS(f64, double)

/* ---- the tables ---- */

#define COMPARE_ENTRIES(sfx, dt)                                                        \
  [HT_EQ][dt] = eq_##sfx, [HT_NE][dt] = ne_##sfx, [HT_LT][dt] = lt_##sfx,               \
  [HT_LE][dt] = le_##sfx, [HT_GT][dt] = gt_##sfx, [HT_GE][dt] = ge_##sfx,               \
  [HT_LAND][dt] = land_##sfx, [HT_LOR][dt] = lor_##sfx, [HT_LXOR][dt] = lxor_##sfx

#define ARITH_ENTRIES(sfx, dt)                                                          \
  COMPARE_ENTRIES(sfx, dt), [HT_ADD][dt] = add_##sfx, [HT_SUB][dt] = sub_##sfx,         \
  [HT_MUL][dt] = mul_##sfx, [HT_FLOORDIV][dt] = floordiv_##sfx,                         \
  [HT_MOD][dt] = mod_##sfx, [HT_POW][dt] = pow_##sfx,                                   \
  [HT_MINIMUM][dt] = minimum_##sfx, [HT_MAXIMUM][dt] = maximum_##sfx

static const ht_cpu_loop binary_loops[HT_NBINOPS][HT_NDTYPES] = {
    COMPARE_ENTRIES(b, HT_BOOL),
    [HT_ADD][HT_BOOL] = or_b,
    [HT_MUL][HT_BOOL] = and_b,
    [HT_MINIMUM][HT_BOOL] = and_b,
    [HT_MAXIMUM][HT_BOOL] = or_b,
    ARITH_ENTRIES(u8, HT_UINT8),
    ARITH_ENTRIES(i8, HT_INT8),
    ARITH_ENTRIES(i16, HT_INT16),
    ARITH_ENTRIES(i32, HT_INT32),
    ARITH_ENTRIES(i64, HT_INT64),
    ARITH_ENTRIES(f32, HT_FLOAT32),
    [HT_DIV][HT_FLOAT32] = div_f32,
    ARITH_ENTRIES(f64, HT_FLOAT64),
    [HT_DIV][HT_FLOAT64] = div_f64,
};

/* Ints and bool: floor/ceil/round copy, isnan/isinf are false, isfinite true. */
#define EXACT_ENTRIES(sfx, dt)                                                          \
  [HT_FLOOR][dt] = copy_##sfx, [HT_CEIL][dt] = copy_##sfx, [HT_ROUND][dt] = copy_##sfx, \
  [HT_ISNAN][dt] = never_##sfx, [HT_ISINF][dt] = never_##sfx,                           \
  [HT_ISFINITE][dt] = isfinite_##sfx, [HT_LNOT][dt] = lnot_##sfx

#define SIGNED_ENTRIES(sfx, dt)                                                         \
  EXACT_ENTRIES(sfx, dt), [HT_NEG][dt] = neg_##sfx, [HT_ABS][dt] = abs_##sfx

#define FLOAT_ENTRIES(sfx, dt)                                                          \
  [HT_NEG][dt] = neg_##sfx, [HT_ABS][dt] = abs_##sfx, [HT_SQRT][dt] = sqrt_##sfx,       \
  [HT_EXP][dt] = exp_##sfx, [HT_LOG][dt] = log_##sfx, [HT_LOG2][dt] = log2_##sfx,       \
  [HT_LOG10][dt] = log10_##sfx, [HT_SIN][dt] = sin_##sfx, [HT_COS][dt] = cos_##sfx,     \
  [HT_TAN][dt] = tan_##sfx, [HT_TANH][dt] = tanh_##sfx, [HT_FLOOR][dt] = floor_##sfx,   \
  [HT_CEIL][dt] = ceil_##sfx, [HT_ROUND][dt] = round_##sfx,                             \
  [HT_ISNAN][dt] = isnan_##sfx, [HT_ISINF][dt] = isinf_##sfx,                           \
  [HT_ISFINITE][dt] = isfinite_##sfx, [HT_LNOT][dt] = lnot_##sfx

static const ht_cpu_loop unary_loops[HT_NUNOPS][HT_NDTYPES] = {
    EXACT_ENTRIES(b, HT_BOOL),
    [HT_ABS][HT_BOOL] = copy_b,
    EXACT_ENTRIES(u8, HT_UINT8),
    [HT_NEG][HT_UINT8] = neg_u8, /* wraps: -uint8(1) == 255, as NumPy */
    [HT_ABS][HT_UINT8] = copy_u8,
    SIGNED_ENTRIES(i8, HT_INT8),
    SIGNED_ENTRIES(i16, HT_INT16),
    SIGNED_ENTRIES(i32, HT_INT32),
    SIGNED_ENTRIES(i64, HT_INT64),
    FLOAT_ENTRIES(f32, HT_FLOAT32),
    FLOAT_ENTRIES(f64, HT_FLOAT64),
};

static const ht_cpu_loop where_loops[HT_NDTYPES] = {
    where_b, where_u8, where_i8, where_i16, where_i32, where_i64, where_f32, where_f64};
static const ht_cpu_loop clip_loops[HT_NDTYPES] = {
    clip_b, clip_u8, clip_i8, clip_i16, clip_i32, clip_i64, clip_f32, clip_f64};

ht_cpu_loop ht_cpu_binary_loop(ht_binop op, ht_dtype t) {
  return (op < HT_NBINOPS && t < HT_NDTYPES) ? binary_loops[op][t] : NULL;
}

ht_cpu_loop ht_cpu_unary_loop(ht_unop op, ht_dtype t) {
  return (op < HT_NUNOPS && t < HT_NDTYPES) ? unary_loops[op][t] : NULL;
}

ht_cpu_loop ht_cpu_where_loop(ht_dtype t) { return t < HT_NDTYPES ? where_loops[t] : NULL; }
ht_cpu_loop ht_cpu_clip_loop(ht_dtype t) { return t < HT_NDTYPES ? clip_loops[t] : NULL; }
