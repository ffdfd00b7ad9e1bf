/* Sorting networks for short rows: values-only sorts of many rows of up to 64 elements,
 * one row per vector lane. Used by runtime/ops/sort.c for lanes off the split axis. */
#ifndef HT_CPU_SORTNET_H
#define HT_CPU_SORTNET_H

#include <stdbool.h>
#include <stdint.h>

#include "../dtype.h"

#define HT_SORTNET_MAX 64 /* the longest row the networks sort */

/* Whether ht_sortnet_rows sorts rows of n elements of dtype t (up to 32-bit types). */
bool ht_sortnet_fits(ht_dtype t, int64_t n);

/* Sorts each of `rows` contiguous rows of n values of dtype t at src, ascending or
 * descending, and writes the first k of each as rows of k: values into vout, positions
 * (base + j) into iout; either may be NULL. The result is a stable sort's: equal values
 * (-0.0 and 0.0 too) keep their input order, NaN goes last (first when descending) with
 * its bits. Rows run in parallel. */
void ht_sortnet_rows(ht_dtype t, const void *src, int64_t rows, int64_t n, int64_t k,
                     bool descending, int64_t base, void *vout, int64_t *iout);

#endif
