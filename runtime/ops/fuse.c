/* Fused elementwise chains: which calls may be deferred, and the blockwise driver that runs
 * a deferred producer and its consumer in one pass through the CPU's inner loops. */
#include "../fuse.h"

#include <stdio.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/elementwise.h"
#include "../iter.h"

/* Elements per block: the intermediate (2048 doubles, 16 KiB) stays in L1. A multiple of
 * 64, the vector math loops' block, so no block has a tail the eager path lacks (their bits
 * do not depend on position anyway: runtime/cpu/elementwise.c). */
#define BLOCK 2048

const char *ht_ew_stage_name(const ht_ew_stage *s) {
  return s->unary ? ht_unop_name((ht_unop)s->op) : ht_binop_name((ht_binop)s->op);
}

/* Ops that cannot raise or communicate on float operands, with float results. */
static bool fusable_op(const ht_ew_stage *s) {
  if (s->unary) {
    switch ((ht_unop)s->op) {
      case HT_NEG: case HT_ABS: case HT_SQRT: case HT_EXP: case HT_LOG: case HT_LOG2:
      case HT_LOG10: case HT_SIN: case HT_COS: case HT_TAN: case HT_TANH: case HT_FLOOR:
      case HT_CEIL:
        return true;
      default:
        return false;
    }
  }
  switch ((ht_binop)s->op) {
    case HT_ADD: case HT_SUB: case HT_MUL: case HT_DIV: case HT_MINIMUM: case HT_MAXIMUM:
      return true;
    default:
      return false;
  }
}

static bool same_layout(const ht_array *a, const ht_array *b) {
  if (a->ndim != b->ndim || a->split != b->split ||
      memcmp(a->gshape, b->gshape, sizeof(int64_t) * (size_t)a->ndim))
    return false;
  return a->split < 0 ||
         !memcmp(a->counts, b->counts, sizeof(int64_t) * (size_t)ht_comm_size());
}

/* The first operand that is not a 0-d scalar (prev for a NULL input), or NULL. */
static const ht_array *full_operand(const ht_ew_stage *s, const ht_array *prev) {
  for (int k = 0; k < (s->unary ? 1 : 2); k++) {
    const ht_array *a = s->in[k] ? s->in[k] : prev;
    if (a && a->ndim > 0) return a;
  }
  return NULL;
}

bool ht_ew_fusable(const ht_ew_stage *s, const ht_array *prev, int64_t min_bytes) {
  if (!fusable_op(s)) return false;
  const ht_array *ref = full_operand(s, prev);
  if (!ref || (ref->dtype != HT_FLOAT32 && ref->dtype != HT_FLOAT64)) return false;
  for (int k = 0; k < (s->unary ? 1 : 2); k++) {
    const ht_array *a = s->in[k] ? s->in[k] : prev;
    if (!a || a->dtype != ref->dtype || a->device != HT_CPU) return false;
    if (a->ndim == 0) continue;
    if (!same_layout(a, ref) || (a != prev && !ht_array_is_contiguous(a))) return false;
  }
  /* the largest rank's block, so that every rank takes the same path */
  int64_t rows = ref->split < 0 ? 0 : ref->counts[0], n = 1;
  for (int r = 1; ref->split >= 0 && r < ht_comm_size(); r++)
    if (ref->counts[r] > rows) rows = ref->counts[r];
  for (int d = 0; d < ref->ndim; d++) n *= d == ref->split ? rows : ref->gshape[d];
  return n * (int64_t)ht_dtype_size(ref->dtype) >= min_bytes;
}

ht_array *ht_ew_result(const ht_ew_stage *s) {
  const ht_array *like = full_operand(s, NULL);
  return ht_array_new_agreed(ht_ew_stage_name(s), like->dtype, like->ndim, like->gshape,
                             like->split, like->counts, HT_CPU);
}

/* Runs stages st[0..n-1] over elements [lo, hi) of out's chunk, block by block: a stage's
 * NULL inputs read the previous stage's block from tmp, the last stage writes into out.
 * Each element goes through the same inner loops as the eager calls, in the same order. */
static void run_range(int n, const ht_ew_stage *st, ht_array *out, int64_t lo, int64_t hi) {
  _Alignas(64) char tmp[2][BLOCK * sizeof(double)];
  const ht_dtype t = out->dtype;
  const int64_t item = (int64_t)ht_dtype_size(t);
  ht_cpu_loop loops[2];
  for (int k = 0; k < n; k++)
    loops[k] = st[k].unary ? ht_cpu_unary_loop((ht_unop)st[k].op, t)
                           : ht_cpu_binary_loop((ht_binop)st[k].op, t);
  char *dst = ht_array_data(out);
  for (int64_t b = lo; b < hi; b += BLOCK) {
    const int64_t m = hi - b < BLOCK ? hi - b : BLOCK;
    for (int k = 0; k < n; k++) {
      char *p[3];
      int64_t s[3] = {item, item, item};
      p[0] = k == n - 1 ? dst + b * item : tmp[k & 1];
      for (int i = 0; i < (st[k].unary ? 1 : 2); i++) {
        const ht_array *a = st[k].in[i];
        if (!a) p[i + 1] = tmp[(k - 1) & 1];
        else if (a->ndim == 0) p[i + 1] = ht_array_data(a), s[i + 1] = 0;
        else p[i + 1] = (char *)ht_array_data(a) + b * item;
      }
      loops[k](m, p, s);
    }
  }
}

typedef struct chain {
  int n;
  const ht_ew_stage *st;
  ht_array *out;
} chain;

/* The broadcasting iterator over out alone hands each thread its piece of elements. */
static void chain_piece(int64_t n, char **ptrs, const int64_t *strides, void *ctx) {
  (void)strides;
  const chain *c = ctx;
  const int64_t lo = (ptrs[0] - (char *)ht_array_data(c->out)) / (int64_t)ht_dtype_size(c->out->dtype);
  run_range(c->n, c->st, c->out, lo, lo + n);
}

static void run_chain(int n, const ht_ew_stage *st, ht_array *out) {
  chain c = {n, st, out};
  char *base = ht_array_data(out);
  int64_t size = ht_array_lsize(out), stride[1][HT_MAXDIM] = {{(int64_t)ht_dtype_size(out->dtype)}};
  ht_iter it;
  ht_iter_init(&it, 1, 1, &size, &base, (const int64_t(*)[HT_MAXDIM])stride);
  ht_iter_run(&it, chain_piece, &c);
}

void ht_ew_force(const ht_ew_stage *s, ht_array *out) { run_chain(1, s, out); }

ht_array *ht_ew_fused(const ht_ew_stage *prod, const ht_ew_stage *cons) {
  const ht_array *like = full_operand(prod, NULL);
  ht_array *out = ht_array_new_agreed(ht_ew_stage_name(cons), like->dtype, like->ndim,
                                      like->gshape, like->split, like->counts, HT_CPU);
  if (!out) return NULL;
  const ht_ew_stage st[2] = {*prod, *cons};
  run_chain(2, st, out);
  return out;
}
