/* HDF5 metadata: opening files, finding objects, types, attributes, and the listing of
 * what a file holds (ht.io.hdf5_info). Every rank runs the same calls on the same file
 * (metadata is read once and broadcast by HDF5), so outcomes agree. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "error.h"
#include "h5internal.h"
#include "iofile.h"

void ht_h5_quiet(void) {
  static int done;
  ht_comm(); /* parallel HDF5 starts after MPI (a lazy one-rank process starts it here) */
  if (!done) H5Eset_auto2(H5E_DEFAULT, NULL, NULL), done = 1;
}

static herr_t first_desc(unsigned n, const H5E_error2_t *e, void *data) {
  if (n == 0 && e->desc) snprintf(data, 256, "%s", e->desc);
  return 0;
}

int ht_h5_error(const char *fmt, ...) {
  char msg[768], detail[256] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* the innermost entry says why ("unable to open file", "file exists"...) */
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_desc, detail);
  H5Eclear2(H5E_DEFAULT);
  return detail[0] ? ht_error("%s (HDF5: %s)", msg, detail) : ht_error("%s", msg);
}

hid_t ht_h5_fapl(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, ht_comm(), MPI_INFO_NULL);
  /* rank 0 reads metadata and broadcasts it instead of every rank hitting the file */
  H5Pset_all_coll_metadata_ops(fapl, 1);
  H5Pset_coll_metadata_write(fapl, 1);
  return fapl;
}

hid_t ht_h5_open(const char *path, unsigned flags, const char *fn) {
  ht_h5_quiet();
  if (ht_io_check_readable(path, fn)) return -1;
  htri_t is = H5Fis_hdf5(path);
  if (ht_comm_agree(is > 0 ? 0 : ht_error("%s: '%s' is not an HDF5 file", fn, path))) return -1;
  hid_t fapl = ht_h5_fapl();
  hid_t f = H5Fopen(path, flags, fapl);
  H5Pclose(fapl);
  /* the signature was found, so a failure here is a file cut short (a copy or a write
   * that did not finish) or damaged, which is what the user needs to hear */
  struct stat st;
  long long bytes = stat(path, &st) == 0 ? (long long)st.st_size : -1;
  if (ht_comm_agree(f >= 0 ? 0
                           : ht_h5_error("%s: cannot open '%s' (%lld bytes): it starts like an "
                                         "HDF5 file but its structure cannot be read, so it "
                                         "looks truncated or damaged",
                                         fn, path, bytes))) {
    /* never close a handle some rank lacks: closing is collective */
    return -1;
  }
  return f;
}

int ht_h5_close(hid_t file, const char *path, const char *fn) {
  herr_t rc = H5Fclose(file);
  return ht_comm_agree(rc >= 0 ? 0 : ht_h5_error("%s: cannot close '%s'", fn, path));
}

/* ---- types ---- */

hid_t ht_h5_bool_type(void) {
  hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
  int8_t v = 0;
  H5Tenum_insert(t, "FALSE", &v);
  v = 1;
  H5Tenum_insert(t, "TRUE", &v);
  return t;
}

hid_t ht_h5_mem_type(ht_dtype t) {
  switch (t) {
    case HT_BOOL: return ht_h5_bool_type();
    case HT_UINT8: return H5Tcopy(H5T_NATIVE_UINT8);
    case HT_INT8: return H5Tcopy(H5T_NATIVE_INT8);
    case HT_INT16: return H5Tcopy(H5T_NATIVE_INT16);
    case HT_INT32: return H5Tcopy(H5T_NATIVE_INT32);
    case HT_INT64: return H5Tcopy(H5T_NATIVE_INT64);
    case HT_FLOAT32: return H5Tcopy(H5T_NATIVE_FLOAT);
    default: return H5Tcopy(H5T_NATIVE_DOUBLE);
  }
}

hid_t ht_h5_file_type(ht_dtype t) {
  switch (t) {
    case HT_BOOL: return ht_h5_bool_type();
    case HT_UINT8: return H5Tcopy(H5T_STD_U8LE);
    case HT_INT8: return H5Tcopy(H5T_STD_I8LE);
    case HT_INT16: return H5Tcopy(H5T_STD_I16LE);
    case HT_INT32: return H5Tcopy(H5T_STD_I32LE);
    case HT_INT64: return H5Tcopy(H5T_STD_I64LE);
    case HT_FLOAT32: return H5Tcopy(H5T_IEEE_F32LE);
    default: return H5Tcopy(H5T_IEEE_F64LE);
  }
}

static int describe_number(hid_t type, char *name, size_t size, ht_dtype *t) {
  size_t bytes = H5Tget_size(type);
  if (H5Tget_class(type) == H5T_FLOAT) {
    snprintf(name, size, "float%d", (int)(8 * bytes));
    if (bytes == 4) return *t = HT_FLOAT32, 0;
    if (bytes == 8) return *t = HT_FLOAT64, 0;
    return 1;
  }
  bool sign = H5Tget_sign(type) == H5T_SGN_2;
  snprintf(name, size, "%sint%d", sign ? "" : "u", (int)(8 * bytes));
  static const ht_dtype sints[] = {HT_INT8, HT_INT16, HT_NDTYPES, HT_INT32, HT_NDTYPES,
                                   HT_NDTYPES, HT_NDTYPES, HT_INT64};
  if (sign && bytes >= 1 && bytes <= 8 && sints[bytes - 1] != HT_NDTYPES)
    return *t = sints[bytes - 1], 0;
  if (!sign && bytes == 1) return *t = HT_UINT8, 0;
  return 1;
}

int ht_h5_describe_type(hid_t type, char *name, size_t size, ht_dtype *t) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
    case H5T_FLOAT: return describe_number(type, name, size, t);
    case H5T_ENUM: {
      /* h5py's bool, or another enum read through its integer base */
      int n = H5Tget_nmembers(type);
      char *m0 = n == 2 ? H5Tget_member_name(type, 0) : NULL;
      char *m1 = n == 2 ? H5Tget_member_name(type, 1) : NULL;
      bool is_bool = m0 && m1 && !strcmp(m0, "FALSE") && !strcmp(m1, "TRUE");
      H5free_memory(m0), H5free_memory(m1);
      hid_t base = H5Tget_super(type);
      int rc = describe_number(base, name, size, t);
      H5Tclose(base);
      if (is_bool) return snprintf(name, size, "bool"), *t = HT_BOOL, 0;
      snprintf(name, size, "enum");
      return rc == 0 ? 1 : -1;
    }
    case H5T_STRING: snprintf(name, size, "string"); return -1;
    case H5T_COMPOUND: snprintf(name, size, "compound"); return -1;
    case H5T_ARRAY: snprintf(name, size, "array"); return -1;
    case H5T_VLEN: snprintf(name, size, "vlen"); return -1;
    case H5T_REFERENCE: snprintf(name, size, "reference"); return -1;
    case H5T_BITFIELD: snprintf(name, size, "bitfield"); return -1;
    case H5T_OPAQUE: snprintf(name, size, "opaque"); return -1;
    default: snprintf(name, size, "unknown"); return -1;
  }
}

/* ---- finding objects ---- */

typedef struct names { char buf[200]; int n; } names;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g, (void)info;
  names *s = data;
  size_t used = strlen(s->buf);
  if (s->n == 8) {
    snprintf(s->buf + used, sizeof s->buf - used, ", ...");
    return 1;
  }
  snprintf(s->buf + used, sizeof s->buf - used, "%s%s", s->n ? ", " : "", name);
  s->n++;
  return 0;
}

/* "(it holds: a, b, c)" for messages about a missing member of group at `parent`. */
static void list_members(hid_t file, const char *parent, char *out, size_t size) {
  names s = {{0}, 0};
  hid_t g = H5Gopen2(file, *parent ? parent : "/", H5P_DEFAULT);
  if (g >= 0) {
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, &s);
    H5Gclose(g);
  }
  H5Eclear2(H5E_DEFAULT);
  snprintf(out, size, s.n ? " (it holds: %s)" : " (it is empty)", s.buf);
}

hid_t ht_h5_open_object(hid_t file, const char *name, H5I_type_t expect, const char *path,
                        const char *fn) {
  while (*name == '/') name++;
  char prefix[1024], held[256];
  if (strlen(name) >= sizeof prefix) return ht_error("%s: object name too long", fn);
  /* walk the path: H5Lexists needs every parent to exist */
  size_t n = strlen(name);
  for (size_t i = 0; i <= n; i++) {
    if (n == 0 || (name[i] != '/' && name[i] != 0)) continue;
    snprintf(prefix, sizeof prefix, "%.*s", (int)i, name);
    size_t cut = 0;
    for (size_t k = 0; k < i; k++)
      if (name[k] == '/') cut = k;
    char parent[1024];
    snprintf(parent, sizeof parent, "%.*s", (int)cut, name);
    if (H5Lexists(file, prefix, H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      list_members(file, parent, held, sizeof held);
      return ht_error("%s: '%s' has no %s '%s'%s", fn, path,
                      i == n && expect == H5I_DATASET ? "dataset" : "object", prefix, held);
    }
  }
  hid_t obj = H5Oopen(file, n ? name : "/", H5P_DEFAULT);
  if (obj < 0) return ht_h5_error("%s: cannot open '%s' in '%s'", fn, name, path);
  H5I_type_t got = H5Iget_type(obj);
  if (expect != H5I_BADID && got != expect) {
    H5Oclose(obj);
    return ht_error("%s: '%s' in '%s' is a %s, not a %s", fn, n ? name : "/", path,
                    got == H5I_GROUP ? "group" : got == H5I_DATASET ? "dataset" : "named type",
                    expect == H5I_GROUP ? "group" : "dataset");
  }
  return obj;
}

/* ---- attributes ---- */

void ht_io_attrs_free(int n, ht_io_attr *attrs) {
  for (int i = 0; i < n && attrs; i++) free(attrs[i].name), free(attrs[i].num), free(attrs[i].str);
  free(attrs);
}

typedef struct attr_list {
  int n, cap;
  ht_io_attr *items;
  int status;
} attr_list;

/* Reads one attribute if it is a number, a bool or one string; others are skipped. */
static int read_attr(hid_t a, const char *name, ht_io_attr *out) {
  hid_t type = H5Aget_type(a), space = H5Aget_space(a);
  H5T_class_t cls = H5Tget_class(type);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  int rank = H5Sget_simple_extent_ndims(space);
  int kept = 0;
  char tname[24];
  ht_dtype dt;
  memset(out, 0, sizeof *out);
  out->scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR;
  if (cls == H5T_STRING && n == 1) {
    hid_t mem = H5Tcopy(H5T_C_S1);
    if (H5Tis_variable_str(type) > 0) {
      char *s = NULL;
      H5Tset_size(mem, H5T_VARIABLE);
      H5Tset_cset(mem, H5Tget_cset(type));
      if (H5Aread(a, mem, &s) >= 0 && s) {
        out->str = strdup(s);
        H5free_memory(s);
        kept = 1;
      }
    } else {
      size_t len = H5Tget_size(type);
      H5Tset_size(mem, len + 1);
      H5Tset_strpad(mem, H5T_STR_NULLTERM);
      out->str = calloc(len + 1, 1);
      if (out->str && H5Aread(a, mem, out->str) >= 0) kept = 1;
    }
    H5Tclose(mem);
    out->kind = HT_ATTR_STRING, out->n = 1;
  } else if ((cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM) && rank <= 1 &&
             ht_h5_describe_type(type, tname, sizeof tname, &dt) >= 0) {
    out->kind = dt == HT_BOOL ? HT_ATTR_BOOL : cls == H5T_FLOAT ? HT_ATTR_FLOAT : HT_ATTR_INT;
    out->n = n;
    out->num = malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (cls == H5T_ENUM) { /* enums do not convert to double: read the integer base */
      hid_t mem = H5Tget_native_type(type, H5T_DIR_ASCEND);
      int64_t *raw = calloc((size_t)(n ? n : 1), H5Tget_size(mem));
      size_t sz = H5Tget_size(mem);
      bool sign = H5Tget_sign(mem) == H5T_SGN_2;
      if (out->num && raw && H5Aread(a, mem, raw) >= 0) {
        for (hssize_t i = 0; i < n; i++) {
          const char *p = (const char *)raw + (size_t)i * sz;
          double v = sz == 1 ? (sign ? (double)*(const int8_t *)p : (double)*(const uint8_t *)p)
                   : sz == 2 ? (sign ? (double)*(const int16_t *)p : (double)*(const uint16_t *)p)
                   : sz == 4 ? (sign ? (double)*(const int32_t *)p : (double)*(const uint32_t *)p)
                             : (double)*(const int64_t *)p;
          out->num[i] = v;
        }
        kept = 1;
      }
      free(raw);
      H5Tclose(mem);
    } else if (out->num && H5Aread(a, H5T_NATIVE_DOUBLE, out->num) >= 0) {
      kept = 1;
    }
  }
  H5Tclose(type), H5Sclose(space);
  H5Eclear2(H5E_DEFAULT);
  if (kept) out->name = strdup(name);
  if (!kept || !out->name) free(out->num), free(out->str), free(out->name), kept = 0;
  return kept;
}

static herr_t collect_attr(hid_t obj, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  attr_list *l = data;
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 8;
    ht_io_attr *p = realloc(l->items, sizeof *p * (size_t)cap);
    if (!p) return l->status = ht_error("out of memory reading attributes"), -1;
    l->items = p, l->cap = cap;
  }
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return H5Eclear2(H5E_DEFAULT), 0;
  l->n += read_attr(a, name, &l->items[l->n]);
  H5Aclose(a);
  return 0;
}

static int read_attrs_of(hid_t obj, int *n, ht_io_attr **out) {
  attr_list l = {0};
  H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_attr, &l);
  H5Eclear2(H5E_DEFAULT);
  if (l.status) return ht_io_attrs_free(l.n, l.items), -1;
  *n = l.n, *out = l.items;
  return 0;
}

int ht_hdf5_read_attrs(const char *path, const char *object, int *n, ht_io_attr **attrs) {
  *n = 0, *attrs = NULL;
  hid_t f = ht_h5_open(path, H5F_ACC_RDONLY, "io.read_attrs");
  if (f < 0) return -1;
  hid_t obj = ht_h5_open_object(f, object, H5I_BADID, path, "io.read_attrs");
  int status = obj < 0 ? -1 : read_attrs_of(obj, n, attrs);
  if (obj >= 0) H5Oclose(obj);
  if (ht_h5_close(f, path, "io.read_attrs")) status = -1;
  if (ht_comm_agree(status)) return ht_io_attrs_free(*n, *attrs), *n = 0, *attrs = NULL, -1;
  return 0;
}

static int write_attr(hid_t obj, const ht_io_attr *a, const char *fn) {
  if (H5Aexists(obj, a->name) > 0 && H5Adelete(obj, a->name) < 0)
    return ht_h5_error("%s: cannot replace attribute '%s'", fn, a->name);
  hid_t type, mem, space;
  hsize_t n = (hsize_t)a->n;
  const void *data;
  double *tmp = NULL;
  if (a->kind == HT_ATTR_STRING) {
    type = H5Tcopy(H5T_C_S1); /* h5py writes str as variable-length UTF-8 */
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    mem = H5Tcopy(type);
    space = H5Screate(H5S_SCALAR);
    data = &a->str;
  } else {
    type = a->kind == HT_ATTR_BOOL ? ht_h5_bool_type()
           : a->kind == HT_ATTR_INT ? H5Tcopy(H5T_STD_I64LE) : H5Tcopy(H5T_IEEE_F64LE);
    space = a->scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    if (a->kind == HT_ATTR_BOOL) { /* enums do not convert from double */
      mem = ht_h5_bool_type();
      int8_t *b = malloc(a->n ? (size_t)a->n : 1);
      for (int64_t i = 0; b && i < a->n; i++) b[i] = a->num[i] != 0;
      data = tmp = (double *)b;
    } else {
      mem = H5Tcopy(H5T_NATIVE_DOUBLE);
      data = a->num;
    }
  }
  hid_t id = H5Acreate2(obj, a->name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  int status = id >= 0 && data && H5Awrite(id, mem, data) >= 0
                   ? 0 : ht_h5_error("%s: cannot write attribute '%s'", fn, a->name);
  if (id >= 0) H5Aclose(id);
  H5Tclose(type), H5Tclose(mem), H5Sclose(space);
  free(tmp);
  return status;
}

static int by_name(const void *a, const void *b) {
  return strcmp((*(const ht_io_attr *const *)a)->name, (*(const ht_io_attr *const *)b)->name);
}

int ht_h5_write_attrs_on(hid_t obj, int n, const ht_io_attr *attrs, const char *fn) {
  /* Metadata writes are collective: every rank must create the attributes in the same
   * order, and a Lua table's traversal order is no promise of that. */
  const ht_io_attr **order = malloc(sizeof *order * (size_t)(n ? n : 1));
  if (!order) return ht_error("%s: out of memory", fn);
  for (int i = 0; i < n; i++) order[i] = &attrs[i];
  qsort(order, (size_t)n, sizeof *order, by_name);
  int status = 0;
  for (int i = 0; i < n && !status; i++) {
    if (i && !strcmp(order[i]->name, order[i - 1]->name))
      status = ht_error("%s: attribute '%s' is given twice", fn, order[i]->name);
    else
      status = write_attr(obj, order[i], fn);
  }
  free(order);
  return status;
}

int ht_hdf5_write_attrs(const char *path, const char *object, int n, const ht_io_attr *attrs,
                        bool atomic) {
  ht_h5_item item = {NULL, object, n, attrs};
  ht_h5_save_opts o;
  ht_h5_save_opts_init(&o);
  o.mode = "r+";
  o.atomic = atomic;
  return ht_h5_save(1, &item, path, &o, "io.write_attrs");
}

/* ---- listing ---- */

typedef struct listing {
  ht_h5_info *info;
  int cap;
  int status;
  int depth;
  char prefix[1024];
} listing;

static int add_object(listing *l, hid_t obj, const char *name, bool is_dataset) {
  ht_h5_info *info = l->info;
  if (info->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 16;
    ht_h5_object *p = realloc(info->objects, sizeof *p * (size_t)cap);
    if (!p) return ht_error("io.hdf5_info: out of memory");
    info->objects = p, l->cap = cap;
  }
  ht_h5_object *o = &info->objects[info->n];
  memset(o, 0, sizeof *o);
  o->name = strdup(name);
  o->is_dataset = is_dataset;
  o->deflate = -1;
  if (!o->name) return ht_error("io.hdf5_info: out of memory");
  info->n++;
  if (is_dataset) {
    hid_t space = H5Dget_space(obj), type = H5Dget_type(obj), dcpl = H5Dget_create_plist(obj);
    hsize_t dims[32];
    o->ndim = H5Sget_simple_extent_dims(space, dims, NULL);
    for (int d = 0; d < o->ndim; d++) o->shape[d] = (int64_t)dims[d];
    ht_dtype dt;
    ht_h5_describe_type(type, o->dtype, sizeof o->dtype, &dt);
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
      o->chunked = true;
      H5Pget_chunk(dcpl, 32, dims);
      for (int d = 0; d < o->ndim; d++) o->chunks[d] = (int64_t)dims[d];
    }
    for (int k = 0; k < H5Pget_nfilters(dcpl); k++) {
      unsigned flags, cd[4] = {0};
      size_t ncd = 4;
      if (H5Pget_filter2(dcpl, (unsigned)k, &flags, &ncd, cd, 0, NULL, NULL) == H5Z_FILTER_DEFLATE)
        o->deflate = ncd ? (int)cd[0] : 0;
    }
    H5Sclose(space), H5Tclose(type), H5Pclose(dcpl);
  }
  return read_attrs_of(obj, &o->nattrs, &o->attrs);
}

static herr_t visit(hid_t g, const char *name, const H5L_info_t *linfo, void *data) {
  listing *l = data;
  if (linfo->type != H5L_TYPE_HARD) return 0; /* soft and external links are not followed */
  char full[1024];
  if (snprintf(full, sizeof full, "%s%s%s", l->prefix, *l->prefix ? "/" : "", name) >=
      (int)sizeof full)
    return 0; /* a path this long is not listed */
  hid_t obj = H5Oopen(g, name, H5P_DEFAULT);
  if (obj < 0) return H5Eclear2(H5E_DEFAULT), 0;
  H5I_type_t t = H5Iget_type(obj);
  if (t == H5I_DATASET || t == H5I_GROUP) l->status = add_object(l, obj, full, t == H5I_DATASET);
  if (!l->status && t == H5I_GROUP && l->depth < 32) { /* depth bounds hard-link cycles */
    char saved[1024];
    memcpy(saved, l->prefix, sizeof saved);
    snprintf(l->prefix, sizeof l->prefix, "%s", full);
    l->depth++;
    H5Literate(obj, H5_INDEX_NAME, H5_ITER_INC, NULL, visit, l);
    l->depth--;
    memcpy(l->prefix, saved, sizeof saved);
  }
  H5Oclose(obj);
  return l->status ? -1 : 0;
}

void ht_hdf5_info_free(ht_h5_info *info) {
  for (int i = 0; i < info->n; i++) {
    free(info->objects[i].name);
    ht_io_attrs_free(info->objects[i].nattrs, info->objects[i].attrs);
  }
  free(info->objects);
  info->objects = NULL, info->n = 0;
}

int ht_hdf5_info(const char *path, ht_h5_info *out) {
  memset(out, 0, sizeof *out);
  hid_t f = ht_h5_open(path, H5F_ACC_RDONLY, "io.hdf5_info");
  if (f < 0) return -1;
  listing l = {.info = out};
  hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
  l.status = add_object(&l, root, "", false);
  if (!l.status) H5Literate(root, H5_INDEX_NAME, H5_ITER_INC, NULL, visit, &l);
  H5Gclose(root);
  H5Eclear2(H5E_DEFAULT);
  if (ht_h5_close(f, path, "io.hdf5_info")) l.status = -1;
  if (ht_comm_agree(l.status)) return ht_hdf5_info_free(out), -1;
  return 0;
}
