/* The heatlua front end's interactive parts: the SPMD REPL (repl.c), the line editor
 * (lineedit.c) and the `heatlua -n N` front process that runs mpirun itself (front.c). */
#ifndef LHT_REPL_H
#define LHT_REPL_H

#include <lua.h>

/* How rank 0 reads the REPL's lines. */
typedef enum {
  LHT_INPUT_LINES,  /* plain lines from stdin (a pipe under mpirun), prompts on stdout */
  LHT_INPUT_EDITOR, /* a terminal on stdin: libedit with history */
  LHT_INPUT_SERVE   /* lines from a front process, which is told the prompt in-band */
} lht_input;

/* Runs the read-eval-print loop on every rank until the end of input (or os.exit):
 * rank 0 reads complete chunks and broadcasts them, every rank evaluates them, values and
 * errors are printed once by rank 0. Errors do not end the loop. Collective. */
void lht_repl(lua_State *L, lht_input input);

/* Reads all of standard input on rank 0, broadcasts it and loads it as a chunk on every
 * rank (as luaL_loadfile would: a first line starting with '#' is skipped). Collective;
 * returns lua_load's status, with the function or the message on the stack. */
int lht_load_stdin(lua_State *L);
/* The load mode for scripts, -e, stdin and the REPL: "t", text only (untrusted bytecode
 * can crash LuaJIT, and an escape byte first would read as bytecode), or "bt" when
 * HEATLUA_BYTECODE=1 asks for it. */
const char *lht_load_mode(void);
/* Passes a load status through, replacing LuaJIT's "wrong mode" message with one that
 * says what happened to `what` (the file name, "stdin", ...). */
int lht_load_explained(lua_State *L, int status, const char *what);
/* The message handler of every pcall of user code: the message, a hint for Lua traps that
 * NumPy users fall into (x < 3 on an array), and the traceback. */
int lht_traceback(lua_State *L);

/* The marker that tells the front process which prompt rank 0 waits with: MARK, the
 * prompt text, then BEL (an OSC sequence, so a terminal that sees one ignores it). */
#define LHT_PROMPT_MARK "\033]heatlua-prompt;"
#define LHT_PROMPT_END '\a'
/* A line the front sends for Ctrl-C while the user edits: drop the unfinished chunk. */
#define LHT_CANCEL_LINE "\030"

/* The line editor: libedit with emacs keys and a history file (~/.heatlua_history, or
 * $HEATLUA_HISTORY) that is written after every line, so a killed job keeps it. */
typedef struct lht_editor lht_editor;
typedef enum { LHT_LINE_OK, LHT_LINE_EOF, LHT_LINE_INTERRUPTED } lht_line_status;
lht_editor *lht_editor_open(const char *progname);
/* Reads a line without its newline; the pointer is valid until the next call. A signal
 * (Ctrl-C) while editing gives LHT_LINE_INTERRUPTED: install the handler without
 * SA_RESTART. */
const char *lht_editor_gets(lht_editor *ed, const char *prompt, lht_line_status *status);
void lht_editor_add_history(lht_editor *ed, const char *line);
void lht_editor_close(lht_editor *ed);

/* `heatlua -n N args...`: runs `mpirun -n N heatlua --serve-stdin args...` as a child and
 * edits lines in this process (no MPI here), forwarding each line to rank 0 through
 * mpirun's stdin. Without a terminal, or when no REPL is asked for, it executes mpirun
 * directly. Returns the exit status for main. */
int lht_front(const char *argv0, const char *nprocs, int argc, char **argv, int want_repl);

#endif
