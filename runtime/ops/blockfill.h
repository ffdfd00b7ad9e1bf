/* Filling a new array's local block by global element index: what factories and random
 * numbers share, so each rank writes its own block with no communication. */
#ifndef HT_BLOCKFILL_H
#define HT_BLOCKFILL_H

#include <stdint.h>

#include "array.h"
#include "comm.h"
#include "device.h"
#include "error.h"

/* Writes n consecutive elements whose C-order global flat indices are g, g+1, ... */
typedef void (*op_fill_run)(char *out, int64_t g, int64_t n, const void *ctx);

/* Elements per task: big enough to amortise a task, small enough to balance two cores. */
#define OP_FILL_CHUNK 16384

/* The local chunk of a freshly allocated (C-contiguous) array is `outer` runs of
 * consecutive global indices, one per index of the axes before split; each run is cut
 * into chunks, and the chunks go to OpenMP threads. */
static inline void op_fill_by_index(ht_array *a, op_fill_run fill, const void *ctx) {
  int64_t outer = 1, inner = 1, rows, grows, lstart = ht_array_lstart(a);
  if (a->split < 0) {
    rows = grows = ht_array_gsize(a);
  } else {
    for (int d = 0; d < a->split; d++) outer *= a->gshape[d];
    for (int d = a->split + 1; d < a->ndim; d++) inner *= a->gshape[d];
    rows = a->lshape[a->split];
    grows = a->gshape[a->split];
  }
  int64_t runlen = rows * inner;
  if (runlen == 0 || outer == 0) return;
  int64_t nchunks = (runlen + OP_FILL_CHUNK - 1) / OP_FILL_CHUNK, ntasks = outer * nchunks;
  int64_t isz = (int64_t)ht_dtype_size(a->dtype);
  char *base = ht_array_data(a);
#pragma omp parallel for schedule(static) if (outer * runlen > OP_FILL_CHUNK)
  for (int64_t t = 0; t < ntasks; t++) {
    int64_t o = t / nchunks, c0 = (t % nchunks) * OP_FILL_CHUNK;
    int64_t n = runlen - c0 < OP_FILL_CHUNK ? runlen - c0 : OP_FILL_CHUNK;
    fill(base + (o * runlen + c0) * isz, (o * grows + lstart) * inner + c0, n, ctx);
  }
}

/* The range of an integer dtype (bool: 0..1). */
static inline void op_int_limits(ht_dtype t, int64_t *lo, int64_t *hi) {
  switch (t) {
  case HT_BOOL: *lo = 0, *hi = 1; break;
  case HT_UINT8: *lo = 0, *hi = UINT8_MAX; break;
  case HT_INT8: *lo = INT8_MIN, *hi = INT8_MAX; break;
  case HT_INT16: *lo = INT16_MIN, *hi = INT16_MAX; break;
  case HT_INT32: *lo = INT32_MIN, *hi = INT32_MAX; break;
  default: *lo = INT64_MIN, *hi = INT64_MAX; break;
  }
}

/* The checks every factory shares; messages start with fn. 0 or -1. */
static inline int op_check_factory(const char *fn, ht_dtype t, int ndim, const int64_t *gshape,
                                   int split, ht_device dev) {
  char sh[128];
  if (ndim < 0 || ndim > HT_MAXDIM)
    return ht_error("%s: %d dimensions, at most %d are supported", fn, ndim, HT_MAXDIM);
  for (int d = 0; d < ndim; d++)
    if (gshape[d] < 0) return ht_error("%s: negative dimensions are not allowed", fn);
  if (split < -1 || split >= ndim)
    return ht_error("%s: split %d is out of range for shape %s", fn, split,
                    ht_fmt_shape(sh, sizeof sh, ndim, gshape));
  if (ht_device_unsupported(dev, fn)) return -1;
  return ht_check_size(fn, t, ndim, gshape, split, NULL, dev);
}

/* A factory's new array, under the failure policy of ht_array_new_agreed: every rank
 * calls a factory with the same arguments. */
static inline ht_array *op_factory_empty(const char *fn, ht_dtype t, int ndim,
                                         const int64_t *gshape, int split, ht_device dev) {
  return ht_array_new_agreed(fn, t, ndim, gshape, split, NULL, dev);
}

#endif
