/* Reproducible float cumsum kernel (runtime/cpu/scan.c): prefix sums restarted at fixed
 * global blocks from correctly rounded exact offsets, so that the bits depend on the data
 * only, never on where ranks or threads cut the scanned axis (docs/reliability.md). */
#ifndef HT_CPU_SCAN_H
#define HT_CPU_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "../dtype.h"
#include "binned.h"

/* Rows of the scanned axis per block: block b starts at global row b * HT_SCAN_BLOCK. */
enum { HT_SCAN_BLOCK = 256 };

/* Over a C-contiguous float32/float64 chunk (outer, n, inner) whose first row is global
 * row g0, in place (in NULL) or from in (the same layout and dtype) into data:
 * out[g] = fl(... fl(P(s) + x[s]) ... + x[g]) in double, where s is g's
 * block start and P(s) the correctly rounded exact sum of rows [0, s). head holds the h =
 * g0 % HT_SCAN_BLOCK rows (outer, h, inner) before g0 in g0's block (NULL when h is 0);
 * start[outer * inner] the exact sums of rows [0, g0) (NULL: zero). -1: no scratch. */
int ht_cpu_cumsum_blocked(ht_dtype t, void *data, const void *in, const void *head, int64_t h,
                          const ht_xacc *start, int64_t outer, int64_t n, int64_t inner,
                          int64_t g0);

/* Whether ht_cpu_cumsum_blocked should read the input itself (a block at a time) rather
 * than run in place over a whole copy: where blocks of 8 or more columns are folded and
 * run in one pass (axis 0 of a matrix). Short rows (1-d, along the last axis) keep the
 * whole copy: their small copies' stores would miss the cache one by one. So does float32
 * at 2+ threads when the threads take narrow column tiles (outer > 1): reading those
 * straight from a row-major input was 2x slower than the threaded whole copy; with
 * outer == 1 the threads take row ranges of whole rows instead (scan.c, split_rows). */
bool ht_cpu_cumsum_reads_input(ht_dtype t, int64_t outer, int64_t n, int64_t inner);

#endif
