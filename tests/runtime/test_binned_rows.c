/* runtime/cpu/binned_rows.c: exact row sums and squared deviations (I == 1) through
 * cpu/reduce_exact.c have the same bits with the AVX-512 row kernel on and off, and equal
 * the superaccumulator's sum of the terms one by one (exact by construction), at row
 * lengths around the 8-term blocks and row counts around the 8-row tiles, float64 and
 * float32, with NaN, infinities, -0.0, subnormals, 1e300 beside 1e-300 and cancellation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "row_values.h"
#include "cpu/binned.h"
#include "cpu/binned_rows.h"
#include "cpu/reduce.h"

int ht_cpu_reduce_exact(const ht_rjob *j, ht_xacc *xacc, double *out);

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static const int64_t Ns[] = {1, 7, 8, 9, 63, 64, 65, 1000};

/* op over rows of (O, n) through the exact path, the row kernel on or off */
static void rows_exact(const void *v, bool f32, ht_kop op, const double *c, int64_t O, int64_t n,
                       int on, double *out) {
  const ht_rjob j = {.op = op, .t = f32 ? HT_FLOAT32 : HT_FLOAT64, .f64 = true, .in = v,
                     .O = O, .R = n, .I = 1, .center = c};
  const int was = ht_xacc_rows_simd(on);
  ck_assert_int_eq(ht_cpu_reduce_exact(&j, NULL, out), 0);
  ht_xacc_rows_simd(was);
}

static void check_case(bool f32, ht_kop op, int64_t O, int64_t n) {
  const bool sq = op == HT_K_SQDEV;
  double *d = malloc(sizeof(double) * (size_t)(O * n));
  float *f = malloc(sizeof(float) * (size_t)(O * n));
  double *c = malloc(sizeof(double) * (size_t)O), *a = malloc(sizeof(double) * (size_t)O);
  double *b = malloc(sizeof(double) * (size_t)O);
  uint64_t s = (uint64_t)(O * 1009 + n * 7 + f32);
  for (int64_t r = 0; r < O; r++)
    for (int64_t k = 0; k < n; k++) {
      const double x = value(&s, r, k, n);
      d[r * n + k] = x, f[r * n + k] = (float)x;
    }
  for (int64_t r = 0; r < O; r++) { /* centres: a row's mean-like value, or a term itself */
    const double x = f32 ? (double)f[r * n] : d[r * n];
    c[r] = r % 3 == 0 ? x : r % 3 == 1 ? x * 0.75 + 0.125 : 0.0;
    if (!isfinite(c[r])) c[r] = 0.5;
  }
  const void *v = f32 ? (const void *)f : (const void *)d;
  rows_exact(v, f32, op, sq ? c : NULL, O, n, 1, a);
  rows_exact(v, f32, op, sq ? c : NULL, O, n, 0, b);
  for (int64_t r = 0; r < O; r++) {
    ht_xacc x;
    ht_xacc_zero(&x);
    for (int64_t k = 0; k < n; k++) {
      double t = f32 ? (double)f[r * n + k] : d[r * n + k];
      if (sq) t = (t - c[r]) * (t - c[r]);
      ht_xacc_add(&x, t);
    }
    const double e = ht_xacc_round(&x);
    ck_assert_msg((same_bits(a[r], b[r]) && same_bits(a[r], e)) ||
                      (isnan(a[r]) && isnan(b[r]) && isnan(e)),
                  "%s %s O %lld n %lld row %lld: kernel %.17g generic %.17g xacc %.17g",
                  f32 ? "float32" : "float64", sq ? "sqdev" : "sum", (long long)O, (long long)n,
                  (long long)r, a[r], b[r], e);
  }
  free(d), free(f), free(c), free(a), free(b);
}

START_TEST(test_rows_on_off_and_reference) {
  for (int ni = 0; ni < 8; ni++)
    for (int64_t O = 1; O <= 17; O++) {
      check_case(false, HT_K_SUM, O, Ns[ni]);
      check_case(false, HT_K_SQDEV, O, Ns[ni]);
      check_case(true, HT_K_SQDEV, O, Ns[ni]);
    }
  /* more tiles than one COLS batch of reduce_exact, every special kind at each position */
  check_case(false, HT_K_SUM, 300, 64);
  check_case(false, HT_K_SQDEV, 300, 65);
  check_case(true, HT_K_SQDEV, 300, 63);
}
END_TEST

/* The kernel itself: where it says a row is held, hi + lo is the exact sum; rows of
 * randn-like data are held (the fast path is taken, not only the fallback). */
START_TEST(test_kernel_holds_common_rows) {
  if (!ht_xacc_rows_simd(-1)) return; /* no AVX-512 here: nothing to compare */
  enum { O = 19, N = 64 };
  double v[O * N], hi[O], lo[O], c[O];
  unsigned char bad[O];
  uint64_t s = 7;
  for (int k = 0; k < O * N; k++) v[k] = 3 * ((double)next(&s) / 9007199254740992.0 - 0.5);
  for (int r = 0; r < O; r++) c[r] = 0.01 * r;
  for (int sq = 0; sq < 2; sq++) {
    ck_assert_int_eq(ht_xacc_rows_avx512(v, false, sq ? c : NULL, N, O, hi, lo, bad), O);
    for (int r = 0; r < O; r++) {
      ht_xacc x;
      ht_xacc_zero(&x);
      for (int k = 0; k < N; k++) {
        const double t = v[r * N + k];
        ht_xacc_add(&x, sq ? (t - c[r]) * (t - c[r]) : t);
      }
      ck_assert_msg(!bad[r], "row %d not held", r);
      ck_assert(same_bits(hi[r] + lo[r], ht_xacc_round(&x)));
    }
  }
}
END_TEST

/* The squared-deviation kernel guesses each tile's fold constant from the last tile's
 * sums: rows whose scale jumps by 2^+-30 between tiles, and within a tile, miss the guess
 * and are redone with their own; they are still held (the fast path), and exact. */
START_TEST(test_sq_guess_misses_are_redone) {
  if (!ht_xacc_rows_simd(-1)) return;
  enum { O = 40, N = 64 };
  static float f[O * N];
  static double d[O * N];
  double hi[O], lo[O], c[O];
  unsigned char bad[O];
  uint64_t s = 11;
  for (int r = 0; r < O; r++) {
    const int e = r < 8 ? 0 : r < 16 ? 30 : r < 24 ? -30 : r % 2 ? 30 : -30;
    for (int k = 0; k < N; k++) {
      d[r * N + k] = ldexp((double)next(&s) / 9007199254740992.0 + 0.5, e);
      f[r * N + k] = (float)d[r * N + k];
    }
    c[r] = ldexp(1.0, e);
  }
  for (int f32 = 0; f32 < 2; f32++) {
    ck_assert_int_eq(ht_xacc_rows_avx512(f32 ? (const void *)f : (const void *)d, f32, c, N, O,
                                         hi, lo, bad), O);
    for (int r = 0; r < O; r++) {
      ht_xacc x;
      ht_xacc_zero(&x);
      for (int k = 0; k < N; k++) {
        const double t = f32 ? (double)f[r * N + k] : d[r * N + k];
        ht_xacc_add(&x, (t - c[r]) * (t - c[r]));
      }
      ck_assert_msg(!bad[r], "%s row %d not held", f32 ? "float32" : "float64", r);
      ck_assert(same_bits(hi[r] + lo[r], ht_xacc_round(&x)));
    }
  }
}
END_TEST

/* The AVX-512 plain float32 row sums (the mean pass of mean/var along rows) give the AVX2
 * kernel's sums and flags, kernel on and off, at the row lengths and counts above and on
 * the same kinds of rows: tiles whose joint exponent range fails are checked row by row. */
START_TEST(test_plain_rows_on_off) {
  for (int ni = 0; ni < 8; ni++)
    for (int64_t O = 1; O <= 20; O += (O < 10 ? 1 : 5)) {
      const int64_t n = Ns[ni];
      float *f = malloc(sizeof(float) * (size_t)(O * n));
      double *a = malloc(sizeof(double) * (size_t)O), *b = malloc(sizeof(double) * (size_t)O);
      unsigned char *ba = malloc((size_t)O), *bb = malloc((size_t)O);
      uint64_t s = (uint64_t)(O * 31 + n);
      for (int64_t r = 0; r < O; r++)
        for (int64_t k = 0; k < n; k++) f[r * n + k] = (float)value(&s, r + O / 3, k, n);
      int was = ht_xacc_rows_simd(1);
      ht_xacc_plain_rows_f32(f, n, O, a, ba);
      ht_xacc_rows_simd(0);
      ht_xacc_plain_rows_f32(f, n, O, b, bb);
      ht_xacc_rows_simd(was);
      for (int64_t r = 0; r < O; r++) {
        ck_assert_msg(ba[r] == bb[r], "n %lld O %lld row %lld: flag %d vs %d", (long long)n,
                      (long long)O, (long long)r, ba[r], bb[r]);
        if (!ba[r]) {
          ht_xacc x;
          ht_xacc_zero(&x);
          for (int64_t k = 0; k < n; k++) ht_xacc_add(&x, f[r * n + k]);
          ck_assert_msg(same_bits(a[r], b[r]) && same_bits(a[r], ht_xacc_round(&x)),
                        "n %lld O %lld row %lld: %.17g vs %.17g", (long long)n, (long long)O,
                        (long long)r, a[r], b[r]);
        }
      }
      free(f), free(a), free(b), free(ba), free(bb);
    }
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("binned_rows");
  TCase *tc = tcase_create("binned_rows");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_rows_on_off_and_reference);
  tcase_add_test(tc, test_kernel_holds_common_rows);
  tcase_add_test(tc, test_sq_guess_misses_are_redone);
  tcase_add_test(tc, test_plain_rows_on_off);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
