/* What a repr shows of a large array. */
#ifndef HT_SUMMARY_H
#define HT_SUMMARY_H

#include "array.h"

/* The array restricted to the first and last `edge` indices of every axis longer than
 * 2*edge (cut[d] set for those), replicated on every rank. Collective. */
ht_array *ht_edges(const ht_array *a, int64_t edge, bool *cut);

#endif
