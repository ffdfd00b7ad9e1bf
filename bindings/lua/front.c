/* `heatlua -n N`: a front process that starts `mpirun -n N heatlua --serve-stdin ...` as
 * its child and edits lines here, where the terminal is (under mpirun rank 0 sees only a
 * pipe). Lines go to rank 0 through mpirun's stdin; rank 0's prompt comes back in-band
 * on stdout as a marker that this process strips. Ctrl-C here interrupts the statement
 * (SIGUSR1 to mpirun, which forwards it) instead of ending the job. */
#define _GNU_SOURCE /* prctl */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "repl.h"

#define QUIET_MS 30 /* after a prompt, output of other ranks that mpirun is late with */

static volatile sig_atomic_t got_sigint;
static void on_sigint(int sig) { (void)sig, got_sigint = 1; }

/* While a statement runs, the terminal stays out of line mode and without echo: lines
 * typed ahead wait there and appear once, when the editor reads them, and a Ctrl-D
 * typed ahead stays a byte for the editor (line mode would swallow it). The editor
 * restores line mode whenever it returns, so this is applied after every line. */
static struct termios saved_tty;
static int tty_saved;

static void quiet_tty(void) {
  struct termios t;
  if (!tty_saved) {
    if (tcgetattr(0, &saved_tty)) return;
    tty_saved = 1;
  }
  if (tcgetattr(0, &t)) return;
  t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL);
  t.c_cc[VMIN] = 1, t.c_cc[VTIME] = 0;
  tcsetattr(0, TCSANOW, &t);
}

static void restore_tty(void) {
  if (tty_saved) tcsetattr(0, TCSANOW, &saved_tty);
}

/* The terminal went away (or someone ended this process): end the job with it, or the
 * ranks would wait for lines that never come. */
static pid_t job;
static void on_hangup(int sig) {
  kill(job, SIGTERM);
  restore_tty();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* mpirun, its own arguments ($HEATLUA_MPIRUN, split at blanks), -n N, this executable,
 * flag (if any), then the arguments for the ranks; NULL-terminated, NULL without memory.
 * The strings point into words and argv. */
static char **build_argv(char *words, const char *nprocs, char *self, const char *flag,
                         int argc, char **argv) {
  size_t max = strlen(words) / 2 + 1 + (size_t)argc + 6;
  char **out = malloc(max * sizeof *out);
  if (!out) return NULL;
  size_t n = 0;
  for (char *w = strtok(words, " \t"); w; w = strtok(NULL, " \t")) out[n++] = w;
  if (n == 0) out[n++] = "mpirun";
  out[n++] = "-n";
  out[n++] = (char *)nprocs;
  out[n++] = self;
  if (flag) out[n++] = (char *)flag;
  for (int i = 0; i < argc; i++) out[n++] = argv[i];
  out[n] = NULL;
  return out;
}

static void write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, s, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return; /* the job ended: the read side reports it */
    s += k, n -= (size_t)k;
  }
}

/* Copies the child's output to stdout and finds rank 0's prompt marker in it. */
typedef struct {
  size_t matched;     /* bytes of LHT_PROMPT_MARK seen so far */
  int in_prompt;
  char prompt[64];
  size_t plen;
} scanner;

/* Returns 1 when a complete prompt went by (the text stays in s->prompt). */
static int scan(scanner *s, const char *buf, size_t n) {
  static const char mark[] = LHT_PROMPT_MARK;
  const size_t mlen = sizeof mark - 1;
  int found = 0;
  size_t start = 0; /* first byte of buf not yet written out */
  for (size_t i = 0; i < n; i++) {
    char c = buf[i];
    if (s->in_prompt) {
      if (c == LHT_PROMPT_END) {
        s->prompt[s->plen] = '\0';
        s->in_prompt = 0, found = 1, start = i + 1;
      } else if (s->plen + 1 < sizeof s->prompt) {
        s->prompt[s->plen++] = c;
      }
      continue;
    }
    if (c == mark[s->matched]) {
      if (s->matched == 0) write_all(1, buf + start, i - start);
      if (++s->matched == mlen) s->in_prompt = 1, s->plen = 0, s->matched = 0;
      start = i + 1;
      continue;
    }
    if (s->matched) { /* a false start: the held bytes were output after all */
      write_all(1, mark, s->matched);
      s->matched = 0;
      start = i;
      if (c == mark[0]) {
        s->matched = 1;
        start = i + 1;
      }
    }
  }
  if (!s->in_prompt && !s->matched) write_all(1, buf + start, n - start);
  return found;
}

/* Copies output until rank 0 asks for a line (1) or the job's output ends (0). Ctrl-C
 * meanwhile interrupts the running statement on every rank. */
static int wait_prompt(int fd, pid_t child, scanner *s) {
  int found = 0;
  for (;;) {
    if (got_sigint) got_sigint = 0, kill(child, SIGUSR1);
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, found ? QUIET_MS : -1);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return 1; /* quiet after the prompt: show it */
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    found |= scan(s, buf, (size_t)n);
  }
}

static int exit_status(pid_t child) {
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return 1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

static int editor_loop(int to_child, int from_child, pid_t child) {
  lht_editor *ed = lht_editor_open("heatlua");
  if (!ed) {
    fprintf(stderr, "heatlua: cannot start the line editor\n");
    close(to_child);
  }
  scanner s = {0};
  quiet_tty();
  while (ed && wait_prompt(from_child, child, &s)) {
    lht_line_status st;
    got_sigint = 0;
    const char *line = lht_editor_gets(ed, s.prompt, &st);
    if (st == LHT_LINE_EOF) {
      fputs("\n", stdout);
      fflush(stdout);
      break;
    }
    if (st == LHT_LINE_INTERRUPTED) {
      fputs("\n", stdout);
      fflush(stdout);
      line = LHT_CANCEL_LINE; /* rank 0 drops the unfinished chunk and asks again */
    } else {
      lht_editor_add_history(ed, line);
    }
    quiet_tty();
    write_all(to_child, line, strlen(line));
    write_all(to_child, "\n", 1);
  }
  lht_editor_close(ed);
  if (ed) close(to_child); /* end of input: every rank leaves the REPL */
  char buf[8192];
  ssize_t n;
  while ((n = read(from_child, buf, sizeof buf)) != 0)
    if (n > 0) scan(&s, buf, (size_t)n);
    else if (errno != EINTR) break;
  return exit_status(child);
}

int lht_front(const char *argv0, const char *nprocs, int argc, char **argv, int want_repl) {
  char *words = strdup(getenv("HEATLUA_MPIRUN") ? getenv("HEATLUA_MPIRUN") : "mpirun");
  char self[4096];
  ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
  if (k > 0) self[k] = '\0';
  else snprintf(self, sizeof self, "%s", argv0);
  /* without a terminal there is nothing to edit: the ranks read stdin's lines (-i), and
   * heatlua -n 4 script.lua is just mpirun -n 4 heatlua script.lua */
  int interactive = want_repl && isatty(0) && isatty(1);
  const char *flag = interactive ? "--serve-stdin" : want_repl ? "-i" : NULL;
  /* the ranks report their failures themselves (one message, heatlua.c): mpirun's own
   * banners after a non-zero status would only repeat it */
  setenv("OMPI_MCA_orte_execute_quiet", "1", 0);
  char **args = words ? build_argv(words, nprocs, self, flag, argc, argv) : NULL;
  if (!args) {
    fprintf(stderr, "heatlua: out of memory\n");
    return 1;
  }
  if (!interactive) {
    execvp(args[0], args);
    fprintf(stderr, "heatlua: cannot run %s: %s\n", args[0], strerror(errno));
    return 127;
  }

  int in[2], out[2];
  if (pipe(in) || pipe(out)) {
    perror("heatlua: pipe");
    return 1;
  }
  pid_t front_pid = getpid();
  pid_t child = fork();
  if (child < 0) {
    perror("heatlua: fork");
    return 1;
  }
  if (child == 0) {
    /* its own process group: Ctrl-C in the terminal reaches this process only */
    setpgid(0, 0);
    /* this process dying in any way (Ctrl-\, SIGKILL) sends mpirun SIGTERM, which ends
     * every rank; a front that died before the call is seen as a new parent */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != front_pid) _exit(1);
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    execvp(args[0], args);
    fprintf(stderr, "heatlua: cannot run %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  setpgid(child, child);
  close(in[0]), close(out[1]);
  free(args);
  free(words);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint; /* no SA_RESTART: Ctrl-C must end the editor's read */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  job = child;
  signal(SIGHUP, on_hangup);
  signal(SIGTERM, on_hangup);
  signal(SIGPIPE, SIG_IGN); /* a job that died: its output's end reports it */
  int rc = editor_loop(in[1], out[0], child);
  restore_tty();
  return rc;
}
