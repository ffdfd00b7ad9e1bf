/* Tests runtime/ops/factories.c: gathered values against NumPy for every split, blocks of
 * ranks that own no rows, and the error messages. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "ops.h"

/* The whole array as doubles on every rank (collective); frees a. */
static double *values(ht_array *a) {
  ck_assert_ptr_nonnull(a);
  int64_t n = ht_array_gsize(a);
  char *raw = malloc((size_t)(n * (int64_t)ht_dtype_size(a->dtype)) + 1);
  double *v = malloc(sizeof(double) * (size_t)n + 1);
  ck_assert_int_eq(ht_gather(a, -1, raw), 0);
  ht_cast(a->dtype, raw, (int64_t)ht_dtype_size(a->dtype), HT_FLOAT64, v, sizeof(double), n);
  free(raw);
  ht_array_free(a);
  return v;
}

static void assert_values(ht_array *a, const double *want, int64_t n) {
  ck_assert_int_eq(ht_array_gsize(a), n);
  double *v = values(a);
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg(v[i] == want[i], "at %lld: got %.17g, expected %.17g", (long long)i, v[i], want[i]);
  free(v);
}

START_TEST(full_every_dtype_and_split) {
  int64_t shape[3] = {3, 2, 5};
  double want[30];
  for (int t = 0; t < HT_NDTYPES; t++) {
    double v = t == HT_BOOL ? 1 : t == HT_UINT8 ? 200 : -7;
    for (int i = 0; i < 30; i++) want[i] = v;
    for (int split = -1; split < 3; split++) {
      ht_array *a = ht_full((ht_dtype)t, 3, shape, split, HT_CPU, v);
      ck_assert_int_eq(a->dtype, t);
      ck_assert_int_eq(a->split, split);
      assert_values(a, want, 30);
    }
  }
}
END_TEST

START_TEST(zero_rows_on_some_ranks) {
  int64_t shape[2] = {2, 3}, empty[2] = {0, 4};
  double zeros[6] = {0};
  ht_array *a = ht_full(HT_FLOAT32, 2, shape, 0, HT_CPU, 0.0);
  int r = ht_comm_rank(), p = ht_comm_size();
  int64_t rows = a->lshape[0];
  assert_values(a, zeros, 6); /* collective: before any rank-local assertion */
  ck_assert_int_eq(rows, p == 1 ? 2 : (r < 2 ? 1 : 0)); /* balanced: 2 rows on p ranks */
  ht_array *e = ht_full(HT_INT32, 2, empty, 0, HT_CPU, 1.0);
  ck_assert_int_eq(e->lshape[0], 0);
  ht_array_free(e);
  ht_array *z = ht_full(HT_INT32, 0, shape, -1, HT_CPU, 4.0); /* 0-d */
  double four = 4;
  assert_values(z, &four, 1);
}
END_TEST

START_TEST(arange_linspace_logspace) {
  /* np.arange(10, 0, -3) */
  double ar[4] = {10, 7, 4, 1};
  for (int split = -1; split < 1; split++)
    assert_values(ht_arange(HT_INT32, 10, -2, -3, split, HT_CPU), ar, 4);
  /* np.arange(0, 1, 0.1).astype(np.float32) */
  double ar32[10] = {0.0, 0.10000000149011612, 0.20000000298023224, 0.30000001192092896,
                     0.4000000059604645, 0.5, 0.6000000238418579, 0.699999988079071,
                     0.800000011920929, 0.8999999761581421};
  assert_values(ht_arange(HT_FLOAT32, 0, 0.95, 0.1, 0, HT_CPU), ar32, 10);
  /* np.linspace(0, 1, 5, endpoint=False) */
  double ls[5] = {0.0, 0.2, 0.4, 0.6000000000000001, 0.8};
  assert_values(ht_linspace(HT_FLOAT64, 0, 1, 5, false, 0, HT_CPU), ls, 5);
  /* np.linspace(0.1, 0.7, 3): the endpoint is exactly stop */
  double le[3] = {0.1, 0.4, 0.7};
  assert_values(ht_linspace(HT_FLOAT64, 0.1, 0.7, 3, true, 0, HT_CPU), le, 3);
  /* np.linspace(-1, 1, 4, dtype=np.int32): floor, not truncation */
  double li[4] = {-1, -1, 0, 1};
  assert_values(ht_linspace(HT_INT32, -1, 1, 4, true, 0, HT_CPU), li, 4);
  /* np.linspace(2, 3, 1) */
  double one = 2;
  assert_values(ht_linspace(HT_FLOAT32, 2, 3, 1, true, -1, HT_CPU), &one, 1);
  /* np.logspace(0, 3, 3, endpoint=False, base=2) */
  double lg[3] = {1, 2, 4};
  assert_values(ht_logspace(HT_FLOAT32, 0, 3, 3, false, 2, 0, HT_CPU), lg, 3);
  /* np.logspace(-1, 1, 3, dtype=np.int32) */
  double lgi[3] = {0, 1, 10};
  assert_values(ht_logspace(HT_INT32, -1, 1, 3, true, 10, 0, HT_CPU), lgi, 3);
}
END_TEST

START_TEST(long_sequence) {
  int64_t n = 100003; /* past one fill chunk, not a multiple of it */
  double *want = malloc(sizeof(double) * (size_t)n);
  for (int64_t i = 0; i < n; i++) want[i] = (double)(5 + 2 * i);
  assert_values(ht_arange(HT_INT64, 5, 5 + 2 * (double)n, 2, 0, HT_CPU), want, n);
  free(want);
}
END_TEST

START_TEST(eye_with_k) {
  /* np.eye(3, 4, k=1), np.eye(4, 3, k=-2), np.eye(2, 9, k=5) */
  double e1[12] = {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  double e2[12] = {0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0};
  double e3[18] = {0};
  e3[5] = e3[9 + 6] = 1;
  for (int split = -1; split < 2; split++) {
    assert_values(ht_eye(HT_FLOAT32, 3, 4, 1, split, HT_CPU), e1, 12);
    assert_values(ht_eye(HT_INT64, 4, 3, -2, split, HT_CPU), e2, 12);
    assert_values(ht_eye(HT_BOOL, 2, 9, 5, split, HT_CPU), e3, 18);
  }
}
END_TEST

START_TEST(from_buffer_casts_and_splits) {
  int64_t shape[2] = {5, 3};
  double src[15];
  for (int i = 0; i < 15; i++) src[i] = i * 1.5 - 4;
  for (int split = -1; split < 2; split++) {
    ht_array *a = ht_from_buffer(HT_FLOAT64, 2, shape, split, HT_CPU, HT_FLOAT64, src);
    ck_assert_int_eq(a->split, split);
    assert_values(a, src, 15);
  }
  /* float64 -> int16 truncates like NumPy's astype */
  double want[15];
  for (int i = 0; i < 15; i++) want[i] = trunc(src[i]);
  assert_values(ht_from_buffer(HT_INT16, 2, shape, 0, HT_CPU, HT_FLOAT64, src), want, 15);
}
END_TEST

/* Heat's arange dtype rule and NumPy's length, decided by the runtime (the binding passes
 * HT_NDTYPES): np.arange(0, 5) has 5 elements, np.arange(0, 1, 0.25) 4, np.arange(0, 3e9,
 * 1e9) 3 (past int32: int64). */
START_TEST(arange_dtype_rule) {
  const struct { double start, stop, step; ht_dtype t; int64_t n; } c[3] = {
      {0, 5, 1, HT_INT32, 5}, {0, 1, 0.25, HT_FLOAT32, 4}, {0, 3e9, 1e9, HT_INT64, 3}};
  for (int k = 0; k < 3; k++) {
    ht_array *a = ht_arange(HT_NDTYPES, c[k].start, c[k].stop, c[k].step, 0, HT_CPU);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->dtype, c[k].t);
    ck_assert_int_eq(a->gshape[0], c[k].n);
    ht_array_free(a);
  }
  ck_assert_ptr_null(ht_arange(HT_NDTYPES, 0, INFINITY, 1, -1, HT_CPU));
  ck_assert_str_eq(ht_errmsg(), "arange: cannot compute length from start 0, stop inf, step 1");
}
END_TEST

START_TEST(errors) {
  int64_t neg[2] = {3, -1}, ok[2] = {3, 2};
  ck_assert_ptr_null(ht_full(HT_FLOAT32, 2, neg, 0, HT_CPU, 0));
  ck_assert_str_eq(ht_errmsg(), "full: negative dimensions are not allowed");
  ck_assert_ptr_null(ht_full(HT_FLOAT32, 2, ok, 2, HT_CPU, 0));
  ck_assert_str_eq(ht_errmsg(), "full: split 2 is out of range for shape (3, 2)");
  ck_assert_ptr_null(ht_arange(HT_INT32, 0, 0, 0, -1, HT_CPU));
  ck_assert_str_eq(ht_errmsg(), "arange: step must not be zero");
  ck_assert_ptr_null(ht_linspace(HT_FLOAT32, 0, 1, -2, true, -1, HT_CPU));
  ck_assert_str_eq(ht_errmsg(), "linspace: number of samples, -2, must be non-negative");
  ck_assert_ptr_null(ht_eye(HT_FLOAT32, -1, 2, 0, -1, HT_CPU));
  ck_assert_str_eq(ht_errmsg(), "eye: negative dimensions are not allowed");
  ck_assert_ptr_null(ht_full(HT_FLOAT32, 2, ok, 0, HT_GPU, 0));
  ck_assert_ptr_null(ht_full(HT_INT8, 2, ok, 0, HT_CPU, 128));
  ck_assert_str_eq(ht_errmsg(), "full: fill value 128 is out of bounds for int8");
  ck_assert_ptr_null(ht_full(HT_INT64, 2, ok, 0, HT_CPU, 0x1p63));
  ht_array_free(ht_full(HT_INT64, 2, ok, 0, HT_CPU, -0x1p63)); /* INT64_MIN fits */
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("factories");
  TCase *tc = tcase_create("factories");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, full_every_dtype_and_split);
  tcase_add_test(tc, zero_rows_on_some_ranks);
  tcase_add_test(tc, arange_linspace_logspace);
  tcase_add_test(tc, long_sequence);
  tcase_add_test(tc, eye_with_k);
  tcase_add_test(tc, from_buffer_casts_and_splits);
  tcase_add_test(tc, arange_dtype_rule);
  tcase_add_test(tc, errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
