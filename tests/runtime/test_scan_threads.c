/* runtime/cpu/scan.c: the float cumsum kernel gives the same bits at 1, 2 and 3 threads,
 * in place and reading its input, where the threads take row ranges cut at block starts
 * (outer == 1, few columns) and where they take column tiles (outer > 1): rows around the
 * cuts and blocks, 1 to 64 columns, chunks that start mid-block (a head) and from an exact
 * offset, with NaN, infinities, -0.0 and 1e30 beside small values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check_mpi.h"
#include "cpu/binned.h"
#include "cpu/scan.h"

static uint64_t next(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 11;
}

static double value(uint64_t *s, int64_t r, int64_t l) {
  const double u = (double)next(s) / 9007199254740992.0 - 0.5;
  if (l == 3 && r == 2500) return NAN;
  if (l == 5 && r % 1999 == 7) return r % 2 ? INFINITY : -INFINITY;
  if (l == 6 && r % 3 == 0) return -0.0;
  if (l == 7 && r == 1100) return 1e30;
  return l % 2 ? u * 1e3 : u;
}

/* cumsum of rows [g0, g0 + n) of F (outer 1 or 2, (g0 + n) rows, inner columns) at nt
 * threads, into out (outer, n, inner) */
static void run(bool f32, const char *F, int64_t outer, int64_t g0, int64_t n, int64_t inner,
                bool direct, int nt, char *out) {
  const int64_t item = f32 ? 4 : 8, N = g0 + n, h = g0 % HT_SCAN_BLOCK;
  char *in = malloc((size_t)(outer * n * inner * item)), *head = malloc((size_t)(outer * (h + 1) * inner * item));
  ht_xacc *start = malloc(sizeof(ht_xacc) * (size_t)(outer * inner));
  for (int64_t o = 0; o < outer; o++) {
    memcpy(in + o * n * inner * item, F + (o * N + g0) * inner * item, (size_t)(n * inner * item));
    memcpy(head + o * h * inner * item, F + (o * N + g0 - h) * inner * item, (size_t)(h * inner * item));
    for (int64_t l = 0; l < inner; l++) {
      ht_xacc *x = &start[o * inner + l];
      ht_xacc_zero(x);
      for (int64_t r = 0; r < g0; r++) {
        const int64_t k = (o * N + r) * inner + l;
        ht_xacc_add(x, f32 ? (double)((const float *)F)[k] : ((const double *)F)[k]);
      }
      ht_xacc_normalize(x);
    }
  }
#ifdef _OPENMP
  omp_set_num_threads(nt);
#else
  (void)nt;
#endif
  if (!direct) memcpy(out, in, (size_t)(outer * n * inner * item));
  ck_assert_int_eq(ht_cpu_cumsum_blocked(f32 ? HT_FLOAT32 : HT_FLOAT64, out, direct ? in : NULL,
                                         h ? head : NULL, h, g0 ? start : NULL, outer, n, inner, g0),
                   0);
  free(in), free(head), free(start);
}

START_TEST(test_threads_same_bits) {
  static const int64_t ns[] = {2047, 2048, 2049, 3071, 3073, 4099};
  static const int64_t inners[] = {1, 8, 17, 64};
  static const int64_t g0s[] = {0, 1280, 300};
  for (int f32 = 0; f32 < 2; f32++)
    for (int64_t outer = 1; outer <= 2; outer++)
      for (int ni = 0; ni < 6; ni++)
        for (int ii = 0; ii < 4; ii++)
          for (int gi = 0; gi < 3; gi++) {
            const int64_t n = ns[ni], inner = inners[ii], g0 = g0s[gi], N = g0 + n;
            const int64_t item = f32 ? 4 : 8, bytes = outer * n * inner * item;
            char *F = malloc((size_t)(outer * N * inner * item)), *a = malloc((size_t)bytes),
                 *b = malloc((size_t)bytes);
            uint64_t s = (uint64_t)(n * 31 + inner * 7 + g0);
            for (int64_t o = 0; o < outer; o++)
              for (int64_t r = 0; r < N; r++)
                for (int64_t l = 0; l < inner; l++) {
                  const double x = value(&s, r, l);
                  const int64_t k = (o * N + r) * inner + l;
                  if (f32) ((float *)F)[k] = (float)x;
                  else ((double *)F)[k] = x;
                }
            run(f32, F, outer, g0, n, inner, false, 1, a);
            for (int nt = 1; nt <= 3; nt++)
              for (int direct = 0; direct < 2; direct++) {
                run(f32, F, outer, g0, n, inner, direct, nt, b);
                ck_assert_msg(memcmp(a, b, (size_t)bytes) == 0,
                              "%s outer %lld n %lld inner %lld g0 %lld: %d threads%s differ",
                              f32 ? "float32" : "float64", (long long)outer, (long long)n,
                              (long long)inner, (long long)g0, nt, direct ? " (direct)" : "");
              }
            free(F), free(a), free(b);
          }
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("scan_threads");
  TCase *tc = tcase_create("scan_threads");
  tcase_set_timeout(tc, 200);
  tcase_add_test(tc, test_threads_same_bits);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
