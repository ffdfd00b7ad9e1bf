/* runtime/cpu/dist_direct.c: cdist's direct form through ht_cpu_dist gives the same bits
 * with the vector kernel at AVX-512, at AVX2 and off, and equals a plain pairwise loop
 * written here in the documented order (eight partial sums by feature % 8, combined as
 * ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)), no FMA; manhattan one sum in feature order), for
 * every metric, float32 and float64, row counts around the 3- and 8-row blocks and the
 * 8-row y groups, feature counts around the 8 partial sums, NaN and infinities, a leading
 * dimension wider than ny, and y tiles of more than one pack (f = 600 x 600 rows). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "cpu/dist_direct.h"
#include "cpu/distance.h"

static const int64_t Fs[] = {1, 2, 7, 8, 9, 63, 64, 65, 100};
static const int64_t Ns[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33};
static const ht_dist_metric Ms[] = {HT_DIST_EUCLIDEAN, HT_DIST_SQEUCLIDEAN, HT_DIST_RBF,
                                    HT_DIST_MANHATTAN};

static uint64_t next(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 33;
}

/* Values of mixed magnitude (so that the summation order shows in the bits); with
 * special, an occasional NaN, +inf or -inf. */
static double value(uint64_t *s, bool special) {
  const uint64_t k = next(s);
  if (special && k % 53 == 0) return NAN;
  if (special && k % 59 == 0) return k % 2 ? INFINITY : -INFINITY;
  return ((double)(k % 200001) / 100000.0 - 1.0) * (k % 7 == 0 ? 1e3 : 1.0);
}

static double get(ht_dtype t, const void *p, int64_t i) {
  return t == HT_FLOAT32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

/* The plain loop in the order the kernel documents. */
static double reference(ht_dtype t, ht_dist_metric m, double gamma, int64_t f, const void *x,
                        int64_t i, const void *y, int64_t j) {
  volatile double sq; /* no FMA contraction of d * d into the sum */
  if (m == HT_DIST_MANHATTAN) {
    double s = 0;
    for (int64_t q = 0; q < f; q++) s += fabs(get(t, x, i * f + q) - get(t, y, j * f + q));
    return s;
  }
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t q = 0; q < f; q++) {
    const double d = get(t, x, i * f + q) - get(t, y, j * f + q);
    sq = d * d;
    p[q % 8] += sq;
  }
  const double s = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
  return m == HT_DIST_EUCLIDEAN ? sqrt(s) : m == HT_DIST_RBF ? exp(-s * gamma) : s;
}

static bool same(ht_dtype t, const void *a, const void *b, int64_t i) {
  const double u = get(t, a, i), v = get(t, b, i);
  if (u != u || v != v) return u != u && v != v;
  return t == HT_FLOAT32 ? memcmp((const float *)a + i, (const float *)b + i, 4) == 0
                         : memcmp((const double *)a + i, (const double *)b + i, 8) == 0;
}

static void check_case(ht_dtype t, ht_dist_metric m, int64_t nx, int64_t ny, int64_t f,
                       bool special) {
  const size_t item = ht_dtype_size(t);
  const int64_t ldo = ny + 3;
  const double sigma = 1.5, gamma = 1.0 / (2.0 * sigma * sigma);
  char *x = malloc((size_t)(nx * f) * item), *y = malloc((size_t)(ny * f) * item);
  char *o[3];
  uint64_t s = (uint64_t)(nx * 131 + ny * 17 + f * 3 + special);
  for (int64_t i = 0; i < nx * f; i++) ht_set_f64(t, x + (size_t)i * item, value(&s, special));
  for (int64_t i = 0; i < ny * f; i++) ht_set_f64(t, y + (size_t)i * item, value(&s, special));
  const int was = ht_dist_direct_simd(-1);
  for (int k = 0; k < 3; k++) { /* 2: AVX-512, 1: AVX2, 0: the plain loop of distance.c */
    o[k] = calloc((size_t)(nx * ldo), item);
    ht_dist_direct_simd(2 - k);
    ck_assert_int_eq(ht_cpu_dist(t, m, false, sigma, nx, ny, f, x, y, o[k], ldo), 0);
  }
  ht_dist_direct_simd(was);
  for (int64_t i = 0; i < nx; i++)
    for (int64_t j = 0; j < ny; j++) {
      char e[8];
      ht_set_f64(t, e, reference(t, m, gamma, f, x, i, y, j));
      const int64_t at = i * ldo + j;
      for (int k = 0; k < 3; k++)
        ck_assert_msg(same(t, o[k] + (size_t)at * item, e, 0),
                      "%s metric %d nx %lld ny %lld f %lld (%d): path %d gives %.17g at (%lld, "
                      "%lld), the plain loop %.17g",
                      t == HT_FLOAT32 ? "float32" : "float64", (int)m, (long long)nx,
                      (long long)ny, (long long)f, special, 2 - k, get(t, o[k], at),
                      (long long)i, (long long)j, get(t, e, 0));
    }
  for (int64_t i = 0; i < nx; i++) /* the padding columns stay untouched */
    for (int64_t j = ny; j < ldo; j++)
      for (int k = 0; k < 3; k++) ck_assert(get(t, o[k], i * ldo + j) == 0);
  free(x), free(y), free(o[0]), free(o[1]), free(o[2]);
}

START_TEST(test_edges_f32) {
  for (int mi = 0; mi < 4; mi++)
    for (int fi = 0; fi < (int)(sizeof Fs / sizeof Fs[0]); fi++)
      for (int ni = 0; ni < (int)(sizeof Ns / sizeof Ns[0]); ni++)
        check_case(HT_FLOAT32, Ms[mi], Ns[ni], Ns[(ni * 5 + fi) % 14], Fs[fi], false);
}
END_TEST

START_TEST(test_edges_f64) {
  for (int mi = 0; mi < 4; mi++)
    for (int fi = 0; fi < (int)(sizeof Fs / sizeof Fs[0]); fi++)
      for (int ni = 0; ni < (int)(sizeof Ns / sizeof Ns[0]); ni++)
        check_case(HT_FLOAT64, Ms[mi], Ns[(ni * 3 + fi) % 14], Ns[ni], Fs[fi], false);
}
END_TEST

START_TEST(test_nan_inf) {
  for (int mi = 0; mi < 4; mi++)
    for (int fi = 0; fi < (int)(sizeof Fs / sizeof Fs[0]); fi++) {
      check_case(HT_FLOAT32, Ms[mi], 17, 33, Fs[fi], true);
      check_case(HT_FLOAT64, Ms[mi], 33, 17, Fs[fi], true);
    }
}
END_TEST

START_TEST(test_tiles_and_threads) {
  /* 600 features: y is packed in tiles of 48 rows, so 100 y rows take three */
  check_case(HT_FLOAT32, HT_DIST_EUCLIDEAN, 40, 100, 600, false);
  check_case(HT_FLOAT64, HT_DIST_MANHATTAN, 40, 100, 600, false);
  check_case(HT_FLOAT32, HT_DIST_SQEUCLIDEAN, 301, 45, 64, false); /* threaded */
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("dist_direct");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_edges_f32);
  tcase_add_test(tc, test_edges_f64);
  tcase_add_test(tc, test_nan_inf);
  tcase_add_test(tc, test_tiles_and_threads);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, suite); }
