/* The broadcasting iterator (NumPy's NpyIter, small): walks up to HT_ITER_MAXOP operands
 * of one shape and hands 1-D strided runs to a typed inner loop, split over OpenMP threads. */
#ifndef HT_ITER_H
#define HT_ITER_H

#include <stdint.h>

#include "array.h"

#define HT_ITER_MAXOP 4

/* n elements; ptrs[k] and strides[k] (bytes) per operand. ctx is the caller's. */
typedef void (*ht_inner_loop)(int64_t n, char **ptrs, const int64_t *strides, void *ctx);

typedef struct ht_iter {
  int nop;
  int ndim;                                  /* after coalescing; innermost last */
  int64_t shape[HT_MAXDIM];
  int64_t strides[HT_ITER_MAXOP][HT_MAXDIM]; /* bytes */
  char *base[HT_ITER_MAXOP];
  int64_t size;
} ht_iter;

/* Sets up nop operands over `shape`; strides in bytes (0 along broadcast axes).
 * Adjacent axes that are contiguous for every operand are merged. */
void ht_iter_init(ht_iter *it, int nop, int ndim, const int64_t *shape, char *const *base,
                  const int64_t (*strides)[HT_MAXDIM]);
/* Runs loop over every element; threads when size is large enough to pay. */
void ht_iter_run(const ht_iter *it, ht_inner_loop loop, void *ctx);

/* Byte strides of array a's local chunk broadcast to the local shape `shape` of ndim dims
 * (leading axes added, size-1 axes get stride 0). */
void ht_broadcast_strides(const ht_array *a, int ndim, const int64_t *shape, int64_t *out);

#endif
