/* The int64 GEMM kernel: BLAS has no integer routine, and going through float64 is exact
 * only below 2^53, so integer products run here, in unsigned arithmetic (wraps like NumPy). */
#include "matmul.h"

/* Blocks of B stay in cache while a panel of rows of A streams over them. */
#define KB 256
#define NB 512

void ht_cpu_gemm_i64(int64_t m, int64_t n, int64_t k, const int64_t *a, int64_t ars,
                     int64_t acs, const int64_t *b, int64_t brs, int64_t bcs, int64_t *c,
                     int64_t ldc) {
#pragma omp parallel for schedule(static) if (m * n * k > (1 << 20))
  for (int64_t i = 0; i < m; i++)
    for (int64_t j0 = 0; j0 < n; j0 += NB) {
      const int64_t nj = n - j0 < NB ? n - j0 : NB;
      uint64_t *restrict crow = (uint64_t *)c + i * ldc + j0;
      for (int64_t p0 = 0; p0 < k; p0 += KB) {
        const int64_t np = k - p0 < KB ? k - p0 : KB;
        for (int64_t p = p0; p < p0 + np; p++) {
          const uint64_t aip = (uint64_t)a[i * ars + p * acs];
          const int64_t *brow = b + p * brs + j0 * bcs;
          if (bcs == 1)
            for (int64_t j = 0; j < nj; j++) crow[j] += aip * (uint64_t)brow[j];
          else
            for (int64_t j = 0; j < nj; j++) crow[j] += aip * (uint64_t)brow[j * bcs];
        }
      }
    }
}
