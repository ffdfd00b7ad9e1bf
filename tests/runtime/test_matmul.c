/* runtime/ops/matmul.c: every pair of splits on matrices larger than the rank count,
 * unbalanced counts, transposed views, the Gram matrix, ints, and errors. The reference is
 * a product of integer-valued matrices computed here in long double (exact). */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check_mpi.h"
#include "comm.h"
#include "fixtures.h"
#include "linalg.h"
#include "manipulation.h"
#include "ops.h"

static double fa(int64_t k) { return (double)((k * 7) % 11) - 5; }
static double fb(int64_t k) { return (double)((k * 5) % 13) - 6; }

/* C = A B for A (m x k) holding fa(i k + j) and B (k x n) holding fb(i n + j) */
static double *reference(int64_t m, int64_t k, int64_t n) {
  double *c = calloc((size_t)(m * n + 1), sizeof(double));
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      long double s = 0;
      for (int64_t p = 0; p < k; p++) s += (long double)fa(i * k + p) * fb(p * n + j);
      c[i * n + j] = (double)s;
    }
  return c;
}

static void check_product(ht_array *c, int64_t m, int64_t k, int64_t n, int want_split,
                          ht_dtype want_t) {
  ck_assert_msg(c != NULL, "matmul failed: %s", ht_errmsg());
  ck_assert_int_eq(c->split, want_split);
  ck_assert_int_eq(c->dtype, want_t);
  double *got = ht_test_gather(c), *ref = reference(m, k, n);
  for (int64_t e = 0; e < m * n; e++)
    ck_assert_msg(got[e] == ref[e], "element %lld: got %g, expected %g", (long long)e, got[e], ref[e]);
  free(got), free(ref);
}

/* Uneven counts along the split axis: everything on the last rank but one row per rank
 * before it (as far as rows go). */
static ht_array *uneven(ht_array *a) {
  if (a->split < 0) return a;
  const int p = ht_comm_size();
  int64_t *counts = calloc((size_t)p, sizeof(int64_t)), n = a->gshape[a->split];
  for (int r = 0; r < p - 1 && n > 0; r++) counts[r] = 1, n--;
  counts[p - 1] += n;
  ht_array *b = ht_redistribute(a, counts);
  ck_assert_ptr_nonnull(b);
  free(counts);
  ht_array_free(a);
  return b;
}

START_TEST(test_every_split_pair) {
  const int64_t dims[][3] = {{17, 13, 11}, {2, 3, 2}, {1, 5, 6}, {6, 1, 3}};
  const ht_dtype ts[] = {HT_FLOAT64, HT_FLOAT32, HT_INT32};
  for (int d = 0; d < 4; d++)
    for (int ti = 0; ti < 3; ti++)
      for (int sa = -1; sa <= 1; sa++)
        for (int sb = -1; sb <= 1; sb++)
          for (int u = 0; u < 2; u++) {
            const int64_t m = dims[d][0], k = dims[d][1], n = dims[d][2];
            const int64_t sha[2] = {m, k}, shb[2] = {k, n};
            ht_array *a = ht_test_array(ts[ti], 2, sha, sa, 1, 0, fa);
            ht_array *b = ht_test_array(ts[ti], 2, shb, sb, 1, 0, fb);
            if (u) a = uneven(a), b = uneven(b);
            ht_array *c = ht_matmul(a, b);
            check_product(c, m, k, n, sa >= 0 ? sa : sb, ts[ti]);
            ht_array_free(a), ht_array_free(b), ht_array_free(c);
          }
}
END_TEST

START_TEST(test_transposed_views) {
  /* a and b given as transposes of stored matrices: BLAS reads them with trans flags */
  const int64_t m = 9, k = 7, n = 5;
  for (int sa = -1; sa <= 1; sa++)
    for (int sb = -1; sb <= 1; sb++) {
      const int64_t sha[2] = {m, k}, shb[2] = {k, n};
      ht_array *a0 = ht_test_array(HT_FLOAT64, 2, sha, sa, 1, 0, fa);
      ht_array *b0 = ht_test_array(HT_FLOAT64, 2, shb, sb, 1, 0, fb);
      ht_array *at = ht_transpose(a0, NULL), *bt = ht_transpose(b0, NULL);
      ht_array *atc = ht_copy(at), *btc = ht_copy(bt); /* contiguous k x m and n x k */
      ht_array *a = ht_transpose(atc, NULL), *b = ht_transpose(btc, NULL);
      ht_array *c = ht_matmul(a, b);
      check_product(c, m, k, n, sa >= 0 ? sa : sb, HT_FLOAT64);
      ht_array *arr[] = {a0, b0, at, bt, atc, btc, a, b, c};
      for (int i = 0; i < 9; i++) ht_array_free(arr[i]);
    }
}
END_TEST

START_TEST(test_gram) {
  /* x.T @ x of x (n x 3) holding k % 5: a SYRK, symmetric, split 1, exact */
  const int64_t n = 101, f = 3, shape[2] = {n, f};
  for (int u = 0; u < 2; u++) {
    ht_array *x = ht_test_array(HT_FLOAT32, 2, shape, 0, 1, 0, NULL);
    double *v = ht_test_gather(x);
    for (int64_t e = 0; e < n * f; e++) v[e] = (double)((int64_t)v[e] % 5);
    ht_array_free(x);
    x = ht_from_buffer(HT_FLOAT32, 2, shape, 0, HT_CPU, HT_FLOAT64, v);
    if (u) x = uneven(x);
    ht_array *xt = ht_transpose(x, NULL);
    const int64_t before = ht_comm_bytes_sent();
    ht_array *g = ht_matmul(xt, x);
    ck_assert_msg(g != NULL, "%s", ht_errmsg());
    ck_assert_int_le(ht_comm_bytes_sent() - before, (int64_t)(f * f * 4 + 64));
    ck_assert_int_eq(g->split, 1);
    double *got = ht_test_gather(g);
    for (int i = 0; i < f; i++)
      for (int j = 0; j < f; j++) {
        double s = 0;
        for (int64_t r = 0; r < n; r++) s += v[r * f + i] * v[r * f + j];
        ck_assert_double_eq(got[i * f + j], s);
      }
    free(got), free(v);
    ht_array_free(x), ht_array_free(xt), ht_array_free(g);
  }
}
END_TEST

START_TEST(test_vectors) {
  const int64_t k = 7, shm[2] = {k, 4}, shv[1] = {k};
  for (int sv = -1; sv <= 0; sv++)
    for (int sm = -1; sm <= 1; sm++) {
      ht_array *v = ht_test_array(HT_FLOAT64, 1, shv, sv, 1, 0, fa);
      ht_array *mt = ht_test_array(HT_FLOAT64, 2, shm, sm, 1, 0, fb);
      ht_array *c = ht_matmul(v, mt); /* (7,) @ (7, 4) = row 0 of reference(1, 7, 4) */
      check_product(c, 1, k, 4, sv >= 0 || sm >= 0 ? 0 : -1, HT_FLOAT64);
      ck_assert_int_eq(c->ndim, 1);
      ht_array *d = ht_dot(v, v);
      ck_assert_int_eq(d->ndim, 0);
      ck_assert_int_eq(d->split, -1);
      double s = 0, *got = ht_test_gather(d);
      for (int64_t p = 0; p < k; p++) s += fa(p) * fa(p);
      ck_assert_double_eq(got[0], s);
      free(got);
      ht_array_free(v), ht_array_free(mt), ht_array_free(c), ht_array_free(d);
    }
}
END_TEST

START_TEST(test_errors) {
  const int64_t s23[2] = {2, 3}, s45[2] = {4, 5};
  ht_array *a = ht_test_iota(HT_FLOAT64, 2, s23, 0), *b = ht_test_iota(HT_FLOAT64, 2, s45, 1);
  ck_assert_ptr_null(ht_matmul(a, b));
  ck_assert_str_eq(ht_errmsg(), "matmul: shapes (2, 3) and (4, 5) not aligned: 3 (dim 1) != 4 (dim 0) "
                                "(splits 0 and 1, dtypes float64 and float64)");
  ht_array *z = ht_test_iota(HT_FLOAT64, 0, s23, -1);
  ck_assert_ptr_null(ht_matmul(a, z));
  ck_assert_ptr_nonnull(strstr(ht_errmsg(), "Input operand 1 does not have enough dimensions"));
  ht_array_free(a), ht_array_free(b), ht_array_free(z);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("matmul");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_every_split_pair);
  tcase_add_test(tc, test_transposed_views);
  tcase_add_test(tc, test_gram);
  tcase_add_test(tc, test_vectors);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, suite); }
