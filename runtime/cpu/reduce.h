/* Local reduction kernels: a C-contiguous chunk seen as (O, R, I) is reduced over R,
 * giving O*I accumulators in C order (runtime/cpu/reduce.c). */
#ifndef HT_CPU_REDUCE_H
#define HT_CPU_REDUCE_H

#include <stdbool.h>
#include <stdint.h>

#include "../dtype.h"

/* The kernel ops, one row each: the identity of a double and of an int64 accumulator,
 * and how two partial results join (across threads here, across ranks in ops/reduce.c:
 * all/any accumulators hold 0 or 1, so they join as min/max; a squared deviation as a sum;
 * argmin/argmax as candidates merged by ht_cpu_reduce_merge). */
#define HT_KOPS(X)                                       \
  X(HT_K_SUM, 0, 0, SUM)                                 \
  X(HT_K_PROD, 1, 1, PROD)                               \
  X(HT_K_SQDEV, 0, 0, SUM)                               \
  X(HT_K_MIN, INFINITY, INT64_MAX, MIN)                  \
  X(HT_K_MAX, -INFINITY, INT64_MIN, MAX)                 \
  X(HT_K_ALL, 1, 1, MIN)                                 \
  X(HT_K_ANY, 0, 0, MAX)                                 \
  X(HT_K_ARGMIN, 0, 0, ARG)                              \
  X(HT_K_ARGMAX, 0, 0, ARG)

typedef enum {
#define HT_X(e, f, i, j) e,
  HT_KOPS(HT_X)
#undef HT_X
} ht_kop;

typedef enum { HT_JOIN_SUM, HT_JOIN_PROD, HT_JOIN_MIN, HT_JOIN_MAX, HT_JOIN_ARG } ht_kjoin;

/* How partial results of op join (the HT_KOPS column). */
ht_kjoin ht_cpu_kop_join(ht_kop op);

/* argmin/argmax accumulator: the best value (double for float inputs, int64 otherwise,
 * so every value is exact) and its index along R; idx -1 means nothing seen yet. */
typedef struct ht_argacc {
  union {
    double f;
    int64_t i;
  } v;
  int64_t idx;
} ht_argacc;

typedef struct ht_rjob {
  ht_kop op;
  ht_dtype t;            /* the input's dtype */
  bool f64;              /* accumulate in double, else in int64 (integer and bool inputs) */
  const void *in;        /* O*R*I elements, C order; unread when R == 0 */
  int64_t O, R, I;
  const double *center;  /* HT_K_SQDEV: sum of (x - center[o*I + i])^2 */
} ht_rjob;

/* Accumulators are double (f64), int64_t, or ht_argacc (HT_K_ARGMIN/ARGMAX), 8 or 16 bytes. */
size_t ht_cpu_acc_size(const ht_rjob *j);
/* acc[o*I + i] = the op over r of in[o, r, i], the identity when R == 0. */
void ht_cpu_reduce(const ht_rjob *j, void *acc);
/* acc[k] = acc[k] (op) part[k] for n accumulators: how partial results of other threads
 * or ranks join (argmin/argmax: ties go to the smaller idx, NaN wins as in NumPy). */
void ht_cpu_reduce_merge(const ht_rjob *j, void *acc, const void *part, int64_t n);

/* Exact sums (runtime/cpu/reduce_exact.c) for HT_K_SUM and HT_K_SQDEV with j->f64: each
 * output's terms added without rounding, so any split among threads and ranks gives the
 * same bits. Into xacc[O*I] (normalised, to be joined across ranks) when xacc is given,
 * else correctly rounded into out[O*I]. -1 when scratch memory cannot be had. */
struct ht_xacc;
int ht_cpu_reduce_exact(const ht_rjob *j, struct ht_xacc *xacc, double *out);
/* var/std's two local passes fused for rows (j: the HT_K_SUM job, I == 1, rows short
 * enough to tile): mean[o] = (exact sum of row o) / N, out[o] = the exact sum of the
 * squared deviations from mean[o]; the bits of the two passes. 0: done; 1: not taken
 * (the caller runs the passes); -1: out of scratch memory. */
int ht_cpu_var_rows_exact(const ht_rjob *j, double N, double *mean, double *out);

#endif
