/* runtime/cpu/binned.c and runtime/cpu/reduce_exact.c: exact sums against integer
 * arithmetic (terms k * 2^e summed in __int128 units of 2^-40, converted once, which GCC
 * rounds to nearest even), the same bits for every split into partials and for 1 and 2
 * OpenMP threads, and the rounding rules at ties, subnormals, overflow and specials. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "check_mpi.h"
#include "cpu/binned.h"
#include "cpu/reduce.h"

typedef __int128 i128;

/* Terms k * 2^e with |k| < 2^40 and e in [-40, 40): 80 bits of spread, so blocks need the
 * element-wise fallback as well as the folds; ref gets the exact sum in units of 2^-40. */
static double *terms(int64_t n, unsigned seed, i128 *ref) {
  double *v = malloc((size_t)n * sizeof *v);
  srand(seed);
  *ref = 0;
  for (int64_t k = 0; k < n; k++) {
    const int64_t m = ((int64_t)rand() << 20 ^ rand()) % ((int64_t)1 << 40) - ((int64_t)1 << 39);
    const int e = rand() % 80 - 40;
    v[k] = ldexp((double)m, e);
    *ref += (i128)m * ((i128)1 << (e + 40)); /* a multiply: shifting a negative value is UB */
  }
  return v;
}

static double rounded(i128 units) { return ldexp((double)units, -40); }

START_TEST(test_exact_against_integers) {
  const int64_t ns[] = {1, 7, 4096, 4097, 30000};
  for (int s = 0; s < 5; s++) {
    i128 ref;
    double *v = terms(ns[s], 17 + s, &ref);
    ht_xacc a, b;
    ht_xacc_zero(&a), ht_xacc_zero(&b);
    for (int64_t k = 0; k < ns[s]; k++) ht_xacc_add(&a, v[k]);
    ht_xacc_add_block(&b, v, ns[s]);
    ck_assert_msg(ht_xacc_round(&a) == rounded(ref), "n %lld: %.17g vs %.17g",
                  (long long)ns[s], ht_xacc_round(&a), rounded(ref));
    ck_assert(ht_xacc_round(&b) == rounded(ref));
    /* any split into partials, merged in any order */
    ht_xacc p[3];
    for (int q = 0; q < 3; q++) ht_xacc_zero(&p[q]);
    for (int64_t k = 0; k < ns[s]; k++) ht_xacc_add(&p[(k * 7) % 3], v[k]);
    for (int q = 0; q < 3; q++) ht_xacc_normalize(&p[q]);
    ht_xacc_merge(&p[2], &p[0]);
    ht_xacc_normalize(&p[1]);
    ht_xacc_merge(&p[2], &p[1]);
    ck_assert(ht_xacc_round(&p[2]) == rounded(ref));
    free(v);
  }
}
END_TEST

START_TEST(test_folds_take_everything_in_range) {
  /* randn-like data within 2^27 of the block's largest magnitude folds without a
   * remainder: hi + lo is the exact sum, here (0.1 + 0.2 + 0.3) = 0.6 rounded once */
  const double v[] = {0.1, 0.2, 0.3};
  double hi, lo;
  ck_assert_int_eq(ht_xacc_fold_block(v, 3, &hi, &lo), 0);
  ck_assert(hi + lo == 0.6); /* math.fsum([0.1, 0.2, 0.3]) */
  const double w[] = {1e30, 1.0};
  ck_assert_int_eq(ht_xacc_fold_block(w, 2, &hi, &lo), -1); /* 100 bits apart */
  const double c[] = {1.0, 1e30, 2.0, 1.0, 3.0, -1.0}; /* columns {1, 2, 3}, {1e30, 1, -1} */
  double h[2], l[2], sc[6];
  unsigned char bad[2];
  ht_xacc_fold_cols(c, 2, 3, 2, h, l, bad, sc);
  ck_assert(!bad[0] && h[0] + l[0] == 6.0);
  ck_assert(bad[1]);
}
END_TEST

START_TEST(test_rounding_rules) {
  ht_xacc a;
  const double big = 1.7976931348623157e308, tiny = 4.9406564584124654e-324;
  const struct { double t[4]; int n; double want; } cases[] = {
      {{1e100, 1.0, -1e100}, 3, 1.0},
      {{0x1p53, 1.0}, 2, 0x1p53},             /* tie to even */
      {{0x1p53, 3.0}, 2, 0x1p53 + 4},         /* tie to even, upwards */
      {{0x1p53, 1.0, 0x1p-100}, 3, 0x1p53 + 2}, /* the sticky bit breaks the tie */
      {{-0x1p53, -1.0, -0x1p-100}, 3, -0x1p53 - 2},
      {{tiny, tiny, tiny}, 3, 3 * tiny},
      {{big, big, -big}, 3, big},
      {{big, big}, 2, INFINITY},
      {{-big, -big}, 2, -INFINITY},
      {{1.0, -INFINITY}, 2, -INFINITY},
      {{0.0, -0.0}, 2, 0.0},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    ht_xacc_zero(&a);
    for (int k = 0; k < cases[c].n; k++) ht_xacc_add(&a, cases[c].t[k]);
    ck_assert_msg(ht_xacc_round(&a) == cases[c].want, "case %zu: %.17g", c, ht_xacc_round(&a));
  }
  ht_xacc_zero(&a);
  ht_xacc_add(&a, INFINITY), ht_xacc_add(&a, -INFINITY);
  ck_assert(isnan(ht_xacc_round(&a)));
  ht_xacc_zero(&a);
  ht_xacc_add(&a, 1.0), ht_xacc_add(&a, NAN);
  ck_assert(isnan(ht_xacc_round(&a)));
}
END_TEST

/* The exact sum of float32 terms, rounded once: in i128 units of the smallest nonzero
 * term's ulp (every term is a multiple of it), for rows spanning under 100 bits. */
static double f32_exact(const float *v, int64_t n) {
  int ue = 0, found = 0, top = -1000;
  for (int64_t k = 0; k < n; k++) {
    int e;
    if (v[k] == 0) continue;
    frexp(v[k], &e);
    ue = !found || e - 24 < ue ? e - 24 : ue, found = 1, top = e > top ? e : top;
  }
  ck_assert_msg(top - ue < 100, "f32_exact: the row spans %d bits", top - ue);
  i128 u = 0;
  for (int64_t k = 0; k < n; k++) u += (i128)ldexp((double)v[k], -ue);
  return ldexp((double)u, ue); /* GCC converts i128 rounding to nearest even */
}

/* Every entry point of the float32 sums on one set of rows: the plain rows (flag and
 * value), the block fold and the columns of the transposed data, against f32_exact. */
static void check_rows_f32(const float *v, int64_t n, int64_t rows, const unsigned char *want_bad,
                           const double *sums) {
  double s[8], hi, lo, ch[8], cl[8], sc[24];
  unsigned char bad[8], cbad[8];
  float *t = malloc((size_t)(n * rows) * sizeof *t);
  ht_xacc_plain_rows_f32(v, n, rows, s, bad);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < n; k++) t[k * rows + r] = v[r * n + k];
  ht_xacc_fold_cols_terms(t, true, NULL, rows, n, rows, ch, cl, cbad, sc);
  for (int64_t r = 0; r < rows; r++) {
    const double want = sums ? sums[r] : f32_exact(v + r * n, n);
    ck_assert_msg(bad[r] == want_bad[r], "row %lld: plain flag %d", (long long)r, bad[r]);
    if (!bad[r]) ck_assert_msg(s[r] == want, "row %lld: %.17g vs %.17g", (long long)r, s[r], want);
    if (ht_xacc_fold_block_f32(v + r * n, n, &hi, &lo) == 0) ck_assert(hi + lo == want);
    if (!cbad[r]) ck_assert_msg(ch[r] + cl[r] == want, "column %lld", (long long)r);
    ht_xacc x;
    ht_xacc_zero(&x);
    for (int64_t k = 0; k < n; k++) ht_xacc_add(&x, v[r * n + k]);
    ck_assert(ht_xacc_round(&x) == want);
  }
  free(t);
}

/* The plain float32 path's limit (cpu/binned.c, plain_ok): n = 1024 terms allow 19
 * binades between the largest and the smallest nonzero exponent; 20 take the folds. */
START_TEST(test_plain_f32_limits) {
  enum { N = 1024 };
  float *v = malloc(4 * N * sizeof *v);
  /* row 0: 1023 x (2^20 - 2^-4) (exponent 19) and 1 + 2^-23 (exponent 0): at the limit;
   * the sum 1023 (2^20 - 2^-4) + 1 + 2^-23 needs all 53 bits, so a float32 running sum
   * (or any rounding) would lose its last bit */
  for (int k = 0; k < N; k++) v[k] = 0x1p20f - 0x1p-4f;
  v[517] = 1.0f + 0x1p-23f;
  /* row 1: one binade more (2^21 - 2^-3): past the limit */
  for (int k = 0; k < N; k++) v[N + k] = 0x1p21f - 0x1p-3f;
  v[N + 3] = 1.0f + 0x1p-23f;
  /* row 2: zeros (both signs) and a subnormal among normal terms do not widen the range
   * of 1.5 * 2^-126 and 2^-149 (a subnormal counts as exponent -126) */
  for (int k = 0; k < N; k++) v[2 * N + k] = k % 3 ? 0.0f : 1.5f * 0x1p-126f;
  v[2 * N + 1] = -0.0f, v[2 * N + 7] = 0x1p-149f, v[2 * N + 8] = -0x1p-148f;
  /* row 3: a subnormal beside 1.0: 126 binades, the folds' work */
  for (int k = 0; k < N; k++) v[3 * N + k] = k % 2 ? 1.0f : -0.0f;
  v[3 * N + 4] = 0x1p-149f;
  const unsigned char want[] = {0, 1, 0, 1};
  /* row 3 spans 159 bits: 512 + 2^-149, rounded to 512 (exact maths) */
  const double sums[] = {f32_exact(v, N), f32_exact(v + N, N), f32_exact(v + 2 * N, N), 512.0};
  check_rows_f32(v, N, 4, want, sums);
  ck_assert(f32_exact(v, N) == 1023 * (0x1p20 - 0x1p-4) + 1 + 0x1p-23); /* exact maths */
  /* all zeros: plain, +0 */
  float z[40] = {0};
  z[3] = -0.0f;
  const unsigned char zw[] = {0};
  check_rows_f32(z, 40, 1, zw, NULL);
  /* huge terms that cancel, 2^60 binades from the rest: exact only through the folds;
   * a naive double sum gives 0 (math.fsum([2.0**60, 1.0, -2.0**60]) == 1.0) */
  const float c[] = {0x1p60f, 1.0f, -0x1p60f, 0.0f, 0.0f, 0.0f};
  const unsigned char cw[] = {1, 0};
  check_rows_f32(c, 3, 2, cw, NULL);
  /* shorter rows allow wider ranges: 8 terms (ceil(log2 8) = 3) allow 26 binades */
  float e[16];
  for (int k = 0; k < 16; k++) e[k] = k % 8 ? 1.0f : 0x1.fffffep26f;
  e[8] = 0x1.fffffep27f; /* 27 binades: too wide */
  const unsigned char ew[] = {0, 1};
  check_rows_f32(e, 8, 2, ew, NULL);
  free(v);
}
END_TEST

/* The kernel at 1 and 2 threads, rows and column tiles, into rounded doubles and into
 * superaccumulators: the same bits, equal to the integer reference. */
START_TEST(test_kernel_threads) {
  const int64_t shapes[][3] = {{1, 70000, 1}, {3, 20000, 1}, {1, 9000, 300}, {40, 50, 7}};
  for (int s = 0; s < 4; s++) {
    const int64_t O = shapes[s][0], R = shapes[s][1], I = shapes[s][2], n = O * I;
    i128 unused;
    double *v = terms(O * R * I, 5 + s, &unused);
    ht_rjob j = {.op = HT_K_SUM, .t = HT_FLOAT64, .f64 = true, .in = v, .O = O, .R = R, .I = I};
    double *out[2] = {malloc(n * sizeof(double)), malloc(n * sizeof(double))};
    ht_xacc *x = malloc(n * sizeof(ht_xacc));
    for (int t = 0; t < 2; t++) {
      omp_set_num_threads(t + 1);
      ck_assert_int_eq(ht_cpu_reduce_exact(&j, NULL, out[t]), 0);
    }
    ck_assert_int_eq(ht_cpu_reduce_exact(&j, x, NULL), 0);
    omp_set_num_threads(1);
    for (int64_t k = 0; k < n; k++) {
      const int64_t o = k / I, i = k % I;
      i128 ref = 0;
      for (int64_t r = 0; r < R; r++) {
        /* t is a multiple of 2^-40 below 2^80: t 2^40 is an integer, exact in i128
         * (a shift of a negative value, or by a negative count, would be UB) */
        ref += (i128)ldexp(v[(o * R + r) * I + i], 40);
      }
      ck_assert_msg(out[0][k] == rounded(ref), "shape %d output %lld", s, (long long)k);
      ck_assert(out[1][k] == out[0][k]);
      ck_assert(ht_xacc_round(&x[k]) == out[0][k]);
    }
    free(out[0]), free(out[1]), free(x), free(v);
  }
}
END_TEST

/* The exact sum of the terms (of their squared deviations from *c when c is given), rounded
 * once: through the superaccumulator, itself checked against integers above. */
static double xacc_sum(const void *v, bool f32, const double *c, int64_t n) {
  ht_xacc a;
  ht_xacc_zero(&a);
  for (int64_t k = 0; k < n; k++) {
    double x = f32 ? (double)((const float *)v)[k] : ((const double *)v)[k];
    if (c) x = (x - *c) * (x - *c);
    ht_xacc_add(&a, x);
  }
  return ht_xacc_round(&a);
}

/* The one-pass fold (cpu/binned.c, spec_fold) guesses its constant from the first eight
 * terms' largest exponent + 3. 4093 terms (h = 13: 28 binades, a tail of 5): first eight
 * 1.0 (guess: below 2^4), the rest 1 + 2^-52 with one small term 2^-25 (1 + 2^-52) in the
 * tail (28 binades below the guess: passes as guessed), 2^-26 (29 below the guess, 27 below
 * the true largest 2.0: redone with the true exponent), 2^-27 beside 4.0 (29 below the true
 * largest: -1, the caller's fallback); and a largest 64.0 above the guess (redone). */
START_TEST(test_spec_fold_limits) {
  enum { N = 4093 };
  double *v = malloc(N * sizeof *v), hi, lo;
  const double one = 1 + 0x1p-52, mid = 1 + 0x1p-36 - 0x1p-52;
  const struct {
    double small, big;
    int want;
  } cases[] = {{0x1p-25, 2.0, 0}, {0x1p-26, 2.0, 0}, {0x1p-27, 4.0, -1}, {0.5, 64.0, 0},
               {0x1p-22, 64.0, 0}};
  for (int s = 0; s < 5; s++) {
    for (int k = 0; k < N; k++) v[k] = k < 8 ? 1.0 : mid;
    v[N - 2] = cases[s].small * one, v[N / 2] = cases[s].big;
    const double want = xacc_sum(v, false, NULL, N);
    ck_assert_int_eq(ht_xacc_fold_terms(v, false, NULL, N, &hi, &lo), cases[s].want);
    if (cases[s].want == 0) ck_assert_msg(hi + lo == want, "case %d: %.17g vs %.17g", s, hi + lo, want);
    ht_xacc a; /* whatever path the block takes, the deposit is exact */
    ht_xacc_zero(&a);
    ht_xacc_add_block(&a, v, N);
    ck_assert(ht_xacc_round(&a) == want);
  }
  /* squared deviations from c = 1 of float64 and float32 terms: 1 + 2^-k gives 2^-2k
   * exactly; 1024 terms (h = 11: 32 binades); the first eight deviations are 1 (guess:
   * below 2^4); a deviation of 3 (square 9) keeps the guess, 16 (256) is above it */
  float *f = malloc(1024 * sizeof *f);
  const double c = 1.0;
  const struct {
    int k;
    float big;
    int want;
  } sq[] = {{14, 4.0f, 0}, {15, 4.0f, -1}, {12, 17.0f, 0}, {13, 17.0f, -1}};
  for (int s = 0; s < 4; s++) {
    for (int k = 0; k < 1024; k++) v[k] = f[k] = k < 8 || k % 2 ? 2.0f : 0.0f;
    v[1021] = f[1021] = 1.0f + ldexpf(1, -sq[s].k);
    v[600] = f[600] = sq[s].big;
    for (int t = 0; t < 2; t++) {
      const void *src = t ? (const void *)f : (const void *)v;
      ck_assert_msg(ht_xacc_fold_terms(src, t, &c, 1024, &hi, &lo) == sq[s].want,
                    "squares, case %d, %s", s, t ? "float32" : "float64");
      if (sq[s].want == 0) ck_assert(hi + lo == xacc_sum(src, t, &c, 1024));
    }
  }
  free(f), free(v);
}
END_TEST

/* The one-pass column folds (cpu/binned.c, spec_cols: eight columns a group, guesses from
 * each column's first eight rows): 20 columns of 600 rows (two groups and four generic
 * columns), float64 sums and squared deviations of float64 and float32 from c = 0.5. Column
 * 3 is wide (1e30 beside 1: generic), column 9's largest comes after its guess (redone),
 * column 12 holds a term 2^-31 below the others' 1 (the limit for 600 rows is 32 binades,
 * 29 below the guess: redone), the rest are 1 + k 2^-20. Every column against xacc_sum
 * (the float64 cases take the generic column folds, the float32 squares spec_cols). */
START_TEST(test_spec_cols) {
  enum { R = 600, W = 20 };
  double *v = malloc(R * W * sizeof *v), *col = malloc(R * sizeof *col), cs[W];
  float *f = malloc(R * W * sizeof *f), *fcol = malloc(R * sizeof *fcol);
  double hi[W], lo[W], sc[3 * W];
  unsigned char bad[W];
  for (int r = 0; r < R; r++)
    for (int l = 0; l < W; l++) v[r * W + l] = 1 + ldexp((r * 7 + l) % 64, -20);
  v[500 * W + 3] = 1e30, v[599 * W + 9] = 100.0, v[300 * W + 12] = 0x1p-31;
  for (int k = 0; k < R * W; k++) f[k] = (float)v[k];
  for (int l = 0; l < W; l++) cs[l] = 0.5;
  for (int t = 0; t < 3; t++) {
    const void *src = t == 2 ? (const void *)f : (const void *)v;
    const double *c = t ? cs : NULL;
    ht_xacc_fold_cols_terms(src, t == 2, c, W, R, W, hi, lo, bad, sc);
    for (int l = 0; l < W; l++) {
      for (int r = 0; r < R; r++) col[r] = v[r * W + l], fcol[r] = f[r * W + l];
      const double want = xacc_sum(t == 2 ? (const void *)fcol : (const void *)col, t == 2, c, R);
      ck_assert_msg(!bad[l] == (l != 3), "case %d column %d: bad %d", t, l, bad[l]);
      if (!bad[l]) ck_assert_msg(hi[l] + lo[l] == want, "case %d column %d", t, l);
    }
  }
  free(v), free(col), free(f), free(fcol);
}
END_TEST

/* ht_xacc_add_terms (the blocks the folds gave up on): a strided column of 700 terms of
 * 1 + k 2^-20 with, in turn, a term 2^-60 (folded but for it), a zero and a subnormal,
 * 1e300 (E too large: all one by one), an infinity and a NaN; float64 and float32 values,
 * plain and squared deviations from 0.75. Each against xacc_sum of the same terms. */
START_TEST(test_add_terms) {
  enum { N = 700, LD = 3 };
  double *v = malloc(N * LD * sizeof *v), col[N];
  float *f = malloc(N * LD * sizeof *f), fcol[N];
  const double odd[] = {0x1p-60, 0.0, 0x1p-1070, 1e300, INFINITY, NAN};
  const double c = 0.75;
  for (int s = 0; s < 6; s++) {
    for (int k = 0; k < N; k++) {
      v[k * LD + 1] = 1 + ldexp(k % 97, -20);
      if (k == 333 || k == 334) v[k * LD + 1] = odd[s];
      col[k] = v[k * LD + 1], f[k * LD + 1] = fcol[k] = (float)col[k];
    }
    for (int t = 0; t < 4; t++) {
      const bool f32 = t & 1;
      const double *cc = t & 2 ? &c : NULL;
      ht_xacc a;
      ht_xacc_zero(&a);
      ht_xacc_add_terms(&a, f32 ? (const void *)(f + 1) : (const void *)(v + 1), f32, cc, LD, N);
      const double got = ht_xacc_round(&a);
      const double want = xacc_sum(f32 ? (const void *)fcol : (const void *)col, f32, cc, N);
      ck_assert_msg(got == want || (got != got && want != want), "case %d, %d: %a != %a", s,
                    t, got, want);
    }
  }
  free(v), free(f);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("binned");
  TCase *tc = tcase_create("binned");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_exact_against_integers);
  tcase_add_test(tc, test_add_terms);
  tcase_add_test(tc, test_folds_take_everything_in_range);
  tcase_add_test(tc, test_rounding_rules);
  tcase_add_test(tc, test_plain_f32_limits);
  tcase_add_test(tc, test_kernel_threads);
  tcase_add_test(tc, test_spec_fold_limits);
  tcase_add_test(tc, test_spec_cols);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
