/* The per-dtype BLAS wrapper: one switch per routine, so every caller of local linear
 * algebra goes through here (and a CUDA backend can mirror this file with cuBLAS). */
#include "blas.h"

#include <cblas.h>
#include <limits.h>
#ifdef _OPENMP
#include <omp.h>
#else
static int omp_in_parallel(void) { return 1; }
#endif

#include "../error.h"

/* CBLAS takes int dimensions: a local block past INT_MAX rows is refused, not truncated. */
static int dims_ok(const char *fn, int64_t a, int64_t b, int64_t c) {
  if (a > INT_MAX || b > INT_MAX || c > INT_MAX)
    return ht_error("%s: a local block dimension exceeds 2^31-1 (%lld, %lld, %lld)", fn,
                    (long long)a, (long long)b, (long long)c);
  return 0;
}

static int bad_dtype(const char *fn, ht_dtype t) {
  return ht_error("%s: dtype %s is not supported by BLAS (float32, float64)", fn,
                  ht_dtype_name(t));
}

static void gemm1(ht_dtype t, bool transa, bool transb, int64_t m, int64_t n, int64_t k,
                  double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                  double beta, void *c, int64_t ldc) {
  enum CBLAS_TRANSPOSE ta = transa ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE tb = transb ? CblasTrans : CblasNoTrans;
  if (t == HT_FLOAT32)
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, (float)alpha, a, (int)lda, b,
                (int)ldb, (float)beta, c, (int)ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, a, (int)lda, b,
                (int)ldb, beta, c, (int)ldc);
}

/* Products past 2^16 multiply-adds run as fixed tiles of C (GEMM_TM x GEMM_TN), each one
 * single-threaded OpenBLAS call, spread over the OpenMP threads: OpenBLAS's own threads
 * cut C by the thread count and its edge kernels sum in another order, so the bits of a
 * product changed with OMP_NUM_THREADS (tests/cli/thread_edges.lua, 301x71 @ 71x53). */
#define GEMM_TM 256
#define GEMM_TN 1024

int ht_blas_gemm(ht_dtype t, bool transa, bool transb, int64_t m, int64_t n, int64_t k,
                 double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                 double beta, void *c, int64_t ldc) {
  if (dims_ok("gemm", m, n, k)) return -1;
  if (m == 0 || n == 0) return 0;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("gemm", t);
  if ((double)m * (double)n * (double)k <= 65536.0) { /* OpenBLAS runs these on one thread */
    gemm1(t, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return 0;
  }
  const size_t sz = t == HT_FLOAT32 ? 4 : 8;
  const int64_t mt = (m + GEMM_TM - 1) / GEMM_TM, nt = (n + GEMM_TN - 1) / GEMM_TN;
  const bool outer = !omp_in_parallel();
  const int bt = ht_blas_serial_begin();
#pragma omp parallel for schedule(dynamic, 1) if (outer && mt * nt > 1)
  for (int64_t q = 0; q < mt * nt; q++) {
    const int64_t i0 = q / nt * GEMM_TM, j0 = q % nt * GEMM_TN;
    const int64_t mb = m - i0 < GEMM_TM ? m - i0 : GEMM_TM;
    const int64_t nb = n - j0 < GEMM_TN ? n - j0 : GEMM_TN;
    const char *ap = (const char *)a + (size_t)(transa ? i0 : i0 * lda) * sz;
    const char *bp = (const char *)b + (size_t)(transb ? j0 * ldb : j0) * sz;
    gemm1(t, transa, transb, mb, nb, k, alpha, ap, lda, bp, ldb, beta,
          (char *)c + (size_t)(i0 * ldc + j0) * sz, ldc);
  }
  ht_blas_serial_end(bt);
  return 0;
}

static void syrk1(ht_dtype t, bool trans, int64_t n, int64_t k, double alpha, const void *a,
                  int64_t lda, double beta, void *c, int64_t ldc) {
  enum CBLAS_TRANSPOSE tr = trans ? CblasTrans : CblasNoTrans;
  if (t == HT_FLOAT32)
    cblas_ssyrk(CblasRowMajor, CblasUpper, tr, (int)n, (int)k, (float)alpha, a, (int)lda,
                (float)beta, c, (int)ldc);
  else
    cblas_dsyrk(CblasRowMajor, CblasUpper, tr, (int)n, (int)k, alpha, a, (int)lda, beta, c,
                (int)ldc);
}

/* The upper triangle as fixed SYRK_T x SYRK_T tiles of C, each a one-thread OpenBLAS call
 * (SYRK on the diagonal, GEMM off it) over the OpenMP threads: OpenBLAS's threaded float32
 * SYRK gave other bits at 2 threads (3000 x 200 x.T @ x, tests/cli/thread_edges.lua). A
 * Gram matrix of at most SYRK_T columns is one call, the same bits as one thread before. */
#define SYRK_T 128

int ht_blas_syrk(ht_dtype t, bool trans, int64_t n, int64_t k, double alpha, const void *a,
                 int64_t lda, double beta, void *c, int64_t ldc) {
  if (dims_ok("syrk", n, k, lda)) return -1;
  if (n == 0) return 0;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("syrk", t);
  const size_t sz = t == HT_FLOAT32 ? 4 : 8;
  const int64_t nt = (n + SYRK_T - 1) / SYRK_T, tiles = nt * (nt + 1) / 2;
  const bool outer = !omp_in_parallel();
  const int bt = ht_blas_serial_begin();
#pragma omp parallel for schedule(dynamic, 1) if (outer && tiles > 1)
  for (int64_t q = 0; q < tiles; q++) {
    int64_t bi = 0, r = q; /* q-th tile of the upper triangle, row by row */
    while (r >= nt - bi) r -= nt - bi++;
    const int64_t bj = bi + r, i0 = bi * SYRK_T, j0 = bj * SYRK_T;
    const int64_t mb = n - i0 < SYRK_T ? n - i0 : SYRK_T;
    const int64_t nb = n - j0 < SYRK_T ? n - j0 : SYRK_T;
    char *cp = (char *)c + (size_t)(i0 * ldc + j0) * sz;
    /* row i of op(A) is column i of A (trans) or row i of A */
    const char *ai = (const char *)a + (size_t)(trans ? i0 : i0 * lda) * sz;
    const char *aj = (const char *)a + (size_t)(trans ? j0 : j0 * lda) * sz;
    if (bi == bj) syrk1(t, trans, mb, k, alpha, ai, lda, beta, cp, ldc);
    else gemm1(t, trans, !trans, mb, nb, k, alpha, ai, lda, aj, lda, beta, cp, ldc);
  }
  ht_blas_serial_end(bt);
  return 0;
}

void ht_blas_symmetrize(ht_dtype t, int64_t n, void *c, int64_t ldc) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < i; j++) {
      if (t == HT_FLOAT32) ((float *)c)[i * ldc + j] = ((float *)c)[j * ldc + i];
      else ((double *)c)[i * ldc + j] = ((double *)c)[j * ldc + i];
    }
}

/* y in fixed blocks of GEMV_B entries, each a one-thread OpenBLAS call over the OpenMP
 * threads (each entry's sum whole, in OpenBLAS's one-thread order): OpenBLAS's threads may
 * split the summed dimension of A^T x by the thread count. */
#define GEMV_B 1024

int ht_blas_gemv(ht_dtype t, bool trans, int64_t m, int64_t n, double alpha, const void *a,
                 int64_t lda, const void *x, int64_t incx, double beta, void *y, int64_t incy) {
  if (dims_ok("gemv", m, n, lda)) return -1;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("gemv", t);
  enum CBLAS_TRANSPOSE tr = trans ? CblasTrans : CblasNoTrans;
  const size_t sz = t == HT_FLOAT32 ? 4 : 8;
  const int64_t len = trans ? n : m, nb = (len + GEMV_B - 1) / GEMV_B; /* entries of y */
  const bool outer = !omp_in_parallel();
  const int bt = ht_blas_serial_begin();
#pragma omp parallel for schedule(dynamic, 1) if (outer && nb > 1)
  for (int64_t q = 0; q < nb; q++) {
    const int64_t i0 = q * GEMV_B, b = len - i0 < GEMV_B ? len - i0 : GEMV_B;
    const char *ap = (const char *)a + (size_t)(trans ? i0 : i0 * lda) * sz;
    char *yp = (char *)y + (size_t)(i0 * incy) * sz;
    if (t == HT_FLOAT32)
      cblas_sgemv(CblasRowMajor, tr, trans ? (int)m : (int)b, trans ? (int)b : (int)n,
                  (float)alpha, (const float *)ap, (int)lda, x, (int)incx, (float)beta,
                  (float *)yp, (int)incy);
    else
      cblas_dgemv(CblasRowMajor, tr, trans ? (int)m : (int)b, trans ? (int)b : (int)n, alpha,
                  (const double *)ap, (int)lda, x, (int)incx, beta, (double *)yp, (int)incy);
  }
  ht_blas_serial_end(bt);
  return 0;
}

/* Fixed blocks of DOT_B terms, each a one-thread OpenBLAS dot, added in order: OpenBLAS's
 * threads split a long dot by the thread count. (Blocks past INT_MAX cannot occur.) */
#define DOT_B 65536

double ht_blas_dot(ht_dtype t, int64_t n, const void *x, int64_t incx, const void *y,
                   int64_t incy) {
  double s = 0;
  const size_t sz = ht_dtype_size(t);
  const int bt = ht_blas_serial_begin();
  while (n > 0) {
    int c = n > DOT_B ? DOT_B : (int)n;
    if (t == HT_FLOAT32) s += cblas_dsdot(c, x, (int)incx, y, (int)incy);
    else s += cblas_ddot(c, x, (int)incx, y, (int)incy);
    x = (const char *)x + (size_t)c * sz * (size_t)incx;
    y = (const char *)y + (size_t)c * sz * (size_t)incy;
    n -= c;
  }
  ht_blas_serial_end(bt);
  return s;
}

int ht_blas_threads(void) { return openblas_get_num_threads(); }

void ht_blas_set_threads(int n) { openblas_set_num_threads(n); }

int ht_blas_serial_begin(void) {
  if (omp_in_parallel()) return 0; /* inside a parallel region: its owner set it already */
  const int bt = openblas_get_num_threads();
  if (bt > 1) openblas_set_num_threads(1);
  return bt;
}

void ht_blas_serial_end(int bt) {
  if (bt > 1) openblas_set_num_threads(bt);
}
