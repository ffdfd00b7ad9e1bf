/* The I/O functions of heat.core: load_* and save_* for HDF5 (and NetCDF-4), CSV and .npy,
 * load/save dispatching on the file extension, and the `io` subtable (hdf5_info, attributes). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/io/io.h"
#include "lht.h"

/* ---- options ---- */

/* A split that may be negative before the shape is known; absent: def; false: replicated
 * (for loaders whose default is split 0, since {split = nil} cannot be told from {}). */
static int opt_split_raw(lua_State *L, int opts, const char *fn, int def) {
  if (!lht_opt_field(L, opts, "split")) return def;
  if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) return lua_pop(L, 1), HT_IO_NOSPLIT;
  int64_t s = lht_check_int(L, -1, fn, "split");
  lua_pop(L, 1);
  if (s < -32 || s > 32) luaL_error(L, "ht.%s: split %d is out of range", fn, (int)s);
  return (int)s;
}

static char opt_sep(lua_State *L, int opts, const char *fn) {
  const char *s = lht_opt_string(L, opts, "sep", fn, ",");
  if (strlen(s) != 1) luaL_error(L, "ht.%s: sep must be one character, got '%s'", fn, s);
  return s[0];
}

/* ---- slices: {{0, 10}, ht.all, 3} or "0:10, :, 3" ---- */

/* Read by the indexer's own reader into the runtime's index expression. */
static void opt_slices(lua_State *L, int opts, ht_index *ix) {
  if (!lht_opt_field(L, opts, "slices")) return;
  if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TTABLE)
    luaL_error(L, "ht.load_hdf5: slices must be a table or a string, got %s",
               luaL_typename(L, -1));
  lht_read_index(L, lua_gettop(L), NULL, ix, "load_hdf5");
  lua_pop(L, 1);
}

/* ---- attributes between Lua and C ---- */

/* Temporary C memory owned by Lua, kept alive in the table at `anchor` for the call and
 * freed by the GC afterwards, even when an error unwinds. */
static void *scratch(lua_State *L, int anchor, size_t n) {
  void *p = lua_newuserdata(L, n ? n : 1);
  lua_rawseti(L, anchor, (int)lua_objlen(L, anchor) + 1);
  return p;
}

/* Converts the attribute table at idx ({name = value}) into attrs, with the buffers
 * anchored in the table at `anchor`; names and strings point into the Lua table. */
static int to_attrs(lua_State *L, int idx, int anchor, const char *fn, ht_io_attr **out) {
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) lua_pop(L, 1), n++;
  ht_io_attr *attrs = scratch(L, anchor, sizeof *attrs * (size_t)n);
  memset(attrs, 0, sizeof *attrs * (size_t)(n ? n : 1));
  int i = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, "ht.%s: attribute names must be strings", fn);
    ht_io_attr *a = &attrs[i++];
    a->name = (char *)lua_tostring(L, -2);
    a->scalar = true;
    a->n = 1;
    int v = lua_gettop(L);
    switch (lua_type(L, v)) {
      case LUA_TSTRING: a->kind = HT_ATTR_STRING, a->str = (char *)lua_tostring(L, v); break;
      case LUA_TBOOLEAN:
      case LUA_TNUMBER: {
        double x = lua_type(L, v) == LUA_TBOOLEAN ? lua_toboolean(L, v) : lua_tonumber(L, v);
        a->kind = lua_type(L, v) == LUA_TBOOLEAN ? HT_ATTR_BOOL
                  : ht_is_exact_int(x) ? HT_ATTR_INT : HT_ATTR_FLOAT;
        a->num = scratch(L, anchor, sizeof(double));
        a->num[0] = x;
        break;
      }
      case LUA_TTABLE: {
        int64_t m = (int64_t)lua_objlen(L, v);
        a->scalar = false, a->n = m, a->kind = HT_ATTR_INT;
        a->num = scratch(L, anchor, sizeof(double) * (size_t)m);
        for (int64_t k = 0; k < m; k++) {
          lua_rawgeti(L, v, (int)k + 1);
          if (lua_type(L, -1) == LUA_TBOOLEAN) {
            a->num[k] = lua_toboolean(L, -1), a->kind = HT_ATTR_BOOL;
          } else if (lua_type(L, -1) == LUA_TNUMBER) {
            a->num[k] = lua_tonumber(L, -1);
            if (!ht_is_exact_int(a->num[k])) a->kind = HT_ATTR_FLOAT;
          } else {
            luaL_error(L, "ht.%s: attribute '%s' must hold numbers or booleans, got %s", fn,
                       a->name, luaL_typename(L, -1));
          }
          lua_pop(L, 1);
        }
        break;
      }
      default:
        luaL_error(L, "ht.%s: attribute '%s' must be a number, boolean, string or list, got %s",
                   fn, a->name, luaL_typename(L, v));
    }
    lua_pop(L, 1);
  }
  *out = attrs;
  return n;
}

static void push_attr_value(lua_State *L, const ht_io_attr *a) {
  if (a->kind == HT_ATTR_STRING) {
    lua_pushstring(L, a->str);
  } else if (a->scalar) {
    if (a->kind == HT_ATTR_BOOL) lua_pushboolean(L, a->num[0] != 0);
    else lua_pushnumber(L, a->num[0]);
  } else {
    lua_createtable(L, (int)a->n, 0);
    for (int64_t k = 0; k < a->n; k++) {
      if (a->kind == HT_ATTR_BOOL) lua_pushboolean(L, a->num[k] != 0);
      else lua_pushnumber(L, a->num[k]);
      lua_rawseti(L, -2, (int)k + 1);
    }
  }
}

static void push_attrs(lua_State *L, int n, const ht_io_attr *attrs) {
  lua_createtable(L, 0, n);
  for (int i = 0; i < n; i++) {
    push_attr_value(L, &attrs[i]);
    lua_setfield(L, -2, attrs[i].name);
  }
}

/* ---- HDF5 ---- */

static const char *const load_hdf5_keys[] = {"split", "dtype", "device", "slices",
                                             "load_fraction", NULL};

/* A string or a non-empty list of strings at idx, as a C array anchored on the stack. */
static const char **name_list(lua_State *L, int idx, const char *fn, const char *what, int *n) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char **v = lua_newuserdata(L, sizeof *v);
    v[0] = lua_tostring(L, idx), *n = 1;
    return v;
  }
  if (lua_type(L, idx) != LUA_TTABLE || lua_objlen(L, idx) == 0)
    luaL_error(L, "ht.%s: %s must be a string or a non-empty list of strings, got %s", fn, what,
               luaL_typename(L, idx));
  *n = (int)lua_objlen(L, idx);
  const char **v = lua_newuserdata(L, sizeof *v * (size_t)*n);
  for (int i = 0; i < *n; i++) {
    lua_rawgeti(L, idx, i + 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "ht.%s: %s[%d] must be a string, got %s", fn, what, i + 1,
                 luaL_typename(L, -1));
    v[i] = lua_tostring(L, -1); /* the list keeps the string alive */
    lua_pop(L, 1);
  }
  return v;
}

static int l_load_hdf5(lua_State *L) {
  int fused = lua_type(L, 1) == LUA_TTABLE || lua_type(L, 2) == LUA_TTABLE;
  const char *path = fused ? NULL : luaL_checkstring(L, 1);
  const char *dataset = fused ? NULL : luaL_checkstring(L, 2);
  int opts = lht_opts(L, 3);
  lht_check_keys(L, opts, "load_hdf5", load_hdf5_keys);
  ht_h5_load_opts o;
  ht_h5_load_opts_init(&o);
  o.dtype = lht_opt_dtype(L, opts, "load_hdf5", HT_FLOAT32);
  o.split = opt_split_raw(L, opts, "load_hdf5", HT_IO_NOSPLIT);
  o.device = lht_opt_device(L, opts, "load_hdf5");
  o.load_fraction = lht_opt_number(L, opts, "load_fraction", 1.0);
  opt_slices(L, opts, &o.slices);
  if (fused) { /* several datasets as columns, several files as rows: one array */
    int nfiles, nsets;
    const char **paths = name_list(L, 1, "load_hdf5", "path", &nfiles);
    const char **names = name_list(L, 2, "load_hdf5", "dataset", &nsets);
    lht_pusharray(L, ht_load_hdf5_fused(nfiles, paths, nsets, names, &o));
    return 1;
  }
  lht_pusharray(L, ht_load_hdf5(path, dataset, &o));
  return 1;
}

static void save_opts(lua_State *L, int opts, const char *fn, ht_h5_save_opts *o) {
  ht_h5_save_opts_init(o);
  o->mode = lht_opt_string(L, opts, "mode", fn, "w");
  o->atomic = lht_opt_bool(L, opts, "atomic", 1);
  o->sync = lht_opt_bool(L, opts, "sync", 0);
  o->shuffle = lht_opt_bool(L, opts, "shuffle", 0);
  int level = (int)lht_opt_int(L, opts, "compression_opts", fn, 4);
  if (lht_opt_field(L, opts, "compression")) { /* h5py: "gzip", or a gzip level 0..9 */
    if (lua_type(L, -1) == LUA_TNUMBER) level = (int)lht_check_int(L, -1, fn, "compression");
    else if (lua_type(L, -1) == LUA_TBOOLEAN) level = lua_toboolean(L, -1) ? level : -1;
    else if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "gzip"))
      luaL_error(L, "ht.%s: compression must be \"gzip\" or a level 0..9 (szip and lzf are "
                 "not available)", fn);
    o->deflate = level;
    lua_pop(L, 1);
  }
  if (lht_opt_field(L, opts, "chunks")) { /* true: automatic, or a shape */
    if (lua_type(L, -1) == LUA_TBOOLEAN) {
      o->nchunks = lua_toboolean(L, -1) ? -1 : 0;
    } else {
      o->nchunks = lht_check_shape(L, lua_gettop(L), fn, o->chunks);
    }
    lua_pop(L, 1);
  }
}

static const char *const save_hdf5_keys[] = {"mode", "compression", "compression_opts", "shuffle",
                                             "chunks", "atomic", "sync", "attrs", NULL};

static int cmp_names(const void *a, const void *b) {
  return strcmp(((const ht_h5_item *)a)->name, ((const ht_h5_item *)b)->name);
}

/* save_hdf5(x, path, dataset, opts) or save_hdf5({name = x, other = {x, attrs = {...}},
 * ["/"] = {attr = ...}}, path, opts): several datasets in one atomic save. */
static int l_save_hdf5(lua_State *L) {
  const char *fn = "save_hdf5";
  int name_type = lua_type(L, 3); /* before the options table is looked up */
  ht_array *x = lht_toarray(L, 1);
  if (!x && lua_type(L, 1) != LUA_TTABLE) lht_checkarray(L, 1);
  const char *path = luaL_checkstring(L, 2);
  int opts = lht_opts(L, x ? 4 : 3);
  lht_check_keys(L, opts, fn, save_hdf5_keys);
  ht_h5_save_opts o;
  save_opts(L, opts, fn, &o);
  lua_newtable(L);
  int anchor = lua_gettop(L);
  if (x) {
    if (name_type != LUA_TSTRING)
      return luaL_error(L, "ht.save_hdf5: the dataset name is missing: ht.save_hdf5(x, \"%s\", "
                        "\"name\"[, options]) (HDF5 keeps arrays under names inside the file), "
                        "got %s as argument 3", path, name_type == LUA_TNONE ? "nothing" : lua_typename(L, name_type));
    ht_h5_item item = {x, lua_tostring(L, 3), 0, NULL};
    if (lht_opt_field(L, opts, "attrs")) {
      luaL_checktype(L, -1, LUA_TTABLE);
      item.nattrs = to_attrs(L, lua_gettop(L), anchor, fn, (ht_io_attr **)&item.attrs);
    }
    if (ht_save_hdf5_items(1, &item, path, &o)) lht_raise(L);
    return 0;
  }
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, 1)) lua_pop(L, 1), n++;
  ht_h5_item *items = scratch(L, anchor, sizeof *items * (size_t)n);
  int i = 0;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "ht.%s: dataset names must be strings", fn);
    ht_h5_item *it = &items[i++];
    memset(it, 0, sizeof *it);
    it->name = lua_tostring(L, -2);
    int v = lua_gettop(L);
    if ((it->array = lht_toarray(L, v)) == NULL) {
      if (lua_type(L, v) != LUA_TTABLE)
        luaL_error(L, "ht.%s: '%s' must be an array or a table of attributes", fn, it->name);
      lua_rawgeti(L, v, 1);
      it->array = lht_toarray(L, -1);
      lua_pop(L, 1);
      if (it->array) lua_getfield(L, v, "attrs");
      else lua_pushvalue(L, v);
      if (!lua_isnil(L, -1)) {
        luaL_checktype(L, -1, LUA_TTABLE);
        it->nattrs = to_attrs(L, lua_gettop(L), anchor, fn, (ht_io_attr **)&it->attrs);
      }
      lua_settop(L, v);
    }
    lua_pop(L, 1);
  }
  qsort(items, (size_t)n, sizeof *items, cmp_names); /* the same order on every rank */
  if (ht_save_hdf5_items(n, items, path, &o)) lht_raise(L);
  return 0;
}

static void push_shape(lua_State *L, int n, const int64_t *shape) {
  lua_createtable(L, n, 0);
  for (int d = 0; d < n; d++) lua_pushnumber(L, (lua_Number)shape[d]), lua_rawseti(L, -2, d + 1);
}

static int l_hdf5_info(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ht_h5_info info;
  if (ht_hdf5_info(path, &info)) lht_raise(L);
  lua_createtable(L, 0, 4);
  lua_pushstring(L, path);
  lua_setfield(L, -2, "path");
  lua_newtable(L); /* datasets */
  lua_newtable(L); /* groups */
  int nd = 0, ng = 0;
  for (int i = 0; i < info.n; i++) {
    const ht_h5_object *o = &info.objects[i];
    if (!*o->name) { /* the root group's attributes are the file's */
      push_attrs(L, o->nattrs, o->attrs);
      lua_setfield(L, -4, "attrs");
      continue;
    }
    lua_newtable(L);
    lua_pushstring(L, o->name);
    lua_setfield(L, -2, "name");
    push_attrs(L, o->nattrs, o->attrs);
    lua_setfield(L, -2, "attrs");
    if (o->is_dataset) {
      push_shape(L, o->ndim, o->shape);
      lua_setfield(L, -2, "shape");
      lua_pushinteger(L, o->ndim);
      lua_setfield(L, -2, "ndim");
      lua_pushstring(L, o->dtype);
      lua_setfield(L, -2, "dtype");
      if (o->chunked) push_shape(L, o->ndim, o->chunks), lua_setfield(L, -2, "chunks");
      if (o->deflate >= 0) {
        lua_pushstring(L, "gzip");
        lua_setfield(L, -2, "compression");
        lua_pushinteger(L, o->deflate);
        lua_setfield(L, -2, "compression_opts");
      }
    }
    int t = o->is_dataset ? -3 : -2; /* datasets or groups, below the entry */
    lua_pushvalue(L, -1);
    lua_rawseti(L, t - 1, o->is_dataset ? ++nd : ++ng);
    lua_setfield(L, t, o->name);
  }
  ht_hdf5_info_free(&info);
  lua_setfield(L, -3, "groups");
  lua_setfield(L, -2, "datasets");
  return 1;
}

static int l_read_attrs(lua_State *L) {
  const char *path = luaL_checkstring(L, 1), *obj = luaL_optstring(L, 2, "/");
  int n;
  ht_io_attr *attrs;
  if (ht_hdf5_read_attrs(path, obj, &n, &attrs)) lht_raise(L);
  push_attrs(L, n, attrs);
  ht_io_attrs_free(n, attrs);
  return 1;
}

/* io.write_attrs(path, object, {name = value}, {atomic = true}) */
static int l_write_attrs(lua_State *L) {
  const char *path = luaL_checkstring(L, 1), *obj = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  int opts = lua_istable(L, 4) ? 4 : 0;
  static const char *const keys[] = {"atomic", NULL};
  lht_check_keys(L, opts, "io.write_attrs", keys);
  int atomic = lht_opt_bool(L, opts, "atomic", 1);
  ht_io_attr *attrs;
  lua_newtable(L);
  int n = to_attrs(L, 3, lua_gettop(L), "io.write_attrs", &attrs);
  if (ht_hdf5_write_attrs(path, obj, n, attrs, atomic)) lht_raise(L);
  return 0;
}

/* ---- CSV and .npy ---- */

static int l_load_csv(lua_State *L) {
  const char *fn = "load_csv", *path = luaL_checkstring(L, 1);
  int opts = lht_opts(L, 2);
  static const char *const keys[] = {"sep", "header_lines", "dtype", "split", "device",
                                     "encoding", NULL};
  lht_check_keys(L, opts, fn, keys);
  ht_csv_load_opts o;
  ht_csv_load_opts_init(&o);
  o.sep = opt_sep(L, opts, fn);
  o.header_lines = lht_opt_int(L, opts, "header_lines", fn, 0);
  o.dtype = lht_opt_dtype(L, opts, fn, HT_FLOAT32);
  o.device = lht_opt_device(L, opts, fn);
  o.split = opt_split_raw(L, opts, fn, 0);
  const char *enc = lht_opt_string(L, opts, "encoding", fn, "utf-8");
  if (strcmp(enc, "utf-8") && strcmp(enc, "utf8") && strcmp(enc, "ascii"))
    luaL_error(L, "ht.%s: encoding '%s' is not supported (utf-8, ascii)", fn, enc);
  lht_pusharray(L, ht_load_csv(path, &o));
  return 1;
}

static int l_save_csv(lua_State *L) {
  const char *fn = "save_csv";
  ht_array *x = lht_checkarray(L, 1);
  const char *path = luaL_checkstring(L, 2);
  int opts = lht_opts(L, 3);
  static const char *const keys[] = {"sep", "header", "header_lines", "decimals", "mode",
                                     "sync", NULL};
  lht_check_keys(L, opts, fn, keys);
  ht_csv_save_opts o;
  ht_csv_save_opts_init(&o);
  o.sep = opt_sep(L, opts, fn);
  o.decimals = (int)lht_opt_int(L, opts, "decimals", fn, -1);
  o.mode = lht_opt_string(L, opts, "mode", fn, "w");
  o.sync = lht_opt_bool(L, opts, "sync", 0);
  o.header = lht_opt_string(L, opts, "header", fn, NULL);
  if (lht_opt_field(L, opts, "header_lines")) { /* Heat: a list of lines */
    luaL_checktype(L, -1, LUA_TTABLE);
    int t = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= (int)lua_objlen(L, t); i++) {
      lua_rawgeti(L, t, i);
      if (i > 1) luaL_addchar(&b, '\n');
      luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    o.header = lua_tostring(L, -1); /* stays on the stack until we return */
  }
  if (ht_save_csv(x, path, &o)) lht_raise(L);
  return 0;
}

static int l_load_npy(lua_State *L) {
  const char *fn = "load_npy", *path = luaL_checkstring(L, 1);
  int opts = lht_opts(L, 2);
  static const char *const keys[] = {"split", "dtype", "device", NULL};
  lht_check_keys(L, opts, fn, keys);
  ht_dtype t = lht_opt_dtype(L, opts, fn, HT_NDTYPES);
  int split = opt_split_raw(L, opts, fn, HT_IO_NOSPLIT);
  lht_pusharray(L, ht_load_npy(path, t, split, lht_opt_device(L, opts, fn)));
  return 1;
}

static int l_save_npy(lua_State *L) {
  const char *fn = "save_npy";
  ht_array *x = lht_checkarray(L, 1);
  const char *path = luaL_checkstring(L, 2);
  int opts = lht_opts(L, 3);
  static const char *const keys[] = {"mode", "sync", NULL};
  lht_check_keys(L, opts, fn, keys);
  const char *mode = lht_opt_string(L, opts, "mode", fn, "w");
  if (ht_save_npy(x, path, mode, lht_opt_bool(L, opts, "sync", 0))) lht_raise(L);
  return 0;
}

/* ---- load / save by extension ---- */

typedef enum { FMT_HDF5, FMT_NETCDF, FMT_CSV, FMT_NPY } file_format;

static file_format format_of(lua_State *L, const char *path, const char *fn) {
  const char *slash = strrchr(path, '/'), *dot = strrchr(slash ? slash : path, '.');
  char ext[16] = "";
  for (size_t i = 0; dot && dot[i + 1] && i + 1 < sizeof ext; i++)
    ext[i] = (char)tolower((unsigned char)dot[i + 1]), ext[i + 1] = 0;
  static const struct { const char *ext; file_format f; } known[] = {
      {"h5", FMT_HDF5}, {"hdf5", FMT_HDF5}, {"hdf", FMT_HDF5}, {"he5", FMT_HDF5},
      {"nc", FMT_NETCDF}, {"nc4", FMT_NETCDF}, {"netcdf", FMT_NETCDF},
      {"csv", FMT_CSV}, {"npy", FMT_NPY}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(ext, known[i].ext)) return known[i].f;
  luaL_error(L, "ht.%s: cannot tell the format of '%s' from its extension (.h5, .hdf5, .nc, "
             ".csv, .npy)", fn, path);
  return FMT_HDF5;
}

static int l_load(lua_State *L) {
  if (lua_type(L, 1) == LUA_TTABLE) { /* a list of files, joined along rows */
    for (int i = 1; i <= (int)lua_objlen(L, 1); i++) {
      lua_rawgeti(L, 1, i);
      const char *p = lua_tostring(L, -1);
      file_format f = p ? format_of(L, p, "load") : FMT_CSV;
      if (f != FMT_HDF5 && f != FMT_NETCDF)
        luaL_error(L, "ht.load: a list of files is joined for HDF5 and NetCDF-4 files only; "
                   "entry %d is %s", i, p ? p : luaL_typename(L, -1));
      lua_pop(L, 1);
    }
    if (lua_type(L, 2) != LUA_TSTRING && lua_type(L, 2) != LUA_TTABLE)
      luaL_error(L, "ht.load: a list of HDF5 files needs a dataset name (or a list of them)");
    return l_load_hdf5(L);
  }
  const char *path = luaL_checkstring(L, 1);
  switch (format_of(L, path, "load")) {
    case FMT_HDF5:
    case FMT_NETCDF:
      if (lua_type(L, 2) != LUA_TSTRING && lua_type(L, 2) != LUA_TTABLE)
        luaL_error(L, "ht.load: '%s' needs a dataset (or variable) name: ht.load(path, name, "
                   "{...})", path);
      return l_load_hdf5(L);
    case FMT_CSV:
    case FMT_NPY:
      if (lua_type(L, 2) == LUA_TSTRING)
        luaL_error(L, "ht.load: '%s' has no datasets; call ht.load(path, {...})", path);
      return format_of(L, path, "load") == FMT_CSV ? l_load_csv(L) : l_load_npy(L);
  }
  return 0;
}

static int l_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 2);
  switch (format_of(L, path, "save")) {
    case FMT_HDF5:
      if (lht_toarray(L, 1) && lua_type(L, 3) != LUA_TSTRING)
        luaL_error(L, "ht.save: '%s' needs a dataset name: ht.save(x, path, name, {...})", path);
      return l_save_hdf5(L);
    case FMT_NETCDF:
      return luaL_error(L, "ht.save: writing NetCDF is not supported; save to .h5 (NetCDF-4 "
                        "files can be loaded)");
    case FMT_CSV: return l_save_csv(L);
    case FMT_NPY: return l_save_npy(L);
  }
  return 0;
}

void lht_open_io(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"load_hdf5", l_load_hdf5}, {"save_hdf5", l_save_hdf5}, {"load_netcdf", l_load_hdf5},
      {"load_csv", l_load_csv},   {"save_csv", l_save_csv},   {"load_npy", l_load_npy},
      {"save_npy", l_save_npy},   {"load", l_load},           {"save", l_save},
      {NULL, NULL}};
  static const luaL_Reg io_fns[] = {{"hdf5_info", l_hdf5_info},
                                    {"read_attrs", l_read_attrs},
                                    {"write_attrs", l_write_attrs},
                                    {NULL, NULL}};
  static const luaL_Reg methods[] = {{"save", l_save},         {"save_hdf5", l_save_hdf5},
                                     {"save_csv", l_save_csv}, {"save_npy", l_save_npy},
                                     {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
  lua_newtable(L);
  luaL_setfuncs(L, io_fns, 0);
  lua_setfield(L, -2, "io");
  lht_register_methods(L, methods);
}
