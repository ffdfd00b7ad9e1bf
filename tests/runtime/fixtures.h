/* Arrays with known values for the runtime's Check suites, and gathering them back. */
#ifndef HT_TEST_FIXTURES_H
#define HT_TEST_FIXTURES_H

#include <check.h>
#include <stdlib.h>

#include "array.h"

/* A C-contiguous array whose global element k (C order) holds f(k), or scale * k + shift
 * when f is NULL. */
static inline ht_array *ht_test_array(ht_dtype t, int ndim, const int64_t *shape, int split,
                                      double scale, double shift, double (*f)(int64_t)) {
  ht_array *a = ht_array_empty(t, ndim, shape, split, HT_CPU);
  ck_assert_ptr_nonnull(a);
  int64_t n = ht_array_lsize(a), gstr[HT_MAXDIM], lstart = ht_array_lstart(a);
  ht_contiguous_strides(ndim, shape, gstr);
  char *p = ht_array_data(a);
  for (int64_t k = 0; k < n; k++) {
    int64_t rem = k, g = 0;
    for (int d = ndim - 1; d >= 0; d--) {
      int64_t i = rem % a->lshape[d];
      rem /= a->lshape[d];
      g += (i + (d == split ? lstart : 0)) * gstr[d];
    }
    ht_set_f64(t, p + k * (int64_t)ht_dtype_size(t), f ? f(g) : scale * (double)g + shift);
  }
  return a;
}

/* global element k holds k */
static inline ht_array *ht_test_iota(ht_dtype t, int ndim, const int64_t *shape, int split) {
  return ht_test_array(t, ndim, shape, split, 1, 0, NULL);
}

/* every value of a as doubles, on every rank (caller frees) */
static inline double *ht_test_gather(const ht_array *a) {
  double *all = malloc(sizeof(double) * (size_t)(ht_array_gsize(a) + 1));
  ht_array *f = ht_astype(a, HT_FLOAT64);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(ht_gather(f, -1, all), 0);
  ht_array_free(f);
  return all;
}

#endif
