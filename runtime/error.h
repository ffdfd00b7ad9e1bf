/* The runtime's error channel: functions return NULL or -1 and leave a message here. */
#ifndef HT_ERROR_H
#define HT_ERROR_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define HT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HT_PRINTF(f, a)
#endif

/* Sets the message (printf-style) and returns -1, so `return ht_error(...)` reads well. */
int ht_error(const char *fmt, ...) HT_PRINTF(1, 2);
const char *ht_errmsg(void);
void ht_clear_error(void);
/* Formats a shape as "(3, 4)" into buf; returns buf (for messages). */
char *ht_fmt_shape(char *buf, size_t size, int ndim, const int64_t *shape);

#endif
