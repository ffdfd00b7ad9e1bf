/* NumPy's .npy format through MPI-IO: every rank parses the small header itself and reads
 * or writes its own block of rows at the offset the header and the counts give. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "device.h"
#include "error.h"
#include "io.h"
#include "iofile.h"

#define NPY_MAGIC "\x93NUMPY"
/* NumPy pads the header so the data starts on a 64-byte boundary. */
#define NPY_ALIGN 64

typedef struct npy_header {
  ht_dtype dtype;
  bool swap;              /* big-endian data on our little-endian hosts */
  int ndim;
  int64_t shape[HT_MAXDIM];
  int64_t data_offset;
} npy_header;

static const char *skip_space(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  return s;
}

/* A quoted Python string without escapes into out; returns the end, or NULL. */
static const char *parse_string(const char *v, char *out, size_t cap) {
  char q = *v;
  size_t n = 0;
  if (q != '\'' && q != '"') return NULL;
  for (v++; *v && *v != q; v++) {
    if (*v == '\\' || *v == '\n' || n + 1 >= cap) return NULL;
    out[n++] = *v;
  }
  out[n] = 0;
  return *v == q ? v + 1 : NULL;
}

/* True or False as a whole Python word. */
static const char *parse_bool(const char *v, bool *out) {
  size_t n = !strncmp(v, "True", 4) ? 4 : !strncmp(v, "False", 5) ? 5 : 0;
  if (!n || isalnum((unsigned char)v[n]) || v[n] == '_') return NULL;
  *out = n == 4;
  return v + n;
}

static int parse_descr(const char *descr, npy_header *h, const char *path) {
  static const struct { const char *code; ht_dtype t; } codes[] = {
      {"b1", HT_BOOL},   {"u1", HT_UINT8},  {"i1", HT_INT8},    {"i2", HT_INT16},
      {"i4", HT_INT32},  {"i8", HT_INT64},  {"f4", HT_FLOAT32}, {"f8", HT_FLOAT64}};
  const char *code = descr;
  char order = '|';
  if (strchr("<>|=", descr[0])) order = descr[0], code++;
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (!strcmp(code, codes[i].code)) {
      h->dtype = codes[i].t;
      h->swap = order == '>' && ht_dtype_size(codes[i].t) > 1;
      return 0;
    }
  return ht_error("load_npy: '%s' holds dtype '%s', which heatlua does not support (bool, "
                  "uint8, int8, int16, int32, int64, float32, float64)", path, descr);
}

/* A Python tuple of non-negative decimal integers: "(4)" is an int, not a tuple (NumPy:
 * "shape is not valid"); returns the end, or NULL with the error set. */
static const char *parse_shape(const char *v, npy_header *h, const char *path) {
  bool comma = false;
  if (*v != '(') return ht_error("load_npy: '%s' has a malformed header (shape)", path), NULL;
  h->ndim = 0;
  for (v = skip_space(v + 1); *v != ')'; v = skip_space(v)) {
    const char *d0 = v;
    int64_t d = 0;
    for (; isdigit((unsigned char)*v); v++)
      if (__builtin_mul_overflow(d, 10, &d) || __builtin_add_overflow(d, *v - '0', &d))
        return ht_error("load_npy: '%s' has a shape entry past 2^63", path), NULL;
    if (v == d0 || (*d0 == '0' && v - d0 > 1))
      return ht_error("load_npy: '%s' has a malformed header (shape)", path), NULL;
    if (h->ndim == HT_MAXDIM)
      return ht_error("load_npy: '%s' has more than %d dimensions", path, HT_MAXDIM), NULL;
    h->shape[h->ndim++] = d;
    v = skip_space(v);
    comma = *v == ',';
    if (comma) v++;
    else if (*v != ')') return ht_error("load_npy: '%s' has a malformed header (shape)", path), NULL;
  }
  if (h->ndim == 1 && !comma)
    return ht_error("load_npy: '%s' has a malformed header (shape is not a tuple)", path), NULL;
  return v + 1;
}

/* The header's dict literal, parsed as strictly as NumPy's literal_eval and key check:
 * exactly descr, fortran_order and shape; a repeated key keeps its last value. */
static int parse_dict(const char *v, npy_header *h, const char *path) {
  char key[32], descr[32];
  bool fortran = false;
  int seen = 0;
  if (*(v = skip_space(v)) != '{') goto bad;
  for (v = skip_space(v + 1); *v != '}';) {
    if (!(v = parse_string(v, key, sizeof key))) goto bad;
    v = skip_space(v);
    if (*v != ':') goto bad;
    v = skip_space(v + 1);
    if (!strcmp(key, "descr")) {
      if (*v != '\'' && *v != '"')
        return ht_error("load_npy: '%s' holds a structured dtype, which heatlua does not "
                        "support", path);
      v = parse_string(v, descr, sizeof descr), seen |= 1;
    } else if (!strcmp(key, "fortran_order")) {
      v = parse_bool(v, &fortran), seen |= 2;
    } else if (!strcmp(key, "shape")) {
      if (!(v = parse_shape(v, h, path))) return -1;
      seen |= 4;
    } else {
      return ht_error("load_npy: '%s' has a malformed header (unexpected key '%s'; NumPy "
                      "writes descr, fortran_order and shape)", path, key);
    }
    if (!v) goto bad;
    v = skip_space(v);
    if (*v == ',') v = skip_space(v + 1);
    else if (*v != '}') goto bad;
  }
  if (*skip_space(v + 1)) goto bad;
  if (seen != 7)
    return ht_error("load_npy: '%s' has a malformed header (needs descr, fortran_order "
                    "and shape)", path);
  if (fortran)
    return ht_error("load_npy: '%s' is stored in Fortran order, heatlua reads C order "
                    "only (save it from np.ascontiguousarray)", path);
  return parse_descr(descr, h, path);
bad:
  return ht_error("load_npy: '%s' has a malformed header (not a dict literal of descr, "
                  "fortran_order and shape)", path);
}

/* Every rank reads and parses the header: the same bytes give the same answer. */
static int read_header(MPI_File fh, const char *path, npy_header *h) {
  int64_t size;
  unsigned char pre[12] = {0};
  int status = ht_io_file_size(fh, &size, path, "load_npy");
  if (ht_comm_agree(status)) return -1;
  if (size < 10) return ht_error("load_npy: '%s' is not a .npy file (%" PRId64 " bytes)", path, size);
  int64_t want = size < 12 ? size : 12;
  if (ht_comm_agree(ht_io_read_at_all(fh, 0, pre, want, path, "load_npy"))) return -1;
  if (memcmp(pre, NPY_MAGIC, 6))
    return ht_error("load_npy: '%s' is not a .npy file (no \\x93NUMPY magic)", path);
  int major = pre[6];
  int64_t hlen, hstart;
  if (major == 1) {
    hlen = pre[8] | pre[9] << 8, hstart = 10;
  } else if (major == 2 || major == 3) {
    hlen = (int64_t)pre[8] | (int64_t)pre[9] << 8 | (int64_t)pre[10] << 16 | (int64_t)pre[11] << 24;
    hstart = 12;
  } else {
    return ht_error("load_npy: '%s' has .npy format version %d.%d, heatlua reads 1.0 to 3.0",
                    path, major, pre[7]);
  }
  if (hstart + hlen > size) return ht_error("load_npy: '%s' is truncated inside its header", path);
  char *text = malloc((size_t)hlen + 1);
  status = text ? 0 : ht_error("load_npy: out of memory");
  if (ht_comm_agree(status)) return free(text), -1;
  status = ht_comm_agree(ht_io_read_at_all(fh, hstart, text, hlen, path, "load_npy"));
  if (!status) {
    text[hlen] = 0;
    status = memchr(text, 0, (size_t)hlen)
                 ? ht_error("load_npy: '%s' has a malformed header (a NUL byte)", path)
                 : parse_dict(text, h, path);
  }
  free(text);
  if (status) return -1;
  h->data_offset = hstart + hlen;
  /* the data must fit the file before anything is allocated: checked products */
  int64_t n = (int64_t)ht_dtype_size(h->dtype);
  char sh[160];
  for (int i = 0; i < h->ndim && n; i++)
    if (!h->shape[i]) n = 0;
  for (int i = 0; i < h->ndim && n; i++)
    if (__builtin_mul_overflow(n, h->shape[i], &n))
      return ht_error("load_npy: '%s' has shape %s: array is too big; `arr.size * "
                      "arr.dtype.itemsize` is larger than the maximum possible size", path,
                      ht_fmt_shape(sh, sizeof sh, h->ndim, h->shape));
  if (n > size - h->data_offset)
    return ht_error("load_npy: '%s' is truncated: shape %s of %s needs %" PRId64
                    " bytes of data, the file has %" PRId64, path,
                    ht_fmt_shape(sh, sizeof sh, h->ndim, h->shape), ht_dtype_name(h->dtype),
                    n, size - h->data_offset);
  return 0;
}

static void byteswap(char *p, int64_t n, size_t item) {
  for (int64_t i = 0; i < n; i++, p += item)
    for (size_t a = 0, b = item - 1; a < b; a++, b--) {
      char t = p[a];
      p[a] = p[b], p[b] = t;
    }
}

static int64_t row_bytes(const int64_t *shape, int ndim, ht_dtype t) {
  int64_t n = (int64_t)ht_dtype_size(t);
  for (int d = 1; d < ndim; d++) n *= shape[d];
  return n;
}

/* Reads split 0 (or everything, replicated) straight into the result's buffer. */
static ht_array *read_rows(MPI_File fh, const char *path, const npy_header *h, int split) {
  ht_array *a = ht_array_empty(h->dtype, h->ndim, h->shape, split, HT_CPU);
  if (ht_comm_agree(a ? 0 : -1)) return ht_array_free(a), NULL;
  int64_t rb = h->ndim ? row_bytes(h->shape, h->ndim, h->dtype) : (int64_t)ht_dtype_size(h->dtype);
  int64_t off = h->data_offset + ht_array_lstart(a) * rb;
  int64_t n = ht_array_lsize(a) * (int64_t)ht_dtype_size(h->dtype);
  if (ht_comm_agree(ht_io_read_at_all(fh, off, ht_array_data(a), n, path, "load_npy")))
    return ht_array_free(a), NULL;
  if (h->swap) byteswap(ht_array_data(a), ht_array_lsize(a), ht_dtype_size(h->dtype));
  return a;
}

ht_array *ht_load_npy(const char *path, ht_dtype dtype, int split, ht_device dev) {
  if (ht_device_unsupported(dev, "load_npy")) return NULL;
  if (ht_io_check_readable(path, "load_npy")) return NULL;
  MPI_File fh;
  if (ht_io_open(path, MPI_MODE_RDONLY, &fh, "load_npy")) return NULL;
  npy_header h = {0};
  ht_array *a = NULL;
  int status = read_header(fh, path, &h);
  if (!status && split != HT_IO_NOSPLIT && (split < -h.ndim || split >= h.ndim)) {
    char sh[160];
    status = ht_error("load_npy: split %d is out of range for '%s' of shape %s", split, path,
                      ht_fmt_shape(sh, sizeof sh, h.ndim, h.shape));
  }
  if (!status) {
    if (split != HT_IO_NOSPLIT && split < 0) split += h.ndim;
    /* rows are contiguous in the file; another split axis is redistributed after */
    a = read_rows(fh, path, &h, split == HT_IO_NOSPLIT ? -1 : (split > 0 ? 0 : split));
    status = a ? 0 : -1;
  }
  if (ht_io_close(&fh, path, "load_npy") || status) return ht_array_free(a), NULL;
  if (split != HT_IO_NOSPLIT && split > 0) {
    ht_array *b = ht_resplit(a, split);
    ht_array_free(a);
    if (!(a = b)) return NULL;
  }
  if (dtype != HT_NDTYPES && dtype != a->dtype) {
    ht_array *b = ht_astype(a, dtype);
    ht_array_free(a);
    a = b;
  }
  return a;
}

/* NumPy's header: the dict literal padded with spaces and a newline to NPY_ALIGN. */
static int make_header(const ht_array *a, char *out, size_t size, int64_t *len) {
  static const char *descr[] = {"|b1", "|u1", "|i1", "<i2", "<i4", "<i8", "<f4", "<f8"};
  char shape[HT_MAXDIM * 24 + 4];
  size_t n = (size_t)snprintf(shape, sizeof shape, "(");
  for (int d = 0; d < a->ndim; d++)
    n += (size_t)snprintf(shape + n, sizeof shape - n, "%" PRId64 "%s", a->gshape[d],
                          a->ndim == 1 ? "," : (d + 1 < a->ndim ? ", " : ""));
  snprintf(shape + n, sizeof shape - n, ")");
  char dict[sizeof shape + 80];
  int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                    descr[a->dtype], shape);
  int64_t total = 10 + dl + 1; /* version 1.0: magic, version, 2-byte length, dict, '\n' */
  total = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
  if ((size_t)total > size) return ht_error("save_npy: header too long");
  int64_t hlen = total - 10;
  memcpy(out, NPY_MAGIC "\x01\x00", 8);
  out[8] = (char)(hlen & 0xff), out[9] = (char)(hlen >> 8);
  memcpy(out + 10, dict, (size_t)dl);
  memset(out + 10 + dl, ' ', (size_t)(total - 10 - dl - 1));
  out[total - 1] = '\n';
  *len = total;
  return 0;
}

int ht_save_npy(const ht_array *a, const char *path, const char *mode, bool sync) {
  ht_save_mode m;
  if (ht_io_parse_mode(mode, false, "save_npy", &m)) return -1;
  if (ht_require_host(a, "save_npy")) return -1;
  /* the file holds C-order rows: split 0 or replicated data can be written in place */
  ht_array *c = a->split > 0 ? ht_resplit(a, 0) : ht_contiguous(a);
  if (!c) return -1;
  char header[1024];
  int64_t hlen = 0;
  if (make_header(c, header, sizeof header, &hlen)) return ht_array_free(c), -1;
  ht_io_target t;
  if (ht_io_begin(&t, path, m, true, "save_npy")) return ht_array_free(c), -1;
  t.sync = sync;
  MPI_File fh;
  if (ht_io_open(t.work, MPI_MODE_WRONLY | MPI_MODE_CREATE, &fh, "save_npy")) {
    ht_array_free(c);
    return ht_io_finish(&t, -1, "save_npy");
  }
  int64_t item = (int64_t)ht_dtype_size(c->dtype);
  int64_t rb = c->ndim ? row_bytes(c->gshape, c->ndim, c->dtype) : item;
  int64_t total = hlen + ht_array_gsize(c) * item;
  int status = MPI_File_set_size(fh, total) == MPI_SUCCESS
                   ? 0 : ht_error("save_npy: cannot resize '%s'", t.work);
  if (!ht_comm_agree(status)) {
    int me = ht_comm_rank(), p = ht_comm_size();
    int64_t lo = 0, rows = c->ndim ? c->lshape[0] : 1;
    const char *src = ht_array_data(c);
    if (c->split == 0) {
      lo = ht_array_lstart(c);
    } else { /* replicated: each rank writes its balanced share of the rows */
      int64_t counts[p > 0 ? p : 1], displs[p > 0 ? p : 1];
      ht_block_counts(rows, p, counts);
      ht_counts_to_displs(counts, p, displs);
      lo = displs[me], rows = counts[me];
      src += lo * rb;
    }
    status = ht_io_write_at_all(fh, 0, header, me == 0 ? hlen : 0, t.work, "save_npy");
    if (!ht_comm_agree(status))
      status = ht_comm_agree(ht_io_write_at_all(fh, hlen + lo * rb, src, rows * rb, t.work,
                                                "save_npy"));
  } else {
    status = -1;
  }
  ht_array_free(c);
  if (ht_io_close(&fh, t.work, "save_npy")) status = -1;
  return ht_io_finish(&t, status, "save_npy");
}
