/* The per-dtype BLAS wrapper: one switch per routine, so every caller of local linear
 * algebra goes through here (and a CUDA backend can mirror this file with cuBLAS). */
#include "blas.h"

#include <cblas.h>
#include <limits.h>

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

int ht_blas_gemm(ht_dtype t, bool transa, bool transb, int64_t m, int64_t n, int64_t k,
                 double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                 double beta, void *c, int64_t ldc) {
  if (dims_ok("gemm", m, n, k)) return -1;
  if (m == 0 || n == 0) return 0;
  enum CBLAS_TRANSPOSE ta = transa ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE tb = transb ? CblasTrans : CblasNoTrans;
  switch (t) {
  case HT_FLOAT32:
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, (float)alpha, a, (int)lda, b,
                (int)ldb, (float)beta, c, (int)ldc);
    return 0;
  case HT_FLOAT64:
    cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, a, (int)lda, b,
                (int)ldb, beta, c, (int)ldc);
    return 0;
  default: return bad_dtype("gemm", t);
  }
}

int ht_blas_syrk(ht_dtype t, bool trans, int64_t n, int64_t k, double alpha, const void *a,
                 int64_t lda, double beta, void *c, int64_t ldc) {
  if (dims_ok("syrk", n, k, lda)) return -1;
  if (n == 0) return 0;
  enum CBLAS_TRANSPOSE tr = trans ? CblasTrans : CblasNoTrans;
  switch (t) {
  case HT_FLOAT32:
    cblas_ssyrk(CblasRowMajor, CblasUpper, tr, (int)n, (int)k, (float)alpha, a, (int)lda,
                (float)beta, c, (int)ldc);
    return 0;
  case HT_FLOAT64:
    cblas_dsyrk(CblasRowMajor, CblasUpper, tr, (int)n, (int)k, alpha, a, (int)lda, beta, c,
                (int)ldc);
    return 0;
  default: return bad_dtype("syrk", t);
  }
}

void ht_blas_symmetrize(ht_dtype t, int64_t n, void *c, int64_t ldc) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < i; j++) {
      if (t == HT_FLOAT32) ((float *)c)[i * ldc + j] = ((float *)c)[j * ldc + i];
      else ((double *)c)[i * ldc + j] = ((double *)c)[j * ldc + i];
    }
}

int ht_blas_gemv(ht_dtype t, bool trans, int64_t m, int64_t n, double alpha, const void *a,
                 int64_t lda, const void *x, int64_t incx, double beta, void *y, int64_t incy) {
  if (dims_ok("gemv", m, n, lda)) return -1;
  enum CBLAS_TRANSPOSE tr = trans ? CblasTrans : CblasNoTrans;
  switch (t) {
  case HT_FLOAT32:
    cblas_sgemv(CblasRowMajor, tr, (int)m, (int)n, (float)alpha, a, (int)lda, x, (int)incx,
                (float)beta, y, (int)incy);
    return 0;
  case HT_FLOAT64:
    cblas_dgemv(CblasRowMajor, tr, (int)m, (int)n, alpha, a, (int)lda, x, (int)incx, beta, y,
                (int)incy);
    return 0;
  default: return bad_dtype("gemv", t);
  }
}

double ht_blas_dot(ht_dtype t, int64_t n, const void *x, int64_t incx, const void *y,
                   int64_t incy) {
  /* split into INT_MAX pieces rather than refuse: a dot product streams */
  double s = 0;
  const size_t sz = ht_dtype_size(t);
  while (n > 0) {
    int c = n > INT_MAX ? INT_MAX : (int)n;
    if (t == HT_FLOAT32) s += cblas_dsdot(c, x, (int)incx, y, (int)incy);
    else s += cblas_ddot(c, x, (int)incx, y, (int)incy);
    x = (const char *)x + (size_t)c * sz * (size_t)incx;
    y = (const char *)y + (size_t)c * sz * (size_t)incy;
    n -= c;
  }
  return s;
}

int ht_blas_threads(void) { return openblas_get_num_threads(); }

void ht_blas_set_threads(int n) { openblas_set_num_threads(n); }
