/* Shared by the manipulation ops: stack headers for parts of a local chunk, axis checks,
 * and the placement of row segments into a distribution (runtime/ops/place.c). */
#ifndef HT_MANIP_UTIL_H
#define HT_MANIP_UTIL_H

#include <string.h>

#include "../array.h"
#include "../comm.h"

/* A header for rows [lo, lo+len) along `axis` of a's local chunk, as a plain local block
 * (no counts; it borrows a's buffer and must not be freed). */
static inline ht_array ht_narrow(const ht_array *a, int axis, int64_t lo, int64_t len) {
  ht_array v = *a;
  v.counts = NULL;
  v.split = -1;
  v.offset += lo * a->strides[axis];
  v.lshape[axis] = len;
  v.gshape[axis] = len;
  return v;
}

/* A header over raw memory `at` holding `lshape` C-contiguously as dtype t; `fake` is the
 * caller's storage for the buffer record. */
static inline ht_array ht_raw(ht_buffer *fake, ht_dtype t, int ndim, const int64_t *lshape,
                              void *at) {
  ht_array v;
  memset(&v, 0, sizeof v);
  v.dtype = t;
  v.ndim = ndim;
  v.split = -1;
  memcpy(v.lshape, lshape, sizeof(int64_t) * (size_t)ndim);
  memcpy(v.gshape, lshape, sizeof(int64_t) * (size_t)ndim);
  ht_contiguous_strides(ndim, v.lshape, v.strides);
  fake->data = at;
  fake->refcount = 1 << 30; /* never released through this header */
  v.buf = fake;
  return v;
}

/* Normalises axis for ndim dimensions (NumPy's message); -1 on error. */
static inline int ht_norm_axis(const char *fn, int64_t axis, int ndim) {
  if (axis < -ndim || axis >= ndim)
    return ht_error("%s: axis %lld is out of bounds for array of dimension %d", fn,
                    (long long)axis, ndim);
  return (int)(axis < 0 ? axis + ndim : axis);
}

static inline int ht_check_cpu(const ht_array *a, const char *fn) {
  if (a->device != HT_CPU)
    return ht_error("%s: arrays on device 'gpu' are not supported by this operation yet", fn);
  return 0;
}

/* Global rows [rows_lo(r), +counts[r]) of rank r along a distribution (split < 0: all). */
static inline int64_t ht_rank_lo(const int64_t *counts, int r) {
  int64_t s = 0;
  for (int q = 0; q < r; q++) s += counts[q];
  return s;
}

/* ---- placement ----
 * Every rank holds row segments of the result along `axis`: segment {src, lo, len, glo}
 * says that rows [lo, lo+len) of this rank's local block src[k] become the result's
 * global rows [glo, glo+len). segs(q, out, ctx) lists rank q's segments (the same on
 * every rank: it depends only on replicated metadata), at most maxseg of them.
 * ht_place moves every segment to the ranks that own those rows of `out` (split == axis,
 * or replicated: every rank gets all of them), casting to out's dtype; rows already on
 * their owner are copied locally. The src blocks have out's local shape except along
 * axis. Rows of out that no segment covers are left as they are. */
typedef struct ht_seg {
  int src;
  int64_t lo, len, glo;
} ht_seg;

typedef int (*ht_seg_fn)(int q, ht_seg *segs, void *ctx);

int ht_place(ht_array *out, int axis, const ht_array *const *src, ht_seg_fn segs,
             int maxseg, void *ctx, const char *fn);

/* Contiguous rows [lo, lo+len) of a rank's data (src 0) placed at global row glo; the
 * common single-segment case of ht_place. lo/len/glo are per rank (arrays of nprocs). */
typedef struct ht_seg1 {
  const int64_t *lo, *len, *glo;
} ht_seg1;
int ht_seg1_fn(int q, ht_seg *segs, void *ctx);

#endif
