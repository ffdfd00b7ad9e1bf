/* Shape changes: reshape (a local view, or one all-to-all over global flat index ranges),
 * flatten, and the views transpose, swapaxes, squeeze and expand_dims. */
#include <stdio.h>
#include <stdlib.h>

#include "../manipulation.h"
#include "manip_util.h"

/* "(4,newaxis)": NumPy's spelling of a requested shape that holds -1. */
static char *fmt_request(char *buf, size_t size, int ndim, const int64_t *shape) {
  size_t len = (size_t)snprintf(buf, size, "(");
  for (int d = 0; d < ndim && len < size; d++) {
    if (shape[d] == -1) len += (size_t)snprintf(buf + len, size - len, "%snewaxis", d ? "," : "");
    else len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? ", " : "", (long long)shape[d]);
  }
  if (len < size) snprintf(buf + len, size - len, ndim == 1 ? ",)" : ")");
  return buf;
}

/* The requested shape with its -1 resolved; NumPy's messages. */
static int resolve_shape(const ht_array *a, int ndim, const int64_t *req, int64_t *out) {
  char sh[256];
  int unknown = -1;
  int64_t known = 1, size = ht_array_gsize(a);
  if (ndim < 0 || ndim > HT_MAXDIM)
    return ht_error("reshape: %d dimensions, at most %d are supported", ndim, HT_MAXDIM);
  for (int d = 0; d < ndim; d++) {
    out[d] = req[d];
    if (req[d] == -1) {
      if (unknown >= 0) return ht_error("reshape: can only specify one unknown dimension");
      unknown = d;
    } else if (req[d] < 0) {
      return ht_error("reshape: negative dimensions not allowed");
    } else {
      known *= req[d];
    }
  }
  if (unknown >= 0 && known > 0 && size % known == 0) out[unknown] = size / known;
  else if (unknown >= 0 || known != size)
    return ht_error("reshape: cannot reshape array of size %lld into shape %s", (long long)size,
                    fmt_request(sh, sizeof sh, ndim, req));
  return 0;
}

static int64_t prod(const int64_t *s, int from, int to) {
  int64_t n = 1;
  for (int d = from; d < to; d++) n *= s[d];
  return n;
}

/* a's local chunk, C-contiguous, relabelled with a new global shape, split and counts
 * (counts must give this rank the same number of elements). */
static ht_array *relabel(const ht_array *a, int ndim, const int64_t *gshape, int split,
                         const int64_t *counts) {
  ht_array *c = ht_contiguous(a);
  if (!c) return NULL;
  int p = ht_comm_size();
  if (split >= 0 && !c->counts) {
    c->counts = malloc(sizeof(int64_t) * (size_t)p);
    if (!c->counts) return ht_array_free(c), ht_error("reshape: out of memory"), NULL;
  }
  if (split >= 0) memcpy(c->counts, counts, sizeof(int64_t) * (size_t)p);
  else free(c->counts), c->counts = NULL;
  c->ndim = ndim;
  c->split = split;
  memcpy(c->gshape, gshape, sizeof(int64_t) * (size_t)ndim);
  memcpy(c->lshape, gshape, sizeof(int64_t) * (size_t)ndim);
  if (split >= 0) c->lshape[split] = counts[ht_comm_rank()];
  ht_contiguous_strides(ndim, c->lshape, c->strides);
  return c;
}

/* Moves a (split along a leading axis: every rank holds one flat range) into out (the
 * same, for the new shape): each rank sends the intersections of its flat range with
 * every other rank's new one, straight from and into the buffers. */
static int flat_exchange(const ht_array *a, ht_array *out) {
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t item = (int64_t)ht_dtype_size(a->dtype);
  int64_t rin = prod(a->lshape, a->split + 1, a->ndim);
  int64_t rout = prod(out->lshape, out->split + 1, out->ndim);
  ht_xchg x;
  if (ht_xchg_init(&x, "reshape")) return -1;
  int64_t f_me = ht_rank_lo(a->counts, me) * rin, l_me = a->counts[me] * rin;
  int64_t g_me = ht_rank_lo(out->counts, me) * rout, m_me = out->counts[me] * rout;
  int64_t fq = 0, gq = 0; /* rank q's first flat index, before and after */
  for (int q = 0; q < p; q++) { /* the overlaps come in flat order: displacements are sums */
    int64_t lq = a->counts[q] * rin, mq = out->counts[q] * rout;
    int64_t lo = f_me > gq ? f_me : gq, hi = f_me + l_me < gq + mq ? f_me + l_me : gq + mq;
    x.sc[q] = hi > lo ? (hi - lo) * item : 0;
    lo = fq > g_me ? fq : g_me, hi = fq + lq < g_me + m_me ? fq + lq : g_me + m_me;
    x.rc[q] = hi > lo ? (hi - lo) * item : 0;
    fq += lq, gq += mq;
  }
  ht_xchg_alloc(&x, false);
  int rc = ht_xchg_run(&x, 0, ht_array_data(a), ht_array_data(out));
  ht_xchg_free(&x);
  return rc;
}

ht_array *ht_reshape(const ht_array *a, int ndim, const int64_t *req, int new_split) {
  int64_t shape[HT_MAXDIM];
  if (ht_require_host(a, "reshape") || resolve_shape(a, ndim, req, shape)) return NULL;
  int ns = new_split;
  if (ns == HT_SPLIT_DEFAULT)
    ns = a->split < 0 || ndim == 0 ? -1 : ndim == a->ndim ? a->split : 0;
  if (ns < -1 || ns >= ndim)
    return ht_error("reshape: new_split %d is out of range for shape %s", ns,
                    fmt_request((char[256]){0}, 256, ndim, shape)), NULL;
  int s = a->split;
  if (s < 0 || ns < 0) { /* everything local: replicate first if needed, then cut */
    ht_array *all = s < 0 ? ht_array_view(a) : ht_resplit(a, -1);
    ht_array *r = all ? relabel(all, ndim, shape, -1, NULL) : NULL;
    ht_array_free(all);
    if (!r || ns < 0) return r;
    ht_array *cut = ht_resplit(r, ns);
    ht_array_free(r);
    return cut;
  }
  /* the same elements before the split axis and the same split length: each rank's
   * block keeps its rows, only the labels change */
  if (prod(a->gshape, 0, s) == prod(shape, 0, ns) && a->gshape[s] == shape[ns])
    return relabel(a, ndim, shape, ns, a->counts);
  /* flat ranges are contiguous per rank only when the split axis leads */
  ht_array *in = prod(a->gshape, 0, s) == 1 ? ht_contiguous(a) : ht_resplit(a, 0);
  if (!in) return NULL;
  int mid = prod(shape, 0, ns) == 1 ? ns : 0;
  ht_array *out = ht_array_empty(a->dtype, ndim, shape, mid, a->device);
  if (ht_comm_agree(out ? 0 : -1) || flat_exchange(in, out)) {
    ht_array_free(in), ht_array_free(out);
    return NULL;
  }
  ht_array_free(in);
  if (mid == ns) return out;
  ht_array *r = ht_resplit(out, ns);
  ht_array_free(out);
  return r;
}

ht_array *ht_flatten(const ht_array *a) {
  int64_t n = ht_array_gsize(a);
  ht_array *r = ht_reshape(a, 1, &n, a->split >= 0 ? 0 : -1);
  if (r && r->buf == a->buf) { /* NumPy's flatten always copies */
    ht_array *c = ht_copy(r);
    ht_array_free(r);
    r = c;
  }
  return r;
}

/* A view of a with its axes permuted: result axis i is a's axis perm[i]. */
static ht_array *permuted(const ht_array *a, const int *perm) {
  ht_array *v = ht_array_view(a);
  if (!v) return NULL;
  for (int i = 0; i < a->ndim; i++) {
    v->gshape[i] = a->gshape[perm[i]];
    v->lshape[i] = a->lshape[perm[i]];
    v->strides[i] = a->strides[perm[i]];
    if (perm[i] == a->split) v->split = i;
  }
  return v;
}

ht_array *ht_transpose(const ht_array *a, const int *axes) {
  int perm[HT_MAXDIM], seen[HT_MAXDIM] = {0};
  for (int i = 0; i < a->ndim; i++) {
    if (!axes) {
      perm[i] = a->ndim - 1 - i;
      continue;
    }
    if ((perm[i] = op_norm_axis("transpose", axes[i], a->ndim)) < 0) return NULL;
    if (seen[perm[i]]++) return ht_error("transpose: repeated axis in transpose"), NULL;
  }
  return permuted(a, perm);
}

ht_array *ht_swapaxes(const ht_array *a, int axis1, int axis2) {
  int perm[HT_MAXDIM];
  int i = op_norm_axis("swapaxes", axis1, a->ndim), j = op_norm_axis("swapaxes", axis2, a->ndim);
  if (i < 0 || j < 0) return NULL;
  for (int d = 0; d < a->ndim; d++) perm[d] = d;
  perm[i] = j, perm[j] = i;
  return permuted(a, perm);
}

ht_array *ht_squeeze(const ht_array *a, int naxes, const int *axes) {
  bool drop[HT_MAXDIM] = {false};
  for (int k = 0; k < naxes; k++) {
    int d = op_norm_axis("squeeze", axes[k], a->ndim);
    if (d < 0) return NULL;
    if (a->gshape[d] != 1)
      return ht_error("squeeze: cannot select an axis to squeeze out which has size not "
                      "equal to one (axis %d of shape %s)", d,
                      ht_fmt_shape((char[128]){0}, 128, a->ndim, a->gshape)), NULL;
    drop[d] = true;
  }
  for (int d = 0; d < a->ndim && naxes == 0; d++) drop[d] = a->gshape[d] == 1;
  /* the one row of a squeezed split axis lives on one rank: give it to all */
  ht_array *v = a->split >= 0 && drop[a->split] ? ht_resplit(a, -1) : ht_array_view(a);
  if (!v) return NULL;
  int nd = 0, split = -1;
  for (int d = 0; d < v->ndim; d++) {
    if (drop[d]) continue;
    if (d == v->split) split = nd;
    v->gshape[nd] = v->gshape[d], v->lshape[nd] = v->lshape[d], v->strides[nd] = v->strides[d];
    nd++;
  }
  v->ndim = nd;
  v->split = split;
  return v;
}

ht_array *ht_expand_dims(const ht_array *a, int axis) {
  if (a->ndim >= HT_MAXDIM)
    return ht_error("expand_dims: %d dimensions, at most %d are supported", a->ndim + 1,
                    HT_MAXDIM), NULL;
  int at = op_norm_axis("expand_dims", axis, a->ndim + 1);
  if (at < 0) return NULL;
  ht_array *v = ht_array_view(a);
  if (!v) return NULL;
  for (int d = a->ndim; d > at; d--)
    v->gshape[d] = a->gshape[d - 1], v->lshape[d] = a->lshape[d - 1], v->strides[d] = a->strides[d - 1];
  v->gshape[at] = v->lshape[at] = 1;
  v->strides[at] = at < a->ndim ? a->strides[at] * a->lshape[at] : 1;
  v->ndim = a->ndim + 1;
  if (a->split >= at) v->split = a->split + 1;
  return v;
}
