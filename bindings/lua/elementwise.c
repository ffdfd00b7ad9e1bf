/* The elementwise part of heat.core: ht.add ... ht.logical_xor, the unary math, where and
 * clip, as functions, as methods (x:add(y)) and as the arithmetic operators (x + 2). */
#include <math.h>

#include "lht.h"

/* The operand at idx as an array. A converted Lua value replaces its stack slot with the
 * new array's userdata, so the GC owns it even if a later argument raises. */
static const ht_array *operand(lua_State *L, int idx, ht_dtype other, const char *fn) {
  int owned;
  ht_array *a = lht_operand(L, idx, other, fn, &owned);
  if (owned) {
    lht_pusharray(L, a);
    lua_replace(L, idx);
  }
  return a;
}

/* Two operands at i and i+1: a Lua number next to an array takes a dtype from the array
 * (NEP 50), so x + 2 keeps x's int32 and float32 x * 2.5 stays float32. */
static void operand_pair(lua_State *L, int i, const char *fn, const ht_array **x,
                         const ht_array **y) {
  *x = lht_toarray(L, i);
  *y = lht_toarray(L, i + 1);
  if (!*x) *x = operand(L, i, *y ? (*y)->dtype : HT_NDTYPES, fn);
  if (!*y) *y = operand(L, i + 1, (*x)->dtype, fn);
}

/* NumPy raises for an integer to a negative integer power (its result is not an
 * integer). The minimum is a reduction, so every rank gets the same verdict. */
static void check_int_power(lua_State *L, const ht_array *x, const ht_array *y) {
  if (ht_dtype_is_float(x->dtype) || ht_dtype_is_float(y->dtype) || y->dtype == HT_BOOL ||
      y->dtype == HT_UINT8 || ht_array_gsize(y) == 0)
    return;
  ht_reduce_opts o = {0};
  ht_array *m = ht_reduce(HT_RMIN, y, &o);
  if (!m) lht_raise(L);
  double v = ht_get_f64(m->dtype, ht_array_data(m));
  ht_array_free(m);
  if (v < 0) luaL_error(L, "ht.pow: integers to negative integer powers are not allowed");
}

/* ht.add(x, y), x:add(y), x + y: the op is the closure's upvalue. The one option is
 * NumPy's out (ht.add(x, y, {out = z}) writes into z and returns it); a third argument that
 * is not an options table is an error, not ignored. */
static int l_binary(lua_State *L) {
  static const char *const keys[] = {"out", NULL};
  ht_binop op = (ht_binop)lua_tointeger(L, lua_upvalueindex(1));
  const char *fn = ht_binop_name(op);
  const ht_array *x, *y;
  int opts = 0;
  if (lua_gettop(L) > 2) {
    opts = lht_opts(L, 3);
    if (!opts || lua_gettop(L) > 3)
      luaL_error(L, "ht.%s: takes two operands, got %d arguments", fn, lua_gettop(L));
    lht_check_keys(L, opts, fn, keys);
  }
  lua_settop(L, 3);
  /* without out= the call may be deferred or fused (fuse.c); else it settles first */
  int has_out = 0;
  if (opts) {
    lua_getfield(L, opts, "out");
    has_out = !lua_isnil(L, -1);
    lua_settop(L, 3);
  }
  if (!has_out && lht_fuse_binary(L, op)) return 1;
  lht_fuse_settle(L, has_out);
  operand_pair(L, 1, fn, &x, &y);
  if (op == HT_POW) check_int_power(L, x, y);
  const int out = lht_opt_out(L, opts, fn);
  if (!out) {
    lht_pusharray(L, ht_binary(op, x, y));
    return 1;
  }
  if (ht_binary_into(op, x, y, lht_toarray(L, out))) return lht_raise(L);
  return 1; /* out, on top */
}

/* x:add_(y) ... x:div_(y): x = x op y in place, returns x (Torch's trailing underscore). */
static int l_binary_inplace(lua_State *L) {
  ht_binop op = (ht_binop)lua_tointeger(L, lua_upvalueindex(1));
  lua_settop(L, 2);
  ht_array *x = lht_checkarray(L, 1);
  const ht_array *y = lht_toarray(L, 2);
  if (!y) y = operand(L, 2, x->dtype, ht_binop_name(op));
  if (ht_binary_out(op, x, y, x)) return lht_raise(L);
  lua_settop(L, 1);
  return 1;
}

/* ht.exp(x), x:exp(), -x (__unm passes x twice: the second argument is ignored). */
static int l_unary(lua_State *L) {
  ht_unop op = (ht_unop)lua_tointeger(L, lua_upvalueindex(1));
  const char *fn = ht_unop_name(op);
  if (lua_gettop(L) <= 1 && op != HT_ROUND && lht_fuse_unary(L, op)) return 1;
  lht_fuse_settle(L, lua_gettop(L) > 1); /* out= writes */
  if (op == HT_ROUND) { /* round(x, decimals) or round(x, {decimals = d}) */
    static const char *const keys[] = {"decimals", NULL};
    int opts = lht_opts(L, 2);
    if (lua_gettop(L) > 2) luaL_error(L, "ht.round: takes x and decimals, got %d arguments", lua_gettop(L));
    lht_check_keys(L, opts, fn, keys);
    int64_t d = opts ? (int64_t)lht_opt_number(L, opts, "decimals", 0)
                     : lua_isnoneornil(L, 2) ? 0 : lht_check_int(L, 2, fn, "decimals");
    lua_settop(L, 1);
    const ht_array *x = operand(L, 1, HT_NDTYPES, fn);
    lht_pusharray(L, ht_round(x, d));
    return 1;
  }
  static const char *const keys[] = {"out", NULL};
  const int opts = lht_opts(L, 2);
  if (lua_gettop(L) > 2 || (lua_gettop(L) == 2 && !opts))
    luaL_error(L, "ht.%s: takes one operand, got %d arguments", fn, lua_gettop(L));
  lht_check_keys(L, opts, fn, keys);
  lua_settop(L, 2);
  const ht_array *x = operand(L, 1, HT_NDTYPES, fn);
  const int out = lht_opt_out(L, opts, fn);
  if (!out) {
    lht_pusharray(L, ht_unary(op, x));
    return 1;
  }
  if (ht_unary_into(op, x, lht_toarray(L, out))) return lht_raise(L);
  return 1;
}

/* -x: Lua passes x twice to __unm. */
static int l_unm(lua_State *L) {
  lua_settop(L, 1);
  return l_unary(L);
}

/* ht.where(cond, x, y [, {out = z}]): x where cond is true, else y. */
static int l_where(lua_State *L) {
  static const char *const keys[] = {"out", NULL};
  const int opts = lua_gettop(L) == 4 ? lht_opts(L, 4) : 0;
  if (lua_gettop(L) > 4 || (lua_gettop(L) == 4 && !opts))
    return luaL_error(L, "ht.where: takes cond, x and y, got %d arguments", lua_gettop(L));
  lht_check_keys(L, opts, "where", keys);
  lua_settop(L, 4);
  if (lua_isnil(L, 2) && lua_isnil(L, 3))
    return luaL_error(L, "ht.where: x and y are required (where(cond) alone is nonzero)");
  const ht_array *cond = operand(L, 1, HT_NDTYPES, "where"), *x, *y;
  operand_pair(L, 2, "where", &x, &y);
  const int out = lht_opt_out(L, opts, "where");
  if (!out) {
    lht_pusharray(L, ht_where(cond, x, y));
    return 1;
  }
  if (!ht_where_into(cond, x, y, lht_toarray(L, out))) return lht_raise(L);
  return 1;
}

/* ht.clip(x, lo, hi), x:clip(lo, hi): either bound may be nil. */
static int l_clip(lua_State *L) {
  if (lua_gettop(L) > 3)
    return luaL_error(L, "ht.clip: takes x, lo and hi, got %d arguments", lua_gettop(L));
  lua_settop(L, 3);
  const ht_array *x = operand(L, 1, HT_NDTYPES, "clip");
  const ht_array *lo = lua_isnil(L, 2) ? NULL : operand(L, 2, x->dtype, "clip");
  const ht_array *hi = lua_isnil(L, 3) ? NULL : operand(L, 3, x->dtype, "clip");
  lht_pusharray(L, ht_clip(x, lo, hi));
  return 1;
}

static const struct { const char *name; ht_binop op; } binary_names[] = {
    {"add", HT_ADD},
    {"sub", HT_SUB},           {"subtract", HT_SUB},
    {"mul", HT_MUL},           {"multiply", HT_MUL},
    {"div", HT_DIV},           {"divide", HT_DIV},           {"true_divide", HT_DIV},
    {"floordiv", HT_FLOORDIV}, {"floor_divide", HT_FLOORDIV},
    {"mod", HT_MOD},           {"remainder", HT_MOD},
    {"pow", HT_POW},           {"power", HT_POW},
    {"minimum", HT_MINIMUM},   {"maximum", HT_MAXIMUM},
    {"eq", HT_EQ},             {"equal", HT_EQ},
    {"ne", HT_NE},             {"not_equal", HT_NE},
    {"lt", HT_LT},             {"less", HT_LT},
    {"le", HT_LE},             {"less_equal", HT_LE},
    {"gt", HT_GT},             {"greater", HT_GT},
    {"ge", HT_GE},             {"greater_equal", HT_GE},
    {"logical_and", HT_LAND},  {"logical_or", HT_LOR},        {"logical_xor", HT_LXOR},
};

static const struct { const char *name; ht_unop op; } unary_names[] = {
    {"neg", HT_NEG},     {"negative", HT_NEG}, {"abs", HT_ABS},     {"absolute", HT_ABS},
    {"sqrt", HT_SQRT},   {"exp", HT_EXP},      {"log", HT_LOG},     {"log2", HT_LOG2},
    {"log10", HT_LOG10}, {"sin", HT_SIN},      {"cos", HT_COS},     {"tan", HT_TAN},
    {"tanh", HT_TANH},   {"floor", HT_FLOOR},  {"ceil", HT_CEIL},   {"round", HT_ROUND},
    {"isnan", HT_ISNAN}, {"isinf", HT_ISINF},  {"isfinite", HT_ISFINITE},
    {"logical_not", HT_LNOT},
};

/* Lua's operators; == and < must return Lua booleans, so comparisons are methods only. */
static const struct { const char *event; ht_binop op; } operators[] = {
    {"__add", HT_ADD}, {"__sub", HT_SUB}, {"__mul", HT_MUL},
    {"__div", HT_DIV}, {"__mod", HT_MOD}, {"__pow", HT_POW},
};

/* Sets f with upvalue op as field `name` of the tables at t1 and t2 (t2 0: t1 only). */
static void set_op(lua_State *L, int t1, int t2, const char *name, lua_CFunction f, int op) {
  lua_pushinteger(L, op);
  lua_pushcclosure(L, f, 1);
  if (t2) {
    lua_pushvalue(L, -1);
    lua_setfield(L, t2, name);
  }
  lua_setfield(L, t1, name);
}

void lht_open_elementwise(lua_State *L) {
  int core = lua_gettop(L);
  lht_fuse_exempt(l_binary); /* they defer, fuse or settle themselves */
  lht_fuse_exempt(l_unary);
  lht_fuse_exempt(l_unm);
  lht_push_methods(L);
  int methods = lua_gettop(L);
  lht_push_metatable(L);
  int mt = lua_gettop(L);
  for (size_t i = 0; i < sizeof binary_names / sizeof binary_names[0]; i++)
    set_op(L, core, methods, binary_names[i].name, l_binary, binary_names[i].op);
  for (size_t i = 0; i < sizeof unary_names / sizeof unary_names[0]; i++)
    set_op(L, core, methods, unary_names[i].name, l_unary, unary_names[i].op);
  for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++)
    set_op(L, mt, 0, operators[i].event, l_binary, operators[i].op);
  set_op(L, mt, 0, "__unm", l_unm, HT_NEG);
  static const struct { const char *name; ht_binop op; } inplace[] = {
      {"add_", HT_ADD}, {"sub_", HT_SUB}, {"mul_", HT_MUL}, {"div_", HT_DIV}};
  for (size_t k = 0; k < sizeof inplace / sizeof inplace[0]; k++)
    set_op(L, methods, 0, inplace[k].name, l_binary_inplace, inplace[k].op);
  lua_pushcfunction(L, l_where);
  lua_setfield(L, core, "where");
  lua_pushcfunction(L, l_clip);
  lua_pushvalue(L, -1);
  lua_setfield(L, methods, "clip");
  lua_setfield(L, core, "clip");
  lua_settop(L, core);
}
