/* runtime/cpu/prod_tree.c: the SIMD kernel (full 1-d nodes and rows of 64, 512, ...
 * factors) gives the generic path's bits and the tree's definition (ref below, written from
 * docs/reliability.md) at every level, pointer offset, row count and thread count, and
 * IEEE specials (signed zeros, inf, NaN, subnormal results, overflow) follow exact maths;
 * columns (prod along axis 0, the register-blocked row kernel) likewise. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "cpu/prod_tree.h"

/* The tree product of x[a, a + 2^lev): left half * right half; one factor is itself. */
static double ref(const double *x, int64_t a, int64_t lev) {
  if (lev == 0) return x[a];
  const int64_t h = (int64_t)1 << (lev - 1);
  return ref(x, a, lev - 1) * ref(x, a + h, lev - 1);
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Factors near 1 (so that 2^16 of them stay finite), a fixed LCG: every build alike. */
static void near1(double *x, float *f, int64_t n, unsigned seed) {
  uint64_t s = seed;
  for (int64_t k = 0; k < n; k++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x[k] = 1 + ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 1e-3;
    f[k] = (float)x[k];
  }
}

/* job (O, R, I = 1) over in; node [r0, r0 + 2^lev) of every row into v, SIMD on or off */
static void node(ht_dtype t, const void *in, int64_t O, int64_t R, int64_t r0, int64_t lev,
                 int simd, double *v) {
  const ht_rjob j = {.op = HT_K_PROD, .t = t, .f64 = true, .in = in, .O = O, .R = R, .I = 1};
  const int was = ht_prod_simd(simd);
  ht_cpu_prod_node(&j, r0, lev, v);
  ht_prod_simd(was);
}

/* every level 0..14 (below, at and past the kernel's 64 and 512), offsets 0..3 into the
 * data (unaligned loads), float64 and float32 widened */
START_TEST(test_kernel_1d_matches_generic_and_ref) {
  const int64_t n = ((int64_t)1 << 14) + 8;
  double *x = malloc(sizeof(double) * (size_t)n), *w = malloc(sizeof(double) * (size_t)n);
  float *f = malloc(sizeof(float) * (size_t)n);
  near1(x, f, n, 5);
  for (int64_t k = 0; k < n; k++) w[k] = f[k];
  for (int64_t lev = 0; lev <= 14; lev++)
    for (int64_t off = 0; off < 4; off++) {
      double a, b;
      node(HT_FLOAT64, x, 1, n, off, lev, 1, &a);
      node(HT_FLOAT64, x, 1, n, off, lev, 0, &b);
      ck_assert_msg(same_bits(a, b) && same_bits(a, ref(x, off, lev)),
                    "f64 lev %lld off %lld: %.17g %.17g", (long long)lev, (long long)off, a, b);
      node(HT_FLOAT32, f, 1, n, off, lev, 1, &a);
      node(HT_FLOAT32, f, 1, n, off, lev, 0, &b);
      ck_assert_msg(same_bits(a, b) && same_bits(a, ref(w, off, lev)),
                    "f32 lev %lld off %lld: %.17g %.17g", (long long)lev, (long long)off, a, b);
    }
  free(x), free(w), free(f);
}
END_TEST

/* rows (prod along axis 1): row lengths 2^lev plus a few columns the node does not cover,
 * 1..19 rows (eight per step and a tail), lev 5..10 (6 and 9 take the row kernel) */
START_TEST(test_kernel_rows_match_generic_and_ref) {
  const int64_t Os[] = {1, 7, 8, 9, 19};
  for (int64_t lev = 5; lev <= 10; lev++)
    for (int oi = 0; oi < 5; oi++) {
      const int64_t O = Os[oi], R = ((int64_t)1 << lev) + 3, n = O * R;
      double *x = malloc(sizeof(double) * (size_t)n), *w = malloc(sizeof(double) * (size_t)n);
      float *f = malloc(sizeof(float) * (size_t)n);
      double a[19], b[19];
      near1(x, f, n, 11 + (unsigned)lev);
      for (int64_t k = 0; k < n; k++) w[k] = f[k];
      for (int64_t r0 = 0; r0 <= 3; r0 += 3)
        for (int d = 0; d < 2; d++) { /* float64, then float32 against its widened values */
          const ht_dtype t = d ? HT_FLOAT32 : HT_FLOAT64;
          node(t, d ? (void *)f : (void *)x, O, R, r0, lev, 1, a);
          node(t, d ? (void *)f : (void *)x, O, R, r0, lev, 0, b);
          for (int64_t o = 0; o < O; o++)
            ck_assert_msg(same_bits(a[o], b[o]) && same_bits(a[o], ref(d ? w : x, o * R + r0, lev)),
                          "dtype %d rows lev %lld O %lld row %lld", (int)t, (long long)lev,
                          (long long)O, (long long)o);
        }
      free(x), free(w), free(f);
    }
}
END_TEST

/* job (O, R, I) over in; columns of node [r0, r0 + 2^lev) of every output into v */
static void node_cols(ht_dtype t, const void *in, int64_t O, int64_t R, int64_t I, int64_t r0,
                      int64_t lev, int simd, double *v) {
  const ht_rjob j = {.op = HT_K_PROD, .t = t, .f64 = true, .in = in, .O = O, .R = R, .I = I};
  const int was = ht_prod_simd(simd);
  ht_cpu_prod_node(&j, r0, lev, v);
  ht_prod_simd(was);
}

/* column x[o, r0 + ., i] of a job (O, R, I) copied out for ref */
static double ref_col(const double *x, int64_t R, int64_t I, int64_t o, int64_t i, int64_t r0,
                      int64_t lev, double *col) {
  for (int64_t r = 0; r < ((int64_t)1 << lev); r++) col[r] = x[(o * R + r0 + r) * I + i];
  return ref(col, 0, lev);
}

/* prod along axis 0 (I > 1, the register-blocked row kernel from 16 rows on): column
 * counts at the kernel's 8-wide groups and 128-wide tiles, levels 0..9 (below, at and past
 * one 16-row block, odd block counts of the counter), unaligned first rows (slices along
 * the split axis), two outputs (an axis before the reduced one) */
START_TEST(test_kernel_cols_match_generic_and_ref) {
  const int64_t Is[] = {2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 129, 1000};
  const int64_t O = 2, R = 515;
  double *col = malloc(sizeof(double) * 512), *a = malloc(sizeof(double) * 2000),
         *b = malloc(sizeof(double) * 2000);
  for (int ii = 0; ii < 12; ii++) {
    const int64_t I = Is[ii], n = O * R * I;
    double *x = malloc(sizeof(double) * (size_t)n), *w = malloc(sizeof(double) * (size_t)n);
    float *f = malloc(sizeof(float) * (size_t)n);
    near1(x, f, n, 17 + (unsigned)ii);
    for (int64_t k = 0; k < n; k++) w[k] = f[k];
    for (int64_t lev = 0; lev <= 9; lev++)
      for (int64_t r0 = 0; r0 <= 3; r0 += 1 + 2 * (I > 64)) /* 0, 3 (and 1, 2 for narrow) */
        for (int d = 0; d < 2; d++) {
          const ht_dtype t = d ? HT_FLOAT32 : HT_FLOAT64;
          const void *in = d ? (void *)f : (void *)x;
          node_cols(t, in, O, R, I, r0, lev, 1, a);
          node_cols(t, in, O, R, I, r0, lev, 0, b);
          for (int64_t o = 0; o < O; o++)
            for (int64_t i = 0; i < I; i++) {
              const double e = ref_col(d ? w : x, R, I, o, i, r0, lev, col);
              ck_assert_msg(same_bits(a[o * I + i], b[o * I + i]) && same_bits(a[o * I + i], e),
                            "dtype %d cols I %lld lev %lld r0 %lld [%lld, %lld]: %.17g %.17g %.17g",
                            (int)t, (long long)I, (long long)lev, (long long)r0, (long long)o,
                            (long long)i, a[o * I + i], b[o * I + i], e);
            }
        }
    free(x), free(w), free(f);
  }
  free(col), free(a), free(b);
}
END_TEST

/* specials in columns of 32 rows x 20 columns (two groups and a tail): each column of
 * ones gets its own special(s), at rows that fall in each of the 16-row blocks */
START_TEST(test_kernel_cols_specials) {
  const double inf = INFINITY, big = ldexp(1, 600), tiny = ldexp(1, -600);
  const int64_t R = 32, I = 20;
  double x[32 * 20], a[20], b[20];
  for (int64_t k = 0; k < R * I; k++) x[k] = 1;
  const int64_t at[] = {0, 5, 15, 16, 31};
  for (int q = 0; q < 5; q++) {
    x[at[q] * I + 0] = -0.0;                     /* np.prod: -0.0 */
    x[at[q] * I + 1] = -inf;                     /* -inf */
    x[at[q] * I + 2] = NAN;                      /* nan */
    x[at[q] * I + 3] = inf, x[(at[q] ^ 1) * I + 3] = 0; /* inf * 0: nan */
    x[at[q] * I + 19] = ldexp(1, -1070);         /* a subnormal factor, 2^-1070 */
  }
  for (int64_t r = 0; r < 4; r++) x[r * I + 4] = r < 2 ? big : tiny; /* (2^1200 = inf) * 0: nan */
  for (int64_t r = 0; r < 32; r++) x[r * I + 9] = r % 2 ? ldexp(1, -40) : -ldexp(1, -40);
  node_cols(HT_FLOAT64, x, 1, R, I, 0, 5, 1, a);
  node_cols(HT_FLOAT64, x, 1, R, I, 0, 5, 0, b);
  for (int64_t i = 0; i < I; i++) ck_assert_msg(same_bits(a[i], b[i]), "column %lld", (long long)i);
  ck_assert(a[0] == 0 && signbit(a[0]));  /* five -0.0: -0.0 */
  ck_assert(a[1] == -inf);                /* five -inf: -inf */
  ck_assert(isnan(a[2]) && isnan(a[3]) && isnan(a[4]));
  ck_assert(a[9] == 0 && !signbit(a[9])); /* (2^-40)^32 = 2^-1280 underflows; 16 negatives: +0 */
  ck_assert(a[19] == 0 && !signbit(a[19])); /* (2^-1070)^5 = 0 */
  ck_assert(a[10] == 1);
}
END_TEST

/* 1, 2 and 3 threads (sub-nodes of one node; groups of rows) give one thread's bits */
START_TEST(test_kernel_threads) {
  const int64_t lev = 16, O = 1100, n = O * 64; /* rows: 1100 x 64; 1-d: the first 2^16 */
  double *x = malloc(sizeof(double) * (size_t)n);
  float *f = malloc(sizeof(float) * (size_t)n);
  double *r1 = malloc(sizeof(double) * 1100), *rt = malloc(sizeof(double) * 1100);
  near1(x, f, n, 3);
  const int nt0 = omp_get_max_threads();
  double one, got;
  omp_set_num_threads(1);
  node(HT_FLOAT64, x, 1, n, 0, lev, 1, &one);
  node(HT_FLOAT32, f, O, 64, 0, 6, 1, r1);
  double c1[64], ct[64]; /* prod(0) of 1024 x 64 (the row kernel on sub-nodes when threaded) */
  node_cols(HT_FLOAT64, x, 1, 1024, 64, 0, 10, 1, c1);
  ck_assert(same_bits(one, ref(x, 0, lev)));
  for (int nt = 2; nt <= 3; nt++) {
    omp_set_num_threads(nt);
    node(HT_FLOAT64, x, 1, n, 0, lev, 1, &got);
    ck_assert_msg(same_bits(one, got), "%d threads: %.17g vs %.17g", nt, got, one);
    node(HT_FLOAT32, f, O, 64, 0, 6, 1, rt);
    ck_assert_msg(memcmp(r1, rt, sizeof(double) * 1100) == 0, "%d threads: rows", nt);
    node_cols(HT_FLOAT64, x, 1, 1024, 64, 0, 10, 1, ct);
    ck_assert_msg(memcmp(c1, ct, sizeof c1) == 0, "%d threads: columns", nt);
  }
  omp_set_num_threads(nt0);
  free(x), free(f), free(r1), free(rt);
}
END_TEST

/* 512 factors of 1 with specials placed at position at; returns the SIMD node after
 * checking that the generic path gives the same bits */
static double with(int64_t at, const double *sp, int nsp, int64_t lev) {
  double x[512], a, b;
  for (int k = 0; k < 512; k++) x[k] = 1;
  for (int k = 0; k < nsp; k++) x[at + k] = sp[k];
  node(HT_FLOAT64, x, 1, 512, 0, lev, 1, &a);
  node(HT_FLOAT64, x, 1, 512, 0, lev, 0, &b);
  ck_assert_msg(same_bits(a, b), "specials at %lld: %.17g vs %.17g", (long long)at, a, b);
  return a;
}

START_TEST(test_kernel_specials) {
  const double inf = INFINITY;
  const int64_t ats[] = {0, 1, 7, 8, 31, 61}; /* at + 3 <= 64 */
  for (int64_t lev = 6; lev <= 9; lev += 3)
    for (int i = 0; i < 6; i++) {
      const int64_t at = ats[i];
      /* np.prod([-0.0] + [1.0] * 63) = -0.0; two negative zeros: +0.0 */
      double r = with(at, (double[]){-0.0}, 1, lev);
      ck_assert(r == 0 && signbit(r));
      r = with(at, (double[]){-0.0, -0.0}, 2, lev);
      ck_assert(r == 0 && !signbit(r));
      ck_assert(with(at, (double[]){-inf}, 1, lev) == -inf); /* np.prod([-inf, 1, ...]) */
      ck_assert(isnan(with(at, (double[]){inf, 0.0}, 2, lev)));   /* inf * 0 */
      ck_assert(isnan(with(at, (double[]){NAN}, 1, lev)));        /* NaN spreads */
      ck_assert(isnan(with(at, (double[]){-inf, NAN, 0.0}, 3, lev)));
    }
  /* subnormal results: 64 factors 2^-16 give 2^-1024 exactly (a subnormal); 2^-17 give
   * 2^-1088, below 2^-1075: 0; and 2^20 each overflow to inf (2^1280) */
  double x[512];
  for (int k = 0; k < 64; k++) x[k] = ldexp(1, -16);
  ck_assert(with(0, x, 64, 6) == ldexp(1, -1024));
  for (int k = 0; k < 64; k++) x[k] = ldexp(1, -17);
  double r = with(0, x, 64, 6);
  ck_assert(r == 0 && !signbit(r));
  for (int k = 0; k < 64; k++) x[k] = k % 2 ? ldexp(1, -17) : -ldexp(1, -17);
  r = with(0, x, 64, 6); /* 32 negative factors: +0 */
  ck_assert(r == 0 && !signbit(r));
  for (int k = 0; k < 64; k++) x[k] = ldexp(1, 20);
  ck_assert(with(0, x, 64, 6) == inf);
  /* an order-dependent overflow, by the tree's definition: (2^600 * 2^600) = inf,
   * (2^-600 * 2^-600) = 2^-1200 -> 0, inf * 0 = NaN, where a running product gives inf */
  const double ou[] = {ldexp(1, 600), ldexp(1, 600), ldexp(1, -600), ldexp(1, -600)};
  ck_assert(isnan(with(0, ou, 4, 6)));
  ck_assert(isnan(with(8, ou, 4, 9)));
  /* a subnormal factor times 2^k comes back exactly: 2^-1070 * 2^63 = 2^-1007 */
  for (int k = 0; k < 64; k++) x[k] = 2;
  x[5] = ldexp(1, -1070);
  ck_assert(with(0, x, 64, 6) == ldexp(1, -1007));
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("prod_tree");
  TCase *tc = tcase_create("prod_tree");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_kernel_1d_matches_generic_and_ref);
  tcase_add_test(tc, test_kernel_rows_match_generic_and_ref);
  tcase_add_test(tc, test_kernel_cols_match_generic_and_ref);
  tcase_add_test(tc, test_kernel_cols_specials);
  tcase_add_test(tc, test_kernel_threads);
  tcase_add_test(tc, test_kernel_specials);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
