/* Line editing and history for the REPL through libedit (BSD licensed, unlike GNU
 * readline), used by the single-process REPL and by the `heatlua -n N` front process. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

#define HISTORY_SIZE 1000

struct lht_editor {
  EditLine *el;
  History *hist;
  HistEvent ev;
  char *path;        /* history file, NULL when there is no home */
  const char *prompt;
  char *line;        /* the last line, without its newline */
  size_t cap;
};

static char *history_path(void) {
  const char *env = getenv("HEATLUA_HISTORY");
  if (env) return *env ? strdup(env) : NULL; /* HEATLUA_HISTORY= turns the file off */
  const char *home = getenv("HOME");
  if (!home || !*home) return NULL;
  size_t n = strlen(home) + sizeof "/.heatlua_history";
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/.heatlua_history", home);
  return p;
}

static const char *prompt_of(EditLine *el) {
  lht_editor *ed = NULL;
  el_get(el, EL_CLIENTDATA, &ed);
  return ed && ed->prompt ? ed->prompt : "> ";
}

lht_editor *lht_editor_open(const char *progname) {
  lht_editor *ed = calloc(1, sizeof *ed);
  if (!ed) return NULL;
  ed->el = el_init(progname, stdin, stdout, stderr);
  ed->hist = history_init();
  if (!ed->el || !ed->hist) {
    lht_editor_close(ed);
    return NULL;
  }
  history(ed->hist, &ed->ev, H_SETSIZE, HISTORY_SIZE);
  history(ed->hist, &ed->ev, H_SETUNIQUE, 1);
  ed->path = history_path();
  if (ed->path) history(ed->hist, &ed->ev, H_LOAD, ed->path);
  el_set(ed->el, EL_CLIENTDATA, ed);
  el_set(ed->el, EL_EDITOR, "emacs");
  el_set(ed->el, EL_HIST, history, ed->hist);
  el_set(ed->el, EL_PROMPT, prompt_of);
  el_source(ed->el, NULL); /* the user's ~/.editrc, as every libedit program reads it */
  return ed;
}

const char *lht_editor_gets(lht_editor *ed, const char *prompt, lht_line_status *status) {
  int n = 0;
  ed->prompt = prompt;
  errno = 0;
  const char *s = el_gets(ed->el, &n);
  if (!s || n <= 0) {
    /* libedit returns -1 with EINTR when a handler without SA_RESTART ran (Ctrl-C) */
    *status = n < 0 && errno == EINTR ? LHT_LINE_INTERRUPTED : LHT_LINE_EOF;
    return NULL;
  }
  size_t len = (size_t)n;
  if (len && s[len - 1] == '\n') len--;
  if (len + 1 > ed->cap) {
    char *p = realloc(ed->line, len + 1);
    if (!p) {
      *status = LHT_LINE_EOF;
      return NULL;
    }
    ed->line = p, ed->cap = len + 1;
  }
  memcpy(ed->line, s, len);
  ed->line[len] = '\0';
  *status = LHT_LINE_OK;
  return ed->line;
}

void lht_editor_add_history(lht_editor *ed, const char *line) {
  if (!ed || !line || !line[strspn(line, " \t")]) return;
  history(ed->hist, &ed->ev, H_ENTER, line);
  if (ed->path) history(ed->hist, &ed->ev, H_SAVE, ed->path);
}

void lht_editor_close(lht_editor *ed) {
  if (!ed) return;
  if (ed->el) el_end(ed->el); /* restores the terminal */
  if (ed->hist) history_end(ed->hist);
  free(ed->path);
  free(ed->line);
  free(ed);
}
