/* Distributed reductions (sum, prod, mean, var, std, min, max, argmin, argmax, all, any):
 * NumPy's dtype rules, the local chunk seen as one (O, R, I) problem for the kernels in
 * runtime/cpu/reduce.c, and one collective when the split axis is among the reduced ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/binned.h"
#include "../cpu/reduce.h"
#include "../device.h"
#include "../iter.h"
#include "../ops.h"
#include "prod.h"

/* Result dtype rules (NumPy): sums and products of bool/ints are int64 (NumPy gives
 * uint64 for uint8: we have no uint64), means and variances of bool/ints float64, floats
 * keep their dtype; min/max keep the dtype; argmin/argmax give int64; all/any bool. */
typedef enum { RES_INT64, RES_FLOAT64, RES_SAME, RES_INDEX, RES_BOOL } result_rule;

/* One row per reduction: adding one is a row here (and a kernel op in cpu/reduce.h if it
 * needs a new one). */
static const struct redop_desc {
  const char *name;
  ht_kop kop;          /* the kernel op of the (first) pass */
  result_rule rule;
  bool moment, sqdev, root; /* divide by the count; squared deviations; sqrt at the end */
  const char *empty;   /* no identity: the error for an empty reduction ("minimum") */
} redops[HT_NREDOPS] = {
    [HT_RSUM] = {"sum", HT_K_SUM, RES_INT64, false, false, false, NULL},
    [HT_RPROD] = {"prod", HT_K_PROD, RES_INT64, false, false, false, NULL},
    [HT_RMEAN] = {"mean", HT_K_SUM, RES_FLOAT64, true, false, false, NULL},
    [HT_RVAR] = {"var", HT_K_SUM, RES_FLOAT64, true, true, false, NULL},
    [HT_RSTD] = {"std", HT_K_SUM, RES_FLOAT64, true, true, true, NULL},
    [HT_RMIN] = {"min", HT_K_MIN, RES_SAME, false, false, false, "minimum"},
    [HT_RMAX] = {"max", HT_K_MAX, RES_SAME, false, false, false, "maximum"},
    [HT_RARGMIN] = {"argmin", HT_K_ARGMIN, RES_INDEX, false, false, false, NULL},
    [HT_RARGMAX] = {"argmax", HT_K_ARGMAX, RES_INDEX, false, false, false, NULL},
    [HT_RALL] = {"all", HT_K_ALL, RES_BOOL, false, false, false, NULL},
    [HT_RANY] = {"any", HT_K_ANY, RES_BOOL, false, false, false, NULL},
};

const char *ht_redop_name(ht_redop op) {
  return (unsigned)op < HT_NREDOPS ? redops[op].name : "reduce";
}

static bool is_arg(ht_redop op) { return ht_cpu_kop_join(redops[op].kop) == HT_JOIN_ARG; }

static ht_dtype result_dtype(ht_redop op, ht_dtype t) {
  switch (redops[op].rule) {
  case RES_INT64: return ht_dtype_is_float(t) ? t : HT_INT64;
  case RES_FLOAT64: return ht_dtype_is_float(t) ? t : HT_FLOAT64;
  case RES_SAME: return t;
  case RES_INDEX: return HT_INT64;
  default: return HT_BOOL;
  }
}

/* ---- the collective step ---- */

/* min/max of doubles that keep a NaN: MPI_MIN's comparison drops it. */
static void nan_min(void *in, void *inout, int *len, MPI_Datatype *dt) {
  const double *a = in;
  double *b = inout;
  (void)dt;
  for (int k = 0; k < *len; k++)
    if (a[k] < b[k] || a[k] != a[k]) b[k] = a[k];
}

static void nan_max(void *in, void *inout, int *len, MPI_Datatype *dt) {
  const double *a = in;
  double *b = inout;
  (void)dt;
  for (int k = 0; k < *len; k++)
    if (a[k] > b[k] || a[k] != a[k]) b[k] = a[k];
}

/* The MPI op that joins partial results of a kernel op across ranks. */
static MPI_Op mpi_op(ht_kop op, bool f64) {
  static MPI_Op nan_ops[2];
  static bool made = false;
  switch (ht_cpu_kop_join(op)) {
  case HT_JOIN_PROD: return MPI_PROD;
  case HT_JOIN_MIN: case HT_JOIN_MAX:
    if (!f64)
      return ht_cpu_kop_join(op) == HT_JOIN_MIN ? MPI_MIN : MPI_MAX;
    if (!made) { /* once per process, on every rank alike: reductions are collective */
      MPI_Op_create(nan_min, 1, &nan_ops[0]);
      MPI_Op_create(nan_max, 1, &nan_ops[1]);
      made = true;
    }
    return nan_ops[ht_cpu_kop_join(op) == HT_JOIN_MAX];
  default: return MPI_SUM;
  }
}

/* Float sums and squared deviations are exact (cpu/reduce_exact.c): bitwise the same at
 * any number of ranks and threads. Across ranks each output's exact partial travels as a
 * superaccumulator and is rounded once after the join. */
static int exact_pass(const char *fn, const ht_rjob *j, double *acc, int64_t n, bool across,
                      int status) {
  MPI_Datatype xtype;
  MPI_Op xop;
  if (!across || ht_comm_size() == 1) {
    if (status == 0 && ht_cpu_reduce_exact(j, NULL, acc))
      status = ht_error("%s: out of memory (scratch of the exact sum)", fn);
    return status;
  }
  ht_xacc *x = status ? NULL : ht_scratch_alloc(n * (int64_t)sizeof(ht_xacc), fn);
  if (!status && !x) status = -1;
  if (!status && ht_cpu_reduce_exact(j, x, NULL))
    status = ht_error("%s: out of memory (scratch of the exact sum)", fn);
  if (ht_comm_agree(status) < 0) return free(x), -1;
  ht_comm_xacc_type(&xtype, &xop);
  int rc = ht_comm_allreduce_items(x, n, (int64_t)sizeof(ht_xacc), xtype, xop);
  for (int64_t k = 0; k < n && rc == 0; k++) acc[k] = ht_xacc_round(&x[k]);
  free(x);
  return rc;
}

/* Runs the kernel (when this rank is fine) and, across ranks, agrees on the status and
 * allreduces the n accumulators. */
static int reduce_pass(const char *fn, const ht_rjob *j, void *acc, int64_t n, bool across,
                       int status, const ht_prange *g) {
  /* ht_reduce requires host data, so the exact path calls the CPU kernel directly */
  if (j->f64 && (j->op == HT_K_SUM || j->op == HT_K_SQDEV))
    return exact_pass(fn, j, acc, n, across, status);
  if (j->op == HT_K_PROD && ht_dtype_is_float(j->t)) /* a fixed tree: ops/prod.c */
    return ht_prod_pass(fn, j, g, acc, n, across, status);
  if (status == 0) ht_backend_of(HT_CPU)->reduce(j, acc);
  if (!across || ht_comm_size() == 1) return status; /* one rank: nothing to join */
  if (ht_comm_agree(status) < 0) return -1;
  return ht_comm_allreduce(acc, n, j->f64 ? HT_FLOAT64 : HT_INT64, mpi_op(j->op, j->f64));
}

/* ---- the local problem ---- */

typedef struct lproblem {
  int64_t O, R, I;
  const void *data;
  void *packed; /* owned copy, or NULL */
} lproblem;

static inline __attribute__((always_inline)) void copy_n(size_t item, int64_t n, char *d,
                                                           int64_t ds, const char *s,
                                                           int64_t ss) {
  for (int64_t k = 0; k < n; k++) memcpy(d + k * ds, s + k * ss, item);
}

static void copy_loop(int64_t n, char **p, const int64_t *s, void *ctx) {
  switch (*(const size_t *)ctx) {
  case 1: copy_n(1, n, p[0], s[0], p[1], s[1]); break;
  case 2: copy_n(2, n, p[0], s[0], p[1], s[1]); break;
  case 4: copy_n(4, n, p[0], s[0], p[1], s[1]); break;
  default: copy_n(8, n, p[0], s[0], p[1], s[1]); break;
  }
}

/* The chunk as a C-contiguous (O, R, I): in place when it is contiguous and its non-unit
 * axes form kept|reduced|kept runs (the common cases: all, rows, columns, a middle axis),
 * else a copy with the kept axes first (I = 1). Reduced axes keep their order, so R
 * indexes C order among them (argmin/argmax rely on it). */
static int local_problem(const char *fn, const ht_array *a, const bool *red, lproblem *p) {
  int64_t kept = 1, reduced = 1;
  for (int d = 0; d < a->ndim; d++) {
    if (red[d]) reduced *= a->lshape[d];
    else kept *= a->lshape[d];
  }
  memset(p, 0, sizeof *p);
  p->O = kept, p->R = reduced, p->I = 1;
  if (kept == 0 || reduced == 0) return 0; /* nothing to read */

  if (ht_array_is_contiguous(a)) {
    /* runs of kept (K) and reduced (R) non-unit axes, neighbours of one kind merged */
    int64_t g[HT_MAXDIM];
    bool gred[HT_MAXDIM];
    int ng = 0, k = 0;
    for (int d = 0; d < a->ndim; d++) {
      if (a->lshape[d] == 1) continue;
      if (ng > 0 && gred[ng - 1] == red[d]) g[ng - 1] *= a->lshape[d];
      else gred[ng] = red[d], g[ng++] = a->lshape[d];
    }
    int64_t O = 1, R = 1, I = 1; /* [K] [R] [K] in this order, each optional */
    if (k < ng && !gred[k]) O = g[k++];
    if (k < ng && gred[k]) R = g[k++];
    if (k < ng && !gred[k]) I = g[k++];
    if (k == ng) {
      p->O = O, p->R = R, p->I = I;
      p->data = ht_array_data(a);
      return 0;
    }
  }

  const size_t item = ht_dtype_size(a->dtype);
  p->packed = ht_scratch_alloc(kept * reduced * (int64_t)item, fn); /* a copy of the chunk */
  if (!p->packed) return -1;
  int order[HT_MAXDIM], n = 0;
  for (int d = 0; d < a->ndim; d++) if (!red[d]) order[n++] = d;
  for (int d = 0; d < a->ndim; d++) if (red[d]) order[n++] = d;
  int64_t strides[2][HT_MAXDIM], s = (int64_t)item;
  for (int k = a->ndim - 1; k >= 0; k--) strides[0][order[k]] = s, s *= a->lshape[order[k]];
  for (int d = 0; d < a->ndim; d++) strides[1][d] = a->strides[d] * (int64_t)item;
  char *base[2] = {p->packed, ht_array_data(a)};
  ht_iter it;
  ht_iter_init(&it, 2, a->ndim, a->lshape, base, (const int64_t(*)[HT_MAXDIM])strides);
  ht_iter_run(&it, copy_loop, (void *)&item);
  p->data = p->packed;
  return 0;
}

/* ---- argmin / argmax ---- */

/* Local indices become global ones: along the split axis add this rank's first row; a
 * flat index (no axis) is unravelled over the chunk and ravelled over the global shape. */
static void globalise(const ht_array *a, const ht_reduce_opts *o, ht_argacc *acc, int64_t n) {
  const int64_t lstart = ht_array_lstart(a);
  for (int64_t k = 0; k < n; k++) {
    if (acc[k].idx < 0) continue;
    if (o->naxes == 1) {
      if (o->axes[0] == a->split) acc[k].idx += lstart;
      continue;
    }
    int64_t rem = acc[k].idx, g = 0, gstride = 1;
    for (int d = a->ndim - 1; d >= 0; d--) {
      int64_t i = rem % a->lshape[d];
      rem /= a->lshape[d];
      if (d == a->split) i += lstart;
      g += i * gstride, gstride *= a->gshape[d];
    }
    acc[k].idx = g;
  }
}

/* Every rank's candidates are gathered and merged (ties: the smaller global index). */
static int arg_across(const ht_rjob *j, ht_argacc *acc, int64_t n, int status) {
  const int p = ht_comm_size();
  const int64_t bytes = n * (int64_t)sizeof(ht_argacc);
  const char *fn = j->op == HT_K_ARGMAX ? "argmax" : "argmin";
  ht_argacc *all = status ? NULL : ht_scratch_alloc(bytes * p, fn);
  int64_t *counts = status || !all ? NULL : ht_meta_alloc(2 * sizeof(int64_t) * (size_t)p, fn);
  if (!status && !all) status = -1;
  if (ht_comm_agree(status) < 0) return free(all), free(counts), -1;
  for (int r = 0; r < p; r++) counts[r] = bytes, counts[p + r] = bytes * r;
  int rc = ht_comm_allgatherv(acc, bytes, all, counts, counts + p);
  for (int r = 0; r < p && rc == 0; r++) ht_cpu_reduce_merge(j, acc, all + r * n, n);
  free(all);
  free(counts);
  return rc;
}

/* ---- the operation ---- */

static int check_axes(const char *fn, ht_redop op, const ht_array *a, const ht_reduce_opts *o,
                      bool *red) {
  if (o->naxes < 0 || o->naxes > HT_MAXDIM)
    return ht_error("%s: %d axes given, at most %d are possible", fn, o->naxes, HT_MAXDIM);
  if (is_arg(op) && o->naxes > 1)
    return ht_error("%s: expected at most one axis, got %d", fn, o->naxes);
  for (int k = 0; k < o->naxes; k++) {
    const int ax = o->axes[k];
    if (ax < 0 || ax >= a->ndim)
      return ht_error("%s: axis %d is out of bounds for array of dimension %d", fn, ax, a->ndim);
    if (red[ax]) return ht_error("%s: duplicate value in 'axis'", fn);
    red[ax] = true;
  }
  if (o->naxes == 0)
    for (int d = 0; d < a->ndim; d++) red[d] = true;
  return 0;
}

/* The reduction into a new array, or into `into` (out=): directly when it has the
 * result's dtype, is contiguous and holds this rank's rows, else a new result is written
 * into it. The results are written after every input element is read, so into may alias a. */
static ht_array *reduce(ht_redop op, const ht_array *a, const ht_reduce_opts *opts,
                        ht_array *into) {
  const char *fn = ht_redop_name(op);
  const ht_reduce_opts every = {0};
  bool red[HT_MAXDIM] = {false};
  if ((unsigned)op >= HT_NREDOPS) return ht_error("reduce: unknown reduction %d", (int)op), NULL;
  if (!opts) opts = &every;
  if (check_axes(fn, op, a, opts, red)) return NULL;
  if (ht_require_host(a, fn)) return NULL;

  /* global result: shape, count of reduced elements, split */
  int64_t N = 1, oshape[HT_MAXDIM];
  int ondim = 0, osplit = -1;
  for (int d = 0; d < a->ndim; d++) {
    if (red[d]) N *= a->gshape[d];
    if (!red[d]) oshape[ondim++] = a->gshape[d];
    else if (opts->keepdims) oshape[ondim++] = 1;
  }
  if (N == 0 && redops[op].empty)
    return ht_error("%s: zero-size array to reduction operation %s which has no identity", fn,
                    redops[op].empty), NULL;
  if (N == 0 && is_arg(op))
    return ht_error("%s: attempt to get %s of an empty sequence", fn, fn), NULL;
  const bool across = a->split >= 0 && red[a->split];
  if (a->split >= 0 && !across) {
    osplit = a->split;
    for (int d = 0; d < a->split && !opts->keepdims; d++) osplit -= red[d];
  }
  const ht_dtype odt = result_dtype(op, a->dtype);
  if (into && ht_check_out(fn, into, ondim, oshape, osplit, odt, is_arg(op))) return NULL;
  if (into && (into->dtype != odt || !ht_array_is_contiguous(into) ||
               (osplit >= 0 && memcmp(into->counts, a->counts,
                                      sizeof(int64_t) * (size_t)ht_comm_size())))) {
    ht_array *res = reduce(op, a, opts, NULL);
    return res && ht_write_out(fn, res, into) == 0 ? into : NULL;
  }
  ht_array *out = into        ? into
                  : osplit >= 0 ? ht_array_empty_counts(odt, ondim, oshape, osplit, a->counts, HT_CPU)
                                : ht_array_empty(odt, ondim, oshape, -1, HT_CPU);

  /* local accumulators, one per local output element; a local failure still takes part
   * in the agreement before any collective, so no rank is left waiting */
  lproblem p = {0};
  int status = out ? local_problem(fn, a, red, &p) : -1;
  const int64_t n = p.O * p.I;
  const struct redop_desc *d = &redops[op];
  ht_rjob j = {.op = d->kop, .t = a->dtype, .in = p.data, .O = p.O, .R = p.R, .I = p.I,
               .f64 = ht_dtype_is_float(a->dtype) || d->moment};
  void *acc = status ? NULL : ht_scratch_alloc(n * (int64_t)ht_cpu_acc_size(&j), fn);
  double *mean = acc && d->sqdev ? ht_scratch_alloc(n * 8, fn) : NULL;
  if (!status && (!acc || (!mean && d->sqdev))) status = -1;
  if (!status && n != ht_array_lsize(out))
    status = ht_error("%s: internal error: %lld local results for %lld outputs", fn,
                      (long long)n, (long long)ht_array_lsize(out));

  if (is_arg(op)) {
    if (!status) {
      ht_backend_of(HT_CPU)->reduce(&j, acc);
      globalise(a, opts, acc, n);
    }
    if (across) status = arg_across(&j, acc, n, status);
    if (!status) {
      int64_t *res = ht_array_data(out);
      const ht_argacc *best = acc;
      for (int64_t k = 0; k < n; k++) res[k] = best[k].idx;
    }
  } else {
    double *r = acc;
    /* where the local rows lie in the global reduced index (the product tree's leaves):
     * along the split axis a run per index of the reduced axes before it */
    ht_prange g = {.N = N, .runs = 1, .run_len = p.R};
    if (across) {
      int64_t pre = 1, inner = 1;
      for (int d = 0; d < a->ndim; d++)
        if (red[d] && d != a->split) *(d < a->split ? &pre : &inner) *= a->gshape[d];
      g = (ht_prange){N, pre, a->lshape[a->split] * inner, ht_array_lstart(a) * inner,
                      a->gshape[a->split] * inner};
    }
    /* var/std of local rows: both passes a tile at a time (the data read once) */
    int fused = 1;
    if (!status && mean && !across && (fused = ht_cpu_var_rows_exact(&j, (double)N, mean, r)) < 0)
      status = ht_error("%s: out of memory (scratch of the exact sum)", fn);
    if (fused > 0) {
      status = reduce_pass(fn, &j, acc, n, across, status, &g);
      if (!status && d->moment)
        for (int64_t k = 0; k < n; k++) r[k] /= (double)N; /* 0/0: NaN, as NumPy's */
      if (!status && mean) {
        /* second pass: squared deviations from the mean (NumPy's algorithm) */
        memcpy(mean, r, (size_t)n * 8);
        j.op = HT_K_SQDEV, j.center = mean;
        status = reduce_pass(fn, &j, acc, n, across, status, NULL);
      }
    }
    if (!status && mean) {
      const double dof = N - opts->ddof > 0 ? (double)(N - opts->ddof) : 0.0;
      for (int64_t k = 0; k < n; k++) r[k] = d->root ? sqrt(r[k] / dof) : r[k] / dof;
    }
    if (!status && n > 0)
      ht_cast(j.f64 ? HT_FLOAT64 : HT_INT64, acc, 8, odt, ht_array_data(out),
              (int64_t)ht_dtype_size(odt), n);
  }
  /* across ranks every step agreed already; a split array reduced along other axes gets
   * one verdict here (a replicated one stays local work, callable on one rank alone) */
  if (!across && a->split >= 0 && ht_comm_size() > 1) status = ht_comm_agree(status);
  free(p.packed);
  free(acc);
  free(mean);
  if (status && out != into) ht_array_free(out);
  return status ? NULL : out;
}

ht_array *ht_reduce(ht_redop op, const ht_array *a, const ht_reduce_opts *opts) {
  return reduce(op, a, opts, NULL);
}

int ht_reduce_into(ht_redop op, const ht_array *a, const ht_reduce_opts *opts, ht_array *out) {
  return ht_require_host(out, ht_redop_name(op)) || !reduce(op, a, opts, out) ? -1 : 0;
}
