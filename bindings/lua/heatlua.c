/* The heatlua executable: every MPI rank runs the same Lua chunk (a script, -e, stdin);
 * an uncaught error on any rank is reported with a traceback and ends the whole job. */
#define _POSIX_C_SOURCE 200809L
#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../runtime/comm.h"

int luaopen_heat_core(lua_State *L);

static const char *progname = "heatlua";

static void usage(void) {
  if (ht_comm_rank() != 0) return;
  fprintf(stderr,
          "usage: %s [options] [script [args]]\n"
          "  -e chunk   run the Lua chunk\n"
          "  -          run the script read from standard input\n"
          "  -v         print the version\n"
          "Every MPI rank runs the same script: mpirun -n 4 %s analysis.lua\n",
          progname, progname);
}

/* print from rank 0 only: an SPMD script would otherwise print everything nprocs times */
static int rank0_print(lua_State *L) {
  if (ht_comm_rank() != 0) return 0;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  fflush(stdout);
  return 0;
}

/* os.exit must leave MPI cleanly, or mpirun reports the job as aborted */
static int mpi_exit(lua_State *L) {
  int code = lua_isboolean(L, 1) ? (lua_toboolean(L, 1) ? 0 : 1) : (int)luaL_optinteger(L, 1, 0);
  fflush(stdout);
  fflush(stderr);
  ht_comm_finalize();
  exit(code);
  return 0;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Reports the error on this rank and ends the job on every rank: the others may be
 * waiting in a collective that this rank will never reach. */
static void fail(lua_State *L) {
  fprintf(stderr, "%s: rank %d: %s\n", progname, ht_comm_rank(), lua_tostring(L, -1));
  fflush(stderr);
  fflush(stdout);
  if (ht_comm_size() > 1) {
    struct timespec pause = {0, 200000000}; /* let ranks failing together print first */
    nanosleep(&pause, NULL);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  lua_close(L);
  ht_comm_finalize();
  exit(1);
}

static void call(lua_State *L, int nargs) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  if (lua_pcall(L, nargs, 0, base)) fail(L);
  lua_remove(L, base);
}

static void setup(lua_State *L) {
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_heat_core);
  lua_setfield(L, -2, "heat.core");
  lua_pop(L, 1);
  const char *dir = getenv("HEATLUA_PATH");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s/?.lua;%s/?/init.lua;%s",
                  dir ? dir : HEATLUA_LUA_DIR, dir ? dir : HEATLUA_LUA_DIR,
                  HEATLUA_INSTALL_LUA_DIR, HEATLUA_INSTALL_LUA_DIR, lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 2);

  lua_getglobal(L, "print");
  lua_pushcclosure(L, rank0_print, 1);
  lua_setglobal(L, "print");
  lua_getglobal(L, "os");
  lua_pushcfunction(L, mpi_exit);
  lua_setfield(L, -2, "exit");
  lua_pop(L, 1);

  lua_getglobal(L, "require");
  lua_pushstring(L, "heat");
  call(L, 1); /* require "heat" */
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "loaded");
  lua_getfield(L, -1, "heat");
  lua_setglobal(L, "ht");
  lua_pop(L, 2);
}

/* arg as in the standalone lua: arg[0] the script, arg[1..] its arguments */
static void set_arg(lua_State *L, char **argv, int argc, int script) {
  lua_createtable(L, argc - script, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static void run_script(lua_State *L, char **argv, int argc, int script) {
  const char *name = strcmp(argv[script], "-") == 0 ? NULL : argv[script];
  set_arg(L, argv, argc, script);
  if (luaL_loadfile(L, name)) fail(L);
  for (int i = script + 1; i < argc; i++) lua_pushstring(L, argv[i]);
  call(L, argc - script - 1);
}

int main(int argc, char **argv) {
  ht_comm_init(&argc, &argv);
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create the Lua state\n", progname);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int i = 1, ran = 0;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--version")) {
      if (ht_comm_rank() == 0) printf("heatlua %s (%s)\n", HEATLUA_VERSION, LUAJIT_VERSION);
      ran = 1;
    } else if (!strcmp(argv[i], "-e") && i + 1 < argc) {
      i++;
    } else if (!strcmp(argv[i], "--")) {
      i++;
      break;
    } else {
      usage();
      ht_comm_finalize();
      return 2;
    }
  }
  int script = i;
  setup(L);
  set_arg(L, argv, argc, script < argc ? script : argc - 1);
  for (int j = 1; j < script; j++) /* -e chunks in order */
    if (!strcmp(argv[j], "-e")) {
      if (luaL_loadbuffer(L, argv[j + 1], strlen(argv[j + 1]), "=(command line)")) fail(L);
      call(L, 0);
      ran = 1, j++;
    }
  if (script < argc) run_script(L, argv, argc, script);
  else if (!ran) {
    usage();
    lua_close(L);
    ht_comm_finalize();
    return 2;
  }
  lua_close(L);
  ht_comm_finalize();
  return 0;
}
