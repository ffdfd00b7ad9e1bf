/* The runtime's error message: one per process (each rank runs one Lua thread). */
#include "error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

static char message[1024];

int ht_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  return -1;
}

const char *ht_errmsg(void) { return message[0] ? message : "unknown error"; }
void ht_clear_error(void) { message[0] = 0; }

char *ht_fmt_shape(char *buf, size_t size, int ndim, const int64_t *shape) {
  size_t n = (size_t)snprintf(buf, size, "(");
  for (int i = 0; i < ndim && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%" PRId64 "%s", shape[i],
                          (i + 1 < ndim) ? ", " : (ndim == 1 ? "," : ""));
  if (n < size) snprintf(buf + n, size - n, ")");
  return buf;
}
