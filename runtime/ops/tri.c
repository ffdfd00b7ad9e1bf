/* Triangles and diagonals of distributed matrices (tril, triu, trace): each rank works on
 * its chunk by global row and column indices, so no data moves; trace adds one allreduce. */
#include <string.h>

#include "../comm.h"
#include "../linalg.h"

ht_array *ht_tri(const ht_array *a, int64_t k, bool upper) {
  const char *fn = upper ? "triu" : "tril";
  const int nd = a->ndim;
  char sh[128];
  if (nd < 2)
    return ht_error("%s: input must be at least 2-D, got %d-D, shape %s (split %d, dtype %s; "
                    "NumPy's 1-D form is not supported)", fn, nd,
                    ht_fmt_shape(sh, sizeof sh, nd, a->gshape), a->split,
                    ht_dtype_name(a->dtype)), NULL;
  if (a->device != HT_CPU) return ht_error("%s: arrays on device gpu are not supported yet", fn), NULL;
  ht_array *out = ht_copy(a); /* contiguous, same distribution */
  if (!out) return NULL;
  const int64_t R = out->lshape[nd - 2], C = out->lshape[nd - 1];
  const int64_t r0 = a->split == nd - 2 ? ht_array_lstart(a) : 0;
  const int64_t c0 = a->split == nd - 1 ? ht_array_lstart(a) : 0;
  const size_t item = ht_dtype_size(a->dtype);
  const int64_t nb = R > 0 && C > 0 ? ht_array_lsize(out) / (R * C) : 0;
  char *p = ht_array_data(out);
  /* tril keeps global j - i <= k, triu keeps j - i >= k; zero bits are 0 in every dtype */
  for (int64_t b = 0; b < nb; b++)
    for (int64_t i = 0; i < R; i++) {
      int64_t edge = r0 + i + k - c0; /* local column of the diagonal k on this row */
      int64_t lo = upper ? 0 : edge + 1, hi = upper ? edge : C;
      lo = lo < 0 ? 0 : lo > C ? C : lo;
      hi = hi < 0 ? 0 : hi > C ? C : hi;
      if (hi > lo) memset(p + (size_t)((b * R + i) * C + lo) * item, 0, (size_t)(hi - lo) * item);
    }
  return out;
}

ht_array *ht_trace(const ht_array *a, int64_t offset) {
  char sh[128];
  if (a->ndim != 2)
    return ht_error("trace: only 2-D arrays are supported, got %d-D, shape %s (split %d, dtype %s)",
                    a->ndim, ht_fmt_shape(sh, sizeof sh, a->ndim, a->gshape), a->split,
                    ht_dtype_name(a->dtype)), NULL;
  if (a->device != HT_CPU) return ht_error("trace: arrays on device gpu are not supported yet"), NULL;
  const bool fl = ht_dtype_is_float(a->dtype);
  const ht_dtype acc_t = fl ? HT_FLOAT64 : HT_INT64;
  /* NumPy: the sum of bool and ints is int64, floats keep their dtype */
  const int64_t none[1] = {0};
  ht_array *out = ht_array_empty(fl ? a->dtype : HT_INT64, 0, none, -1, HT_CPU);
  if (!out) return NULL;
  const int64_t r0 = a->split == 0 ? ht_array_lstart(a) : 0, c0 = a->split == 1 ? ht_array_lstart(a) : 0;
  const size_t item = ht_dtype_size(a->dtype);
  const char *p = ht_array_data(a);
  double sf = 0;
  int64_t si = 0;
  for (int64_t i = 0; i < a->lshape[0]; i++) {
    const int64_t j = r0 + i + offset - c0;
    if (j < 0 || j >= a->lshape[1]) continue;
    const char *e = p + (size_t)(i * a->strides[0] + j * a->strides[1]) * item;
    if (fl) sf += ht_get_f64(a->dtype, e);
    else si += ht_get_i64(a->dtype, e);
  }
  int rc = 0;
  if (a->split >= 0) rc = ht_comm_allreduce(fl ? (void *)&sf : (void *)&si, 1, acc_t, MPI_SUM);
  if (rc) return ht_array_free(out), NULL;
  ht_cast(acc_t, fl ? (void *)&sf : (void *)&si, 0, out->dtype, ht_array_data(out), 0, 1);
  return out;
}
