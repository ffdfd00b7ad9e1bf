/* The per-dtype LAPACKE wrapper: one call per dtype and routine, so every local factorization goes
 * through here (and a CUDA backend can mirror this file with cuSOLVER). Each call runs with
 * OpenBLAS on one thread: LAPACK's inner GEMMs and TRSMs on OpenBLAS's threads gave other
 * bits at OMP_NUM_THREADS 1 and 2 (QR, SVD, eigh, inv, solve of a few hundred columns; see
 * tests/cli/thread_edges.lua), and those calls cannot be tiled from here. */
#include "lapack.h"

#include <lapacke.h>
#include <limits.h>

#include "../error.h"
#include "blas.h"

/* LAPACKE takes int dimensions: a local block past INT_MAX is refused, not truncated. */
static int dims_ok(const char *fn, int64_t a, int64_t b, int64_t c) {
  if (a > INT_MAX || b > INT_MAX || c > INT_MAX)
    return ht_error("%s: a local matrix dimension exceeds 2^31-1 (%lld, %lld, %lld)", fn,
                    (long long)a, (long long)b, (long long)c);
  return 0;
}

static int bad_dtype(const char *fn, ht_dtype t) {
  return ht_error("%s: dtype %s is not supported by LAPACK (float32, float64)", fn,
                  ht_dtype_name(t));
}

/* LAPACKE's own failures (bad argument, no workspace memory) are negative infos. */
static int info_of(const char *fn, int bt, lapack_int info) {
  ht_blas_serial_end(bt);
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
    return ht_error("%s: out of memory for LAPACK's workspace", fn);
  if (info < 0) return ht_error("%s: LAPACK rejected argument %d", fn, (int)-info);
  return (int)info;
}

int ht_lapack_geqrf(ht_dtype t, int64_t m, int64_t n, void *a, int64_t lda, void *tau) {
  if (dims_ok("geqrf", m, n, lda)) return -1;
  if (m == 0 || n == 0) return 0;
  /* column-major, a is the n x m transpose: its LQ is our QR (R^T = L) */
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("geqrf", t);
  const int bt = ht_blas_serial_begin();
  return info_of("geqrf", bt, t == HT_FLOAT32
      ? LAPACKE_sgelqf(LAPACK_COL_MAJOR, (int)n, (int)m, a, (int)lda, tau)
      : LAPACKE_dgelqf(LAPACK_COL_MAJOR, (int)n, (int)m, a, (int)lda, tau));
}

int ht_lapack_orgqr(ht_dtype t, int64_t m, int64_t k, void *a, int64_t lda, const void *tau) {
  if (dims_ok("orgqr", m, k, lda)) return -1;
  if (m == 0 || k == 0) return 0;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("orgqr", t);
  const int bt = ht_blas_serial_begin();
  return info_of("orgqr", bt, t == HT_FLOAT32
      ? LAPACKE_sorglq(LAPACK_COL_MAJOR, (int)k, (int)m, (int)k, a, (int)lda, tau)
      : LAPACKE_dorglq(LAPACK_COL_MAJOR, (int)k, (int)m, (int)k, a, (int)lda, tau));
}

int ht_lapack_geqrf_cm(ht_dtype t, int64_t m, int64_t n, void *a, int64_t lda, void *tau) {
  if (dims_ok("geqrf", m, n, lda)) return -1;
  if (m == 0 || n == 0) return 0;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("geqrf", t);
  const int bt = ht_blas_serial_begin();
  return info_of("geqrf", bt, t == HT_FLOAT32
      ? LAPACKE_sgeqrf(LAPACK_COL_MAJOR, (int)m, (int)n, a, (int)lda, tau)
      : LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (int)m, (int)n, a, (int)lda, tau));
}

int ht_lapack_orgqr_cm(ht_dtype t, int64_t m, int64_t k, void *a, int64_t lda, const void *tau) {
  if (dims_ok("orgqr", m, k, lda)) return -1;
  if (m == 0 || k == 0) return 0;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("orgqr", t);
  const int bt = ht_blas_serial_begin();
  return info_of("orgqr", bt, t == HT_FLOAT32
      ? LAPACKE_sorgqr(LAPACK_COL_MAJOR, (int)m, (int)k, (int)k, a, (int)lda, tau)
      : LAPACKE_dorgqr(LAPACK_COL_MAJOR, (int)m, (int)k, (int)k, a, (int)lda, tau));
}

int ht_lapack_gesdd(ht_dtype t, char jobz, int64_t m, int64_t n, void *a, int64_t lda,
                    void *s, void *u, int64_t ldu, void *vt, int64_t ldvt) {
  if (dims_ok("gesdd", m, n, lda)) return -1;
  if (m == 0 || n == 0) return 0;
  int iu = ldu < 1 ? 1 : (int)ldu, iv = ldvt < 1 ? 1 : (int)ldvt;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("gesdd", t);
  const int bt = ht_blas_serial_begin();
  return info_of("gesdd", bt, t == HT_FLOAT32
      ? LAPACKE_sgesdd(LAPACK_ROW_MAJOR, jobz, (int)m, (int)n, a, (int)lda, s, u, iu, vt, iv)
      : LAPACKE_dgesdd(LAPACK_ROW_MAJOR, jobz, (int)m, (int)n, a, (int)lda, s, u, iu, vt, iv));
}

int ht_lapack_syevd(ht_dtype t, bool vectors, int64_t n, void *a, int64_t lda, void *w) {
  if (dims_ok("syevd", n, n, lda)) return -1;
  if (n == 0) return 0;
  char jobz = vectors ? 'V' : 'N';
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("syevd", t);
  const int bt = ht_blas_serial_begin();
  return info_of("syevd", bt, t == HT_FLOAT32
      ? LAPACKE_ssyevd(LAPACK_ROW_MAJOR, jobz, 'L', (int)n, a, (int)lda, w)
      : LAPACKE_dsyevd(LAPACK_ROW_MAJOR, jobz, 'L', (int)n, a, (int)lda, w));
}

int ht_lapack_getrf(ht_dtype t, int64_t n, void *a, int64_t lda, int32_t *ipiv) {
  if (dims_ok("getrf", n, n, lda)) return -1;
  if (n == 0) return 0;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("getrf", t);
  const int bt = ht_blas_serial_begin();
  return info_of("getrf", bt, t == HT_FLOAT32
      ? LAPACKE_sgetrf(LAPACK_ROW_MAJOR, (int)n, (int)n, a, (int)lda, ipiv)
      : LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (int)n, (int)n, a, (int)lda, ipiv));
}

int ht_lapack_getri(ht_dtype t, int64_t n, void *a, int64_t lda, const int32_t *ipiv) {
  if (dims_ok("getri", n, n, lda)) return -1;
  if (n == 0) return 0;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("getri", t);
  const int bt = ht_blas_serial_begin();
  return info_of("getri", bt, t == HT_FLOAT32
      ? LAPACKE_sgetri(LAPACK_ROW_MAJOR, (int)n, a, (int)lda, ipiv)
      : LAPACKE_dgetri(LAPACK_ROW_MAJOR, (int)n, a, (int)lda, ipiv));
}

int ht_lapack_getrs(ht_dtype t, int64_t n, int64_t nrhs, const void *a, int64_t lda,
                    const int32_t *ipiv, void *b, int64_t ldb) {
  if (dims_ok("getrs", n, nrhs, ldb)) return -1;
  if (n == 0 || nrhs == 0) return 0;
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("getrs", t);
  const int bt = ht_blas_serial_begin();
  return info_of("getrs", bt, t == HT_FLOAT32
      ? LAPACKE_sgetrs(LAPACK_ROW_MAJOR, 'N', (int)n, (int)nrhs, a, (int)lda, ipiv, b, (int)ldb)
      : LAPACKE_dgetrs(LAPACK_ROW_MAJOR, 'N', (int)n, (int)nrhs, a, (int)lda, ipiv, b, (int)ldb));
}

int ht_lapack_trtrs(ht_dtype t, bool lower, int64_t n, int64_t nrhs, const void *a,
                    int64_t lda, void *b, int64_t ldb) {
  if (dims_ok("trtrs", n, nrhs, ldb)) return -1;
  if (n == 0 || nrhs == 0) return 0;
  char uplo = lower ? 'L' : 'U';
  if (t != HT_FLOAT32 && t != HT_FLOAT64) return bad_dtype("trtrs", t);
  const int bt = ht_blas_serial_begin();
  return info_of("trtrs", bt, t == HT_FLOAT32
      ? LAPACKE_strtrs(LAPACK_ROW_MAJOR, uplo, 'N', 'N', (int)n, (int)nrhs, a, (int)lda, b, (int)ldb)
      : LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, uplo, 'N', 'N', (int)n, (int)nrhs, a, (int)lda, b, (int)ldb));
}
