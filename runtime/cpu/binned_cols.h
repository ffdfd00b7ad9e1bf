/* The AVX-512 column kernel of exact float32 sums (runtime/cpu/binned_cols.c): plain double
 * sums of a block's columns and their exponent extremes, in one pass over each row. */
#ifndef HT_CPU_BINNED_COLS_H
#define HT_CPU_BINNED_COLS_H

#include <stdint.h>

/* Columns [0, w) of a row-major float32 block v[r*ld + l]: s[l] the plain double sum of
 * column l, mx[l] its largest |bits|, mn[l] its smallest nonzero |bits| (0x7fffffff when
 * none), as cpu/binned.c's plain_cols16_avx2 gives them (plain_ok decides there whether
 * s[l] is exact). Returns w when the CPU has AVX-512, else 0 (nothing written). */
int64_t ht_xacc_plain_cols_avx512(const float *v, int64_t ld, int64_t rows, int64_t w,
                                  double *s, uint32_t *mx, uint32_t *mn);
/* Whether the kernel runs where the CPU has AVX-512: on = 1 or 0 sets it, -1 only asks;
 * returns the setting before the call. The sums are exact either way (tests compare). */
int ht_xacc_cols_simd(int on);

#endif
