/* Index expressions checked against an array with NumPy's rules and words, and their
 * basic part applied as a view: offsets and strides, new counts along the split axis. */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "index_plan.h"

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Python's slice.indices(n): the first position and the number of positions. */
static void slice_norm(const ht_index_item *it, int64_t n, int64_t *first, int64_t *len) {
  int64_t step = it->step, start, stop;
  if (step > 0) {
    start = !it->has_start ? 0 : it->start < 0 ? max64(it->start + n, 0) : min64(it->start, n);
    stop = !it->has_stop ? n : it->stop < 0 ? max64(it->stop + n, 0) : min64(it->stop, n);
    *len = stop > start ? (stop - start - 1) / step + 1 : 0;
  } else { /* -1 stands for "before position 0" */
    start = !it->has_start  ? n - 1
            : it->start < 0 ? max64(it->start + n, -1)
                            : min64(it->start, n - 1);
    stop = !it->has_stop ? -1 : it->stop < 0 ? max64(it->stop + n, -1) : min64(it->stop, n - 1);
    /* -step in unsigned arithmetic: step may be INT64_MIN */
    *len = start > stop ? (int64_t)((uint64_t)(start - stop - 1) / (0 - (uint64_t)step)) + 1 : 0;
  }
  *first = start;
}

/* Positions first + k*step (step > 0, k < len) that fall in [lo, hi): k in [*k0, *k1). */
static void slice_part(int64_t first, int64_t step, int64_t len, int64_t lo, int64_t hi,
                       int64_t *k0, int64_t *k1) {
  int64_t a = lo - first, b = hi - first;
  *k0 = a <= 0 ? 0 : min64((a - 1) / step + 1, len); /* ceil(a / step); a + step may overflow */
  *k1 = b <= 0 ? 0 : min64((b - 1) / step + 1, len);
  if (*k1 < *k0) *k1 = *k0;
}

/* How many axes of the array an item uses. */
static int width(const ht_index_item *it) {
  switch (it->kind) {
    case HT_INDEX_INT:
    case HT_INDEX_SLICE: return 1;
    case HT_INDEX_ARRAY: return it->array->dtype == HT_BOOL ? it->array->ndim : 1;
    default: return 0;
  }
}

/* The checks that look at single items, before the shape is involved. */
static int check_items(const ht_index *ix, const char *fn, int *used, int *arrays) {
  int ellipses = 0;
  *used = *arrays = 0;
  for (int k = 0; k < ix->n; k++) {
    const ht_index_item *it = &ix->item[k];
    if (it->kind == HT_INDEX_ELLIPSIS && ++ellipses > 1)
      return ht_error("%s: an index can only have a single ellipsis ('...')", fn);
    if (it->kind == HT_INDEX_SLICE && it->step == 0)
      return ht_error("%s: slice step cannot be zero", fn);
    if (it->kind == HT_INDEX_ARRAY) {
      const ht_array *x = it->array;
      if (x->dtype != HT_BOOL && !ht_dtype_is_int(x->dtype))
        return ht_error(
            "%s: arrays used as indices must be of integer (or boolean) type, "
            "got %s",
            fn, ht_dtype_name(x->dtype));
      if (ht_require_host(x, fn)) return -1;
      if (x->dtype == HT_BOOL && x->ndim == 0)
        return ht_error("%s: a 0-d boolean index is not supported", fn);
      if (x->ndim > 0) ++*arrays;
    }
    *used += width(it);
  }
  if (*arrays > 1)
    return ht_error("%s: only one integer or boolean array per index is supported, got %d", fn,
                    *arrays);
  return 0;
}

/* The index with the ellipsis replaced by full slices and full slices appended, so that
 * the items cover every axis; a 0-d integer array becomes a number. */
static void expand(const ht_array *a, const ht_index *ix, int used, ht_index_item *out, int *n) {
  ht_index_item all = {.kind = HT_INDEX_SLICE, .step = 1};
  bool had_ellipsis = false;
  *n = 0;
  for (int k = 0; k < ix->n; k++) {
    ht_index_item it = ix->item[k];
    if (it.kind == HT_INDEX_ELLIPSIS) {
      for (int j = 0; j < a->ndim - used; j++)
        out[(*n)++] = all;
      had_ellipsis = true;
      continue;
    }
    if (it.kind == HT_INDEX_ARRAY && it.array->ndim == 0) { /* replicated: 0-d */
      it.kind = HT_INDEX_INT;
      it.start = ht_get_i64(it.array->dtype, ht_array_data(it.array));
    }
    out[(*n)++] = it;
  }
  if (!had_ellipsis)
    for (int j = used; j < a->ndim; j++)
      out[(*n)++] = all;
}

/* The view's and the result's number of axes; NumPy's limit is ours, HT_MAXDIM. */
static int check_ndim(const ht_array *a, const ht_index_item *items, int n, const char *fn) {
  int view = 0, result = 0, d = 0;
  for (int k = 0; k < n; k++) {
    const ht_index_item *it = &items[k];
    int w = width(it);
    if (it->kind == HT_INDEX_NEWAXIS || it->kind == HT_INDEX_SLICE) view++, result++;
    if (it->kind == HT_INDEX_INT && d == a->split) view++;
    if (it->kind == HT_INDEX_ARRAY)
      view += w, result += it->array->dtype == HT_BOOL ? 1 : it->array->ndim;
    d += w;
  }
  if (view > HT_MAXDIM || result > HT_MAXDIM)
    return ht_error("%s: the result would have %d dimensions, at most %d are supported", fn,
                    view > result ? view : result, HT_MAXDIM);
  return 0;
}

/* The rows of a slice along the split axis: each rank's count, and where mine start. */
static int64_t *split_slice(const ht_array *a, int64_t first, int64_t step, int64_t len,
                            int64_t *k0) {
  const int p = ht_comm_size(), me = ht_comm_rank();
  int64_t *counts = ht_meta_alloc(sizeof(int64_t) * (size_t)p, "index"), g0 = 0;
  *k0 = 0;
  for (int r = 0; r < p; r++) {
    int64_t a0, a1;
    slice_part(first, step, len, g0, g0 + a->counts[r], &a0, &a1);
    counts[r] = a1 - a0;
    if (r == me) *k0 = a0;
    g0 += a->counts[r];
  }
  return counts;
}

int ht_index_plan_make(const ht_array *a, const ht_index *ix, const char *fn, ht_index_plan *plan) {
  int used, arrays, n;
  memset(plan, 0, sizeof *plan);
  plan->int_axis = plan->rev_axis = plan->adv_axis = -1;
  if (check_items(ix, fn, &used, &arrays)) return -1;
  if (used > a->ndim)
    return ht_error(
        "%s: too many indices for array: array is %d-dimensional, but %d were "
        "indexed",
        fn, a->ndim, used);
  ht_index_item items[HT_INDEX_MAXITEMS + HT_MAXDIM];
  expand(a, ix, used, items, &n);
  if (check_ndim(a, items, n, fn)) return -1;
  for (int k = 0, d = 0; k < n; d += width(&items[k]), k++) {
    const ht_index_item *it = &items[k];
    if (it->kind == HT_INDEX_INT && (it->start < -a->gshape[d] || it->start >= a->gshape[d]))
      return ht_error("%s: index %lld is out of bounds for axis %d with size %lld", fn,
                      (long long)it->start, d, (long long)a->gshape[d]);
    if (it->kind == HT_INDEX_ARRAY && it->array->dtype == HT_BOOL)
      for (int j = 0; j < it->array->ndim; j++)
        if (it->array->gshape[j] != a->gshape[d + j])
          return ht_error(
              "%s: boolean index did not match indexed array along axis %d; "
              "size of axis is %lld but size of corresponding boolean axis is "
              "%lld",
              fn, d + j, (long long)a->gshape[d + j], (long long)it->array->gshape[j]);
  }

  /* NumPy: with an array in the index, numbers are advanced indices too, and when they
   * are not all next to each other the array's axes go to the front of the result. */
  int lo = n, hi = -1, nadv = 0;
  for (int k = 0; k < n && arrays; k++)
    if (items[k].kind == HT_INDEX_INT || items[k].kind == HT_INDEX_ARRAY)
      lo = k < lo ? k : lo, hi = k, nadv++;
  plan->adv_first = arrays && hi - lo + 1 != nadv;

  /* The view: one axis per slice and newaxis, the array item's axes kept whole, and a
   * number along the split axis kept as a length-1 split axis until the owner sends it. */
  ht_array v = *a;
  v.ndim = 0, v.split = -1, v.counts = NULL;
  int64_t *counts = NULL;
  const int me = ht_comm_rank();
  for (int k = 0, d = 0; k < n; k++) {
    const ht_index_item *it = &items[k];
    int od = v.ndim;
    if (it->kind == HT_INDEX_NEWAXIS) {
      v.gshape[od] = v.lshape[od] = 1, v.strides[od] = 0, v.ndim++;
    } else if (it->kind == HT_INDEX_INT) {
      int64_t i = it->start < 0 ? it->start + a->gshape[d] : it->start;
      if (d == a->split) { /* the same as the slice i:i+1, then the axis goes */
        int64_t k0;
        counts = split_slice(a, i, 1, 1, &k0);
        v.gshape[od] = 1, v.lshape[od] = counts[me], v.strides[od] = a->strides[d];
        if (counts[me]) v.offset += (i - ht_array_lstart(a)) * a->strides[d];
        v.split = plan->int_axis = od, v.ndim++;
      } else {
        v.offset += i * a->strides[d];
      }
      d++;
    } else if (it->kind == HT_INDEX_SLICE) {
      int64_t first, len, step = it->step;
      slice_norm(it, a->gshape[d], &first, &len);
      if (len <= 1) step = 1; /* NumPy too: one element needs no stride; stride * step may overflow */
      v.gshape[od] = len;
      if (d != a->split) {
        v.lshape[od] = len, v.strides[od] = a->strides[d] * step;
        if (len > 0) v.offset += first * a->strides[d];
      } else {
        bool alone = ht_comm_size() == 1; /* one rank: a reversed view is a block too */
        if (step < 0 && !alone) {         /* the same rows in increasing order, reversed later */
          if (len > 1) plan->rev_axis = od;
          first += (len - 1) * step, step = -step;
        }
        int64_t k0 = 0;
        counts = alone ? ht_meta_alloc(sizeof(int64_t), fn) : split_slice(a, first, step, len, &k0);
        if (alone) counts[0] = len;
        v.lshape[od] = counts[me], v.strides[od] = a->strides[d] * step;
        if (counts[me]) v.offset += (first + k0 * step - ht_array_lstart(a)) * a->strides[d];
        v.split = od;
      }
      v.ndim++, d++;
    } else if (it->kind == HT_INDEX_ARRAY) {
      int w = width(it);
      plan->adv = it->array, plan->adv_axis = od, plan->adv_k = w, plan->adv_src_axis = d;
      for (int j = 0; j < w; j++, d++, od++) {
        v.gshape[od] = a->gshape[d], v.lshape[od] = a->lshape[d], v.strides[od] = a->strides[d];
        if (d == a->split) {
          counts = ht_meta_alloc(sizeof(int64_t) * (size_t)ht_comm_size(), fn);
          memcpy(counts, a->counts, sizeof(int64_t) * (size_t)ht_comm_size());
          v.split = od;
        }
      }
      v.ndim = od;
    }
  }
  plan->view = ht_array_view(a); /* never NULL: metadata */
  free(plan->view->counts);
  v.buf = plan->view->buf;
  v.counts = counts;
  *plan->view = v;
  return 0;
}
