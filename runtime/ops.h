/* Distributed operations on ht_array: elementwise, reductions, factories, random.
 * Every function is collective over the arrays' communicator; all return NULL (or -1)
 * with ht_errmsg() set on bad input, identically on every rank. */
#ifndef HT_OPS_H
#define HT_OPS_H

#include "array.h"

/* ---- elementwise (runtime/ops/elementwise.c, kernels in runtime/cpu/elementwise.c) ---- */
/* The kind column says how an op's dtypes resolve, so an appended op states its rule:
 * SAME   the (promoted) input dtype;
 * BOOLI8 the same, with bool computed as int8 (NumPy's floordiv, mod, power of bools);
 * TRUEDIV float64 for ints and bool, floats keep their size (NumPy's 'bb->d' loops);
 * MATH   ht_float_result: float32 for small ints, where NumPy gives float16;
 * BOOL   computed in the (promoted) input dtype, the result is bool. */
typedef enum { HT_EW_SAME, HT_EW_BOOLI8, HT_EW_TRUEDIV, HT_EW_MATH, HT_EW_BOOL } ht_ew_kind;

#define HT_BINOPS(X)                                                                     \
  X(HT_ADD, "add", SAME) X(HT_SUB, "sub", SAME) X(HT_MUL, "mul", SAME)                  \
  X(HT_DIV, "div", TRUEDIV) X(HT_FLOORDIV, "floordiv", BOOLI8) X(HT_MOD, "mod", BOOLI8) \
  X(HT_POW, "pow", BOOLI8) X(HT_MINIMUM, "minimum", SAME) X(HT_MAXIMUM, "maximum", SAME) \
  X(HT_EQ, "eq", BOOL) X(HT_NE, "ne", BOOL) X(HT_LT, "lt", BOOL) X(HT_LE, "le", BOOL)   \
  X(HT_GT, "gt", BOOL) X(HT_GE, "ge", BOOL) X(HT_LAND, "logical_and", BOOL)              \
  X(HT_LOR, "logical_or", BOOL) X(HT_LXOR, "logical_xor", BOOL)

#define HT_UNOPS(X)                                                                      \
  X(HT_NEG, "neg", SAME) X(HT_ABS, "abs", SAME) X(HT_SQRT, "sqrt", MATH)                \
  X(HT_EXP, "exp", MATH) X(HT_LOG, "log", MATH) X(HT_LOG2, "log2", MATH)                 \
  X(HT_LOG10, "log10", MATH) X(HT_SIN, "sin", MATH) X(HT_COS, "cos", MATH)               \
  X(HT_TAN, "tan", MATH) X(HT_TANH, "tanh", MATH) X(HT_FLOOR, "floor", SAME)             \
  X(HT_CEIL, "ceil", SAME) X(HT_ROUND, "round", SAME) X(HT_ISNAN, "isnan", BOOL)         \
  X(HT_ISINF, "isinf", BOOL) X(HT_ISFINITE, "isfinite", BOOL)                            \
  X(HT_LNOT, "logical_not", BOOL)

typedef enum {
#define HT_X(e, n, k) e,
  HT_BINOPS(HT_X)
#undef HT_X
  HT_NBINOPS
} ht_binop;

typedef enum {
#define HT_X(e, n, k) e,
  HT_UNOPS(HT_X)
#undef HT_X
  HT_NUNOPS
} ht_unop;

const char *ht_binop_name(ht_binop op);
const char *ht_unop_name(ht_unop op);
ht_ew_kind ht_binop_kind(ht_binop op);
ht_ew_kind ht_unop_kind(ht_unop op);
/* NumPy broadcasting of two global shapes; 0 or -1 (message names fn and both shapes). */
int ht_broadcast_shapes(const char *fn, int na, const int64_t *sa, int nb, const int64_t *sb,
                        int *nout, int64_t *out);

ht_array *ht_binary(ht_binop op, const ht_array *a, const ht_array *b);
/* out = a op b in place of out (add, sub, mul, div); 0 or -1. */
int ht_binary_out(ht_binop op, const ht_array *a, const ht_array *b, ht_array *out);
ht_array *ht_unary(ht_unop op, const ht_array *a);
/* NumPy's out=: the result written into out, which must have the result's shape and split
 * and a dtype it casts to (same_kind); no new array when out also has the result's dtype.
 * 0 or -1 (ht_where_into: out or NULL; out NULL there makes a new array). */
int ht_binary_into(ht_binop op, const ht_array *a, const ht_array *b, ht_array *out);
int ht_unary_into(ht_unop op, const ht_array *a, ht_array *out);
ht_array *ht_where_into(const ht_array *cond, const ht_array *a, const ht_array *b,
                        ht_array *out);
/* out= checks, metadata only (so every rank agrees): 0, or -1 with a message naming fn,
 * both shapes, dtypes and splits; exact: out's dtype must be t (argmin's int64, as NumPy's
 * safe casting). ht_write_out copies res (freed) into out, moving rows to out's counts and
 * casting; 0 or -1. */
int ht_check_out(const char *fn, const ht_array *out, int ndim, const int64_t *shape,
                 int split, ht_dtype t, bool exact);
int ht_write_out(const char *fn, ht_array *res, ht_array *out);
/* NumPy's round(a, decimals): rint(a * 10^d) / 10^d (d < 0: rint(a / 10^-d) * 10^-d);
 * ints and bool are copied (negative decimals of them are an error). */
ht_array *ht_round(const ht_array *a, int64_t decimals);
/* where(cond, a, b); cond is cast to bool. */
ht_array *ht_where(const ht_array *cond, const ht_array *a, const ht_array *b);
/* clip to [lo, hi]; either may be NULL (no bound). */
ht_array *ht_clip(const ht_array *a, const ht_array *lo, const ht_array *hi);
/* A 0-d replicated array holding one value (the binding's Lua numbers). */
ht_array *ht_scalar(ht_dtype t, double value);

/* ---- reductions (runtime/ops/reduce.c, kernels in runtime/cpu/reduce.c) ---- */
typedef enum {
  HT_RSUM, HT_RPROD, HT_RMEAN, HT_RVAR, HT_RSTD, HT_RMIN, HT_RMAX,
  HT_RARGMIN, HT_RARGMAX, HT_RALL, HT_RANY, HT_NREDOPS
} ht_redop;

typedef struct ht_reduce_opts {
  int naxes;                 /* 0: reduce over every axis */
  int axes[HT_MAXDIM];       /* already normalised to 0..ndim-1, distinct */
  bool keepdims;
  int ddof;                  /* var, std */
} ht_reduce_opts;

const char *ht_redop_name(ht_redop op);
/* Result dtypes follow NumPy: sum/prod of bool and ints give int64 (uint8 too),
 * mean/var/std of ints float64, argmin/argmax int64, all/any bool. float32 accumulates
 * in float64. argmin/argmax accept at most one axis (none: flat index). */
ht_array *ht_reduce(ht_redop op, const ht_array *a, const ht_reduce_opts *opts);
/* The same into out (out=, see ht_check_out); 0 or -1. */
int ht_reduce_into(ht_redop op, const ht_array *a, const ht_reduce_opts *opts, ht_array *out);

/* ---- factories (runtime/ops/factories.c) ---- */
ht_array *ht_full(ht_dtype t, int ndim, const int64_t *gshape, int split, ht_device dev,
                  double value);
/* The same with the caller's name in messages (zeros, ones, empty_like...); empty leaves
 * the data uninitialised. */
ht_array *ht_full_named(const char *fn, ht_dtype t, int ndim, const int64_t *gshape, int split,
                        ht_device dev, double value);
ht_array *ht_empty_named(const char *fn, ht_dtype t, int ndim, const int64_t *gshape, int split,
                         ht_device dev);
/* x's shape in dtype t with the given split; an unbalanced x split the same way keeps its
 * counts, so x + zeros_like(x) moves no data. fill false: uninitialised (empty_like). */
ht_array *ht_full_like(const char *fn, const ht_array *x, ht_dtype t, int split, ht_device dev,
                       bool fill, double value);
/* start + i*step while before stop (NumPy's length ceil((stop - start) / step)). t
 * HT_NDTYPES: Heat's rule, int32 when every argument is integral (int64 when a bound does
 * not fit int32), else float32. */
ht_array *ht_arange(ht_dtype t, double start, double stop, double step, int split,
                    ht_device dev);
ht_array *ht_linspace(ht_dtype t, double start, double stop, int64_t num, bool endpoint,
                      int split, ht_device dev);
ht_array *ht_logspace(ht_dtype t, double start, double stop, int64_t num, bool endpoint,
                      double base, int split, ht_device dev);
ht_array *ht_eye(ht_dtype t, int64_t n, int64_t m, int64_t k, int split, ht_device dev);
/* A replicated array from a C-contiguous host buffer of dtype `src_t`, then split. */
ht_array *ht_from_buffer(ht_dtype t, int ndim, const int64_t *gshape, int split,
                         ht_device dev, ht_dtype src_t, const void *src);

/* ---- random (runtime/ops/random.c): Philox4x32-10 keyed by (seed, global index) ---- */
void ht_random_seed(uint64_t seed);
uint64_t ht_random_get_seed(void);
ht_array *ht_random_uniform(ht_dtype t, int ndim, const int64_t *gshape, int split,
                            ht_device dev, double low, double high);
ht_array *ht_random_normal(ht_dtype t, int ndim, const int64_t *gshape, int split,
                           ht_device dev, double mean, double std);
/* integers in [low, high) */
ht_array *ht_random_randint(ht_dtype t, int ndim, const int64_t *gshape, int split,
                            ht_device dev, int64_t low, int64_t high);

#endif
