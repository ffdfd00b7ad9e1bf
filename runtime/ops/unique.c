/* Set-like operations: unique (local unique values and counts, gathered and merged on
 * every rank) and nonzero (Heat's (nnz, ndim) index array). */
#include <stdlib.h>

#include "../manipulation.h"
#include "manip_util.h"
#include "sortkeys.h"

/* Collapses equal keys of the sorted run kv[0..n) into (key, count) pairs, where the
 * count is kv's idx when `weighted`, else 1. Returns the number of pairs. */
static int64_t collapse(const ht_kv *kv, int64_t n, bool weighted, ht_kv *out) {
  int64_t m = 0;
  for (int64_t j = 0; j < n; j++) {
    int64_t w = weighted ? kv[j].idx : 1;
    if (m > 0 && out[m - 1].key == kv[j].key) out[m - 1].idx += w;
    else out[m++] = (ht_kv){kv[j].key, w};
  }
  return m;
}

/* Every rank's (key, count) pairs, gathered on every rank and merged. */
static int merge_ranks(ht_kv **uniq, int64_t *nu) {
  int p = ht_comm_size();
  int64_t *w = malloc(sizeof(int64_t) * 4 * (size_t)p), total = 0, mine = *nu;
  if (ht_comm_agree(w ? 0 : ht_error("unique: out of memory"))) return free(w), -1;
  int64_t *n = w, *one = w + p, *at = w + 2 * p, *rd = w + 3 * p;
  for (int q = 0; q < p; q++) one[q] = 8, at[q] = 8 * q;
  int status = ht_comm_allgatherv(&mine, 8, n, one, at);
  for (int q = 0; q < p && !status; q++)
    rd[q] = total * (int64_t)sizeof(ht_kv), total += n[q], n[q] *= (int64_t)sizeof(ht_kv);
  ht_kv *all = status ? NULL : malloc(sizeof(ht_kv) * (size_t)(2 * total + 1));
  if (!status && (status = ht_comm_agree(all ? 0 : ht_error("unique: out of memory")))) goto done;
  if (status || (status = ht_comm_allgatherv(*uniq, mine * (int64_t)sizeof(ht_kv), all, n, rd)))
    goto done;
  ht_sort_kv(all, total, all + total);
  ht_kv *merged = realloc(*uniq, sizeof(ht_kv) * (size_t)(total + 1));
  if (!merged) {
    status = ht_error("unique: out of memory");
    goto done;
  }
  *uniq = merged;
  *nu = collapse(all, total, true, merged);
done:
  free(all), free(w);
  return status;
}

int ht_unique(const ht_array *a, ht_array **values, ht_array **inverse, ht_array **counts) {
  if (ht_require_host(a, "unique")) return -1;
  ht_array *ca = ht_contiguous(a), *v = NULL, *inv = NULL, *cnt = NULL;
  int64_t c = ht_array_lsize(a), nu = 0;
  ht_kv *kv = malloc(sizeof(ht_kv) * (size_t)(2 * c + 1)), *uniq = malloc(sizeof(ht_kv) * (size_t)(c + 1));
  int distributed = a->split >= 0 && ht_comm_size() > 1;
  int status = !ca || !kv || !uniq ? ht_error("unique: out of memory") : 0;
  if (distributed) status = ht_comm_agree(status);
  if (status) goto done;
  ht_keys_encode(a->dtype, ht_array_data(ca), 1, c, false, 0, kv);
  ht_sort_kv(kv, c, kv + c);
  nu = collapse(kv, c, false, uniq);
  if (distributed && (status = merge_ranks(&uniq, &nu))) goto done;
  v = ht_array_empty(a->dtype, 1, &nu, -1, a->device);
  if (counts) cnt = ht_array_empty(HT_INT64, 1, &nu, -1, a->device);
  if (inverse) inv = ht_array_empty_counts(HT_INT64, a->ndim, a->gshape, a->split, a->counts, a->device);
  if (!v || (counts && !cnt) || (inverse && !inv)) {
    status = -1;
    goto done;
  }
  ht_keys_decode(a->dtype, uniq, nu, false, ht_array_data(v));
  for (int64_t j = 0; cnt && j < nu; j++) ((int64_t *)ht_array_data(cnt))[j] = uniq[j].idx;
  if (inv) { /* my sorted elements walk the sorted unique keys once */
    int64_t *out = ht_array_data(inv), u = 0;
    for (int64_t j = 0; j < c; j++) {
      while (uniq[u].key != kv[j].key) u++;
      out[kv[j].idx] = u;
    }
  }
done:
  free(kv), free(uniq);
  ht_array_free(ca);
  if (status) {
    ht_array_free(v), ht_array_free(inv), ht_array_free(cnt);
    return -1;
  }
  *values = v;
  if (inverse) *inverse = inv;
  if (counts) *counts = cnt;
  return 0;
}

/* ---- nonzero ---- */

#define FIND(T)                                                              \
  do {                                                                       \
    const T *x = data;                                                       \
    for (int64_t j = 0; j < n; j++)                                          \
      if (x[j] != 0) {                                                       \
        if (pos) pos[m] = j;                                                 \
        m++;                                                                 \
      }                                                                      \
  } while (0)

/* Flat positions of the nonzero elements of n contiguous values (pos NULL: count). */
static int64_t find_nonzero(ht_dtype t, const void *data, int64_t n, int64_t *pos) {
  int64_t m = 0;
  switch (t) {
    case HT_BOOL: FIND(bool); break;
    case HT_UINT8: FIND(uint8_t); break;
    case HT_INT8: FIND(int8_t); break;
    case HT_INT16: FIND(int16_t); break;
    case HT_INT32: FIND(int32_t); break;
    case HT_INT64: FIND(int64_t); break;
    case HT_FLOAT32: FIND(float); break; /* NaN != 0: nonzero, as NumPy */
    case HT_FLOAT64: FIND(double); break;
    default: break;
  }
  return m;
}
#undef FIND

ht_array *ht_nonzero(const ht_array *a) {
  if (ht_require_host(a, "nonzero")) return NULL;
  if (a->ndim == 0)
    return ht_error("nonzero: calling nonzero on 0d arrays is not allowed, use "
                    "atleast_1d(scalar):nonzero() instead"), NULL;
  int p = ht_comm_size();
  /* C order across ranks needs rows split: rank order is then global order */
  ht_array *b = a->split > 0 ? ht_resplit(a, 0) : ht_contiguous(a);
  ht_array *cb = b ? ht_contiguous(b) : NULL, *out = NULL;
  ht_array_free(b);
  int64_t n = cb ? ht_array_lsize(cb) : 0, m = cb ? find_nonzero(cb->dtype, ht_array_data(cb), n, NULL) : 0;
  int64_t *pos = malloc(sizeof(int64_t) * (size_t)(m + 1)), *w = malloc(sizeof(int64_t) * 3 * (size_t)p);
  int split = cb && cb->split == 0 ? 0 : -1;
  int status = !cb || !pos || !w ? ht_error("nonzero: out of memory") : 0;
  if (a->split >= 0) status = ht_comm_agree(status);
  if (status) goto done;
  int64_t *cnt = w, *one = w + p, *at = w + 2 * p, gshape[2] = {m, a->ndim};
  if (split == 0) {
    for (int q = 0; q < p; q++) one[q] = 8, at[q] = 8 * q;
    if (ht_comm_allgatherv(&m, 8, cnt, one, at)) goto done;
    gshape[0] = ht_rank_lo(cnt, p);
  }
  out = ht_array_empty_counts(HT_INT64, 2, gshape, split, split == 0 ? cnt : NULL, a->device);
  if (split == 0 ? ht_comm_agree(out ? 0 : -1) : !out) {
    ht_array_free(out), out = NULL;
    goto done;
  }
  find_nonzero(cb->dtype, ht_array_data(cb), n, pos);
  int64_t *ix = ht_array_data(out), lstart = ht_array_lstart(cb);
  for (int64_t j = 0; j < m; j++) { /* flat position -> multi-index, global along split */
    int64_t r = pos[j];
    for (int d = cb->ndim - 1; d >= 0; d--) {
      ix[j * cb->ndim + d] = r % cb->lshape[d] + (d == split ? lstart : 0);
      r /= cb->lshape[d];
    }
  }
done:
  free(pos), free(w);
  ht_array_free(cb);
  return out;
}
