/* The manipulation part of heat.core: reshape and friends, joining and splitting,
 * reordering, scans, sorting and set operations (runtime/manipulation.h). Arguments
 * follow NumPy/Heat positionally; keywords go in a trailing options table. */
#include <string.h>

#include "../../runtime/manipulation.h"
#include "lht.h"

/* ---- argument helpers ---- */

/* Scratch memory the GC frees, so a Lua error in between leaks nothing. */
static void *scratch(lua_State *L, size_t n) { return lua_newuserdata(L, n ? n : 1); }

/* An integer or a table of integers at idx (nil: 0 of them); returns their number. With
 * max > 0 more than max is an error; otherwise *out is allocated as scratch (pushed). */
static int int_list(lua_State *L, int idx, const char *fn, const char *what, int64_t *fixed,
                    int max, int64_t **out) {
  *out = fixed;
  if (lua_isnoneornil(L, idx)) return 0;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    if (!fixed) *out = scratch(L, sizeof(int64_t));
    (*out)[0] = lht_check_int(L, idx, fn, what);
    return 1;
  }
  if (lua_type(L, idx) != LUA_TTABLE || lht_toarray(L, idx))
    luaL_error(L, "ht.%s: %s must be an integer or a table of integers, got %s", fn, what,
               luaL_typename(L, idx));
  int n = (int)lua_objlen(L, idx);
  if (max > 0 && n > max) luaL_error(L, "ht.%s: at most %d entries in %s", fn, max, what);
  if (!fixed) *out = scratch(L, sizeof(int64_t) * (size_t)n);
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, idx, i + 1);
    (*out)[i] = lht_check_int(L, -1, fn, what);
    lua_pop(L, 1);
  }
  return n;
}

/* Axes (a number or a table), not normalised: the runtime checks them. */
static int axes_arg(lua_State *L, int idx, const char *fn, int *axes) {
  int64_t v[HT_MAXDIM], *p;
  int n = int_list(L, idx, fn, "axis", v, HT_MAXDIM, &p);
  for (int i = 0; i < n; i++) axes[i] = (int)(v[i] < -HT_MAXDIM - 1 ? -HT_MAXDIM - 1 : v[i] > HT_MAXDIM ? HT_MAXDIM : v[i]);
  return n;
}

/* The options table after the first argument, if the last argument is one. */
static int trailing_opts(lua_State *L) {
  int top = lua_gettop(L);
  return top >= 2 ? lht_opts(L, top) : 0;
}

/* Options are checked against the names fn knows, and positional arguments past maxpos
 * are errors: a typo or a stray argument must not be ignored. Returns opts. */
static int checked_opts(lua_State *L, int opts, const char *fn, int maxpos,
                        const char *const *keys) {
  int top = lua_gettop(L), npos = opts ? opts - 1 : top;
  if (opts && opts != top) luaL_error(L, "ht.%s: the options table must be the last argument", fn);
  if (npos > maxpos)
    luaL_error(L, "ht.%s: takes at most %d positional arguments, got %d", fn, maxpos, npos);
  lht_check_keys(L, opts, fn, keys);
  return opts;
}

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* An argument that may be given positionally (at idx) or as a field of opts. */
static int opt_arg(lua_State *L, int idx, int opts, const char *field) {
  if (!lua_isnoneornil(L, idx) && idx != opts) {
    lua_pushvalue(L, idx);
    return 1;
  }
  if (opts) {
    lua_getfield(L, opts, field);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
  }
  return 0;
}

/* An integer given at idx or as opts.field, else def. */
static int64_t int_arg(lua_State *L, int idx, int opts, const char *field, const char *fn,
                       int64_t def) {
  if (!opt_arg(L, idx, opts, field)) return def;
  int64_t v = lht_check_int(L, -1, fn, field);
  lua_pop(L, 1);
  return v;
}

static int bool_arg(lua_State *L, int idx, int opts, const char *field, int def) {
  if (!opt_arg(L, idx, opts, field)) return def;
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* The arrays of the Lua sequence at idx (converted ones are anchored in a table pushed
 * on the stack). */
static const ht_array *const *array_list(lua_State *L, int idx, const char *fn, int *n) {
  if (lua_type(L, idx) != LUA_TTABLE || lht_toarray(L, idx))
    luaL_error(L, "ht.%s: expected a table of arrays, got %s", fn, luaL_typename(L, idx));
  *n = (int)lua_objlen(L, idx);
  const ht_array **list = scratch(L, sizeof(ht_array *) * (size_t)*n);
  lua_newtable(L);
  int anchor = lua_gettop(L);
  for (int i = 0; i < *n; i++) {
    lua_rawgeti(L, idx, i + 1);
    int owned;
    ht_array *a = lht_operand(L, lua_gettop(L), HT_NDTYPES, fn, &owned);
    lua_pop(L, 1);
    if (owned) {
      lht_pusharray(L, a);
      lua_rawseti(L, anchor, i + 1);
    }
    list[i] = a;
  }
  return list;
}

/* ---- shapes ---- */

/* reshape(x, shape) or reshape(x, d0, d1, ...), options {new_split = axis} */
static int l_reshape(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "reshape");
  int top = lua_gettop(L), opts = top >= 3 ? lht_opts(L, top) : 0;
  int64_t shape[HT_MAXDIM];
  int ndim = 0;
  if (lua_type(L, 2) == LUA_TTABLE && !lht_is_opts(L, 2)) {
    ndim = (int)lua_objlen(L, 2);
    if (ndim > HT_MAXDIM) return luaL_error(L, "ht.reshape: at most %d dimensions", HT_MAXDIM);
    for (int d = 0; d < ndim; d++) {
      lua_rawgeti(L, 2, d + 1);
      shape[d] = lht_check_int(L, -1, "reshape", "shape entry");
      lua_pop(L, 1);
    }
  } else {
    if (lht_is_opts(L, 2)) opts = 2;
    for (int i = 2; i <= top && i != opts; i++) {
      if (ndim == HT_MAXDIM) return luaL_error(L, "ht.reshape: at most %d dimensions", HT_MAXDIM);
      shape[ndim++] = lht_check_int(L, i, "reshape", "shape entry");
    }
  }
  checked_opts(L, opts, "reshape", 1 + HT_MAXDIM, KEYS("new_split"));
  int split = HT_SPLIT_DEFAULT;
  if (opts) {
    lua_getfield(L, opts, "new_split");
    if (!lua_isnil(L, -1)) split = lht_norm_axis(L, lht_check_int(L, -1, "reshape", "new_split"), "reshape", ndim);
    lua_pop(L, 1);
  }
  lht_pusharray(L, ht_reshape(a, ndim, shape, split));
  return 1;
}

static int l_flatten(lua_State *L) {
  lht_pusharray(L, ht_flatten(lht_arg_operand(L, 1, HT_NDTYPES, "flatten")));
  return 1;
}

/* ravel: like flatten, but a view where the data need not move (NumPy) */
static int l_ravel(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "ravel");
  int64_t n = ht_array_gsize(a);
  lht_pusharray(L, ht_reshape(a, 1, &n, a->split >= 0 ? 0 : -1));
  return 1;
}

/* transpose(x), transpose(x, {1, 0}) or transpose(x, 1, 0) */
static int l_transpose(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "transpose");
  int axes[HT_MAXDIM], n = 0, top = lua_gettop(L);
  if (top >= 2 && lua_type(L, 2) == LUA_TTABLE) n = axes_arg(L, 2, "transpose", axes);
  else
    for (int i = 2; i <= top && n < HT_MAXDIM; i++)
      axes[n++] = (int)lht_check_int(L, i, "transpose", "axis");
  if (n > 0 && n != a->ndim) return luaL_error(L, "ht.transpose: axes don't match array");
  lht_pusharray(L, ht_transpose(a, n ? axes : NULL));
  return 1;
}

static int l_swapaxes(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "swapaxes");
  int i = (int)lht_check_int(L, 2, "swapaxes", "axis1"), j = (int)lht_check_int(L, 3, "swapaxes", "axis2");
  lht_pusharray(L, ht_swapaxes(a, i, j));
  return 1;
}

static int l_squeeze(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "squeeze");
  int opts = lht_opts(L, 2), axes[HT_MAXDIM], n = 0;
  checked_opts(L, opts, "squeeze", 2, KEYS("axis"));
  if (opt_arg(L, 2, opts, "axis")) {
    n = axes_arg(L, lua_gettop(L), "squeeze", axes);
    if (n == 0) return luaL_error(L, "ht.squeeze: axis table is empty");
  }
  lht_pusharray(L, ht_squeeze(a, n, axes));
  return 1;
}

static int l_expand_dims(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "expand_dims");
  int opts = lht_opts(L, 2);
  checked_opts(L, opts, "expand_dims", 2, KEYS("axis"));
  if (!opt_arg(L, 2, opts, "axis")) return luaL_error(L, "ht.expand_dims: axis is required");
  lht_pusharray(L, ht_expand_dims(a, (int)lht_check_int(L, -1, "expand_dims", "axis")));
  return 1;
}

/* ---- joining and splitting ---- */

/* concatenate({a, b, ...}, axis) or ({...}, {axis = 1}) */
static int l_concatenate(lua_State *L) {
  int n, opts = lht_opts(L, 2);
  checked_opts(L, opts, "concatenate", 2, KEYS("axis"));
  int axis = (int)int_arg(L, 2, opts, "axis", "concatenate", 0);
  const ht_array *const *list = array_list(L, 1, "concatenate", &n);
  lht_pusharray(L, ht_concatenate(n, list, axis));
  return 1;
}

static int l_stack(lua_State *L) {
  int n, opts = lht_opts(L, 2);
  checked_opts(L, opts, "stack", 2, KEYS("axis"));
  int axis = (int)int_arg(L, 2, opts, "axis", "stack", 0);
  const ht_array *const *list = array_list(L, 1, "stack", &n);
  lht_pusharray(L, ht_stack(n, list, axis));
  return 1;
}

static int l_hstack(lua_State *L) {
  int n;
  const ht_array *const *list = array_list(L, 1, "hstack", &n);
  lht_pusharray(L, ht_hstack(n, list));
  return 1;
}

static int l_vstack(lua_State *L) {
  int n;
  const ht_array *const *list = array_list(L, 1, "vstack", &n);
  lht_pusharray(L, ht_vstack(n, list));
  return 1;
}

static int l_column_stack(lua_State *L) {
  int n;
  const ht_array *const *list = array_list(L, 1, "column_stack", &n);
  lht_pusharray(L, ht_column_stack(n, list));
  return 1;
}

/* split(x, sections or {indices}, axis): a Lua sequence of views */
static int split_impl(lua_State *L, const char *fn, ht_array *a, int axis) {
  int64_t sections = 0, *idx = NULL;
  int nidx = 0;
  if (lua_type(L, 2) == LUA_TNUMBER) {
    sections = lht_check_int(L, 2, fn, "sections");
    if (sections <= 0) return luaL_error(L, "ht.%s: number sections must be larger than 0", fn);
    if (sections > (1 << 24)) return luaL_error(L, "ht.%s: too many sections", fn);
  } else if (lua_type(L, 2) == LUA_TTABLE && !lht_toarray(L, 2)) {
    nidx = int_list(L, 2, fn, "indices", NULL, 0, &idx);
  } else {
    return luaL_error(L, "ht.%s: indices_or_sections must be an integer or a table of "
                      "integers, got %s", fn, luaL_typename(L, 2));
  }
  int nparts = sections > 0 ? (int)sections : nidx + 1;
  ht_array **parts = scratch(L, sizeof(ht_array *) * (size_t)nparts);
  if (ht_split(a, sections, nidx, idx, axis, parts) < 0) return lht_raise(L);
  lua_createtable(L, nparts, 0);
  for (int k = 0; k < nparts; k++) { /* each userdata owns its view from here on */
    lht_pusharray(L, parts[k]);
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

static int l_split(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "split");
  int opts = lht_opts(L, 3);
  checked_opts(L, opts, "split", 3, KEYS("axis"));
  return split_impl(L, "split", a, (int)int_arg(L, 3, opts, "axis", "split", 0));
}

static int l_hsplit(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "hsplit");
  if (a->ndim < 1) return luaL_error(L, "ht.hsplit: hsplit only works on arrays of 1 or more dimensions");
  return split_impl(L, "hsplit", a, a->ndim > 1 ? 1 : 0);
}

static int l_vsplit(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "vsplit");
  if (a->ndim < 2) return luaL_error(L, "ht.vsplit: vsplit only works on arrays of 2 or more dimensions");
  return split_impl(L, "vsplit", a, 0);
}

/* ---- reordering ---- */

static int l_flip(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "flip");
  int opts = lht_opts(L, 2), axes[HT_MAXDIM], n = 0;
  checked_opts(L, opts, "flip", 2, KEYS("axis"));
  if (opt_arg(L, 2, opts, "axis")) n = axes_arg(L, lua_gettop(L), "flip", axes);
  lht_pusharray(L, ht_flip(a, n, axes));
  return 1;
}

static int l_fliplr(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "fliplr");
  int axis = 1;
  if (a->ndim < 2) return luaL_error(L, "ht.fliplr: Input must be >= 2-d.");
  lht_pusharray(L, ht_flip(a, 1, &axis));
  return 1;
}

static int l_flipud(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "flipud");
  int axis = 0;
  if (a->ndim < 1) return luaL_error(L, "ht.flipud: Input must be >= 1-d.");
  lht_pusharray(L, ht_flip(a, 1, &axis));
  return 1;
}

/* roll(x, shift, axis): shift and axis numbers or tables (one broadcasts to the other);
 * no axis: the flattened array */
static int l_roll(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "roll");
  int opts = trailing_opts(L);
  lua_settop(L, 4); /* values read below are pushed above the arguments */
  int64_t shifts[HT_MAXDIM], *sp;
  int axes[HT_MAXDIM];
  int ns = opt_arg(L, 2, opts, "shift")
               ? int_list(L, lua_gettop(L), "roll", "shift", shifts, HT_MAXDIM, &sp) : 0;
  if (ns == 0) return luaL_error(L, "ht.roll: shift is required");
  int na = opt_arg(L, 3, opts, "axis") ? axes_arg(L, lua_gettop(L), "roll", axes) : 0;
  if (na == 0) {
    if (ns != 1) return luaL_error(L, "ht.roll: a table of shifts needs a table of axes");
    lht_pusharray(L, ht_roll(a, 0, shifts, axes));
    return 1;
  }
  if (ns != na && ns != 1 && na != 1)
    return luaL_error(L, "ht.roll: shift and axis have different lengths (%d and %d)", ns, na);
  int n = ns > na ? ns : na;
  for (int i = n - 1; i >= 0; i--) {
    shifts[i] = shifts[ns == 1 ? 0 : i];
    axes[i] = axes[na == 1 ? 0 : i];
  }
  lht_pusharray(L, ht_roll(a, n, shifts, axes));
  return 1;
}

/* repeat(x, repeats, axis): repeats a number or a table; no axis: flattened */
static int l_repeat(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "repeat");
  int opts = lht_opts(L, 3), axis = -1;
  checked_opts(L, opts, "repeat", 3, KEYS("axis"));
  if (opt_arg(L, 3, opts, "axis")) {
    axis = lht_norm_axis(L, lht_check_int(L, -1, "repeat", "axis"), "repeat", a->ndim);
    lua_pop(L, 1);
  }
  lua_settop(L, 3); /* scratch buffers go above the arguments */
  int64_t *reps;
  int64_t nrep;
  if (lua_isnoneornil(L, 2)) return luaL_error(L, "ht.repeat: repeats is required");
  ht_array *r = lht_toarray(L, 2);
  if (r) { /* an integer array of repeats: every rank needs all of them */
    if (r->ndim > 1 || !(ht_dtype_is_int(r->dtype) || r->dtype == HT_BOOL))
      return luaL_error(L, "ht.repeat: repeats must be integers in a 0-d or 1-D array");
    nrep = ht_array_gsize(r);
    reps = scratch(L, sizeof(int64_t) * (size_t)nrep);
    lht_pusharray(L, ht_astype(r, HT_INT64));
    if (ht_gather(lht_toarray(L, -1), -1, reps)) return lht_raise(L);
  } else {
    nrep = int_list(L, 2, "repeat", "repeats", NULL, 0, &reps);
  }
  if (nrep == 0) return luaL_error(L, "ht.repeat: repeats is empty");
  lht_pusharray(L, ht_repeat(a, nrep, reps, axis));
  return 1;
}

static int l_tile(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "tile");
  int64_t reps[HT_MAXDIM], *rp;
  if (lua_isnoneornil(L, 2)) return luaL_error(L, "ht.tile: reps is required");
  int n = int_list(L, 2, "tile", "reps", reps, HT_MAXDIM, &rp);
  lht_pusharray(L, ht_tile(a, n, reps));
  return 1;
}

/* NumPy's pad_width forms: n, {n}, {before, after}, {{before, after}}, {{b0, a0}, ...} */
static void pad_widths(lua_State *L, int idx, int ndim, int64_t (*w)[2]) {
  int64_t flat[2 * HT_MAXDIM];
  int rows = 0, cols = 0;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    flat[0] = lht_check_int(L, idx, "pad", "pad_width"), rows = cols = 1;
  } else if (lua_type(L, idx) == LUA_TTABLE && !lht_toarray(L, idx)) {
    rows = (int)lua_objlen(L, idx);
    if (rows > HT_MAXDIM) luaL_error(L, "ht.pad: pad_width has %d entries for %d axes", rows, ndim);
    for (int r = 0; r < rows; r++) {
      lua_rawgeti(L, idx, r + 1);
      if (lua_type(L, -1) == LUA_TTABLE) {
        int n = (int)lua_objlen(L, -1);
        if (n < 1 || n > 2 || (cols && cols != 2) || (r > 0 && cols == 1))
          luaL_error(L, "ht.pad: pad_width must be n, {before, after} or one {before, after} per axis");
        cols = 2;
        for (int c = 0; c < 2; c++) {
          lua_rawgeti(L, -1, n == 1 ? 1 : c + 1);
          flat[2 * r + c] = lht_check_int(L, -1, "pad", "pad_width");
          lua_pop(L, 1);
        }
      } else {
        if (cols == 2) luaL_error(L, "ht.pad: pad_width mixes numbers and tables");
        cols = 1;
        flat[r] = lht_check_int(L, -1, "pad", "pad_width");
      }
      lua_pop(L, 1);
    }
  } else {
    luaL_error(L, "ht.pad: pad_width must be a number or a table, got %s", luaL_typename(L, idx));
  }
  if (rows == 0) luaL_error(L, "ht.pad: pad_width is empty");
  for (int d = 0; d < ndim; d++) {
    if (cols == 1 && rows <= 2) { /* n, {n} or {before, after}: every axis alike */
      w[d][0] = flat[0], w[d][1] = flat[rows == 2 ? 1 : 0];
    } else if (cols == 2 && (rows == 1 || rows == ndim)) {
      int r = rows == 1 ? 0 : d;
      w[d][0] = flat[2 * r], w[d][1] = flat[2 * r + 1];
    } else {
      luaL_error(L, "ht.pad: pad_width with %d entries does not fit an array of %d dimensions",
                 rows, ndim);
    }
  }
}

/* pad(x, pad_width, mode = "constant", {constant_values = v}) */
static int l_pad(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "pad");
  int64_t w[HT_MAXDIM][2];
  int opts = lht_opts(L, lua_gettop(L));
  if (opts <= 2) opts = 0;
  checked_opts(L, opts, "pad", 3, KEYS("mode", "constant_values"));
  if (lua_isnoneornil(L, 2)) return luaL_error(L, "ht.pad: pad_width is required");
  pad_widths(L, 2, a->ndim, w);
  const char *mode = "constant";
  if (lua_type(L, 3) == LUA_TSTRING) mode = lua_tostring(L, 3);
  else if (opts) {
    lua_getfield(L, opts, "mode");
    if (lua_type(L, -1) == LUA_TSTRING) mode = lua_tostring(L, -1);
  }
  if (strcmp(mode, "constant"))
    return luaL_error(L, "ht.pad: mode '%s' is not supported (only 'constant')", mode);
  double value = 0;
  if (opts) {
    lua_getfield(L, opts, "constant_values");
    if (lua_type(L, -1) == LUA_TBOOLEAN) value = lua_toboolean(L, -1);
    else if (!lua_isnil(L, -1)) value = luaL_checknumber(L, -1);
  }
  lht_pusharray(L, ht_pad(a, (const int64_t(*)[2])w, value));
  return 1;
}

/* ---- scans and differences ---- */

/* cumsum(x, axis, {dtype = ...}); no axis: the flattened array (NumPy) */
static int scan_impl(lua_State *L, const char *fn,
                     ht_array *(*op)(const ht_array *, int, ht_dtype)) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, fn);
  int opts = lht_opts(L, lua_gettop(L));
  if (opts == 1) opts = 0;
  checked_opts(L, opts, fn, 2, KEYS("axis", "dtype"));
  ht_dtype t = lht_opt_dtype(L, opts, fn, HT_NDTYPES);
  if (!opt_arg(L, 2, opts, "axis")) {
    int64_t n = ht_array_gsize(a);
    lht_pusharray(L, ht_reshape(a, 1, &n, a->split >= 0 ? 0 : -1));
    lht_pusharray(L, op(lht_toarray(L, -1), 0, t));
    return 1;
  }
  lht_pusharray(L, op(a, (int)lht_check_int(L, -1, fn, "axis"), t));
  return 1;
}

static int l_cumsum(lua_State *L) { return scan_impl(L, "cumsum", ht_cumsum); }
static int l_cumprod(lua_State *L) { return scan_impl(L, "cumprod", ht_cumprod); }

/* diff(x, n = 1, axis = -1) */
static int l_diff(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "diff");
  int opts = lht_opts(L, lua_gettop(L));
  if (opts == 1) opts = 0;
  checked_opts(L, opts, "diff", 3, KEYS("n", "axis", "prepend", "append"));
  if (opts) {
    lua_getfield(L, opts, "prepend");
    lua_getfield(L, opts, "append");
    if (!lua_isnil(L, -1) || !lua_isnil(L, -2))
      return luaL_error(L, "ht.diff: prepend and append are not supported");
    lua_pop(L, 2);
  }
  int64_t n = int_arg(L, 2, opts, "n", "diff", 1);
  int axis = (int)int_arg(L, 3, opts, "axis", "diff", -1);
  lht_pusharray(L, ht_diff(a, n, axis));
  return 1;
}

/* ---- sorting and sets ---- */

/* sort(x, axis = -1, {descending = false}) -> values, indices (Heat) */
static int l_sort(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "sort"), *v = NULL, *ix = NULL;
  int opts = lht_opts(L, lua_gettop(L));
  if (opts == 1) opts = 0;
  checked_opts(L, opts, "sort", 3, KEYS("axis", "descending"));
  int axis = (int)int_arg(L, 2, opts, "axis", "sort", -1);
  int desc = bool_arg(L, 3, opts, "descending", 0);
  if (ht_sort(a, axis, desc, &v, &ix)) return lht_raise(L);
  lht_pusharray(L, v);
  lht_pusharray(L, ix);
  return 2;
}

static int l_argsort(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "argsort");
  int opts = lht_opts(L, lua_gettop(L));
  if (opts == 1) opts = 0;
  checked_opts(L, opts, "argsort", 3, KEYS("axis", "descending"));
  int axis = (int)int_arg(L, 2, opts, "axis", "argsort", -1);
  int desc = bool_arg(L, 3, opts, "descending", 0);
  lht_pusharray(L, ht_argsort(a, axis, desc));
  return 1;
}

/* topk(x, k, dim = -1, largest = true, sorted = true) -> values, indices (Heat, torch) */
static int l_topk(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "topk"), *v = NULL, *ix = NULL;
  int opts = lht_opts(L, lua_gettop(L));
  if (opts <= 2) opts = 0;
  checked_opts(L, opts, "topk", 5, KEYS("dim", "axis", "largest", "sorted"));
  int64_t k = lht_check_int(L, 2, "topk", "k");
  int64_t dim = -1; /* torch's dim, or NumPy's axis as an option */
  if (opt_arg(L, 3, opts, "dim") || (opts && opt_arg(L, opts, opts, "axis"))) {
    dim = lht_check_int(L, -1, "topk", "dim");
    lua_pop(L, 1);
  }
  int largest = bool_arg(L, 4, opts, "largest", 1);
  (void)bool_arg(L, 5, opts, "sorted", 1); /* always sorted */
  if (ht_topk(a, k, (int)dim, largest, &v, &ix)) return lht_raise(L);
  lht_pusharray(L, v);
  lht_pusharray(L, ix);
  return 2;
}

/* unique(x, {return_inverse =, return_counts =}) -> values[, inverse][, counts] */
static int l_unique(lua_State *L) {
  ht_array *a = lht_arg_operand(L, 1, HT_NDTYPES, "unique"), *v = NULL, *inv = NULL, *cnt = NULL;
  int opts = lht_opts(L, 2);
  checked_opts(L, opts, "unique", 1, KEYS("sorted", "return_inverse", "return_counts", "axis", "return_index"));
  int want_inv = lht_opt_bool(L, opts, "return_inverse", 0);
  int want_cnt = lht_opt_bool(L, opts, "return_counts", 0);
  if (opts) {
    lua_getfield(L, opts, "axis");
    if (!lua_isnil(L, -1)) return luaL_error(L, "ht.unique: axis is not supported (the flattened array is used)");
    lua_getfield(L, opts, "return_index");
    if (lua_toboolean(L, -1)) return luaL_error(L, "ht.unique: return_index is not supported");
    lua_pop(L, 2);
  }
  if (ht_unique(a, &v, want_inv ? &inv : NULL, want_cnt ? &cnt : NULL)) return lht_raise(L);
  lht_pusharray(L, v);
  if (want_inv) lht_pusharray(L, inv);
  if (want_cnt) lht_pusharray(L, cnt);
  return 1 + want_inv + want_cnt;
}

static int l_nonzero(lua_State *L) {
  lht_pusharray(L, ht_nonzero(lht_arg_operand(L, 1, HT_NDTYPES, "nonzero")));
  return 1;
}

/* ---- registration ---- */

/* Functions of ht and methods of arrays alike (x:reshape(2, 3) == ht.reshape(x, 2, 3)).
 * `repeat` is a Lua keyword: ht["repeat"](x, 2), or torch's name repeat_interleave. */
static const luaL_Reg methods[] = {
    {"reshape", l_reshape},     {"flatten", l_flatten},   {"ravel", l_ravel},
    {"transpose", l_transpose}, {"permute", l_transpose}, {"swapaxes", l_swapaxes},
    {"squeeze", l_squeeze},     {"expand_dims", l_expand_dims},
    {"flip", l_flip},           {"fliplr", l_fliplr},     {"flipud", l_flipud},
    {"roll", l_roll},           {"repeat", l_repeat},     {"repeat_interleave", l_repeat},
    {"tile", l_tile},           {"pad", l_pad},           {"diff", l_diff},
    {"cumsum", l_cumsum},       {"cumprod", l_cumprod},   {"sort", l_sort},
    {"argsort", l_argsort},     {"topk", l_topk},         {"unique", l_unique},
    {"nonzero", l_nonzero},     {NULL, NULL}};

/* Functions only: the joins take a table of arrays first, and x.split is the property. */
static const luaL_Reg functions[] = {
    {"concatenate", l_concatenate}, {"stack", l_stack},   {"hstack", l_hstack},
    {"vstack", l_vstack},           {"row_stack", l_vstack}, {"column_stack", l_column_stack},
    {"split", l_split},             {"hsplit", l_hsplit}, {"vsplit", l_vsplit},
    {NULL, NULL}};

void lht_open_manipulation(lua_State *L) {
  luaL_setfuncs(L, methods, 0);
  luaL_setfuncs(L, functions, 0);
  lht_register_methods(L, methods);
}
