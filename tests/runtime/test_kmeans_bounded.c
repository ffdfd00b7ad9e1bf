/* runtime/cpu/distance.c's ht_cpu_kmeans_lloyd (Lloyd with Hamerly's bounds) against plain
 * Lloyd built from ht_cpu_kmeans_assign: the same passes, labels and centres in float64 on
 * overlapping blobs (a long tail of passes that move few rows), the same bits for 1 and 2
 * OpenMP threads, and a float32 fixed point (every row at its nearest centre, every centre
 * the mean of its rows). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "cpu/distance.h"

enum { N = 6000, F = 5, K = 8 };

/* K blobs with centres uniform in [-2, 2]^F and unit noise: they overlap */
static void blobs(double *x, unsigned seed) {
  double mu[K][F];
  srand(seed);
  for (int c = 0; c < K; c++)
    for (int q = 0; q < F; q++) mu[c][q] = 4.0 * rand() / RAND_MAX - 2.0;
  for (int i = 0; i < N; i++)
    for (int q = 0; q < F; q++) {
      const double u1 = (rand() + 1.0) / (RAND_MAX + 2.0), u2 = (double)rand() / RAND_MAX;
      x[i * F + q] = mu[i % K][q] + sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    }
}

/* scikit-learn's loop: assign, new centres (an empty cluster keeps its centre), stop when no
 * label moved or the squared shift is <= tol */
static int64_t plain_lloyd(const double *x, double *c, int64_t max_iter, double tol,
                           int64_t *labels) {
  double sums[K * F + K];
  for (int i = 0; i < N; i++) labels[i] = -1;
  int64_t it = 0;
  while (it < max_iter) {
    int64_t changed = 0;
    memset(sums, 0, sizeof sums);
    ck_assert_int_eq(ht_cpu_kmeans_assign(HT_FLOAT64, N, F, K, x, c, NULL, labels, NULL, sums,
                                          sums + K * F, NULL, &changed), 0);
    it++;
    double shift = 0;
    for (int j = 0; j < K; j++) {
      if (sums[K * F + j] == 0) continue;
      for (int q = 0; q < F; q++) {
        const double nv = sums[j * F + q] / sums[K * F + j], d = nv - c[j * F + q];
        shift += d * d, c[j * F + q] = nv;
      }
    }
    if (changed == 0 || shift <= tol) break;
  }
  return it;
}

START_TEST(test_bounded_matches_plain) {
  double *x = malloc(sizeof(double) * N * F);
  int64_t *l1 = malloc(sizeof(int64_t) * N), *l2 = malloc(sizeof(int64_t) * N);
  const double tols[] = {0.0, 1e-4};
  for (int s = 0; s < 3; s++) {
    blobs(x, 11 + s);
    for (int tt = 0; tt < 2; tt++) {
      double c1[K * F], c2[K * F];
      memcpy(c1, x, sizeof c1), memcpy(c2, x, sizeof c2); /* the first K rows start */
      const int64_t it1 = plain_lloyd(x, c1, 300, tols[tt], l1);
      int64_t it2 = -1;
      ck_assert_int_eq(ht_cpu_kmeans_lloyd(HT_FLOAT64, N, F, K, x, c2, 300, tols[tt], l2, &it2), 0);
      ck_assert_msg(it1 > 5, "seed %d: a tail of passes to test (%lld)", s, (long long)it1);
      ck_assert_int_eq(it1, it2);
      for (int i = 0; i < N; i++) ck_assert_int_eq(l1[i], l2[i]);
      for (int q = 0; q < K * F; q++)
        ck_assert_msg(fabs(c1[q] - c2[q]) <= 1e-12 * (1 + fabs(c1[q])), "seed %d centre %d: %.17g %.17g",
                      s, q, c1[q], c2[q]);
    }
  }
  free(x), free(l1), free(l2);
}
END_TEST

START_TEST(test_bounded_threads_same_bits) {
  double *x = malloc(sizeof(double) * N * F);
  int64_t *l = malloc(sizeof(int64_t) * N);
  double c[2][K * F];
  blobs(x, 5);
  const int nt = omp_get_max_threads();
  for (int r = 0; r < 2; r++) {
    omp_set_num_threads(r + 1);
    memcpy(c[r], x, sizeof c[r]);
    ck_assert_int_eq(ht_cpu_kmeans_lloyd(HT_FLOAT64, N, F, K, x, c[r], 300, 0.0, l, NULL), 0);
  }
  omp_set_num_threads(nt);
  ck_assert(memcmp(c[0], c[1], sizeof c[0]) == 0);
  free(x), free(l);
}
END_TEST

START_TEST(test_bounded_float32_fixed_point) {
  double *xd = malloc(sizeof(double) * N * F);
  float *x = malloc(sizeof(float) * N * F);
  int64_t *l = malloc(sizeof(int64_t) * N), it = 0;
  blobs(xd, 23);
  for (int i = 0; i < N * F; i++) x[i] = (float)xd[i];
  float c[K * F];
  memcpy(c, x, sizeof c);
  ck_assert_int_eq(ht_cpu_kmeans_lloyd(HT_FLOAT32, N, F, K, x, c, 300, 0.0, l, &it), 0);
  ck_assert(it > 5 && it < 300);
  double mean[K * F] = {0}, cnt[K] = {0};
  for (int i = 0; i < N; i++) {
    double best = INFINITY, dl = 0;
    for (int j = 0; j < K; j++) {
      double d = 0;
      for (int q = 0; q < F; q++) d += ((double)x[i * F + q] - c[j * F + q]) * ((double)x[i * F + q] - c[j * F + q]);
      if (j == l[i]) dl = d;
      best = d < best ? d : best;
    }
    ck_assert_msg(dl <= best + 1e-5, "row %d: label %lld at %g, nearest %g", i, (long long)l[i], dl, best);
    cnt[l[i]] += 1;
    for (int q = 0; q < F; q++) mean[l[i] * F + q] += x[i * F + q];
  }
  for (int j = 0; j < K; j++)
    for (int q = 0; q < F; q++)
      ck_assert(fabs(mean[j * F + q] / cnt[j] - c[j * F + q]) <= 1e-5);
  free(xd), free(x), free(l);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("kmeans_bounded");
  TCase *tc = tcase_create("kmeans_bounded");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_bounded_matches_plain);
  tcase_add_test(tc, test_bounded_threads_same_bits);
  tcase_add_test(tc, test_bounded_float32_fixed_point);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
