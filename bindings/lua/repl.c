/* The SPMD read-eval-print loop: rank 0 reads a complete chunk and broadcasts it, every
 * rank evaluates it (so collectives inside work), and values and errors are printed once,
 * errors with the ranks that raised them. Shaped after lua.c's REPL. */
#define _GNU_SOURCE /* memrchr, memmem */
#include <lauxlib.h>
#include <lua.h>
#include <luajit.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../runtime/comm.h"
#include "../../runtime/error.h"
#include "repl.h"

#define PROMPT1 "> "
#define PROMPT2 ">> "
#define CHUNKNAME "=stdin"
#define MAX_GROUPS 4 /* distinct error messages printed after one chunk */

/* A growing byte string: the chunk being read, or stdin's script. */
typedef struct {
  char *s;
  size_t n, cap;
} text;

static int text_reserve(text *t, size_t n) {
  if (n + 1 <= t->cap) return 0;
  size_t cap = t->cap ? t->cap : 256;
  while (cap < n + 1) cap *= 2;
  char *p = realloc(t->s, cap);
  if (!p) return -1;
  t->s = p, t->cap = cap;
  return 0;
}

static int text_add(text *t, const char *s, size_t n) {
  if (text_reserve(t, t->n + n)) return -1;
  memcpy(t->s + t->n, s, n);
  t->n += n;
  t->s[t->n] = '\0';
  return 0;
}

/* A failed allocation of a few bytes, or a failed broadcast of a line, leaves the ranks
 * unable to agree on anything: the job ends. */
static void fatal(const char *what) {
  fprintf(stderr, "heatlua: rank %d: %s\n", ht_comm_rank(), what);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  exit(1);
}

static void add(text *t, const char *s, size_t n) {
  if (text_add(t, s, n)) fatal("out of memory");
}

/* ---- interrupts: SIGUSR1 (mpirun forwards it to every rank), Ctrl-C in one process ---- */

static lua_State *volatile running_L;       /* set while a chunk of the user runs */
static volatile sig_atomic_t interrupts;    /* signals since the chunk began */

static void interrupt_hook(lua_State *L, lua_Debug *ar) {
  /* an error raised in C while the signal was pending (a collective check that another
   * rank's stop released) calls the traceback handler: raising there would replace the
   * message with "error in error handling" */
  if (ar->event == LUA_HOOKCALL && lua_getinfo(L, "f", ar)) {
    int handler = lua_tocfunction(L, -1) == lht_traceback;
    lua_pop(L, 1);
    if (handler) return;
  }
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted");
}

/* As in lua.c, the handler only installs a hook (which is signal-safe); the hook raises
 * the error at the next Lua instruction, so C code is never left half done. */
static void on_interrupt(int sig) {
  (void)sig;
  interrupts++;
  lua_State *L = running_L;
  if (L) lua_sethook(L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* SIGUSR1 restarts system calls (MPI's included); SIGINT must not, so that Ctrl-C ends
 * libedit's read and clears the line. */
static void set_handler(int sig, void (*fn)(int), int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(sig, &sa, NULL);
}

/* ---- rank 0 reads chunks ---- */

typedef struct {
  lht_input input;
  lht_editor *ed;
  char *buf;
  size_t cap;
} reader;

static const char *read_line(reader *r, const char *prompt, lht_line_status *st) {
  if (r->input == LHT_INPUT_EDITOR) {
    const char *line = lht_editor_gets(r->ed, prompt, st);
    if (*st == LHT_LINE_OK) lht_editor_add_history(r->ed, line);
    return line;
  }
  if (r->input == LHT_INPUT_SERVE) printf(LHT_PROMPT_MARK "%s%c", prompt, LHT_PROMPT_END);
  else fputs(prompt, stdout);
  fflush(stdout);
  ssize_t n = getline(&r->buf, &r->cap, stdin);
  if (n < 0) {
    *st = LHT_LINE_EOF;
    return NULL;
  }
  if (n > 0 && r->buf[n - 1] == '\n') r->buf[--n] = '\0';
  if (n > 0 && r->buf[n - 1] == '\r') r->buf[--n] = '\0';
  *st = r->input == LHT_INPUT_SERVE && !strcmp(r->buf, LHT_CANCEL_LINE) ? LHT_LINE_INTERRUPTED
                                                                        : LHT_LINE_OK;
  return r->buf;
}

/* 1 if src compiles, 0 if it has a syntax error, -1 if it only ends too early (the
 * parser's message ends in '<eof>', lua.c's test for an unfinished chunk). */
static int compiles(lua_State *L, const char *src, size_t n) {
  int st = lht_load_explained(L, luaL_loadbufferx(L, src, n, CHUNKNAME, lht_load_mode()), "the input"), res = st == 0;
  if (st == LUA_ERRSYNTAX) {
    size_t lm;
    const char *m = lua_tolstring(L, -1, &lm);
    static const char eof[] = "'<eof>'";
    if (m && lm >= sizeof eof - 1 && !strcmp(m + lm - (sizeof eof - 1), eof)) res = -1;
  }
  lua_pop(L, 1);
  return res;
}

/* The chunks tried for the lines read so far. */
typedef struct {
  text src;  /* the lines as typed */
  text ret;  /* "return " .. src */
  text call; /* the expression form that eval runs */
} sources;

/* The chunk that returns the values of an expression. Its call stays out of tail
 * position by being the argument of the identity function that eval passes as `...`:
 * "return f(x)" would be a tail call, whose error message loses "stdin:1:" and whose
 * traceback shows addresses that differ from rank to rank. A trailing ";" (allowed after
 * return) goes; the parenthesis closes on the last line (errors keep their line) unless
 * a comment there could swallow it. */
static void expression_chunk(const text *src, text *out) {
  size_t n = src->n;
  while (n > 0 && isspace((unsigned char)src->s[n - 1])) n--;
  if (n > 0 && src->s[n - 1] == ';') n--;
  const char *last = memrchr(src->s, '\n', n);
  last = last ? last + 1 : src->s;
  int comment = memmem(last, n - (size_t)(last - src->s), "--", 2) != NULL;
  out->n = 0;
  add(out, "return (...)(", 13);
  add(out, src->s, n);
  add(out, comment ? "\n)" : ")", comment ? 2 : 1);
}

/* Reads lines until they make a chunk, left in c->src: an expression returns its values
 * so that they print (tried first, like Lua 5.3's REPL; "=expr" as in Lua 5.1), a
 * statement stays as it is, and an unfinished one asks for more with ">>". A chunk with
 * a syntax error is complete too: every rank then reports the same error. Returns 0 at
 * the end of input. */
static int read_chunk(lua_State *L, reader *r, sources *c) {
  for (;;) {
    lht_line_status st;
    const char *line = read_line(r, PROMPT1, &st);
    c->src.n = 0;
    if (st == LHT_LINE_EOF) return 0;
    if (st == LHT_LINE_INTERRUPTED) {
      if (r->input == LHT_INPUT_EDITOR) fputs("\n", stdout);
      continue;
    }
    if (!line[strspn(line, " \t")]) continue;
    if (line[0] == '=') line++;
    add(&c->src, line, strlen(line));
    for (;;) {
      c->ret.n = 0;
      add(&c->ret, "return ", 7);
      add(&c->ret, c->src.s, c->src.n);
      int expr = compiles(L, c->ret.s, c->ret.n);
      if (expr == 1) {
        expression_chunk(&c->src, &c->call);
        text *use = compiles(L, c->call.s, c->call.n) == 1 ? &c->call : &c->ret;
        text swap = c->src;
        c->src = *use, *use = swap;
        return 1;
      }
      /* "1 +" is an unfinished expression, though as a statement it is an error */
      if (expr == 0 && compiles(L, c->src.s, c->src.n) >= 0) return 1;
      line = read_line(r, PROMPT2, &st);
      if (st == LHT_LINE_EOF) return 0;
      if (st == LHT_LINE_INTERRUPTED) break;
      add(&c->src, "\n", 1);
      add(&c->src, line, strlen(line));
    }
    if (r->input == LHT_INPUT_EDITOR) fputs("\n", stdout);
  }
}

/* Rank 0's chunk to every rank: its length first (-1 for the end of input), then the
 * bytes. Returns 0 at the end of input. */
static int bcast_chunk(text *chunk, int have) {
  int64_t n = have ? (int64_t)chunk->n : -1;
  ht_comm_unchecked(1); /* no watchdog on a person typing */
  if (ht_comm_bcast(&n, sizeof n, 0)) fatal(ht_errmsg());
  ht_comm_unchecked(-1);
  if (n < 0) return 0;
  if (text_reserve(chunk, (size_t)n)) fatal("out of memory");
  ht_comm_unchecked(1);
  if (n > 0 && ht_comm_bcast(chunk->s, n, 0)) fatal(ht_errmsg());
  ht_comm_unchecked(-1);
  chunk->n = (size_t)n;
  chunk->s[n] = '\0';
  return 1;
}

/* ---- evaluation on every rank ---- */

int lht_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  /* x < 3 on an array never reaches a metamethod in Lua 5.1: Lua's own message then */
  if (strstr(msg, "attempt to compare") && strstr(msg, "userdata"))
    msg = lua_pushfstring(L, "%s (heat arrays compare elementwise with methods: x:lt(3), "
                          "x:le(y), x:gt(y), x:ge(y), x:eq(y), x:ne(y))", msg);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int identity(lua_State *L) { return lua_gettop(L); }

/* Runs the chunk; leaves its values above the stack's old top, or the error message. */
static int eval(lua_State *L, const text *chunk) {
  int base = lua_gettop(L);
  lua_pushcfunction(L, lht_traceback);
  int st = lht_load_explained(
      L, luaL_loadbufferx(L, chunk->s, chunk->n, CHUNKNAME, lht_load_mode()), "the input");
  if (st == 0) {
    /* LuaJIT's compiled loops never look at hooks, so `while true do end` typed here
     * could not be interrupted: the REPL's own code (and functions defined in it) runs in
     * the interpreter; the heat library stays compiled */
    luaJIT_setmode(L, -1, LUAJIT_MODE_ALLFUNC | LUAJIT_MODE_OFF);
    lua_pushcfunction(L, identity); /* the `...` of expression_chunk */
    running_L = L;
    st = lua_pcall(L, 1, LUA_MULTRET, base + 1);
    running_L = NULL;
    lua_sethook(L, NULL, 0, 0); /* a signal that came as the chunk ended */
  }
  lua_remove(L, base + 1);
  fflush(stdout); /* io.write output appears before the next prompt */
  return st;
}

/* tostring of every argument, tab separated: collective, as printing an array gathers it. */
static int tostring_all(lua_State *L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  lua_getglobal(L, "tostring");
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    lua_pushvalue(L, n + 1);
    lua_pushvalue(L, i);
    lua_call(L, 1, 1);
    if (!lua_isstring(L, -1)) luaL_error(L, "'tostring' must return a string to be printed");
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  return 1;
}

/* ---- agreeing on failures and reporting them once ---- */

/* "rank 2" or "ranks 0-1,3": the ranks whose flag is set. */
static void print_ranks(const char *same, int p) {
  int count = 0;
  for (int r = 0; r < p; r++) count += same[r];
  fputs(count == 1 ? "rank " : "ranks ", stdout);
  const char *sep = "";
  for (int r = 0; r < p; r++) {
    if (!same[r]) continue;
    int e = r;
    while (e + 1 < p && same[e + 1]) e++;
    if (e == r) printf("%s%d", sep, r);
    else printf("%s%d-%d", sep, r, e);
    sep = ",", r = e;
  }
  printf(" of %d: ", p);
}

/* Messages equal but for hexadecimal addresses ("[builtin#19]: at 0x7f3c..." in a
 * traceback): each rank maps code at its own addresses. */
static int same_message(const char *a, size_t na, const char *b, size_t nb) {
  size_t i = 0, j = 0;
  while (i < na && j < nb) {
    if (a[i] != b[j]) return 0;
    if (a[i] == '0' && i + 1 < na && j + 1 < nb && a[i + 1] == 'x' && b[j + 1] == 'x') {
      i += 2, j += 2;
      while (i < na && isxdigit((unsigned char)a[i])) i++;
      while (j < nb && isxdigit((unsigned char)b[j])) j++;
      continue;
    }
    i++, j++;
  }
  return i == na && j == nb;
}

/* Prints each distinct message once with the ranks that raised it. */
static void print_failures(int p, const int64_t *lens, const int64_t *displs, const char *all) {
  char *done = calloc((size_t)p, 1), *same = calloc((size_t)p, 1);
  if (!done || !same) fatal("out of memory");
  int groups = 0, rest = 0;
  for (int r = 0; r < p; r++) {
    if (lens[r] < 0 || done[r]) continue;
    if (groups == MAX_GROUPS) {
      rest++;
      continue;
    }
    memset(same, 0, (size_t)p);
    for (int s = r; s < p; s++)
      if (lens[s] >= 0 && same_message(all + displs[s], (size_t)lens[s], all + displs[r],
                                       (size_t)lens[r]))
        same[s] = done[s] = 1;
    if (p > 1) print_ranks(same, p);
    fwrite(all + displs[r], 1, (size_t)lens[r], stdout);
    fputc('\n', stdout);
    groups++;
  }
  if (rest) printf("(%d more rank%s failed with other messages)\n", rest, rest > 1 ? "s" : "");
  fflush(stdout);
  free(done);
  free(same);
}

/* The REPL's own communicator: its agreement never matches a collective of the runtime
 * that a rank left early (an error or an interrupt on some ranks only). */
static MPI_Comm repl_comm = MPI_COMM_NULL;

/* Every rank's int64 in lens. A rank that failed may wait here for ranks blocked in a
 * collective it left, forever: polling instead of blocking lets a second interrupt end
 * the job then (MPI cannot cancel the blocked collective), so nothing hangs for good. */
static void wait_for_all(int64_t mine, int64_t *lens, int failed) {
  MPI_Request req;
  if (MPI_Iallgather(&mine, 1, MPI_INT64_T, lens, 1, MPI_INT64_T, repl_comm, &req))
    fatal("MPI_Iallgather failed");
  struct timespec nap = {0, 1000000};
  double start = ht_comm_wtime();
  int done = 0, warned = 0;
  for (;;) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) return;
    if (interrupts >= 2) {
      fprintf(stderr, "heatlua: rank %d: interrupted twice while waiting for the other ranks: "
                      "ending the job\n", ht_comm_rank());
      fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 130);
    }
    ht_comm_watchdog_poll(failed ? "at the end of a statement that failed" : "at the end of a statement",
                          start);
    if (failed && !warned && ht_comm_wtime() - start > 3) {
      fprintf(stderr, "heatlua: rank %d: stopped with an error and waits for the other ranks; "
                      "if they are blocked in a collective it left, interrupt twice (Ctrl-C, "
                      "or kill -USR1 the mpirun) to end the job\n", ht_comm_rank());
      fflush(stderr);
      warned = 1;
    }
    nanosleep(&nap, NULL);
  }
}

/* Every rank passes whether its step failed and its message; rank 0 prints the failures.
 * Returns 1 on every rank if any rank failed, so that no rank goes on to a collective
 * the others skip. Collective. */
static int agree(int failed, const char *msg) {
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t len = failed ? (int64_t)strlen(msg) : -1;
  int64_t *lens = malloc(3 * sizeof(int64_t) * (size_t)p);
  if (!lens) fatal("out of memory");
  int64_t *counts = lens + p, *displs = lens + 2 * p;
  /* ranks waiting in a checked collective this rank left stop waiting */
  if (failed) ht_comm_check_stopped(msg);
  wait_for_all(len, lens, failed);
  int any = 0;
  for (int r = 0; r < p; r++) {
    counts[r] = lens[r] > 0 ? lens[r] : 0;
    any |= lens[r] >= 0;
  }
  if (any) { /* every rank is here now, so the runtime's communicator is safe again */
    /* a check left behind on some rank would pair with the next one: start afresh */
    if (ht_comm_check_reset()) fatal(ht_errmsg());
    ht_counts_to_displs(counts, p, displs);
    char *all = me == 0 ? malloc((size_t)(displs[p - 1] + counts[p - 1]) + 1) : NULL;
    if (me == 0 && !all) fatal("out of memory");
    if (ht_comm_gatherv(failed ? msg : "", len > 0 ? len : 0, all, counts, displs, 0))
      fatal(ht_errmsg());
    if (me == 0) print_failures(p, lens, displs, all);
    free(all);
  }
  free(lens);
  return any;
}

/* ---- the loop ---- */

static void banner(void) {
  int p = ht_comm_size();
  printf("heatlua %s (%s) on %d rank%s; `ht` is the heat module; Ctrl-D quits\n",
         HEATLUA_VERSION, LUAJIT_VERSION, p, p == 1 ? "" : "s");
  fflush(stdout);
}

void lht_repl(lua_State *L, lht_input input) {
  int me = ht_comm_rank();
  reader r = {input, NULL, NULL, 0};
  if (me == 0 && input == LHT_INPUT_EDITOR && !(r.ed = lht_editor_open("heatlua")))
    r.input = LHT_INPUT_LINES;
  set_handler(SIGUSR1, on_interrupt, 1);
  /* Ctrl-C interrupts only a single process: under mpirun it ends the job. */
  int own_sigint = r.input == LHT_INPUT_EDITOR && ht_comm_size() == 1;
  if (own_sigint) set_handler(SIGINT, on_interrupt, 0);
  if (MPI_Comm_dup(ht_comm(), &repl_comm)) fatal("MPI_Comm_dup failed");
  /* collectives are checked in the REPL unless HEATLUA_CHECK=0 */
  if (ht_comm_set_checking(ht_comm_check_env(1))) fatal(ht_errmsg());
  if (me == 0) banner();

  sources c = {{0}, {0}, {0}};
  for (;;) {
    int have = me == 0 ? read_chunk(L, &r, &c) : 0;
    if (!bcast_chunk(&c.src, have)) break;
    int base = lua_gettop(L);
    interrupts = 0;
    int st = eval(L, &c.src);
    if (agree(st != 0, st ? lua_tostring(L, -1) : NULL) || lua_gettop(L) == base) {
      lua_settop(L, base);
      continue;
    }
    lua_pushcfunction(L, tostring_all);
    lua_insert(L, base + 1);
    lua_pushcfunction(L, lht_traceback);
    lua_insert(L, base + 1);
    st = lua_pcall(L, lua_gettop(L) - base - 2, 1, base + 1);
    if (!agree(st != 0, st ? lua_tostring(L, -1) : NULL) && me == 0) {
      puts(lua_tostring(L, -1));
      fflush(stdout);
    }
    lua_settop(L, base);
  }
  if (me == 0 && r.input != LHT_INPUT_SERVE) fputs("\n", stdout);
  fflush(stdout);
  MPI_Comm_free(&repl_comm);
  set_handler(SIGUSR1, SIG_DFL, 1);
  if (own_sigint) set_handler(SIGINT, SIG_DFL, 1);
  lht_editor_close(r.ed);
  free(r.buf);
  free(c.src.s);
  free(c.ret.s);
  free(c.call.s);
}

const char *lht_load_mode(void) {
  const char *b = getenv("HEATLUA_BYTECODE");
  return b && !strcmp(b, "1") ? "bt" : "t";
}

int lht_load_explained(lua_State *L, int status, const char *what) {
  const char *m = status ? lua_tostring(L, -1) : NULL;
  if (m && strstr(m, "wrong mode")) {
    lua_pop(L, 1);
    lua_pushfstring(L, "%s starts like LuaJIT bytecode (an escape byte); heatlua loads Lua "
                    "text only (HEATLUA_BYTECODE=1 runs trusted bytecode)", what);
  }
  return status;
}

int lht_load_stdin(lua_State *L) {
  text t = {0};
  int64_t n = 0;
  if (ht_comm_rank() == 0) {
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, stdin)) > 0)
      add(&t, buf, k);
    n = ferror(stdin) ? -1 : (int64_t)t.n;
  }
  ht_comm_unchecked(1); /* rank 0 reads as long as stdin takes */
  if (ht_comm_bcast(&n, sizeof n, 0)) fatal(ht_errmsg());
  ht_comm_unchecked(-1);
  if (n < 0) {
    free(t.s);
    lua_pushliteral(L, "cannot read stdin");
    return LUA_ERRFILE;
  }
  if (text_reserve(&t, (size_t)n)) fatal("out of memory");
  ht_comm_unchecked(1);
  if (n > 0 && ht_comm_bcast(t.s, n, 0)) fatal(ht_errmsg());
  ht_comm_unchecked(-1);
  /* a first line "#!/usr/bin/env heatlua" is skipped, its newline kept for line numbers */
  size_t skip = 0;
  if (n > 0 && t.s[0] == '#')
    while (skip < (size_t)n && t.s[skip] != '\n') skip++;
  int st = lht_load_explained(
      L, luaL_loadbufferx(L, t.s + skip, (size_t)n - skip, CHUNKNAME, lht_load_mode()), "stdin");
  free(t.s);
  return st;
}
