/* The one per-dtype door to OpenBLAS/LAPACKE for local linear algebra (float32, float64).
 * Callers convert integer inputs first (NumPy promotes them); every matrix is row-major
 * with a leading dimension, as CBLAS takes it. LAPACK routines return LAPACK's info. */
#ifndef HT_CPU_BLAS_H
#define HT_CPU_BLAS_H

#include <stdbool.h>
#include <stdint.h>

#include "../dtype.h"

/* C = alpha * op(A) op(B) + beta * C; op(A) is m x k, op(B) k x n. 0, or -1 (dtype). */
int ht_blas_gemm(ht_dtype t, bool transa, bool transb, int64_t m, int64_t n, int64_t k,
                 double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                 double beta, void *c, int64_t ldc);
/* Upper triangle of C (n x n) = alpha * op(A) op(A)^T + beta * C, with op(A) n x k
 * (trans: A is k x n, so C = alpha A^T A + beta C). Call ht_blas_symmetrize after. */
int ht_blas_syrk(ht_dtype t, bool trans, int64_t n, int64_t k, double alpha, const void *a,
                 int64_t lda, double beta, void *c, int64_t ldc);
/* Copies the upper triangle of the n x n matrix c onto its lower one. */
void ht_blas_symmetrize(ht_dtype t, int64_t n, void *c, int64_t ldc);
/* y = alpha * op(A) x + beta * y; A is m x n (row-major). */
int ht_blas_gemv(ht_dtype t, bool trans, int64_t m, int64_t n, double alpha, const void *a,
                 int64_t lda, const void *x, int64_t incx, double beta, void *y, int64_t incy);
/* sum x[i] y[i], accumulated in float64 for float32 (dsdot). */
double ht_blas_dot(ht_dtype t, int64_t n, const void *x, int64_t incx, const void *y,
                   int64_t incy);

/* OpenBLAS's own thread count. A kernel that calls BLAS from inside its OpenMP threads sets
 * it to 1 around that region and restores it: OpenBLAS's threads spinning beside OpenMP's
 * made the k-means step 10x slower on a 2-core node. */
int ht_blas_threads(void);
void ht_blas_set_threads(int n);
/* OpenBLAS on one thread until ht_blas_serial_end(the value returned), outside OpenMP
 * regions (nothing inside one): the bits of a BLAS/LAPACK call then do not depend on the
 * thread count. Every routine here and in lapack.c brackets its OpenBLAS calls so. */
int ht_blas_serial_begin(void);
void ht_blas_serial_end(int bt);

#endif
