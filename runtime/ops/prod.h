/* The reproducible float product across ranks (runtime/ops/prod.c), called by ops/reduce.c. */
#ifndef HT_OPS_PROD_H
#define HT_OPS_PROD_H

#include <stdbool.h>
#include <stdint.h>

#include "../cpu/reduce.h"

/* Where a job's local rows R lie in the global reduced index: `runs` runs of run_len
 * consecutive rows, run k starting at global row g0 + k * gstride; N global rows in all. */
typedef struct ht_prange {
  int64_t N, runs, run_len, g0, gstride;
} ht_prange;

/* acc[n] = the tree product (cpu/prod_tree.h) of a float job over the global rows, the
 * same bits for any partition; across ranks the nodes are allgathered and merged on every
 * rank (agreeing on status first). Returns status, or -1 on failure. */
int ht_prod_pass(const char *fn, const ht_rjob *j, const ht_prange *g, double *acc, int64_t n,
                 bool across, int status);

#endif
