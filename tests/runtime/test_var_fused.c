/* runtime/cpu/reduce_exact.c's fused var/std rows (ht_cpu_var_rows_exact): the means and
 * squared-deviation sums have the bits of the two whole passes (ht_cpu_reduce_exact, sum,
 * then / N, then sqdev), with the AVX-512 row kernel on and off (HEATLUA_NO_AVX512's
 * path), float64, float32 and int32 rows of 1, 7, 64, 65 and 1000 terms, row counts
 * around the 8-row tiles, the 256-row items and the fused tiles, NaN, infinities, zeros,
 * subnormals, 1e300 beside 1e-300 and cancellation. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "row_values.h"
#include "cpu/binned.h"
#include "cpu/binned_rows.h"
#include "cpu/reduce.h"

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* The reference: the two passes as ops/reduce.c runs them without the fusion. */
static void two_passes(const ht_rjob *j, double N, double *mean, double *out) {
  ck_assert_int_eq(ht_cpu_reduce_exact(j, NULL, out), 0);
  for (int64_t o = 0; o < j->O; o++) mean[o] = out[o] / N;
  ht_rjob q = *j;
  q.op = HT_K_SQDEV, q.center = mean;
  ck_assert_int_eq(ht_cpu_reduce_exact(&q, NULL, out), 0);
}

static void check_case(ht_dtype t, int64_t O, int64_t n, int on) {
  const size_t item = ht_dtype_size(t);
  char *v = malloc(item * (size_t)(O * n));
  double *m1 = malloc(8 * (size_t)O), *m2 = malloc(8 * (size_t)O);
  double *a = malloc(8 * (size_t)O), *b = malloc(8 * (size_t)O);
  uint64_t s = (uint64_t)(O * 1009 + n * 7 + t);
  for (int64_t r = 0; r < O; r++)
    for (int64_t k = 0; k < n; k++) {
      const double x = value(&s, r, k, n);
      if (t == HT_FLOAT64) ((double *)(void *)v)[r * n + k] = x;
      else if (t == HT_FLOAT32) ((float *)(void *)v)[r * n + k] = (float)x;
      else ((int32_t *)(void *)v)[r * n + k] = (int32_t)(fabs(x) < 1e9 ? x * 1000 : 7);
    }
  const ht_rjob j = {.op = HT_K_SUM, .t = t, .f64 = true, .in = v, .O = O, .R = n, .I = 1};
  const int was = ht_xacc_rows_simd(on);
  const double N = (double)n;
  ck_assert_int_eq(ht_cpu_var_rows_exact(&j, N, m1, a), 0);
  two_passes(&j, N, m2, b);
  ht_xacc_rows_simd(was);
  for (int64_t r = 0; r < O; r++)
    ck_assert_msg((same_bits(a[r], b[r]) || (isnan(a[r]) && isnan(b[r]))) &&
                      (same_bits(m1[r], m2[r]) || (isnan(m1[r]) && isnan(m2[r]))),
                  "dtype %d O %lld n %lld row %lld kernel %d: fused %.17g / %.17g, two passes "
                  "%.17g / %.17g", (int)t, (long long)O, (long long)n, (long long)r, on, m1[r],
                  a[r], m2[r], b[r]);
  free(v), free(m1), free(m2), free(a), free(b);
}

START_TEST(test_fused_same_bits) {
  static const int64_t Ns[] = {1, 7, 64, 65, 1000};
  static const int64_t Os[] = {1, 9, 255, 257, 1025};
  static const ht_dtype Ts[] = {HT_FLOAT64, HT_FLOAT32, HT_INT32};
  for (int on = 0; on < 2; on++)
    for (int ti = 0; ti < 3; ti++)
      for (int ni = 0; ni < 5; ni++)
        for (int oi = 0; oi < 5; oi++) check_case(Ts[ti], Os[oi], Ns[ni], on);
}
END_TEST

/* What the fusion leaves to the two passes: not a sum job, columns (I > 1), rows longer
 * than a tile, nothing to read. */
START_TEST(test_fused_declines) {
  double v[4] = {1, 2, 3, 4}, m[4], o[4];
  ht_rjob j = {.op = HT_K_SUM, .t = HT_FLOAT64, .f64 = true, .in = v, .O = 2, .R = 1, .I = 2};
  ck_assert_int_eq(ht_cpu_var_rows_exact(&j, 1, m, o), 1);
  j.I = 1, j.R = 2, j.op = HT_K_SQDEV;
  ck_assert_int_eq(ht_cpu_var_rows_exact(&j, 2, m, o), 1);
  j.op = HT_K_SUM, j.R = 0;
  ck_assert_int_eq(ht_cpu_var_rows_exact(&j, 2, m, o), 1);
  j.R = 1 << 20, j.O = 0; /* too long to tile (and nothing read: O = 0) */
  ck_assert_int_eq(ht_cpu_var_rows_exact(&j, 2, m, o), 1);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("var_fused");
  TCase *tc = tcase_create("var_fused");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_fused_same_bits);
  tcase_add_test(tc, test_fused_declines);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
