/* The CPU's typed inner loops of the elementwise ops, looked up once per call by (op, dtype). */
#ifndef HT_CPU_ELEMENTWISE_H
#define HT_CPU_ELEMENTWISE_H

#include <stdint.h>

#include "ops.h"

/* n elements; ptrs[0] is the output, ptrs[1..] the inputs; strides in bytes. Every input
 * has the loop's dtype (the caller casts); no per-element dispatch happens inside. */
typedef void (*ht_cpu_loop)(int64_t n, char **ptrs, const int64_t *strides);

/* Inputs and output of dtype t, but bool output for comparisons and logical ops.
 * NULL where NumPy has no such loop: bool sub/div/floordiv/mod/pow, int div (the caller
 * resolves those to another dtype first). */
ht_cpu_loop ht_cpu_binary_loop(ht_binop op, ht_dtype t);
/* Input and output t, bool output for isnan/isinf/isfinite/logical_not. The math functions
 * (sqrt ... tanh) exist for float t only; neg has no bool loop; floor/ceil/round/abs of
 * ints and bool copy. */
ht_cpu_loop ht_cpu_unary_loop(ht_unop op, ht_dtype t);
/* ptrs: out, cond (bool), x, y; x, y and out of dtype t. */
ht_cpu_loop ht_cpu_where_loop(ht_dtype t);
/* ptrs: out, x, lo, hi, all of dtype t: min(max(x, lo), hi), NaN propagating. */
ht_cpu_loop ht_cpu_clip_loop(ht_dtype t);

#endif
