/* Local matrix products that BLAS has no routine for: int64 GEMM (exact, wrapping like
 * NumPy's integer matmul). Matrices are strided: element (i, j) at i * rs + j * cs. */
#ifndef HT_CPU_MATMUL_H
#define HT_CPU_MATMUL_H

#include <stdint.h>

/* C (m x n, row stride ldc) += A (m x k) B (k x n). */
void ht_cpu_gemm_i64(int64_t m, int64_t n, int64_t k, const int64_t *a, int64_t ars,
                     int64_t acs, const int64_t *b, int64_t brs, int64_t bcs, int64_t *c,
                     int64_t ldc);

#endif
