/* Reproducible float product kernel (runtime/cpu/prod_tree.c): the pairwise tree over the
 * global index of the reduced axis, cut into aligned dyadic nodes that any rank, thread
 * or partition computes alike, and merged bottom-up by one rule (docs/reliability.md). */
#ifndef HT_CPU_PROD_TREE_H
#define HT_CPU_PROD_TREE_H

#include <stdint.h>

#include "reduce.h"

/* An aligned dyadic node of the tree over [0, 2^K): global rows [start, start + 2^level),
 * start a multiple of 2^level. */
typedef struct ht_pnode {
  int64_t start, level;
} ht_pnode;

/* The maximal aligned dyadic nodes that tile the global rows [g0, g0 + len), in order,
 * into nodes (when not NULL); returns their count (at most 2 * 63). */
int64_t ht_prod_nodes(int64_t g0, int64_t len, ht_pnode *nodes);

/* val[o*I + i] = the tree product of local rows [r0, r0 + 2^level) of a float32/float64
 * job (O, R, I), in double, for every output. */
void ht_cpu_prod_node(const ht_rjob *j, int64_t r0, int64_t level, double *val);

/* Whether full 1-d nodes of 64 factors or more take the SIMD kernel (AVX-512, when the CPU
 * has it) or the generic path: on = 1 or 0 sets it, -1 only asks; returns the setting
 * before the call. Same bits either way (tests compare the two). */
int ht_prod_simd(int on);

/* Joins count nodes (sorted by start, tiling [0, N) together) whose n values lie at
 * vals[k] into the root, out[n]: siblings of equal size multiply (left * right), a left
 * child whose sibling lies wholly at or beyond N is promoted. Nodes and values are
 * overwritten. N == 0 (no nodes) gives 1. -1 when the nodes do not tile [0, N). */
int ht_prod_merge(ht_pnode *nodes, double *const *vals, int64_t count, int64_t n, int64_t N,
                  double *out);

#endif
