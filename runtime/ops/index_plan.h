/* What getitem (indexing.c) and setitem (index_set.c) share, internal to runtime/ops/:
 * the plan (an index expression checked against an array's global shape and its basic
 * items applied as a view, index_plan.c) and the helpers of index_util.c. */
#ifndef HT_INDEX_PLAN_H
#define HT_INDEX_PLAN_H

#include "../comm.h"
#include "../device.h"
#include "../exchange.h"
#include "../indexing.h"

typedef struct ht_index_plan {
  ht_array *view;       /* numbers, slices and newaxes applied; the array item's axes whole */
  int int_axis;         /* axis of view (global length 1, the split axis) that a number
                           picked: still to be removed, or -1 */
  int rev_axis;         /* the split axis of view, selected in increasing order where the
                           index asked for a negative step: still to be reversed, or -1 */
  const ht_array *adv;  /* the array item (bool mask or integer array), or NULL */
  int adv_axis;         /* first axis of view it covers */
  int adv_k;            /* how many: the mask's ndim, or 1 */
  int adv_src_axis;     /* the array's axis it starts at (messages) */
  bool adv_first;       /* NumPy: numbers and the array are not adjacent in the index, so
                           the array's result axes go first */
} ht_index_plan;

/* Checks ix against a (errors name fn: "getitem" or "setitem") and builds the view, which
 * the caller frees. Depends on replicated metadata only, so every rank fails or succeeds
 * together. */
int ht_index_plan_make(const ht_array *a, const ht_index *ix, const char *fn,
                       ht_index_plan *plan);

/* ---- index_util.c ---- */
int64_t ht_ix_prod(const int64_t *v, int n);
/* Header surgery: remove axis ax (local length 0 or 1); new axis i = old axis perm[i]. */
void ht_ix_drop_axis(ht_array *v, int ax);
void ht_ix_permute(ht_array *v, const int *perm);
/* NumPy's order when the array item's n result axes at ax go first. */
void ht_ix_adv_first_perm(int ndim, int ax, int n, int *perm);

/* a held whole by every rank (a view if it already is). Collective. */
ht_array *ht_ix_replicate(const ht_array *a);
/* a split along axis with the given counts; a view where no row has to move. Collective. */
ht_array *ht_ix_align(const ht_array *a, int axis, const int64_t *counts);

/* Byte offsets (C order) of the elements of h's local block over axes [d0, d1). */
int64_t *ht_ix_offsets(const ht_array *h, int d0, int d1);
/* n offsets k * stride. */
int64_t *ht_ix_arith(int64_t n, int64_t stride);
/* Local copy between dst and src seen as (outer, selected, inner): axes [0, dax) outer,
 * then dk (dst) / sk (src) axes replaced by n positions at byte offsets dsel / ssel, then
 * the inner axes. Same dtype; ordered: see ht_cpu_take. */
int ht_ix_take(ht_array *dst, int dax, int dk, const int64_t *dsel, const ht_array *src,
               int sk, const int64_t *ssel, int64_t n, bool ordered);
/* The byte strides of axes [ax, ax+k) of v. */
void ht_ix_axis_bytes(const ht_array *v, int ax, int k, int64_t *out);
/* A stack header over raw memory: like's local shape with n along ax, C-contiguous. */
ht_array ht_ix_block(const ht_array *like, int ax, int64_t n, char *at, ht_buffer *fake);

/* An integer index array's values, replicated, checked against len (messages name fn
 * and axis) and made non-negative. Collective when idx is split. */
int64_t *ht_ix_index_values(const ht_array *idx, int64_t len, int axis, const char *fn);
/* Every rank's n, in rank order (counts has one entry per rank). Collective. */
int ht_ix_allgather_count(int64_t n, int64_t *counts);
/* The rank that owns each global position J[k] of an axis split with counts c. */
int *ht_ix_owners(const int64_t *J, int64_t m, const int64_t *c);
/* Walks the local block of a bool mask in C order; every true element advances a counter
 * g, and those whose coordinate along axis w (w < 0: all) is in [lo, hi) are recorded:
 * dsel gets their byte offset in a block of byte strides vstr (coordinates along w counted
 * from lo), ssel (if not NULL) g * sstride. Returns the number recorded (dsel NULL: count). */
int64_t ht_ix_mask_scan(const ht_array *M, const int64_t *vstr, int w, int64_t lo, int64_t hi,
                        int64_t *dsel, int64_t *ssel, int64_t sstride);

/* An array item at axis ax of v, covering k axes, gives rn result axes of shape rshape:
 * the result's global shape, and where v's split axis goes (-1: among the k). */
void ht_ix_adv_shape(const ht_array *v, int ax, int k, int rn, const int64_t *rshape,
                     int *ndim, int64_t *shape);
int ht_ix_adv_split(const ht_array *v, int ax, int k, int rn);

#endif
