/* The kernels behind the estimators of lib/heat (preprocessing, regression,
 * decomposition): column moments and the weighted augmented Gram matrix, as heat.core's
 * _col_moments and _weighted_gram. */
#include <stdlib.h>

#include "../../runtime/moments.h"
#include "lht.h"

/* An optional array argument: nil, or an array. */
static const ht_array *opt_array(lua_State *L, int idx, const char *fn, const char *what) {
  if (lua_isnoneornil(L, idx)) return NULL;
  const ht_array *a = lht_toarray(L, idx);
  if (!a) luaL_error(L, "ht.%s: %s must be an array or nil, got %s", fn, what,
                     luaL_typename(L, idx));
  return a;
}

/* _col_moments(x [, w]) -> sum of weights, mean (f,), m2 (f,) (float64, replicated). */
static int l_col_moments(lua_State *L) {
  const ht_array *x = lht_checkarray(L, 1);
  const ht_array *w = opt_array(L, 2, "col_moments", "sample_weight");
  const int64_t f = x->ndim == 2 ? x->gshape[1] : 0;
  double sw, *buf = malloc(sizeof(double) * (size_t)(2 * f + 1));
  if (!buf) return luaL_error(L, "ht.col_moments: out of memory");
  if (ht_col_moments(x, w, &sw, buf, buf + f)) return free(buf), lht_raise(L);
  lua_pushnumber(L, sw);
  ht_array *mean = ht_from_buffer(HT_FLOAT64, 1, &f, -1, HT_CPU, HT_FLOAT64, buf);
  ht_array *m2 = mean ? ht_from_buffer(HT_FLOAT64, 1, &f, -1, HT_CPU, HT_FLOAT64, buf + f) : NULL;
  free(buf);
  lht_pusharray(L, mean);
  lht_pusharray(L, m2);
  return 3;
}

/* _weighted_gram(x [, y [, w]]) -> [x 1 y]^T W [x 1 y] (float64, replicated). */
static int l_weighted_gram(lua_State *L) {
  const ht_array *x = lht_checkarray(L, 1);
  const ht_array *y = opt_array(L, 2, "weighted_gram", "y");
  const ht_array *w = opt_array(L, 3, "weighted_gram", "sample_weight");
  lht_pusharray(L, ht_weighted_gram(x, y, w));
  return 1;
}

static const luaL_Reg ml_fns[] = {
    {"_col_moments", l_col_moments}, {"_weighted_gram", l_weighted_gram}, {NULL, NULL}};

void lht_open_ml(lua_State *L) { luaL_setfuncs(L, ml_fns, 0); }
