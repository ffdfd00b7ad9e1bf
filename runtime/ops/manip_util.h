/* Shared by the manipulation ops: axis checks, and the exchange engine that moves their rows. */
#ifndef HT_MANIP_UTIL_H
#define HT_MANIP_UTIL_H

#include <string.h>

#include "../array.h"
#include "../comm.h"
#include "../device.h"
#include "../exchange.h"

/* Normalises axis for ndim dimensions (NumPy's message); -1 on error. */
static inline int ht_norm_axis(const char *fn, int64_t axis, int ndim) {
  if (axis < -ndim || axis >= ndim)
    return ht_error("%s: axis %lld is out of bounds for array of dimension %d", fn,
                    (long long)axis, ndim);
  return (int)(axis < 0 ? axis + ndim : axis);
}

static inline int ht_check_cpu(const ht_array *a, const char *fn) {
  return ht_require_host(a, fn);
}

#endif
