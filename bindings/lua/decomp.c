/* The decompositions' part of heat.core (runtime/decomp.h): _qr, _svd, _eigh, _hsvd, _rsvd,
 * _reigh, _inv, _det, _solve, _solve_triangular. lib/heat/linalg_decomp.lua checks the options and
 * publishes them in ht.linalg under Heat's names. */
#include "../../runtime/decomp.h"
#include "lht.h"

static int fail(lua_State *L) { return lht_raise(L); }

/* _qr(A, want_q) -> Q, R (or R) */
static int l_qr(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1), *q = NULL, *r = NULL;
  int want_q = lua_toboolean(L, 2);
  if (ht_qr(a, want_q, &q, &r)) return fail(L);
  if (want_q) lht_pusharray(L, q);
  lht_pusharray(L, r);
  return want_q ? 2 : 1;
}

/* _svd(A, full_matrices, compute_uv) -> U, S, Vt (or S) */
static int l_svd(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1), *u = NULL, *s = NULL, *vt = NULL;
  int full = lua_toboolean(L, 2), uv = lua_toboolean(L, 3);
  if (ht_svd(a, full, uv, &u, &s, &vt)) return fail(L);
  if (!uv) return lht_pusharray(L, s), 1;
  lht_pusharray(L, u);
  lht_pusharray(L, s);
  lht_pusharray(L, vt);
  return 3;
}

/* _eigh(A, vectors) -> w, V (or w) */
static int l_eigh(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1), *w = NULL, *v = NULL;
  int vectors = lua_toboolean(L, 2);
  if (ht_eigh(a, &w, vectors ? &v : NULL)) return fail(L);
  lht_pusharray(L, w);
  if (vectors) lht_pusharray(L, v);
  return vectors ? 2 : 1;
}

/* _hsvd(A, maxrank, maxmergedim, rtol (nil: none), safetyshift, no_of_merges (nil: no
 * limit), compute_sv, compute_u (nil: true)) -> U, err or U, S, V, err; without U:
 * nil, S, V, err */
static int l_hsvd(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1), *u = NULL, *s = NULL, *v = NULL;
  ht_hsvd_opts o;
  o.maxrank = lht_check_int(L, 2, "linalg.hsvd", "maxrank");
  o.maxmergedim = lht_check_int(L, 3, "linalg.hsvd", "maxmergedim");
  o.rtol = lua_isnil(L, 4) ? -1 : luaL_checknumber(L, 4);
  o.safetyshift = lht_check_int(L, 5, "linalg.hsvd", "safetyshift");
  o.no_of_merges = lua_isnil(L, 6) ? 0 : lht_check_int(L, 6, "linalg.hsvd", "no_of_merges");
  int cu = lua_isnoneornil(L, 8) || lua_toboolean(L, 8), sv = lua_toboolean(L, 7) || !cu;
  double err = 0;
  if (ht_hsvd(a, &o, cu ? &u : NULL, sv ? &s : NULL, sv ? &v : NULL, &err)) return fail(L);
  if (cu) lht_pusharray(L, u);
  else lua_pushnil(L);
  if (sv) lht_pusharray(L, s), lht_pusharray(L, v);
  lua_pushnumber(L, err);
  return sv ? 4 : 2;
}

/* The randomized routines' integer arguments 2-4: the rank, n_oversamples, power_iter. */
static void randomized_args(lua_State *L, const char *fn, const char *what, int64_t *v) {
  v[0] = lht_check_int(L, 2, fn, what);
  v[1] = lht_check_int(L, 3, fn, "n_oversamples");
  v[2] = lht_check_int(L, 4, fn, "power_iter");
}

/* _rsvd(A, rank, n_oversamples, power_iter) -> U, S, Vt */
static int l_rsvd(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1), *u = NULL, *s = NULL, *vt = NULL;
  int64_t v[3];
  randomized_args(L, "linalg.rsvd", "rank", v);
  if (ht_rsvd(a, v[0], v[1], v[2], &u, &s, &vt)) return fail(L);
  lht_pusharray(L, u);
  lht_pusharray(L, s);
  lht_pusharray(L, vt);
  return 3;
}

/* _reigh(A, n_eigenvalues, n_oversamples, power_iter) -> w, V */
static int l_reigh(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1), *w = NULL, *v = NULL;
  int64_t k[3];
  randomized_args(L, "linalg.reigh", "n_eigenvalues", k);
  if (ht_reigh(a, k[0], k[1], k[2], &w, &v)) return fail(L);
  lht_pusharray(L, w);
  lht_pusharray(L, v);
  return 2;
}

static int l_inv(lua_State *L) { return lht_pusharray(L, ht_inv(lht_checkarray(L, 1))), 1; }
static int l_det(lua_State *L) { return lht_pusharray(L, ht_det(lht_checkarray(L, 1))), 1; }

static int l_solve(lua_State *L) {
  lht_pusharray(L, ht_solve(lht_checkarray(L, 1), lht_checkarray(L, 2)));
  return 1;
}

static int l_solve_triangular(lua_State *L) {
  ht_array *a = lht_checkarray(L, 1), *b = lht_checkarray(L, 2);
  lht_pusharray(L, ht_solve_triangular(a, b, lua_toboolean(L, 3)));
  return 1;
}

static const luaL_Reg decomp_fns[] = {{"_qr", l_qr},
                                      {"_svd", l_svd},
                                      {"_eigh", l_eigh},
                                      {"_hsvd", l_hsvd},
                                      {"_rsvd", l_rsvd},
                                      {"_reigh", l_reigh},
                                      {"_inv", l_inv},
                                      {"_det", l_det},
                                      {"_solve", l_solve},
                                      {"_solve_triangular", l_solve_triangular},
                                      {NULL, NULL}};

void lht_open_decomp(lua_State *L) { luaL_setfuncs(L, decomp_fns, 0); }
