/* Column statistics for estimators, each one pass over the rows and one collective:
 * weighted column means and variances (scalers), and the weighted augmented Gram matrix
 * [X 1 y]^T W [X 1 y] (Lasso, the covariance of PCA). */
#ifndef HT_MOMENTS_H
#define HT_MOMENTS_H

#include "array.h"

/* x: 2-D, split 0 or replicated, float (ints are converted); w: (n,) weights or NULL.
 * Fills, on every rank, sw = sum of weights (the row count without w), mean[f] the
 * weighted column means and m2[f] = sum w (x - mean)^2. Ranks combine their (sw, mean,
 * m2) in rank order (Chan et al.), so the result does not depend on the row sums'
 * magnitude. 0, or -1 with the same message on every rank. */
int ht_col_moments(const ht_array *x, const ht_array *w, double *sw, double *mean, double *m2);

/* The (m, m) float64 replicated matrix Z^T W Z with Z = [x, 1, y] (m = f + 2; f + 1
 * without y): x^T W x, x^T W y, sum w x, sum w, sum w y and sum w y^2 in one pass over the
 * rows (blocks of sqrt(w) z in a small float64 buffer and syrk) and one allreduce.
 * y (n,) or NULL, w (n,) non-negative or NULL; both split like x's rows. */
ht_array *ht_weighted_gram(const ht_array *x, const ht_array *y, const ht_array *w);

#endif
