/* The binding side of collective checking: the Lua call site that a checked collective's
 * signature names (runtime/comm_check.c asks for it only when checking is on), and the
 * switches core._checking / core._set_checking. */
#include <stdio.h>
#include <string.h>

#include "../../runtime/comm.h"
#include "../../runtime/error.h"
#include "lht.h"

/* The state heat.core was opened in: heatlua runs every chunk on it (no coroutines). */
static lua_State *main_L;
/* "@/path/lib/heat/": frames from these files are the library, not the caller. */
static char libdir[512];

static int is_lib(const char *source) {
  if (*libdir) return !strncmp(source, libdir, strlen(libdir));
  return strstr(source, "lib/heat/") != NULL;
}

/* The array arguments of the running binding, "float64 (100,) split 0, ...": ranks that
 * built different shapes reach the same collective with different ones. */
static void describe_args(lua_State *L, char *args, size_t n) {
  size_t len = 0;
  int top = lua_gettop(L);
  for (int i = 1; i <= top && i <= 3 && len + 1 < n; i++) {
    ht_array *a = lht_toarray(L, i);
    if (!a) continue;
    char shape[64];
    ht_fmt_shape(shape, sizeof shape, a->ndim, a->gshape);
    len += (size_t)snprintf(args + len, n - len, "%s%s %s", len ? ", " : "",
                            ht_dtype_name(a->dtype), shape);
    if (a->split >= 0 && len + 1 < n) len += (size_t)snprintf(args + len, n - len, " split %d", a->split);
  }
}

/* The innermost Lua frame outside lib/heat is the caller's file:line; the function that
 * frame called is the heat function it named. */
static void site(char *name, char *args, char *where, size_t n) {
  lua_State *L = main_L;
  lua_Debug ar;
  if (!L || !lua_getstack(L, 0, &ar)) return;
  lua_getinfo(L, "S", &ar);
  if (ar.what[0] == 'C') describe_args(L, args, n);
  int at = -1;
  for (int level = 0; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline <= 0) continue;
    if (at < 0 || !is_lib(ar.source)) {
      at = level;
      snprintf(where, n, "%s:%d", ar.short_src, ar.currentline);
    }
    if (!is_lib(ar.source)) break;
  }
  if (at > 0 && lua_getstack(L, at - 1, &ar) && lua_getinfo(L, "n", &ar) && ar.name)
    snprintf(name, n, "%s", ar.name);
}

/* core._checking() -> whether collectives are checked, the watchdog's limit in seconds. */
static int l_checking(lua_State *L) {
  lua_pushboolean(L, ht_comm_checking());
  lua_pushnumber(L, ht_comm_watchdog_limit());
  return 2;
}

/* core._set_checking(on): collective (every rank, together). */
static int l_set_checking(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  if (lua_gettop(L) > 1) return luaL_error(L, "ht._set_checking: expected one boolean");
  if (ht_comm_set_checking(lua_toboolean(L, 1))) return lht_raise(L);
  return 0;
}

void lht_open_check(lua_State *L) {
  main_L = L;
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "S", &ar);
    const char *s = ar.source, *e = strstr(s, "heat/init.lua");
    if (s[0] == '@' && e && e[13] == '\0' && (size_t)(e + 5 - s) < sizeof libdir) {
      memcpy(libdir, s, (size_t)(e + 5 - s));
      libdir[e + 5 - s] = '\0';
      break;
    }
  }
  ht_comm_set_site_fn(site);
  lua_pushcfunction(L, l_checking);
  lua_setfield(L, -2, "_checking");
  lua_pushcfunction(L, l_set_checking);
  lua_setfield(L, -2, "_set_checking");
}
