/* The register-blocked kernel of cdist's direct form (runtime/cpu/dist_direct.c): the same
 * float64 differences, squares and partial-sum order as the plain pairwise loop of
 * cpu/distance.c, many pairs at a time in vectors. */
#ifndef HT_CPU_DIST_DIRECT_H
#define HT_CPU_DIST_DIRECT_H

#include <stdint.h>

#include "../dtype.h"
#include "../spatial.h"

/* out[i, j] (leading dimension ldo, dtype t) = metric(x[i], y[j]) for x nx x f and y ny x f
 * (float32 or float64, contiguous), gamma = 1 / (2 sigma^2) for rbf. Bit for bit the plain
 * loop's values: (sq)euclidean and rbf add the squares of f64(x_q) - f64(y_q) into eight
 * partial sums (feature q into sum q % 8, in order of q) combined as ((s0 + s1) + (s2 + s3))
 * + ((s4 + s5) + (s6 + s7)), no FMA; manhattan adds |x_q - y_q| in order of q into one sum;
 * then sqrt or libm's exp. Returns 1 when done, 0 when the kernel is off or the CPU lacks
 * AVX2 (nothing written: the caller runs the plain loop), -1 when its packing buffers could
 * not be allocated (ht_error set). */
int ht_dist_direct(ht_dtype t, ht_dist_metric m, double gamma, int64_t nx, int64_t ny,
                   int64_t f, const void *x, const void *y, void *out, int64_t ldo);

/* The kernel's switch: 2 AVX-512, 1 AVX2 (a kernel of 256-bit vectors), 0 off; -1 only
 * asks. Returns the setting before the call; a setting the CPU lacks counts as off. */
int ht_dist_direct_simd(int on);

#endif
