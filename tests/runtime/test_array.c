/* runtime/array.c and runtime/comm.c: distribution maths, views, resplit, redistribute,
 * gather — values are exact (arange-filled arrays, moved, never computed). */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check_mpi.h"
#include "fixtures.h"
#include "comm.h"

static void assert_iota(const ht_array *a) {
  int64_t n = ht_array_gsize(a);
  double *all = malloc(sizeof(double) * (size_t)(n + 1));
  ht_array *f = ht_astype(a, HT_FLOAT64);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(ht_gather(f, -1, all), 0);
  for (int64_t k = 0; k < n; k++) ck_assert_double_eq(all[k], (double)k);
  ht_array_free(f);
  free(all);
}

START_TEST(test_block_counts) {
  int64_t c[4];
  ht_block_counts(10, 4, c); /* 10 rows on 4 ranks: the first 10 % 4 = 2 get 3 */
  ck_assert_int_eq(c[0], 3); ck_assert_int_eq(c[1], 3); ck_assert_int_eq(c[2], 2); ck_assert_int_eq(c[3], 2);
  ht_block_counts(2, 3, c);
  ck_assert_int_eq(c[0], 1); ck_assert_int_eq(c[1], 1); ck_assert_int_eq(c[2], 0);
}
END_TEST

START_TEST(test_resplit_all_pairs) {
  /* every (from, to) pair of splits on a 3-d array, including short axes that leave ranks
   * with no rows */
  int64_t shapes[3][3] = {{5, 4, 3}, {2, 7, 1}, {0, 3, 2}};
  for (int s = 0; s < 3; s++)
    for (int from = -1; from < 3; from++)
      for (int to = -1; to < 3; to++) {
        ht_array *a = ht_test_iota(HT_INT32, 3, shapes[s], from);
        ht_array *b = ht_resplit(a, to);
        ck_assert_ptr_nonnull(b);
        ck_assert_int_eq(b->split, to);
        ck_assert(ht_array_is_balanced(b));
        assert_iota(b);
        ht_array_free(a), ht_array_free(b);
      }
}
END_TEST

START_TEST(test_redistribute_and_balance) {
  int p = ht_comm_size();
  int64_t shape[2] = {7, 3}, *counts = calloc((size_t)p, sizeof(int64_t));
  counts[p - 1] = 7; /* everything on the last rank */
  ht_array *a = ht_test_iota(HT_FLOAT32, 2, shape, 0);
  ht_array *b = ht_redistribute(a, counts);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(b->lshape[0], ht_comm_rank() == p - 1 ? 7 : 0);
  ck_assert(p == 1 || !ht_array_is_balanced(b));
  assert_iota(b);
  ht_array *c = ht_balance(b);
  ck_assert(ht_array_is_balanced(c));
  assert_iota(c);
  ht_array *d = ht_resplit(b, 1); /* from an unbalanced split */
  assert_iota(d);
  ht_array_free(a), ht_array_free(b), ht_array_free(c), ht_array_free(d);
  free(counts);
}
END_TEST

START_TEST(test_views_and_copy) {
  int64_t shape[2] = {4, 6};
  ht_array *a = ht_test_iota(HT_FLOAT64, 2, shape, -1);
  ht_array *t = ht_array_view(a); /* a transposed view: swap shape and strides */
  t->gshape[0] = t->lshape[0] = 6, t->gshape[1] = t->lshape[1] = 4;
  t->strides[0] = 1, t->strides[1] = 6;
  ck_assert(!ht_array_is_contiguous(t));
  ck_assert_int_eq(a->buf->refcount, 2);
  ht_array *c = ht_contiguous(t);
  ck_assert(ht_array_is_contiguous(c));
  double *v = ht_array_data(c);
  ck_assert_double_eq(v[1], 6.0); /* c[0][1] = a[1][0] = 6 */
  ck_assert_double_eq(v[4 * 5 + 3], 3 * 6 + 5.0);
  ht_array *i8 = ht_astype(c, HT_INT8); /* 23 fits in int8 */
  ck_assert_int_eq(((int8_t *)ht_array_data(i8))[23], 23);
  ht_array_free(t), ht_array_free(c), ht_array_free(i8);
  ck_assert_int_eq(a->buf->refcount, 1);
  ht_array_free(a);
}
END_TEST

START_TEST(test_transposed_copy_tiles) {
  /* large enough for the tiled path, not a multiple of the tile, with a cast */
  int64_t shape[2] = {130, 70};
  ht_array *a = ht_test_iota(HT_INT32, 2, shape, -1);
  ht_array *t = ht_array_view(a);
  t->gshape[0] = t->lshape[0] = 70, t->gshape[1] = t->lshape[1] = 130;
  t->strides[0] = 1, t->strides[1] = 70;
  t->dtype = HT_INT32;
  ht_array *c = ht_astype(t, HT_FLOAT64);
  const double *v = ht_array_data(c);
  for (int64_t i = 0; i < 70; i++)
    for (int64_t j = 0; j < 130; j++) ck_assert_double_eq(v[i * 130 + j], (double)(j * 70 + i));
  ht_array_free(t), ht_array_free(c), ht_array_free(a);
}
END_TEST

START_TEST(test_errors) {
  int64_t shape[2] = {3, 4};
  ck_assert_ptr_null(ht_array_empty(HT_FLOAT32, 2, shape, 2, HT_CPU));
  ck_assert_str_eq(ht_errmsg(), "array: split 2 is out of range for shape (3, 4)");
  ht_array *a = ht_test_iota(HT_FLOAT32, 2, shape, 0);
  ck_assert_ptr_null(ht_resplit(a, 5));
  ck_assert_str_eq(ht_errmsg(), "resplit: split axis 5 is out of range for an array of shape (3, 4)");
  ht_array_free(a);
}
END_TEST

START_TEST(test_promotion) {
  /* np.promote_types */
  ck_assert_int_eq(ht_promote(HT_INT32, HT_FLOAT32), HT_FLOAT64);
  ck_assert_int_eq(ht_promote(HT_INT16, HT_FLOAT32), HT_FLOAT32);
  ck_assert_int_eq(ht_promote(HT_UINT8, HT_INT8), HT_INT16);
  ck_assert_int_eq(ht_promote(HT_UINT8, HT_INT64), HT_INT64);
  ck_assert_int_eq(ht_promote(HT_BOOL, HT_INT8), HT_INT8);
  ck_assert_int_eq(ht_promote(HT_FLOAT32, HT_FLOAT64), HT_FLOAT64);
  /* NEP 50: np.array([1], np.int32) + 2 -> int32; + 2.5 -> float64; bool + 1 -> int64 */
  ck_assert_int_eq(ht_weak_scalar_dtype(HT_INT32, 2, false), HT_INT32);
  ck_assert_int_eq(ht_weak_scalar_dtype(HT_INT32, 2.5, false), HT_FLOAT64);
  ck_assert_int_eq(ht_weak_scalar_dtype(HT_FLOAT32, 2.5, false), HT_FLOAT32);
  ck_assert_int_eq(ht_weak_scalar_dtype(HT_BOOL, 1, false), HT_INT64);
  ck_assert_int_eq(ht_weak_scalar_dtype(HT_UINT8, 1, true), HT_UINT8);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("array");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_block_counts);
  tcase_add_test(tc, test_resplit_all_pairs);
  tcase_add_test(tc, test_redistribute_and_balance);
  tcase_add_test(tc, test_views_and_copy);
  tcase_add_test(tc, test_transposed_copy_tiles);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_promotion);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
