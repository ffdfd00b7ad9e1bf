/* The exchange engine (exchange.h): counts, buffers, agreement, one all-to-all. */
#include "exchange.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"

int ht_xchg_init(ht_xchg *x, const char *fn) {
  int p = ht_comm_size();
  memset(x, 0, sizeof *x);
  x->fn = fn;
  x->sc = ht_meta_calloc(5 * (size_t)p, sizeof(int64_t), fn); /* O(p): not agreed */
  x->sd = x->sc + p, x->rc = x->sc + 2 * p, x->rd = x->sc + 3 * p, x->at = x->sc + 4 * p;
  return 0;
}

int ht_xchg_counts(ht_xchg *x) {
  int p = ht_comm_size();
  for (int q = 0; q < p; q++) x->at[q] = 8, x->sd[q] = x->rd[q] = 8 * (int64_t)q;
  int rc = ht_comm_alltoallv(x->sc, x->at, x->sd, x->rc, x->at, x->rd);
  memset(x->at, 0, sizeof(int64_t) * (size_t)p);
  return rc;
}

int ht_xchg_alloc(ht_xchg *x, bool buffers) {
  int p = ht_comm_size();
  int64_t stot = 0, rtot = 0;
  for (int q = 0; q < p; q++) {
    x->sd[q] = stot, stot += x->sc[q];
    x->rd[q] = rtot, rtot += x->rc[q];
  }
  if (!buffers) return 0;
  x->sbuf = ht_scratch_alloc(stot, x->fn);
  x->rbuf = x->sbuf ? ht_scratch_alloc(rtot, x->fn) : NULL;
  return ht_comm_agree(x->rbuf ? 0 : -1);
}

int ht_xchg_run(ht_xchg *x, int status, const void *send, void *recv) {
  if (ht_comm_agree(status)) return -1;
  return ht_comm_alltoallv(send ? send : x->sbuf, x->sc, x->sd, recv ? recv : x->rbuf, x->rc,
                           x->rd);
}

void ht_xchg_free(ht_xchg *x) {
  free(x->sbuf), free(x->rbuf), free(x->sc);
  x->sbuf = x->rbuf = NULL, x->sc = NULL;
}

static int64_t seg_elems(const ht_xseg *s) {
  int64_t n = s->len;
  for (int d = 0; d < s->a->ndim; d++)
    if (d != s->axis) n *= s->a->lshape[d];
  return n;
}

/* Copies segment s to or from packed memory at `at`; returns its bytes, -1 on failure. */
static int64_t move_packed(const ht_xseg *s, ht_dtype wire, char *at, bool pack) {
  ht_buffer fake;
  ht_array part = ht_narrow(s->a, s->axis, s->lo, s->len);
  ht_array packed = ht_raw(&fake, wire, part.ndim, part.lshape, at);
  if (pack ? ht_copy_into(&packed, &part) : ht_copy_into(&part, &packed)) return -1;
  return seg_elems(s) * (int64_t)ht_dtype_size(wire);
}

/* Whether one side's segments can travel without packing: every one for another rank in
 * one array of dtype wire, contiguous, at most one per peer. Then the array's data is
 * returned and displ[q] is the byte offset of q's segment in it, so the all-to-all reads
 * (or writes) the array itself: one copy less. NULL: pack. */
static char *in_place(const ht_xseg *segs, int64_t n, ht_dtype wire, int64_t *displ,
                      const ht_buffer **buf) {
  const int me = ht_comm_rank(), p = ht_comm_size();
  const ht_array *a = NULL;
  for (int q = 0; q < p; q++) displ[q] = -1;
  for (int64_t k = 0; k < n; k++) {
    const ht_xseg *s = &segs[k];
    if (s->peer == me || !seg_elems(s)) continue;
    if (s->a->dtype != wire || displ[s->peer] >= 0 || (a && s->a != a)) return NULL;
    ht_array part = ht_narrow(s->a, s->axis, s->lo, s->len);
    if (!ht_array_is_contiguous(&part)) return NULL;
    char *at = ht_array_data(&part), *base = ht_array_data(s->a);
    if (at < base) return NULL;
    a = s->a, displ[s->peer] = at - base;
  }
  if (!a) return NULL;
  for (int q = 0; q < p; q++) displ[q] = displ[q] < 0 ? 0 : displ[q];
  *buf = a->buf;
  return ht_array_data(a);
}

int ht_exchange(const ht_xseg *send, int64_t nsend, const ht_xseg *recv, int64_t nrecv,
                ht_dtype wire, const char *fn) {
  const int me = ht_comm_rank(), p = ht_comm_size();
  const int64_t es = (int64_t)ht_dtype_size(wire);
  ht_xchg x;
  if (ht_xchg_init(&x, fn)) return -1;
  for (int64_t k = 0; k < nsend; k++)
    if (send[k].peer != me) x.sc[send[k].peer] += seg_elems(&send[k]) * es;
  for (int64_t k = 0; k < nrecv; k++)
    if (recv[k].peer != me) x.rc[recv[k].peer] += seg_elems(&recv[k]) * es;
  /* each rank decides its own side alone: MPI needs the counts to match, not the layout */
  int64_t *dir = malloc(sizeof(int64_t) * 2 * (size_t)p), *sdir = dir, *rdir = dir + p;
  const ht_buffer *sb = NULL, *rb = NULL;
  char *sbase = dir ? in_place(send, nsend, wire, sdir, &sb) : NULL;
  char *rbase = dir ? in_place(recv, nrecv, wire, rdir, &rb) : NULL;
  if (sbase && rbase && sb == rb) sbase = NULL; /* never read and write one buffer at once */
  ht_xchg_alloc(&x, false);
  int64_t stot = x.sd[p - 1] + x.sc[p - 1], rtot = x.rd[p - 1] + x.rc[p - 1];
  if (!sbase) x.sbuf = malloc((size_t)stot + 1);
  if (!rbase) x.rbuf = malloc((size_t)rtot + 1);
  int status = !dir || (!sbase && !x.sbuf) || (!rbase && !x.rbuf)
               ? ht_error("%s: out of memory", fn) : 0;
  if (ht_comm_agree(status)) return free(dir), ht_xchg_free(&x), -1;
  int64_t j = 0; /* rows I keep: the k-th to myself is the k-th from myself */
  for (int64_t k = 0; k < nsend && !status; k++) {
    if (send[k].peer != me || !seg_elems(&send[k])) continue;
    while (j < nrecv && (recv[j].peer != me || !seg_elems(&recv[j]))) j++;
    if (j == nrecv) {
      status = ht_error("%s: exchange segments do not pair", fn);
      break;
    }
    ht_array to = ht_narrow(recv[j].a, recv[j].axis, recv[j].lo, recv[j].len);
    ht_array from = ht_narrow(send[k].a, send[k].axis, send[k].lo, send[k].len);
    status = ht_copy_into(&to, &from);
    j++;
  }
  for (int64_t k = 0; k < nsend && !status && !sbase; k++) {
    int q = send[k].peer;
    if (q == me) continue;
    int64_t n = move_packed(&send[k], wire, x.sbuf + x.sd[q] + x.at[q], true);
    if (n < 0) status = -1;
    else x.at[q] += n;
  }
  if (sbase) memcpy(x.sd, sdir, sizeof(int64_t) * (size_t)p);
  if (rbase) memcpy(x.rd, rdir, sizeof(int64_t) * (size_t)p);
  if (!(status = ht_xchg_run(&x, status, sbase, rbase)) && !rbase) {
    memset(x.at, 0, sizeof(int64_t) * (size_t)p);
    for (int64_t k = 0; k < nrecv && !status; k++) {
      int q = recv[k].peer;
      if (q == me) continue;
      int64_t n = move_packed(&recv[k], wire, x.rbuf + x.rd[q] + x.at[q], false);
      if (n < 0) status = -1;
      else x.at[q] += n;
    }
  }
  free(dir);
  ht_xchg_free(&x);
  return status;
}

/* ---- placement ---- */

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

int ht_place(ht_array *out, int axis, const ht_array *const *src, ht_seg_fn segs_of,
             int maxseg, void *ctx, const char *fn) {
  const int p = ht_comm_size(), me = ht_comm_rank();
  const int64_t m = maxseg > 0 ? maxseg : 1;
  int *nseg = ht_meta_alloc(sizeof(int) * (size_t)p, fn);
  ht_seg *segs = ht_scratch_alloc((int64_t)sizeof(ht_seg) * m * p, fn);
  ht_xseg *xs = segs ? ht_scratch_alloc((int64_t)sizeof(ht_xseg) * 2 * m * p, fn) : NULL;
  int status = ht_comm_agree(xs ? 0 : -1);
  if (status) goto done;
  for (int q = 0; q < p; q++) nseg[q] = segs_of(q, segs + q * m, ctx);
  /* rank q owns rows [lo(q), lo(q) + n(q)) of out: all of them when out is replicated */
#define OLO(q) (out->split == axis ? ht_rank_lo(out->counts, q) : 0)
#define ON(q) (out->split == axis ? out->counts[q] : out->gshape[axis])
  ht_xseg *send = xs, *recv = xs + m * p;
  int64_t ns = 0, nr = 0, first, n;
  const ht_seg *mine = segs + me * m;
  for (int q = 0; q < p; q++) {
    const ht_seg *theirs = segs + q * m;
    for (int k = 0; k < nseg[me]; k++)
      if ((n = overlap(&mine[k], OLO(q), ON(q), &first)))
        send[ns++] = (ht_xseg){q, axis, src[mine[k].src], mine[k].lo + first - mine[k].glo, n};
    for (int k = 0; k < nseg[q]; k++)
      if ((n = overlap(&theirs[k], OLO(me), ON(me), &first)))
        recv[nr++] = (ht_xseg){q, axis, out, first - OLO(me), n};
  }
#undef OLO
#undef ON
  status = ht_exchange(send, ns, recv, nr, out->dtype, fn);
done:
  free(xs), free(segs), free(nseg);
  return status;
}
