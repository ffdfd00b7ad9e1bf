/* The first and last rows of every long axis, gathered everywhere: what a repr shows. */
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "summary.h"

ht_array *ht_edges(const ht_array *a, int64_t edge, bool *cut) {
  int nd = a->ndim, p = ht_comm_size();
  int64_t oshape[HT_MAXDIM], *idx[HT_MAXDIM] = {0};
  ht_array *out = NULL, *all = NULL;
  int64_t *counts = ht_meta_calloc((size_t)p, sizeof(int64_t), "repr");
  int64_t *displs = ht_meta_calloc((size_t)p, sizeof(int64_t), "repr");
  for (int d = 0; d < nd; d++) {
    int64_t n = a->gshape[d];
    cut[d] = n > 2 * edge;
    oshape[d] = cut[d] ? 2 * edge : n;
    idx[d] = ht_meta_alloc(sizeof(int64_t) * (size_t)(oshape[d] + 1), "repr");
    for (int64_t i = 0; i < oshape[d]; i++) idx[d][i] = cut[d] && i >= edge ? n - 2 * edge + i : i;
  }
  if (a->split >= 0) { /* who owns which of the kept rows */
    ht_counts_to_displs(a->counts, p, displs);
    for (int64_t i = 0, r = 0; i < oshape[a->split]; i++) {
      while (idx[a->split][i] >= displs[r] + a->counts[r]) r++;
      counts[r]++;
    }
  }
  out = ht_array_new_agreed("repr", a->dtype, nd, oshape, a->split,
                            a->split >= 0 ? counts : NULL, HT_CPU);
  if (!out) goto done;
  {
    size_t item = ht_dtype_size(a->dtype);
    int64_t n = ht_array_lsize(out), first = 0, lstart = ht_array_lstart(a);
    if (a->split >= 0)
      for (int r = 0; r < ht_comm_rank(); r++) first += counts[r];
    char *dst = ht_array_data(out);
    const char *src = ht_array_data(a);
    for (int64_t k = 0; k < n; k++) {
      int64_t rem = k, off = 0;
      for (int d = nd - 1; d >= 0; d--) {
        int64_t i = rem % out->lshape[d];
        rem /= out->lshape[d];
        int64_t g = d == a->split ? idx[d][first + i] - lstart : idx[d][i];
        off += g * a->strides[d];
      }
      memcpy(dst + k * (int64_t)item, src + off * (int64_t)item, item);
    }
  }
  all = ht_resplit(out, -1);
done:
  for (int d = 0; d < nd; d++) free(idx[d]);
  free(counts), free(displs);
  ht_array_free(out);
  return all;
}
