/* Fused elementwise expressions: deciding whether a call may be deferred, the metadata of a
 * deferred result, chains of deferred calls, and the blockwise driver that runs a chain in
 * one pass (runtime/ops/fuse.c; the binding's deferral lives in bindings/lua/fuse.c). */
#ifndef HT_FUSE_H
#define HT_FUSE_H

#include <stdbool.h>

#include "ops.h"

/* A chain holds at most this many calls (each keeps its operands alive until the chain is
 * computed or collected) and at most HT_EW_MAXROW row operands of one row length. */
#define HT_EW_MAXSTAGE 6
#define HT_EW_MAXROW 4

/* One elementwise call of a chain: in[k] NULL reads the value of the chain's stage arg[k]
 * (an earlier one). An array operand is full (the result's shape, split and counts,
 * contiguous), a scalar (replicated, one element: 0-d or all axes 1) or a row (replicated,
 * contiguous, whose shape without leading 1s is the result's trailing axes after split). */
typedef enum { HT_EWO_FULL, HT_EWO_SCALAR, HT_EWO_ROW } ht_ew_operand;
typedef struct ht_ew_stage {
  bool unary;
  int op; /* ht_binop or ht_unop */
  const ht_array *in[2];
  int arg[2];
  ht_ew_operand kind[2]; /* of in[k], set by ht_ew_fusable */
} ht_ew_stage;

/* Stages in call order; the last one's value is the chain's result. */
typedef struct ht_ew_chain {
  int n;
  ht_ew_stage st[HT_EW_MAXSTAGE];
} ht_ew_chain;

const char *ht_ew_stage_name(const ht_ew_stage *s);
/* Whether s may be deferred, val[k] standing for its NULL inputs (the headers of deferred
 * results): a float32/float64 CPU op that cannot fail or communicate, every operand of the
 * result's dtype, full, scalar or row (val[k] full), and the largest rank's block of the
 * result at least min_bytes. Depends on metadata only, so every rank decides alike. Sets
 * s->kind. */
bool ht_ew_fusable(ht_ew_stage *s, const ht_array *const val[2], int64_t min_bytes);
/* The storage of s's result, allocated as an eager result is (agreed when large, so
 * collective: every rank makes the deferred call at the same point), not yet computed. */
ht_array *ht_ew_result(const ht_ew_stage *s, const ht_array *const val[2]);
/* dst = the stages of src[0] and src[1] (either NULL; the same chain twice is taken once),
 * then s, whose NULL inputs k read src[k]'s result. False (dst unspecified) when the
 * chain would pass HT_EW_MAXSTAGE stages or HT_EW_MAXROW rows, or mix row lengths. */
bool ht_ew_chain_join(ht_ew_chain *dst, const ht_ew_chain *const src[2], const ht_ew_stage *s);
/* Computes chain c into out (from ht_ew_result of its last stage), locally: no collective
 * and no allocation, so it cannot fail and may run at a moment that differs between
 * ranks. Each element goes through the eager calls' inner loops, in the same order. */
void ht_ew_force(const ht_ew_chain *c, ht_array *out);

#endif
