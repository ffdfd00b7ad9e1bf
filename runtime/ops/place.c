/* Placement of row segments into a distribution: the one data movement behind
 * concatenate, flip, roll, repeat, tile and diff along the split axis. Each rank knows
 * every rank's segments from replicated metadata, so one all-to-all suffices. */
#include <stdlib.h>

#include "manip_util.h"

int ht_seg1_fn(int q, ht_seg *segs, void *ctx) {
  const ht_seg1 *s = ctx;
  if (!s->len[q]) return 0;
  segs[0] = (ht_seg){0, s->lo[q], s->len[q], s->glo[q]};
  return 1;
}

/* The part of segment s inside rows [lo, lo+n): its first row and length (0: none). */
static int64_t overlap(const ht_seg *s, int64_t lo, int64_t n, int64_t *first) {
  int64_t a = s->glo > lo ? s->glo : lo;
  int64_t b = s->glo + s->len < lo + n ? s->glo + s->len : lo + n;
  *first = a;
  return b > a ? b - a : 0;
}

/* Bytes of `rows` rows of out's local block along axis. */
static int64_t row_bytes(const ht_array *out, int axis, int64_t rows) {
  int64_t n = rows * (int64_t)ht_dtype_size(out->dtype);
  for (int d = 0; d < out->ndim; d++)
    if (d != axis) n *= out->lshape[d];
  return n;
}

int ht_place(ht_array *out, int axis, const ht_array *const *src, ht_seg_fn segs_of,
             int maxseg, void *ctx, const char *fn) {
  const int p = ht_comm_size(), me = ht_comm_rank();
  const int64_t nrows = out->gshape[axis];
  int64_t *w = malloc(sizeof(int64_t) * 6 * (size_t)p);
  int *nseg = malloc(sizeof(int) * (size_t)p);
  ht_seg *segs = malloc(sizeof(ht_seg) * (size_t)(maxseg > 0 ? maxseg : 1) * (size_t)p);
  char *sbuf = NULL, *rbuf = NULL;
  int status = 0;
  if (ht_comm_agree(!w || !nseg || !segs ? ht_error("%s: out of memory", fn) : 0)) {
    status = -1;
    goto done;
  }
  int64_t *olo = w, *on = w + p, *sc = w + 2 * p, *sd = w + 3 * p, *rc = w + 4 * p,
          *rd = w + 5 * p;
  for (int q = 0; q < p; q++) {
    nseg[q] = segs_of(q, segs + (size_t)q * (size_t)maxseg, ctx);
    olo[q] = out->split == axis ? ht_rank_lo(out->counts, q) : 0;
    on[q] = out->split == axis ? out->counts[q] : nrows;
  }
  /* byte counts: what my segments give each rank, what each rank's segments give me */
  int64_t stot = 0, rtot = 0, first;
  const ht_seg *mine = segs + (size_t)me * (size_t)maxseg;
  for (int q = 0; q < p; q++) {
    const ht_seg *theirs = segs + (size_t)q * (size_t)maxseg;
    sc[q] = rc[q] = 0;
    if (q == me) continue;
    for (int k = 0; k < nseg[me]; k++)
      sc[q] += row_bytes(out, axis, overlap(&mine[k], olo[q], on[q], &first));
    for (int k = 0; k < nseg[q]; k++)
      rc[q] += row_bytes(out, axis, overlap(&theirs[k], olo[me], on[me], &first));
    sd[q] = stot, stot += sc[q];
    rd[q] = rtot, rtot += rc[q];
  }
  sd[me] = stot, rd[me] = rtot;
  sbuf = malloc((size_t)stot + 1);
  rbuf = malloc((size_t)rtot + 1);
  if (ht_comm_agree(!sbuf || !rbuf ? ht_error("%s: out of memory", fn) : 0)) {
    status = -1;
    goto done;
  }
  ht_buffer fake;
  /* local rows first: no message for them */
  for (int k = 0; k < nseg[me]; k++) {
    int64_t n = overlap(&mine[k], olo[me], on[me], &first);
    if (!n) continue;
    ht_array part = ht_narrow(src[mine[k].src], axis, mine[k].lo + first - mine[k].glo, n);
    ht_array dst = ht_narrow(out, axis, first - olo[me], n);
    if ((status = ht_copy_into(&dst, &part))) break;
  }
  if (ht_comm_agree(status)) {
    status = -1;
    goto done;
  }
  for (int q = 0; q < p; q++) {
    char *at = sbuf + sd[q];
    for (int k = 0; k < nseg[me] && q != me; k++) {
      int64_t n = overlap(&mine[k], olo[q], on[q], &first);
      if (!n) continue;
      ht_array part = ht_narrow(src[mine[k].src], axis, mine[k].lo + first - mine[k].glo, n);
      ht_array packed = ht_raw(&fake, out->dtype, out->ndim, part.lshape, at);
      ht_copy_into(&packed, &part);
      at += row_bytes(out, axis, n);
    }
  }
  if ((status = ht_comm_alltoallv(sbuf, sc, sd, rbuf, rc, rd))) goto done;
  for (int q = 0; q < p; q++) {
    const ht_seg *theirs = segs + (size_t)q * (size_t)maxseg;
    char *at = rbuf + rd[q];
    for (int k = 0; k < nseg[q] && q != me; k++) {
      int64_t n = overlap(&theirs[k], olo[me], on[me], &first);
      if (!n) continue;
      ht_array dst = ht_narrow(out, axis, first - olo[me], n);
      ht_array packed = ht_raw(&fake, out->dtype, out->ndim, dst.lshape, at);
      ht_copy_into(&dst, &packed);
      at += row_bytes(out, axis, n);
    }
  }
done:
  free(sbuf), free(rbuf), free(segs), free(nseg), free(w);
  return status;
}
