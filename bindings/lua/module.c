/* The heat.core module: gathers the binding parts and the SPMD helpers (rank, barrier). */
#include <malloc.h>
#include <stdio.h>

#include "../../runtime/comm.h"
#include "../../runtime/array.h"
#include "../../runtime/bufcache.h"
#include "../../runtime/device.h"
#include "lht.h"

static int l_rank(lua_State *L) { return lua_pushinteger(L, ht_comm_rank()), 1; }
static int l_nprocs(lua_State *L) { return lua_pushinteger(L, ht_comm_size()), 1; }
/* asked on first use of ht.has_gpu (init.lua): the CUDA driver's start is slow */
static int l_has_gpu(lua_State *L) { return lua_pushboolean(L, ht_device_count() > 0), 1; }
static int l_barrier(lua_State *L) { return ht_comm_barrier() ? lht_raise(L) : 0; }

/* Writes one string per rank, in rank order (collective). */
/* Each rank's text, printed by rank 0 in rank order: writes from several ranks reach
 * mpirun through separate pipes, so barriers between them do not fix the order. */
static int l_writeall(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t mine = (int64_t)n, *lens = lua_newuserdata(L, sizeof(int64_t) * 3 * (size_t)p);
  int64_t *counts = lens + p, *displs = lens + 2 * p, total = 0;
  for (int r = 0; r < p; r++) counts[r] = sizeof(int64_t), displs[r] = r * (int64_t)sizeof(int64_t);
  if (ht_comm_allgatherv(&mine, sizeof mine, lens, counts, displs)) return lht_raise(L);
  for (int r = 0; r < p; r++) displs[r] = total, total += lens[r];
  char *all = lua_newuserdata(L, me == 0 ? (size_t)total + 1 : 1);
  if (ht_comm_gatherv(s, mine, all, lens, displs, 0)) return lht_raise(L);
  if (me == 0) fwrite(all, 1, (size_t)total, stdout), fflush(stdout);
  return 0;
}

static int l_bytes_live(lua_State *L) {
  return lua_pushnumber(L, (lua_Number)ht_bytes_live()), 1;
}

/* core._bytes_cached(): bytes of kept buffers, and whether freed buffers are kept. */
static int l_bytes_cached(lua_State *L) {
  lua_pushnumber(L, (lua_Number)ht_cache_bytes());
  lua_pushboolean(L, ht_cache_enabled());
  return 2;
}

/* ht.empty_cache() (torch.cuda.empty_cache): collects unreachable arrays, frees the kept
 * buffers (bufcache.c) and hands the heap's free pages back to the system; the bytes of
 * kept buffers freed. Local to the rank. */
static int l_empty_cache(lua_State *L) {
  if (lua_gettop(L) > 0)
    return luaL_error(L, "ht.empty_cache: takes no arguments (got %d)", lua_gettop(L));
  lua_gc(L, LUA_GCCOLLECT, 0);
  int64_t n = ht_cache_release();
  malloc_trim(0);
  return lua_pushnumber(L, (lua_Number)n), 1;
}

/* Wall-clock seconds (MPI_Wtime): os.clock is CPU time summed over threads. */
static int l_wtime(lua_State *L) { return lua_pushnumber(L, ht_comm_wtime()), 1; }

static int l_bytes_sent(lua_State *L) {
  return lua_pushnumber(L, (lua_Number)ht_comm_bytes_sent()), 1;
}

/* core._fail_alloc(rank, n[, minbytes]): fault injection for tests (ht_fail_alloc_arm). */
static int l_fail_alloc(lua_State *L) {
  ht_fail_alloc_arm((int)luaL_checkinteger(L, 1), (int64_t)luaL_checkinteger(L, 2),
                    (int64_t)luaL_optinteger(L, 3, 0));
  return 0;
}

/* core.atexit(fn): fn runs on every rank when the script ends (lht_run_atexit). */
static char atexit_key;

static int l_atexit(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushlightuserdata(L, &atexit_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushlightuserdata(L, &atexit_key);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
  }
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
  return 0;
}

int lht_run_atexit(lua_State *L) {
  lua_pushlightuserdata(L, &atexit_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  int n = lua_istable(L, -1) ? (int)lua_objlen(L, -1) : 0;
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    lua_call(L, 0, 0);
  }
  return 0;
}

static const luaL_Reg core_fns[] = {{"rank", l_rank},
                                    {"nprocs", l_nprocs},
                                    {"barrier", l_barrier},
                                    {"wtime", l_wtime},
                                    {"atexit", l_atexit},
                                    {"_writeall", l_writeall},
                                    {"_bytes_live", l_bytes_live},
                                    {"_bytes_cached", l_bytes_cached},
                                    {"empty_cache", l_empty_cache},
                                    {"_bytes_sent", l_bytes_sent},
                                    {"_fail_alloc", l_fail_alloc},
                                    {"_has_gpu", l_has_gpu},
                                    {NULL, NULL}};

int luaopen_heat_core(lua_State *L) {
  /* Array temporaries are large and short-lived: served by mmap, each one would page-fault
   * afresh (measured: add at ~3 GB/s instead of ~14). Keep them in the heap instead. */
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  lua_newtable(L);
  luaL_setfuncs(L, core_fns, 0);
#ifdef HT_HAVE_CUDA
  lua_pushboolean(L, 1);
#else
  lua_pushboolean(L, 0);
#endif
  lua_setfield(L, -2, "built_with_cuda");
  lht_open_array(L);
  lht_open_elementwise(L);
  lht_open_reduce(L);
  lht_open_factories(L);
  lht_open_io(L);
  lht_open_indexing(L);
  lht_open_manipulation(L);
  lht_open_linalg(L);
  lht_open_decomp(L);
  lht_open_spatial(L);
  lht_open_ml(L);
  lht_open_check(L);
  lht_open_fuse(L);
  lht_fuse_wrap(L, lua_gettop(L)); /* last: every C function registered above */
  return 1;
}
