/* ht.array and the array factories (zeros, ones, empty, full, *_like, arange, linspace,
 * logspace, eye), and the ht.random subtable. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <math.h>
#include <time.h>

#include "../../runtime/comm.h"
#include "lht.h"


/* ---- ht.array / ht.asarray ---- */

/* Nesting depth of a Lua table literal: the ndim lht_from_table will find. */
static int table_depth(lua_State *L, int idx) {
  int depth = 0;
  lua_pushvalue(L, idx);
  while (depth <= HT_MAXDIM && lua_type(L, -1) == LUA_TTABLE && !lht_toarray(L, -1)) {
    depth++;
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
  return depth;
}

static const char *const creation_keys[] = {"dtype", "split", "device", NULL};

static int array_impl(lua_State *L, const char *fn, int copy_default) {
  static const char *const keys[] = {"dtype", "split", "device", "copy", NULL};
  int opts = lht_check_opts(L, 2, fn, keys);
  ht_device dev = lht_opt_device(L, opts, fn);
  ht_array *a = lht_toarray(L, 1);
  if (!a) {
    ht_dtype t = lht_opt_dtype(L, opts, fn, HT_NDTYPES);
    int split = lht_opt_split(L, opts, fn, table_depth(L, 1), -1);
    lht_pusharray(L, lht_from_table(L, 1, t, split, dev, fn));
    return 1;
  }
  ht_dtype t = lht_opt_dtype(L, opts, fn, a->dtype);
  int split = lht_opt_split(L, opts, fn, a->ndim, a->split);
  if (t == a->dtype && split == a->split && !lht_opt_bool(L, opts, "copy", copy_default)) {
    lua_pushvalue(L, 1);
    return 1;
  }
  if (split == a->split) {
    lht_pusharray(L, t == a->dtype ? ht_copy(a) : ht_astype(a, t));
    return 1;
  }
  ht_array *r = ht_resplit(a, split);
  if (r && t != r->dtype) {
    ht_array *c = ht_astype(r, t);
    ht_array_free(r);
    r = c;
  }
  lht_pusharray(L, r);
  return 1;
}

static int l_array(lua_State *L) { return array_impl(L, "array", 1); }
static int l_asarray(lua_State *L) { return array_impl(L, "asarray", 0); }

/* ---- zeros, ones, empty, full and their *_like twins ---- */

static double check_fill(lua_State *L, int idx, const char *fn) {
  if (lua_type(L, idx) == LUA_TBOOLEAN) return lua_toboolean(L, idx);
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "ht.%s: fill_value must be a number or a boolean, got %s", fn,
               luaL_typename(L, idx));
  return lua_tonumber(L, idx);
}

/* shape at 1, the fill value at 2 when has_value, then options. Default dtype float32
 * (Heat), also for full with an integer value. */
static int shaped(lua_State *L, const char *fn, int has_value, double value, int fill) {
  int64_t shape[HT_MAXDIM];
  int ndim = lht_check_shape(L, 1, fn, shape);
  if (has_value) value = check_fill(L, 2, fn);
  int opts = lht_check_opts(L, has_value ? 3 : 2, fn, creation_keys);
  ht_dtype t = lht_opt_dtype(L, opts, fn, HT_FLOAT32);
  int split = lht_opt_split(L, opts, fn, ndim, -1);
  ht_device dev = lht_opt_device(L, opts, fn);
  lht_pusharray(L, fill ? ht_full_named(fn, t, ndim, shape, split, dev, value)
                        : ht_empty_named(fn, t, ndim, shape, split, dev));
  return 1;
}

static int l_zeros(lua_State *L) { return shaped(L, "zeros", 0, 0.0, 1); }
static int l_ones(lua_State *L) { return shaped(L, "ones", 0, 1.0, 1); }
static int l_empty(lua_State *L) { return shaped(L, "empty", 0, 0.0, 0); }
static int l_full(lua_State *L) { return shaped(L, "full", 1, 0.0, 1); }

/* x at 1, the fill value at 2 when has_value, then options; x's dtype, split and device
 * unless the options say otherwise. */
static int shaped_like(lua_State *L, const char *fn, int has_value, double value, int fill) {
  ht_array *x = lht_checkarray(L, 1);
  if (has_value) value = check_fill(L, 2, fn);
  int opts = lht_check_opts(L, has_value ? 3 : 2, fn, creation_keys);
  ht_dtype t = lht_opt_dtype(L, opts, fn, x->dtype);
  int split = lht_opt_split(L, opts, fn, x->ndim, x->split);
  ht_device dev = opts ? lht_opt_device(L, opts, fn) : x->device;
  lht_pusharray(L, ht_full_like(fn, x, t, split, dev, fill, value));
  return 1;
}

static int l_zeros_like(lua_State *L) { return shaped_like(L, "zeros_like", 0, 0.0, 1); }
static int l_ones_like(lua_State *L) { return shaped_like(L, "ones_like", 0, 1.0, 1); }
static int l_empty_like(lua_State *L) { return shaped_like(L, "empty_like", 0, 0.0, 0); }
static int l_full_like(lua_State *L) { return shaped_like(L, "full_like", 1, 0.0, 1); }

/* ---- sequences ---- */

/* arange(stop) | (start, stop) | (start, stop, step), then options; the dtype rule and
 * the length are the runtime's (ht_arange). */
static int l_arange(lua_State *L) {
  double v[3];
  int n = 0;
  while (n < 3 && lua_type(L, n + 1) == LUA_TNUMBER) v[n] = lua_tonumber(L, n + 1), n++;
  if (n == 0)
    luaL_error(L, "ht.arange: expected arange(stop), arange(start, stop) or "
               "arange(start, stop, step), got %s", luaL_typename(L, 1));
  if (lua_gettop(L) > n && !lua_isnil(L, n + 1) && lua_type(L, n + 1) != LUA_TTABLE &&
      lua_type(L, n + 1) != LUA_TSTRING)
    luaL_error(L, "ht.arange: argument %d must be a number or the options table", n + 1);
  int opts = lht_check_opts(L, n + 1, "arange", creation_keys);
  double start = n > 1 ? v[0] : 0, stop = n > 1 ? v[1] : v[0], step = n > 2 ? v[2] : 1;
  ht_dtype t = lht_opt_dtype(L, opts, "arange", HT_NDTYPES);
  int split = lht_opt_split(L, opts, "arange", 1, -1);
  ht_device dev = lht_opt_device(L, opts, "arange");
  lht_pusharray(L, ht_arange(t, start, stop, step, split, dev));
  return 1;
}

/* linspace/logspace(start, stop, num = 50, {endpoint, base, retstep, dtype, split}) */
static int spaced(lua_State *L, const char *fn, int log) {
  double start = luaL_checknumber(L, 1), stop = luaL_checknumber(L, 2);
  static const char *const keys[] = {"num", "endpoint", "base", "retstep", "dtype", "split",
                                     "device", NULL};
  int has_num = lua_type(L, 3) == LUA_TNUMBER;
  int opts = lht_check_opts(L, has_num ? 4 : 3, fn, keys);
  int64_t num = has_num ? lht_check_int(L, 3, fn, "num")
                        : lht_to_int(L, lht_opt_number(L, opts, "num", 50), fn, "num");
  int endpoint = lht_opt_bool(L, opts, "endpoint", 1);
  ht_dtype t = lht_opt_dtype(L, opts, fn, HT_FLOAT32);
  int split = lht_opt_split(L, opts, fn, 1, -1);
  ht_device dev = lht_opt_device(L, opts, fn);
  if (log) {
    double base = lht_opt_number(L, opts, "base", 10.0);
    lht_pusharray(L, ht_logspace(t, start, stop, num, endpoint, base, split, dev));
    return 1;
  }
  lht_pusharray(L, ht_linspace(t, start, stop, num, endpoint, split, dev));
  if (!lht_opt_bool(L, opts, "retstep", 0)) return 1;
  double div = endpoint ? (double)(num - 1) : (double)num;
  lua_pushnumber(L, div > 0 ? (stop - start) / div : NAN); /* NumPy's step */
  return 2;
}

static int l_linspace(lua_State *L) { return spaced(L, "linspace", 0); }
static int l_logspace(lua_State *L) { return spaced(L, "logspace", 1); }

/* eye(n | {n, m}, [M], [k], {M=, k=, dtype, split}) */
static int l_eye(lua_State *L) {
  int64_t shape[HT_MAXDIM];
  int ndim = lht_check_shape(L, 1, "eye", shape);
  if (ndim < 1 || ndim > 2) luaL_error(L, "ht.eye: shape must be n or {n, m}, got %d entries", ndim);
  int64_t n = shape[0], m = ndim == 2 ? shape[1] : n, k = 0;
  int pos = 2;
  if (lua_type(L, pos) == LUA_TNUMBER) m = lht_check_int(L, pos++, "eye", "M");
  if (lua_type(L, pos) == LUA_TNUMBER) k = lht_check_int(L, pos++, "eye", "k");
  static const char *const keys[] = {"M", "k", "dtype", "split", "device", NULL};
  int opts = lht_check_opts(L, pos, "eye", keys);
  m = lht_to_int(L, lht_opt_number(L, opts, "M", (double)m), "eye", "M");
  k = lht_to_int(L, lht_opt_number(L, opts, "k", (double)k), "eye", "k");
  if (m < 0) luaL_error(L, "ht.eye: negative dimensions are not allowed");
  ht_dtype t = lht_opt_dtype(L, opts, "eye", HT_FLOAT32);
  int split = lht_opt_split(L, opts, "eye", 2, -1);
  ht_device dev = lht_opt_device(L, opts, "eye");
  lht_pusharray(L, ht_eye(t, n, m, k, split, dev));
  return 1;
}

/* ---- ht.random ---- */

/* Until ht.random.seed is called, the first random call seeds from rank 0's clock,
 * broadcast so that every rank agrees (NumPy and Heat start unpredictable too). */
static int seeded;

static void seed_from_clock(lua_State *L) {
  struct timespec ts;
  uint64_t s = 0;
  if (ht_comm_rank() == 0 && clock_gettime(CLOCK_REALTIME, &ts) == 0)
    s = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  if (ht_comm_bcast(&s, sizeof s, 0)) lht_raise(L);
  ht_random_seed(s);
  seeded = 1;
}

static void ensure_seeded(lua_State *L) {
  if (!seeded) seed_from_clock(L);
}

static int l_seed(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    seed_from_clock(L);
    return 0;
  }
  ht_random_seed((uint64_t)lht_check_int(L, 1, "random.seed", "seed"));
  seeded = 1;
  return 0;
}

/* The trailing options table, if the last argument is one (its keys checked against
 * `known`); *npos = the arguments before. */
static int trailing_opts(lua_State *L, int *npos, const char *fn, const char *const *known) {
  int top = lua_gettop(L), opts = top > 0 ? lht_opts(L, top) : 0;
  *npos = opts ? top - 1 : top;
  lht_check_keys(L, opts, fn, known);
  return opts;
}

/* rand/randn(d0, d1, ...): dimensions as separate numbers (or one shape table). */
static int dims_args(lua_State *L, const char *fn, int64_t *shape, int *opts) {
  int npos;
  *opts = trailing_opts(L, &npos, fn, creation_keys);
  if (npos == 1 && lua_type(L, 1) == LUA_TTABLE) return lht_check_shape(L, 1, fn, shape);
  if (npos > HT_MAXDIM) luaL_error(L, "ht.%s: %d dimensions, at most %d are supported", fn, npos, HT_MAXDIM);
  for (int i = 0; i < npos; i++) {
    shape[i] = lht_check_int(L, i + 1, fn, "dimension");
    if (shape[i] < 0) luaL_error(L, "ht.%s: negative dimensions are not allowed", fn);
  }
  return npos;
}

/* size: positional at idx, else the options' `size`; nil gives a 0-d array. */
static int size_arg(lua_State *L, int idx, int npos, int opts, const char *fn, int64_t *shape) {
  if (idx <= npos && !lua_isnil(L, idx)) return lht_check_shape(L, idx, fn, shape);
  if (!opts) return 0;
  lua_getfield(L, opts, "size");
  int ndim = lua_isnil(L, -1) ? 0 : lht_check_shape(L, lua_gettop(L), fn, shape);
  lua_pop(L, 1);
  return ndim;
}

/* A number at positional idx, else the options' field, else def. */
static double num_arg(lua_State *L, int idx, int npos, int opts, const char *field,
                      const char *fn, double def) {
  if (idx <= npos && !lua_isnil(L, idx)) {
    if (lua_type(L, idx) != LUA_TNUMBER)
      luaL_error(L, "ht.%s: %s must be a number, got %s", fn, field, luaL_typename(L, idx));
    return lua_tonumber(L, idx);
  }
  return lht_opt_number(L, opts, field, def);
}

static ht_dtype float_dtype(lua_State *L, int opts, const char *fn) {
  ht_dtype t = lht_opt_dtype(L, opts, fn, HT_FLOAT32);
  if (!ht_dtype_is_float(t))
    luaL_error(L, "ht.%s: dtype must be float32 or float64, got %s", fn, ht_dtype_name(t));
  return t;
}

static int push_uniform(lua_State *L, const char *fn, int ndim, const int64_t *shape,
                        int opts, double low, double high) {
  ht_dtype t = float_dtype(L, opts, fn);
  int split = lht_opt_split(L, opts, fn, ndim, -1);
  ht_device dev = lht_opt_device(L, opts, fn);
  ensure_seeded(L);
  lht_pusharray(L, ht_random_uniform(t, ndim, shape, split, dev, low, high));
  return 1;
}

static int push_normal(lua_State *L, const char *fn, int ndim, const int64_t *shape, int opts,
                       double mean, double std) {
  ht_dtype t = float_dtype(L, opts, fn);
  int split = lht_opt_split(L, opts, fn, ndim, -1);
  ht_device dev = lht_opt_device(L, opts, fn);
  if (!(std >= 0)) luaL_error(L, "ht.%s: std must be non-negative, got %f", fn, std);
  ensure_seeded(L);
  lht_pusharray(L, ht_random_normal(t, ndim, shape, split, dev, mean, std));
  return 1;
}

static int l_rand(lua_State *L) {
  int64_t shape[HT_MAXDIM];
  int opts, ndim = dims_args(L, "random.rand", shape, &opts);
  return push_uniform(L, "random.rand", ndim, shape, opts, 0.0, 1.0);
}

static int l_randn(lua_State *L) {
  int64_t shape[HT_MAXDIM];
  int opts, ndim = dims_args(L, "random.randn", shape, &opts);
  return push_normal(L, "random.randn", ndim, shape, opts, 0.0, 1.0);
}

/* random(size), random_sample(size): uniform in [0, 1) */
static int l_random(lua_State *L) {
  int64_t shape[HT_MAXDIM];
  static const char *const keys[] = {"size", "dtype", "split", "device", NULL};
  int npos, opts = trailing_opts(L, &npos, "random.random", keys);
  if (npos > 1) luaL_error(L, "ht.random.random: takes size and options, got %d arguments", npos);
  int ndim = size_arg(L, 1, npos, opts, "random.random", shape);
  return push_uniform(L, "random.random", ndim, shape, opts, 0.0, 1.0);
}

/* uniform(low = 0, high = 1, size) */
static int l_uniform(lua_State *L) {
  int64_t shape[HT_MAXDIM];
  const char *fn = "random.uniform";
  static const char *const keys[] = {"low", "high", "size", "dtype", "split", "device", NULL};
  int npos, opts = trailing_opts(L, &npos, fn, keys);
  if (npos > 3) luaL_error(L, "ht.%s: takes low, high, size and options, got %d arguments", fn, npos);
  double low = num_arg(L, 1, npos, opts, "low", fn, 0.0);
  double high = num_arg(L, 2, npos, opts, "high", fn, 1.0);
  int ndim = size_arg(L, 3, npos, opts, fn, shape);
  return push_uniform(L, fn, ndim, shape, opts, low, high);
}

/* normal(mean = 0, std = 1, size); NumPy's loc/scale names work as options too */
static int l_normal(lua_State *L) {
  int64_t shape[HT_MAXDIM];
  const char *fn = "random.normal";
  static const char *const keys[] = {"mean", "std", "loc", "scale", "size", "dtype", "split",
                                     "device", NULL};
  int npos, opts = trailing_opts(L, &npos, fn, keys);
  if (npos > 3) luaL_error(L, "ht.%s: takes mean, std, size and options, got %d arguments", fn, npos);
  double mean = num_arg(L, 1, npos, opts, "mean", fn, lht_opt_number(L, opts, "loc", 0.0));
  double std = num_arg(L, 2, npos, opts, "std", fn, lht_opt_number(L, opts, "scale", 1.0));
  int ndim = size_arg(L, 3, npos, opts, fn, shape);
  return push_normal(L, fn, ndim, shape, opts, mean, std);
}

/* randint(low, high = nil, size, {dtype = "int32"}): integers in [low, high), or
 * [0, low) without high. */
static int l_randint(lua_State *L) {
  int64_t shape[HT_MAXDIM];
  const char *fn = "random.randint";
  static const char *const keys[] = {"low", "high", "size", "dtype", "split", "device", NULL};
  int npos, opts = trailing_opts(L, &npos, fn, keys);
  if (npos > 3) luaL_error(L, "ht.%s: takes low, high, size and options, got %d arguments", fn, npos);
  double lo = num_arg(L, 1, npos, opts, "low", fn, NAN);
  double hi = num_arg(L, 2, npos, opts, "high", fn, NAN);
  if (isnan(lo)) luaL_error(L, "ht.%s: low is required", fn);
  int64_t low = lht_to_int(L, lo, fn, "low"), high = 0;
  if (isnan(hi)) high = low, low = 0;
  else high = lht_to_int(L, hi, fn, "high");
  int ndim = size_arg(L, 3, npos, opts, fn, shape);
  ht_dtype t = lht_opt_dtype(L, opts, fn, HT_INT32);
  int split = lht_opt_split(L, opts, fn, ndim, -1);
  ht_device dev = lht_opt_device(L, opts, fn);
  ensure_seeded(L);
  lht_pusharray(L, ht_random_randint(t, ndim, shape, split, dev, low, high));
  return 1;
}

void lht_open_factories(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"array", l_array},           {"asarray", l_asarray},       {"zeros", l_zeros},
      {"ones", l_ones},             {"empty", l_empty},           {"full", l_full},
      {"zeros_like", l_zeros_like}, {"ones_like", l_ones_like},   {"empty_like", l_empty_like},
      {"full_like", l_full_like},   {"arange", l_arange},         {"linspace", l_linspace},
      {"logspace", l_logspace},     {"eye", l_eye},               {NULL, NULL}};
  static const luaL_Reg random[] = {
      {"seed", l_seed},           {"rand", l_rand},       {"randn", l_randn},
      {"random", l_random},       {"random_sample", l_random},
      {"ranf", l_random},         {"sample", l_random},   {"uniform", l_uniform},
      {"normal", l_normal},       {"randint", l_randint}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
  /* another part may have made the subtable already */
  lua_getfield(L, -1, "random");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "random");
  }
  luaL_setfuncs(L, random, 0);
  lua_pop(L, 1);
}
