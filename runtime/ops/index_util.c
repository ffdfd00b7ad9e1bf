/* The pieces getitem and setitem share: header surgery, moving an operand to where a
 * selection lives, byte-offset lists, index arrays and masks read into positions. */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/take.h"
#include "index_plan.h"

int64_t ht_ix_prod(const int64_t *v, int n) {
  int64_t r = 1;
  for (int i = 0; i < n; i++)
    r *= v[i];
  return r;
}

static int64_t *counts_dup(const int64_t *c) {
  size_t n = sizeof(int64_t) * (size_t)ht_comm_size();
  int64_t *d = malloc(n);
  if (d)
    memcpy(d, c, n);
  else
    ht_error("out of memory");
  return d;
}

static bool counts_equal(const int64_t *a, const int64_t *b) {
  for (int r = 0; r < ht_comm_size(); r++)
    if (a[r] != b[r]) return false;
  return true;
}

/* Removes axis ax (of local length 1 or 0) from a header. */
void ht_ix_drop_axis(ht_array *v, int ax) {
  for (int d = ax; d + 1 < v->ndim; d++) {
    v->gshape[d] = v->gshape[d + 1];
    v->lshape[d] = v->lshape[d + 1];
    v->strides[d] = v->strides[d + 1];
  }
  v->ndim--;
  if (v->split == ax) {
    v->split = -1;
    free(v->counts);
    v->counts = NULL;
  } else if (v->split > ax) {
    v->split--;
  }
}

/* Reorders the axes of a header: new axis i is old axis perm[i]. */
void ht_ix_permute(ht_array *v, const int *perm) {
  ht_array old = *v;
  for (int i = 0; i < v->ndim; i++) {
    v->gshape[i] = old.gshape[perm[i]];
    v->lshape[i] = old.lshape[perm[i]];
    v->strides[i] = old.strides[perm[i]];
    if (old.split == perm[i]) v->split = i;
  }
}

/* A view of a that every rank holds whole. */
ht_array *ht_ix_replicate(const ht_array *a) {
  return a->split < 0 ? ht_array_view(a) : ht_resplit(a, -1);
}

/* a split along `axis` with the given counts, as a view where no row has to move. */
ht_array *ht_ix_align(const ht_array *a, int axis, const int64_t *counts) {
  if (a->split < 0) { /* every rank has all rows: keep its own */
    ht_array *v = ht_array_view(a);
    if (!v) return NULL;
    if (!(v->counts = counts_dup(counts))) return ht_array_free(v), NULL;
    v->split = axis;
    v->offset += ht_rank_lo(counts, ht_comm_rank()) * v->strides[axis];
    v->lshape[axis] = counts[ht_comm_rank()];
    return v;
  }
  ht_array *r = a->split == axis ? ht_array_view(a) : ht_resplit(a, axis);
  if (!r || counts_equal(r->counts, counts)) return r;
  ht_array *out = ht_redistribute(r, counts);
  ht_array_free(r);
  return out;
}

/* Byte offsets of the elements of the local block of h over axes [d0, d1). */
int64_t *ht_ix_offsets(const ht_array *h, int d0, int d1) {
  int64_t st[HT_MAXDIM], n = ht_ix_prod(h->lshape + d0, d1 - d0);
  for (int d = d0; d < d1; d++)
    st[d - d0] = h->strides[d] * (int64_t)ht_dtype_size(h->dtype);
  int64_t *o = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (!o) return ht_error("out of memory"), NULL;
  ht_offsets(d1 - d0, h->lshape + d0, st, o);
  return o;
}

/* Copies between the local blocks of dst and src seen as (outer, selected, inner): axes
 * [0, dax) are outer, then dk axes (dst) / sk axes (src) replaced by the n positions whose
 * byte offsets are dsel / ssel, then the inner axes. Same dtype, same outer and inner
 * shapes. */
int ht_ix_take(ht_array *dst, int dax, int dk, const int64_t *dsel, const ht_array *src, int sk,
               const int64_t *ssel, int64_t n, bool ordered) {
  int64_t *oo[2] = {ht_ix_offsets(dst, 0, dax), ht_ix_offsets(src, 0, dax)};
  int64_t *io[2] = {ht_ix_offsets(dst, dax + dk, dst->ndim),
                    ht_ix_offsets(src, dax + sk, src->ndim)};
  int rc = 0;
  if (!oo[0] || !oo[1] || !io[0] || !io[1]) {
    rc = -1;
  } else {
    ht_take_side d = {ht_array_data(dst), oo[0], dsel, io[0]};
    ht_take_side s = {ht_array_data(src), oo[1], ssel, io[1]};
    ht_cpu_take(ht_dtype_size(dst->dtype), ht_ix_prod(dst->lshape, dax), n,
                ht_ix_prod(dst->lshape + dax + dk, dst->ndim - dax - dk), d, s, ordered);
  }
  free(oo[0]), free(oo[1]), free(io[0]), free(io[1]);
  return rc;
}

/* n contiguous positions: k * stride bytes. */
int64_t *ht_ix_arith(int64_t n, int64_t stride) {
  int64_t *o = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (!o) return ht_error("out of memory"), NULL;
  for (int64_t k = 0; k < n; k++)
    o[k] = k * stride;
  return o;
}

/* The index array's values, replicated, checked and made non-negative (int64). */
int64_t *ht_ix_index_values(const ht_array *idx, int64_t len, int axis, const char *fn) {
  ht_array *all = ht_ix_replicate(idx);
  if (!all) return NULL;
  int64_t m = ht_array_gsize(all), k = 0;
  int64_t *j = malloc(sizeof(int64_t) * (size_t)(m ? m : 1)),
          *off = ht_ix_offsets(all, 0, all->ndim);
  if (!j || !off) {
    free(j), free(off), ht_array_free(all);
    return ht_error("%s: out of memory", fn), NULL;
  }
  const char *base = ht_array_data(all);
  for (k = 0; k < m; k++) {
    int64_t v = ht_get_i64(all->dtype, base + off[k]);
    if (v < -len || v >= len) {
      ht_error("%s: index %lld is out of bounds for axis %d with size %lld", fn, (long long)v, axis,
               (long long)len);
      break;
    }
    j[k] = v < 0 ? v + len : v;
  }
  free(off);
  ht_array_free(all);
  if (k < m) return free(j), NULL; /* the same values on every rank: all fail here */
  return j;
}

int ht_ix_allgather_count(int64_t n, int64_t *counts) {
  const int p = ht_comm_size();
  int64_t *d = malloc(sizeof(int64_t) * (size_t)p * 2);
  if (ht_comm_agree(d ? 0 : ht_error("out of memory"))) return free(d), -1;
  for (int r = 0; r < p; r++)
    d[r] = r * 8, d[p + r] = 8;
  int rc = ht_comm_allgatherv(&n, 8, counts, d + p, d);
  free(d);
  return rc;
}

/* The rank owning each global position J[k] of an axis split with counts c. */
int *ht_ix_owners(const int64_t *J, int64_t m, const int64_t *c) {
  const int p = ht_comm_size();
  int64_t *ends = malloc(sizeof(int64_t) * (size_t)p);
  int *o = malloc(sizeof(int) * (size_t)(m ? m : 1));
  if (!ends || !o) return free(ends), free(o), ht_error("out of memory"), NULL;
  for (int r = 0; r < p; r++)
    ends[r] = (r ? ends[r - 1] : 0) + c[r];
  for (int64_t k = 0; k < m; k++) {
    int lo = 0, hi = p - 1; /* the first rank whose rows end after J[k] */
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (ends[mid] > J[k])
        hi = mid;
      else
        lo = mid + 1;
    }
    o[k] = lo;
  }
  free(ends);
  return o;
}

/* Walks the local block of a bool mask in C order. Every true element advances a counter
 * g; those whose coordinate along axis w (w < 0: every one) lies in [lo, hi) are recorded:
 * dsel gets their byte offset in a block with byte strides vstr (coordinates along w
 * counted from lo), ssel (if not NULL) gets g * sstride. Returns how many were recorded;
 * with dsel NULL it only counts. */
int64_t ht_ix_mask_scan(const ht_array *M, const int64_t *vstr, int w, int64_t lo, int64_t hi,
                        int64_t *dsel, int64_t *ssel, int64_t sstride) {
  const int k = M->ndim;
  const char *m = ht_array_data(M);
  int64_t idx[HT_MAXDIM] = {0}, n = ht_array_lsize(M), mo = 0, vo = 0, g = 0, cnt = 0;
  if (w >= 0) vo = -lo * vstr[w];
  for (int64_t t = 0; t < n; t++) {
    if (m[mo]) {
      if (w < 0 || (idx[w] >= lo && idx[w] < hi)) {
        if (dsel) dsel[cnt] = vo;
        if (ssel) ssel[cnt] = g * sstride;
        cnt++;
      }
      g++;
    }
    for (int d = k - 1; d >= 0; d--) { /* odometer: the last axis moves fastest */
      mo += M->strides[d], vo += vstr[d];
      if (++idx[d] < M->lshape[d]) break;
      mo -= idx[d] * M->strides[d], vo -= idx[d] * vstr[d];
      idx[d] = 0;
    }
  }
  return cnt;
}

/* The byte strides of axes [ax, ax+k) of v. */
void ht_ix_axis_bytes(const ht_array *v, int ax, int k, int64_t *out) {
  for (int j = 0; j < k; j++)
    out[j] = v->strides[ax + j] * (int64_t)ht_dtype_size(v->dtype);
}

/* A stack header over raw memory: like's local shape with n along axis ax, C-contiguous. */
ht_array ht_ix_block(const ht_array *like, int ax, int64_t n, char *at, ht_buffer *fake) {
  ht_array b = *like;
  b.split = -1, b.counts = NULL, b.offset = 0;
  b.lshape[ax] = n;
  ht_contiguous_strides(b.ndim, b.lshape, b.strides);
  fake->data = at;
  b.buf = fake;
  return b;
}

/* Result shapes of an advanced item at axis ax of v replacing k axes by rn axes. */
void ht_ix_adv_shape(const ht_array *v, int ax, int k, int rn, const int64_t *rshape, int *ndim,
                     int64_t *shape) {
  int n = 0;
  for (int d = 0; d < ax; d++)
    shape[n++] = v->gshape[d];
  for (int d = 0; d < rn; d++)
    shape[n++] = rshape[d];
  for (int d = ax + k; d < v->ndim; d++)
    shape[n++] = v->gshape[d];
  *ndim = n;
}

/* Where v's split axis goes when axes [ax, ax+k) become rn axes (-1 if it is among them). */
int ht_ix_adv_split(const ht_array *v, int ax, int k, int rn) {
  if (v->split < ax) return v->split;
  if (v->split >= ax + k) return v->split - k + rn;
  return -1;
}

/* The order NumPy gives when the array's axes go first: [ax, ax+n), then the rest. */
void ht_ix_adv_first_perm(int ndim, int ax, int n, int *perm) {
  int k = 0;
  for (int d = ax; d < ax + n; d++)
    perm[k++] = d;
  for (int d = 0; d < ax; d++)
    perm[k++] = d;
  for (int d = ax + n; d < ndim; d++)
    perm[k++] = d;
}

