/* Sorting: sort, argsort and topk. Lanes off the split axis sort locally; a 1-D array
 * split along the sorted axis goes through a sample sort (local sort, splitters from
 * regular samples, one all-to-all, local sort of the received runs, rebalance); an n-d
 * one is resplit along another axis, sorted locally and resplit back. */
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../cpu/sortnet.h"
#include "../manipulation.h"
#include "manip_util.h"
#include "sortkeys.h"

/* Copies the values at lane positions idx[j] - base (gathered by the sorted order). */
#define GATHER(T)                                                                      \
  do {                                                                                 \
    const T *s = src;                                                                  \
    T *d = dst;                                                                        \
    for (int64_t j = 0; j < k; j++) d[j * stride] = s[(kv[j].idx - base) * stride];    \
  } while (0)

static void gather_lane(size_t item, const void *src, void *dst, int64_t stride,
                        const ht_kv *kv, int64_t k, int64_t base) {
  switch (item) {
    case 1: GATHER(uint8_t); break;
    case 2: GATHER(uint16_t); break;
    case 4: GATHER(uint32_t); break;
    default: GATHER(uint64_t); break;
  }
}
#undef GATHER

/* Sorts every lane of the C-contiguous block src, seen as (outer, n, inner) of dtype t,
 * and keeps the first k of each: values into vout and indices (base + position) into
 * iout, both (outer, k, inner); either may be NULL. Lanes run in parallel. */
static int sort_lanes(ht_dtype t, const void *src, int64_t outer, int64_t n, int64_t inner,
                      int64_t k, bool desc, int64_t base, void *vout, int64_t *iout) {
  const size_t item = ht_dtype_size(t);
  const int64_t lanes = outer * inner;
  int failed = 0;
  if (lanes == 0 || n == 0) return 0;
  if (inner == 1 && ht_sortnet_fits(t, n)) { /* short rows */
    ht_sortnet_rows(t, src, outer, n, k, desc, base, vout, iout);
    return 0;
  }
#pragma omp parallel if (lanes > 1 && lanes * n > (1 << 15)) reduction(| : failed)
  {
    ht_kv *kv = malloc(sizeof(ht_kv) * 2 * (size_t)n);
    if (!kv) failed = 1;
#pragma omp for schedule(dynamic, 16)
    for (int64_t l = 0; l < lanes; l++) {
      if (!kv) continue;
      int64_t o = l / inner, i = l % inner;
      const char *s = (const char *)src + (size_t)(o * n * inner + i) * item;
      ht_keys_encode(t, s, inner, n, desc, base, kv);
      ht_sort_kv(kv, n, kv + n);
      int64_t at = o * k * inner + i;
      if (vout) gather_lane(item, s, (char *)vout + (size_t)at * item, inner, kv, k, base);
      if (iout)
        for (int64_t j = 0; j < k; j++) iout[at + j * inner] = kv[j].idx;
    }
    free(kv);
  }
  return failed ? ht_error("sort: out of memory") : 0;
}

/* The local sort of a along axis into new arrays that keep k rows of each lane, with the
 * given split and counts (the caller's choice; along axis the counts say the length). */
static int local_sort(const ht_array *a, int axis, bool desc, int64_t k, int64_t base,
                      int split, const int64_t *counts, ht_array **values, ht_array **indices) {
  int64_t gshape[HT_MAXDIM], outer = 1, inner = 1;
  memcpy(gshape, a->gshape, sizeof gshape);
  gshape[axis] = split == axis ? ht_rank_lo(counts, ht_comm_size()) : k;
  for (int d = 0; d < axis; d++) outer *= a->lshape[d];
  for (int d = axis + 1; d < a->ndim; d++) inner *= a->lshape[d];
  ht_array *c = ht_contiguous(a), *v = NULL, *ix = NULL;
  if (c && values) v = ht_array_empty_counts(a->dtype, a->ndim, gshape, split, counts, a->device);
  if (c && indices) ix = ht_array_empty_counts(HT_INT64, a->ndim, gshape, split, counts, a->device);
  int status = !c || (values && !v) || (indices && !ix) ? -1 : 0;
  if (!status)
    status = sort_lanes(a->dtype, ht_array_data(c), outer, a->lshape[axis], inner, k, desc,
                        base, v ? ht_array_data(v) : NULL, ix ? ht_array_data(ix) : NULL);
  ht_array_free(c);
  if (status) return ht_array_free(v), ht_array_free(ix), -1;
  if (values) *values = v;
  if (indices) *indices = ix;
  return 0;
}

/* ---- the sample sort of a 1-D array split along axis 0 ---- */

/* Elements of sorted run a[0..n) that are below (key, idx) s: its insertion point. */
static int64_t lower_bound(const ht_kv *a, int64_t n, ht_kv s) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (a[mid].key < s.key || (a[mid].key == s.key && a[mid].idx < s.idx)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* The splitters: regular samples of every rank's sorted run (p per rank), gathered,
 * sorted, and every p-th taken. (key, idx) pairs are all distinct, so even an array of
 * equal values splits evenly. */
static int pick_splitters(const ht_kv *mine, const int64_t *counts, ht_kv *spl) {
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t *w = malloc(sizeof(int64_t) * 2 * (size_t)p), total = 0;
  if (!w) return ht_error("sort: out of memory");
  int64_t *rc = w, *rd = w + p;
  for (int q = 0; q < p; q++) {
    int64_t s = counts[q] < p ? counts[q] : p;
    rc[q] = s * (int64_t)sizeof(ht_kv), rd[q] = total * (int64_t)sizeof(ht_kv), total += s;
  }
  int64_t ns = rc[me] / (int64_t)sizeof(ht_kv), c = counts[me];
  ht_kv *smp = malloc(sizeof(ht_kv) * (size_t)(2 * total + ns + 1));
  int status = smp ? 0 : ht_error("sort: out of memory");
  if (!ht_comm_agree(status)) {
    ht_kv *local = smp + 2 * total;
    for (int64_t j = 0; j < ns; j++) local[j] = mine[((2 * j + 1) * c) / (2 * ns)];
    status = ht_comm_allgatherv(local, rc[me], smp, rc, rd);
  } else {
    status = -1;
  }
  if (!status) {
    /* runs arrive in rank order, and ranks hold ascending indices: a stable sort by key
     * orders the samples by (key, idx) */
    ht_sort_kv(smp, total, smp + total);
    for (int i = 0; i < p - 1; i++) spl[i] = smp[((int64_t)(i + 1) * total) / p];
  }
  free(smp), free(w);
  return status;
}

/* -0.0 and 0.0 have one key (they sort together) and values are rebuilt from keys after
 * the exchange, so a zero's sign travels in the low bit of idx: doubling every idx keeps
 * the (key, idx) order. */
static void mark_negative_zeros(ht_dtype t, const void *data, int64_t n, ht_kv *kv) {
  for (int64_t j = 0; j < n; j++) {
    double v = t == HT_FLOAT32 ? ((const float *)data)[j]
             : t == HT_FLOAT64 ? ((const double *)data)[j] : 1.0;
    kv[j].idx = 2 * kv[j].idx + (v == 0 && signbit(v));
  }
}

static void restore_negative_zeros(ht_dtype t, ht_kv *kv, int64_t n, void *values) {
  for (int64_t j = 0; j < n; j++) {
    if (values && (kv[j].idx & 1)) {
      if (t == HT_FLOAT32) ((float *)values)[j] = -0.0f;
      else ((double *)values)[j] = -0.0;
    }
    kv[j].idx >>= 1;
  }
}

static int sample_sort(const ht_array *a, bool desc, ht_array **values, ht_array **indices) {
  const int p = ht_comm_size();
  const int64_t c = a->lshape[0], item = sizeof(ht_kv);
  ht_array *ca = ht_contiguous(a);
  ht_kv *mine = malloc(sizeof(ht_kv) * (size_t)(2 * c + 1)), *spl = malloc(sizeof(ht_kv) * (size_t)p);
  int64_t *cnt = malloc(sizeof(int64_t) * 3 * (size_t)p), *one = cnt + p, *at = cnt + 2 * p;
  ht_kv *recv = NULL;
  ht_array *v = NULL, *ix = NULL;
  ht_xchg x = {0};
  int status = ht_comm_agree(!ca || !mine || !spl || !cnt ? ht_error("sort: out of memory") : 0);
  if (status || (status = ht_xchg_init(&x, "sort"))) goto done;
  ht_keys_encode(a->dtype, ht_array_data(ca), 1, c, desc, ht_array_lstart(a), mine);
  mark_negative_zeros(a->dtype, ht_array_data(ca), c, mine);
  ht_sort_kv(mine, c, mine + c);
  if ((status = pick_splitters(mine, a->counts, spl))) goto done;
  /* my run cut at the splitters: part q goes to rank q */
  int64_t lo = 0;
  for (int q = 0; q < p; q++) {
    int64_t hi = q < p - 1 ? lower_bound(mine, c, spl[q]) : c;
    if (hi < lo) hi = lo;
    x.sc[q] = (hi - lo) * item, lo = hi;
    one[q] = 8, at[q] = 8 * q;
  }
  if ((status = ht_xchg_counts(&x))) goto done;
  ht_xchg_alloc(&x, false);
  int64_t m = (x.rd[p - 1] + x.rc[p - 1]) / item;
  recv = malloc(sizeof(ht_kv) * (size_t)(2 * m + 1));
  if ((status = ht_xchg_run(&x, recv ? 0 : ht_error("sort: out of memory"), mine, recv)))
    goto done;
  ht_sort_kv(recv, m, recv + m); /* stable: runs come in rank (so index) order */
  /* what every rank now holds, then arrays over those counts */
  if ((status = ht_comm_allgatherv(&m, 8, cnt, one, at))) goto done;
  if (values) v = ht_array_empty_counts(a->dtype, 1, a->gshape, 0, cnt, a->device);
  if (indices) ix = ht_array_empty_counts(HT_INT64, 1, a->gshape, 0, cnt, a->device);
  if ((status = ht_comm_agree((values && !v) || (indices && !ix) ? -1 : 0))) goto done;
  if (v) ht_keys_decode(a->dtype, recv, m, desc, ht_array_data(v));
  restore_negative_zeros(a->dtype, recv, m, v ? ht_array_data(v) : NULL);
  for (int64_t j = 0; ix && j < m; j++) ((int64_t *)ht_array_data(ix))[j] = recv[j].idx;
  /* back to the input's distribution */
  if (memcmp(cnt, a->counts, sizeof(int64_t) * (size_t)p)) {
    ht_array *v2 = v ? ht_redistribute(v, a->counts) : NULL;
    ht_array *i2 = ix ? ht_redistribute(ix, a->counts) : NULL;
    ht_array_free(v), ht_array_free(ix);
    v = v2, ix = i2;
    if ((values && !v) || (indices && !ix)) status = -1;
  }
done:
  ht_xchg_free(&x);
  free(recv), free(cnt), free(spl), free(mine);
  ht_array_free(ca);
  if (status) return ht_array_free(v), ht_array_free(ix), -1;
  if (values) *values = v;
  if (indices) *indices = ix;
  return 0;
}

/* ---- public ---- */

int ht_sort(const ht_array *a, int axis, bool descending, ht_array **values,
            ht_array **indices) {
  if (ht_require_host(a, "sort")) return -1;
  int ax = op_norm_axis("sort", axis, a->ndim);
  if (ax < 0) return -1;
  if (values) *values = NULL;
  if (indices) *indices = NULL;
  if (a->split != ax || ht_comm_size() == 1 || a->gshape[ax] == 0)
    return local_sort(a, ax, descending, a->gshape[ax], 0, a->split, a->counts, values, indices);
  if (a->ndim == 1 && a->gshape[0] > 0) return sample_sort(a, descending, values, indices);
  /* n-d along the split axis: make the sorted axis whole on every rank first */
  int other = ax == 0 ? 1 : 0;
  for (int d = 0; d < a->ndim; d++)
    if (d != ax && a->gshape[d] > a->gshape[other]) other = d;
  ht_array *b = ht_resplit(a, other), *v = NULL, *ix = NULL;
  int status = b ? local_sort(b, ax, descending, a->gshape[ax], 0, other, b->counts,
                              values ? &v : NULL, indices ? &ix : NULL) : -1;
  ht_array_free(b);
  ht_array *outs[2] = {v, ix}, **dst[2] = {values, indices};
  for (int k = 0; k < 2; k++) {
    if (!dst[k]) continue;
    ht_array *r = status ? NULL : ht_resplit(outs[k], ax);
    ht_array *q = r ? ht_redistribute(r, a->counts) : NULL;
    ht_array_free(r), ht_array_free(outs[k]);
    *dst[k] = q;
    if (!q) status = -1;
  }
  if (status) {
    if (values) ht_array_free(*values), *values = NULL;
    if (indices) ht_array_free(*indices), *indices = NULL;
  }
  return status;
}

ht_array *ht_argsort(const ht_array *a, int axis, bool descending) {
  ht_array *ix = NULL;
  return ht_sort(a, axis, descending, NULL, &ix) ? NULL : ix;
}

int ht_topk(const ht_array *a, int64_t k, int axis, bool largest, ht_array **values,
            ht_array **indices) {
  if (ht_require_host(a, "topk")) return -1;
  if (a->ndim == 0) return ht_error("topk: a zero-dimensional array has no axis to select from");
  int ax = op_norm_axis("topk", axis, a->ndim), p = ht_comm_size();
  if (ax < 0) return -1;
  if (k < 0 || k > a->gshape[ax])
    return ht_error("topk: k (%lld) is out of range for axis %d of length %lld", (long long)k,
                    ax, (long long)a->gshape[ax]);
  if (a->split != ax)
    return local_sort(a, ax, largest, k, 0, a->split, a->counts, values, indices);
  /* each rank's best k (fewer if it has fewer rows), gathered everywhere, then the best k
   * of those; the result is replicated */
  int64_t *kc = malloc(sizeof(int64_t) * (size_t)p);
  if (!kc) return ht_error("topk: out of memory");
  for (int q = 0; q < p; q++) kc[q] = a->counts[q] < k ? a->counts[q] : k;
  ht_array *cv = NULL, *ci = NULL, *av = NULL, *ai = NULL, *pos = NULL, *v = NULL;
  int status = local_sort(a, ax, largest, kc[ht_comm_rank()], ht_array_lstart(a), ax, kc, &cv, &ci);
  if (!ht_comm_agree(status)) {
    av = ht_resplit(cv, -1), ai = ht_resplit(ci, -1);
    status = av && ai ? local_sort(av, ax, largest, k, 0, -1, NULL, &v, &pos) : -1;
  } else {
    status = -1;
  }
  if (!status && indices) { /* positions among the candidates -> their global indices */
    int64_t outer = 1, inner = 1, m = av->gshape[ax];
    for (int d = 0; d < ax; d++) outer *= a->gshape[d];
    for (int d = ax + 1; d < a->ndim; d++) inner *= a->gshape[d];
    int64_t *pp = ht_array_data(pos);
    const int64_t *gi = ht_array_data(ai);
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < k; j++)
        for (int64_t i = 0; i < inner; i++) {
          int64_t at = (o * k + j) * inner + i;
          pp[at] = gi[(o * m + pp[at]) * inner + i];
        }
  }
  free(kc);
  ht_array_free(cv), ht_array_free(ci), ht_array_free(av), ht_array_free(ai);
  if (status) return ht_array_free(v), ht_array_free(pos), -1;
  if (values) *values = v;
  else ht_array_free(v);
  if (indices) *indices = pos;
  else ht_array_free(pos);
  return 0;
}
