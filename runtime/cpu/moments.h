/* Local kernels of the column statistics (runtime/ops/moments.c distributes them). */
#ifndef HT_CPU_MOMENTS_H
#define HT_CPU_MOMENTS_H

#include <stdint.h>

#include "../dtype.h"

/* A contiguous (n, f) float32/float64 block, optional float64 weights: sw = sum w,
 * mean[f], m2[f] = sum w (x - mean)^2. Sums are taken about the first row (a shift that
 * keeps the one-pass formula accurate), in float64, over OpenMP threads. 0, or -1 when
 * out of memory (O(f * threads) doubles). */
int ht_cpu_col_moments(ht_dtype t, int64_t n, int64_t f, const void *x, const double *w,
                       double *sw, double *mean, double *m2);

/* Packs rows [r0, r0 + nb) as z = sqrt(w) [x, 1, y] into buf (nb x m float64, m = f + 1 +
 * (y != NULL)). Returns the number of negative or NaN weights met (0 when fine). */
int64_t ht_cpu_pack_augmented(ht_dtype t, int64_t r0, int64_t nb, int64_t f, const void *x,
                              const double *y, const double *w, double *buf);

#endif
