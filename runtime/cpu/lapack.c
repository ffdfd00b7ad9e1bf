/* The per-dtype LAPACKE wrapper: one switch per routine, so every local factorization goes
 * through here (and a CUDA backend can mirror this file with cuSOLVER). */
#include "lapack.h"

#include <lapacke.h>
#include <limits.h>

#include "../error.h"

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
static int info_of(const char *fn, lapack_int info) {
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
    return ht_error("%s: out of memory for LAPACK's workspace", fn);
  if (info < 0) return ht_error("%s: LAPACK rejected argument %d", fn, (int)-info);
  return (int)info;
}

int ht_lapack_geqrf(ht_dtype t, int64_t m, int64_t n, void *a, int64_t lda, void *tau) {
  if (dims_ok("geqrf", m, n, lda)) return -1;
  if (m == 0 || n == 0) return 0;
  /* column-major, a is the n x m transpose: its LQ is our QR (R^T = L) */
  switch (t) {
  case HT_FLOAT32:
    return info_of("geqrf", LAPACKE_sgelqf(LAPACK_COL_MAJOR, (int)n, (int)m, a, (int)lda, tau));
  case HT_FLOAT64:
    return info_of("geqrf", LAPACKE_dgelqf(LAPACK_COL_MAJOR, (int)n, (int)m, a, (int)lda, tau));
  default: return bad_dtype("geqrf", t);
  }
}

int ht_lapack_orgqr(ht_dtype t, int64_t m, int64_t k, void *a, int64_t lda, const void *tau) {
  if (dims_ok("orgqr", m, k, lda)) return -1;
  if (m == 0 || k == 0) return 0;
  switch (t) {
  case HT_FLOAT32:
    return info_of("orgqr",
                   LAPACKE_sorglq(LAPACK_COL_MAJOR, (int)k, (int)m, (int)k, a, (int)lda, tau));
  case HT_FLOAT64:
    return info_of("orgqr",
                   LAPACKE_dorglq(LAPACK_COL_MAJOR, (int)k, (int)m, (int)k, a, (int)lda, tau));
  default: return bad_dtype("orgqr", t);
  }
}

int ht_lapack_geqrf_cm(ht_dtype t, int64_t m, int64_t n, void *a, int64_t lda, void *tau) {
  if (dims_ok("geqrf", m, n, lda)) return -1;
  if (m == 0 || n == 0) return 0;
  switch (t) {
  case HT_FLOAT32:
    return info_of("geqrf", LAPACKE_sgeqrf(LAPACK_COL_MAJOR, (int)m, (int)n, a, (int)lda, tau));
  case HT_FLOAT64:
    return info_of("geqrf", LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (int)m, (int)n, a, (int)lda, tau));
  default: return bad_dtype("geqrf", t);
  }
}

int ht_lapack_orgqr_cm(ht_dtype t, int64_t m, int64_t k, void *a, int64_t lda, const void *tau) {
  if (dims_ok("orgqr", m, k, lda)) return -1;
  if (m == 0 || k == 0) return 0;
  switch (t) {
  case HT_FLOAT32:
    return info_of("orgqr",
                   LAPACKE_sorgqr(LAPACK_COL_MAJOR, (int)m, (int)k, (int)k, a, (int)lda, tau));
  case HT_FLOAT64:
    return info_of("orgqr",
                   LAPACKE_dorgqr(LAPACK_COL_MAJOR, (int)m, (int)k, (int)k, a, (int)lda, tau));
  default: return bad_dtype("orgqr", t);
  }
}

int ht_lapack_gesdd(ht_dtype t, char jobz, int64_t m, int64_t n, void *a, int64_t lda,
                    void *s, void *u, int64_t ldu, void *vt, int64_t ldvt) {
  if (dims_ok("gesdd", m, n, lda)) return -1;
  if (m == 0 || n == 0) return 0;
  int iu = ldu < 1 ? 1 : (int)ldu, iv = ldvt < 1 ? 1 : (int)ldvt;
  switch (t) {
  case HT_FLOAT32:
    return info_of("gesdd", LAPACKE_sgesdd(LAPACK_ROW_MAJOR, jobz, (int)m, (int)n, a,
                                           (int)lda, s, u, iu, vt, iv));
  case HT_FLOAT64:
    return info_of("gesdd", LAPACKE_dgesdd(LAPACK_ROW_MAJOR, jobz, (int)m, (int)n, a,
                                           (int)lda, s, u, iu, vt, iv));
  default: return bad_dtype("gesdd", t);
  }
}

int ht_lapack_syevd(ht_dtype t, bool vectors, int64_t n, void *a, int64_t lda, void *w) {
  if (dims_ok("syevd", n, n, lda)) return -1;
  if (n == 0) return 0;
  char jobz = vectors ? 'V' : 'N';
  switch (t) {
  case HT_FLOAT32:
    return info_of("syevd", LAPACKE_ssyevd(LAPACK_ROW_MAJOR, jobz, 'L', (int)n, a, (int)lda, w));
  case HT_FLOAT64:
    return info_of("syevd", LAPACKE_dsyevd(LAPACK_ROW_MAJOR, jobz, 'L', (int)n, a, (int)lda, w));
  default: return bad_dtype("syevd", t);
  }
}

int ht_lapack_getrf(ht_dtype t, int64_t n, void *a, int64_t lda, int32_t *ipiv) {
  if (dims_ok("getrf", n, n, lda)) return -1;
  if (n == 0) return 0;
  switch (t) {
  case HT_FLOAT32:
    return info_of("getrf", LAPACKE_sgetrf(LAPACK_ROW_MAJOR, (int)n, (int)n, a, (int)lda, ipiv));
  case HT_FLOAT64:
    return info_of("getrf", LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (int)n, (int)n, a, (int)lda, ipiv));
  default: return bad_dtype("getrf", t);
  }
}

int ht_lapack_getri(ht_dtype t, int64_t n, void *a, int64_t lda, const int32_t *ipiv) {
  if (dims_ok("getri", n, n, lda)) return -1;
  if (n == 0) return 0;
  switch (t) {
  case HT_FLOAT32:
    return info_of("getri", LAPACKE_sgetri(LAPACK_ROW_MAJOR, (int)n, a, (int)lda, ipiv));
  case HT_FLOAT64:
    return info_of("getri", LAPACKE_dgetri(LAPACK_ROW_MAJOR, (int)n, a, (int)lda, ipiv));
  default: return bad_dtype("getri", t);
  }
}

int ht_lapack_getrs(ht_dtype t, int64_t n, int64_t nrhs, const void *a, int64_t lda,
                    const int32_t *ipiv, void *b, int64_t ldb) {
  if (dims_ok("getrs", n, nrhs, ldb)) return -1;
  if (n == 0 || nrhs == 0) return 0;
  switch (t) {
  case HT_FLOAT32:
    return info_of("getrs", LAPACKE_sgetrs(LAPACK_ROW_MAJOR, 'N', (int)n, (int)nrhs, a,
                                           (int)lda, ipiv, b, (int)ldb));
  case HT_FLOAT64:
    return info_of("getrs", LAPACKE_dgetrs(LAPACK_ROW_MAJOR, 'N', (int)n, (int)nrhs, a,
                                           (int)lda, ipiv, b, (int)ldb));
  default: return bad_dtype("getrs", t);
  }
}

int ht_lapack_trtrs(ht_dtype t, bool lower, int64_t n, int64_t nrhs, const void *a,
                    int64_t lda, void *b, int64_t ldb) {
  if (dims_ok("trtrs", n, nrhs, ldb)) return -1;
  if (n == 0 || nrhs == 0) return 0;
  char uplo = lower ? 'L' : 'U';
  switch (t) {
  case HT_FLOAT32:
    return info_of("trtrs", LAPACKE_strtrs(LAPACK_ROW_MAJOR, uplo, 'N', 'N', (int)n, (int)nrhs,
                                           a, (int)lda, b, (int)ldb));
  case HT_FLOAT64:
    return info_of("trtrs", LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, uplo, 'N', 'N', (int)n, (int)nrhs,
                                           a, (int)lda, b, (int)ldb));
  default: return bad_dtype("trtrs", t);
  }
}
