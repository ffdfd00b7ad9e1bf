/* CSV through MPI-IO. Loading: every rank reads one byte range of the file, moves its start
 * to the next line start, parses its lines in OpenMP threads straight into its chunk.
 * Saving: every rank formats its rows, an exclusive prefix sum of the byte counts gives
 * each rank its offset, and all write at once. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "comm.h"
#include "device.h"
#include "error.h"
#include "io.h"
#include "iofile.h"

void ht_csv_load_opts_init(ht_csv_load_opts *o) {
  memset(o, 0, sizeof *o);
  o->sep = ',';
  o->dtype = HT_FLOAT32;
  o->split = 0;
  o->device = HT_CPU;
}

void ht_csv_save_opts_init(ht_csv_save_opts *o) {
  memset(o, 0, sizeof *o);
  o->sep = ',';
  o->decimals = -1;
  o->mode = "w";
}

/* ---- loading: finding this rank's lines ---- */

/* Rank 0 skips the header lines with plain reads; returns the byte offset of the data. */
static int skip_header(const char *path, int64_t lines, int64_t *offset) {
  FILE *f = fopen(path, "rb");
  if (!f) return ht_error("load_csv: cannot open '%s': %s", path, strerror(errno));
  int64_t pos = 0;
  for (int c; lines > 0 && (c = getc(f)) != EOF; pos++)
    if (c == '\n') lines--;
  fclose(f);
  *offset = pos;
  return 0;
}

typedef struct text {
  char *buf;       /* bytes [lo, hi) of the file, NUL-terminated */
  int64_t lo, hi;
  int64_t start;   /* this rank's first line start (file offset), or -1: none */
  int64_t end;     /* where the next rank's lines begin */
} text;

/* Reads this rank's byte range plus the byte before it (is it a line end?), finds the
 * first line start, learns everybody's, then reads on to where the next rank begins. */
static int find_lines(MPI_File fh, const char *path, int64_t data, int64_t size, text *t) {
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t n = size - data;
  /* consecutive ranks compute the same boundary: integer arithmetic only */
  int64_t b0 = me == 0 ? data : data + n / p * me + (n % p) * me / p;
  int64_t b1 = me == p - 1 ? size : data + n / p * (me + 1) + (n % p) * (me + 1) / p;
  /* the byte before my range tells whether my range starts a line; rank 0's data start
   * always does, and only rank 0 may claim it */
  t->lo = (me == 0 || b0 == data) ? data : b0 - 1;
  t->hi = b1;
  t->buf = malloc((size_t)(t->hi - t->lo) + 1);
  int status = t->buf ? 0 : ht_error("load_csv: out of memory");
  if (ht_comm_agree(status)) return -1;
  status = ht_io_read_at_all(fh, t->lo, t->buf, t->hi - t->lo, path, "load_csv");
  if (ht_comm_agree(status)) return -1;
  int64_t start = -1;
  if (me == 0) {
    start = data < size ? data : -1;
  } else {
    char *nl = memchr(t->buf, '\n', (size_t)(t->hi - t->lo));
    if (nl && t->lo + (nl - t->buf) + 1 < b1) start = t->lo + (nl - t->buf) + 1;
  }
  int64_t *starts = malloc(sizeof(int64_t) * 2 * (size_t)p);
  if (ht_comm_agree(starts ? 0 : ht_error("load_csv: out of memory"))) return free(starts), -1;
  int64_t *cnt = starts + p, *displs = malloc(sizeof(int64_t) * (size_t)p);
  for (int r = 0; r < p; r++) cnt[r] = sizeof(int64_t);
  if (displs) ht_counts_to_displs(cnt, p, displs);
  status = displs ? ht_comm_allgatherv(&start, sizeof start, starts, cnt, displs) : -1;
  free(displs);
  if (ht_comm_agree(status)) return free(starts), -1;
  t->start = start;
  t->end = size;
  for (int r = me + 1; r < p; r++)
    if (starts[r] >= 0) {
      t->end = starts[r];
      break;
    }
  free(starts);
  /* the last line may run past my range: read on to the next rank's first line */
  int64_t more = start >= 0 && t->end > t->hi ? t->end - t->hi : 0;
  if (more) {
    char *b = realloc(t->buf, (size_t)(t->end - t->lo) + 1);
    status = b ? 0 : ht_error("load_csv: out of memory");
    if (b) t->buf = b;
  }
  if (ht_comm_agree(status)) return -1;
  status = ht_io_read_at_all(fh, t->hi, t->buf + (t->hi - t->lo), more, path, "load_csv");
  if (ht_comm_agree(status)) return -1;
  t->hi += more;
  t->buf[t->hi - t->lo] = 0;
  if (start < 0) t->start = t->end = t->hi; /* no line begins in my range */
  return 0;
}

/* ---- loading: parsing ---- */

typedef struct lines {
  int64_t *begin;  /* offsets into text.buf of each non-blank line */
  int64_t *lineno; /* its line number counted from my first line (0-based) */
  int64_t nrows;
  int64_t nlines;  /* every line I own, blank ones too */
  int64_t ncols;   /* fields in my first non-blank line, -1 without one */
} lines;

/* Python's whitespace but the newline: strtod skips \f and \v too, so they must never be
 * the first character it sees (it would read the next line's value). */
static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_pad(char c, char sep) { return is_blank(c) && c != sep; }
static bool is_sep(char c, char sep) { return sep == ' ' ? is_blank(c) : c == sep; }
static bool at_eol(const char *s) { return *s == '\n' || !*s; }

static const char *skip_pad(const char *s, char sep) {
  while (sep == ' ' ? is_blank(*s) : is_pad(*s, sep)) s++;
  return s;
}

/* Fields of one line; a trailing separator does not start another field. */
static int64_t count_fields(const char *s, char sep) {
  int64_t n = 0;
  if (sep == ' ') { /* whitespace-separated: runs of blanks are one separator */
    for (s = skip_pad(s, sep); !at_eol(s); s = skip_pad(s, sep)) {
      n++;
      while (!at_eol(s) && !is_blank(*s)) s++;
    }
    return n;
  }
  const char *last = NULL;
  for (n = 1; !at_eol(s); s++) {
    n += *s == sep;
    if (!is_pad(*s, sep)) last = s;
  }
  return last && *last == sep ? n - 1 : n;
}

static int index_lines(const text *t, char sep, lines *l, const char *path) {
  memset(l, 0, sizeof *l);
  l->ncols = -1;
  const char *base = t->buf + (t->start - t->lo), *end = t->buf + (t->end - t->lo);
  int64_t cap = 1024;
  l->begin = malloc(sizeof(int64_t) * (size_t)cap);
  l->lineno = malloc(sizeof(int64_t) * (size_t)cap);
  if (!l->begin || !l->lineno) return ht_error("load_csv: out of memory");
  for (const char *s = base; s < end;) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end, *q = s;
    if (memchr(s, 0, (size_t)(e - s))) /* the parser would take it for the line's end */
      return ht_error("load_csv: '%s' holds a NUL byte (is it a text file?)", path);
    while (q < e && is_blank(*q)) q++;
    if (q < e) { /* not blank */
      if (l->nrows == cap) {
        cap *= 2;
        int64_t *b = realloc(l->begin, sizeof(int64_t) * (size_t)cap);
        if (b) l->begin = b;
        int64_t *n = realloc(l->lineno, sizeof(int64_t) * (size_t)cap);
        if (n) l->lineno = n;
        if (!b || !n) return ht_error("load_csv: out of memory");
      }
      if (l->ncols < 0) l->ncols = count_fields(s, sep);
      l->begin[l->nrows] = s - t->buf;
      l->lineno[l->nrows++] = l->nlines;
    }
    l->nlines++;
    s = e + 1;
  }
  return 0;
}

typedef enum { CSV_OK, CSV_FEW, CSV_MANY, CSV_EMPTY, CSV_SYNTAX, CSV_RANGE } csv_err;

typedef struct row_error {
  int64_t row;     /* first failing row, INT64_MAX: none */
  csv_err kind;
  int64_t col;
  char field[48];
} row_error;

static void note_field(row_error *e, const char *s, char sep) {
  size_t n = 0;
  while (!at_eol(s + n) && !is_sep(s[n], sep) && n + 1 < sizeof e->field) n++;
  memcpy(e->field, s, n);
  e->field[n] = 0;
}

/* One field as double or int64, then stored in the dtype's element. */
static csv_err parse_value(const char *s, char **end, ht_dtype t, void *out) {
  errno = 0;
  switch (t) {
    case HT_FLOAT32: *(float *)out = strtof(s, end); return *end == s ? CSV_SYNTAX : CSV_OK;
    case HT_FLOAT64: *(double *)out = strtod(s, end); return *end == s ? CSV_SYNTAX : CSV_OK;
    case HT_BOOL:
      if (!strncmp(s, "True", 4) || !strncmp(s, "true", 4))
        return *(bool *)out = true, *end = (char *)s + 4, CSV_OK;
      if (!strncmp(s, "False", 5) || !strncmp(s, "false", 5))
        return *(bool *)out = false, *end = (char *)s + 5, CSV_OK;
      break;
    default: break;
  }
  long long v = strtoll(s, end, 10);
  if (*end == s) return CSV_SYNTAX;
  if (errno == ERANGE) return CSV_RANGE;
  switch (t) {
    case HT_BOOL:
      if (v != 0 && v != 1) return CSV_RANGE;
      *(bool *)out = v;
      return CSV_OK;
    case HT_UINT8:
      if (v < 0 || v > UINT8_MAX) return CSV_RANGE;
      *(uint8_t *)out = (uint8_t)v;
      return CSV_OK;
    case HT_INT8:
      if (v < INT8_MIN || v > INT8_MAX) return CSV_RANGE;
      *(int8_t *)out = (int8_t)v;
      return CSV_OK;
    case HT_INT16:
      if (v < INT16_MIN || v > INT16_MAX) return CSV_RANGE;
      *(int16_t *)out = (int16_t)v;
      return CSV_OK;
    case HT_INT32:
      if (v < INT32_MIN || v > INT32_MAX) return CSV_RANGE;
      *(int32_t *)out = (int32_t)v;
      return CSV_OK;
    default: *(int64_t *)out = v; return CSV_OK;
  }
}

/* Parses one line into ncols elements; the first problem goes into e (col, field). */
static csv_err parse_row(const char *s, char sep, int64_t ncols, ht_dtype t, char *out,
                         row_error *e) {
  size_t item = ht_dtype_size(t);
  for (int64_t j = 0; j < ncols; j++) {
    s = skip_pad(s, sep);
    if (at_eol(s) || (sep != ' ' && *s == sep)) {
      /* with a real separator we just passed one, so this field is empty */
      e->col = j;
      return sep == ' ' ? CSV_FEW : CSV_EMPTY;
    }
    char *end;
    csv_err k = parse_value(s, &end, t, out + (size_t)j * item);
    if (k == CSV_OK && sep == ' ') {
      if (!at_eol(end) && !is_blank(*end)) k = CSV_SYNTAX;
    } else if (k == CSV_OK) {
      end = (char *)skip_pad(end, sep);
      if (!at_eol(end) && *end != sep) k = CSV_SYNTAX;
    }
    if (k != CSV_OK) return e->col = j, note_field(e, s, sep), k;
    s = end;
    if (j + 1 < ncols) {
      if (at_eol(s)) return e->col = j + 1, CSV_FEW;
      if (sep != ' ') s++;
    }
  }
  /* one trailing separator is tolerated (spreadsheets write it), more fields are not */
  s = sep != ' ' && *s == sep ? skip_pad(s + 1, sep) : skip_pad(s, sep);
  return at_eol(s) ? CSV_OK : (e->col = ncols, CSV_MANY);
}

/* Parses every row with the file's column count (the first line's, from whichever rank
 * holds it), so a line that differs is an error wherever it is. */
static void parse_rows(const text *t, const lines *l, int64_t ncols, const ht_csv_load_opts *o,
                       char *out, row_error *first) {
  first->row = INT64_MAX;
  int64_t rowbytes = ncols * (int64_t)ht_dtype_size(o->dtype);
#pragma omp parallel if (l->nrows > 4096)
  {
    row_error mine = {.row = INT64_MAX};
#pragma omp for schedule(static)
    for (int64_t i = 0; i < l->nrows; i++) {
      if (mine.row != INT64_MAX) continue; /* later rows of a failed block do not matter */
      row_error e = {.row = i};
      e.kind = parse_row(t->buf + l->begin[i], o->sep, ncols, o->dtype, out + i * rowbytes, &e);
      if (e.kind != CSV_OK) mine = e;
    }
#pragma omp critical(ht_csv_error)
    if (mine.row < first->row) *first = mine;
  }
}

static int row_error_message(const row_error *e, int64_t lineno, int64_t ncols,
                             const ht_csv_load_opts *o, const char *path) {
  const char *fn = "load_csv";
  switch (e->kind) {
    case CSV_FEW:
      return ht_error("%s: line %" PRId64 " of '%s' has %" PRId64 " fields, expected %" PRId64,
                      fn, lineno, path, e->col, ncols);
    case CSV_MANY:
      return ht_error("%s: line %" PRId64 " of '%s' has more than %" PRId64 " fields", fn,
                      lineno, path, ncols);
    case CSV_EMPTY:
      return ht_error("%s: line %" PRId64 " of '%s': field %" PRId64 " is empty", fn, lineno,
                      path, e->col + 1);
    case CSV_RANGE:
      return ht_error("%s: line %" PRId64 " of '%s': '%s' (field %" PRId64 ") is out of range "
                      "for %s", fn, lineno, path, e->field, e->col + 1, ht_dtype_name(o->dtype));
    default:
      return ht_error("%s: line %" PRId64 " of '%s': cannot read '%s' (field %" PRId64 ") as "
                      "%s", fn, lineno, path, e->field, e->col + 1, ht_dtype_name(o->dtype));
  }
}

/* Everybody's counts: rows, lines and columns of every rank, in rank order. */
static int share_counts(const lines *l, int64_t *all) {
  int p = ht_comm_size();
  int64_t mine[3] = {l->nrows, l->nlines, l->ncols}, cnt[p], displs[p];
  for (int r = 0; r < p; r++) cnt[r] = sizeof mine;
  ht_counts_to_displs(cnt, p, displs);
  return ht_comm_allgatherv(mine, sizeof mine, all, cnt, displs);
}

static ht_array *parse(const text *t, const ht_csv_load_opts *o, const char *path,
                       int64_t skipped) {
  int p = ht_comm_size(), me = ht_comm_rank();
  lines l = {0};
  ht_array *a = NULL;
  int64_t *all = malloc(sizeof(int64_t) * 4 * (size_t)p);
  int status = all ? index_lines(t, o->sep, &l, path) : ht_error("load_csv: out of memory");
  if (ht_comm_agree(status) || ht_comm_agree(share_counts(&l, all))) goto done;
  int64_t *counts = all + 3 * p, nrows = 0, ncols = -1, lines_before = skipped;
  for (int r = 0; r < p; r++) {
    counts[r] = all[3 * r];
    nrows += counts[r];
    if (r < me) lines_before += all[3 * r + 1];
    if (ncols < 0 && all[3 * r + 2] >= 0) ncols = all[3 * r + 2];
  }
  if (ncols < 0) ncols = 0;
  int64_t gshape[2] = {nrows, ncols};
  a = ht_array_empty_counts(o->dtype, 2, gshape, 0, counts, HT_CPU);
  if (ht_comm_agree(a ? 0 : -1)) goto done;
  row_error e;
  parse_rows(t, &l, ncols, o, ht_array_data(a), &e);
  status = e.row == INT64_MAX ? 0
                              : row_error_message(&e, lines_before + l.lineno[e.row] + 1, ncols, o, path);
  if (ht_comm_agree(status)) ht_array_free(a), a = NULL;
done:
  free(l.begin), free(l.lineno), free(all);
  return a;
}

ht_array *ht_load_csv(const char *path, const ht_csv_load_opts *o) {
  if (ht_device_unsupported(o->device, "load_csv")) return NULL;
  if (o->split != 0 && o->split != 1 && o->split != -1 && o->split != -2 &&
      o->split != HT_IO_NOSPLIT)
    return ht_error("load_csv: split %d is out of range for a 2-D table", o->split), NULL;
  if (o->header_lines < 0) return ht_error("load_csv: header_lines must be >= 0"), NULL;
  if (o->sep == '\n' || o->sep == '\r' || o->sep == '\0' || o->sep == '.' || o->sep == '-' ||
      o->sep == '+' || (o->sep >= '0' && o->sep <= '9'))
    return ht_error("load_csv: '%c' cannot be a separator", o->sep), NULL;
  if (ht_io_check_readable(path, "load_csv")) return NULL;
  int64_t data = 0, size = 0;
  int status = ht_comm_rank() == 0 ? skip_header(path, o->header_lines, &data) : 0;
  if (ht_comm_agree(status) || ht_comm_bcast(&data, sizeof data, 0)) return NULL;
  MPI_File fh;
  if (ht_io_open(path, MPI_MODE_RDONLY, &fh, "load_csv")) return NULL;
  text t = {0};
  ht_array *a = NULL;
  status = ht_comm_agree(ht_io_file_size(fh, &size, path, "load_csv"));
  if (!status) status = find_lines(fh, path, data, size, &t);
  if (ht_io_close(&fh, path, "load_csv") || status) {
    free(t.buf);
    return NULL;
  }
  a = parse(&t, o, path, o->header_lines);
  free(t.buf);
  if (!a) return NULL;
  /* byte ranges give about equal rows; callers expect Heat's balanced blocks */
  int split = o->split == HT_IO_NOSPLIT ? -1 : (o->split + 2) % 2;
  if (split == 0 && ht_array_is_balanced(a)) return a;
  ht_array *b = split == 0 ? ht_balance(a) : ht_resplit(a, split);
  ht_array_free(a);
  return b;
}

/* ---- saving ---- */

typedef struct sbuf {
  char *s;
  int64_t n, cap;
  bool oom;
} sbuf;

static void sb_reserve(sbuf *b, int64_t more) {
  if (b->n + more <= b->cap || b->oom) return;
  int64_t cap = b->cap ? b->cap : 4096;
  while (cap < b->n + more) cap *= 2;
  char *s = realloc(b->s, (size_t)cap);
  if (!s) b->oom = true;
  else b->s = s, b->cap = cap;
}

/* 10^-64 .. 10^64 (float exponents stay inside), filled before any thread formats. */
static double p10[129];

static void init_p10(void) {
  if (p10[64] != 1.0)
    for (int k = 0; k < 129; k++) p10[k] = pow(10.0, k - 64);
}

/* The shortest %g text that reads back as the same value (NumPy prints this way). */
static int fmt_float(char *out, double v, bool single, int decimals) {
  if (decimals >= 0) return snprintf(out, 64, "%.*f", decimals, v);
  if (!isfinite(v)) return snprintf(out, 64, isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
  int lo = single ? 6 : 15, hi = single ? 9 : 17, n = 0;
  if (single && v != 0) {
    /* A float's neighbours are half an ulp away, and doubles hold those midpoints exactly:
     * the fewest digits whose rounding lands strictly between them read back as v. One
     * printf and one check instead of a printf and a strtof per tried precision. */
    float f = (float)v;
    double below = ((double)nextafterf(f, -INFINITY) + v) / 2;
    double above = ((double)nextafterf(f, INFINITY) + v) / 2;
    int e = (int)floor(log10(fabs(v)));
    for (int prec = 1; prec <= 9; prec++) {
      double scale = p10[64 + prec - 1 - e], r = nearbyint(v * scale) / scale;
      if (r > below && r < above) {
        /* integers up to 9 digits print whole ("100", not "1e+02"), as NumPy does */
        if (e >= prec && e < 9) prec = e + 1;
        n = snprintf(out, 64, "%.*g", prec, v);
        if (strtof(out, NULL) == f) return n;
        break; /* log10 was off by one near a power of ten: take the slow path */
      }
    }
    lo = 1;
  }
  for (int prec = lo; prec <= hi; prec++) {
    n = snprintf(out, 64, "%.*g", prec, v);
    if (single ? strtof(out, NULL) == (float)v : strtod(out, NULL) == v) break;
  }
  return n;
}

static void format_value(sbuf *b, ht_dtype t, const char *p, int decimals) {
  char tmp[64];
  int n;
  switch (t) {
    case HT_FLOAT32: n = fmt_float(tmp, *(const float *)p, true, decimals); break;
    case HT_FLOAT64: n = fmt_float(tmp, *(const double *)p, false, decimals); break;
    case HT_BOOL: n = snprintf(tmp, sizeof tmp, "%d", *(const bool *)p ? 1 : 0); break;
    default: n = snprintf(tmp, sizeof tmp, "%" PRId64, ht_get_i64(t, p)); break;
  }
  sb_reserve(b, n + 2);
  if (!b->oom) memcpy(b->s + b->n, tmp, (size_t)n), b->n += n;
}

/* Rows [lo, hi) of a contiguous (rows, cols) block as text. */
static void format_rows(sbuf *b, const char *data, int64_t lo, int64_t hi, int64_t cols,
                        ht_dtype t, const ht_csv_save_opts *o) {
  size_t item = ht_dtype_size(t);
  for (int64_t i = lo; i < hi && !b->oom; i++) {
    for (int64_t j = 0; j < cols && !b->oom; j++) {
      if (j) b->s[b->n++] = o->sep; /* format_value reserved room for it */
      format_value(b, t, data + (size_t)(i * cols + j) * item, o->decimals);
    }
    sb_reserve(b, 1);
    if (!b->oom) b->s[b->n++] = '\n';
  }
}

/* This rank's rows as one text buffer; threads format blocks that are then joined. */
static int format_local(const char *data, int64_t rows, int64_t cols, ht_dtype t,
                        const ht_csv_save_opts *o, sbuf *out) {
  int nt = 1;
#ifdef _OPENMP
  nt = rows * cols > 65536 ? omp_get_max_threads() : 1;
#endif
  init_p10();
  sbuf *parts = calloc((size_t)nt, sizeof *parts);
  if (!parts) return ht_error("save_csv: out of memory");
#pragma omp parallel num_threads(nt)
  {
    int k = 0;
#ifdef _OPENMP
    k = omp_get_thread_num();
#endif
    format_rows(&parts[k], data, rows * k / nt, rows * (k + 1) / nt, cols, t, o);
  }
  int64_t total = 0;
  bool oom = false;
  for (int k = 0; k < nt; k++) total += parts[k].n, oom |= parts[k].oom;
  if (!oom) sb_reserve(out, total + 1);
  if (!oom && !out->oom)
    for (int k = 0; k < nt; k++)
      if (parts[k].n) /* a rank without rows has parts[k].s == NULL: memcpy's UB */
        memcpy(out->s + out->n, parts[k].s, (size_t)parts[k].n), out->n += parts[k].n;
  for (int k = 0; k < nt; k++) free(parts[k].s);
  free(parts);
  return oom || out->oom ? ht_error("save_csv: out of memory formatting %" PRId64 " rows", rows) : 0;
}

int ht_save_csv(const ht_array *a, const char *path, const ht_csv_save_opts *o) {
  char sh[160];
  ht_save_mode m;
  if (ht_io_parse_mode(o->mode, false, "save_csv", &m)) return -1;
  if (a->ndim > 2)
    return ht_error("save_csv: only 0-d, 1-d and 2-d arrays can be written as CSV, got shape %s",
                    ht_fmt_shape(sh, sizeof sh, a->ndim, a->gshape));
  if (ht_require_host(a, "save_csv")) return -1;
  if (o->sep == '\n' || o->sep == '\0') return ht_error("save_csv: '\\n' cannot be a separator");
  ht_array *c = a->split > 0 ? ht_resplit(a, 0) : ht_contiguous(a);
  if (!c) return -1;
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t rows = a->ndim ? c->lshape[0] : 1, cols = a->ndim == 2 ? c->gshape[1] : 1;
  int64_t first = 0;
  if (c->split < 0) { /* replicated: each rank writes its balanced share of the rows */
    int64_t cnt[p], displs[p];
    ht_block_counts(rows, p, cnt);
    ht_counts_to_displs(cnt, p, displs);
    first = displs[me], rows = cnt[me];
  }
  sbuf text = {0};
  if (me == 0 && o->header) {
    size_t hl = strlen(o->header);
    sb_reserve(&text, (int64_t)hl + 1);
    if (!text.oom) {
      memcpy(text.s, o->header, hl);
      text.n = (int64_t)hl;
      if (hl == 0 || o->header[hl - 1] != '\n') text.s[text.n++] = '\n';
    }
  }
  const char *data = (const char *)ht_array_data(c) + (size_t)(first * cols) * ht_dtype_size(c->dtype);
  int status = text.oom ? ht_error("save_csv: out of memory")
                        : format_local(data, rows, cols, c->dtype, o, &text);
  ht_array_free(c);
  int64_t *lens = malloc(sizeof(int64_t) * 3 * (size_t)p);
  if (!lens && !status) status = ht_error("save_csv: out of memory");
  if (ht_comm_agree(status)) return free(text.s), free(lens), -1;
  int64_t *cnt = lens + p, *displs = lens + 2 * p;
  for (int r = 0; r < p; r++) cnt[r] = sizeof(int64_t);
  ht_counts_to_displs(cnt, p, displs);
  if (ht_comm_agree(ht_comm_allgatherv(&text.n, sizeof text.n, lens, cnt, displs)))
    return free(text.s), free(lens), -1;
  int64_t offset = 0, total = 0;
  for (int r = 0; r < p; r++) offset += r < me ? lens[r] : 0, total += lens[r];
  free(lens);
  ht_io_target t;
  if (ht_io_begin(&t, path, m, true, "save_csv")) return free(text.s), -1;
  t.sync = o->sync;
  MPI_File fh;
  if (ht_io_open(t.work, MPI_MODE_WRONLY | MPI_MODE_CREATE, &fh, "save_csv")) {
    free(text.s);
    return ht_io_finish(&t, -1, "save_csv");
  }
  status = MPI_File_set_size(fh, total) == MPI_SUCCESS
               ? 0 : ht_error("save_csv: cannot resize '%s'", t.work);
  if (!ht_comm_agree(status))
    status = ht_comm_agree(ht_io_write_at_all(fh, offset, text.s, text.n, t.work, "save_csv"));
  else
    status = -1;
  free(text.s);
  if (ht_io_close(&fh, t.work, "save_csv")) status = -1;
  return ht_io_finish(&t, status, "save_csv");
}
