/* runtime/iter.c and runtime/dtype.c's casts: the iterator's axis coalescing (which axes
 * merge, which stay) and its walk, and every cast pair on values with a known answer
 * (C's conversions, which NumPy's astype follows for in-range values). Local only. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check_mpi.h"
#include "dtype.h"
#include "iter.h"

/* out[i] = in[i] + 1 over int32 (operand 0 the output) */
static void inc_loop(int64_t n, char **p, const int64_t *s, void *ctx) {
  (void)ctx;
  for (int64_t i = 0; i < n; i++)
    *(int32_t *)(p[0] + i * s[0]) = *(const int32_t *)(p[1] + i * s[1]) + 1;
}

static void sum_loop(int64_t n, char **p, const int64_t *s, void *ctx) {
  int64_t *acc = ctx;
  for (int64_t i = 0; i < n; i++) acc[0] += *(const int32_t *)(p[0] + i * s[0]), acc[1]++;
}

START_TEST(test_coalesce_contiguous) {
  /* a C-contiguous (2, 3, 4) int32 block: one axis of 24 */
  int64_t shape[3] = {2, 3, 4}, st[1][HT_MAXDIM] = {{48, 16, 4}};
  int32_t data[24];
  char *base[1] = {(char *)data};
  ht_iter it;
  ht_iter_init(&it, 1, 3, shape, base, (const int64_t(*)[HT_MAXDIM])st);
  ck_assert_int_eq(it.ndim, 1);
  ck_assert_int_eq(it.shape[0], 24);
  ck_assert_int_eq(it.strides[0][0], 4);
  ck_assert_int_eq(it.size, 24);
}
END_TEST

START_TEST(test_coalesce_partial) {
  /* columns 0..2 of a (2, 3, 5) block: the last axis is cut, so axes 0 and 1 merge
   * (stride 60 = 3 * 20) but the inner one stays */
  int64_t shape[3] = {2, 3, 3}, st[1][HT_MAXDIM] = {{60, 20, 4}};
  int32_t data[30];
  for (int k = 0; k < 30; k++) data[k] = k;
  char *base[1] = {(char *)data};
  ht_iter it;
  ht_iter_init(&it, 1, 3, shape, base, (const int64_t(*)[HT_MAXDIM])st);
  ck_assert_int_eq(it.ndim, 2);
  ck_assert_int_eq(it.shape[0], 6);
  ck_assert_int_eq(it.shape[1], 3);
  int64_t acc[2] = {0, 0};
  ht_iter_run(&it, sum_loop, acc);
  /* sum over rows r = 0..5 of (5r + 0 + 5r + 1 + 5r + 2) = 15 * 15 + 3 * 6 */
  ck_assert_int_eq(acc[1], 18);
  ck_assert_int_eq(acc[0], 15 * 15 + 18);
}
END_TEST

START_TEST(test_coalesce_broadcast_and_unit) {
  /* operand 1 broadcast along axis 0 (stride 0) blocks the merge of axes 0 and 1; a
   * length-1 axis is dropped whatever its stride */
  int64_t shape[3] = {4, 1, 5};
  int64_t st[2][HT_MAXDIM] = {{20, 999, 4}, {0, 999, 4}};
  char buf[80], buf2[20];
  char *base[2] = {buf, buf2};
  ht_iter it;
  ht_iter_init(&it, 2, 3, shape, base, (const int64_t(*)[HT_MAXDIM])st);
  ck_assert_int_eq(it.ndim, 2);
  ck_assert_int_eq(it.shape[0], 4);
  ck_assert_int_eq(it.shape[1], 5);
  ck_assert_int_eq(it.strides[1][0], 0);
  /* every axis of length 1: one element */
  int64_t ones[2] = {1, 1}, st1[1][HT_MAXDIM] = {{8, 8}};
  ht_iter_init(&it, 1, 2, ones, base, (const int64_t(*)[HT_MAXDIM])st1);
  ck_assert_int_eq(it.ndim, 1);
  ck_assert_int_eq(it.shape[0], 1);
}
END_TEST

START_TEST(test_coalesce_large_threaded) {
  /* big enough for the threaded split of the flat range: every element seen once */
  enum { R = 300, C = 257 };
  static int32_t in[R * (C + 3)], out[R * C];
  for (int k = 0; k < R * (C + 3); k++) in[k] = k;
  int64_t shape[2] = {R, C}, st[2][HT_MAXDIM] = {{4 * C, 4}, {4 * (C + 3), 4}};
  char *base[2] = {(char *)out, (char *)in};
  ht_iter it;
  ht_iter_init(&it, 2, 2, shape, base, (const int64_t(*)[HT_MAXDIM])st);
  ck_assert_int_eq(it.ndim, 2); /* the input's padded rows do not merge */
  ht_iter_run(&it, inc_loop, NULL);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) ck_assert_int_eq(out[r * C + c], r * (C + 3) + c + 1);
}
END_TEST

START_TEST(test_casts) {
  /* float -> int truncates toward zero; -> bool is != 0; bool -> 1/0; int8 wraps from
   * int16 as C's conversion (np.array([300], np.int16).astype(np.int8) == 44) */
  const double f[4] = {-2.75, 0.0, 3.5, 1e3};
  int32_t i32[4];
  ht_cast(HT_FLOAT64, f, 8, HT_INT32, i32, 4, 4);
  ck_assert_int_eq(i32[0], -2); ck_assert_int_eq(i32[1], 0);
  ck_assert_int_eq(i32[2], 3); ck_assert_int_eq(i32[3], 1000);
  uint8_t b[4];
  ht_cast(HT_FLOAT64, f, 8, HT_BOOL, b, 1, 4);
  ck_assert_int_eq(b[0], 1); ck_assert_int_eq(b[1], 0); ck_assert_int_eq(b[2], 1);
  float g[4];
  ht_cast(HT_BOOL, b, 1, HT_FLOAT32, g, 4, 4);
  ck_assert_float_eq(g[0], 1.0f); ck_assert_float_eq(g[1], 0.0f);
  int16_t h = 300;
  int8_t c;
  ht_cast(HT_INT16, &h, 2, HT_INT8, &c, 1, 1);
  ck_assert_int_eq(c, 44);
  /* strided, with a zero source stride (a broadcast scalar) */
  double one = 7.25, out[3];
  ht_cast(HT_FLOAT64, &one, 0, HT_FLOAT64, out, 8, 3);
  for (int k = 0; k < 3; k++) ck_assert_double_eq(out[k], 7.25);
  /* every pair round-trips a small value through float64 exactly */
  for (int from = 0; from < HT_NDTYPES; from++)
    for (int to = 0; to < HT_NDTYPES; to++) {
      char a[8], z[8];
      double v = from == HT_BOOL || to == HT_BOOL ? 1.0 : 5.0, back;
      ht_set_f64((ht_dtype)from, a, v);
      ht_cast((ht_dtype)from, a, 0, (ht_dtype)to, z, 0, 1);
      back = ht_get_f64((ht_dtype)to, z);
      ck_assert_double_eq(back, v);
    }
  ck_assert(ht_is_exact_int(9007199254740992.0));  /* 2^53 */
  ck_assert(!ht_is_exact_int(9007199254740994.0)); /* 2^53 + 2 */
  ck_assert(!ht_is_exact_int(0.5));
  ck_assert(!ht_is_exact_int(NAN));
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("iter");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_coalesce_contiguous);
  tcase_add_test(tc, test_coalesce_partial);
  tcase_add_test(tc, test_coalesce_broadcast_and_unit);
  tcase_add_test(tc, test_coalesce_large_threaded);
  tcase_add_test(tc, test_casts);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
