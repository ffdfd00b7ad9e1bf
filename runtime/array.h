/* The distributed n-dimensional array (Heat's DNDarray): one split axis, a block per rank. */
#ifndef HT_ARRAY_H
#define HT_ARRAY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dtype.h"
#include "error.h"

#define HT_MAXDIM 8

typedef enum { HT_CPU = 0, HT_GPU = 1 } ht_device;

/* Reference-counted storage shared by views. Only the owning rank's one thread touches
 * the count, so it is a plain integer. */
typedef struct ht_buffer {
  void *data;
  int64_t nbytes;
  ht_device device;
  int64_t refcount;
} ht_buffer;

typedef struct ht_array {
  ht_dtype dtype;
  ht_device device;
  int ndim;
  int split;                      /* the split axis, or -1: replicated on every rank */
  int64_t gshape[HT_MAXDIM];
  int64_t lshape[HT_MAXDIM];      /* this rank's chunk */
  int64_t strides[HT_MAXDIM];     /* of the local chunk, in elements (may be 0 or negative) */
  int64_t offset;                 /* first element of the chunk in buf, in elements */
  int64_t *counts;                /* split >= 0: rows along split on each rank (nprocs) */
  ht_buffer *buf;
} ht_array;

/* ---- storage ---- */
/* NULL with the error set when a buffer of HT_AGREE_BYTES or more, or on a device, cannot
 * be allocated (the caller agrees on it before any collective); a smaller host buffer that
 * fails ends the job. */
ht_buffer *ht_buffer_new(int64_t nbytes, ht_device device);
void ht_buffer_release(ht_buffer *b);
/* Bytes held by live buffers on this rank (the binding's GC pacing reads it). */
int64_t ht_bytes_live(void);

/* ---- construction (collective only in that every rank must agree on the arguments) ---- */
/* A new contiguous array, balanced along split, data uninitialised. */
ht_array *ht_array_empty(ht_dtype t, int ndim, const int64_t *gshape, int split, ht_device dev);
/* The same with given counts along split (NULL: balanced). */
ht_array *ht_array_empty_counts(ht_dtype t, int ndim, const int64_t *gshape, int split,
                                const int64_t *counts, ht_device dev);
/* Failure policy (docs/reliability.md): a result of HT_AGREE_BYTES or more, or on a
 * device, is agreed on (one allreduce; every rank raises "fn: out of memory ..." together);
 * a smaller host one that cannot be allocated ends the job (ht_fatal) rather than leave
 * the other ranks waiting.
 * Collective for big results; every rank passes the same arguments. */
#define HT_AGREE_BYTES ((int64_t)1 << 20)
ht_array *ht_array_new_agreed(const char *fn, ht_dtype t, int ndim, const int64_t *gshape,
                              int split, const int64_t *counts, ht_device dev);
/* Fault injection for tests: the n-th data allocation (ht_buffer_new, ht_scratch_alloc)
 * of minbytes or more from now on rank `rank` fails as if out of memory (n = 0 disarms).
 * HEATLUA_FAIL_ALLOC=rank:n arms it (minbytes 0) at the first allocation; the Lua tests
 * call heat.core._fail_alloc(rank, n[, minbytes]). */
void ht_fail_alloc_arm(int rank, int64_t n, int64_t minbytes);
/* Host scratch for a data-sized temporary (a workspace, a packed copy, a receive buffer),
 * freed with free(): NULL with "fn: out of memory allocating N bytes" set when it cannot
 * be had. The caller agrees (ht_comm_agree) before its next collective, so every rank
 * raises together (docs/reliability.md). */
void *ht_scratch_alloc(int64_t nbytes, const char *fn);
/* NumPy's "array is too big" when size * itemsize overflows int64, and a clear error when
 * the largest rank's block exceeds this machine's memory; messages start with fn. Depends
 * on the arguments only, so every rank agrees without communicating. 0 or -1. */
int ht_check_size(const char *fn, ht_dtype t, int ndim, const int64_t *gshape, int split,
                  const int64_t *counts, ht_device dev);
/* A new array struct sharing a's buffer (a view with a's layout). */
ht_array *ht_array_view(const ht_array *a);
void ht_array_free(ht_array *a);

/* ---- layout ---- */
int64_t ht_array_gsize(const ht_array *a);
int64_t ht_array_lsize(const ht_array *a);
void *ht_array_data(const ht_array *a);       /* address of the chunk's first element */
bool ht_array_is_contiguous(const ht_array *a); /* C order, no gaps */
/* Global index of this rank's first row along split (0 when replicated). */
int64_t ht_array_lstart(const ht_array *a);
bool ht_array_is_balanced(const ht_array *a);
void ht_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);

/* ---- data movement (collective when the array is split) ---- */
/* A C-contiguous copy of the local chunk, same distribution. */
ht_array *ht_copy(const ht_array *a);
/* a itself as a view if contiguous, else a contiguous copy. */
ht_array *ht_contiguous(const ht_array *a);
ht_array *ht_astype(const ht_array *a, ht_dtype t);
/* A contiguous copy of a's chunks in the memory of device dev (host<->device through the
 * backends of device.h), same distribution. Agreed: fails on every rank together. */
ht_array *ht_to_device(const ht_array *a, ht_device dev);
/* Redistributes to split `axis` (-1: replicate on every rank). */
ht_array *ht_resplit(const ht_array *a, int axis);
/* Moves rows along the split axis so that rank r holds counts[r] of them (NULL: balanced). */
ht_array *ht_redistribute(const ht_array *a, const int64_t *counts);
ht_array *ht_balance(const ht_array *a);
/* Gathers the whole array, C-contiguous, into `out` on root (root -1: on every rank). */
int ht_gather(const ht_array *a, int root, void *out);

/* Copies a strided local block: the broadcasting iterator over 2 operands, casting dtype. */
int ht_copy_into(ht_array *dst, const ht_array *src);

/* ---- stack headers (borrow a buffer; never freed) ---- */
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

#endif
