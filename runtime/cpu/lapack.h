/* The per-dtype door to LAPACKE for local factorizations (float32, float64), in the style
 * of blas.h: every matrix is row-major with a leading dimension, each routine is one switch
 * on the dtype and returns LAPACK's info (0 fine, > 0 numerical failure), or -1 with
 * ht_error set for a dtype or size LAPACK cannot take. */
#ifndef HT_CPU_LAPACK_H
#define HT_CPU_LAPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "../dtype.h"

/* QR of the m x n matrix a: R in the upper triangle, Householder vectors below, tau has
 * min(m, n) entries. Runs in place with no transposed copy (a row-major matrix is the
 * column-major transpose, whose LQ factorization is this QR). */
int ht_lapack_geqrf(ht_dtype t, int64_t m, int64_t n, void *a, int64_t lda, void *tau);
/* Overwrites the first k columns of a (m x k, k <= m) with Q from ht_lapack_geqrf. */
int ht_lapack_orgqr(ht_dtype t, int64_t m, int64_t k, void *a, int64_t lda, const void *tau);
/* The same two for a column-major m x n matrix a (m >= n, ld lda >= m): LAPACK's blocked
 * geqrf/orgqr of a tall panel (BLAS-3), where the row-major pair above runs the LQ of a wide
 * matrix, which for few rows is LAPACK's unblocked BLAS-2 code. */
int ht_lapack_geqrf_cm(ht_dtype t, int64_t m, int64_t n, void *a, int64_t lda, void *tau);
int ht_lapack_orgqr_cm(ht_dtype t, int64_t m, int64_t k, void *a, int64_t lda, const void *tau);
/* SVD of the m x n matrix a (destroyed): s has min(m, n) values, descending. jobz 'S'
 * (u m x k, vt k x n, k = min(m, n)), 'A' (u m x m, vt n x n) or 'N' (u, vt unused). */
int ht_lapack_gesdd(ht_dtype t, char jobz, int64_t m, int64_t n, void *a, int64_t lda,
                    void *s, void *u, int64_t ldu, void *vt, int64_t ldvt);
/* Eigenvalues w (ascending) of the symmetric n x n matrix a, read from its lower
 * triangle (NumPy's UPLO='L'); with vectors, a's columns become the eigenvectors. */
int ht_lapack_syevd(ht_dtype t, bool vectors, int64_t n, void *a, int64_t lda, void *w);
/* LU with partial pivoting of the n x n matrix a; ipiv has n entries (1-based rows). */
int ht_lapack_getrf(ht_dtype t, int64_t n, void *a, int64_t lda, int32_t *ipiv);
/* Inverse from ht_lapack_getrf's factors, in place. */
int ht_lapack_getri(ht_dtype t, int64_t n, void *a, int64_t lda, const int32_t *ipiv);
/* Solves A X = B with ht_lapack_getrf's factors; b is n x nrhs, overwritten by X. */
int ht_lapack_getrs(ht_dtype t, int64_t n, int64_t nrhs, const void *a, int64_t lda,
                    const int32_t *ipiv, void *b, int64_t ldb);
/* Solves the triangular system A X = B (lower or upper a, n x n); b is n x nrhs. */
int ht_lapack_trtrs(ht_dtype t, bool lower, int64_t n, int64_t nrhs, const void *a,
                    int64_t lda, void *b, int64_t ldb);

#endif
