/* The public C API of linear algebra on distributed arrays: matrix products and the small
 * linalg functions (the decompositions have their own header, decomp.h). Every function is
 * collective; all return NULL with ht_errmsg() set on bad input, identically on every rank. */
#ifndef HT_LINALG_H
#define HT_LINALG_H

#include "array.h"

/* ---- products (runtime/ops/matmul.c) ---- */
/* NumPy's matmul: 1-D operands are promoted to a row (a) or a column (b) and the added axis
 * dropped again; >2-D operands are stacks of matrices whose batch axes broadcast. dtypes
 * promote as NumPy (int @ int stays int, exact and wrapping; bool @ bool is bool).
 * Result split (Heat): a's split if a is split, else b's (00->0, 01->0, 11->1, 10->1,
 * 0.None->0, None.1->1, None.0->0, 1.None->1); a vector result is split 0 when either
 * operand is split; vector . vector is replicated. */
ht_array *ht_matmul(const ht_array *a, const ht_array *b);
/* NumPy's dot: scalars multiply, up to 2-D it is matmul, N-D . 1-D sums over the last
 * axis of a; N-D . M-D (M >= 2) is not supported yet. */
ht_array *ht_dot(const ht_array *a, const ht_array *b);

/* ---- triangles and diagonals (runtime/ops/tri.c) ---- */
/* NumPy's tril (upper false: keep j - i <= k) and triu (upper: keep j - i >= k) on the last
 * two axes, any split; a copy with a's distribution. */
ht_array *ht_tri(const ht_array *a, int64_t k, bool upper);
/* Sum of the diagonal `offset` of a 2-D array: a 0-d replicated array (ints give int64). */
ht_array *ht_trace(const ht_array *a, int64_t offset);

#endif
