/* Joining and splitting: concatenate (and stack, hstack, vstack, column_stack built on
 * it) with Heat's split rules, and split into views. */
#include <stdlib.h>

#include "../manipulation.h"
#include "manip_util.h"

#define MAXJOIN 4096

/* Result rows of the split inputs go where the result's balanced counts say; a
 * replicated input supplies on every rank just the rows that rank owns. */
typedef struct {
  int n, axis;
  const ht_array *const *in;
  const int64_t *off, *ocounts;
} cat_ctx;

static int cat_segs(int q, ht_seg *segs, void *ctx) {
  const cat_ctx *c = ctx;
  int m = 0;
  int64_t olo = ht_rank_lo(c->ocounts, q), on = c->ocounts[q];
  for (int k = 0; k < c->n; k++) {
    const ht_array *a = c->in[k];
    int64_t nk = a->gshape[c->axis];
    if (a->split == c->axis) {
      if (a->counts[q])
        segs[m++] = (ht_seg){k, 0, a->counts[q], c->off[k] + ht_rank_lo(a->counts, q)};
    } else {
      int64_t lo = c->off[k] > olo ? c->off[k] : olo;
      int64_t hi = c->off[k] + nk < olo + on ? c->off[k] + nk : olo + on;
      if (hi > lo) segs[m++] = (ht_seg){k, lo - c->off[k], hi - lo, lo};
    }
  }
  return m;
}

/* Checks shapes, dtypes and splits; fills the result's shape, dtype and split. */
static int check_inputs(const char *fn, int n, const ht_array *const *in, int axis,
                        int64_t *gshape, ht_dtype *t, int *split, int *axis_out) {
  if (n <= 0) return ht_error("%s: need at least one array to concatenate", fn);
  if (n > MAXJOIN) return ht_error("%s: at most %d arrays can be joined at once", fn, MAXJOIN);
  const ht_array *a0 = in[0];
  if (a0->ndim == 0) return ht_error("%s: zero-dimensional arrays cannot be concatenated", fn);
  if ((*axis_out = op_norm_axis(fn, axis, a0->ndim)) < 0) return -1;
  axis = *axis_out;
  *t = a0->dtype;
  *split = -1;
  int split_at = -1;
  memcpy(gshape, a0->gshape, sizeof(int64_t) * (size_t)a0->ndim);
  gshape[axis] = 0;
  for (int k = 0; k < n; k++) {
    const ht_array *a = in[k];
    if (ht_require_host(a, fn)) return -1;
    if (a->ndim != a0->ndim)
      return ht_error("%s: all the input arrays must have same number of dimensions, but the "
                      "array at index 0 has %d dimension(s) and the array at index %d has %d "
                      "dimension(s)", fn, a0->ndim, k, a->ndim);
    for (int d = 0; d < a->ndim; d++)
      if (d != axis && a->gshape[d] != a0->gshape[d])
        return ht_error("%s: all the input array dimensions except for the concatenation axis "
                        "must match exactly, but along dimension %d, the array at index 0 has "
                        "size %lld and the array at index %d has size %lld", fn, d,
                        (long long)a0->gshape[d], k, (long long)a->gshape[d]);
    gshape[axis] += a->gshape[axis];
    *t = ht_promote(*t, a->dtype);
    if (a->split < 0) continue;
    if (*split >= 0 && a->split != *split)
      return ht_error("%s: the arrays have different split axes: %d (array at index %d) and %d "
                      "(array at index %d)", fn, *split, split_at, a->split, k);
    *split = a->split, split_at = k;
  }
  return 0;
}

static bool same_counts(const ht_array *a, const int64_t *counts) {
  return !memcmp(a->counts, counts, sizeof(int64_t) * (size_t)ht_comm_size());
}

/* Off the split axis every rank joins its own blocks: inputs split with other counts
 * are redistributed first, replicated ones are read at this rank's rows. Contiguous
 * blocks of the result's dtype take a fast path: each result row block is the inputs'
 * row blocks side by side, one memcpy each (the hstack of loaded datasets). */
static int cat_local(ht_array *out, int n, const ht_array *const *in, int axis,
                     const int64_t *off) {
  const int split = out->split;
  const int64_t lstart = ht_array_lstart(out), item = (int64_t)ht_dtype_size(out->dtype);
  ht_array *views = ht_meta_alloc(sizeof(ht_array) * (size_t)n, "concatenate");
  ht_array **moved = ht_meta_calloc((size_t)n, sizeof *moved, "concatenate");
  int status = 0;
  bool fast = ht_array_is_contiguous(out);
  for (int k = 0; k < n && !status; k++) {
    const ht_array *a = in[k];
    if (a->split >= 0 && !same_counts(a, out->counts))
      if (!(a = moved[k] = ht_redistribute(a, out->counts))) status = -1;
    if (status) break;
    views[k] = split >= 0 && a->split < 0 ? ht_narrow(a, split, lstart, out->lshape[split]) : *a;
    fast = fast && a->dtype == out->dtype && ht_array_is_contiguous(&views[k]);
  }
  if (!status && fast) {
    int64_t outer = 1, inner = item, width = 0;
    for (int d = 0; d < axis; d++) outer *= out->lshape[d];
    for (int d = axis + 1; d < out->ndim; d++) inner *= out->lshape[d];
    width = out->lshape[axis] * inner;
    char *dst = ht_array_data(out);
#pragma omp parallel for if (outer * width > ((int64_t)1 << 20))
    for (int64_t o = 0; o < outer; o++) {
      char *at = dst + o * width;
      for (int k = 0; k < n; k++) {
        int64_t w = views[k].lshape[axis] * inner;
        memcpy(at, (const char *)ht_array_data(&views[k]) + o * w, (size_t)w);
        at += w;
      }
    }
  } else {
    for (int k = 0; k < n && !status; k++) {
      ht_array dst = ht_narrow(out, axis, off[k], views[k].lshape[axis]);
      status = ht_copy_into(&dst, &views[k]);
    }
  }
  for (int k = 0; k < n; k++) ht_array_free(moved[k]);
  free(views), free(moved);
  return status;
}

static ht_array *concat(const char *fn, int n, const ht_array *const *in, int axis) {
  int64_t gshape[HT_MAXDIM];
  ht_dtype t = HT_FLOAT32;
  int split = -1;
  if (check_inputs(fn, n, in, axis, gshape, &t, &split, &axis)) return NULL;
  const ht_array *ref = NULL; /* the first split input: its counts are the result's */
  for (int k = 0; k < n && !ref; k++)
    if (in[k]->split >= 0) ref = in[k];
  int64_t *off = ht_meta_alloc(sizeof(int64_t) * (size_t)n, fn);
  for (int k = 0; k < n; k++) off[k] = k ? off[k - 1] + in[k - 1]->gshape[axis] : 0;
  /* agreed before communicating (a small result: the job ends on failure instead) */
  ht_array *out = ht_array_new_agreed(fn, t, in[0]->ndim, gshape, split,
                                      ref && split != axis ? ref->counts : NULL, HT_CPU);
  if (!out) return free(off), NULL;
  int status = 0;
  if (split == axis) {
    cat_ctx c = {n, axis, in, off, out->counts};
    status = ht_place(out, axis, in, cat_segs, n, &c, fn);
  } else { /* rows along the split axis stay where they are: local copies */
    status = cat_local(out, n, in, axis, off);
  }
  free(off);
  if (status) return ht_array_free(out), NULL;
  return out;
}

ht_array *ht_concatenate(int n, const ht_array *const *arrays, int axis) {
  return concat("concatenate", n, arrays, axis);
}

/* Joins views made by `make` (expand_dims and the like) of each input. */
static ht_array *join_views(const char *fn, int n, const ht_array *const *in, int axis,
                            ht_array *(*make)(const ht_array *, int), int arg) {
  if (n <= 0) return ht_error("%s: need at least one array to concatenate", fn), NULL;
  if (n > MAXJOIN) return ht_error("%s: at most %d arrays can be joined at once", fn, MAXJOIN), NULL;
  ht_array **v = ht_meta_calloc((size_t)n, sizeof *v, fn);
  ht_array *out = NULL;
  int k = 0;
  for (; k < n; k++)
    if (!(v[k] = make(in[k], arg))) break;
  if (k == n) {
    if (axis == -2) axis = v[0]->ndim == 1 ? 0 : 1; /* hstack */
    out = concat(fn, n, (const ht_array *const *)v, axis);
  }
  for (int j = 0; j < n; j++) ht_array_free(v[j]);
  free(v);
  return out;
}

static ht_array *expand_at(const ht_array *a, int axis) { return ht_expand_dims(a, axis); }
static ht_array *at_least_1d(const ht_array *a, int unused) {
  (void)unused;
  return a->ndim == 0 ? ht_expand_dims(a, 0) : ht_array_view(a);
}
static ht_array *at_least_2d(const ht_array *a, int unused) { /* NumPy: (N,) -> (1, N) */
  (void)unused;
  if (a->ndim >= 2) return ht_array_view(a);
  ht_array *b = at_least_1d(a, 0), *c = b ? ht_expand_dims(b, 0) : NULL;
  ht_array_free(b);
  return c;
}
static ht_array *as_column(const ht_array *a, int unused) { /* NumPy: (N,) -> (N, 1) */
  (void)unused;
  if (a->ndim >= 2) return ht_array_view(a);
  ht_array *b = at_least_1d(a, 0), *c = b ? ht_expand_dims(b, 1) : NULL;
  ht_array_free(b);
  return c;
}

ht_array *ht_stack(int n, const ht_array *const *arrays, int axis) {
  if (n <= 0) return ht_error("stack: need at least one array to stack"), NULL;
  for (int k = 1; k < n; k++) {
    bool same = arrays[k]->ndim == arrays[0]->ndim;
    for (int d = 0; same && d < arrays[0]->ndim; d++) same = arrays[k]->gshape[d] == arrays[0]->gshape[d];
    if (!same) return ht_error("stack: all input arrays must have the same shape"), NULL;
  }
  int at = op_norm_axis("stack", axis, arrays[0]->ndim + 1);
  if (at < 0) return NULL;
  return join_views("stack", n, arrays, at, expand_at, at);
}

ht_array *ht_hstack(int n, const ht_array *const *arrays) {
  return join_views("hstack", n, arrays, -2, at_least_1d, 0);
}

ht_array *ht_vstack(int n, const ht_array *const *arrays) {
  return join_views("vstack", n, arrays, 0, at_least_2d, 0);
}

ht_array *ht_column_stack(int n, const ht_array *const *arrays) {
  for (int k = 0; k < n; k++)
    if (arrays[k]->ndim > 2)
      return ht_error("column_stack: arrays must be 1-D or 2-D, the array at index %d has %d "
                      "dimensions", k, arrays[k]->ndim), NULL;
  return join_views("column_stack", n, arrays, 1, as_column, 0);
}

/* A view of rows [lo, hi) along axis; along the split axis each rank keeps its part. */
static ht_array *part(const ht_array *a, int axis, int64_t lo, int64_t hi) {
  ht_array *v = ht_array_view(a);
  if (!v) return NULL;
  v->gshape[axis] = hi - lo;
  if (axis != a->split) {
    v->lshape[axis] = hi - lo;
    v->offset += lo * a->strides[axis];
    return v;
  }
  int p = ht_comm_size(), me = ht_comm_rank();
  for (int r = 0; r < p; r++) {
    int64_t rlo = ht_rank_lo(a->counts, r), rhi = rlo + a->counts[r];
    int64_t x = lo > rlo ? lo : rlo, y = hi < rhi ? hi : rhi;
    v->counts[r] = y > x ? y - x : 0;
    if (r == me && y > x) v->offset += (x - rlo) * a->strides[axis];
  }
  v->lshape[axis] = v->counts[me];
  return v;
}

int ht_split(const ht_array *a, int64_t sections, int nidx, const int64_t *indices, int axis,
             ht_array **out) {
  if (a->ndim == 0) return ht_error("split: a zero-dimensional array cannot be split");
  int ax = op_norm_axis("split", axis, a->ndim);
  if (ax < 0) return -1;
  int64_t n = a->gshape[ax];
  if (sections < 0 || (sections == 0 && nidx < 0))
    return ht_error("split: number sections must be larger than 0");
  if (sections > 0 && n % sections)
    return ht_error("split: array split does not result in an equal division (%lld rows "
                    "along axis %d into %lld sections)", (long long)n, ax, (long long)sections);
  int nparts = sections > 0 ? (int)sections : nidx + 1;
  int64_t prev = 0;
  for (int k = 0; k < nparts; k++) {
    int64_t lo, hi;
    if (sections > 0) {
      lo = k * (n / sections), hi = lo + n / sections;
    } else { /* Python slicing a[prev:idx]: negative counts from the end, clipped */
      int64_t idx = k < nidx ? indices[k] : n;
      if (idx < 0) idx += n;
      idx = idx < 0 ? 0 : idx > n ? n : idx;
      lo = prev, hi = idx > lo ? idx : lo;
      prev = idx;
    }
    if (!(out[k] = part(a, ax, lo, hi))) {
      for (int j = 0; j < k; j++) ht_array_free(out[j]), out[j] = NULL;
      return -1;
    }
  }
  return nparts;
}
