/* Arrays as Lua userdata: the metatable, properties, conversion to and from Lua values,
 * the distribution methods, and the garbage collector's view of C memory. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/comm.h"
#include "../../runtime/manipulation.h"
#include "../../runtime/summary.h"
#include "lht.h"

/* ---- the GC's view of C memory (Torch7's THSetGCHandler): a full collection whenever
 * the bytes held by arrays pass a limit that grows with the live set ---- */
static int64_t gc_limit, gc_floor = (int64_t)256 << 20;

static void maybe_collect(lua_State *L) {
  if (ht_bytes_live() < gc_limit) return;
  lua_gc(L, LUA_GCCOLLECT, 0);
  int64_t live = ht_bytes_live();
  gc_limit = 2 * live > gc_floor ? 2 * live : gc_floor;
}

void lht_pusharray(lua_State *L, ht_array *a) {
  if (!a) lht_raise(L);
  lht_udata *u = lua_newuserdata(L, sizeof *u);
  u->a = a;
  u->pend = NULL;
  luaL_getmetatable(L, LHT_ARRAY);
  lua_setmetatable(L, -2);
  maybe_collect(L);
}

ht_array *lht_peekarray(lua_State *L, int idx, lht_udata **out) {
  lht_udata *u = luaL_testudata(L, idx, LHT_ARRAY);
  if (out) *out = u;
  return u ? u->a : NULL;
}

ht_array *lht_toarray(lua_State *L, int idx) {
  lht_udata *u = luaL_testudata(L, idx, LHT_ARRAY);
  if (u && u->pend) lht_fuse_read(L, u);
  return u ? u->a : NULL;
}

ht_array *lht_checkarray(lua_State *L, int idx) {
  lht_udata *u = luaL_testudata(L, idx, LHT_ARRAY);
  if (!u) luaL_typerror(L, idx, "array");
  if (u->pend) lht_fuse_read(L, u);
  if (!u->a) luaL_error(L, "ht: array was freed");
  return u->a;
}

/* The header of the array at idx, deferred or not (metadata only): for x.shape and #x,
 * which must not compute, since they are not collective. */
static ht_array *check_meta(lua_State *L, int idx) {
  lht_udata *u = luaL_testudata(L, idx, LHT_ARRAY);
  if (!u) luaL_typerror(L, idx, "array");
  if (!u->a) luaL_error(L, "ht: array was freed");
  return u->a;
}

/* A runtime message names its function ("add: shapes ..."); one from a shared helper that
 * cannot know it (an allocation) gets the name of the binding that called it. */
int lht_raise(lua_State *L) {
  const char *msg = ht_errmsg();
  lua_Debug ar;
  if (!strncmp(msg, "out of memory", 13) && lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) &&
      ar.name)
    return luaL_error(L, "ht.%s: %s", ar.name[0] == '_' && ar.name[1] == '_' ? ar.name + 2 : ar.name,
                      msg);
  return luaL_error(L, "ht.%s", msg);
}

void lht_push_metatable(lua_State *L) { luaL_getmetatable(L, LHT_ARRAY); }

void lht_push_methods(lua_State *L) {
  lht_push_metatable(L);
  lua_getfield(L, -1, "__methods");
  lua_remove(L, -2);
}

void lht_register_methods(lua_State *L, const luaL_Reg *fns) {
  lht_push_methods(L);
  for (; fns->name; fns++) {
    lua_pushcfunction(L, fns->func);
    lua_setfield(L, -2, fns->name);
  }
  lua_pop(L, 1);
}

void lht_register(lua_State *L, const lht_reg *regs) {
  lht_push_methods(L);
  for (; regs->name; regs++) {
    if (regs->where & LHT_METHOD) {
      lua_pushcfunction(L, regs->func);
      lua_setfield(L, -2, regs->name);
    }
    if (regs->where & LHT_FN) {
      lua_pushcfunction(L, regs->func);
      lua_setfield(L, -3, regs->name);
    }
  }
  lua_pop(L, 1);
}

/* ---- Lua values to arrays ---- */

typedef struct {
  int ndim;
  int64_t shape[HT_MAXDIM];
  double *vals;
  int64_t n, cap;
  int all_int, all_bool, any_bool, wide; /* wide: a finite value past float32's range */
} nested;

static void nested_push(lua_State *L, nested *s, double v, const char *fn) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    double *p = realloc(s->vals, sizeof(double) * (size_t)s->cap);
    if (!p) free(s->vals), s->vals = NULL, luaL_error(L, "ht.%s: out of memory", fn);
    s->vals = p;
  }
  s->vals[s->n++] = v;
}

static void nested_walk(lua_State *L, int idx, int depth, nested *s, const char *fn) {
  int t = lua_type(L, idx);
  if (t == LUA_TTABLE && !lht_toarray(L, idx)) {
    int64_t len = (int64_t)lua_objlen(L, idx);
    if (depth >= HT_MAXDIM) free(s->vals), luaL_error(L, "ht.%s: nested tables deeper than %d", fn, HT_MAXDIM);
    if (depth == s->ndim) { /* the first path down fixes the shape */
      if (s->n > 0) free(s->vals), luaL_error(L, "ht.%s: ragged nested tables (a table where a number was expected)", fn);
      s->shape[s->ndim++] = len;
    } else if (s->shape[depth] != len) {
      free(s->vals);
      luaL_error(L, "ht.%s: ragged nested tables: length %d at depth %d, expected %d", fn,
                 (int)len, depth, (int)s->shape[depth]);
    }
    for (int64_t i = 1; i <= len; i++) {
      lua_rawgeti(L, idx, (int)i);
      nested_walk(L, lua_gettop(L), depth + 1, s, fn);
      lua_pop(L, 1);
    }
    return;
  }
  if (depth != s->ndim) free(s->vals), luaL_error(L, "ht.%s: ragged nested tables (a number where a table was expected)", fn);
  double v;
  if (t == LUA_TNUMBER) {
    v = lua_tonumber(L, idx);
    s->all_bool = 0;
    if (!ht_is_int_value(v)) s->all_int = 0;
    if (isfinite(v) && fabs(v) > FLT_MAX) s->wide = 1;
  } else if (t == LUA_TBOOLEAN) {
    v = lua_toboolean(L, idx);
    s->any_bool = 1;
  } else {
    free(s->vals);
    luaL_error(L, "ht.%s: expected numbers or booleans in nested tables, got %s", fn, luaL_typename(L, idx));
    return;
  }
  nested_push(L, s, v, fn);
}

/* A Lua number stored into an integer dtype goes through Python's int() in NumPy: NaN,
 * infinities and values whose integer part does not fit raise; fractions truncate. */
static const char *int_value_error(ht_dtype t, double v, char *buf, size_t size) {
  if (!ht_dtype_is_int(t)) return NULL;
  if (isnan(v)) return "cannot convert float NaN to integer";
  if (isinf(v)) return "cannot convert float infinity to integer";
  if (ht_int_value_fits(t, trunc(v))) return NULL;
  snprintf(buf, size, "Lua number %.16g is out of bounds for %s", v, ht_dtype_name(t));
  return buf;
}

ht_array *lht_from_table(lua_State *L, int idx, ht_dtype dtype, int split, ht_device dev,
                         const char *fn) {
  ht_array *src = lht_toarray(L, idx);
  if (src) {
    ht_array *c = dtype == HT_NDTYPES || dtype == src->dtype ? ht_copy(src) : ht_astype(src, dtype);
    if (c && split != c->split) {
      ht_array *r = ht_resplit(c, split);
      ht_array_free(c);
      c = r;
    }
    return c;
  }
  nested s = {0};
  s.all_int = s.all_bool = 1;
  if (idx < 0) idx = lua_gettop(L) + idx + 1;
  nested_walk(L, idx, 0, &s, fn);
  if (split >= s.ndim || split < -1) {
    free(s.vals);
    luaL_error(L, "ht.%s: split %d is out of range for an array of %d dimensions", fn, split, s.ndim);
  }
  /* Heat: booleans -> bool, int64 when every number is one exactly, else float32 (float64
   * when float32 would turn a finite value into inf) */
  char msg[128];
  for (int64_t i = 0; i < s.n && ht_dtype_is_int(dtype); i++) {
    const char *bad = int_value_error(dtype, s.vals[i], msg, sizeof msg);
    if (bad) free(s.vals), luaL_error(L, "ht.%s: %s", fn, bad);
  }
  if (dtype == HT_NDTYPES)
    dtype = (s.any_bool && s.all_bool) ? HT_BOOL : s.all_int ? HT_INT64
                                                 : s.wide ? HT_FLOAT64 : HT_FLOAT32;
  ht_array *a = ht_from_buffer(dtype, s.ndim, s.shape, split, dev, HT_FLOAT64, s.vals);
  free(s.vals);
  return a;
}

static int is_comparison(const char *fn) {
  static const char *const names[] = {"eq", "ne", "lt", "le", "gt", "ge", NULL};
  for (const char *const *n = names; *n; n++)
    if (!strcmp(fn, *n)) return 1;
  return 0;
}

ht_array *lht_operand(lua_State *L, int idx, ht_dtype other, const char *fn, int *owned) {
  ht_array *a = lht_toarray(L, idx);
  *owned = 0;
  if (a) return a;
  *owned = 1;
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER: {
      double v = lua_tonumber(L, idx);
      char msg[128];
      const char *bad = !strcmp(fn, "setitem") ? int_value_error(other, v, msg, sizeof msg) : NULL;
      if (bad) luaL_error(L, "ht.%s: %s", fn, bad); /* x[i] = v converts v to x's dtype */
      ht_dtype t = ht_weak_scalar_dtype(other, v, false);
      if (!ht_int_value_fits(t, v)) {
        /* NEP 50: int8_array + 300 raises; a comparison is still exact in int64/float64 */
        if (!is_comparison(fn))
          luaL_error(L, "ht.%s: Lua integer %.17g is out of bounds for %s (NumPy 2, NEP 50)",
                     fn, v, ht_dtype_name(t));
        t = ht_int_value_fits(HT_INT64, v) ? HT_INT64 : HT_FLOAT64;
      }
      a = ht_scalar(t, v);
      break;
    }
    case LUA_TBOOLEAN:
      a = ht_scalar(ht_weak_scalar_dtype(other, 0, true), lua_toboolean(L, idx));
      break;
    case LUA_TTABLE:
      a = lht_from_table(L, idx, HT_NDTYPES, -1, HT_CPU, fn);
      break;
    default:
      luaL_error(L, "ht.%s: operands must be arrays, numbers, booleans or nested tables, got %s",
                 fn, luaL_typename(L, idx));
  }
  if (!a) lht_raise(L);
  return a;
}

/* ---- arrays to Lua values ---- */

static void push_elem(lua_State *L, ht_dtype t, const char *p) {
  if (t == HT_BOOL) lua_pushboolean(L, *(const bool *)p);
  else lua_pushnumber(L, ht_get_f64(t, p));
}

static const char *push_nested(lua_State *L, const ht_array *a, int d, const char *p) {
  size_t item = ht_dtype_size(a->dtype);
  if (d == a->ndim) {
    push_elem(L, a->dtype, p);
    return p + item;
  }
  lua_createtable(L, (int)a->gshape[d], 0);
  for (int64_t i = 0; i < a->gshape[d]; i++) {
    p = push_nested(L, a, d + 1, p);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return p;
}

static void *gather_all(lua_State *L, const ht_array *a) {
  int64_t n = ht_array_gsize(a) * (int64_t)ht_dtype_size(a->dtype);
  void *buf = malloc((size_t)n + 1);
  if (ht_comm_agree(buf ? 0 : ht_error("totable: out of memory gathering %lld bytes", (long long)n))) {
    free(buf);
    lht_raise(L);
  }
  if (ht_gather(a, -1, buf)) free(buf), lht_raise(L);
  return buf;
}

static int m_totable(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  char *buf = gather_all(L, a);
  push_nested(L, a, 0, buf);
  free(buf);
  return 1;
}

static int m_item(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  if (ht_array_gsize(a) != 1) {
    char sh[128];
    return luaL_error(L, "ht.item: only arrays of one element can be converted to a Lua value, "
                      "shape is %s", ht_fmt_shape(sh, sizeof sh, a->ndim, a->gshape));
  }
  char *buf = gather_all(L, a);
  push_elem(L, a->dtype, buf);
  free(buf);
  return 1;
}

static void push_shape(lua_State *L, int ndim, const int64_t *shape) {
  lua_createtable(L, ndim, 0);
  for (int d = 0; d < ndim; d++) {
    lua_pushnumber(L, (lua_Number)shape[d]);
    lua_rawseti(L, -2, d + 1);
  }
}

static int push_property(lua_State *L, const ht_array *a, const char *k) {
  if (!strcmp(k, "shape") || !strcmp(k, "gshape")) push_shape(L, a->ndim, a->gshape);
  else if (!strcmp(k, "lshape")) push_shape(L, a->ndim, a->lshape);
  else if (!strcmp(k, "ndim")) lua_pushinteger(L, a->ndim);
  else if (!strcmp(k, "size") || !strcmp(k, "gnumel")) lua_pushnumber(L, (lua_Number)ht_array_gsize(a));
  else if (!strcmp(k, "lnumel")) lua_pushnumber(L, (lua_Number)ht_array_lsize(a));
  else if (!strcmp(k, "nbytes") || !strcmp(k, "gnbytes"))
    lua_pushnumber(L, (lua_Number)(ht_array_gsize(a) * (int64_t)ht_dtype_size(a->dtype)));
  else if (!strcmp(k, "lnbytes"))
    lua_pushnumber(L, (lua_Number)(ht_array_lsize(a) * (int64_t)ht_dtype_size(a->dtype)));
  else if (!strcmp(k, "itemsize")) lua_pushinteger(L, (lua_Integer)ht_dtype_size(a->dtype));
  else if (!strcmp(k, "split")) {
    if (a->split < 0) lua_pushnil(L);
    else lua_pushinteger(L, a->split);
  } else if (!strcmp(k, "dtype")) lua_pushstring(L, ht_dtype_name(a->dtype));
  else if (!strcmp(k, "device")) lua_pushstring(L, a->device == HT_GPU ? "gpu" : "cpu");
  else if (!strcmp(k, "balanced") || !strcmp(k, "is_balanced")) lua_pushboolean(L, ht_array_is_balanced(a));
  else if (!strcmp(k, "lshape_map")) { /* Heat's (nprocs, ndim) map, as Lua tables */
    int p = ht_comm_size();
    lua_createtable(L, p, 0);
    for (int r = 0; r < p; r++) {
      int64_t sh[HT_MAXDIM];
      memcpy(sh, a->gshape, sizeof sh);
      if (a->split >= 0) sh[a->split] = a->counts[r];
      push_shape(L, a->ndim, sh);
      lua_rawseti(L, -2, r + 1);
    }
  } else if (!strcmp(k, "counts")) { /* rows along split per rank */
    int p = ht_comm_size();
    if (a->split < 0) lua_pushnil(L);
    else push_shape(L, p, a->counts);
  } else if (!strcmp(k, "T")) lht_pusharray(L, ht_transpose(lht_checkarray(L, 1), NULL)); /* a view */
  else return 0;
  return 1;
}

/* x.name: methods first, then properties; other keys are indices (getitem, defined by
 * the indexing part as method __getitem). */
/* Runs the method on top (getitem or setitem) with nargs arguments; an error message
 * without a position gets the caller's file:line, like errors of the other operators
 * (luaL_error names the caller of a C function, here mt_index, not the script). */
static int call_located(lua_State *L, int nargs, int nres) {
  if (lua_pcall(L, nargs, nres, 0) == 0) return nres;
  const char *msg = lua_tostring(L, -1);
  luaL_where(L, 1);
  const char *where = lua_tostring(L, -1);
  if (msg && lua_type(L, -2) == LUA_TSTRING && where[0] && strncmp(msg, where, strlen(where))) {
    lua_insert(L, -2);
    lua_concat(L, 2);
  } else {
    lua_pop(L, 1);
  }
  return lua_error(L);
}

/* x < y and x <= y must give one boolean in Lua, so an elementwise comparison is a method */
static int mt_compare(lua_State *L) {
  return luaL_error(L, "ht.Array: '<' and '<=' cannot compare arrays elementwise in Lua; use "
                    "x:lt(y), x:le(y), x:gt(y), x:ge(y) (or ht.less(x, y)...)");
}

static int mt_index(lua_State *L) {
  ht_array *a = check_meta(L, 1);
  if (lua_type(L, 2) == LUA_TSTRING) {
    lht_push_methods(L);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 2);
    if (push_property(L, a, lua_tostring(L, 2))) return 1;
  }
  lht_push_methods(L);
  lua_getfield(L, -1, "__getitem");
  if (lua_isnil(L, -1)) {
    if (lua_type(L, 2) == LUA_TSTRING)
      return luaL_error(L, "ht.Array has no field or method '%s'", lua_tostring(L, 2));
    return luaL_error(L, "ht.Array: indexing with a %s is not supported", luaL_typename(L, 2));
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  return call_located(L, 2, 1);
}

static int mt_newindex(lua_State *L) {
  lht_checkarray(L, 1);
  lht_push_methods(L);
  lua_getfield(L, -1, "__setitem");
  if (lua_isnil(L, -1))
    return luaL_error(L, "ht.Array: assignment x[%s] = ... is not supported", luaL_typename(L, 2));
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  return call_located(L, 3, 0);
}

static int mt_gc(lua_State *L) {
  lht_udata *u = luaL_checkudata(L, 1, LHT_ARRAY);
  if (u->pend) lht_fuse_gc(L, u); /* drops a deferred op, never computes it */
  ht_array_free(u->a); /* local memory only: never anything collective in __gc */
  u->a = NULL;
  return 0;
}

static int mt_len(lua_State *L) {
  ht_array *a = check_meta(L, 1);
  if (a->ndim == 0) return luaL_error(L, "ht.Array: len() of a 0-d array");
  lua_pushnumber(L, (lua_Number)a->gshape[0]);
  return 1;
}

/* ---- distribution methods ---- */

static int m_resplit(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  int axis = -1;
  int opts = lht_opts(L, 2);
  if (opts) axis = lht_opt_split(L, opts, "resplit", a->ndim, -1);
  else if (!lua_isnoneornil(L, 2)) axis = lht_check_axis(L, 2, "resplit", a->ndim);
  lht_pusharray(L, ht_resplit(a, axis));
  return 1;
}

static int m_balance(lua_State *L) {
  lht_pusharray(L, ht_balance(lht_checkarray(L, 1)));
  return 1;
}

static int m_redistribute(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  int p = ht_comm_size();
  if (a->split < 0) return luaL_error(L, "ht.redistribute: the array is not split");
  luaL_checktype(L, 2, LUA_TTABLE);
  if ((int)lua_objlen(L, 2) != p)
    return luaL_error(L, "ht.redistribute: %d counts given for %d ranks", (int)lua_objlen(L, 2), p);
  int64_t *counts = malloc(sizeof(int64_t) * (size_t)p), total = 0;
  for (int r = 0; r < p; r++) {
    lua_rawgeti(L, 2, r + 1);
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (v < 0 || v != floor(v)) free(counts), luaL_error(L, "ht.redistribute: counts must be non-negative integers");
    counts[r] = (int64_t)v, total += counts[r];
  }
  if (total != a->gshape[a->split]) {
    free(counts);
    return luaL_error(L, "ht.redistribute: counts sum to %d but split axis %d has length %d",
                      (int)total, a->split, (int)a->gshape[a->split]);
  }
  ht_array *out = ht_redistribute(a, counts);
  free(counts);
  lht_pusharray(L, out);
  return 1;
}

static int m_copy(lua_State *L) {
  lht_pusharray(L, ht_copy(lht_checkarray(L, 1)));
  return 1;
}

static int m_astype(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  ht_dtype t = lht_check_dtype(L, 2, "astype");
  int opts = lht_opts(L, 3);
  if (opts && !lht_opt_bool(L, opts, "copy", 1) && t == a->dtype) {
    lua_pushvalue(L, 1);
    return 1;
  }
  lht_pusharray(L, ht_astype(a, t));
  return 1;
}

static int m_is_distributed(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  lua_pushboolean(L, a->split >= 0 && ht_comm_size() > 1);
  return 1;
}

/* core._edges(x, edge) -> the replicated corners of x and, per axis, whether it was cut */
static int l_edges(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  bool cut[HT_MAXDIM] = {0};
  lht_pusharray(L, ht_edges(a, lht_check_int(L, 2, "repr", "edge"), cut));
  lua_createtable(L, a->ndim, 0);
  for (int d = 0; d < a->ndim; d++) {
    lua_pushboolean(L, cut[d]);
    lua_rawseti(L, -2, d + 1);
  }
  return 2;
}

#define BOTH (LHT_FN | LHT_METHOD)
static const lht_reg methods[] = {
    {"totable", m_totable, LHT_METHOD}, {"tolist", m_totable, LHT_METHOD},
    {"item", m_item, LHT_METHOD},       {"resplit", m_resplit, BOTH},
    {"balance", m_balance, BOTH},       {"redistribute", m_redistribute, BOTH},
    {"copy", m_copy, BOTH},             {"astype", m_astype, BOTH},
    {"is_distributed", m_is_distributed, BOTH}, {NULL, NULL, 0}};
#undef BOTH

void lht_open_array(lua_State *L) {
  luaL_newmetatable(L, LHT_ARRAY);
  lua_newtable(L);
  lua_setfield(L, -2, "__methods");
  lua_pushcfunction(L, mt_index);
  lua_setfield(L, -2, "__index");
  lht_fuse_exempt(mt_index); /* x.shape and x:method need no forcing; getitem is forced */
  lht_fuse_exempt(mt_len);
  lua_pushcfunction(L, mt_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, mt_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, mt_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, mt_compare);
  lua_setfield(L, -2, "__lt");
  lua_pushcfunction(L, mt_compare);
  lua_setfield(L, -2, "__le");
  lua_setfield(L, -2, "_metatable"); /* core._metatable: the Lua layer adds __tostring */
  lht_register(L, methods);
  lht_push_methods(L);
  lua_setfield(L, -2, "_methods");
  lua_pushcfunction(L, l_edges);
  lua_setfield(L, -2, "_edges");
  char *env = getenv("HEATLUA_GC_MB");
  if (env && atof(env) > 0) gc_floor = (int64_t)(atof(env) * (1 << 20));
  gc_limit = gc_floor;
}
