/* Fused elementwise expressions: deciding whether a call may be deferred, the metadata of a
 * deferred result, and the blockwise driver that runs a producer and its consumer in one
 * pass (runtime/ops/fuse.c; the binding's deferral lives in bindings/lua/fuse.c). */
#ifndef HT_FUSE_H
#define HT_FUSE_H

#include <stdbool.h>

#include "ops.h"

/* One elementwise call of a chain: in[k] NULL reads the previous stage's value. */
typedef struct ht_ew_stage {
  bool unary;
  int op; /* ht_binop or ht_unop */
  const ht_array *in[2];
} ht_ew_stage;

const char *ht_ew_stage_name(const ht_ew_stage *s);
/* Whether s may be deferred (prev NULL) or fused onto prev (a deferred result's header):
 * a float32/float64 CPU op that cannot fail or communicate, every array operand of the
 * result's dtype, the full ones of one shape, split, counts and contiguous layout (0-d
 * scalars beside them), and the largest rank's block at least min_bytes. Depends on
 * metadata only, so every rank decides alike. */
bool ht_ew_fusable(const ht_ew_stage *s, const ht_array *prev, int64_t min_bytes);
/* The storage of s's result, allocated as an eager result is (agreed when large, so
 * collective: every rank makes the deferred call at the same point), not yet computed. */
ht_array *ht_ew_result(const ht_ew_stage *s);
/* Computes s into out (from ht_ew_result), locally: no collective and no allocation, so it
 * cannot fail and may run at a moment that differs between ranks. */
void ht_ew_force(const ht_ew_stage *s, ht_array *out);
/* cons applied to prod's value (cons's NULL inputs) in one pass, into a new array
 * (allocation agreed, so collective): prod's value never exists in full. */
ht_array *ht_ew_fused(const ht_ew_stage *prod, const ht_ew_stage *cons);

#endif
