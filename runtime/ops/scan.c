/* Scans and differences: cumsum and cumprod (a local scan, then along the split axis an
 * exclusive scan of the ranks' last rows; float cumsum in fixed global blocks from exact
 * offsets, cpu/scan.h, so its bits do not depend on the rank count), and diff (neighbour
 * rows; along the split axis each rank borrows one row from the next). */
#include <limits.h>
#include <stdlib.h>

#include "../cpu/reduce.h"
#include "../cpu/scan.h"
#include "../exchange.h"
#include "../manipulation.h"
#include "../ops.h"
#include "manip_util.h"

/* ---- typed loops over a C-contiguous block seen as (outer, n, inner) ---- */

#define SCAN_TYPES(X)                                                                   \
  X(u8, uint8_t, HT_UINT8) X(i8, int8_t, HT_INT8) X(i16, int16_t, HT_INT16)             \
  X(i32, int32_t, HT_INT32) X(i64, int64_t, HT_INT64) X(f32, float, HT_FLOAT32)         \
  X(f64, double, HT_FLOAT64)

/* scan_T: row j op= row j-1 in place. apply_T: every row op= tot (one row's worth). */
#define DEFINE_SCAN(sfx, T, E)                                                          \
  static void scan_##sfx(void *data, int64_t outer, int64_t n, int64_t inner, bool prod) { \
    _Pragma("omp parallel for if (outer > 1 && outer * n * inner > (1 << 16))")         \
    for (int64_t o = 0; o < outer; o++) {                                               \
      T *row = (T *)data + o * n * inner;                                               \
      for (int64_t j = 1; j < n; j++) {                                                 \
        T *cur = row + j * inner, *prev = cur - inner;                                  \
        if (prod)                                                                       \
          for (int64_t i = 0; i < inner; i++) cur[i] *= prev[i];                        \
        else                                                                            \
          for (int64_t i = 0; i < inner; i++) cur[i] += prev[i];                        \
      }                                                                                 \
    }                                                                                   \
  }                                                                                     \
  static void apply_##sfx(void *data, const void *totals, int64_t outer, int64_t n,     \
                          int64_t inner, bool prod) {                                   \
    const T *tot = totals;                                                              \
    _Pragma("omp parallel for if (outer * n * inner > (1 << 16))")                      \
    for (int64_t o = 0; o < outer; o++)                                                 \
      for (int64_t j = 0; j < n; j++) {                                                 \
        T *cur = (T *)data + (o * n + j) * inner;                                       \
        const T *t = tot + o * inner;                                                   \
        if (prod)                                                                       \
          for (int64_t i = 0; i < inner; i++) cur[i] *= t[i];                           \
        else                                                                            \
          for (int64_t i = 0; i < inner; i++) cur[i] += t[i];                           \
      }                                                                                 \
  }
SCAN_TYPES(DEFINE_SCAN)
#undef DEFINE_SCAN

typedef void (*scan_fn)(void *, int64_t, int64_t, int64_t, bool);
typedef void (*apply_fn)(void *, const void *, int64_t, int64_t, int64_t, bool);

static void scan_loops(ht_dtype t, scan_fn *scan, apply_fn *apply) {
  switch (t) {
#define CASE(sfx, T, E) case E: *scan = scan_##sfx, *apply = apply_##sfx; break;
    SCAN_TYPES(CASE)
#undef CASE
    default: *scan = NULL, *apply = NULL;
  }
}

/* Rank q's rows that lie in the heads of later ranks (heads: the rows of a rank's first
 * block that precede it), placed one head after another. */
typedef struct head_ctx {
  const int64_t *counts, *h;
} head_ctx;

static int head_segs(int q, ht_seg *segs, void *ctx) {
  const head_ctx *c = ctx;
  const int64_t lo = ht_rank_lo(c->counts, q), hi = lo + c->counts[q];
  int m = 0;
  for (int r = q + 1, p = ht_comm_size(); r < p; r++) {
    const int64_t g = ht_rank_lo(c->counts, r), a = g - c->h[r] > lo ? g - c->h[r] : lo;
    const int64_t b = g < hi ? g : hi;
    int64_t at = 0; /* where rank r's head starts in the result */
    for (int k = 0; k < r; k++) at += c->h[k];
    if (a < b) segs[m++] = (ht_seg){0, a - lo, b - a, at + a - (g - c->h[r])};
  }
  return m;
}

/* Float cumsum (cpu/scan.h) into out, which holds the input already when a is NULL;
 * else a is C-contiguous in out's dtype and the kernel copies it a block at a time (a
 * whole copy first made the pass read every block back from memory). Along the split
 * axis each rank first learns the exact sums of the rows before its own (an exact
 * exclusive scan of superaccumulators) and the rows of its first block held by earlier
 * ranks (its head). */
static int cumsum_blocked(const char *fn, ht_array *out, const ht_array *a, int ax,
                          int64_t outer, int64_t n, int64_t inner) {
  const int p = ht_comm_size(), me = ht_comm_rank();
  const bool across = ax == out->split && p > 1;
  const int64_t cols = outer * inner, g0 = across ? ht_rank_lo(out->counts, me) : 0;
  void *data = ht_array_data(out);
  const ht_array *from = a ? a : out;
  const void *in = a ? ht_array_data(a) : NULL;
  if (!across)
    return ht_cpu_cumsum_blocked(out->dtype, data, in, NULL, 0, NULL, outer, n, inner, 0)
               ? ht_error("%s: out of memory (scratch)", fn)
               : 0;
  ht_xacc *start = ht_scratch_alloc(cols * (int64_t)sizeof(ht_xacc), fn);
  int status = start ? 0 : -1;
  ht_rjob j = {.op = HT_K_SUM, .t = out->dtype, .f64 = true, .in = ht_array_data(from),
               .O = outer, .R = n, .I = inner};
  if (!status && ht_cpu_reduce_exact(&j, start, NULL))
    status = ht_error("%s: out of memory (scratch of the exact sum)", fn);
  MPI_Datatype xtype;
  MPI_Op xop;
  ht_comm_xacc_type(&xtype, &xop);
  if (ht_comm_agree(status) || ht_comm_exscan_items(start, cols, (int64_t)sizeof(ht_xacc), xtype, xop))
    return free(start), -1;
  if (me == 0)
    for (int64_t k = 0; k < cols; k++) ht_xacc_zero(&start[k]);
  int64_t *h = ht_meta_alloc(sizeof(int64_t) * (size_t)p, fn), htot = 0;
  for (int r = 0; r < p; r++) {
    h[r] = out->counts[r] ? ht_rank_lo(out->counts, r) % HT_SCAN_BLOCK : 0;
    htot += h[r];
  }
  ht_array *head = NULL;
  if (htot > 0) {
    int64_t hshape[HT_MAXDIM];
    memcpy(hshape, out->gshape, sizeof(int64_t) * (size_t)out->ndim);
    hshape[ax] = htot;
    head = ht_array_empty_counts(out->dtype, out->ndim, hshape, ax, h, out->device);
    head_ctx c = {out->counts, h};
    const ht_array *src[1] = {from};
    status = ht_comm_agree(head ? 0 : -1) || ht_place(head, ax, src, head_segs, p, &c, fn);
  }
  if (!status && ht_cpu_cumsum_blocked(out->dtype, data, in, head ? ht_array_data(head) : NULL,
                                       h[me], start, outer, n, inner, g0))
    status = ht_error("%s: out of memory (scratch)", fn);
  ht_array_free(head);
  free(h);
  free(start);
  return ht_comm_agree(status);
}

static ht_array *scan(const char *fn, bool prod, const ht_array *a, int axis, ht_dtype t) {
  if (ht_require_host(a, fn)) return NULL;
  if (axis == HT_AXIS_NONE) {
    int64_t n = ht_array_gsize(a);
    ht_array *f = ht_reshape(a, 1, &n, a->split >= 0 ? 0 : -1);
    ht_array *r = f ? scan(fn, prod, f, 0, t) : NULL;
    ht_array_free(f);
    return r;
  }
  if (a->ndim == 0) return ht_error("%s: a zero-dimensional array has no axis to scan", fn), NULL;
  int ax = op_norm_axis(fn, axis, a->ndim);
  if (ax < 0) return NULL;
  if (t == HT_NDTYPES) t = ht_dtype_is_float(a->dtype) ? a->dtype : HT_INT64;
  scan_fn sc;
  apply_fn ap;
  scan_loops(t, &sc, &ap);
  if (!sc) return ht_error("%s: dtype %s is not supported", fn, ht_dtype_name(t)), NULL;
  int64_t outer = 1, inner = 1, n = a->lshape[ax], item = (int64_t)ht_dtype_size(t);
  for (int d = 0; d < ax; d++) outer *= a->lshape[d];
  for (int d = ax + 1; d < a->ndim; d++) inner *= a->lshape[d];
  /* float cumsum along axis 0 of a matrix reads a contiguous input of its dtype itself */
  const bool blocked = !prod && (t == HT_FLOAT32 || t == HT_FLOAT64);
  const bool direct = blocked && a->dtype == t && ht_array_is_contiguous(a) &&
                      ht_cpu_cumsum_reads_input(t, outer, n, inner);
  ht_array *out = ht_array_empty_counts(t, a->ndim, a->gshape, a->split, a->counts, a->device);
  if (!out || (!direct && ht_copy_into(out, a))) return ht_array_free(out), NULL;
  if (blocked) {
    if (!cumsum_blocked(fn, out, direct ? a : NULL, ax, outer, n, inner)) return out;
    return ht_array_free(out), NULL;
  }
  sc(ht_array_data(out), outer, n, inner, prod);
  if (ax != a->split || ht_comm_size() == 1) return out;
  /* every rank's last row is its running total; ranks before mine add up to my offset */
  char *tot = malloc((size_t)(outer * inner * item) + 1);
  if (ht_comm_agree(tot ? 0 : ht_error("%s: out of memory", fn))) {
    free(tot);
    return ht_array_free(out), NULL;
  }
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      char *dst = tot + (o * inner + i) * item;
      if (n > 0) memcpy(dst, (char *)ht_array_data(out) + ((o * n + n - 1) * inner + i) * item, (size_t)item);
      else ht_set_f64(t, dst, prod ? 1 : 0);
    }
  int status = ht_comm_exscan(tot, outer * inner, t, prod ? MPI_PROD : MPI_SUM);
  if (!status && ht_comm_rank() > 0) ap(ht_array_data(out), tot, outer, n, inner, prod);
  free(tot);
  if (status) return ht_array_free(out), NULL;
  return out;
}

ht_array *ht_cumsum(const ht_array *a, int axis, ht_dtype t) { return scan("cumsum", false, a, axis, t); }
ht_array *ht_cumprod(const ht_array *a, int axis, ht_dtype t) { return scan("cumprod", true, a, axis, t); }

/* ---- diff ---- */

/* The rows [from, from+len) along axis of a, as a distributed header sharing a's buffer
 * and keeping its counts (axis is not the split axis). */
static ht_array shifted(const ht_array *a, int axis, int64_t from, int64_t len) {
  ht_array v = *a;
  v.gshape[axis] = v.lshape[axis] = len;
  v.offset += from * a->strides[axis];
  return v;
}

/* Rows [1, m) of a split along axis, placed on the counts `c` of the (m-1)-row result. */
typedef struct {
  const int64_t *counts;
} next_ctx;

static int next_segs(int q, ht_seg *segs, void *ctx) {
  const int64_t *c = ((const next_ctx *)ctx)->counts;
  int64_t L = ht_rank_lo(c, q);
  if (!c[q] || (L == 0 && c[q] == 1)) return 0;
  segs[0] = L == 0 ? (ht_seg){0, 1, c[q] - 1, 0} : (ht_seg){0, 0, c[q], L - 1};
  return 1;
}

static ht_array *diff1(const ht_array *a, int ax) {
  int64_t m = a->gshape[ax];
  ht_binop op = a->dtype == HT_BOOL ? HT_NE : HT_SUB;
  if (m == 0) return ht_copy(a);
  if (ax != a->split) {
    ht_array hi = shifted(a, ax, 1, m - 1), lo = shifted(a, ax, 0, m - 1);
    return ht_binary(op, &hi, &lo);
  }
  /* the result keeps a's counts, less one row on the last rank that has rows: the lower
   * operand is then each rank's own leading rows, the upper one needs one row shipped */
  int p = ht_comm_size(), me = ht_comm_rank(), last = p - 1;
  while (last > 0 && !a->counts[last]) last--;
  int64_t *counts = malloc(sizeof(int64_t) * (size_t)p);
  if (!counts) return ht_error("diff: out of memory"), NULL;
  memcpy(counts, a->counts, sizeof(int64_t) * (size_t)p);
  counts[last]--;
  ht_array lo = *a;
  lo.counts = counts;
  lo.gshape[ax] = m - 1, lo.lshape[ax] = counts[me];
  ht_array *hi = ht_array_empty_counts(a->dtype, a->ndim, lo.gshape, ax, counts, a->device);
  next_ctx c = {a->counts};
  const ht_array *src[1] = {a};
  ht_array *out = NULL;
  if (!ht_comm_agree(hi ? 0 : -1) && !ht_place(hi, ax, src, next_segs, 1, &c, "diff"))
    out = ht_binary(op, hi, &lo);
  ht_array_free(hi);
  free(counts);
  return out;
}

ht_array *ht_diff(const ht_array *a, int64_t n, int axis) {
  if (ht_require_host(a, "diff")) return NULL;
  if (a->ndim == 0) return ht_error("diff: diff requires input that is at least one dimensional"), NULL;
  if (n < 0) return ht_error("diff: order must be non-negative but got %lld", (long long)n), NULL;
  int ax = op_norm_axis("diff", axis, a->ndim);
  if (ax < 0) return NULL;
  if (n == 0) return ht_copy(a);
  ht_array *cur = diff1(a, ax);
  for (int64_t k = 1; k < n && cur && cur->gshape[ax] > 0; k++) {
    ht_array *next = diff1(cur, ax);
    ht_array_free(cur);
    cur = next;
  }
  return cur;
}
