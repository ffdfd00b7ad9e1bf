/* setitem: the value is broadcast to the selection, moved to the ranks that own the
 * selected places (aligned with the selection's counts, or sent row by row when integer
 * indices pick rows of the split axis), cast to the array's dtype, and written in place. */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/take.h"
#include "index_plan.h"

/* NumPy's broadcasting check of the value against the selection's shape. */
static int check_value(const ht_array *value, int sn, const int64_t *s, bool advanced) {
  for (int i = 0; i < value->ndim; i++) {
    int64_t vd = value->gshape[value->ndim - 1 - i], sd = i < sn ? s[sn - 1 - i] : 1;
    if (vd != sd && vd != 1) {
      char a[128], b[128];
      ht_fmt_shape(a, sizeof a, value->ndim, value->gshape);
      ht_fmt_shape(b, sizeof b, sn, s);
      if (advanced)
        return ht_error(
            "setitem: shape mismatch: value array of shape %s could not be "
            "broadcast to indexing result of shape %s",
            a, b);
      return ht_error("setitem: could not broadcast input array from shape %s into shape %s", a, b);
    }
  }
  return 0;
}

/* A view of value with exactly sn axes: leading length-1 axes dropped or added. */
static ht_array *value_to_ndim(const ht_array *value, int sn) {
  int lead = value->ndim - sn;
  ht_array *v = lead > 0 && value->split >= 0 && value->split < lead ? ht_ix_replicate(value)
                                                                     : ht_array_view(value);
  if (!v) return NULL;
  for (; lead > 0; lead--)
    ht_ix_drop_axis(v, 0);
  if (lead < 0) {
    int add = -lead;
    for (int d = v->ndim - 1; d >= 0; d--) {
      v->gshape[d + add] = v->gshape[d];
      v->lshape[d + add] = v->lshape[d];
      v->strides[d + add] = v->strides[d];
    }
    for (int d = 0; d < add; d++)
      v->gshape[d] = v->lshape[d] = 1, v->strides[d] = 0;
    v->ndim += add;
    if (v->split >= 0) v->split += add;
  }
  return v;
}

/* The value (sn axes) ready for a selection split along ss (or -1) with counts sc: where
 * the value is not broadcast along ss it is aligned with the selection's rows, otherwise
 * every rank gets all of it. */
static ht_array *conform(const ht_array *v, int ss, int64_t slen, const int64_t *sc) {
  if (ss < 0 || v->gshape[ss] != slen) return ht_ix_replicate(v);
  return ht_ix_align(v, ss, sc);
}

/* v's local chunk as an operand of local shape lshape (same ndim): broadcast axes get
 * stride 0. A stack header; the storage stays v's. */
static ht_array local_bcast(const ht_array *v, const int64_t *lshape) {
  ht_array e = *v;
  e.split = -1, e.counts = NULL;
  for (int d = 0; d < v->ndim; d++) {
    e.lshape[d] = lshape[d];
    if (v->lshape[d] != lshape[d]) e.strides[d] = 0;
  }
  return e;
}

/* The conformed value in the target's dtype (a local cast: every rank converts its part),
 * and never sharing memory with the target: x[1:] = x[:-1] reads what it writes. Both
 * copies are local, and skipped when moving the value already made one. */
static ht_array *ready(ht_array *v, const ht_array *target, ht_dtype t) {
  if (!v || (v->dtype == t && v->buf != target->buf)) return v;
  ht_array *c = ht_astype(v, t);
  ht_array_free(v);
  return c;
}

/* The selection's shape on this rank: sc[me] along ss. */
static void local_shape(int sn, const int64_t *s, int ss, const int64_t *sc, int64_t *out) {
  memcpy(out, s, sizeof(int64_t) * (size_t)sn);
  if (ss >= 0) out[ss] = sc[ht_comm_rank()];
}

static int basic_set(ht_array *T, const ht_array *V, bool writer) {
  ht_array *L = conform(V, T->split, T->split >= 0 ? T->gshape[T->split] : 0, T->counts);
  if (L && L->buf == T->buf) L = ready(L, T, L->dtype); /* ht_copy_into casts */
  int rc = ht_comm_agree(L ? 0 : -1);
  if (!rc && writer) rc = ht_copy_into(T, L);
  ht_array_free(L);
  return rc;
}

static int fancy_set_local(ht_array *T, const ht_array *V, const ht_index_plan *pl, int sn,
                           const int64_t *S, bool writer) {
  const ht_array *idx = pl->adv;
  const int ax = pl->adv_axis, ss = ht_ix_adv_split(T, ax, 1, idx->ndim);
  const int64_t m = ht_array_gsize(idx);
  int64_t stride, ls[HT_MAXDIM];
  int64_t *J = ht_ix_index_values(idx, T->gshape[ax], pl->adv_src_axis, "setitem");
  if (!J) return -1;
  ht_array *L = ready(conform(V, ss, ss >= 0 ? S[ss] : 0, T->counts), T, T->dtype);
  int rc = ht_comm_agree(L ? 0 : -1);
  if (!rc && writer) {
    local_shape(sn, S, ss, T->counts, ls);
    ht_array E = local_bcast(L, ls);
    ht_ix_axis_bytes(T, ax, 1, &stride);
    for (int64_t k = 0; k < m; k++)
      J[k] *= stride;
    int64_t *ssel = ht_ix_offsets(&E, ax, ax + idx->ndim);
    rc = ssel ? ht_ix_take(T, ax, 1, J, &E, idx->ndim, ssel, m, true) : -1;
    free(ssel);
  }
  free(J);
  ht_array_free(L);
  return rc;
}

/* Rows of the split axis written in any order: the value is spread in index order, and
 * each rank sends each row to the rank that owns its target. */
static int fancy_set_split(ht_array *T, const ht_array *V, const ht_index_plan *pl, int sn,
                           const int64_t *S) {
  const ht_array *idx = pl->adv;
  const int ax = pl->adv_axis, p = ht_comm_size(), me = ht_comm_rank();
  const int64_t es = (int64_t)ht_dtype_size(T->dtype), m = ht_array_gsize(idx);
  int64_t *J = ht_ix_index_values(idx, T->gshape[ax], pl->adv_src_axis, "setitem");
  if (!J) return -1;
  int *own = ht_ix_owners(J, m, T->counts);
  int64_t *w = calloc((size_t)p * 4, sizeof(int64_t)), ls[HT_MAXDIM];
  int64_t *sel = malloc(sizeof(int64_t) * (size_t)(m ? 2 * m : 1));
  ht_array *L = NULL, *Lm = NULL;
  ht_xchg x = {0};
  int rc = ht_comm_agree(own && w && sel ? 0 : ht_error("setitem: out of memory"));
  if (rc || (rc = ht_xchg_init(&x, "setitem"))) goto done;
  int64_t *sn_ = w, *rn = w + p, *vc = w + 2 * p, *at = w + 3 * p; /* rows per peer */
  ht_block_counts(idx->gshape[0], p, vc); /* the value's rows: balanced along the index */
  L = conform(V, ax, S[ax], vc);
  if (!(rc = ht_comm_agree(L ? 0 : -1))) { /* packed in T's dtype, broadcasts expanded */
    local_shape(sn, S, ax, vc, ls);
    Lm = ht_array_empty(T->dtype, sn, ls, -1, T->device);
    rc = ht_comm_agree(Lm ? ht_copy_into(Lm, L) : -1);
  }
  if (rc) goto done;
  const int64_t iw = ht_ix_prod(idx->gshape + 1, idx->ndim - 1), my0 = ht_rank_lo(vc, me) * iw;
  const int64_t my1 = my0 + vc[me] * iw, tstart = ht_array_lstart(T);
  const int64_t slab =
      ht_ix_prod(T->lshape, ax) * ht_ix_prod(T->lshape + ax + 1, T->ndim - ax - 1) * es;
  const int64_t linner = ht_ix_prod(ls + ax + idx->ndim, sn - ax - idx->ndim) * es;
  int64_t *ssel = sel, *dsel = sel + m, tstr, nd = 0;
  ht_ix_axis_bytes(T, ax, 1, &tstr);
  for (int64_t j = my0; j < my1; j++)
    sn_[own[j]]++;
  for (int r = 0; r < p; r++)
    at[r] = r ? at[r - 1] + sn_[r - 1] : 0;
  for (int64_t j = my0; j < my1; j++)
    ssel[at[own[j]]++] = (j - my0) * linner;                  /* by owner */
  for (int64_t j = 0, r = 0, rend = vc[0] * iw; j < m; j++) { /* what comes to me, in order */
    while (j >= rend)
      rend += vc[++r] * iw;
    if (own[j] == me) rn[r]++, dsel[nd++] = (J[j] - tstart) * tstr;
  }
  for (int r = 0; r < p; r++) x.sc[r] = sn_[r] * slab, x.rc[r] = rn[r] * slab;
  if ((rc = ht_xchg_alloc(&x, true))) goto done;
  ht_buffer fake = {0};
  int64_t k0 = 0;
  for (int r = 0; r < p && !rc; k0 += sn_[r], r++) {
    ht_array b = ht_ix_block(T, ax, sn_[r], x.sbuf + x.sd[r], &fake);
    int64_t *pos = ht_ix_arith(sn_[r], ht_ix_prod(b.lshape + ax + 1, b.ndim - ax - 1) * es);
    rc = pos ? ht_ix_take(&b, ax, 1, pos, Lm, idx->ndim, ssel + k0, sn_[r], false) : -1;
    free(pos);
  }
  if ((rc = ht_xchg_run(&x, rc, NULL, NULL))) goto done;
  k0 = 0;
  for (int r = 0; r < p && !rc; k0 += rn[r], r++) { /* in rank order: the last write wins */
    ht_array b = ht_ix_block(T, ax, rn[r], x.rbuf + x.rd[r], &fake);
    int64_t *pos = ht_ix_arith(rn[r], ht_ix_prod(b.lshape + ax + 1, b.ndim - ax - 1) * es);
    rc = pos ? ht_ix_take(T, ax, 1, dsel + k0, &b, 1, pos, rn[r], true) : -1;
    free(pos);
  }
done:
  ht_xchg_free(&x);
  free(J), free(own), free(w), free(sel);
  ht_array_free(L), ht_array_free(Lm);
  return rc;
}

/* How many elements of a mask are true, over all ranks. */
static int64_t mask_count(const ht_array *mask) {
  int64_t vstr[HT_MAXDIM] = {0}, n = ht_ix_mask_scan(mask, vstr, -1, 0, 0, NULL, NULL, 0);
  if (mask->split >= 0 && ht_comm_allreduce_i64(&n, 1, MPI_SUM)) return -1;
  return n;
}

/* x[mask] = scalar: a masked fill of the local chunk, whatever the split. */
static int mask_fill(ht_array *T, const ht_array *V, const ht_index_plan *pl, bool writer) {
  const int ax = pl->adv_axis, k = pl->adv_k;
  bool on_split = T->split >= ax && T->split < ax + k;
  ht_array *M =
      on_split ? ht_ix_align(pl->adv, T->split - ax, T->counts) : ht_ix_replicate(pl->adv);
  ht_array *s = ready(ht_ix_replicate(V), T, T->dtype);
  int rc = ht_comm_agree(M && s ? 0 : -1);
  if (!rc && writer) {
    int64_t dstr[HT_MAXDIM], mstr[HT_MAXDIM] = {0};
    ht_ix_axis_bytes(T, 0, T->ndim, dstr);
    for (int j = 0; j < k; j++)
      mstr[ax + j] = M->strides[j];
    ht_cpu_masked_fill(ht_dtype_size(T->dtype), T->ndim, T->lshape, ht_array_data(T), dstr,
                       ht_array_data(M), mstr, ht_array_data(s));
  }
  ht_array_free(M), ht_array_free(s);
  return rc;
}

/* x[mask] = array: the value's elements in the mask's C order. */
static int mask_set(ht_array *T, const ht_array *V, const ht_index_plan *pl, int sn,
                    const int64_t *S, bool writer) {
  const int ax = pl->adv_axis, k = pl->adv_k, p = ht_comm_size();
  const int64_t es = (int64_t)ht_dtype_size(T->dtype);
  const bool on_split = T->split >= ax && T->split < ax + k;
  /* the rank order is the mask's C order when the split is the mask's first axis; else
   * every rank walks the whole mask and picks its part from the whole value */
  const bool window = on_split && T->split != ax;
  ht_array *M = on_split && !window ? ht_ix_align(pl->adv, 0, T->counts) : ht_ix_replicate(pl->adv);
  int64_t tstr[HT_MAXDIM], *counts = malloc(sizeof(int64_t) * (size_t)p), n = 0;
  int64_t *dsel = NULL, *ssel = NULL, ls[HT_MAXDIM];
  ht_array *L = NULL;
  int rc = ht_comm_agree(M && counts ? 0 : (M ? ht_error("setitem: out of memory") : -1));
  if (rc) goto done;
  ht_ix_axis_bytes(T, ax, k, tstr);
  int w = window ? T->split - ax : -1;
  int64_t lo = window ? ht_array_lstart(T) : 0, hi = lo + (window ? T->lshape[T->split] : 0);
  n = ht_ix_mask_scan(M, tstr, w, lo, hi, NULL, NULL, 0);
  int ss = ht_ix_adv_split(T, ax, k, 1);
  if (on_split && !window) { /* the selection is split along ax with every rank's count */
    if ((rc = ht_ix_allgather_count(n, counts))) goto done;
    ss = ax;
  } else if (ss >= 0) {
    memcpy(counts, T->counts, sizeof(int64_t) * (size_t)p);
  }
  L = ready(conform(V, window ? -1 : ss, ss >= 0 ? S[ss] : 0, counts), T, T->dtype);
  if ((rc = ht_comm_agree(L ? 0 : -1))) goto done;
  local_shape(sn, S, window ? -1 : ss, counts, ls);
  ht_array E = local_bcast(L, ls);
  dsel = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  ssel = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (!dsel || !ssel) rc = ht_error("setitem: out of memory");
  if (!rc && writer) {
    ht_ix_mask_scan(M, tstr, w, lo, hi, dsel, ssel, E.strides[ax] * es);
    if (!window) /* the selected positions in the value: this rank's run of it */
      for (int64_t j = 0; j < n; j++)
        ssel[j] = j * E.strides[ax] * es;
    rc = ht_ix_take(T, ax, k, dsel, &E, 1, ssel, n, true);
  }
done:
  free(counts), free(dsel), free(ssel);
  ht_array_free(M), ht_array_free(L);
  return rc;
}

int ht_setitem(ht_array *a, const ht_index *ix, const ht_array *value) {
  ht_index_plan pl;
  if (ht_require_host(a, "setitem") || ht_require_host(value, "setitem")) return -1;
  if (ht_index_plan_make(a, ix, "setitem", &pl)) return -1;
  ht_array *T = pl.view, *V = NULL;
  bool writer = true;
  int rc = -1;
  if (pl.int_axis >= 0) { /* only the owner of the row writes; the axis goes */
    writer = T->counts[ht_comm_rank()] > 0;
    ht_ix_drop_axis(T, pl.int_axis);
    if (pl.adv_axis > pl.int_axis) pl.adv_axis--;
  }
  const bool scalar = ht_array_gsize(value) == 1;
  if (pl.adv && pl.adv->dtype == HT_BOOL && scalar) {
    rc = mask_fill(T, value, &pl, writer);
    goto done;
  }
  /* the selection's shape, in the order the value is given */
  int sn = T->ndim, rn = 0;
  int64_t S[HT_MAXDIM], Sf[HT_MAXDIM];
  memcpy(S, T->gshape, sizeof S);
  if (pl.adv) {
    int64_t nnz = 0;
    if (pl.adv->dtype == HT_BOOL && (nnz = mask_count(pl.adv)) < 0) goto done;
    rn = pl.adv->dtype == HT_BOOL ? 1 : pl.adv->ndim;
    ht_ix_adv_shape(T, pl.adv_axis, pl.adv_k, rn, pl.adv->dtype == HT_BOOL ? &nnz : pl.adv->gshape,
                    &sn, S);
  }
  int perm[HT_MAXDIM], inv[HT_MAXDIM];
  for (int d = 0; d < sn; d++)
    perm[d] = d;
  if (pl.adv_first) ht_ix_adv_first_perm(sn, pl.adv_axis, rn, perm);
  for (int d = 0; d < sn; d++)
    Sf[d] = S[perm[d]], inv[perm[d]] = d;
  if (check_value(value, sn, Sf, pl.adv != NULL) || !(V = value_to_ndim(value, sn))) goto done;
  ht_ix_permute(V, inv);  /* now in the selection's natural order */
  if (pl.rev_axis >= 0) { /* a negative step along the split: write the rows increasing */
    int fa = pl.adv && pl.rev_axis > pl.adv_axis ? pl.rev_axis - pl.adv_k + rn : pl.rev_axis;
    if (V->gshape[fa] > 1) {
      ht_index flip = {0};
      for (int d = 0; d < sn; d++)
        ht_index_slice(&flip, false, 0, false, 0, d == fa ? -1 : 1, "setitem");
      ht_array *r = ht_getitem(V, &flip);
      ht_array_free(V);
      if (!(V = r)) goto done;
    }
  }
  if (!pl.adv)
    rc = basic_set(T, V, writer);
  else if (pl.adv->dtype == HT_BOOL)
    rc = mask_set(T, V, &pl, sn, S, writer);
  else if (T->split == pl.adv_axis)
    rc = fancy_set_split(T, V, &pl, sn, S);
  else
    rc = fancy_set_local(T, V, &pl, sn, S, writer);
done:
  ht_array_free(T), ht_array_free(V);
  return rc;
}
