/* Deferred elementwise calls, the chains they join into, and the trampoline every other
 * binding entry runs in: the open and detached lists, forcing, the write scan.
 *
 * Invariant. A pending array P holds a chain of up to HT_EW_MAXSTAGE elementwise calls
 * (runtime/fuse.h) and registry references to the userdata of every array operand of
 * every stage; its array is allocated as the eager result would be (agreed when large, at
 * the call, on every rank) but not yet computed. P's value is its chain over the operands
 * as they were when P was made, so P must be computed before any operand of any stage is
 * written. Writing an array takes a binding call that names it (an argument, or a field of
 * a table argument such as {out = x}); reading P's data takes a binding call that passes P.
 *  - The open list holds the newest pending arrays not yet consumed (at most MAXOPEN; a
 *    new one computes the oldest). Every binding entry except the elementwise calls
 *    (which consume, extend or add to it) and x.name lookups computes them all first.
 *  - A consumer (an eligible elementwise call with pending operands, open or detached)
 *    copies their chains into its own, with itself as the last stage, and is pending in
 *    turn (open); the consumed operands move to the detached list, still pending: they may
 *    still be referenced (local t = x*3; z = y + t; print(t)). A chain that would pass the
 *    bound computes its longer pending operand first, which then enters as an array.
 *  - Every entry that may write (any but elementwise calls without out= and x.name)
 *    computes each detached P an operand of any of whose stages shares storage with an
 *    array it is given.
 *  - lht_toarray computes a pending P it is asked for (a read).
 * Forcing is local (no collective) and cannot fail (no allocation): the GC frees a dead P
 * at different moments on different ranks, and a live P may be read on one rank alone (a
 * replicated array), so nothing may depend on when or where P is computed. Errors (out of
 * memory) are those of the eager call, raised by it on every rank together.
 * __gc never forces: it drops P. */
#include <stdlib.h>
#include <string.h>

#include "../../runtime/comm.h"
#include "../../runtime/fuse.h"
#include "lht.h"

#define MAXOPEN 4
#define GC_BYTES ((int64_t)4 << 20) /* detached bytes a write would compute */

typedef struct lht_pending {
  ht_ew_chain ch;                 /* in[k] point into the referenced userdata's arrays */
  int nref, ref[2 * HT_EW_MAXSTAGE]; /* registry references of the operands' userdata */
  int detached;                   /* on the detached list, else on the open one */
} lht_pending;

static int fuse_on = 1;
static int64_t min_bytes = (int64_t)256 << 10;
static lht_udata *open_list[MAXOPEN];
static int nopen;
static lht_udata **detached;
static int ndetached, cap_detached;
static double n_deferred, n_fused, n_forced;

/* ---- bookkeeping ---- */

static void remove_from(lht_udata **list, int *n, lht_udata *u) {
  for (int i = 0; i < *n; i++)
    if (list[i] == u) {
      memmove(list + i, list + i + 1, sizeof *list * (size_t)(*n - i - 1));
      (*n)--;
      return;
    }
}

static void unlist(lht_udata *u) {
  if (u->pend->detached) remove_from(detached, &ndetached, u);
  else remove_from(open_list, &nopen, u);
  u->pend->detached = 0;
}

static int push_detached(lht_udata *u) {
  if (ndetached == cap_detached) {
    int cap = cap_detached ? 2 * cap_detached : 64;
    lht_udata **d = realloc(detached, sizeof *d * (size_t)cap);
    if (!d) return -1;
    detached = d, cap_detached = cap;
  }
  detached[ndetached++] = u;
  u->pend->detached = 1;
  return 0;
}

/* Makes u an ordinary array again: off its list, its operands released. */
static void release(lua_State *L, lht_udata *u) {
  unlist(u);
  for (int k = 0; k < u->pend->nref; k++) luaL_unref(L, LUA_REGISTRYINDEX, u->pend->ref[k]);
  free(u->pend);
  u->pend = NULL;
}

/* Computes a pending P into its buffer, locally, and makes it an ordinary array. */
static void force_local(lua_State *L, lht_udata *u) {
  ht_ew_force(&u->pend->ch, u->a);
  n_forced++;
  release(L, u);
}

static void force_open(lua_State *L) {
  while (nopen) force_local(L, open_list[nopen - 1]);
}

void lht_fuse_read(lua_State *L, lht_udata *u) { force_local(L, u); }

void lht_fuse_gc(lua_State *L, lht_udata *u) { release(L, u); }

/* ---- the entries ---- */

/* The storage of array arguments, and of arrays one level inside table arguments (the
 * first 256 fields: options tables and lists of arrays). */
static int collect_bufs(lua_State *L, const ht_buffer **bufs, int cap) {
  int n = 0, top = lua_gettop(L);
  for (int i = 1; i <= top && n < cap; i++) {
    const ht_array *a = lht_peekarray(L, i, NULL);
    if (a) {
      if (a->buf) bufs[n++] = a->buf;
    } else if (lua_type(L, i) == LUA_TTABLE) {
      int seen = 0;
      lua_pushnil(L);
      while (n < cap && seen++ < 256 && lua_next(L, i)) {
        const ht_array *b = lht_peekarray(L, -1, NULL);
        if (b && b->buf) bufs[n++] = b->buf;
        lua_pop(L, 1);
      }
      if (n >= cap || seen > 256) lua_settop(L, top);
    }
  }
  return n;
}

static int reads_any(const lht_pending *p, const ht_buffer *const *bufs, int nb) {
  for (int k = 0; k < p->ch.n; k++)
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < nb; j++)
        if (p->ch.st[k].in[i] && p->ch.st[k].in[i]->buf == bufs[j]) return 1;
  return 0;
}

/* The bytes the detached arrays reading bufs would compute. */
static int64_t hit_bytes(const ht_buffer *const *bufs, int nb) {
  int64_t n = 0;
  for (int i = 0; i < ndetached; i++)
    if (reads_any(detached[i]->pend, bufs, nb))
      n += ht_array_lsize(detached[i]->a) * (int64_t)ht_dtype_size(detached[i]->a->dtype);
  return n;
}

void lht_fuse_settle(lua_State *L, int writes) {
  force_open(L);
  if (!writes || ndetached == 0) return;
  const ht_buffer *bufs[64];
  int nb = collect_bufs(L, bufs, 64);
  /* Most detached arrays are a chain's dead intermediates (t in y + t): a collection that
   * drops them costs less than computing them. Local, like forcing. */
  if (hit_bytes(bufs, nb) >= GC_BYTES) lua_gc(L, LUA_GCCOLLECT, 0);
  for (int i = 0; i < ndetached; i++)
    if (reads_any(detached[i]->pend, bufs, nb))
      force_local(L, detached[i]), i--; /* unlisted: the next one moved to i */
}

/* The operand at idx for the op, without forcing: a pending array sets *pu (and *in NULL);
 * an array sets *in; a number becomes a 0-d array of `other`'s dtype (NEP 50) in its
 * stack slot. 0 for anything else. */
static int peek_operand(lua_State *L, int idx, const ht_array *other, const char *fn,
                        const ht_array **in, lht_udata **pu) {
  lht_udata *u;
  const ht_array *a = lht_peekarray(L, idx, &u);
  *in = NULL, *pu = NULL;
  if (a && u->pend) return *pu = u, 1;
  if (a) return *in = a, 1;
  if (lua_type(L, idx) != LUA_TNUMBER || !other) return 0;
  return (*in = lht_arg_operand(L, idx, other->dtype, fn)) != NULL;
}

static void ref_copy(lua_State *L, lht_pending *p, int ref) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  p->ref[p->nref++] = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* The elementwise call s (operands at stack idx[k]; pu[k] the pending ones) deferred with
 * the chains of its pending operands, or 0 for the eager path. */
static int defer(lua_State *L, ht_ew_stage *s, lht_udata **pu, const int *idx) {
  const int nin = s->unary ? 1 : 2;
  const ht_array *val[2] = {pu[0] ? pu[0]->a : NULL, pu[1] ? pu[1]->a : NULL};
  if (!ht_ew_fusable(s, val, min_bytes)) return 0;
  ht_ew_chain ch;
  for (;;) {
    const ht_ew_chain *src[2] = {pu[0] ? &pu[0]->pend->ch : NULL,
                                 nin > 1 && pu[1] ? &pu[1]->pend->ch : NULL};
    if (ht_ew_chain_join(&ch, src, s)) break;
    /* past the bound: the longer pending operand is computed and enters as an array */
    lht_udata *u = !src[0] || (src[1] && src[1]->n > src[0]->n) ? pu[1] : pu[0];
    force_local(L, u);
    for (int k = 0; k < nin; k++)
      if (pu[k] == u) pu[k] = NULL, s->in[k] = u->a, s->kind[k] = HT_EWO_FULL;
  }
  lht_pusharray(L, ht_ew_result(s, val)); /* raises, on every rank, as the eager call would */
  lht_pending *p = calloc(1, sizeof *p);
  if (!p) ht_fatal("%s: out of memory (%zu bytes)", ht_ew_stage_name(s), sizeof *p);
  p->ch = ch;
  for (int k = 0; k < nin; k++) {
    if (pu[k] && !(k == 1 && pu[1] == pu[0]))
      for (int j = 0; j < pu[k]->pend->nref; j++) ref_copy(L, p, pu[k]->pend->ref[j]);
    else if (!pu[k]) {
      lua_pushvalue(L, idx[k]);
      p->ref[p->nref++] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
  }
  int consumer = 0;
  for (int k = 0; k < nin; k++) {
    if (!pu[k]) continue;
    consumer = 1;
    if (!pu[k]->pend->detached) {
      unlist(pu[k]);
      if (push_detached(pu[k])) force_local(L, pu[k]);
    }
  }
  if (nopen == MAXOPEN) force_local(L, open_list[0]);
  lht_udata *u = lua_touserdata(L, -1);
  u->pend = p;
  open_list[nopen++] = u;
  n_deferred++;
  n_fused += consumer;
  return 1;
}

int lht_fuse_binary(lua_State *L, ht_binop op) {
  if (!fuse_on) return 0;
  const char *fn = ht_binop_name(op);
  int idx[2] = {1, 2};
  lht_udata *pu[2];
  ht_ew_stage s = {.unary = false, .op = op};
  /* the array operand first, so a number next to it takes its dtype */
  int first = lht_peekarray(L, 1, NULL) ? 0 : 1;
  if (!peek_operand(L, idx[first], NULL, fn, &s.in[first], &pu[first])) return 0;
  const ht_array *like = pu[first] ? pu[first]->a : s.in[first];
  if (!peek_operand(L, idx[1 - first], like, fn, &s.in[1 - first], &pu[1 - first])) return 0;
  return defer(L, &s, pu, idx);
}

int lht_fuse_unary(lua_State *L, ht_unop op) {
  if (!fuse_on) return 0;
  int idx[2] = {1, 1};
  lht_udata *pu[2] = {NULL, NULL};
  ht_ew_stage s = {.unary = true, .op = op};
  if (!lht_peekarray(L, 1, NULL)) return 0;
  peek_operand(L, 1, NULL, ht_unop_name(op), &s.in[0], &pu[0]);
  return defer(L, &s, pu, idx);
}

/* ---- the trampoline ---- */

/* A wrapped C function keeps its own upvalues first and gets its C function last: it runs
 * in the trampoline's frame, so error positions and names stay those of the caller. */
#define TRAMPOLINE(n)                                                        \
  static int trampoline##n(lua_State *L) {                                   \
    lua_CFunction f = *(lua_CFunction *)lua_touserdata(L, lua_upvalueindex(n + 1)); \
    lht_fuse_settle(L, 1);                                                   \
    return f(L);                                                             \
  }
TRAMPOLINE(0)
TRAMPOLINE(1)
TRAMPOLINE(2)

static lua_CFunction exempt[16];
static int nexempt;

void lht_fuse_exempt(lua_CFunction f) {
  /* an exemption silently dropped would wrap an elementwise entry and lose fusion unseen */
  if (nexempt == (int)(sizeof exempt / sizeof exempt[0]))
    ht_fatal("heat.core: more than %d fusion exemptions (bindings/lua/fuse.c)", nexempt);
  exempt[nexempt++] = f;
}

static int is_exempt(lua_CFunction f) {
  for (int i = 0; i < nexempt; i++)
    if (exempt[i] == f) return 1;
  return 0;
}

/* Replaces the C function at the top of the stack with its trampoline. */
static void wrap_top(lua_State *L) {
  lua_CFunction f = lua_tocfunction(L, -1);
  int fi = lua_gettop(L), n = 0;
  if (!f || is_exempt(f)) return;
  while (lua_getupvalue(L, fi, n + 1)) n++;
  if (n > 2) luaL_error(L, "heat.core: a C closure with %d upvalues cannot be wrapped", n);
  *(lua_CFunction *)lua_newuserdata(L, sizeof f) = f;
  static const lua_CFunction tramps[] = {trampoline0, trampoline1, trampoline2};
  lua_pushcclosure(L, tramps[n], n + 1);
  lua_replace(L, fi);
}

/* Queries that touch no array and write nothing: the profiler and timing loops call them
 * between a producer and its consumer, which must still fuse. */
static int is_query(lua_State *L, int k) {
  static const char *const names[] = {"rank", "nprocs", "wtime", "_bytes_sent", "_bytes_live", NULL};
  if (lua_type(L, k) != LUA_TSTRING) return 0;
  for (const char *const *n = names; *n; n++)
    if (!strcmp(lua_tostring(L, k), *n)) return 1;
  return 0;
}

/* Wraps the C functions of the table at t, its subtables and their metatables. */
static void wrap_table(lua_State *L, int t, int seen) {
  lua_pushvalue(L, t);
  lua_rawget(L, seen);
  if (!lua_isnil(L, -1)) return (void)lua_pop(L, 1);
  lua_pop(L, 1);
  lua_pushvalue(L, t);
  lua_pushboolean(L, 1);
  lua_rawset(L, seen);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    int v = lua_gettop(L);
    if (lua_iscfunction(L, v) && !is_query(L, v - 1) &&
        !(lua_type(L, v - 1) == LUA_TSTRING && !strcmp(lua_tostring(L, v - 1), "__gc"))) {
      wrap_top(L);
      lua_pushvalue(L, v - 1);
      lua_pushvalue(L, v);
      lua_rawset(L, t);
    } else if (lua_istable(L, v)) {
      wrap_table(L, v, seen);
    }
    if (lua_getmetatable(L, v)) {
      if (lua_istable(L, -1)) wrap_table(L, lua_gettop(L), seen);
      lua_pop(L, 1);
    }
    lua_settop(L, v - 1);
  }
}

void lht_fuse_wrap(lua_State *L, int core) {
  lua_newtable(L);
  wrap_table(L, core, lua_gettop(L));
  lua_pop(L, 1);
}

/* core._fuse([x | opts]): the counters {deferred, fused, forced}, and with an array x its
 * state ("pending", "detached" or nil); opts {enabled = b, min_bytes = n} sets them (tests
 * and benchmarks; HEATLUA_NO_FUSE=1 starts disabled). Never forces. */
static int l_fuse(lua_State *L) {
  lht_udata *u;
  if (lua_gettop(L) > 1)
    return luaL_error(L, "ht._fuse: takes an array or an options table, got %d arguments",
                      lua_gettop(L));
  if (lht_peekarray(L, 1, &u)) {
    if (!u->pend) lua_pushnil(L);
    else lua_pushstring(L, u->pend->detached ? "detached" : "pending");
    return 1;
  }
  if (lua_istable(L, 1)) {
    static const char *const keys[] = {"enabled", "min_bytes", NULL};
    lht_check_keys(L, 1, "_fuse", keys);
    lua_getfield(L, 1, "enabled");
    if (!lua_isnil(L, -1)) {
      force_open(L);
      fuse_on = lua_toboolean(L, -1);
    }
    min_bytes = (int64_t)lht_opt_number(L, 1, "min_bytes", (double)min_bytes);
  }
  lua_createtable(L, 0, 5);
  lua_pushnumber(L, n_deferred), lua_setfield(L, -2, "deferred");
  lua_pushnumber(L, n_fused), lua_setfield(L, -2, "fused");
  lua_pushnumber(L, n_forced), lua_setfield(L, -2, "forced");
  lua_pushboolean(L, fuse_on), lua_setfield(L, -2, "enabled");
  lua_pushnumber(L, (double)min_bytes), lua_setfield(L, -2, "min_bytes");
  return 1;
}

void lht_open_fuse(lua_State *L) {
  const char *env = getenv("HEATLUA_NO_FUSE");
  if (env && *env && strcmp(env, "0")) fuse_on = 0;
  lht_fuse_exempt(l_fuse);
  lua_pushcfunction(L, l_fuse);
  lua_setfield(L, -2, "_fuse");
}
