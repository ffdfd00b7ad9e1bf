/* The linear algebra part of heat.core: matrix products (runtime/linalg.h). The public
 * ht.linalg table is built in lib/heat/linalg.lua from these. */
#include "../../runtime/linalg.h"
#include "lht.h"

/* f(a, b): exactly two operands; Heat's extra arguments (out=, allow_resplit=) are not
 * taken, and an ignored argument would hide a mistake. */
static int binary(lua_State *L, const char *fn, ht_array *(*f)(const ht_array *, const ht_array *)) {
  if (lua_gettop(L) != 2)
    return luaL_error(L, "ht.%s: expected 2 arguments (a, b), got %d", fn, lua_gettop(L));
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, fn), *b = lht_arg_operand(L, 2, HT_NDTYPES, fn);
  lht_pusharray(L, f(a, b));
  return 1;
}

static int l_matmul(lua_State *L) { return binary(L, "matmul", ht_matmul); }
static int l_dot(lua_State *L) { return binary(L, "dot", ht_dot); }

/* f(x [, n] [, {name = n}]): one optional integer, positional or by its NumPy name. */
static int64_t int_arg(lua_State *L, const char *fn, const char *name) {
  const char *keys[] = {name, NULL};
  int opts = lht_opts(L, lua_gettop(L));
  const int npos = opts ? opts - 1 : lua_gettop(L);
  if (npos > 2) luaL_error(L, "ht.%s: expected at most 2 positional arguments, got %d", fn, npos);
  lht_check_keys(L, opts, fn, keys);
  int64_t v = npos == 2 && !lua_isnil(L, 2) ? lht_check_int(L, 2, fn, name) : 0;
  if (opts) {
    lua_getfield(L, opts, name);
    if (!lua_isnil(L, -1)) {
      if (npos == 2) luaL_error(L, "ht.%s: got multiple values for argument '%s'", fn, name);
      v = lht_check_int(L, lua_gettop(L), fn, name);
    }
    lua_pop(L, 1);
  }
  return v;
}

static int tri(lua_State *L, bool upper) {
  const char *fn = upper ? "triu" : "tril";
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, fn);
  lht_pusharray(L, ht_tri(a, int_arg(L, fn, "k"), upper));
  return 1;
}

static int l_tril(lua_State *L) { return tri(L, false); }
static int l_triu(lua_State *L) { return tri(L, true); }

static int l_trace(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "trace");
  lht_pusharray(L, ht_trace(a, int_arg(L, "trace", "offset")));
  return 1;
}

static const luaL_Reg linalg_fns[] = {{"matmul", l_matmul}, {"dot", l_dot}, {"tril", l_tril},
                                      {"triu", l_triu},     {"trace", l_trace}, {NULL, NULL}};

void lht_open_linalg(lua_State *L) {
  lht_register_methods(L, linalg_fns);
  for (const luaL_Reg *f = linalg_fns; f->name; f++) {
    lua_pushcfunction(L, f->func);
    lua_setfield(L, -2, f->name);
  }
}
