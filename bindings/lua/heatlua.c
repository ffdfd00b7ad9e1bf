/* The heatlua executable: every MPI rank runs the same Lua chunk (a script, -e, stdin, or
 * the REPL's lines); an uncaught error in a script is reported with a traceback and ends
 * the whole job. */
#define _POSIX_C_SOURCE 200809L
#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../runtime/comm.h"
#include "lht.h"
#include "../../runtime/threads.h"
#include "repl.h"

int luaopen_heat_core(lua_State *L);

static const char *progname = "heatlua";

/* HEATLUA_TRACE_STARTUP=1: each rank prints, at its end, the seconds each start-up and
 * shut-down step took (to find where a run's fixed cost goes; bench/run's start-up rows). */
#define TRACE_MAX 16
static struct { const char *step; double t; } trace[TRACE_MAX];
static int ntrace = -1; /* -1: not tracing */

static void trace_step(const char *step) {
  if (ntrace < 0 || ntrace >= TRACE_MAX) return;
  trace[ntrace].step = step;
  trace[ntrace++].t = ht_comm_wtime();
}

static void trace_report(void) {
  if (ntrace < 1) return;
  char line[1024];
  int n = snprintf(line, sizeof line, "%s: rank %d: start-up trace (ms):", progname,
                   ht_comm_rank());
  for (int i = 1; i < ntrace && n < (int)sizeof line; i++)
    n += snprintf(line + n, sizeof line - (size_t)n, " %s %.2f", trace[i].step,
                  1e3 * (trace[i].t - trace[i - 1].t));
  if (n < (int)sizeof line)
    snprintf(line + n, sizeof line - (size_t)n, ", total %.2f\n",
             1e3 * (trace[ntrace - 1].t - trace[0].t));
  fputs(line, stderr);
}

static void usage(void) {
  fprintf(stderr,
          "usage: %s [options] [script [args]]\n"
          "  -e chunk   run the Lua chunk\n"
          "  -i         enter the REPL after running the script (or -e)\n"
          "  -n N       start mpirun -n N itself (the REPL then edits lines here)\n"
          "  -v         print the version\n"
          "  -          run the script read from standard input\n"
          "Every MPI rank runs the same script: mpirun -n 4 %s analysis.lua\n"
          "With no script: the REPL (mpirun -n 4 %s -i, or %s -n 4 in a terminal)\n",
          progname, progname, progname, progname);
}

/* print writes from rank 0 only (an SPMD script would otherwise print everything nprocs
 * times), but converts its arguments on every rank: tostring of an array is collective. */
static int rank0_print(lua_State *L) {
  int n = lua_gettop(L);
  lua_getglobal(L, "tostring");
  for (int i = 1; i <= n; i++) {
    lua_pushvalue(L, n + 1);
    lua_pushvalue(L, i);
    lua_call(L, 1, 1);
    if (!lua_isstring(L, -1)) return luaL_error(L, "'tostring' must return a string to 'print'");
  }
  if (ht_comm_rank() != 0) return 0;
  for (int i = 1; i <= n; i++) {
    if (i > 1) fputc('\t', stdout);
    fputs(lua_tostring(L, n + 1 + i), stdout);
  }
  fputc('\n', stdout);
  fflush(stdout);
  return 0;
}

static int end_ok(void);

/* os.exit must leave MPI cleanly, or mpirun reports the job as aborted */
static int mpi_exit(lua_State *L) {
  int code = lua_isboolean(L, 1) ? (lua_toboolean(L, 1) ? 0 : 1) : (int)luaL_optinteger(L, 1, 0);
  fflush(stdout);
  fflush(stderr);
  end_ok();
  ht_comm_finalize();
  exit(code);
  return 0;
}

/* The end of the run is agreed on a communicator of its own, so that the agreement never
 * matches a collective of the runtime that a failing rank left. */
static MPI_Comm end_comm = MPI_COMM_NULL;

/* Seconds a failing rank waits for the others at the end before it ends the job alone
 * (they may be blocked in a collective it left): HEATLUA_FAIL_WAIT, default 5. */
static double fail_wait(void) {
  const char *s = getenv("HEATLUA_FAIL_WAIT");
  double w = s ? atof(s) : 5.0;
  return w > 0 ? w : 5.0;
}

/* Every rank says whether it failed (1, or 2 when its error only says that another rank
 * stopped first); returns the lowest rank with a failure of the first kind (else of the
 * second; -1 if none), or -2 when this failing rank waited fail_wait() seconds without
 * hearing from every rank. A rank that did not fail waits as long as it takes (it would
 * wait in MPI_Finalize), unless the watchdog of collective checking ends the job. */
static int end_agree(int failed) {
  int p = ht_comm_size();
  if (end_comm == MPI_COMM_NULL) return failed ? ht_comm_rank() : -1;
  int *all = malloc(sizeof(int) * (size_t)p);
  if (!all) return failed ? -2 : -1;
  MPI_Request req;
  if (MPI_Iallgather(&failed, 1, MPI_INT, all, 1, MPI_INT, end_comm, &req)) {
    free(all);
    return -2;
  }
  /* naps from 20 us doubling to 1 ms: the ranks of a normal run arrive together, and a
   * fixed 1 ms nap added up to 1 ms to every run's end (bench/run's start-up rows) */
  struct timespec nap = {0, 20000};
  double start = ht_comm_wtime(), limit = fail_wait();
  int done = 0, first = -1;
  for (;;) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) break;
    if (failed && ht_comm_wtime() - start > limit) {
      free(all);
      return -2;
    }
    ht_comm_watchdog_poll(failed ? "at the end of the run, after an error" : "at the end of the run",
                          start);
    nanosleep(&nap, NULL);
    if (nap.tv_nsec < 1000000) nap.tv_nsec = nap.tv_nsec * 2 < 1000000 ? nap.tv_nsec * 2 : 1000000;
  }
  for (int kind = 2; kind >= 1; kind--)
    for (int r = p - 1; r >= 0; r--)
      if (all[r] == kind) first = r;
  free(all);
  return first;
}

/* Ends the job after the error on top of L. When every rank reaches the end, the first
 * failing rank alone prints the message with its traceback (an error raised by all ranks
 * together prints once), the other failing ranks one line each, and MPI ends cleanly;
 * only a rank that cannot tell the rest (they are blocked in a collective it left) ends
 * the job with MPI_Abort. */
static void fail(lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  ht_comm_check_stopped(msg);
  int me = ht_comm_rank(), first = end_agree(ht_comm_check_abandoned() ? 2 : 1);
  fflush(stdout);
  if (first == me || first == -2)
    fprintf(stderr, "%s: rank %d: %s\n", progname, me, msg ? msg : "(no message)");
  else
    fprintf(stderr, "%s: rank %d: stopped because rank %d failed\n", progname, me, first);
  if (first == -2) {
    fprintf(stderr, "%s: rank %d: the other ranks did not reach the end within %g s "
                    "(HEATLUA_FAIL_WAIT): ending the job\n", progname, me, fail_wait());
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  fflush(stderr);
  lua_close(L);
  if (end_comm != MPI_COMM_NULL) MPI_Comm_free(&end_comm);
  ht_comm_finalize();
  exit(1);
}

/* The normal end of a rank: if another rank failed, this one ends with status 1 too. */
static int end_ok(void) {
  int first = end_agree(0);
  if (end_comm != MPI_COMM_NULL) MPI_Comm_free(&end_comm);
  return first >= 0;
}

static void call(lua_State *L, int nargs) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, lht_traceback);
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

  lua_pushcfunction(L, rank0_print);
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
  set_arg(L, argv, argc, script);
  if (strcmp(argv[script], "-") == 0 ? lht_load_stdin(L)
                                     : lht_load_explained(L, luaL_loadfilex(L, argv[script],
                                                                             lht_load_mode()),
                                                          argv[script]))
    fail(L);
  for (int i = script + 1; i < argc; i++) lua_pushstring(L, argv[i]);
  call(L, argc - script - 1);
}

/* Lua-side work at the end of a run that every rank reaches (collective): what was
 * registered with core.atexit, such as the HEATLUA_PROFILE report. */
static void at_end(lua_State *L) {
  lua_pushcfunction(L, lht_run_atexit);
  call(L, 0);
}

/* Started by mpirun or srun rather than by hand: the environment tells, if asked before
 * MPI_Init (a singleton MPI_Init sets PMIX_RANK itself). */
static int launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

/* The options before the script; returns the script's index (argc if none) or -1. */
typedef struct {
  int version, interactive, serve, has_e;
  const char *nprocs;
} options;

static int parse(int argc, char **argv, options *o) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--version")) o->version = 1;
    else if (!strcmp(argv[i], "-i")) o->interactive = 1;
    else if (!strcmp(argv[i], "--serve-stdin")) o->serve = 1;
    else if (!strcmp(argv[i], "-e") && i + 1 < argc) o->has_e = 1, i++;
    else if (!strcmp(argv[i], "-n") && i + 1 < argc && atoi(argv[i + 1]) > 0) o->nprocs = argv[++i];
    else if (!strcmp(argv[i], "--")) return i + 1;
    else return -1;
  }
  return i;
}

/* heatlua -n N ...: everything but -n N goes to the ranks; no MPI in this process. */
static int front(int argc, char **argv, const options *o, int script) {
  char **rest = malloc(sizeof(char *) * (size_t)argc);
  if (!rest) return 1;
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (i < script && !strcmp(argv[i], "-n")) i++;
    else rest[n++] = argv[i];
  }
  rest[n] = NULL;
  int want_repl = o->interactive || (script == argc && !o->has_e && !o->version);
  int rc = lht_front(argv[0], o->nprocs, n, rest, want_repl);
  free(rest);
  return rc;
}

int main(int argc, char **argv) {
  const char *tr = getenv("HEATLUA_TRACE_STARTUP");
  if (tr && *tr && strcmp(tr, "0")) ntrace = 0;
  trace_step("main");
  options o = {0};
  int script = parse(argc, argv, &o);
  int by_launcher = launched();
  if (script >= 0 && o.nprocs) {
    if (by_launcher) {
      fprintf(stderr, "%s: -n starts mpirun itself; under mpirun leave it out\n", progname);
      return 2;
    }
    return front(argc, argv, &o, script);
  }
  ht_comm_init(&argc, &argv);
  trace_step("mpi_init");
  ht_threads_setup();
  if (ht_comm_started() && ht_comm_size() > 1) MPI_Comm_dup(MPI_COMM_WORLD, &end_comm);
  trace_step("threads+end_comm");
  if (script < 0) {
    if (ht_comm_rank() == 0) usage();
    ht_comm_finalize();
    return 2;
  }
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create the Lua state\n", progname);
    if (ht_comm_started()) MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
  if (o.version && ht_comm_rank() == 0)
    printf("heatlua %s (%s)\n", HEATLUA_VERSION, LUAJIT_VERSION);
  trace_step("lua_state");
  setup(L);
  trace_step("require_heat");
  set_arg(L, argv, argc, script < argc ? script : argc - 1);
  for (int j = 1; j < script; j++) /* -e chunks in order */
    if (!strcmp(argv[j], "-e")) {
      if (lht_load_explained(L, luaL_loadbufferx(L, argv[j + 1], strlen(argv[j + 1]),
                                                 "=(command line)", lht_load_mode()),
                             "the -e chunk"))
        fail(L);
      call(L, 0);
      j++;
    }
  if (script < argc) run_script(L, argv, argc, script);
  int bare = script == argc && !o.has_e && !o.version;
  if (o.interactive || o.serve || bare) {
    if (bare && !by_launcher && ht_comm_size() == 1 && !isatty(0)) { /* lua.c: heatlua < file */
      if (lht_load_stdin(L)) fail(L);
      call(L, 0);
    } else {
      /* only rank 0 reads, so only its terminal matters */
      lht_input input = o.serve ? LHT_INPUT_SERVE
                        : ht_comm_rank() == 0 && isatty(0) ? LHT_INPUT_EDITOR
                                                           : LHT_INPUT_LINES;
      lht_repl(L, input);
    }
  }
  trace_step("script");
  at_end(L);
  lua_close(L);
  trace_step("lua_close");
  int other_failed = end_ok();
  trace_step("end_agree");
  ht_comm_finalize();
  trace_step("mpi_finalize");
  trace_report();
  return other_failed;
}
