/* runtime/cpu/blas.c's fixed tiles and blocks: SYRK (128 x 128 tiles of C), GEMV (1024
 * outputs per block) and dot (65536-term blocks) give the exact results on integer-valued
 * data (every partial sum exact, so any tiling error shows) at sizes around the tile edges,
 * both transposes, alpha/beta, strides, and the same bits at 1, 2 and 3 OpenMP threads on
 * random data. The references are the definitions, summed in long loops. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "cpu/blas.h"

/* small integers from a fixed LCG: products and sums stay exact in float32 and float64 */
static void ints(double *d, float *f, int64_t n, unsigned seed) {
  uint64_t s = seed;
  for (int64_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    d[i] = (double)((int)(s >> 33) % 7 - 3);
    if (f) f[i] = (float)d[i];
  }
}

static double at(ht_dtype t, const void *p, int64_t i) {
  return t == HT_FLOAT32 ? ((const float *)p)[i] : ((const double *)p)[i];
}

START_TEST(test_syrk_tiles_exact) {
  const int64_t ns[] = {1, 127, 128, 129, 257, 300};
  const int64_t ks[] = {1, 37};
  for (int ti = 0; ti < 2; ti++) {
    const ht_dtype t = ti ? HT_FLOAT32 : HT_FLOAT64;
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
      for (size_t b = 0; b < sizeof ks / sizeof *ks; b++)
        for (int trans = 0; trans < 2; trans++) {
          const int64_t n = ns[a], k = ks[b], lda = (trans ? n : k) + 3;
          const int64_t rows = trans ? k : n, ldc = n + 2;
          double *ad = malloc(sizeof(double) * (size_t)(rows * lda));
          float *af = malloc(sizeof(float) * (size_t)(rows * lda));
          double *cd = malloc(sizeof(double) * (size_t)(n * ldc));
          float *cf = malloc(sizeof(float) * (size_t)(n * ldc));
          ints(ad, af, rows * lda, (unsigned)(n * 31 + k));
          ints(cd, cf, n * ldc, 5);
          double *c0 = malloc(sizeof(double) * (size_t)(n * ldc));
          memcpy(c0, cd, sizeof(double) * (size_t)(n * ldc));
          void *A = t == HT_FLOAT32 ? (void *)af : (void *)ad;
          void *C = t == HT_FLOAT32 ? (void *)cf : (void *)cd;
          /* C = 2 op(A) op(A)^T - C: alpha and beta both reach every tile */
          ck_assert_int_eq(ht_blas_syrk(t, trans, n, k, 2.0, A, lda, -1.0, C, ldc), 0);
          for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
              double want = c0[i * ldc + j]; /* the lower triangle is left as it was */
              if (j >= i) {
                double s = 0;
                for (int64_t q = 0; q < k; q++)
                  s += trans ? ad[q * lda + i] * ad[q * lda + j]
                             : ad[i * lda + q] * ad[j * lda + q];
                want = 2 * s - want;
              }
              ck_assert_msg(at(t, C, i * ldc + j) == want,
                            "syrk %s n %lld k %lld trans %d: C[%lld,%lld] = %g, want %g",
                            ht_dtype_name(t), (long long)n, (long long)k, trans,
                            (long long)i, (long long)j, at(t, C, i * ldc + j), want);
            }
          free(ad), free(af), free(cd), free(cf), free(c0);
        }
  }
}
END_TEST

START_TEST(test_gemv_blocks_exact) {
  const int64_t ms[] = {1, 1023, 1025, 2049};
  const int64_t n = 19, lda = 21;
  for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
    for (int trans = 0; trans < 2; trans++)
      for (int inc = 1; inc <= 2; inc++) {
        /* trans: A is n x m (y has m entries); else A is m x n */
        const int64_t m = ms[a], rows = trans ? n : m, cols = trans ? m : n;
        const int64_t ld = trans ? m + 2 : lda, leny = m, lenx = n;
        double *A = malloc(sizeof(double) * (size_t)(rows * ld));
        double *x = malloc(sizeof(double) * (size_t)(lenx * inc));
        double *y = malloc(sizeof(double) * (size_t)(leny * inc));
        double *y0 = malloc(sizeof(double) * (size_t)(leny * inc));
        ints(A, NULL, rows * ld, (unsigned)m);
        ints(x, NULL, lenx * inc, 3);
        ints(y, NULL, leny * inc, 4);
        memcpy(y0, y, sizeof(double) * (size_t)(leny * inc));
        ck_assert_int_eq(ht_blas_gemv(HT_FLOAT64, trans, rows, cols, 3.0, A, ld, x, inc, 0.5,
                                      y, inc), 0);
        for (int64_t i = 0; i < leny; i++) {
          double s = 0;
          for (int64_t q = 0; q < n; q++)
            s += (trans ? A[q * ld + i] : A[i * ld + q]) * x[q * inc];
          const double want = 3 * s + 0.5 * y0[i * inc];
          ck_assert_msg(y[i * inc] == want, "gemv m %lld trans %d inc %d: y[%lld] = %g, want %g",
                        (long long)m, trans, inc, (long long)i, y[i * inc], want);
        }
        free(A), free(x), free(y), free(y0);
      }
}
END_TEST

START_TEST(test_dot_blocks_exact) {
  const int64_t ns[] = {1, 65535, 65536, 65537, 196609};
  for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
    for (int inc = 1; inc <= 2; inc++) {
      const int64_t n = ns[a];
      double *x = malloc(sizeof(double) * (size_t)(n * inc));
      float *xf = malloc(sizeof(float) * (size_t)(n * inc));
      ints(x, xf, n * inc, (unsigned)n);
      double want = 0;
      for (int64_t i = 0; i < n; i++) want += x[i * inc] * x[(n - 1 - i) * inc];
      /* y runs backwards through the same data: a negative-offset-free reversed copy */
      double *y = malloc(sizeof(double) * (size_t)(n * inc));
      float *yf = malloc(sizeof(float) * (size_t)(n * inc));
      for (int64_t i = 0; i < n; i++) y[i * inc] = x[(n - 1 - i) * inc], yf[i * inc] = (float)y[i * inc];
      ck_assert_msg(ht_blas_dot(HT_FLOAT64, n, x, inc, y, inc) == want, "dot float64 n %lld",
                    (long long)n);
      ck_assert_msg(ht_blas_dot(HT_FLOAT32, n, xf, inc, yf, inc) == want, "dot float32 n %lld",
                    (long long)n);
      free(x), free(xf), free(y), free(yf);
    }
}
END_TEST

/* random data: the bits of syrk, gemv and dot at 2 and 3 threads equal one thread's */
START_TEST(test_same_bits_any_thread_count) {
  const int64_t n = 300, k = 700;
  double *A = malloc(sizeof(double) * (size_t)(k * n));
  float *Af = malloc(sizeof(float) * (size_t)(k * n));
  uint64_t s = 9;
  for (int64_t i = 0; i < k * n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    A[i] = (double)(s >> 11) / 9007199254740992.0 - 0.5;
    Af[i] = (float)A[i];
  }
  double *ref = malloc(sizeof(double) * (size_t)(n * n + n + 1));
  double *got = malloc(sizeof(double) * (size_t)(n * n + n + 1));
  float *cf = malloc(sizeof(float) * (size_t)(n * n));
  const int nt0 = omp_get_max_threads(), bt0 = ht_blas_threads();
  for (int nt = 1; nt <= 3; nt++) {
    omp_set_num_threads(nt);
    ht_blas_set_threads(nt);
    double *out = nt == 1 ? ref : got;
    memset(out, 0, sizeof(double) * (size_t)(n * n + n + 1));
    ck_assert_int_eq(ht_blas_syrk(HT_FLOAT64, true, n, k, 1.0, A, n, 0.0, out, n), 0);
    ck_assert_int_eq(ht_blas_syrk(HT_FLOAT32, true, n, k, 1.0, Af, n, 0.0, cf, n), 0);
    for (int64_t i = 0; i < n * n; i++) out[i] += (double)cf[i] * 0x1p-30; /* both checked */
    ck_assert_int_eq(ht_blas_gemv(HT_FLOAT64, true, k, n, 1.0, A, n, A, 1, 0.0, out + n * n, 1),
                     0);
    out[n * n + n] = ht_blas_dot(HT_FLOAT64, k * n, A, 1, A, 1);
    if (nt > 1)
      ck_assert_msg(memcmp(ref, got, sizeof(double) * (size_t)(n * n + n + 1)) == 0,
                    "bits at %d threads differ from one thread's", nt);
  }
  omp_set_num_threads(nt0);
  ht_blas_set_threads(bt0);
  free(A), free(Af), free(ref), free(got), free(cf);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("blas_tiles");
  TCase *tc = tcase_create("blas_tiles");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_syrk_tiles_exact);
  tcase_add_test(tc, test_gemv_blocks_exact);
  tcase_add_test(tc, test_dot_blocks_exact);
  tcase_add_test(tc, test_same_bits_any_thread_count);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
