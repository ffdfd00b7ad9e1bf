/* Reordering and enlarging: flip, roll, repeat, tile and pad. Along non-split axes each
 * is a few strided local copies; along the split axis the rows travel with ht_place. */
#include <stdlib.h>

#include "../manipulation.h"
#include "../ops.h"
#include "manip_util.h"

/* Marks the axes listed (all when naxes is 0); NumPy's "repeated axis". */
static int mark_axes(const char *fn, const ht_array *a, int naxes, const int *axes, bool *on) {
  for (int d = 0; d < a->ndim; d++) on[d] = naxes == 0;
  for (int k = 0; k < naxes; k++) {
    int d = op_norm_axis(fn, axes[k], a->ndim);
    if (d < 0) return -1;
    if (on[d]) return ht_error("%s: repeated axis", fn);
    on[d] = true;
  }
  return 0;
}

static ht_array *like(const ht_array *a, const int64_t *gshape, const int64_t *counts) {
  return ht_array_empty_counts(a->dtype, a->ndim, gshape, a->split, counts, a->device);
}

/* ---- flip ---- */

ht_array *ht_flip(const ht_array *a, int naxes, const int *axes) {
  bool on[HT_MAXDIM];
  if (ht_require_host(a, "flip") || mark_axes("flip", a, naxes, axes, on)) return NULL;
  ht_array v = *a; /* the local chunk read backwards along the flipped axes */
  for (int d = 0; d < a->ndim; d++)
    if (on[d] && a->lshape[d] > 0) {
      v.offset += (a->lshape[d] - 1) * a->strides[d];
      v.strides[d] = -a->strides[d];
    }
  int s = a->split, p = ht_comm_size();
  if (s < 0 || !on[s]) {
    ht_array *out = like(a, a->gshape, a->counts);
    if (out && ht_copy_into(out, &v)) ht_array_free(out), out = NULL;
    return out;
  }
  /* rank q's rows, reversed, are the result's rows [n - lo_q - c_q, n - lo_q): the
   * result takes the reversed counts, so each block moves whole to rank p-1-q */
  int64_t *w = malloc(sizeof(int64_t) * 4 * (size_t)p);
  if (!w) return ht_error("flip: out of memory"), NULL;
  int64_t *rev = w, *zero = w + p, *glo = w + 2 * p, n = a->gshape[s];
  for (int q = 0; q < p; q++) {
    rev[q] = a->counts[p - 1 - q], zero[q] = 0;
    glo[q] = n - ht_rank_lo(a->counts, q) - a->counts[q];
  }
  ht_array *out = like(a, a->gshape, rev);
  ht_seg1 c = {zero, a->counts, glo};
  const ht_array *src[1] = {&v};
  if (ht_comm_agree(out ? 0 : -1) || ht_place(out, s, src, ht_seg1_fn, 1, &c, "flip"))
    ht_array_free(out), out = NULL;
  free(w);
  return out;
}

/* ---- roll ---- */

typedef struct {
  const int64_t *counts;
  int64_t n, shift;
} roll_ctx;

/* Rank q's rows [L, L+c): those below n-shift move up by shift, the rest wrap to 0. */
static int roll_segs(int q, ht_seg *segs, void *ctx) {
  const roll_ctx *r = ctx;
  int64_t L = ht_rank_lo(r->counts, q), c = r->counts[q], cut = r->n - r->shift;
  int m = 0;
  if (L < cut && c > 0) segs[m++] = (ht_seg){0, 0, (L + c < cut ? L + c : cut) - L, L + r->shift};
  if (L + c > cut) {
    int64_t first = L > cut ? L : cut;
    segs[m++] = (ht_seg){0, first - L, L + c - first, first - cut};
  }
  return m;
}

static ht_array *roll1(const ht_array *a, int d, int64_t shift) {
  int64_t n = a->gshape[d];
  ht_array *out = like(a, a->gshape, a->counts);
  shift = n ? ((shift % n) + n) % n : 0;
  if (d == a->split) {
    roll_ctx c = {a->counts, n, shift};
    const ht_array *src[1] = {a};
    if (ht_comm_agree(out ? 0 : -1) || ht_place(out, d, src, roll_segs, 2, &c, "roll"))
      return ht_array_free(out), NULL;
    return out;
  }
  if (!out) return NULL;
  ht_array lo = ht_narrow(a, d, 0, n - shift), hi = ht_narrow(a, d, n - shift, shift);
  ht_array olo = ht_narrow(out, d, shift, n - shift), ohi = ht_narrow(out, d, 0, shift);
  if (ht_copy_into(&olo, &lo) || ht_copy_into(&ohi, &hi)) return ht_array_free(out), NULL;
  return out;
}

ht_array *ht_roll(const ht_array *a, int naxes, const int64_t *shifts, const int *axes) {
  if (ht_require_host(a, "roll")) return NULL;
  if (naxes == 0) { /* NumPy's axis=None: roll the flattened array, keep the shape */
    int64_t n = ht_array_gsize(a);
    int zero = 0;
    ht_array *f = ht_reshape(a, 1, &n, a->split >= 0 ? 0 : -1);
    ht_array *r = f ? ht_roll(f, 1, shifts, &zero) : NULL;
    ht_array *out = r ? ht_reshape(r, a->ndim, a->gshape, a->split) : NULL;
    ht_array_free(f), ht_array_free(r);
    return out;
  }
  int ax[HT_MAXDIM];
  if (naxes > HT_MAXDIM) return ht_error("roll: too many axes"), NULL;
  for (int k = 0; k < naxes; k++)
    if ((ax[k] = op_norm_axis("roll", axes[k], a->ndim)) < 0) return NULL;
  ht_array *cur = NULL;
  for (int k = 0; k < naxes; k++) {
    ht_array *next = roll1(cur ? cur : a, ax[k], shifts[k]);
    ht_array_free(cur);
    if (!(cur = next)) return NULL;
  }
  return cur;
}

/* ---- repeat ---- */

/* Repeats the local rows [0, c) of src (global rows from lstart) into dst along axis:
 * row i becomes rows [cum[lstart+i] - cum[lstart], ...) of dst. */
static int repeat_local(const ht_array *src, int axis, int64_t nrep, const int64_t *reps,
                        const int64_t *cum, int64_t lstart, ht_array *dst) {
  int64_t c = src->lshape[axis];
  if (nrep == 1 && src->ndim < HT_MAXDIM) {
    /* dst seen with axis cut into (c, r); src gets a length-1 axis there (broadcast) */
    int64_t r = reps[0];
    ht_array d = *dst, s = *src;
    for (int j = dst->ndim; j > axis + 1; j--) {
      d.lshape[j] = dst->lshape[j - 1], d.strides[j] = dst->strides[j - 1];
      s.lshape[j] = src->lshape[j - 1], s.strides[j] = src->strides[j - 1];
    }
    d.lshape[axis] = c, d.strides[axis] = dst->strides[axis] * r;
    d.lshape[axis + 1] = r, d.strides[axis + 1] = dst->strides[axis];
    s.lshape[axis + 1] = 1, s.strides[axis + 1] = 0;
    d.ndim = s.ndim = dst->ndim + 1;
    return ht_copy_into(&d, &s);
  }
  for (int64_t i = 0; i < c; i++) {
    int64_t r = nrep == 1 ? reps[0] : reps[lstart + i];
    if (!r) continue;
    ht_array row = ht_narrow(src, axis, i, 1);
    ht_array to = ht_narrow(dst, axis, cum[lstart + i] - cum[lstart], r);
    if (ht_copy_into(&to, &row)) return -1;
  }
  return 0;
}

ht_array *ht_repeat(const ht_array *a, int64_t nrep, const int64_t *reps, int axis) {
  if (ht_require_host(a, "repeat")) return NULL;
  if (axis == -1 || a->ndim == 0) { /* NumPy's axis=None: the flattened array */
    int64_t n = ht_array_gsize(a);
    ht_array *f = ht_reshape(a, 1, &n, a->split >= 0 ? 0 : -1);
    ht_array *r = f ? ht_repeat(f, nrep, reps, 0) : NULL;
    ht_array_free(f);
    return r;
  }
  int ax = op_norm_axis("repeat", axis, a->ndim), p = ht_comm_size();
  if (ax < 0) return NULL;
  int64_t n = a->gshape[ax];
  if (nrep != 1 && nrep != n)
    return ht_error("repeat: operands could not be broadcast together with shape (%lld,) "
                    "(%lld,)", (long long)n, (long long)nrep), NULL;
  for (int64_t i = 0; i < nrep; i++)
    if (reps[i] < 0) return ht_error("repeat: negative dimensions are not allowed"), NULL;
  int64_t *cum = malloc(sizeof(int64_t) * (size_t)(n + 1 + 3 * p));
  if (!cum) return ht_error("repeat: out of memory"), NULL;
  cum[0] = 0;
  for (int64_t i = 0; i < n; i++) cum[i + 1] = cum[i] + (nrep == 1 ? reps[0] : reps[i]);
  int64_t gshape[HT_MAXDIM], lstart = ax == a->split ? ht_array_lstart(a) : 0;
  memcpy(gshape, a->gshape, sizeof gshape);
  gshape[ax] = cum[n];
  ht_array *out = NULL;
  if (ax != a->split) {
    out = like(a, gshape, a->counts);
    if (out && repeat_local(a, ax, nrep, reps, cum, lstart, out)) ht_array_free(out), out = NULL;
    free(cum);
    return out;
  }
  /* along the split axis: repeat locally, then balance the grown rows */
  int64_t *zero = cum + n + 1, *len = zero + p, *glo = len + p, lshape[HT_MAXDIM];
  for (int q = 0; q < p; q++) {
    int64_t L = ht_rank_lo(a->counts, q);
    zero[q] = 0, glo[q] = cum[L], len[q] = cum[L + a->counts[q]] - cum[L];
  }
  memcpy(lshape, a->lshape, sizeof lshape);
  lshape[ax] = len[ht_comm_rank()];
  ht_array *tmp = ht_array_empty(a->dtype, a->ndim, lshape, -1, a->device);
  int status = tmp ? repeat_local(a, ax, nrep, reps, cum, lstart, tmp) : -1;
  if (!status) out = ht_array_empty(a->dtype, a->ndim, gshape, ax, a->device);
  ht_seg1 c = {zero, len, glo};
  const ht_array *src[1] = {tmp};
  if (ht_comm_agree(out ? 0 : -1) || ht_place(out, ax, src, ht_seg1_fn, 1, &c, "repeat"))
    ht_array_free(out), out = NULL;
  ht_array_free(tmp);
  free(cum);
  return out;
}

ht_array *ht_repeat_array(const ht_array *a, const ht_array *repeats, int axis) {
  if (repeats->ndim > 1 || !(ht_dtype_is_int(repeats->dtype) || repeats->dtype == HT_BOOL))
    return ht_error("repeat: repeats must be integers in a 0-d or 1-D array, got %d-D %s",
                    repeats->ndim, ht_dtype_name(repeats->dtype)), NULL;
  const int64_t n = ht_array_gsize(repeats);
  if (n == 0) return ht_error("repeat: repeats is empty"), NULL;
  int64_t *reps = malloc(sizeof(int64_t) * (size_t)n); /* every rank needs all of them */
  ht_array *r = ht_astype(repeats, HT_INT64);
  int status = ht_comm_agree(reps && r ? 0 : ht_error("repeat: out of memory"));
  ht_array *out = NULL;
  if (!status && !ht_gather(r, -1, reps)) out = ht_repeat(a, n, reps, axis);
  ht_array_free(r);
  free(reps);
  return out;
}

/* ---- tile ---- */

typedef struct {
  const int64_t *counts;
  int64_t n, reps;
} tile_ctx;

static int tile_segs(int q, ht_seg *segs, void *ctx) {
  const tile_ctx *t = ctx;
  if (!t->counts[q]) return 0;
  int64_t L = ht_rank_lo(t->counts, q);
  for (int64_t k = 0; k < t->reps; k++) segs[k] = (ht_seg){0, 0, t->counts[q], k * t->n + L};
  return (int)t->reps;
}

ht_array *ht_tile(const ht_array *a, int nreps, const int64_t *reps) {
  if (ht_require_host(a, "tile")) return NULL;
  int nd = a->ndim > nreps ? a->ndim : nreps;
  if (nd > HT_MAXDIM) return ht_error("tile: at most %d dimensions are supported", HT_MAXDIM), NULL;
  int64_t r[HT_MAXDIM];
  for (int d = 0; d < nd; d++) {
    r[d] = d < nd - nreps ? 1 : reps[d - (nd - nreps)];
    if (r[d] < 0) return ht_error("tile: negative dimensions are not allowed"), NULL;
    if (r[d] > INT32_MAX) return ht_error("tile: %lld repetitions are too many", (long long)r[d]), NULL;
  }
  ht_array *cur = ht_array_view(a); /* NumPy prepends axes to a when reps is longer */
  for (int d = a->ndim; d < nd && cur; d++) {
    ht_array *next = ht_expand_dims(cur, 0);
    ht_array_free(cur);
    cur = next;
  }
  for (int d = 0; d < nd && cur; d++) {
    if (r[d] == 1) continue;
    int64_t gshape[HT_MAXDIM], n = cur->gshape[d];
    memcpy(gshape, cur->gshape, sizeof gshape);
    gshape[d] = n * r[d];
    ht_array *next = NULL;
    if (d == cur->split) {
      next = ht_array_empty(cur->dtype, nd, gshape, d, cur->device);
      tile_ctx c = {cur->counts, n, r[d]};
      const ht_array *src[1] = {cur};
      if (ht_comm_agree(next ? 0 : -1) ||
          ht_place(next, d, src, tile_segs, (int)r[d], &c, "tile"))
        ht_array_free(next), next = NULL;
    } else {
      next = like(cur, gshape, cur->counts);
      for (int64_t k = 0; k < r[d] && next; k++) {
        ht_array to = ht_narrow(next, d, k * n, n);
        if (ht_copy_into(&to, cur)) ht_array_free(next), next = NULL;
      }
    }
    ht_array_free(cur);
    cur = next;
  }
  if (cur && cur->buf == a->buf) { /* nothing tiled: still a new array */
    ht_array *c = ht_copy(cur);
    ht_array_free(cur);
    cur = c;
  }
  return cur;
}

/* ---- pad ---- */

ht_array *ht_pad(const ht_array *a, const int64_t (*width)[2], double value) {
  if (ht_require_host(a, "pad")) return NULL;
  int p = ht_comm_size(), me = ht_comm_rank(), s = a->split;
  int64_t gshape[HT_MAXDIM], *counts = NULL;
  for (int d = 0; d < a->ndim; d++) {
    if (width[d][0] < 0 || width[d][1] < 0)
      return ht_error("pad: index can't contain negative values"), NULL;
    gshape[d] = a->gshape[d] + width[d][0] + width[d][1];
  }
  if (s >= 0) { /* the leading pad goes to the first rank, the trailing to the last */
    if (!(counts = malloc(sizeof(int64_t) * (size_t)p))) return ht_error("pad: out of memory"), NULL;
    memcpy(counts, a->counts, sizeof(int64_t) * (size_t)p);
    counts[0] += width[s][0], counts[p - 1] += width[s][1];
  }
  ht_array *out = like(a, gshape, counts), *fill = ht_scalar(a->dtype, value);
  free(counts);
  int status = out && fill ? ht_copy_into(out, fill) : -1;
  if (!status) {
    ht_array in = *out;
    for (int d = 0; d < a->ndim; d++) {
      int64_t lo = d == s && me != 0 ? 0 : width[d][0];
      in.offset += lo * out->strides[d];
      in.lshape[d] = a->lshape[d];
    }
    status = ht_copy_into(&in, a);
  }
  ht_array_free(fill);
  if (status) return ht_array_free(out), NULL;
  return out;
}
