/* The AVX-512 row kernel of exact sums (runtime/cpu/binned_rows.c): short contiguous rows
 * of float64 terms, or squared deviations of float64 or float32, eight rows at a time. */
#ifndef HT_CPU_BINNED_ROWS_H
#define HT_CPU_BINNED_ROWS_H

#include <stdbool.h>
#include <stdint.h>

/* Rows [0, rows) of n terms each (row r at v + r * n, float64 or float32 (f32) values, or
 * with c given their squared deviations (x - c[r])^2 in double; f32 only with c), n <=
 * HT_XACC_BLOCK: hi[r] + lo[r] is row r's exact sum where bad[r] is 0 (one fold held every
 * bit), else the caller takes the generic path for that row. Returns rows when the CPU has
 * AVX-512 and the kernel is on, else 0 (nothing written). */
int64_t ht_xacc_rows_avx512(const void *v, bool f32, const double *c, int64_t n,
                            int64_t rows, double *hi, double *lo, unsigned char *bad);
/* Plain float32 row sums, as ht_xacc_plain_rows_f32 (n <= HT_XACC_F32_PLAIN): s[r] is row
 * r's exact sum where bad[r] is 0, the same flags. Returns rows when the kernel runs (as
 * above), else 0 (nothing written). */
int64_t ht_xacc_plain_rows_avx512(const float *v, int64_t n, int64_t rows, double *s,
                                  unsigned char *bad);
/* Whether the kernels run where the CPU has AVX-512: on = 1 or 0 sets it, -1 only asks;
 * returns the setting before the call. The sums are exact either way (tests compare). */
int ht_xacc_rows_simd(int on);

#endif
