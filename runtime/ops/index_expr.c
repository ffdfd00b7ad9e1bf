/* Building index expressions: the item builders and the parser of NumPy's index syntax
 * ("2:5, ::2", "...", "-1", ":, 0", "None"), used by the binding for string keys. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../indexing.h"

static ht_index_item *add(ht_index *ix, ht_index_kind kind, const char *fn) {
  if (ix->n >= HT_INDEX_MAXITEMS) {
    ht_error("%s: an index has at most %d items", fn, HT_INDEX_MAXITEMS);
    return NULL;
  }
  ht_index_item *it = &ix->item[ix->n++];
  memset(it, 0, sizeof *it);
  it->kind = kind;
  it->step = 1;
  return it;
}

int ht_index_int(ht_index *ix, int64_t i, const char *fn) {
  ht_index_item *it = add(ix, HT_INDEX_INT, fn);
  if (!it) return -1;
  it->start = i;
  return 0;
}

int ht_index_slice(ht_index *ix, bool has_start, int64_t start, bool has_stop, int64_t stop,
                   int64_t step, const char *fn) {
  ht_index_item *it = add(ix, HT_INDEX_SLICE, fn);
  if (!it) return -1;
  it->has_start = has_start, it->start = has_start ? start : 0;
  it->has_stop = has_stop, it->stop = has_stop ? stop : 0;
  it->step = step;
  return 0;
}

int ht_index_all(ht_index *ix, const char *fn) {
  return ht_index_slice(ix, false, 0, false, 0, 1, fn);
}

int ht_index_newaxis(ht_index *ix, const char *fn) {
  return add(ix, HT_INDEX_NEWAXIS, fn) ? 0 : -1;
}

int ht_index_ellipsis(ht_index *ix, const char *fn) {
  return add(ix, HT_INDEX_ELLIPSIS, fn) ? 0 : -1;
}

int ht_index_array(ht_index *ix, const ht_array *a, const char *fn) {
  ht_index_item *it = add(ix, HT_INDEX_ARRAY, fn);
  if (!it) return -1;
  it->array = a;
  return 0;
}

int ht_index_axis_of(const ht_index *ix, int k, int ndim) {
  int used = 0, before = 0, ellipsis = -1;
  for (int j = 0; j < ix->n; j++) {
    const ht_index_item *it = &ix->item[j];
    int width = it->kind == HT_INDEX_INT || it->kind == HT_INDEX_SLICE ? 1
                : it->kind == HT_INDEX_ARRAY ? (it->array->dtype == HT_BOOL ? it->array->ndim : 1)
                                             : 0;
    if (it->kind == HT_INDEX_ELLIPSIS && ellipsis < 0) ellipsis = j;
    if (j < k) before += width;
    used += width;
  }
  const ht_index_item *it = &ix->item[k];
  if (it->kind == HT_INDEX_NEWAXIS || it->kind == HT_INDEX_ELLIPSIS || used > ndim) return -1;
  /* items after the ellipsis are counted from the end */
  return ellipsis >= 0 && k > ellipsis ? before + (ndim - used) : before;
}

/* ---- the parser ---- */

static const char *skip_space(const char *s) {
  while (isspace((unsigned char)*s))
    s++;
  return s;
}

/* An optional integer; *s moves past it. 1: found, 0: absent, -1: malformed. */
static int parse_int(const char **s, int64_t *out) {
  const char *p = skip_space(*s);
  if (*p != '-' && *p != '+' && !isdigit((unsigned char)*p)) return *s = p, 0;
  char *end;
  errno = 0;
  long long v = strtoll(p, &end, 10);
  if (end == p || errno == ERANGE) return -1;
  *out = v;
  *s = skip_space(end);
  return 1;
}

static bool word(const char **s, const char *w) {
  size_t n = strlen(w);
  const char *p = skip_space(*s);
  if (strncmp(p, w, n) != 0 || isalnum((unsigned char)p[n]) || p[n] == '_') return false;
  *s = skip_space(p + n);
  return true;
}

#define MALFORMED (-2)

/* One item, up to the next ',' or the end: 0, -1 (message set) or MALFORMED. */
static int parse_item(ht_index *ix, const char **s, const char *fn) {
  const char *p = skip_space(*s);
  if (strncmp(p, "...", 3) == 0) {
    *s = skip_space(p + 3);
    return ht_index_ellipsis(ix, fn);
  }
  if (word(&p, "None") || word(&p, "newaxis") || word(&p, "np.newaxis")) {
    *s = p;
    return ht_index_newaxis(ix, fn);
  }
  int64_t v[3] = {0, 0, 1};
  bool has[3] = {false, false, false};
  int parts = 0;
  for (;;) {
    int r = parse_int(&p, &v[parts]);
    if (r < 0) return MALFORMED;
    has[parts] = r == 1;
    parts++;
    if (*p != ':' || parts == 3) break;
    p++;
  }
  *s = p;
  if (parts == 1) {
    if (!has[0]) return MALFORMED;
    return ht_index_int(ix, v[0], fn);
  }
  if (has[2] && v[2] == 0) return ht_error("%s: slice step cannot be zero", fn);
  return ht_index_slice(ix, has[0], v[0], has[1], v[1], has[2] ? v[2] : 1, fn);
}

int ht_index_parse(ht_index *ix, const char *s, const char *fn) {
  const char *p = skip_space(s);
  if (!*p) return ht_error("%s: empty index string", fn);
  while (*p) {
    int rc = parse_item(ix, &p, fn);
    if (rc == MALFORMED) return ht_error("%s: cannot parse index string '%s'", fn, s);
    if (rc) return -1;
    p = skip_space(p);
    if (*p == ',') {
      p = skip_space(p + 1);
      continue; /* a trailing comma is Python's one-item tuple */
    }
    if (*p) return ht_error("%s: cannot parse index string '%s'", fn, s);
  }
  return 0;
}
