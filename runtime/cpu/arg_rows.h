/* The AVX-512 row kernel of float32 argmin/argmax (runtime/cpu/arg_rows.c): rows of up
 * to 64 elements, sixteen rows at a time. */
#ifndef HT_CPU_ARG_ROWS_H
#define HT_CPU_ARG_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "reduce.h"

/* Longest row the kernel takes. */
enum { HT_ARG_ROWS_MAX = 64 };

/* Rows [0, rows) of n elements (row q at p + q * ld, 1 <= n <= HT_ARG_ROWS_MAX): out[q] =
 * the row's extreme (as double) and r0 + its first position; a row holding a NaN gives
 * NaN and its first NaN (NumPy's argmin/argmax; -0.0 ties with 0.0). Returns rows when
 * the CPU has AVX-512 and the kernel is on, else 0 (nothing written). */
int64_t ht_arg_rows_avx512(bool is_max, const float *p, int64_t ld, int64_t n, int64_t rows,
                           int64_t r0, ht_argacc *out);
/* Whether the kernel runs where the CPU has AVX-512: on = 1 or 0 sets it, -1 only asks;
 * returns the setting before the call (tests compare it with the generic path). */
int ht_arg_rows_simd(int on);

#endif
