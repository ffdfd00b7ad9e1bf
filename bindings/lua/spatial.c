/* heat.core's private entry points of ht.spatial and ht.cluster (lib/heat/spatial.lua,
 * lib/heat/cluster.lua check the options and call these). */
#include <stdlib.h>
#include <string.h>

#include "../../runtime/spatial.h"
#include "lht.h"

static ht_array *opt_array(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return NULL;
  return lht_checkarray(L, idx);
}

/* _cdist(x, y|nil, metric, quadratic, sigma) */
static int l_cdist(lua_State *L) {
  static const char *const names[] = {"euclidean", "sqeuclidean", "rbf", "manhattan", NULL};
  static const ht_dist_metric metrics[] = {HT_DIST_EUCLIDEAN, HT_DIST_SQEUCLIDEAN, HT_DIST_RBF,
                                           HT_DIST_MANHATTAN};
  ht_array *x = lht_checkarray(L, 1), *y = opt_array(L, 2);
  int m = luaL_checkoption(L, 3, NULL, names);
  lht_pusharray(L, ht_cdist(x, y, metrics[m], lua_toboolean(L, 4), luaL_optnumber(L, 5, 1.0)));
  return 1;
}

/* Pushes inertia (nil when not computed), changed and, when sums (k*F + k doubles, freed
 * here) is not NULL, sums (k, F) and wsum (k,) as float64 arrays. */
static int push_assign(lua_State *L, bool has_inertia, double inertia, int64_t changed,
                       double *sums, int64_t k, int64_t f) {
  if (has_inertia) lua_pushnumber(L, inertia);
  else lua_pushnil(L);
  lua_pushnumber(L, (lua_Number)changed);
  if (!sums) return 2;
  int64_t s2[2] = {k, f};
  ht_array *a = ht_from_buffer(HT_FLOAT64, 2, s2, -1, HT_CPU, HT_FLOAT64, sums);
  ht_array *b = a ? ht_from_buffer(HT_FLOAT64, 1, s2, -1, HT_CPU, HT_FLOAT64, sums + k * f) : NULL;
  free(sums);
  if (!b) ht_array_free(a);
  lht_pusharray(L, a);
  lht_pusharray(L, b);
  return 4;
}

static double *sums_buffer(lua_State *L, bool want, const ht_array *c) {
  const int64_t k = c->gshape[0], f = c->ndim == 2 ? c->gshape[1] : 0;
  double *sums = want ? malloc(sizeof(double) * (size_t)(k * f + k + 1)) : NULL;
  if (want && !sums) luaL_error(L, "ht.kmeans: out of memory");
  return sums;
}

/* _kmeans_assign(x, c, w|nil, labels|nil, mind|nil, want_sums) -> inertia, changed
 * [, sums (k, F) float64, wsum (k,) float64] */
static int l_kmeans_assign(lua_State *L) {
  ht_array *x = lht_checkarray(L, 1), *c = lht_checkarray(L, 2);
  ht_array *w = opt_array(L, 3), *labels = opt_array(L, 4), *mind = opt_array(L, 5);
  const int64_t k = c->gshape[0], f = c->ndim == 2 ? c->gshape[1] : 0;
  double *sums = sums_buffer(L, lua_toboolean(L, 6), c);
  double inertia = 0;
  int64_t changed = 0;
  if (ht_kmeans_assign(x, c, w, labels, mind, sums, sums ? sums + k * f : NULL, &inertia,
                       &changed)) {
    free(sums);
    return lht_raise(L);
  }
  return push_assign(L, true, inertia, changed, sums, k, f);
}

#define BOUNDS_MT "heat.kmeans_bounds"

/* __gc, and _kmeans_bounds_free(b) at the end of a run: the GC does not see these bytes */
static int l_bounds_gc(lua_State *L) {
  ht_kmeans_bounds **b = luaL_checkudata(L, 1, BOUNDS_MT);
  ht_kmeans_bounds_free(*b); /* local memory only */
  *b = NULL;
  return 0;
}

/* _kmeans_bounds() -> the rank's state of one bounded Lloyd run (userdata) */
static int l_kmeans_bounds(lua_State *L) {
  ht_kmeans_bounds **b = lua_newuserdata(L, sizeof *b);
  *b = NULL;
  if (luaL_newmetatable(L, BOUNDS_MT)) {
    lua_pushcfunction(L, l_bounds_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  if (!(*b = ht_kmeans_bounds_new())) return lht_raise(L);
  return 1;
}

/* _kmeans_assign_bounded(x, c, w|nil, labels, bounds, want_sums, want_inertia) -> inertia|nil,
 * changed [, sums, wsum] */
static int l_kmeans_assign_bounded(lua_State *L) {
  ht_array *x = lht_checkarray(L, 1), *c = lht_checkarray(L, 2);
  ht_array *w = opt_array(L, 3), *labels = lht_checkarray(L, 4);
  ht_kmeans_bounds **b = luaL_checkudata(L, 5, BOUNDS_MT);
  if (!*b) return luaL_error(L, "ht.kmeans: the bounds were freed");
  const bool want_inertia = lua_toboolean(L, 7);
  const int64_t k = c->gshape[0], f = c->ndim == 2 ? c->gshape[1] : 0;
  double *sums = sums_buffer(L, lua_toboolean(L, 6), c);
  double inertia = 0;
  int64_t changed = 0;
  if (ht_kmeans_assign_bounded(x, c, w, labels, *b, sums, sums ? sums + k * f : NULL,
                               want_inertia ? &inertia : NULL, &changed)) {
    free(sums);
    return lht_raise(L);
  }
  return push_assign(L, want_inertia, inertia, changed, sums, k, f);
}

/* x itself when C-contiguous (the kernels' input), else a contiguous copy */
static int l_contiguous(lua_State *L) {
  ht_array *x = lht_checkarray(L, 1);
  if (ht_array_is_contiguous(x)) return lua_settop(L, 1), 1;
  lht_pusharray(L, ht_contiguous(x));
  return 1;
}

/* The k-means++ uniforms at stack index idx: times x (1 + (k - 1) * ht_kmeanspp_trials(k))
 * numbers (a Lua table); malloc'ed, or raises. */
static double *check_uniforms(lua_State *L, int idx, int64_t k, int64_t times) {
  luaL_checktype(L, idx, LUA_TTABLE);
  const int64_t nu = k >= 1 ? times * (1 + (k - 1) * ht_kmeanspp_trials(k)) : 0;
  if (k < 1 || (int64_t)lua_objlen(L, idx) < nu)
    luaL_error(L, "ht.kmeans: %d uniforms needed", (int)nu);
  double *u = malloc(sizeof(double) * (size_t)nu);
  if (!u) luaL_error(L, "ht.kmeans: out of memory");
  for (int64_t j = 0; j < nu; j++) {
    lua_rawgeti(L, idx, (int)j + 1);
    u[j] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  return u;
}

/* _kmeans_local(x, k, {u...}, max_iter, tol, nbatch) -> rank-local centres, their cluster
 * sizes */
static int l_kmeans_local(lua_State *L) {
  ht_array *x = lht_checkarray(L, 1);
  const int64_t k = lht_check_int(L, 2, "kmeans", "n_clusters");
  const int64_t max_iter = lht_check_int(L, 4, "kmeans", "max_iter");
  const double tol = luaL_checknumber(L, 5);
  const int64_t nbatch = lht_check_int(L, 6, "kmeans", "batches");
  if (nbatch < 1 || nbatch > 1 << 20) return luaL_error(L, "ht.kmeans: batches must be in [1, 2^20]");
  double *u = check_uniforms(L, 3, k, nbatch);
  ht_array *counts = NULL;
  ht_array *c = ht_kmeans_local(x, k, nbatch, u, max_iter, tol, &counts);
  free(u);
  lht_pusharray(L, c);
  lht_pusharray(L, counts);
  return 2;
}

/* _kmeanspp(x, w|nil, k, {u...}) -> k x F replicated centres (greedy k-means++) */
static int l_kmeanspp(lua_State *L) {
  ht_array *x = lht_checkarray(L, 1), *w = opt_array(L, 2);
  const int64_t k = lht_check_int(L, 3, "kmeans++", "n_clusters");
  double *u = check_uniforms(L, 4, k, 1);
  ht_array *c = ht_kmeanspp(x, w, k, u);
  free(u);
  lht_pusharray(L, c);
  return 1;
}

static int l_local_rows(lua_State *L) {
  lht_pusharray(L, ht_local_rows(lht_checkarray(L, 1)));
  return 1;
}

static int l_stack_local_rows(lua_State *L) {
  lht_pusharray(L, ht_stack_local_rows(lht_checkarray(L, 1)));
  return 1;
}

void lht_open_spatial(lua_State *L) {
  static const luaL_Reg fns[] = {{"_cdist", l_cdist},
                                 {"_kmeans_assign", l_kmeans_assign},
                                 {"_kmeans_bounds", l_kmeans_bounds},
                                 {"_kmeans_assign_bounded", l_kmeans_assign_bounded},
                                 {"_kmeans_bounds_free", l_bounds_gc},
                                 {"_local_rows", l_local_rows},
                                 {"_kmeans_local", l_kmeans_local},
                                 {"_kmeanspp", l_kmeanspp},
                                 {"_contiguous", l_contiguous},
                                 {"_stack_local_rows", l_stack_local_rows},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
