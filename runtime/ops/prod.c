/* Reproducible float prod: each rank cuts its rows into aligned dyadic nodes of the global
 * tree (cpu/prod_tree.c), and across ranks the nodes are allgathered and merged alike on
 * every rank, so the bits depend on the data only (docs/reliability.md). */
#include "prod.h"

#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/prod_tree.h"
#include "../ops.h"

/* Nodes travel as records: start and level, then the n values (2 + n doubles). */
typedef struct keyed {
  ht_pnode node;
  int64_t at; /* record index */
} keyed;

static int by_start(const void *a, const void *b) {
  const int64_t x = ((const keyed *)a)->node.start, y = ((const keyed *)b)->node.start;
  return (x > y) - (x < y);
}

/* This rank's nodes into rec (count of them when rec is NULL). */
static int64_t local_nodes(const ht_rjob *j, const ht_prange *g, double *rec, int64_t n) {
  int64_t count = 0;
  ht_pnode nodes[128];
  for (int64_t k = 0; k < g->runs && g->run_len > 0; k++) {
    const int64_t s = g->g0 + k * g->gstride, m = ht_prod_nodes(s, g->run_len, nodes);
    for (int64_t c = 0; c < m && rec; c++) {
      double *r = rec + (count + c) * (2 + n);
      memcpy(r, &nodes[c], sizeof nodes[c]);
      ht_cpu_prod_node(j, k * g->run_len + nodes[c].start - s, nodes[c].level, r + 2);
    }
    count += m;
  }
  return count;
}

/* The records sorted by start and merged into acc (in place: no data-sized scratch). */
static int merge(const char *fn, double *rec, int64_t count, int64_t n, int64_t N,
                 double *acc) {
  keyed *key = ht_meta_alloc(sizeof(keyed) * (size_t)(count + 1), fn);
  ht_pnode *nodes = ht_meta_alloc(sizeof(ht_pnode) * (size_t)(count + 1), fn);
  double **vals = ht_meta_alloc(sizeof(double *) * (size_t)(count + 1), fn);
  int rc = 0;
  for (int64_t c = 0; c < count; c++) {
    memcpy(&key[c].node, rec + c * (2 + n), sizeof(ht_pnode));
    key[c].at = c;
  }
  qsort(key, (size_t)count, sizeof *key, by_start);
  for (int64_t c = 0; c < count; c++)
    nodes[c] = key[c].node, vals[c] = rec + key[c].at * (2 + n) + 2;
  if (ht_prod_merge(nodes, vals, count, n, N, acc))
    rc = ht_error("%s: internal error: product tree nodes do not tile %lld rows", fn,
                  (long long)N);
  free(key);
  free(nodes);
  free(vals);
  return rc;
}

int ht_prod_pass(const char *fn, const ht_rjob *j, const ht_prange *g, double *acc, int64_t n,
                 bool across, int status) {
  const int p = ht_comm_size();
  const int64_t rb = (2 + n) * 8; /* bytes per record */
  int64_t mine = status ? 0 : local_nodes(j, g, NULL, n);
  double *rec = status || !mine ? NULL : ht_scratch_alloc(mine * rb, fn);
  if (!status && mine && !rec) status = -1;
  if (!status) local_nodes(j, g, rec, n);
  if (!across || p == 1) {
    if (!status) status = merge(fn, rec, mine, n, g->N, acc);
    free(rec);
    return status;
  }
  int64_t *cnt = ht_meta_alloc(sizeof(int64_t) * 3 * (size_t)p, fn), total = 0;
  double *all = NULL;
  if (ht_comm_agree(status) < 0) goto done;
  for (int r = 0; r < p; r++) cnt[p + r] = 8 * r, cnt[2 * p + r] = 8;
  if ((status = ht_comm_allgatherv(&mine, 8, cnt, cnt + 2 * p, cnt + p))) goto done;
  for (int r = 0; r < p; r++) {
    const int64_t c = cnt[r];
    cnt[r] = c * rb, cnt[p + r] = total * rb, total += c;
  }
  all = total ? ht_scratch_alloc(total * rb, fn) : NULL;
  if ((status = ht_comm_agree(total && !all ? -1 : 0)) < 0) goto done;
  if ((status = ht_comm_allgatherv(rec, mine * rb, all, cnt, cnt + p))) goto done;
  status = merge(fn, all, total, n, g->N, acc);
done:
  free(rec);
  free(all);
  free(cnt);
  return status ? -1 : 0;
}
