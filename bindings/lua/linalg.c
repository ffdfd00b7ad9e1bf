/* The linear algebra part of heat.core: matrix products (runtime/linalg.h). The public
 * ht.linalg table is built in lib/heat/linalg.lua from these. */
#include "../../runtime/linalg.h"
#include "lht.h"

/* The array at idx; a Lua number or nested table is converted and replaces its slot, so
 * the GC owns it even if a later argument raises. */
static ht_array *operand(lua_State *L, int idx, const char *fn) {
  int owned;
  ht_array *a = lht_operand(L, idx, HT_NDTYPES, fn, &owned);
  if (owned) {
    lht_pusharray(L, a);
    lua_replace(L, idx);
  }
  return a;
}

/* f(a, b): exactly two operands; Heat's extra arguments (out=, allow_resplit=) are not
 * taken, and an ignored argument would hide a mistake. */
static int binary(lua_State *L, const char *fn, ht_array *(*f)(const ht_array *, const ht_array *)) {
  if (lua_gettop(L) != 2)
    return luaL_error(L, "ht.%s: expected 2 arguments (a, b), got %d", fn, lua_gettop(L));
  ht_array *a = operand(L, 1, fn), *b = operand(L, 2, fn);
  lht_pusharray(L, f(a, b));
  return 1;
}

static int l_matmul(lua_State *L) { return binary(L, "matmul", ht_matmul); }
static int l_dot(lua_State *L) { return binary(L, "dot", ht_dot); }

static const luaL_Reg linalg_fns[] = {{"matmul", l_matmul}, {"dot", l_dot}, {NULL, NULL}};

void lht_open_linalg(lua_State *L) {
  lht_register_methods(L, linalg_fns);
  for (const luaL_Reg *f = linalg_fns; f->name; f++) {
    lua_pushcfunction(L, f->func);
    lua_setfield(L, -2, f->name);
  }
}
