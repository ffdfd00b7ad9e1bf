/* Array manipulation (Heat's manipulations module): shape changes, joining and splitting,
 * reordering, scans, sorting and set operations on distributed arrays. Every function is
 * collective; all return NULL (or -1) with ht_errmsg() set on bad input, identically on
 * every rank. Axes are 0-based; negative ones count from the end. */
#ifndef HT_MANIPULATION_H
#define HT_MANIPULATION_H

#include <mpi.h>

#include "array.h"

/* new_split of ht_reshape: Heat's default (a's split if the number of dimensions stays,
 * else 0; a replicated array stays replicated). */
#define HT_SPLIT_DEFAULT (-2)

/* ---- shapes (runtime/ops/reshape.c) ---- */
/* shape may hold one -1 (inferred). new_split: an axis of the result, -1 (replicated) or
 * HT_SPLIT_DEFAULT. A replicated or row-compatible reshape moves no data; otherwise one
 * all-to-all over global flat index ranges (two when a split is not the leading axis). */
ht_array *ht_reshape(const ht_array *a, int ndim, const int64_t *shape, int new_split);
/* 1-D copy; split 0 when a is split (Heat). */
ht_array *ht_flatten(const ht_array *a);
/* Views: they share a's buffer. axes NULL reverses them; the split moves with its axis. */
ht_array *ht_transpose(const ht_array *a, const int *axes);
ht_array *ht_swapaxes(const ht_array *a, int axis1, int axis2);
/* naxes 0: every length-1 axis. Squeezing the split axis replicates the result. */
ht_array *ht_squeeze(const ht_array *a, int naxes, const int *axes);
ht_array *ht_expand_dims(const ht_array *a, int axis);

/* ---- joining and splitting (runtime/ops/join.c) ---- */
/* Heat's split rules: all replicated -> replicated; split along another axis than `axis`
 * -> that split, with the first split input's counts (no data moves when the split inputs
 * share their counts); split along `axis` -> split there, balanced. Differing splits are
 * an error. dtypes promote like NumPy. */
ht_array *ht_concatenate(int n, const ht_array *const *arrays, int axis);
ht_array *ht_stack(int n, const ht_array *const *arrays, int axis);
ht_array *ht_hstack(int n, const ht_array *const *arrays);
ht_array *ht_vstack(int n, const ht_array *const *arrays);
ht_array *ht_column_stack(int n, const ht_array *const *arrays);
/* NumPy's split: sections > 0 cuts into that many equal parts (an error if they are not
 * equal); otherwise nidx indices give the cuts. out receives views (sections, or nidx+1
 * of them); returns their number or -1. Along the split axis the parts keep each rank's
 * rows (unbalanced, no data moves). */
int ht_split(const ht_array *a, int64_t sections, int nidx, const int64_t *indices, int axis,
             ht_array **out);

/* ---- reordering (runtime/ops/reorder.c) ---- */
/* naxes 0: every axis. Along the split axis the ranks swap blocks (counts reverse). */
ht_array *ht_flip(const ht_array *a, int naxes, const int *axes);
/* naxes 0: roll the flattened array by shifts[0] (NumPy's axis=None). */
ht_array *ht_roll(const ht_array *a, int naxes, const int64_t *shifts, const int *axes);
/* nrep 1: every element repeated repeats[0] times, else one count per index along axis.
 * axis -1: the flattened array (NumPy's axis=None). */
ht_array *ht_repeat(const ht_array *a, int64_t nrep, const int64_t *repeats, int axis);
/* The same with the counts in a 0-d or 1-D integer array (gathered on every rank). */
ht_array *ht_repeat_array(const ht_array *a, const ht_array *repeats, int axis);
ht_array *ht_tile(const ht_array *a, int nreps, const int64_t *reps);
/* width[d] = {before, after} for each of a's axes; constant mode. Along the split axis the
 * first rank takes the leading pad and the last rank the trailing one (no data moves). */
ht_array *ht_pad(const ht_array *a, const int64_t (*width)[2], double value);

/* ---- scans and differences (runtime/ops/scan.c) ---- */
/* t HT_NDTYPES: NumPy's dtype (bool and ints -> int64, floats keep theirs). axis
 * HT_AXIS_NONE: the flattened array (NumPy's axis=None). */
#define HT_AXIS_NONE INT32_MIN
ht_array *ht_cumsum(const ht_array *a, int axis, ht_dtype t);
ht_array *ht_cumprod(const ht_array *a, int axis, ht_dtype t);
/* n-th discrete difference along axis (bool: not_equal, as NumPy). */
ht_array *ht_diff(const ht_array *a, int64_t n, int axis);

/* ---- sorting (runtime/ops/sort.c) ---- */
/* Sorts along axis (the split axis too: a sample sort), ascending or descending, NaN
 * last when ascending and first when descending; equal values keep their index order.
 * values (a's dtype) and indices (int64, global along axis) have a's shape and counts;
 * either pointer may be NULL. 0 or -1. */
int ht_sort(const ht_array *a, int axis, bool descending, ht_array **values,
            ht_array **indices);
ht_array *ht_argsort(const ht_array *a, int axis, bool descending);
/* torch/Heat topk: the k largest (or smallest) along axis, in order. Along the split
 * axis the result is replicated. */
int ht_topk(const ht_array *a, int64_t k, int axis, bool largest, ht_array **values,
            ht_array **indices);

/* ---- sets (runtime/ops/unique.c) ---- */
/* Sorted unique values of the flattened array (replicated), and optionally the inverse
 * (int64, a's shape and distribution: unique[inverse] == a) and counts (int64, like
 * values). NaNs count as one value. 0 or -1. */
int ht_unique(const ht_array *a, ht_array **values, ht_array **inverse, ht_array **counts);
/* Heat's nonzero: an (nnz, ndim) int64 array of the indices of nonzero elements in C
 * order; split 0 when a is split. */
ht_array *ht_nonzero(const ht_array *a);

#endif
