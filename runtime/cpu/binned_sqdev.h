/* The AVX-512 column kernel of exact squared-deviation sums (runtime/cpu/binned_sqdev.c):
 * the second pass of var/std along axis 0, every column folded in one pass over the rows. */
#ifndef HT_CPU_BINNED_SQDEV_H
#define HT_CPU_BINNED_SQDEV_H

#include <stdbool.h>
#include <stdint.h>

/* Columns [0, w) of a row-major float32 (f32) or float64 block v[r*ld + l], 0 < rows <=
 * HT_XACC_BLOCK, the terms (x - c[l])^2 in double: hi[l] + lo[l] is column l's exact sum
 * where bad[l] is 0 (one fold held every bit), else the caller takes the generic path for
 * that column. Returns w when the CPU has AVX-512 and the kernel is on, else 0 (nothing
 * written). */
int64_t ht_xacc_sqdev_cols_avx512(const void *v, bool f32, const double *c, int64_t ld,
                                  int64_t rows, int64_t w, double *hi, double *lo,
                                  unsigned char *bad);
/* Whether the kernel runs where the CPU has AVX-512: on = 1 or 0 sets it, -1 only asks;
 * returns the setting before the call. The sums are exact either way (tests compare). */
int ht_xacc_sqdev_simd(int on);

#endif
