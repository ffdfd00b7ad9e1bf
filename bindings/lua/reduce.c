/* The reductions' Lua API: ht.sum(x, axis, {keepdims=, ddof=, out=}) and x:sum(...), the axis a
 * number, a table of numbers, nil (every axis) or the options table's `axis` field. */
#include <limits.h>
#include <string.h>

#include "lht.h"

/* The axis or axes at idx, normalised (negative counts from the end), into o. */
static void read_axes(lua_State *L, int idx, const char *fn, int ndim, ht_reduce_opts *o) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    o->axes[0] = lht_check_axis(L, idx, fn, ndim);
    o->naxes = 1;
    return;
  }
  if (lua_type(L, idx) != LUA_TTABLE || lht_toarray(L, idx))
    luaL_error(L, "ht.%s: axis must be an integer or a table of integers, got %s", fn,
               luaL_typename(L, idx));
  const int n = (int)lua_objlen(L, idx);
  if (n == 0) luaL_error(L, "ht.%s: axis must not be an empty table", fn);
  for (int k = 0; k < n; k++) {
    lua_rawgeti(L, idx, k + 1);
    if (lua_type(L, -1) != LUA_TNUMBER)
      luaL_error(L, "ht.%s: axis entries must be integers, got %s", fn, luaL_typename(L, -1));
    const int ax = lht_norm_axis(L, lht_to_int(L, lua_tonumber(L, -1), fn, "axis"), fn, ndim);
    lua_pop(L, 1);
    for (int i = 0; i < k; i++)
      if (o->axes[i] == ax) luaL_error(L, "ht.%s: duplicate value in 'axis'", fn);
    o->axes[k] = ax; /* k < ndim <= HT_MAXDIM: more entries than axes repeat one */
  }
  o->naxes = n;
}

/* Python would reject an unknown keyword; silently ignoring dtype= would be worse. */
static void check_options(lua_State *L, int opts, const char *fn, int has_ddof) {
  lua_pushnil(L);
  while (lua_next(L, opts)) {
    const char *k = lua_tostring(L, -2);
    lua_pop(L, 1);
    if (strcmp(k, "axis") && strcmp(k, "keepdims") && strcmp(k, "out") &&
        (!has_ddof || strcmp(k, "ddof")))
      luaL_error(L, "ht.%s: unexpected option '%s'", fn, k);
  }
}

/* reduction(x [, axis] [, opts]); x may also be a number or a nested table. */
static int reduce(lua_State *L, ht_redop op) {
  const char *fn = ht_redop_name(op);
  int owned;
  ht_array *a = lht_operand(L, 1, HT_NDTYPES, fn, &owned);
  if (owned) { /* the GC owns the converted operand from now on */
    lht_pusharray(L, a);
    lua_replace(L, 1);
  }
  int opts = 0, axis = 0;
  if (lht_is_opts(L, 2)) {
    opts = 2;
  } else {
    if (!lua_isnoneornil(L, 2)) axis = 2;
    opts = lht_opts(L, 3);
    if (!opts && !lua_isnoneornil(L, 3))
      luaL_error(L, "ht.%s: argument 3 must be an options table, got %s", fn, luaL_typename(L, 3));
  }
  if (opts) {
    check_options(L, opts, fn, op == HT_RVAR || op == HT_RSTD);
    lua_getfield(L, opts, "axis"); /* stays on the stack while it is read */
    if (!lua_isnil(L, -1)) {
      if (axis) luaL_error(L, "ht.%s: got multiple values for argument 'axis'", fn);
      axis = lua_gettop(L);
    }
  }
  ht_reduce_opts o = {0};
  if (axis) read_axes(L, axis, fn, a->ndim, &o);
  o.keepdims = lht_opt_bool(L, opts, "keepdims", 0);
  if (op == HT_RVAR || op == HT_RSTD) {
    int64_t ddof = lht_to_int(L, lht_opt_number(L, opts, "ddof", 0), fn, "ddof");
    if (ddof < INT_MIN || ddof > INT_MAX) luaL_error(L, "ht.%s: ddof is out of range", fn);
    o.ddof = (int)ddof;
  }
  const int out = lht_opt_out(L, opts, fn);
  if (!out) {
    lht_pusharray(L, ht_reduce(op, a, &o));
    return 1;
  }
  if (ht_reduce_into(op, a, &o, lht_toarray(L, out))) return lht_raise(L);
  return 1; /* out, on top */
}

static int l_sum(lua_State *L) { return reduce(L, HT_RSUM); }
static int l_prod(lua_State *L) { return reduce(L, HT_RPROD); }
static int l_mean(lua_State *L) { return reduce(L, HT_RMEAN); }
static int l_var(lua_State *L) { return reduce(L, HT_RVAR); }
static int l_std(lua_State *L) { return reduce(L, HT_RSTD); }
static int l_min(lua_State *L) { return reduce(L, HT_RMIN); }
static int l_max(lua_State *L) { return reduce(L, HT_RMAX); }
static int l_argmin(lua_State *L) { return reduce(L, HT_RARGMIN); }
static int l_argmax(lua_State *L) { return reduce(L, HT_RARGMAX); }
static int l_all(lua_State *L) { return reduce(L, HT_RALL); }
static int l_any(lua_State *L) { return reduce(L, HT_RANY); }

/* amin/amax are NumPy's other names for min/max. ht.all is also the `:` of index
 * expressions: lib/heat/init.lua wraps core.all in a callable sentinel. */
static const luaL_Reg reduce_fns[] = {
    {"sum", l_sum},       {"prod", l_prod},     {"mean", l_mean}, {"var", l_var},
    {"std", l_std},       {"min", l_min},       {"max", l_max},   {"amin", l_min},
    {"amax", l_max},      {"argmin", l_argmin}, {"argmax", l_argmax},
    {"all", l_all},       {"any", l_any},       {NULL, NULL}};

void lht_open_reduce(lua_State *L) {
  lht_register_methods(L, reduce_fns);
  for (const luaL_Reg *f = reduce_fns; f->name; f++) {
    lua_pushcfunction(L, f->func);
    lua_setfield(L, -2, f->name);
  }
}
