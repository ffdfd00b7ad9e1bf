/* runtime/cpu/binned_cols.c: the AVX-512 column kernel gives the exponent extremes of a
 * scalar reference and the exact sums, at the tile edges (1, 15, 16, 17, 63, 64, 65 and
 * 1000 columns, rows around the blocks), with specials; exact float32 column sums through
 * cpu/reduce_exact.c have the same bits with the kernel on and off and equal the
 * superaccumulator's sum of the terms one by one (exact by construction). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "cpu/binned.h"
#include "cpu/binned_cols.h"
#include "cpu/reduce.h"

int ht_cpu_reduce_exact(const ht_rjob *j, ht_xacc *xacc, double *out);

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static const int64_t Ws[] = {1, 15, 16, 17, 63, 64, 65, 1000};

/* multiples of 2^-10 in [-512, 512): every partial sum of 1024 is a double, in any order */
static void dyadic(float *v, int64_t n, unsigned seed) {
  uint64_t s = seed;
  for (int64_t k = 0; k < n; k++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v[k] = (float)((int64_t)(s >> 44) - (1 << 19)) / 1024.0f;
  }
}

START_TEST(test_kernel_against_scalar) {
  if (!ht_xacc_cols_simd(-1)) return; /* no AVX-512 here: nothing to compare */
  const int64_t rows_list[] = {1, 2, 511, 1024};
  for (int wi = 0; wi < 8; wi++)
    for (int ri = 0; ri < 4; ri++) {
      const int64_t w = Ws[wi], rows = rows_list[ri], ld = w + 3; /* rows ld apart */
      float *v = malloc(sizeof(float) * (size_t)(rows * ld));
      double *s = malloc(sizeof(double) * (size_t)w);
      uint32_t *mx = malloc(sizeof(uint32_t) * (size_t)w), *mn = malloc(sizeof(uint32_t) * (size_t)w);
      dyadic(v, rows * ld, (unsigned)(w * 7 + rows));
      /* specials in a few columns: zeros, -0.0, a subnormal, inf, NaN */
      v[0] = 0.0f;
      if (w > 1) v[1] = -0.0f;
      if (w > 2) v[(rows - 1) * ld + 2] = 1e-40f;
      if (w > 15) v[14] = INFINITY;
      if (w > 16) v[(rows / 2) * ld + 16] = NAN;
      if (w > 64) for (int64_t r = 0; r < rows; r++) v[r * ld + 64] = 0.0f; /* all zeros */
      ck_assert_int_eq(ht_xacc_plain_cols_avx512(v, ld, rows, w, s, mx, mn), w);
      for (int64_t l = 0; l < w; l++) {
        double e = 0;
        uint32_t ex = 0, en = 0x7fffffffu;
        for (int64_t r = 0; r < rows; r++) {
          uint32_t b;
          memcpy(&b, &v[r * ld + l], 4);
          b &= 0x7fffffffu;
          ex = b > ex ? b : ex, en = b && b < en ? b : en;
          e += (double)v[r * ld + l];
        }
        ck_assert_msg(mx[l] == ex && mn[l] == en, "w %lld rows %lld col %lld: mx %x/%x mn %x/%x",
                      (long long)w, (long long)rows, (long long)l, mx[l], ex, mn[l], en);
        ck_assert_msg(same_bits(s[l], e) || (isnan(s[l]) && isnan(e)),
                      "w %lld rows %lld col %lld: %.17g vs %.17g", (long long)w, (long long)rows,
                      (long long)l, s[l], e);
      }
      free(v), free(s), free(mx), free(mn);
    }
}
END_TEST

/* sum along axis 0 of (R, I) float32 through the exact path, kernel on or off */
static void colsum(const float *v, int64_t R, int64_t I, int on, double *out) {
  const ht_rjob j = {.op = HT_K_SUM, .t = HT_FLOAT32, .f64 = true, .in = v, .O = 1, .R = R, .I = I};
  const int was = ht_xacc_cols_simd(on);
  ck_assert_int_eq(ht_cpu_reduce_exact(&j, NULL, out), 0);
  ht_xacc_cols_simd(was);
}

START_TEST(test_exact_sums_on_off_and_reference) {
  const int64_t Rs[] = {1, 511, 512, 513, 1025, 3000};
  for (int wi = 0; wi < 8; wi++)
    for (int ri = 0; ri < 6; ri++) {
      const int64_t I = Ws[wi], R = Rs[ri];
      float *v = malloc(sizeof(float) * (size_t)(R * I));
      double *a = malloc(sizeof(double) * (size_t)I), *b = malloc(sizeof(double) * (size_t)I);
      uint64_t s = (uint64_t)(I * 131 + R);
      for (int64_t k = 0; k < R * I; k++) { /* uniform [0, 1) as rand, and wide columns */
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        const float u = (float)((double)(s >> 40) / 16777216.0);
        v[k] = k % I % 5 == 3 ? ldexpf(u, (int)(s >> 20) % 60 - 30) : u; /* 2^-30 .. 2^29 */
      }
      colsum(v, R, I, 1, a);
      colsum(v, R, I, 0, b);
      for (int64_t l = 0; l < I; l++) {
        ht_xacc x;
        ht_xacc_zero(&x);
        for (int64_t r = 0; r < R; r++) ht_xacc_add(&x, (double)v[r * I + l]);
        const double e = ht_xacc_round(&x);
        ck_assert_msg(same_bits(a[l], b[l]) && same_bits(a[l], e),
                      "I %lld R %lld col %lld: %.17g %.17g %.17g", (long long)I, (long long)R,
                      (long long)l, a[l], b[l], e);
      }
      free(v), free(a), free(b);
    }
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("binned_cols");
  TCase *tc = tcase_create("binned_cols");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_kernel_against_scalar);
  tcase_add_test(tc, test_exact_sums_on_off_and_reference);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
