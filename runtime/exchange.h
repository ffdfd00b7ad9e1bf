/* The exchange engine: the one way rows move between ranks (segments in, segments out,
 * one all-to-all, every data-dependent failure agreed on before the exchange). */
#ifndef HT_EXCHANGE_H
#define HT_EXCHANGE_H

#include <stdbool.h>

#include "array.h"

/* ---- byte level ----
 * Per-peer byte counts and displacements plus the packed buffers. A client sets sc[q]
 * (and rc[q], or gets rc from ht_xchg_counts), calls ht_xchg_alloc, packs into
 * sbuf + sd[q], calls ht_xchg_run with its packing status, unpacks from rbuf + rd[q] and
 * calls ht_xchg_free. Every call is collective and fails on every rank together. */
typedef struct ht_xchg {
  int64_t *sc, *sd, *rc, *rd; /* bytes per peer and where they start in sbuf / rbuf */
  int64_t *at;                /* a per-peer cursor for packing and unpacking */
  char *sbuf, *rbuf;
  const char *fn;             /* the op that errors name */
} ht_xchg;

/* Zeroed counts for every peer. */
int ht_xchg_init(ht_xchg *x, const char *fn);
/* rc from every peer's sc (a small all-to-all), for clients that know only what they send. */
int ht_xchg_counts(ht_xchg *x);
/* Displacements as prefix sums of the counts, and (buffers) sbuf/rbuf of those sizes. */
int ht_xchg_alloc(ht_xchg *x, bool buffers);
/* Agrees on the packing status, then sends send + sd[q] to q and receives rc[q] bytes at
 * recv + rd[q] (NULL: the engine's own sbuf / rbuf). */
int ht_xchg_run(ht_xchg *x, int status, const void *send, void *recv);
void ht_xchg_free(ht_xchg *x);

/* ---- segment level ----
 * Rows [lo, lo+len) along `axis` of a local chunk, sent to or received from rank peer.
 * Segments for one peer travel packed in list order, each in C order, as dtype `wire`;
 * the receiver casts into its part. Segments a rank sends to itself pair in order with
 * those it receives from itself and are copied without a message. */
typedef struct ht_xseg {
  int peer;
  int axis;
  const ht_array *a;
  int64_t lo, len;
} ht_xseg;

int ht_exchange(const ht_xseg *send, int64_t nsend, const ht_xseg *recv, int64_t nrecv,
                ht_dtype wire, const char *fn);

/* ---- placement ----
 * Every rank holds row segments of the result along `axis`: segment {src, lo, len, glo}
 * says that rows [lo, lo+len) of this rank's local block src[k] become the result's
 * global rows [glo, glo+len). segs(q, out, ctx) lists rank q's segments (the same on
 * every rank: it depends only on replicated metadata), at most maxseg of them.
 * ht_place (a client of ht_exchange) moves every segment to the ranks that own those rows
 * of `out` (split == axis, or replicated: every rank gets all of them), casting to out's
 * dtype; rows already on their owner are copied locally. The src blocks have out's local shape except along
 * axis. Rows of out that no segment covers are left as they are. */
typedef struct ht_seg {
  int src;
  int64_t lo, len, glo;
} ht_seg;

typedef int (*ht_seg_fn)(int q, ht_seg *segs, void *ctx);

int ht_place(ht_array *out, int axis, const ht_array *const *src, ht_seg_fn segs,
             int maxseg, void *ctx, const char *fn);

/* Contiguous rows [lo, lo+len) of a rank's data (src 0) placed at global row glo; the
 * common single-segment case of ht_place. lo/len/glo are per rank (arrays of nprocs). */
typedef struct ht_seg1 {
  const int64_t *lo, *len, *glo;
} ht_seg1;
int ht_seg1_fn(int q, ht_seg *segs, void *ctx);

#endif
