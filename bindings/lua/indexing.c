/* x[key] and x[key] = value: Lua keys read into index expressions (runtime/indexing.h).
 * A number selects, a table {start, stop, step} inside a key is a slice, a key table is a
 * tuple of items, ht.all is `:`, ht.newaxis inserts an axis, arrays are masks or fancy
 * indices, and strings are NumPy's syntax ("2:5, ::2", "..., 0"). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../runtime/indexing.h"
#include "lht.h"

/* Where a non-integral number sits, to name its axis once the index is complete. */
typedef struct {
  int item;
  double value;
} bad_number;

/* The sentinels are heat.core's own tables, kept in the registry under these keys. */
static char all_key, newaxis_key;

static bool is_sentinel(lua_State *L, int idx, char *key) {
  if (!lua_getmetatable(L, idx)) return false; /* slice tables have none: the common case */
  lua_pop(L, 1);
  lua_pushlightuserdata(L, key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  bool yes = lua_rawequal(L, -1, idx);
  lua_pop(L, 1);
  return yes;
}

static bool is_identifier(const char *s) {
  if (!isalpha((unsigned char)*s) && *s != '_') return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return false;
  return true;
}

static void check(lua_State *L, int rc) {
  if (rc) lht_raise(L);
}

/* Index tables are sequences: a field such as {start = 1} would otherwise be ignored.
 * Returns the largest positive integer key, which sees past holes where # may not. */
static int check_sequence(lua_State *L, int t, const char *fn, const char *what) {
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1);
      luaL_error(L, "ht.%s: %s has a field '%s'; it takes positional entries only", fn, what, k);
    }
    double k = lua_tonumber(L, -1);
    if (k >= 1 && k <= 1e6 && k == floor(k) && k > n) n = (int)k; /* more fails later */
  }
  return n;
}

/* A slice table {start, stop, step}: entries read one by one, since {nil, 3} has no
 * reliable length. */
static void add_slice(lua_State *L, int t, ht_index *ix, const char *fn) {
  int64_t v[3] = {0, 0, 1};
  bool has[3] = {false, false, false};
  check_sequence(L, t, fn, "a slice table {start, stop, step}");
  for (int i = 0; i < 3; i++) {
    lua_rawgeti(L, t, i + 1);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      double d = lua_tonumber(L, -1);
      if (!ht_is_exact_int(d))
        luaL_error(L, "ht.%s: slice indices must be integers or nil, got %s", fn,
                   lua_tostring(L, -1));
      v[i] = (int64_t)d, has[i] = true;
    } else if (!lua_isnil(L, -1)) {
      luaL_error(L, "ht.%s: slice entries must be numbers or nil, got %s", fn,
                 luaL_typename(L, -1));
    }
    lua_pop(L, 1);
  }
  lua_rawgeti(L, t, 4);
  if (!lua_isnil(L, -1))
    luaL_error(L, "ht.%s: a slice table has at most 3 entries {start, stop, step}", fn);
  lua_pop(L, 1);
  if (has[2] && v[2] == 0) luaL_error(L, "ht.%s: slice step cannot be zero", fn);
  check(L, ht_index_slice(ix, has[0], v[0], has[1], v[1], has[2] ? v[2] : 1, fn));
}

/* One item of an index at stack position i; nested: inside a key table (tables are then
 * slices, not tuples). */
static void add_item(lua_State *L, int i, ht_index *ix, const char *fn, bool nested,
                     bad_number *bad) {
  ht_array *arr;
  switch (lua_type(L, i)) {
    case LUA_TNUMBER: {
      double d = lua_tonumber(L, i);
      if (!ht_is_exact_int(d) && bad->item < 0) bad->item = ix->n, bad->value = d;
      check(L, ht_index_int(ix, ht_is_exact_int(d) ? (int64_t)d : 0, fn));
      return;
    }
    case LUA_TSTRING: {
      size_t len;
      const char *str = lua_tolstring(L, i, &len);
      if (strlen(str) != len) /* "1\0zzz" must not read as "1" */
        luaL_error(L, "ht.%s: an index string must not contain a NUL byte", fn);
      if (ht_index_parse(ix, str, fn)) {
        /* x.name that is neither a method nor a property arrives here too */
        if (!nested && is_identifier(lua_tostring(L, i)))
          luaL_error(L, "ht.Array has no field or method '%s'", lua_tostring(L, i));
        lht_raise(L);
      }
      return;
    }
    case LUA_TTABLE:
      if (is_sentinel(L, i, &all_key)) {
        check(L, ht_index_all(ix, fn));
      } else if (is_sentinel(L, i, &newaxis_key)) {
        check(L, ht_index_newaxis(ix, fn));
      } else if (nested) {
        add_slice(L, i, ix, fn);
      } else { /* the key itself: a tuple of items */
        int n = check_sequence(L, i, fn, "an index table");
        for (int k = 1; k <= n; k++) {
          lua_rawgeti(L, i, k);
          if (lua_isnil(L, -1))
            luaL_error(L,
                       "ht.%s: item %d of the index is nil (use ht.all for ':' or a slice "
                       "table {start, stop})",
                       fn, k);
          add_item(L, lua_gettop(L), ix, fn, true, bad);
          lua_pop(L, 1);
        }
      }
      return;
    case LUA_TUSERDATA:
      if ((arr = lht_toarray(L, i))) {
        check(L, ht_index_array(ix, arr, fn));
        return;
      }
      break;
    case LUA_TBOOLEAN:
      luaL_error(L, "ht.%s: a boolean is not an index (a mask is a bool array)", fn);
      return;
    default: break;
  }
  luaL_error(L,
             "ht.%s: only integers, slices {start, stop, step}, ht.all, ht.newaxis, "
             "'...' and integer or boolean arrays are valid indices, got %s",
             fn, luaL_typename(L, i));
}

/* The index expression of the key at stack position k, for array a. */
static void read_index(lua_State *L, int k, const ht_array *a, ht_index *ix, const char *fn) {
  bad_number bad = {-1, 0};
  ix->n = 0;
  add_item(L, k, ix, fn, false, &bad);
  if (bad.item < 0) return;
  int axis = ht_index_axis_of(ix, bad.item, a->ndim);
  char num[64];
  snprintf(num, sizeof num, "%.17g", bad.value);
  if (isnan(bad.value)) snprintf(num, sizeof num, "nan"); /* glibc prints "-nan" for some */
  if (axis >= 0)
    luaL_error(L, "ht.%s: index %s for axis %d with size %d is not an integer", fn, num, axis,
               (int)a->gshape[axis]);
  luaL_error(L, "ht.%s: index %s is not an integer", fn, num);
}

/* x[key] (the metatable's __index sends every key that is not a method or property). */
static int l_getitem(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  ht_index ix;
  luaL_checkany(L, 2);
  read_index(L, 2, a, &ix, "getitem");
  lht_pusharray(L, ht_getitem(a, &ix));
  return 1;
}

/* x[key] = value: value a number, a boolean, an array of any split, or nested tables. */
static int l_setitem(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1);
  ht_index ix;
  int owned;
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  read_index(L, 2, a, &ix, "setitem");
  ht_array *v;
  if (lua_type(L, 3) == LUA_TTABLE) { /* nested tables convert straight to x's dtype */
    if (!(v = lht_from_table(L, 3, a->dtype, -1, HT_CPU, "setitem"))) lht_raise(L);
    owned = 1;
  } else {
    v = lht_operand(L, 3, a->dtype, "setitem", &owned);
  }
  int rc = ht_setitem(a, &ix, v);
  if (owned) ht_array_free(v);
  if (rc) lht_raise(L);
  lua_settop(L, 1);
  return 1;
}

static int sentinel_tostring(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  return 1;
}

/* ht.all(x, ...) is also the reduction np.all: the call drops the sentinel itself. */
static int all_call(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_replace(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* A new sentinel table named `name` as core[field], also registered under key. */
static void new_sentinel(lua_State *L, const char *field, const char *name, char *key,
                         lua_CFunction call) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushstring(L, name);
  lua_pushcclosure(L, sentinel_tostring, 1);
  lua_setfield(L, -2, "__tostring");
  if (call) {
    lua_getfield(L, -3, "all"); /* the reduction, registered before indexing */
    lua_pushcclosure(L, call, 1);
    lua_setfield(L, -2, "__call");
  }
  lua_setmetatable(L, -2);
  lua_pushlightuserdata(L, key);
  lua_pushvalue(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
  lua_setfield(L, -2, field);
}

static const luaL_Reg methods[] = {
    {"__getitem", l_getitem}, {"__setitem", l_setitem}, {NULL, NULL}};

void lht_open_indexing(lua_State *L) {
  lht_register_methods(L, methods);
  lua_pushcfunction(L, l_getitem);
  lua_setfield(L, -2, "getitem");
  lua_pushcfunction(L, l_setitem);
  lua_setfield(L, -2, "setitem");
  /* ht.newaxis: NumPy's None, which a Lua table cannot hold; ht.all: NumPy's `:` */
  new_sentinel(L, "newaxis", "ht.newaxis", &newaxis_key, NULL);
  new_sentinel(L, "_all", "ht.all", &all_key, all_call);
}
