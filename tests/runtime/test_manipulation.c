/* runtime/manipulation.h from C: reshape between every pair of splits, concatenate's
 * no-data case, roll/flip through ht_place, the scans across ranks, the sample sort and
 * unique on larger inputs. Values are exact (iota-filled arrays, or checked by rule). */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check_mpi.h"
#include "fixtures.h"
#include "comm.h"
#include "manipulation.h"

static void assert_iota(const ht_array *a) {
  double *all = ht_test_gather(a);
  for (int64_t k = 0; k < ht_array_gsize(a); k++) ck_assert_double_eq(all[k], (double)k);
  free(all);
}

START_TEST(test_reshape_all_splits) {
  /* (6, 4, 2) to (8, 6) and (3, 16) from every split to every new split: the flat order
   * must survive, whichever path (relabel, flat exchange, resplit) is taken */
  int64_t shape[3] = {6, 4, 2}, to[2][2] = {{8, 6}, {3, 16}};
  for (int from = -1; from < 3; from++)
    for (int s = 0; s < 2; s++)
      for (int ns = -1; ns < 2; ns++) {
        ht_array *a = ht_test_iota(HT_INT32, 3, shape, from);
        ht_array *b = ht_reshape(a, 2, to[s], ns);
        ck_assert_ptr_nonnull(b);
        ck_assert_int_eq(b->split, ns);
        assert_iota(b);
        ht_array_free(a), ht_array_free(b);
      }
  int64_t bad[1] = {5};
  ht_array *a = ht_test_iota(HT_INT32, 3, shape, 0);
  ck_assert_ptr_null(ht_reshape(a, 1, bad, HT_SPLIT_DEFAULT));
  ck_assert_str_eq(ht_errmsg(), "reshape: cannot reshape array of size 48 into shape (5,)");
  ht_array_free(a);
}
END_TEST

START_TEST(test_concatenate_keeps_counts_local) {
  int p = ht_comm_size();
  int64_t *counts = calloc((size_t)p, sizeof(int64_t)), n = 0;
  for (int r = 0; r < p; r++) counts[r] = 2 * r + 1, n += counts[r];
  int64_t sa[2] = {n, 3}, sb[2] = {n, 2};
  ht_array *a0 = ht_test_iota(HT_FLOAT32, 2, sa, 0), *b0 = ht_test_iota(HT_FLOAT64, 2, sb, 0);
  ht_array *a = ht_redistribute(a0, counts), *b = ht_redistribute(b0, counts);
  const ht_array *in[2] = {a, b};
  int64_t before = ht_comm_bytes_sent();
  ht_array *c = ht_concatenate(2, in, 1);
  ck_assert_int_eq(ht_comm_bytes_sent(), before); /* not a byte sent */
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->dtype, HT_FLOAT64);
  ck_assert_int_eq(memcmp(c->counts, counts, sizeof(int64_t) * (size_t)p), 0);
  double *all = ht_test_gather(c);
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < 5; j++) /* row i: a's 3i..3i+2, then b's 2i, 2i+1 */
      ck_assert_double_eq(all[i * 5 + j], j < 3 ? (double)(3 * i + j) : (double)(2 * i + j - 3));
  free(all);
  ht_array *d = ht_concatenate(2, (const ht_array *[]){a, a}, 0); /* along the split: balanced */
  ck_assert(ht_array_is_balanced(d));
  ht_array_free(a0), ht_array_free(b0), ht_array_free(a), ht_array_free(b);
  ht_array_free(c), ht_array_free(d), free(counts);
}
END_TEST

START_TEST(test_roll_flip_across_ranks) {
  int64_t n = 23, shift[1] = {-7};
  int axis[1] = {0};
  ht_array *a = ht_test_iota(HT_INT64, 1, &n, 0);
  ht_array *r = ht_roll(a, 1, shift, axis), *f = ht_flip(a, 0, NULL);
  double *rv = ht_test_gather(r), *fv = ht_test_gather(f);
  for (int64_t k = 0; k < n; k++) {
    ck_assert_double_eq(rv[k], (double)((k + 7) % n)); /* np.roll(arange(23), -7) */
    ck_assert_double_eq(fv[k], (double)(n - 1 - k));
  }
  free(rv), free(fv);
  ht_array_free(a), ht_array_free(r), ht_array_free(f);
}
END_TEST

START_TEST(test_cumsum_across_ranks) {
  int64_t shape[2] = {37, 3};
  ht_array *a = ht_test_iota(HT_INT32, 2, shape, 0);
  ht_array *c = ht_cumsum(a, 0, HT_NDTYPES);
  ck_assert_int_eq(c->dtype, HT_INT64);
  double *v = ht_test_gather(c);
  for (int64_t i = 0; i < 37; i++)
    for (int j = 0; j < 3; j++) /* sum over k <= i of 3k + j */
      ck_assert_double_eq(v[i * 3 + j], (double)(3 * i * (i + 1) / 2 + j * (i + 1)));
  free(v);
  ht_array_free(a), ht_array_free(c);
}
END_TEST

START_TEST(test_sample_sort_and_unique) {
  /* 10007 values in 101 classes, from a multiplicative hash of the global index */
  int64_t n = 10007;
  ht_array *a = ht_test_iota(HT_INT64, 1, &n, 0);
  int64_t *p = ht_array_data(a);
  for (int64_t k = 0; k < a->lshape[0]; k++) p[k] = (p[k] * 7919) % 101 - 50;
  ht_array *v = NULL, *ix = NULL;
  ck_assert_int_eq(ht_sort(a, 0, false, &v, &ix), 0);
  ck_assert_int_eq(memcmp(v->counts, a->counts, sizeof(int64_t) * (size_t)ht_comm_size()), 0);
  double *sv = ht_test_gather(v), *si = ht_test_gather(ix);
  for (int64_t k = 0; k < n; k++) {
    ck_assert_double_eq(sv[k], (double)(((int64_t)si[k] * 7919) % 101 - 50));
    if (k) ck_assert(sv[k - 1] < sv[k] || (sv[k - 1] == sv[k] && si[k - 1] < si[k]));
  }
  free(sv), free(si);
  ht_array *u = NULL, *cnt = NULL;
  ck_assert_int_eq(ht_unique(a, &u, NULL, &cnt), 0);
  ck_assert_int_eq(u->gshape[0], 101);
  double *uv = ht_test_gather(u), *cv = ht_test_gather(cnt);
  int64_t total = 0;
  for (int k = 0; k < 101; k++) {
    ck_assert_double_eq(uv[k], k - 50);
    total += (int64_t)cv[k];
  }
  ck_assert_int_eq(total, n);
  free(uv), free(cv);
  ht_array_free(a), ht_array_free(v), ht_array_free(ix), ht_array_free(u), ht_array_free(cnt);
}
END_TEST

START_TEST(test_sort_lanes_all_lengths) {
  /* lanes of 1..300 elements (insertion, merge and radix sorts), split along the other
   * axis; negative and positive floats with repeats, checked by rule */
  for (int64_t m = 1; m <= 300; m += m < 70 ? 1 : 37) {
    int64_t shape[2] = {5, m};
    ht_array *a = ht_test_iota(HT_FLOAT32, 2, shape, 0);
    float *x = ht_array_data(a);
    for (int64_t k = 0; k < ht_array_lsize(a); k++) x[k] = (float)(((int64_t)x[k] * 37) % 23) - 11.5f;
    ht_array *v = NULL, *ix = NULL;
    ck_assert_int_eq(ht_sort(a, 1, true, &v, &ix), 0);
    double *sv = ht_test_gather(v), *si = ht_test_gather(ix), *sa = ht_test_gather(a);
    for (int64_t i = 0; i < 5; i++)
      for (int64_t j = 0; j < m; j++) {
        double *row = sv + i * m, *idx = si + i * m;
        ck_assert_double_eq(row[j], sa[i * m + (int64_t)idx[j]]);
        if (j) ck_assert(row[j - 1] > row[j] || (row[j - 1] == row[j] && idx[j - 1] < idx[j]));
      }
    free(sv), free(si), free(sa);
    ht_array_free(a), ht_array_free(v), ht_array_free(ix);
  }
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("manipulation");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_reshape_all_splits);
  tcase_add_test(tc, test_concatenate_keeps_counts_local);
  tcase_add_test(tc, test_roll_flip_across_ranks);
  tcase_add_test(tc, test_cumsum_across_ranks);
  tcase_add_test(tc, test_sample_sort_and_unique);
  tcase_add_test(tc, test_sort_lanes_all_lengths);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
