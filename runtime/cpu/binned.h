/* Exact float64 accumulation (runtime/cpu/binned.c): a fixed-point superaccumulator that
 * holds any sum of doubles without rounding, and a binned block deposit in the spirit of
 * ReproBLAS that feeds it at vector speed. The sum is rounded once, correctly, at the end,
 * so it does not depend on the order of the terms: not on ranks, threads or blocking. */
#ifndef HT_CPU_BINNED_H
#define HT_CPU_BINNED_H

#include <stdbool.h>
#include <stdint.h>

/* 32-bit digits from 2^-1074 (the smallest subnormal) upwards, kept in int64 so that
 * 2^30 deposits fit before carries must move; the top digit holds the sign. */
enum { HT_XACC_DIGITS = 67, HT_XACC_BLOCK = 4096 };
/* float32 blocks of up to this many terms are first tried as plain double sums, exact
 * when their exponent range allows (cpu/binned.c, plain_ok): shorter blocks pass more. */
enum { HT_XACC_F32_PLAIN = 1024 };

typedef struct ht_xacc {
  int64_t d[HT_XACC_DIGITS];
  int64_t nan, pinf, ninf; /* counts of the specials seen */
  int64_t adds;            /* deposits since the last normalisation */
} ht_xacc;

/* Number of int64 words in an ht_xacc (its MPI datatype is that many MPI_INT64_T). */
#define HT_XACC_WORDS ((int)(sizeof(ht_xacc) / sizeof(int64_t)))

void ht_xacc_zero(ht_xacc *a);
/* a += x exactly (NaN and infinities are counted). */
void ht_xacc_add(ht_xacc *a, double x);
/* a += v[0] + ... + v[n-1] exactly, for any n. */
void ht_xacc_add_block(ht_xacc *a, const double *v, int64_t n);
/* The exact sum of v[0..n) (n <= HT_XACC_BLOCK) as two doubles hi + lo whose exact sum it
 * is, when the binned folds hold every bit (finite data within 2^27 of the block's
 * largest magnitude); returns 0 then, else -1 and the caller deposits element-wise. */
int ht_xacc_fold_block(const double *v, int64_t n, double *hi, double *lo);
/* The same for float32 terms, in double: a plain double sum (lo = 0) when n <=
 * HT_XACC_F32_PLAIN and the exponent range allows, else one fold; -1 when the block holds
 * zeros, subnormals or a wide range (convert to double and use ht_xacc_fold_block then). */
int ht_xacc_fold_block_f32(const float *v, int64_t n, double *hi, double *lo);
/* rows contiguous float32 rows of n <= HT_XACC_F32_PLAIN terms (row r at v + r * n):
 * s[r] is row r's exact sum where bad[r] is 0 (plain double sums, as above). */
void ht_xacc_plain_rows_f32(const float *v, int64_t n, int64_t rows, double *s,
                            unsigned char *bad);
/* The same for the w columns of a row-major block v[r*ld + l], rows <= HT_XACC_BLOCK:
 * hi[l] + lo[l] is column l's exact sum where bad[l] is 0. scratch holds 3*w doubles. */
void ht_xacc_fold_cols(const double *v, int64_t ld, int64_t rows, int64_t w, double *hi,
                       double *lo, unsigned char *bad, double *scratch);
/* The terms as read from the data, without a scratch copy: float64 or float32 (f32)
 * values, or with c given their squared deviations (x - c)^2 computed in double.
 * fold_terms: one fold of n <= HT_XACC_BLOCK terms (c: one centre), -1 when it cannot
 * hold every bit (make the terms as doubles and use ht_xacc_fold_block then).
 * fold_cols_terms: as ht_xacc_fold_cols (c: w centres, one per column). */
int ht_xacc_fold_terms(const void *v, bool f32, const double *c, int64_t n, double *hi,
                       double *lo);
void ht_xacc_fold_cols_terms(const void *v, bool f32, const double *c, int64_t ld,
                             int64_t rows, int64_t w, double *hi, double *lo,
                             unsigned char *bad, double *scratch);
/* a += the n terms v[0], v[ld], ... exactly (float64 or float32 values, or with c given
 * their squared deviations from *c): for a block the folds gave up on; the terms within
 * one fold's range of the largest are still folded, the rest go one by one. */
void ht_xacc_add_terms(ht_xacc *a, const void *v, bool f32, const double *c, int64_t ld,
                       int64_t n);
/* Carries moved so that digits 0..65 lie in [0, 2^32); the value is unchanged. */
void ht_xacc_normalize(ht_xacc *a);
/* a += b exactly; b must be normalised (as ht_xacc_normalize leaves it). */
void ht_xacc_merge(ht_xacc *a, const ht_xacc *b);
/* The correctly rounded (to nearest, ties to even) value; NaN when a NaN or both
 * infinities were seen, +-inf for one infinity or an exact sum beyond the double range. */
double ht_xacc_round(const ht_xacc *a);

/* ---- one pass that folds and runs (cumsum's blocks, cpu/scan.c; in cpu/binned_run.c) ---- */

/* Columns [0, w) of a row-major float64 or float32 (f32) block v[r*ld + l], rows <=
 * HT_XACC_BLOCK, in place: rows are taken in order while each of their terms lies within
 * its column's bound e[l] from an earlier block (|x| < 2^e[l], and no further below than
 * one fold allows; zeros, subnormals, NaN and infinities fail); each such row is folded
 * and run over: run[l] += x (in double), x = run[l] in the data's type. done[l]: the rows
 * taken (the same for each group of 8 columns; rows [done[l], rows) are left untouched),
 * hi[l] + lo[l]: their exact sum, mx[l]: their largest |x|. e[l] = INT32_MIN: none taken. */
void ht_xacc_fold_run_cols(void *v, bool f32, int64_t ld, int64_t rows, int64_t w,
                           const int32_t *e, double *run, double *hi, double *lo, double *mx,
                           int64_t *done);

#endif
