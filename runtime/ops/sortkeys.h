/* Sort keys: every dtype's values mapped to unsigned 64-bit integers that order like the
 * values (NaN largest, -0.0 equal to 0.0), so one stable radix sort serves all dtypes.
 * Used by sort, argsort, topk and unique (runtime/ops/sort.c, runtime/ops/unique.c). */
#ifndef HT_SORTKEYS_H
#define HT_SORTKEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "../dtype.h"

typedef struct ht_kv {
  uint64_t key;
  int64_t idx; /* position along the sorted axis (global where it matters) */
} ht_kv;

/* Keys of n values of dtype t at src (element stride `stride`), with idx = base + j.
 * Descending order inverts the keys (ties still keep ascending idx). */
void ht_keys_encode(ht_dtype t, const void *src, int64_t stride, int64_t n, bool descending,
                    int64_t base, ht_kv *out);
/* The values of n keys, written contiguously as dtype t (NaNs come back as NaN). */
void ht_keys_decode(ht_dtype t, const ht_kv *kv, int64_t n, bool descending, void *dst);
/* Stable sort by key (LSD radix; insertion sort for short runs). tmp holds n entries. */
void ht_sort_kv(ht_kv *a, int64_t n, ht_kv *tmp);

#endif
