/* getitem: the basic part of an index is a view; the rest moves data: a number along the
 * split axis (the owner broadcasts), a negative step along it (ranks swap blocks), masks
 * (local selections, the result split by each rank's count) and integer arrays (local
 * gathers, or one all-to-all when they pick rows of the split axis). */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/take.h"
#include "index_plan.h"

/* ---- the data-moving steps of getitem ---- */

/* v[..., i, ...] where axis ax is v's split axis of global length 1: the owner broadcasts. */
static ht_array *pick_split_row(ht_array *v, int ax) {
  int p = ht_comm_size(), owner = 0;
  for (int r = 0; r < p; r++)
    if (v->counts[r]) owner = r;
  ht_array row = *v;
  row.counts = NULL;
  ht_ix_drop_axis(&row, ax); /* on the owner its one row, elsewhere nothing is read */
  row.split = -1;
  ht_array *out = ht_array_empty(v->dtype, row.ndim, row.gshape, -1, v->device);
  if (ht_comm_agree(out ? 0 : -1)) return ht_array_free(out), NULL;
  if (ht_comm_rank() == owner && ht_copy_into(out, &row)) return ht_array_free(out), NULL;
  if (ht_comm_bcast(ht_array_data(out), ht_array_lsize(out) * (int64_t)ht_dtype_size(out->dtype),
                    owner))
    return ht_array_free(out), NULL;
  return out;
}

/* v reversed along its split axis ax: rank r's rows, reversed, become rank p-1-r's. */
static ht_array *reverse_split(const ht_array *v, int ax) {
  int p = ht_comm_size(), peer = p - 1 - ht_comm_rank();
  int64_t *c = malloc(sizeof(int64_t) * (size_t)p);
  if (!c) return ht_error("getitem: out of memory"), NULL;
  for (int r = 0; r < p; r++)
    c[r] = v->counts[p - 1 - r];
  ht_array *out = ht_array_empty_counts(v->dtype, v->ndim, v->gshape, ax, c, v->device);
  free(c);
  ht_array mine = *v; /* my rows in reverse order */
  mine.counts = NULL, mine.split = -1;
  if (mine.lshape[ax] > 0) mine.offset += (mine.lshape[ax] - 1) * mine.strides[ax];
  mine.strides[ax] = -mine.strides[ax];
  if (ht_comm_agree(out ? 0 : -1)) return ht_array_free(out), NULL;
  ht_xseg send = {peer, ax, &mine, 0, mine.lshape[ax]};
  ht_xseg recv = {peer, ax, out, 0, out->lshape[ax]};
  if (ht_exchange(&send, 1, &recv, 1, v->dtype, "getitem")) return ht_array_free(out), NULL;
  return out;
}

/* ---- getitem with an integer array or a mask ---- */

/* The positions picked from rows this rank owns: plain local gathers. */
static ht_array *fancy_get_local(const ht_array *v, const ht_index_plan *pl) {
  const ht_array *idx = pl->adv;
  const int ax = pl->adv_axis;
  int ndim;
  int64_t shape[HT_MAXDIM], m = ht_array_gsize(idx), stride;
  int64_t *J = ht_ix_index_values(idx, v->gshape[ax], pl->adv_src_axis, "getitem");
  if (!J) return NULL;
  ht_ix_adv_shape(v, ax, 1, idx->ndim, idx->gshape, &ndim, shape);
  ht_array *out = ht_array_empty_counts(v->dtype, ndim, shape, ht_ix_adv_split(v, ax, 1, idx->ndim),
                                        v->counts, v->device);
  ht_ix_axis_bytes(v, ax, 1, &stride);
  for (int64_t k = 0; k < m; k++)
    J[k] *= stride; /* positions become byte offsets */
  int64_t inner = ht_ix_prod(out ? out->lshape + ax + idx->ndim : shape, ndim - ax - idx->ndim);
  int64_t *dsel = ht_ix_arith(m, inner * (int64_t)ht_dtype_size(v->dtype));
  int rc = ht_comm_agree(out && dsel ? 0 : -1);
  if (!rc) rc = ht_ix_take(out, ax, idx->ndim, dsel, v, 1, J, m, false);
  free(J), free(dsel);
  if (rc) return ht_array_free(out), NULL;
  return out;
}

/* Rows of the split axis picked in any order: each rank sends the rows it owns to the
 * rank that holds their place in the (balanced) result, one all-to-all. */
static ht_array *fancy_get_split(const ht_array *v, const ht_index_plan *pl) {
  const ht_array *idx = pl->adv;
  const int ax = pl->adv_axis, p = ht_comm_size(), me = ht_comm_rank();
  const int64_t es = (int64_t)ht_dtype_size(v->dtype), m = ht_array_gsize(idx);
  int ndim;
  int64_t shape[HT_MAXDIM];
  ht_ix_adv_shape(v, ax, 1, idx->ndim, idx->gshape, &ndim, shape);
  int64_t *J = ht_ix_index_values(idx, v->gshape[ax], pl->adv_src_axis, "getitem");
  if (!J) return NULL;
  int *own = ht_ix_owners(J, m, v->counts);
  ht_array *out = ht_array_empty(v->dtype, ndim, shape, ax, v->device);
  int64_t *sel = malloc(sizeof(int64_t) * (size_t)(m ? 2 * m : 1));
  int64_t *sn = calloc(2 * (size_t)p, sizeof(int64_t)), *rn = sn + p; /* rows per peer */
  ht_xchg x = {0};
  int rc = ht_comm_agree(own && out && sel && sn ? 0 : -1);
  if (rc || (rc = ht_xchg_init(&x, "getitem"))) goto done;
  /* entries (flattened index positions) of the result on each rank */
  const int64_t iw = ht_ix_prod(idx->gshape + 1, idx->ndim - 1), my0 = ht_array_lstart(out) * iw;
  const int64_t my1 = my0 + out->counts[me] * iw;
  const int64_t slab =
      ht_ix_prod(v->lshape, ax) * ht_ix_prod(v->lshape + ax + 1, v->ndim - ax - 1) * es;
  int64_t *ssel = sel, *dsel = sel + m, ns = 0, vstart = ht_array_lstart(v), vstr;
  ht_ix_axis_bytes(v, ax, 1, &vstr);
  for (int64_t j = 0, q = 0, qend = out->counts[0] * iw; j < m; j++) {
    while (j >= qend)
      qend += out->counts[++q] * iw; /* the rank whose result holds j */
    if (own[j] == me) sn[q]++, ssel[ns++] = (J[j] - vstart) * vstr;
    if (q == me) rn[own[j]]++;
  }
  for (int r = 0; r < p; r++) x.sc[r] = sn[r] * slab, x.rc[r] = rn[r] * slab;
  if ((rc = ht_xchg_alloc(&x, true))) goto done;
  ht_buffer fake = {0};
  int64_t k0 = 0;
  for (int r = 0; r < p && !rc; k0 += sn[r], r++) { /* pack, in j order */
    ht_array b = ht_ix_block(v, ax, sn[r], x.sbuf + x.sd[r], &fake);
    int64_t *pos = ht_ix_arith(sn[r], ht_ix_prod(b.lshape + ax + 1, b.ndim - ax - 1) * es);
    rc = pos ? ht_ix_take(&b, ax, 1, pos, v, 1, ssel + k0, sn[r], false) : -1;
    free(pos);
  }
  if ((rc = ht_xchg_run(&x, rc, NULL, NULL))) goto done;
  const int64_t rinner = ht_ix_prod(out->lshape + ax + idx->ndim, ndim - ax - idx->ndim) * es;
  for (int o = 0; o < p && !rc; o++) { /* unpack: source o's rows go where its j are */
    int64_t n = 0;
    for (int64_t j = my0; j < my1; j++)
      if (own[j] == o) dsel[n++] = (j - my0) * rinner;
    ht_array b = ht_ix_block(v, ax, rn[o], x.rbuf + x.rd[o], &fake);
    int64_t *pos = ht_ix_arith(n, ht_ix_prod(b.lshape + ax + 1, b.ndim - ax - 1) * es);
    rc = pos ? ht_ix_take(out, ax, idx->ndim, dsel, &b, 1, pos, n, false) : -1;
    free(pos);
  }
done:
  ht_xchg_free(&x);
  free(J), free(own), free(sel), free(sn);
  if (rc) return ht_array_free(out), NULL;
  return out;
}

/* The elements (or sub-blocks) where a mask is true, in C order. A mask over the split
 * axis selects on each rank; the result is split with each rank's count. */
static ht_array *mask_get(const ht_array *v0, const ht_index_plan *pl) {
  const ht_array *mask = pl->adv;
  const int ax = pl->adv_axis, k = pl->adv_k, p = ht_comm_size();
  const int64_t es = (int64_t)ht_dtype_size(v0->dtype);
  bool on_split = v0->split >= ax && v0->split < ax + k;
  /* the C order of the masked axes is the rank order only when the split is the first */
  const ht_array *v = v0;
  ht_array *moved = NULL;
  if (on_split && v0->split != ax) {
    if (!(moved = ht_resplit(v0, ax))) return NULL;
    v = moved;
  }
  ht_array *M = on_split ? ht_ix_align(mask, 0, v->counts) : ht_ix_replicate(mask);
  int64_t vstr[HT_MAXDIM], n = 0, *dsel = NULL, *ssel = NULL, *counts = NULL;
  ht_array *out = NULL;
  int rc = ht_comm_agree(M ? 0 : -1);
  if (rc) goto done;
  /* x[x > 0] of a contiguous chunk: one compress loop, no position lists */
  const bool flat = k == v->ndim && ht_array_is_contiguous(v) && ht_array_is_contiguous(M);
  ht_ix_axis_bytes(v, ax, k, vstr);
  ht_mask_pieces pieces; /* the flat path's counts, read again by its compress */
  n = flat ? ht_cpu_mask_pieces(ht_array_data(M), ht_array_lsize(M), &pieces)
           : ht_ix_mask_scan(M, vstr, -1, 0, 0, NULL, NULL, 0);
  counts = malloc(sizeof(int64_t) * (size_t)p);
  ssel = flat ? NULL : malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if ((rc = ht_comm_agree(counts && (flat || ssel) ? 0 : ht_error("getitem: out of memory"))))
    goto done;
  int64_t total = n;
  if (on_split) { /* the result's counts: every rank's selection */
    if ((rc = ht_ix_allgather_count(n, counts))) goto done;
    total = ht_rank_lo(counts, p);
  } else if (v->split >= 0) {
    memcpy(counts, v->counts, sizeof(int64_t) * (size_t)p);
  }
  int ndim, split = on_split ? ax : ht_ix_adv_split(v, ax, k, 1);
  int64_t shape[HT_MAXDIM];
  ht_ix_adv_shape(v, ax, k, 1, &total, &ndim, shape);
  out = ht_array_empty_counts(v->dtype, ndim, shape, split, split >= 0 ? counts : NULL, v->device);
  if ((rc = ht_comm_agree(out ? 0 : -1))) goto done;
  if (flat) {
    ht_cpu_compress_pieces((size_t)es, ht_array_data(v), ht_array_data(M), ht_array_data(out),
                           &pieces);
    goto done;
  }
  ht_ix_mask_scan(M, vstr, -1, 0, 0, ssel, NULL, 0);
  dsel = ht_ix_arith(n, ht_ix_prod(out->lshape + ax + 1, ndim - ax - 1) * es);
  rc = dsel ? ht_ix_take(out, ax, 1, dsel, v, k, ssel, n, false) : -1;
done:
  free(dsel), free(ssel), free(counts);
  ht_array_free(M), ht_array_free(moved);
  if (rc) return ht_array_free(out), NULL;
  return out;
}

ht_array *ht_getitem(const ht_array *a, const ht_index *ix) {
  ht_index_plan pl;
  if (ht_index_plan_make(a, ix, "getitem", &pl)) return NULL;
  ht_array *v = pl.view;
  pl.view = NULL;
  if ((pl.int_axis >= 0 || pl.rev_axis >= 0 || pl.adv) && ht_require_host(a, "getitem"))
    return ht_array_free(v), NULL;
  if (pl.int_axis >= 0) {
    ht_array *r = pick_split_row(v, pl.int_axis);
    ht_array_free(v);
    if (!(v = r)) return NULL;
    if (pl.adv_axis > pl.int_axis) pl.adv_axis--;
  }
  if (pl.rev_axis >= 0) {
    ht_array *r = reverse_split(v, pl.rev_axis);
    ht_array_free(v);
    if (!(v = r)) return NULL;
  }
  if (!pl.adv) return v;
  bool on_split = v->split >= pl.adv_axis && v->split < pl.adv_axis + pl.adv_k;
  ht_array *r = pl.adv->dtype == HT_BOOL ? mask_get(v, &pl)
                : on_split               ? fancy_get_split(v, &pl)
                                         : fancy_get_local(v, &pl);
  ht_array_free(v);
  if (r && pl.adv_first) {
    int perm[HT_MAXDIM];
    ht_ix_adv_first_perm(r->ndim, pl.adv_axis, pl.adv->dtype == HT_BOOL ? 1 : pl.adv->ndim, perm);
    ht_ix_permute(r, perm);
  }
  return r;
}
