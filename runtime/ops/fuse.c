/* Fused elementwise chains: which calls may be deferred, how deferred calls join into one
 * chain, and the blockwise driver that runs a chain in one pass through the CPU's inner
 * loops, full operands streamed, row operands tiled per thread. */
#include "../fuse.h"

#include <stdio.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/elementwise.h"
#include "../iter.h"

/* Elements per block: a chain's values (512 doubles, 4 KiB each) stay in L1 (a*x + b*y + c
 * at 2048 took 1.5-3x as long: bench/fuse_ab.lua, docs/performance-notes.md). Blocks with
 * row operands hold whole rows (F * floor(BLOCK / F) elements) or lie within one row when
 * F > BLOCK. Block edges cannot change bits: the vector math loops give an element the
 * same bits wherever it sits in a run (runtime/cpu/elementwise.c), the others are exact
 * per element. */
#define BLOCK 512
/* A scratch block's bytes, padded so that blocks do not sit a multiple of 4 KiB apart: a
 * loop storing to one while loading from another would stall on 4K aliasing. */
#define SCRATCH (BLOCK * sizeof(double) + 320)

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

/* How array a enters a result laid out like ref; -1 if it cannot (NumPy would broadcast
 * it, or the result would not be ref's shape: the eager path decides). */
static int classify(const ht_array *a, const ht_array *ref) {
  if (same_layout(a, ref)) return ht_array_is_contiguous(a) ? HT_EWO_FULL : -1;
  if (a->split >= 0 || a->ndim > ref->ndim || !ht_array_is_contiguous(a)) return -1;
  int lead = 0;
  while (lead < a->ndim && a->gshape[lead] == 1) lead++;
  if (lead == a->ndim) return HT_EWO_SCALAR;
  const int m = a->ndim - lead, j = ref->ndim - m; /* a spans ref's axes j.. */
  if (j <= ref->split || j < 1) return -1;
  for (int i = 0; i < m; i++)
    if (a->gshape[lead + i] != ref->gshape[j + i]) return -1;
  return HT_EWO_ROW;
}

/* The operand whose layout the result takes: a deferred value if there is one (it must be
 * full), else the one of most axes, then most elements, then split. */
static const ht_array *result_like(const ht_ew_stage *s, const ht_array *const val[2]) {
  const ht_array *best = NULL;
  for (int k = 0; k < (s->unary ? 1 : 2); k++) {
    const ht_array *a = s->in[k] ? s->in[k] : val[k];
    if (!a) return NULL;
    if (!s->in[k]) return a;
    if (!best || a->ndim > best->ndim ||
        (a->ndim == best->ndim && (ht_array_gsize(a) > ht_array_gsize(best) ||
                                   (ht_array_gsize(a) == ht_array_gsize(best) &&
                                    a->split >= 0 && best->split < 0))))
      best = a;
  }
  return best;
}

bool ht_ew_fusable(ht_ew_stage *s, const ht_array *const val[2], int64_t min_bytes) {
  if (!fusable_op(s)) return false;
  for (int k = 0; k < (s->unary ? 1 : 2); k++)
    if (!s->in[k] && !val[k]) return false;
  const ht_array *ref = result_like(s, val);
  if (!ref || ref->ndim == 0 || (ref->dtype != HT_FLOAT32 && ref->dtype != HT_FLOAT64))
    return false;
  for (int k = 0; k < (s->unary ? 1 : 2); k++) {
    const ht_array *a = s->in[k] ? s->in[k] : val[k];
    if (a->dtype != ref->dtype || a->device != HT_CPU) return false;
    const int kind = classify(a, ref);
    if (kind < 0 || (!s->in[k] && kind != HT_EWO_FULL)) return false;
    s->kind[k] = (ht_ew_operand)kind;
  }
  /* the largest rank's block, so that every rank takes the same path */
  int64_t rows = ref->split < 0 ? 0 : ref->counts[0], n = 1;
  for (int r = 1; ref->split >= 0 && r < ht_comm_size(); r++)
    if (ref->counts[r] > rows) rows = ref->counts[r];
  for (int d = 0; d < ref->ndim; d++) n *= d == ref->split ? rows : ref->gshape[d];
  return n * (int64_t)ht_dtype_size(ref->dtype) >= min_bytes;
}

ht_array *ht_ew_result(const ht_ew_stage *s, const ht_array *const val[2]) {
  const ht_array *like = result_like(s, val);
  return ht_array_new_agreed(ht_ew_stage_name(s), like->dtype, like->ndim, like->gshape,
                             like->split, like->counts, HT_CPU);
}

/* The distinct row operands of c (up to cap) and their common length; -1 if too many or
 * of different lengths. */
static int chain_rows(const ht_ew_chain *c, const ht_array **rows, int cap, int64_t *F) {
  int n = 0;
  *F = 0;
  for (int k = 0; k < c->n; k++)
    for (int i = 0; i < (c->st[k].unary ? 1 : 2); i++) {
      const ht_array *a = c->st[k].in[i];
      if (!a || c->st[k].kind[i] != HT_EWO_ROW) continue;
      int j = 0;
      while (j < n && rows[j] != a) j++;
      if (j < n) continue;
      if (n == cap || (*F && ht_array_gsize(a) != *F)) return -1;
      *F = ht_array_gsize(a);
      rows[n++] = a;
    }
  return n;
}

bool ht_ew_chain_join(ht_ew_chain *dst, const ht_ew_chain *const src[2], const ht_ew_stage *s) {
  int end[2] = {-1, -1};
  dst->n = 0;
  for (int k = 0; k < 2; k++) {
    if (!src[k]) continue;
    if (k == 1 && src[1] == src[0]) {
      end[1] = end[0];
      continue;
    }
    if (dst->n + src[k]->n >= HT_EW_MAXSTAGE) return false; /* room for s */
    const int base = dst->n;
    for (int j = 0; j < src[k]->n; j++) {
      ht_ew_stage t = src[k]->st[j];
      for (int i = 0; i < 2; i++)
        if (!t.in[i]) t.arg[i] += base;
      dst->st[dst->n++] = t;
    }
    end[k] = dst->n - 1;
  }
  if (dst->n >= HT_EW_MAXSTAGE) return false;
  ht_ew_stage t = *s;
  for (int i = 0; i < (t.unary ? 1 : 2); i++)
    if (!t.in[i]) t.arg[i] = end[i];
  dst->st[dst->n++] = t;
  const ht_array *rows[HT_EW_MAXROW];
  int64_t F;
  return chain_rows(dst, rows, HT_EW_MAXROW, &F) >= 0;
}

/* What the threads share: the loops, the row operands, each stage's scratch slot. */
typedef struct plan {
  const ht_ew_chain *c;
  ht_array *out;
  ht_cpu_loop loops[HT_EW_MAXSTAGE];
  const ht_array *rows[HT_EW_MAXROW];
  int nrow, rowid[HT_EW_MAXSTAGE][2];
  int slot[HT_EW_MAXSTAGE]; /* scratch block holding stage k's value; the last writes out */
  int64_t F;                /* row length, 0 without rows */
} plan;

/* Runs the chain over elements [lo, hi) of out's chunk, block by block. */
static void run_range(const plan *pl, int64_t lo, int64_t hi) {
  _Alignas(64) char tmp[HT_EW_MAXSTAGE - 1][SCRATCH];
  _Alignas(64) char tile[HT_EW_MAXROW][SCRATCH];
  const ht_ew_chain *c = pl->c;
  const int64_t item = (int64_t)ht_dtype_size(pl->out->dtype), F = pl->F;
  const int64_t per = F && F <= BLOCK ? BLOCK / F : 0; /* whole rows per tiled block */
  for (int r = 0; r < pl->nrow && per; r++) /* the row repeated: an ordinary full operand */
    for (int64_t j = 0; j < per; j++)
      memcpy(tile[r] + j * F * item, ht_array_data(pl->rows[r]), (size_t)(F * item));
  char *dst = ht_array_data(pl->out);
  int64_t m;
  for (int64_t b = lo; b < hi; b += m) {
    const int64_t off = F ? b % F : 0;
    const char *rowp[HT_EW_MAXROW];
    m = hi - b;
    if (per && off == 0) {
      if (m > per * F) m = per * F;
      for (int r = 0; r < pl->nrow; r++) rowp[r] = tile[r];
    } else {
      if (m > BLOCK) m = BLOCK;
      if (F && m > F - off) m = F - off;
      for (int r = 0; r < pl->nrow; r++) rowp[r] = (const char *)ht_array_data(pl->rows[r]) + off * item;
    }
    for (int k = 0; k < c->n; k++) {
      const ht_ew_stage *st = &c->st[k];
      char *p[3];
      int64_t s[3] = {item, item, item};
      p[0] = k == c->n - 1 ? dst + b * item : tmp[pl->slot[k]];
      for (int i = 0; i < (st->unary ? 1 : 2); i++) {
        const ht_array *a = st->in[i];
        if (!a) p[i + 1] = tmp[pl->slot[st->arg[i]]];
        else if (st->kind[i] == HT_EWO_SCALAR) p[i + 1] = ht_array_data(a), s[i + 1] = 0;
        else if (st->kind[i] == HT_EWO_ROW) p[i + 1] = (char *)rowp[pl->rowid[k][i]];
        else p[i + 1] = (char *)ht_array_data(a) + b * item;
      }
      pl->loops[k](m, p, s);
    }
  }
}

/* The broadcasting iterator over out alone hands each thread its piece of elements. */
static void chain_piece(int64_t n, char **ptrs, const int64_t *strides, void *ctx) {
  (void)strides;
  const plan *pl = ctx;
  const int64_t lo = (ptrs[0] - (char *)ht_array_data(pl->out)) / (int64_t)ht_dtype_size(pl->out->dtype);
  run_range(pl, lo, lo + n);
}

void ht_ew_force(const ht_ew_chain *c, ht_array *out) {
  plan pl = {.c = c, .out = out};
  const ht_dtype t = out->dtype;
  pl.nrow = chain_rows(c, pl.rows, HT_EW_MAXROW, &pl.F); /* >= 0: checked at the join */
  int last[HT_EW_MAXSTAGE];
  for (int k = 0; k < c->n; k++) {
    const ht_ew_stage *st = &c->st[k];
    pl.loops[k] = st->unary ? ht_cpu_unary_loop((ht_unop)st->op, t)
                            : ht_cpu_binary_loop((ht_binop)st->op, t);
    last[k] = k;
    for (int i = 0; i < (st->unary ? 1 : 2); i++) {
      if (!st->in[i]) last[st->arg[i]] = k;
      else if (st->kind[i] == HT_EWO_ROW)
        for (int r = 0; r < pl.nrow; r++)
          if (pl.rows[r] == st->in[i]) pl.rowid[k][i] = r;
    }
  }
  /* a stage's value takes a scratch block no value still to be read holds */
  for (int k = 0; k < c->n - 1; k++) {
    int busy = 0;
    for (int j = 0; j < k; j++)
      if (last[j] >= k) busy |= 1 << pl.slot[j];
    pl.slot[k] = 0;
    while (busy >> pl.slot[k] & 1) pl.slot[k]++;
  }
  char *base = ht_array_data(out);
  int64_t size = ht_array_lsize(out), stride[1][HT_MAXDIM] = {{(int64_t)ht_dtype_size(t)}};
  ht_iter it;
  ht_iter_init(&it, 1, 1, &size, &base, (const int64_t(*)[HT_MAXDIM])stride);
  ht_iter_run(&it, chain_piece, &pl);
}
