/* runtime/cpu/binned_sqdev.c: the column sums of squared deviations (var/std along axis 0)
 * through cpu/reduce_exact.c have the same bits with the AVX-512 column kernel on and off,
 * and equal the superaccumulator's sum of the terms one by one (exact by construction), at
 * column counts around the 8- and 16-column groups and the 64-column passes, row counts
 * around the blocks, float64 and float32, with NaN, infinities, -0.0, subnormals, huge
 * beside tiny, values equal to the centre; and the kernel alone holds common columns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "cpu/binned.h"
#include "cpu/binned_sqdev.h"
#include "cpu/reduce.h"

int ht_cpu_reduce_exact(const ht_rjob *j, ht_xacc *xacc, double *out);

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static uint64_t next(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 11;
}

/* Row r of column l, kind by l % 8: randn-like, a wide exponent spread, one special at row
 * n/2 (which special: by l / 8), all equal (every term 0 at its centre), 1e300 beside
 * 1e-300, subnormals, values within 2^-40 of 1 (tiny deviations), huge beside tiny ones. */
static double value(uint64_t *s, int64_t r, int64_t l, int64_t n) {
  const double u = (double)next(s) / 9007199254740992.0 - 0.5; /* [-0.5, 0.5) */
  switch (l % 8) {
  case 0: return 3 * u;
  case 1: return ldexp(u, (int)(next(s) % 80) - 40);
  case 2: {
    static const double sp[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, 4.9e-324, 1.0, -2.5};
    return r == n / 2 ? sp[(l / 8) % 8] : u;
  }
  case 3: return 1.25;
  case 4: return r % 3 == 0 ? 1e300 : r % 3 == 1 ? 1e-300 : -1e300 * (1 + u * 1e-10);
  case 5: return ldexp(u, -1040); /* subnormals */
  case 6: return 1.0 + ldexp(u, -40);
  default: return r % 2 ? ldexp(u, 60) : ldexp(u, -60);
  }
}

/* sqdev over rows of (R, I) through the exact path, the column kernel on or off */
static void cols_exact(const void *v, bool f32, const double *c, int64_t R, int64_t I, int on,
                       double *out) {
  const ht_rjob j = {.op = HT_K_SQDEV, .t = f32 ? HT_FLOAT32 : HT_FLOAT64, .f64 = true,
                     .in = v, .O = 1, .R = R, .I = I, .center = c};
  const int was = ht_xacc_sqdev_simd(on);
  ck_assert_int_eq(ht_cpu_reduce_exact(&j, NULL, out), 0);
  ht_xacc_sqdev_simd(was);
}

/* Data, centres and the exact reference of (R, I); the caller frees d, f, c, e. */
static void make_case(bool f32, int64_t R, int64_t I, double **d, float **f, double **c,
                      double **e) {
  *d = malloc(sizeof(double) * (size_t)(R * I));
  *f = malloc(sizeof(float) * (size_t)(R * I));
  *c = malloc(sizeof(double) * (size_t)I), *e = malloc(sizeof(double) * (size_t)I);
  uint64_t s = (uint64_t)(R * 1009 + I * 7 + f32);
  for (int64_t r = 0; r < R; r++)
    for (int64_t l = 0; l < I; l++) {
      const double x = value(&s, r, l, R);
      (*d)[r * I + l] = x, (*f)[r * I + l] = (float)x;
    }
  for (int64_t l = 0; l < I; l++) { /* a column's term (equal to the centre), mean-like, 0 */
    const double x = f32 ? (double)(*f)[l] : (*d)[l];
    (*c)[l] = l % 3 == 0 ? x : l % 3 == 1 ? x * 0.75 + 0.125 : 0.0;
    if (!isfinite((*c)[l])) (*c)[l] = 0.5;
  }
  for (int64_t l = 0; l < I; l++) {
    ht_xacc x;
    ht_xacc_zero(&x);
    for (int64_t r = 0; r < R; r++) {
      const double t = f32 ? (double)(*f)[r * I + l] : (*d)[r * I + l];
      ht_xacc_add(&x, (t - (*c)[l]) * (t - (*c)[l]));
    }
    (*e)[l] = ht_xacc_round(&x);
  }
}

static void check_case(bool f32, int64_t R, int64_t I) {
  double *d, *c, *e;
  float *f;
  make_case(f32, R, I, &d, &f, &c, &e);
  double *a = malloc(sizeof(double) * (size_t)I), *b = malloc(sizeof(double) * (size_t)I);
  const void *v = f32 ? (const void *)f : (const void *)d;
  cols_exact(v, f32, c, R, I, 1, a);
  cols_exact(v, f32, c, R, I, 0, b);
  for (int64_t l = 0; l < I; l++)
    ck_assert_msg((same_bits(a[l], b[l]) && same_bits(a[l], e[l])) ||
                      (isnan(a[l]) && isnan(b[l]) && isnan(e[l])),
                  "%s R %lld I %lld column %lld: kernel %.17g generic %.17g xacc %.17g",
                  f32 ? "float32" : "float64", (long long)R, (long long)I, (long long)l, a[l],
                  b[l], e[l]);
  free(d), free(f), free(c), free(e), free(a), free(b);
}

static const int64_t Is[] = {1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000};

/* reduce_exact's blocks: 32768 / I rows (at most 4096), tiles of 256 columns */
START_TEST(test_cols_on_off_and_reference) {
  for (int ii = 0; ii < 11; ii++) {
    const int64_t I = Is[ii], rb = 32768 / I < 4096 ? 32768 / I : 4096;
    const int64_t Rs[] = {1, 2, 9, rb - 1, rb, rb + 1, 2 * rb + 3};
    for (int ri = 0; ri < 7; ri++) {
      if (I == 1 && Rs[ri] > 1100) continue; /* I == 1 takes the row paths */
      check_case(false, Rs[ri], I);
      check_case(true, Rs[ri], I);
    }
  }
}
END_TEST

/* The kernel alone, at every row count up to a block: where it says a column is held,
 * hi + lo is the exact sum; randn-like columns (kind 0) and the near-1 columns (kind 6) are
 * nearly all held, so the fast path is taken, not only the fallback. */
START_TEST(test_kernel_held_columns) {
  if (!ht_xacc_sqdev_simd(-1)) return; /* no AVX-512 here: nothing to compare */
  const int64_t Rs[] = {1, 7, 8, 9, 63, 64, 65, 511, 512, 1000, 4096};
  int64_t common = 0, held = 0;
  for (int ii = 0; ii < 11; ii++)
    for (int ri = 0; ri < 11; ri++)
      for (int f32 = 0; f32 < 2; f32++) {
        const int64_t I = Is[ii], R = Rs[ri];
        if (I * R > 1 << 20) continue;
        double *d, *c, *e;
        float *f;
        make_case(f32, R, I, &d, &f, &c, &e);
        double *hi = malloc(sizeof(double) * (size_t)I), *lo = malloc(sizeof(double) * (size_t)I);
        unsigned char *bad = malloc((size_t)I);
        ck_assert_int_eq(ht_xacc_sqdev_cols_avx512(f32 ? (const void *)f : (const void *)d,
                                                   f32, c, I, R, I, hi, lo, bad), I);
        for (int64_t l = 0; l < I; l++) {
          /* (l % 3 == 0: the centre is the first term, a zero term, never held) */
          if ((l % 8 == 0 || l % 8 == 6) && l % 3 && R >= 8) common++, held += !bad[l];
          if (!bad[l])
            ck_assert_msg(same_bits(hi[l] + lo[l], e[l]),
                          "%s R %lld I %lld column %lld: %.17g vs %.17g", f32 ? "float32" : "float64",
                          (long long)R, (long long)I, (long long)l, hi[l] + lo[l], e[l]);
        }
        /* NaN, infinities, zero terms (values equal to the centre) and subnormal terms
         * (subnormals about a subnormal or zero centre) are never held */
        for (int64_t l = 0; l < I; l++)
          if (l % 3 == 0 || (l % 8 == 5 && l % 3 == 2) || (l % 8 == 2 && (l / 8) % 8 < 3 && R > 1))
            ck_assert_msg(bad[l], "R %lld column %lld held", (long long)R, (long long)l);
        free(d), free(f), free(c), free(e), free(hi), free(lo), free(bad);
      }
  /* a randn-like column misses only when a term lies further below the largest than one
   * fold allows (|x - c| < ~2^-15 among its rows): rare */
  ck_assert_msg(held * 10 >= common * 9, "held %lld of %lld common columns", (long long)held,
                (long long)common);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("binned_sqdev");
  TCase *tc = tcase_create("binned_sqdev");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_cols_on_off_and_reference);
  tcase_add_test(tc, test_kernel_held_columns);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
