/* Tests runtime/ops/random.c: the same seed gives the same global array for any split
 * (so for any rank count), calls advance, ranges hold. */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "cpu/boxmuller.h"
#include "ops.h"

typedef ht_array *(*gen_fn)(int ndim, const int64_t *shape, int split, ht_dtype t);

static ht_array *gen_uniform(int ndim, const int64_t *shape, int split, ht_dtype t) {
  return ht_random_uniform(t, ndim, shape, split, HT_CPU, -1.0, 2.0);
}
static ht_array *gen_normal(int ndim, const int64_t *shape, int split, ht_dtype t) {
  return ht_random_normal(t, ndim, shape, split, HT_CPU, 0.5, 3.0);
}
static ht_array *gen_randint(int ndim, const int64_t *shape, int split, ht_dtype t) {
  return ht_random_randint(t, ndim, shape, split, HT_CPU, -1000, 1000);
}

/* The gathered global values of a fresh array from gen after seeding with s. */
static void *gathered(gen_fn gen, uint64_t s, int ndim, const int64_t *shape, int split,
                      ht_dtype t) {
  ht_random_seed(s);
  ht_array *a = gen(ndim, shape, split, t);
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(a->split, split);
  void *buf = malloc((size_t)(ht_array_gsize(a) * (int64_t)ht_dtype_size(t)) + 1);
  ck_assert_int_eq(ht_gather(a, -1, buf), 0);
  ht_array_free(a);
  return buf;
}

/* Bit-for-bit equality of the global array for split -1, 0, 1 and 2. */
static void check_splits(gen_fn gen, ht_dtype t, int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  size_t bytes = (size_t)n * ht_dtype_size(t);
  void *ref = gathered(gen, 1234, ndim, shape, -1, t);
  for (int split = 0; split < ndim; split++) {
    void *got = gathered(gen, 1234, ndim, shape, split, t);
    ck_assert_msg(memcmp(ref, got, bytes) == 0, "%s split %d differs from replicated",
                  ht_dtype_name(t), split);
    free(got);
  }
  free(ref);
}

START_TEST(uniform_same_for_every_split) {
  int64_t shape[3] = {23, 5, 7}, tiny[2] = {2, 3}, big[2] = {40001, 3};
  check_splits(gen_uniform, HT_FLOAT32, 3, shape);
  check_splits(gen_uniform, HT_FLOAT64, 3, shape);
  check_splits(gen_uniform, HT_FLOAT32, 2, tiny); /* ranks 2 and 3 own no rows */
  check_splits(gen_uniform, HT_FLOAT64, 2, big);  /* several fill chunks per rank */
}
END_TEST

START_TEST(normal_and_randint_same_for_every_split) {
  int64_t shape[3] = {9, 5, 3}, odd[1] = {17};
  check_splits(gen_normal, HT_FLOAT32, 3, shape);
  check_splits(gen_normal, HT_FLOAT64, 3, shape);
  check_splits(gen_normal, HT_FLOAT32, 1, odd); /* blocks cut at odd offsets */
  check_splits(gen_randint, HT_INT32, 3, shape);
  check_splits(gen_randint, HT_INT16, 1, odd);
  check_splits(gen_randint, HT_INT64, 3, shape);
}
END_TEST

/* Threads take chunks of the index range: the values must not depend on how many. */
START_TEST(same_for_any_thread_count) {
  int64_t shape[2] = {30011, 7};
  int before = omp_get_max_threads();
  omp_set_num_threads(1);
  void *one = gathered(gen_normal, 99, 2, shape, 0, HT_FLOAT32);
  omp_set_num_threads(3);
  void *three = gathered(gen_normal, 99, 2, shape, 0, HT_FLOAT32);
  omp_set_num_threads(before);
  ck_assert_int_eq(memcmp(one, three, sizeof(float) * 30011 * 7), 0);
  free(one), free(three);
}
END_TEST

static ht_array *gen_clamped(int ndim, const int64_t *shape, int split, ht_dtype t) {
  return ht_random_uniform(t, ndim, shape, split, HT_CPU, 1.0, 1.0 + 0x1p-23);
}
static ht_array *gen_unit(int ndim, const int64_t *shape, int split, ht_dtype t) {
  return ht_random_uniform(t, ndim, shape, split, HT_CPU, 0.0, 1.0);
}

/* Bit-for-bit equality, except for float64 normals in a sanitizer build: there the block
 * loops call scalar libm (instrumentation keeps GCC from vectorising them through libmvec,
 * as Release does), whose last bits differ (docs/reliability.md). float32 normals use
 * cpu/boxmuller.h's exact operations and must match everywhere. A permuted lane or a wrong
 * clamp moves values far more than the 1e-12 relative allowed then. */
static bool same_values(const void *a, const void *b, int64_t n, ht_dtype t, bool normal) {
  const size_t bytes = (size_t)n * ht_dtype_size(t);
#if defined(__SANITIZE_ADDRESS__)
  if (normal && t == HT_FLOAT64) {
    const double tol = 1e-12;
    for (int64_t k = 0; k < n; k++) {
      double x = ((const double *)a)[k], y = ((const double *)b)[k];
      if (!(fabs(x - y) <= tol * fmax(1.0, fabs(x)))) return false;
    }
    return true;
  }
#else
  (void)normal;
#endif
  return memcmp(a, b, bytes) == 0;
}

/* On AVX-512 machines rand/randn/uniform run fused kernels (Philox in registers, lanes
 * permuted); HEATLUA_RANDOM_UNFUSED=1 selects the block loops they replace. Both must give
 * the same bits: sizes with partial groups, odd chunk starts (split 1 of 1001 x 3 on 2-4
 * ranks), one and two groups per Philox pass, the clamp below high. Elsewhere both runs
 * take the block loops and agree trivially. */
START_TEST(fused_kernels_equal_block_loops) {
  const gen_fn gens[] = {gen_uniform, gen_normal, gen_clamped, gen_unit};
  const ht_dtype types[] = {HT_FLOAT32, HT_FLOAT64};
  const int64_t shapes[][2] = {{1001, 3}, {97, 64}, {5, 1}, {4099, 33}};
  for (int g = 0; g < 4; g++)
    for (int ti = 0; ti < 2; ti++)
      for (int si = 0; si < 4; si++)
        for (int split = -1; split < 2; split++) {
          int64_t n = shapes[si][0] * shapes[si][1];
          setenv("HEATLUA_RANDOM_UNFUSED", "1", 1);
          void *loop = gathered(gens[g], 31 + (uint64_t)g, 2, shapes[si], split, types[ti]);
          unsetenv("HEATLUA_RANDOM_UNFUSED");
          void *fused = gathered(gens[g], 31 + (uint64_t)g, 2, shapes[si], split, types[ti]);
          ck_assert_msg(same_values(loop, fused, n, types[ti], gens[g] == gen_normal),
                        "generator %d %s shape %lld x %lld split %d", g, ht_dtype_name(types[ti]),
                        (long long)shapes[si][0], (long long)shapes[si][1], split);
          free(loop), free(fused);
        }
}
END_TEST

/* |got - ref| in units of the last place of float32 at ref (ref = m 2^e, m in [1/2, 1)). */
static double ulps32(float got, long double ref) {
  if (ref == 0) return got == 0 ? 0 : 1e30;
  int e;
  frexpl(ref, &e);
  return (double)(fabsl((long double)got - ref) / ldexpl(1.0L, e - 24));
}

/* float32 Box-Muller's own math (cpu/boxmuller.h) against long double logl/cosl/sinl:
 * measured maxima log 0.82 ulp, cos and sin 1.68 ulp (all 2^24 angles), the pair 3.2 ulp. */
START_TEST(boxmuller_math_within_ulps) {
  const long double two_pi = 6.283185307179586476925286766559005768L;
  double worst[3] = {0, 0, 0};
  for (uint64_t w = 0; w < (UINT64_C(1) << 32); w += 9973) {
    float u = bm_u1((uint32_t)w);
    worst[0] = fmax(worst[0], ulps32(bm_logf(u), logl(u)));
  }
  ck_assert_float_eq(bm_logf(bm_u1(UINT32_MAX)), 0.0f); /* u1 = 1 */
  ck_assert_float_eq(bm_u1(0), 0x1p-32f);
  /* every 61st angle and all within 2^12 of a multiple of a quarter turn */
  for (uint32_t m = 0; m < (1u << 24); m += (m + 4096) % (1u << 22) < 8192 ? 1 : 61) {
    float c, s;
    bm_sincos(m, &c, &s);
    if (m % (1u << 22) == 0) { /* exactly 0 and +-1 */
      const float cq[4] = {1, 0, -1, 0}, sq[4] = {0, 1, 0, -1};
      ck_assert_msg(c == cq[m >> 22] && s == sq[m >> 22], "quarter turn %u: %g %g", m, c, s);
      continue;
    }
    long double th = two_pi * m / 16777216.0L;
    worst[1] = fmax(worst[1], fmax(ulps32(c, cosl(th)), ulps32(s, sinl(th))));
  }
  for (uint64_t k = 0; k < 400000; k++) { /* the pair: arbitrary words by a Weyl sequence */
    uint32_t w0 = (uint32_t)(k * 0x9E3779B97F4A7C15u >> 32), w1 = (uint32_t)(k * 0xD1B54A32D192ED03u >> 32);
    float zc, zs;
    bm_pair(w0, w1, 0.0f, 1.0f, &zc, &zs);
    long double r = sqrtl(-2 * logl(bm_u1(w0))), th = two_pi * (w1 >> 8) / 16777216.0L;
    if ((w1 >> 8) % (1u << 22) == 0) continue; /* checked above */
    worst[2] = fmax(worst[2], fmax(ulps32(zc, r * cosl(th)), ulps32(zs, r * sinl(th))));
  }
  ck_assert_msg(worst[0] <= 1 && worst[1] <= 2 && worst[2] <= 4,
                "ulps: log %.3f, sincos %.3f, pair %.3f", worst[0], worst[1], worst[2]);
}
END_TEST

START_TEST(calls_advance_and_seed_restarts) {
  int64_t n = 64;
  float *a = gathered(gen_uniform, 5, 1, &n, 0, HT_FLOAT32);
  /* the second call after seed(5) */
  ht_random_seed(5);
  ht_array *first = ht_random_uniform(HT_FLOAT32, 1, &n, -1, HT_CPU, -1.0, 2.0);
  ht_array *second = ht_random_uniform(HT_FLOAT32, 1, &n, -1, HT_CPU, -1.0, 2.0);
  ck_assert_int_eq(memcmp(a, ht_array_data(first), sizeof(float) * 64), 0);
  ck_assert_int_ne(memcmp(a, ht_array_data(second), sizeof(float) * 64), 0);
  float *b = gathered(gen_uniform, 6, 1, &n, 0, HT_FLOAT32);
  ck_assert_int_ne(memcmp(a, b, sizeof(float) * 64), 0);
  ck_assert_uint_eq(ht_random_get_seed(), 6);
  ht_array_free(first), ht_array_free(second);
  free(a), free(b);
}
END_TEST

START_TEST(ranges_hold) {
  int64_t n = 50000;
  ht_random_seed(77);
  /* [1, 1 + 2^-23): rounding reaches high for half the draws unless clamped */
  ht_array *u = ht_random_uniform(HT_FLOAT32, 1, &n, 0, HT_CPU, 1.0, 1.0 + 0x1p-23);
  const float *uf = ht_array_data(u);
  ht_array *r = ht_random_randint(HT_INT8, 1, &n, 0, HT_CPU, -128, 128);
  const int8_t *ri = ht_array_data(r);
  /* counts summed over ranks before any assertion, so no rank leaves a collective behind */
  int64_t c[3] = {0, 0, 0}; /* not 1.0f, int8 -128, int8 127 */
  for (int64_t i = 0; i < u->lshape[0]; i++) c[0] += uf[i] != 1.0f;
  for (int64_t i = 0; i < r->lshape[0]; i++) c[1] += ri[i] == -128, c[2] += ri[i] == 127;
  ht_comm_allreduce_i64(c, 3, MPI_SUM);
  ck_assert_int_eq(c[0], 0);
  ck_assert(c[1] > 0 && c[2] > 0); /* both ends of int8 are reached: 195 expected */
  ht_array *z = ht_random_normal(HT_FLOAT64, 1, &n, 0, HT_CPU, 0.0, 1.0);
  const double *zd = ht_array_data(z);
  double s[2] = {0, 0};
  for (int64_t i = 0; i < z->lshape[0]; i++) s[0] += zd[i], s[1] += zd[i] * zd[i];
  ht_comm_allreduce(s, 2, HT_FLOAT64, MPI_SUM);
  ck_assert(fabs(s[0] / n) < 0.02 && fabs(s[1] / n - 1) < 0.03); /* N(0,1): 4.5 sigma */
  ht_array_free(u), ht_array_free(r), ht_array_free(z);
}
END_TEST

START_TEST(bad_arguments) {
  int64_t n = 4, neg = -1;
  ck_assert_ptr_null(ht_random_randint(HT_INT32, 1, &n, 0, HT_CPU, 3, 3));
  ck_assert_ptr_nonnull(strstr(ht_errmsg(), "random.randint: low >= high"));
  ck_assert_ptr_null(ht_random_randint(HT_INT8, 1, &n, 0, HT_CPU, 0, 300));
  ck_assert_ptr_nonnull(strstr(ht_errmsg(), "high is out of bounds for int8"));
  ck_assert_ptr_null(ht_random_uniform(HT_INT32, 1, &n, 0, HT_CPU, 0, 1));
  ck_assert_ptr_null(ht_random_normal(HT_FLOAT32, 1, &n, 0, HT_CPU, 0, -1));
  ck_assert_ptr_null(ht_random_uniform(HT_FLOAT32, 1, &neg, 0, HT_CPU, 0, 1));
  ck_assert_ptr_nonnull(strstr(ht_errmsg(), "negative dimensions are not allowed"));
  ck_assert_ptr_null(ht_random_uniform(HT_FLOAT32, 1, &n, 1, HT_CPU, 0, 1));
  ck_assert_ptr_nonnull(strstr(ht_errmsg(), "split 1 is out of range"));
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("random");
  TCase *tc = tcase_create("random");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, uniform_same_for_every_split);
  tcase_add_test(tc, normal_and_randint_same_for_every_split);
  tcase_add_test(tc, same_for_any_thread_count);
  tcase_add_test(tc, fused_kernels_equal_block_loops);
  tcase_add_test(tc, boxmuller_math_within_ulps);
  tcase_add_test(tc, calls_advance_and_seed_restarts);
  tcase_add_test(tc, ranges_hold);
  tcase_add_test(tc, bad_arguments);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
