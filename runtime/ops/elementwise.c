/* Distributed elementwise ops: NumPy's dtype resolution and broadcasting over global
 * shapes, Heat's rules for aligning the operands' splits, then the CPU's typed loops on
 * the local chunks through the broadcasting iterator. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "device.h"
#include "iter.h"
#include "ops.h"

#define MAXIN 3

static const struct {
  const char *name;
  ht_ew_kind kind;
} binops[] = {
#define HT_X(e, n, k) {n, HT_EW_##k},
    HT_BINOPS(HT_X)
#undef HT_X
}, unops[] = {
#define HT_X(e, n, k) {n, HT_EW_##k},
    HT_UNOPS(HT_X)
#undef HT_X
};

const char *ht_binop_name(ht_binop op) { return op < HT_NBINOPS ? binops[op].name : "?"; }
const char *ht_unop_name(ht_unop op) { return op < HT_NUNOPS ? unops[op].name : "?"; }
ht_ew_kind ht_binop_kind(ht_binop op) { return binops[op].kind; }
ht_ew_kind ht_unop_kind(ht_unop op) { return unops[op].kind; }

/* ---- broadcasting of global shapes ---- */

static int broadcast_pair(int na, const int64_t *sa, int nb, const int64_t *sb, int *nout,
                          int64_t *out) {
  int n = na > nb ? na : nb;
  int64_t res[HT_MAXDIM];
  for (int j = 0; j < n; j++) {
    int ia = j - (n - na), ib = j - (n - nb);
    int64_t da = ia >= 0 ? sa[ia] : 1, db = ib >= 0 ? sb[ib] : 1;
    if (da != db && da != 1 && db != 1) return -1;
    res[j] = da == 1 ? db : da;
  }
  memcpy(out, res, sizeof(int64_t) * (size_t)n);
  *nout = n;
  return 0;
}

int ht_broadcast_shapes(const char *fn, int na, const int64_t *sa, int nb, const int64_t *sb,
                        int *nout, int64_t *out) {
  char s1[128], s2[128];
  if (broadcast_pair(na, sa, nb, sb, nout, out) == 0) return 0;
  return ht_error("%s: shapes %s and %s cannot be broadcast", fn,
                  ht_fmt_shape(s1, sizeof s1, na, sa), ht_fmt_shape(s2, sizeof s2, nb, sb));
}

/* The broadcast shape of n operands; the message lists them all ("a, b and c"). */
static int broadcast_all(const char *fn, int n, const ht_array *const *in, int *nout,
                         int64_t *out) {
  *nout = 0;
  for (int k = 0; k < n; k++)
    if (broadcast_pair(*nout, out, in[k]->ndim, in[k]->gshape, nout, out)) {
      if (n == 2)
        return ht_broadcast_shapes(fn, in[0]->ndim, in[0]->gshape, in[1]->ndim,
                                   in[1]->gshape, nout, out);
      char msg[512], sh[128];
      size_t len = 0;
      for (int i = 0; i < n && len < sizeof msg; i++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s",
                                i == 0 ? "" : i + 1 < n ? ", " : " and ",
                                ht_fmt_shape(sh, sizeof sh, in[i]->ndim, in[i]->gshape));
      return ht_error("%s: shapes %s cannot be broadcast", fn, msg);
    }
  return 0;
}

/* ---- one elementwise call: operands, the loop and the dtypes it reads ---- */

typedef struct ew_call {
  const char *fn;
  int nin;
  const ht_array *in[MAXIN];
  ht_dtype read[MAXIN]; /* the dtype the loop reads for input k */
  ht_dtype out_dtype;
  ht_cpu_loop loop;
  bool buffered; /* some input needs a cast */
} ew_call;

/* An input of another dtype than the loop reads is cast run by run into a stack buffer
 * (NumPy's buffered iterator): no full-size temporary, and small ints wrap in the loop's
 * own dtype. Called from OpenMP threads: the buffers are per call, ctx is read only. */
#define CAST_CHUNK 512

static void run_call(int64_t n, char **ptrs, const int64_t *strides, void *ctx) {
  const ew_call *c = ctx;
  if (!c->buffered) {
    c->loop(n, ptrs, strides);
    return;
  }
  _Alignas(64) char buf[MAXIN][CAST_CHUNK * 8];
  char *p[MAXIN + 1];
  int64_t s[MAXIN + 1];
  s[0] = strides[0];
  for (int k = 0; k < c->nin; k++) {
    ht_dtype from = c->in[k]->dtype, to = c->read[k];
    s[k + 1] = strides[k + 1];
    p[k + 1] = ptrs[k + 1];
    if (from != to && strides[k + 1] == 0) { /* a broadcast value: cast it once */
      ht_cast(from, ptrs[k + 1], 0, to, buf[k], 0, 1);
      p[k + 1] = buf[k];
    }
  }
  for (int64_t done = 0; done < n; done += CAST_CHUNK) {
    int64_t m = n - done < CAST_CHUNK ? n - done : CAST_CHUNK;
    p[0] = ptrs[0] + done * strides[0];
    for (int k = 0; k < c->nin; k++) {
      ht_dtype from = c->in[k]->dtype, to = c->read[k];
      if (strides[k + 1] == 0) continue;
      if (from == to) {
        p[k + 1] = ptrs[k + 1] + done * strides[k + 1];
      } else {
        int64_t size = (int64_t)ht_dtype_size(to);
        ht_cast(from, ptrs[k + 1] + done * strides[k + 1], strides[k + 1], to, buf[k], size, m);
        p[k + 1] = buf[k];
        s[k + 1] = size;
      }
    }
    c->loop(m, p, s);
  }
}

/* The output axis that operand a's split maps to (NumPy aligns shapes on the right). */
static int out_axis(const ht_array *a, int nout) { return a->split + (nout - a->ndim); }

static bool same_counts(const ht_array *a, const ht_array *b) {
  return memcmp(a->counts, b->counts, sizeof(int64_t) * (size_t)ht_comm_size()) == 0;
}

/* Replaces operand k by t (a temporary this call owns); NULL t means failure. */
static int replace(const ht_array **use, ht_array **tmp, int k, ht_array *t) {
  if (!t) return -1;
  ht_array_free(tmp[k]);
  tmp[k] = t;
  use[k] = t;
  return 0;
}

/* Heat's split alignment. The result is split like the first split operand; an operand
 * split along another output axis is resplit to it, one split along the same axis with
 * other counts is redistributed to the same counts, and one whose split axis is
 * broadcast (length 1 against n) is replicated first. Replicated operands stay in place:
 * each rank reads its rows of them through an offset. Returns the result split (output
 * axis, -1 replicated) and the operand that owns its counts, or -2 on error. */
static int align_splits(int nin, int nout, const int64_t *gshape, const ht_array **use,
                        ht_array **tmp, const ht_array **ref) {
  for (int k = 0; k < nin; k++) {
    const ht_array *a = use[k];
    if (a->split >= 0 && a->gshape[a->split] == 1 && gshape[out_axis(a, nout)] != 1)
      if (replace(use, tmp, k, ht_resplit(a, -1))) return -2;
  }
  int r = -1;
  for (int k = 0; k < nin && r < 0; k++)
    if (use[k]->split >= 0) r = k;
  if (r < 0) return *ref = NULL, -1;
  const int js = out_axis(use[r], nout);
  for (int k = r + 1; k < nin; k++) {
    const ht_array *a = use[k];
    if (a->split < 0) continue;
    if (out_axis(a, nout) != js) {
      int i = js - (nout - a->ndim); /* the output split axis in a's own axes */
      if (replace(use, tmp, k, ht_resplit(a, (i < 0 || a->gshape[i] == 1) ? -1 : i)))
        return -2;
      a = use[k];
    }
    if (a->split >= 0 && !same_counts(a, use[r]))
      if (replace(use, tmp, k, ht_redistribute(a, use[r]->counts))) return -2;
  }
  *ref = use[r];
  return js;
}

/* Runs the call's loop over out's local chunk; use[k] are the aligned operands. */
static void run_local(const ew_call *c, const ht_array *const *use, ht_array *out) {
  const int nout = out->ndim, split = out->split;
  /* a replicated operand starts at this rank's first row along the split axis */
  const int64_t lstart = ht_array_lstart(out);
  ew_call local = *c;
  char *base[MAXIN + 1];
  int64_t strides[MAXIN + 1][HT_MAXDIM];
  base[0] = ht_array_data(out);
  for (int j = 0; j < nout; j++)
    strides[0][j] = out->strides[j] * (int64_t)ht_dtype_size(out->dtype);
  for (int k = 0; k < c->nin; k++) {
    const ht_array *a = use[k];
    const int off = nout - a->ndim;
    const int64_t item = (int64_t)ht_dtype_size(a->dtype);
    base[k + 1] = ht_array_data(a);
    for (int j = 0; j < nout; j++)
      strides[k + 1][j] = (j < off || a->gshape[j - off] == 1) ? 0 : a->strides[j - off] * item;
    if (split >= 0 && a->split < 0 && split >= off && a->gshape[split - off] != 1)
      base[k + 1] += lstart * a->strides[split - off] * item;
    local.in[k] = a;
    local.buffered |= a->dtype != c->read[k];
  }
  ht_iter it;
  ht_iter_init(&it, c->nin + 1, nout, out->lshape, base, (const int64_t(*)[HT_MAXDIM])strides);
  ht_iter_run(&it, run_call, &local);
}

/* Split operands that overlap `into` another way than element for element are copied
 * (x = add(x, x.T, {out = x})); ones with other counts than its own are redistributed to
 * them. Operands that are `into` itself are fine: element i reads element i only. */
static int follow_into(int nin, const ht_array **use, ht_array **tmp, const ht_array *into) {
  for (int k = 0; k < nin; k++) {
    const ht_array *a = use[k];
    if (a->buf == into->buf && (a->offset != into->offset || a->ndim != into->ndim ||
        memcmp(a->strides, into->strides, sizeof(int64_t) * (size_t)into->ndim)))
      if (replace(use, tmp, k, ht_copy(a))) return -1;
    if (use[k]->split >= 0 && into->split >= 0 && !same_counts(use[k], into))
      if (replace(use, tmp, k, ht_redistribute(use[k], into->counts))) return -1;
  }
  return 0;
}

/* Broadcasts, aligns splits and runs the call's loop locally: into a new result, or into
 * `into` (out=) when it has the result's shape, split and dtype. An `into` of another
 * dtype gets the new result cast (NumPy computes in the loop's dtype, then casts). */
static ht_array *run_elementwise(const ew_call *c, ht_array *into) {
  int nout;
  int64_t gshape[HT_MAXDIM];
  for (int k = 0; k < c->nin; k++)
    if (ht_require_host(c->in[k], c->fn)) return NULL;
  if (into && ht_require_host(into, c->fn)) return NULL;
  if (broadcast_all(c->fn, c->nin, c->in, &nout, gshape)) return NULL;

  const ht_array *use[MAXIN], *ref = NULL;
  ht_array *tmp[MAXIN] = {NULL}, *out = NULL;
  for (int k = 0; k < c->nin; k++) use[k] = c->in[k];
  int split = align_splits(c->nin, nout, gshape, use, tmp, &ref), rc = split < -1 ? -1 : 0;
  if (rc == 0 && into) rc = ht_check_out(c->fn, into, nout, gshape, split, c->out_dtype, false);
  if (rc == 0 && into && into->dtype == c->out_dtype) {
    rc = follow_into(c->nin, use, tmp, into);
    if (rc == 0 && ht_array_lsize(into) > 0) run_local(c, use, into);
    out = rc ? NULL : into;
  } else if (rc == 0) {
    out = ht_array_new_agreed(c->fn, c->out_dtype, nout, gshape, split,
                              ref ? ref->counts : NULL, HT_CPU);
    if (out && ht_array_lsize(out) > 0) run_local(c, use, out);
    if (out && into) out = ht_write_out(c->fn, out, into) ? NULL : into;
  }
  for (int k = 0; k < c->nin; k++) ht_array_free(tmp[k]);
  return out;
}

/* ---- out=: checking and filling an output the caller gives ---- */

/* NumPy's casting="same_kind": bool, then the integers, then the floats; a cast down
 * within a kind is fine, signed to unsigned is not. */
static bool same_kind(ht_dtype from, ht_dtype to) {
  if (from == to || from == HT_BOOL) return true;
  if (to == HT_BOOL) return false;
  if (ht_dtype_is_float(from)) return ht_dtype_is_float(to);
  return ht_dtype_is_float(to) || from == HT_UINT8 || to != HT_UINT8;
}

static const char *split_name(char *s, size_t n, int split) {
  if (split < 0) return "None";
  snprintf(s, n, "%d", split);
  return s;
}

int ht_check_out(const char *fn, const ht_array *out, int ndim, const int64_t *shape,
                 int split, ht_dtype t, bool exact) {
  const char *why = NULL;
  if (out->ndim != ndim || memcmp(out->gshape, shape, sizeof(int64_t) * (size_t)ndim))
    why = "shapes differ";
  else if (out->split != split)
    why = "splits differ";
  else if (exact && t != out->dtype)
    why = "out must have the result's dtype";
  else if (!same_kind(t, out->dtype))
    why = "the result's dtype cannot be cast to out's (casting='same_kind')";
  if (!why) return 0;
  char s1[128], s2[128], p1[16], p2[16];
  return ht_error("%s: out has shape %s, dtype %s and split %s; the result has shape %s, "
                  "dtype %s and split %s: %s", fn,
                  ht_fmt_shape(s1, sizeof s1, out->ndim, out->gshape), ht_dtype_name(out->dtype),
                  split_name(p1, sizeof p1, out->split), ht_fmt_shape(s2, sizeof s2, ndim, shape),
                  ht_dtype_name(t), split_name(p2, sizeof p2, split), why);
}

int ht_write_out(const char *fn, ht_array *res, ht_array *out) {
  int rc = ht_require_host(out, fn);
  if (rc == 0 && res->split >= 0 && !same_counts(res, out)) {
    ht_array *moved = ht_redistribute(res, out->counts);
    ht_array_free(res);
    if (!(res = moved)) return -1;
  }
  if (rc == 0) rc = ht_copy_into(out, res);
  ht_array_free(res);
  return rc;
}

/* ---- dtype resolution ---- */

/* The dtype a binary op computes in: NumPy's promotion, then the op's kind (ops.h). */
static ht_dtype binary_dtype(ht_binop op, ht_dtype ta, ht_dtype tb) {
  ht_dtype p = ht_promote(ta, tb);
  if (op == HT_SUB && p == HT_BOOL)
    return ht_error("sub: boolean subtract is not supported (dtypes %s and %s), use "
                    "logical_xor", ht_dtype_name(ta), ht_dtype_name(tb)), HT_NDTYPES;
  ht_ew_kind k = ht_binop_kind(op);
  if (k == HT_EW_TRUEDIV && !ht_dtype_is_float(p)) p = HT_FLOAT64;
  if (k == HT_EW_MATH) p = ht_float_result(p);
  if (k == HT_EW_BOOLI8 && p == HT_BOOL) p = HT_INT8;
  return p;
}

/* Off the CPU, the device's contiguous kernels take operands of one dtype, shape and
 * distribution (the CUDA twins); anything else is the one "not supported" error. */
static bool device_fits(const ht_array *a, const ht_array *b) {
  if (a->device != b->device || a->dtype != b->dtype || a->ndim != b->ndim ||
      a->split != b->split || !ht_array_is_contiguous(a) || !ht_array_is_contiguous(b))
    return false;
  if (memcmp(a->gshape, b->gshape, sizeof(int64_t) * (size_t)a->ndim)) return false;
  return a->split < 0 || same_counts(a, b);
}

static ht_array *device_binary(ht_binop op, const ht_array *a, const ht_array *b) {
  const ht_backend *be = ht_backend_of(a->device);
  if (!be->binary || !device_fits(a, b))
    return ht_device_unsupported(a->device, ht_binop_name(op)), NULL;
  ht_array *out = ht_array_new_agreed(ht_binop_name(op), a->dtype, a->ndim, a->gshape,
                                       a->split, a->counts, a->device);
  if (!out) return NULL;
  if (be->binary(op, a->dtype, ht_array_lsize(out), ht_array_data(out), ht_array_data(a),
                 ht_array_data(b)))
    return ht_array_free(out), NULL;
  return out;
}

static ht_array *device_unary(ht_unop op, const ht_array *a) {
  const ht_backend *be = ht_backend_of(a->device);
  if (!be->unary || !device_fits(a, a))
    return ht_device_unsupported(a->device, ht_unop_name(op)), NULL;
  ht_array *out = ht_array_new_agreed(ht_unop_name(op), a->dtype, a->ndim, a->gshape,
                                       a->split, a->counts, a->device);
  if (!out) return NULL;
  if (be->unary(op, a->dtype, ht_array_lsize(out), ht_array_data(out), ht_array_data(a)))
    return ht_array_free(out), NULL;
  return out;
}

/* The call of a binary op on the CPU: its loop, the dtype it computes in, its result's. */
static int binary_call(ht_binop op, const ht_array *a, const ht_array *b, ew_call *c) {
  if (op >= HT_NBINOPS) return ht_error("binary: unknown operation %d", (int)op);
  *c = (ew_call){.fn = ht_binop_name(op), .nin = 2, .in = {a, b}};
  ht_dtype t = binary_dtype(op, a->dtype, b->dtype);
  if (t == HT_NDTYPES) return -1;
  c->read[0] = c->read[1] = t;
  c->out_dtype = ht_binop_kind(op) == HT_EW_BOOL ? HT_BOOL : t;
  c->loop = ht_backend_of(HT_CPU)->binary_loop(op, t);
  if (!c->loop)
    return ht_error("%s: not supported for dtypes %s and %s", c->fn, ht_dtype_name(a->dtype),
                    ht_dtype_name(b->dtype));
  return 0;
}

ht_array *ht_binary(ht_binop op, const ht_array *a, const ht_array *b) {
  if (op < HT_NBINOPS && (a->device != HT_CPU || b->device != HT_CPU))
    return device_binary(op, a, b);
  ew_call c;
  return binary_call(op, a, b, &c) ? NULL : run_elementwise(&c, NULL);
}

int ht_binary_into(ht_binop op, const ht_array *a, const ht_array *b, ht_array *out) {
  ew_call c;
  return binary_call(op, a, b, &c) || !run_elementwise(&c, out) ? -1 : 0;
}

/* out = a op b written into out (NumPy's out=, Torch's x.add_(y)): computed in out's dtype
 * (a same-kind cast of the operands, as NumPy's default casting), operands aligned to out's
 * distribution, no full-size temporary when they already match it. */
int ht_binary_out(ht_binop op, const ht_array *a, const ht_array *b, ht_array *out) {
  if (op >= HT_NBINOPS || ht_binop_kind(op) == HT_EW_BOOL) /* a bool result has no place */
    return ht_error("%s_: no in-place form (its result is bool)", ht_binop_name(op));
  char fn[32], s1[128], s2[128];
  snprintf(fn, sizeof fn, "%s_", ht_binop_name(op));
  ht_dtype t = binary_dtype(op, a->dtype, b->dtype);
  if (t == HT_NDTYPES) return -1;
  if (ht_dtype_is_float(t) && !ht_dtype_is_float(out->dtype))
    return ht_error("%s: cannot write the %s result of %s and %s into an %s array", fn,
                    ht_dtype_name(t), ht_dtype_name(a->dtype), ht_dtype_name(b->dtype),
                    ht_dtype_name(out->dtype));
  ew_call c = {.fn = fn, .nin = 2, .in = {a, b}, .read = {out->dtype, out->dtype},
               .out_dtype = out->dtype,
               .loop = ht_backend_of(HT_CPU)->binary_loop(op, out->dtype)};
  if (!c.loop) return ht_error("%s: not supported for dtype %s", fn, ht_dtype_name(out->dtype));
  if (ht_require_host(a, fn) || ht_require_host(b, fn) || ht_require_host(out, fn)) return -1;
  int nout;
  int64_t gshape[HT_MAXDIM];
  if (broadcast_all(fn, 2, c.in, &nout, gshape)) return -1;
  if (nout != out->ndim || memcmp(gshape, out->gshape, sizeof(int64_t) * (size_t)nout))
    return ht_error("%s: the result shape %s differs from the output's %s", fn,
                    ht_fmt_shape(s1, sizeof s1, nout, gshape),
                    ht_fmt_shape(s2, sizeof s2, out->ndim, out->gshape));
  /* out leads the alignment, so split operands follow its axis and counts; a split
   * operand next to a replicated out is gathered */
  const ht_array *use[MAXIN] = {out, a, b};
  ht_array *tmp[MAXIN] = {NULL};
  int rc = 0;
  for (int k = 1; k < 3 && out->split < 0; k++)
    if (use[k]->split >= 0 && (rc = replace(use, tmp, k, ht_resplit(use[k], -1)))) break;
  const ht_array *ref;
  if (rc == 0 && align_splits(3, nout, gshape, use, tmp, &ref) < -1) rc = -1;
  if (rc == 0) rc = follow_into(2, use + 1, tmp + 1, out);
  if (rc == 0 && ht_array_lsize(out) > 0) run_local(&c, use + 1, out);
  for (int k = 0; k < MAXIN; k++) ht_array_free(tmp[k]);
  return rc;
}

static int unary_call(ht_unop op, const ht_array *a, ew_call *c) {
  if (op >= HT_NUNOPS) return ht_error("unary: unknown operation %d", (int)op);
  *c = (ew_call){.fn = ht_unop_name(op), .nin = 1, .in = {a}};
  ht_dtype t = a->dtype;
  if (op == HT_NEG && t == HT_BOOL)
    return ht_error("neg: boolean negative is not supported (dtype bool), use logical_not");
  /* Math of ints and bool computes in float: float64 for int32/int64, float32 for the
   * smaller ones where NumPy gives float16, which we do not have (ht_float_result). */
  if (ht_unop_kind(op) == HT_EW_MATH) t = ht_float_result(t);
  if (ht_unop_kind(op) == HT_EW_TRUEDIV && !ht_dtype_is_float(t)) t = HT_FLOAT64;
  c->read[0] = t;
  c->out_dtype = ht_unop_kind(op) == HT_EW_BOOL ? HT_BOOL : t;
  c->loop = ht_backend_of(HT_CPU)->unary_loop(op, t);
  if (!c->loop) return ht_error("%s: not supported for dtype %s", c->fn, ht_dtype_name(a->dtype));
  return 0;
}

ht_array *ht_unary(ht_unop op, const ht_array *a) {
  if (op < HT_NUNOPS && a->device != HT_CPU) return device_unary(op, a);
  ew_call c;
  return unary_call(op, a, &c) ? NULL : run_elementwise(&c, NULL);
}

int ht_unary_into(ht_unop op, const ht_array *a, ht_array *out) {
  ew_call c;
  return unary_call(op, a, &c) || !run_elementwise(&c, out) ? -1 : 0;
}

ht_array *ht_round(const ht_array *a, int64_t d) {
  if (d == 0) return ht_unary(HT_ROUND, a);
  if (!ht_dtype_is_float(a->dtype)) {
    if (d < 0)
      return ht_error("round: negative decimals of an %s array are not supported",
                      ht_dtype_name(a->dtype)), NULL;
    return ht_copy(a);
  }
  ht_binop up = d > 0 ? HT_MUL : HT_DIV, down = d > 0 ? HT_DIV : HT_MUL;
  ht_array *scale = ht_scalar(a->dtype, pow(10.0, (double)(d > 0 ? d : -d)));
  ht_array *s = scale ? ht_binary(up, a, scale) : NULL;
  ht_array *r = s ? ht_unary(HT_ROUND, s) : NULL;
  ht_array *out = r ? ht_binary(down, r, scale) : NULL;
  ht_array_free(scale), ht_array_free(s), ht_array_free(r);
  return out;
}

ht_array *ht_where_into(const ht_array *cond, const ht_array *a, const ht_array *b,
                        ht_array *out) {
  ht_dtype t = ht_promote(a->dtype, b->dtype);
  ew_call c = {.fn = "where", .nin = 3, .in = {cond, a, b}, .read = {HT_BOOL, t, t},
               .out_dtype = t, .loop = ht_cpu_where_loop(t)};
  return run_elementwise(&c, out);
}

ht_array *ht_where(const ht_array *cond, const ht_array *a, const ht_array *b) {
  return ht_where_into(cond, a, b, NULL);
}

ht_array *ht_clip(const ht_array *a, const ht_array *lo, const ht_array *hi) {
  ew_call c = {.fn = "clip", .in = {a}};
  ht_dtype t = a->dtype;
  if (lo) t = ht_promote(t, lo->dtype);
  if (hi) t = ht_promote(t, hi->dtype);
  if (!lo && !hi) return ht_astype(a, t); /* NumPy 2 allows it: a copy */
  if (lo && hi) {
    c.nin = 3, c.in[1] = lo, c.in[2] = hi;
    c.loop = ht_cpu_clip_loop(t);
  } else { /* one bound: maximum with lo or minimum with hi, NaN propagating */
    c.nin = 2, c.in[1] = lo ? lo : hi;
    c.loop = ht_cpu_binary_loop(lo ? HT_MAXIMUM : HT_MINIMUM, t);
  }
  for (int k = 0; k < c.nin; k++) c.read[k] = t;
  c.out_dtype = t;
  return run_elementwise(&c, NULL);
}

ht_array *ht_scalar(ht_dtype t, double value) {
  int64_t none[1] = {0};
  ht_array *a = ht_array_empty(t, 0, none, -1, HT_CPU);
  if (a) ht_set_f64(t, ht_array_data(a), value);
  return a;
}
