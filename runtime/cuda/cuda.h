/* The CUDA twins of CPU kernels: launchers callable from the C runtime, built only when
 * nvcc is found (HT_HAVE_CUDA). Pointers are device memory; every launcher returns 0, or
 * -1 with ht_errmsg() set. */
#ifndef HT_CUDA_H
#define HT_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "ops.h"

/* out = a op b over n contiguous elements of dtype t; op add, sub, mul or div and t
 * float32 or float64 (elsewhere an error). */
int ht_cuda_binary(ht_binop op, ht_dtype t, int64_t n, void *out, const void *a,
                   const void *b);
/* out = op(a) over n contiguous elements; op exp, t float32 or float64. */
int ht_cuda_unary(ht_unop op, ht_dtype t, int64_t n, void *out, const void *a);

#ifdef __cplusplus
}
#endif

#endif
