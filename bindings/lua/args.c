/* Argument checking at the Lua boundary: integers, axes, shapes, dtypes, options tables. */
#include <math.h>
#include <string.h>

#include "../../runtime/device.h"
#include "lht.h"


int lht_is_opts(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE || lht_toarray(L, idx)) return 0;
  /* an options table has string keys only; {} counts as options too */
  lua_pushnil(L);
  while (lua_next(L, idx < 0 ? idx - 1 : idx)) {
    int ok = lua_type(L, -2) == LUA_TSTRING;
    lua_pop(L, 1);
    if (!ok) {
      lua_pop(L, 1);
      return 0;
    }
  }
  return 1;
}

int lht_opts(lua_State *L, int idx) {
  if (idx < 0) idx = lua_gettop(L) + idx + 1;
  return idx >= 1 && idx <= lua_gettop(L) && lht_is_opts(L, idx) ? idx : 0;
}

ht_array *lht_arg_operand(lua_State *L, int idx, ht_dtype other, const char *fn) {
  int owned;
  ht_array *a = lht_operand(L, idx, other, fn, &owned);
  if (owned) { /* the converted array replaces its slot, so the GC owns it from now on */
    lht_pusharray(L, a);
    lua_replace(L, idx);
  }
  return a;
}

int64_t lht_to_int(lua_State *L, double v, const char *fn, const char *what) {
  if (!ht_is_exact_int(v))
    luaL_error(L, "ht.%s: %s must be an integer, got %f", fn, what, v);
  return (int64_t)v;
}

int64_t lht_check_int(lua_State *L, int idx, const char *fn, const char *what) {
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "ht.%s: %s must be an integer, got %s", fn, what, luaL_typename(L, idx));
  return lht_to_int(L, lua_tonumber(L, idx), fn, what);
}

int lht_norm_axis(lua_State *L, int64_t axis, const char *fn, int ndim) {
  if (axis < -ndim || axis >= ndim)
    luaL_error(L, "ht.%s: axis %d is out of bounds for array of dimension %d", fn, (int)axis, ndim);
  return (int)(axis < 0 ? axis + ndim : axis);
}

int lht_check_axis(lua_State *L, int idx, const char *fn, int ndim) {
  return lht_norm_axis(L, lht_check_int(L, idx, fn, "axis"), fn, ndim);
}

int lht_check_shape(lua_State *L, int idx, const char *fn, int64_t *shape) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    shape[0] = lht_check_int(L, idx, fn, "shape");
    if (shape[0] < 0) luaL_error(L, "ht.%s: negative dimensions are not allowed", fn);
    return 1;
  }
  if (lua_type(L, idx) != LUA_TTABLE)
    luaL_error(L, "ht.%s: shape must be a number or a table of numbers, got %s", fn,
               luaL_typename(L, idx));
  int n = (int)lua_objlen(L, idx);
  if (n > HT_MAXDIM) luaL_error(L, "ht.%s: %d dimensions, at most %d are supported", fn, n, HT_MAXDIM);
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, idx, i + 1);
    if (lua_type(L, -1) != LUA_TNUMBER)
      luaL_error(L, "ht.%s: shape entries must be integers, got %s", fn, luaL_typename(L, -1));
    shape[i] = lht_to_int(L, lua_tonumber(L, -1), fn, "shape entry");
    lua_pop(L, 1);
    if (shape[i] < 0) luaL_error(L, "ht.%s: negative dimensions are not allowed", fn);
  }
  /* the element count must fit (NumPy's message); the runtime checks it times itemsize */
  int64_t size = 1;
  for (int i = 0; i < n && size; i++) if (!shape[i]) size = 0;
  for (int i = 0; i < n && size; i++)
    if (__builtin_mul_overflow(size, shape[i], &size))
      luaL_error(L, "ht.%s: array is too big; `arr.size * arr.dtype.itemsize` is larger than "
                 "the maximum possible size", fn);
  return n;
}

ht_dtype lht_check_dtype(lua_State *L, int idx, const char *fn) {
  ht_dtype t;
  const char *name = lua_tostring(L, idx);
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_error(L, "ht.%s: dtype must be a string such as \"float32\", got %s", fn,
               luaL_typename(L, idx));
  if (ht_dtype_from_name(name, &t))
    luaL_error(L, "ht.%s: unknown dtype '%s' (bool, uint8, int8, int16, int32, int64, float32, "
               "float64)", fn, name);
  return t;
}

int lht_opt_field(lua_State *L, int opts, const char *field) {
  if (!opts) return 0;
  lua_getfield(L, opts, field);
  if (lua_isnil(L, -1)) return lua_pop(L, 1), 0;
  return 1;
}

ht_dtype lht_opt_dtype(lua_State *L, int opts, const char *fn, ht_dtype def) {
  if (!lht_opt_field(L, opts, "dtype")) return def;
  ht_dtype t = lht_check_dtype(L, -1, fn);
  lua_pop(L, 1);
  return t;
}

int lht_opt_split(lua_State *L, int opts, const char *fn, int ndim, int def) {
  if (!lht_opt_field(L, opts, "split")) return def;
  int64_t s = lht_check_int(L, -1, fn, "split");
  lua_pop(L, 1);
  if (s < -ndim || s >= ndim)
    luaL_error(L, "ht.%s: split %d is out of range for an array of %d dimensions", fn, (int)s, ndim);
  return (int)(s < 0 ? s + ndim : s);
}

ht_device lht_opt_device(lua_State *L, int opts, const char *fn) {
  if (!lht_opt_field(L, opts, "device")) return HT_CPU;
  const char *d = lua_tostring(L, -1);
  if (lua_type(L, -1) != LUA_TSTRING || (strcmp(d, "cpu") && strcmp(d, "gpu")))
    luaL_error(L, "ht.%s: device must be \"cpu\" or \"gpu\"", fn);
  lua_pop(L, 1);
  if (d[0] == 'c') return HT_CPU;
  if (ht_device_count() == 0)
    luaL_error(L, "ht.%s: device \"gpu\" requested but %s", fn,
#ifdef HT_HAVE_CUDA
               "no CUDA device is visible to this process"
#else
               "heatlua was built without CUDA"
#endif
    );
  /* which ops run there is the runtime's one decision (device.h) */
  return HT_GPU;
}

int lht_opt_bool(lua_State *L, int opts, const char *field, int def) {
  if (!lht_opt_field(L, opts, field)) return def;
  int b = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return b;
}

double lht_opt_number(lua_State *L, int opts, const char *field, double def) {
  if (!lht_opt_field(L, opts, field)) return def;
  if (lua_type(L, -1) != LUA_TNUMBER)
    luaL_error(L, "option '%s' must be a number, got %s", field, luaL_typename(L, -1));
  double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

int64_t lht_opt_int(lua_State *L, int opts, const char *field, const char *fn, int64_t def) {
  if (!lht_opt_field(L, opts, field)) return def;
  int64_t v = lht_check_int(L, -1, fn, field);
  lua_pop(L, 1);
  return v;
}

const char *lht_opt_string(lua_State *L, int opts, const char *field, const char *fn,
                           const char *def) {
  if (!lht_opt_field(L, opts, field)) return def;
  if (lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "ht.%s: option '%s' must be a string, got %s", fn, field, luaL_typename(L, -1));
  const char *s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s;
}

/* One message for every binding: unknown keys are named along with the valid ones. */
void lht_check_keys(lua_State *L, int opts, const char *fn, const char *const *known) {
  if (!opts) return;
  lua_pushnil(L);
  while (lua_next(L, opts)) {
    lua_pop(L, 1);
    const char *k = lua_tostring(L, -1);
    int ok = 0;
    for (const char *const *s = known; *s && !ok; s++) ok = !strcmp(k, *s);
    if (!ok) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (const char *const *s = known; *s; s++) {
        if (s != known) luaL_addstring(&b, ", ");
        luaL_addstring(&b, *s);
      }
      luaL_pushresult(&b);
      if (!*known) luaL_error(L, "ht.%s: unknown option '%s' (it takes no options)", fn, k);
      luaL_error(L, "ht.%s: unknown option '%s' (options: %s)", fn, k, lua_tostring(L, -1));
    }
  }
}

int lht_check_opts(lua_State *L, int idx, const char *fn, const char *const *known) {
  int top = lua_gettop(L), has_dtype = 0;
  if (idx > top) return 0;
  if (top > idx)
    luaL_error(L, "ht.%s: too many arguments (%d); options go in one trailing table", fn, top);
  if (lua_isnil(L, idx)) return 0;
  for (const char *const *k = known; *k; k++) has_dtype |= !strcmp(*k, "dtype");
  if (has_dtype && lua_type(L, idx) == LUA_TSTRING) { /* NumPy's positional dtype */
    lht_check_dtype(L, idx, fn);
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "dtype");
    lua_replace(L, idx);
    return idx;
  }
  if (!lht_is_opts(L, idx))
    luaL_error(L, "ht.%s: argument #%d must be the options table%s, got %s%s", fn, idx,
               has_dtype ? " or a dtype" : "", luaL_typename(L, idx),
               lua_type(L, idx) == LUA_TNUMBER ? " (a shape of several dimensions is one "
                                                 "table, e.g. {3, 4})" : "");
  lht_check_keys(L, idx, fn, known);
  return idx;
}

int lht_opt_out(lua_State *L, int opts, const char *fn) {
  if (!lht_opt_field(L, opts, "out")) return 0;
  if (!lht_toarray(L, -1))
    luaL_error(L, "ht.%s: out must be an array, got %s", fn, luaL_typename(L, -1));
  return lua_gettop(L);
}
