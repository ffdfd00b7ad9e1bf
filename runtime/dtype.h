/* dtypes: names, sizes, NumPy's promotion table and casting loops. */
#ifndef HT_DTYPE_H
#define HT_DTYPE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Order matters: it is the row/column order of the promotion table. */
#define HT_DTYPES(X)                     \
  X(HT_BOOL, bool, "bool", 1)            \
  X(HT_UINT8, uint8_t, "uint8", 1)       \
  X(HT_INT8, int8_t, "int8", 1)          \
  X(HT_INT16, int16_t, "int16", 2)       \
  X(HT_INT32, int32_t, "int32", 4)       \
  X(HT_INT64, int64_t, "int64", 8)       \
  X(HT_FLOAT32, float, "float32", 4)     \
  X(HT_FLOAT64, double, "float64", 8)

typedef enum {
#define HT_X(e, t, n, s) e,
  HT_DTYPES(HT_X)
#undef HT_X
  HT_NDTYPES
} ht_dtype;

size_t ht_dtype_size(ht_dtype t);
const char *ht_dtype_name(ht_dtype t);
/* Accepts NumPy's names and aliases ("float32", "f4", "float", "int", ...); 0 on success. */
int ht_dtype_from_name(const char *name, ht_dtype *out);

static inline bool ht_dtype_is_float(ht_dtype t) { return t == HT_FLOAT32 || t == HT_FLOAT64; }
static inline bool ht_dtype_is_int(ht_dtype t) { return t >= HT_UINT8 && t <= HT_INT64; }

/* A double that is an exact integer: integral and |v| <= 2^53 (past it a double skips
 * integers, so Lua numbers there are not trusted as indices or counts). */
static inline bool ht_is_exact_int(double v) { return v == floor(v) && fabs(v) <= 0x1p53; }
/* A double that is an int64 value: integral and |v| < 2^63 (inf, nan and 1e300 are not,
 * so they make float arrays, never INT64_MIN). Wider than ht_is_exact_int: a value, not
 * an index. */
/* -0.0 is not an integer: NumPy keeps its sign only in a float (np.array([-0.0, 1]) is
 * float64), and LuaJIT's -0 is that same double. */
static inline bool ht_is_int_value(double v) {
  return v == floor(v) && fabs(v) < 0x1p63 && !(v == 0 && signbit(v));
}

/* NumPy's result_type for two arrays (np.promote_types). */
ht_dtype ht_promote(ht_dtype a, ht_dtype b);
/* NEP 50: the dtype a Lua number takes next to an array of dtype `other`
 * (integral values keep the array's kind, a fraction makes ints float64). */
ht_dtype ht_weak_scalar_dtype(ht_dtype other, double value, bool is_bool);
/* NEP 50: an integral Lua number next to an integer array must fit its dtype. */
bool ht_int_value_fits(ht_dtype t, double v);
/* The float dtype that a true division or a mean of `t` produces (NumPy). */
ht_dtype ht_float_result(ht_dtype t);

/* Casts n elements between strided buffers (strides in bytes). */
void ht_cast(ht_dtype from, const void *src, int64_t sstride, ht_dtype to, void *dst,
             int64_t dstride, int64_t n);
/* Reads one element as double / writes a double into one element. */
double ht_get_f64(ht_dtype t, const void *p);
/* Element i of a float32 (else float64) buffer as double: inline, for the kernels' loops. */
static inline double ht_get_float(ht_dtype t, const void *p, int64_t i) {
  return t == HT_FLOAT32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}
void ht_set_f64(ht_dtype t, void *p, double v);
int64_t ht_get_i64(ht_dtype t, const void *p);

#endif
