/* Index expressions (NumPy's basic and advanced indexing) and getitem / setitem on
 * distributed arrays. The Lua binding and C users both build an ht_index and call these. */
#ifndef HT_INDEXING_H
#define HT_INDEXING_H

#include <stdbool.h>
#include <stdint.h>

#include "array.h"

/* More items than axes are possible (newaxis), but the result keeps at most HT_MAXDIM. */
#define HT_INDEX_MAXITEMS 32

typedef enum {
  HT_INDEX_INT,      /* a number: selects one position, the axis disappears */
  HT_INDEX_SLICE,    /* start:stop:step with NumPy's clipping; a view */
  HT_INDEX_NEWAXIS,  /* None / np.newaxis: inserts an axis of length 1 */
  HT_INDEX_ELLIPSIS, /* ...: as many full slices as the other items leave */
  HT_INDEX_ARRAY     /* a bool array (mask over as many axes as it has) or an integer
                        array (fancy index along one axis); borrowed, never freed here */
} ht_index_kind;

typedef struct ht_index_item {
  ht_index_kind kind;
  int64_t start, stop, step; /* INT: start is the index (negative from the end) */
  bool has_start, has_stop;  /* SLICE: false is Python's None; step 0 is an error */
  const ht_array *array;     /* ARRAY */
} ht_index_item;

typedef struct ht_index {
  int n;
  ht_index_item item[HT_INDEX_MAXITEMS];
} ht_index;

/* Builders: append one item; -1 (with a message naming fn) when the index is full. */
int ht_index_int(ht_index *ix, int64_t i, const char *fn);
int ht_index_slice(ht_index *ix, bool has_start, int64_t start, bool has_stop, int64_t stop,
                   int64_t step, const char *fn);
int ht_index_all(ht_index *ix, const char *fn); /* `:` */
int ht_index_newaxis(ht_index *ix, const char *fn);
int ht_index_ellipsis(ht_index *ix, const char *fn);
int ht_index_array(ht_index *ix, const ht_array *a, const char *fn);
/* Appends the items of NumPy index syntax: "2:5, ::2", "...", "-1", ":, 0", "None". */
int ht_index_parse(ht_index *ix, const char *s, const char *fn);
/* The axis of an array of ndim dimensions that item k applies to (-1 for newaxis and
 * ellipsis, or when the index has too many items): for messages. */
int ht_index_axis_of(const ht_index *ix, int k, int ndim);

/* a[ix]. Basic indices give a view sharing a's buffer; the split axis survives a slice
 * (the counts become those of the selected rows: unbalanced, no communication) and a
 * number along it makes a replicated result (the owner broadcasts). A negative step along
 * the split axis, masks and integer arrays give new arrays. Collective. */
ht_array *ht_getitem(const ht_array *a, const ht_index *ix);
/* a[ix] = value: value is broadcast to the selection's shape and cast to a's dtype; any
 * split is moved to where the selection lives; only owning ranks write. Collective. */
int ht_setitem(ht_array *a, const ht_index *ix, const ht_array *value);

#endif
