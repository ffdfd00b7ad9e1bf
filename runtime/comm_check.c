/* The collective checker and watchdog (issue 13): in checking mode every runtime collective
 * first agrees, on a communicator of its own, on a signature (the operation and the Lua
 * call site), waiting with a deadline; a mismatch is an error on every rank, a rank that
 * waits too long reports where every rank is and ends the job. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "comm.h"
#include "error.h"

#define SIG_BYTES 240
#define SITE_BYTES 96
enum { TAG_STOP = 11, TAG_WATCH = 12 };

/* What one rank tells the others: how many checks it passed, and a line of text. */
typedef struct {
  int64_t seq;
  char text[SIG_BYTES];
} note;

static MPI_Comm ccomm = MPI_COMM_NULL; /* never carries user data */
static double limit_s;                 /* watchdog deadline, 0: none */
static int64_t seq;                    /* checks entered on ccomm */
static int64_t *stopped_at;            /* per rank: checks it passed before it stopped */
static note *stop_notes;               /* per rank: why it stopped */
static int unchecked, abandoned;
static ht_comm_site_fn site_fn;

void ht_comm_set_site_fn(ht_comm_site_fn fn) { site_fn = fn; }
bool ht_comm_checking(void) { return ccomm != MPI_COMM_NULL && !unchecked; }
double ht_comm_watchdog_limit(void) { return ccomm != MPI_COMM_NULL ? limit_s : 0; }
void ht_comm_unchecked(int delta) { unchecked += delta; }
bool ht_comm_check_abandoned(void) { return abandoned; }

int ht_comm_check_env(int dflt) {
  const char *c = getenv("HEATLUA_CHECK"), *w = getenv("HEATLUA_WATCHDOG");
  if (c && *c) return strcmp(c, "0") != 0;
  if (w && *w) return 1;
  return dflt;
}

static void forget_notes(void) {
  int p = ht_comm_size();
  seq = 0;
  for (int r = 0; r < p; r++) stopped_at[r] = INT64_MAX;
}

int ht_comm_set_checking(int on) {
  int p = ht_comm_size();
  if (!on || p == 1) { /* at one rank every collective is local: nothing to check */
    if (ccomm != MPI_COMM_NULL) MPI_Comm_free(&ccomm);
    ccomm = MPI_COMM_NULL;
    return 0;
  }
  const char *w = getenv("HEATLUA_WATCHDOG");
  limit_s = w && *w ? atof(w) : 60.0;
  if (limit_s < 0) limit_s = 0;
  if (ccomm != MPI_COMM_NULL) return 0;
  if (!stopped_at) {
    stopped_at = ht_meta_alloc(sizeof(int64_t) * (size_t)p, "collective checking");
    stop_notes = ht_meta_calloc((size_t)p, sizeof(note), "collective checking");
  }
  if (MPI_Comm_dup(ht_comm(), &ccomm) != MPI_SUCCESS)
    return ccomm = MPI_COMM_NULL, ht_error("collective checking: MPI_Comm_dup failed");
  forget_notes();
  return 0;
}

int ht_comm_check_reset(void) {
  if (ccomm == MPI_COMM_NULL) return 0;
  MPI_Comm_free(&ccomm); /* an abandoned check's request dies with it */
  ccomm = MPI_COMM_NULL;
  abandoned = 0;
  if (MPI_Comm_dup(ht_comm(), &ccomm) != MPI_SUCCESS)
    return ccomm = MPI_COMM_NULL, ht_error("collective checking: MPI_Comm_dup failed");
  forget_notes();
  return 0;
}

/* FNV-1a, 64 bits. */
static uint64_t hash(uint64_t h, const char *s) {
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
  return h;
}

/* A note to every other rank; the sends are never waited for (the receivers may be gone). */
static void tell_all(int tag, const note *n) {
  static MPI_Request *reqs;
  static note sent[2];
  int p = ht_comm_size(), me = ht_comm_rank(), k = tag == TAG_STOP ? 0 : 1;
  if (!reqs) reqs = ht_meta_alloc(sizeof *reqs * (size_t)p, "collective checking");
  sent[k] = *n;
  for (int r = 0; r < p; r++)
    if (r != me) MPI_Isend(&sent[k], sizeof sent[k], MPI_BYTE, r, tag, ccomm, &reqs[r]);
}

void ht_comm_check_stopped(const char *why) {
  if (ccomm == MPI_COMM_NULL) return;
  note n = {seq, {0}};
  snprintf(n.text, sizeof n.text, "%s", why ? why : "error");
  char *nl = strchr(n.text, '\n');
  if (nl) *nl = 0;
  tell_all(TAG_STOP, &n);
}

/* The watchdog's end: tells the others (unless they told us), waits a moment for their
 * reports, prints where this rank is, and, from the lowest reporting rank, which ranks
 * never reported (they are not in a collective); then ends the job. */
static _Noreturn void fire(const char *where, double waited, int told_by) {
  int p = ht_comm_size(), me = ht_comm_rank();
  note n = {seq, {0}};
  snprintf(n.text, sizeof n.text, "%s", where);
  tell_all(TAG_WATCH, &n);
  char *heard = ht_meta_calloc((size_t)p, 1, "watchdog");
  heard[me] = 1;
  if (told_by >= 0) heard[told_by] = 1;
  const char *in = strncmp(where, "at ", 3) ? "in " : ""; /* "at the end of the run" */
  if (told_by < 0)
    fprintf(stderr, "heatlua: rank %d: watchdog: waited %.1f s %s%s\n", me, waited, in, where);
  else
    fprintf(stderr, "heatlua: rank %d: watchdog (rank %d waited past the limit): this rank is "
                    "%s%s\n", me, told_by, in, where);
  fflush(stderr);
  double t0 = ht_comm_wtime(), grace = limit_s > 0 && limit_s < 2 ? limit_s : 2;
  struct timespec nap = {0, 2000000};
  while (ht_comm_wtime() - t0 < grace) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, ccomm, &flag, &st);
    if (!flag) {
      nanosleep(&nap, NULL);
      continue;
    }
    note in;
    MPI_Recv(&in, sizeof in, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, ccomm, MPI_STATUS_IGNORE);
    heard[st.MPI_SOURCE] = 1;
  }
  int lowest = 0;
  while (!heard[lowest]) lowest++;
  if (lowest == me) {
    char list[256] = "";
    size_t len = 0;
    for (int r = 0; r < p && len + 16 < sizeof list; r++)
      if (!heard[r]) len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", len ? "," : "", r);
    if (len)
      fprintf(stderr, "heatlua: watchdog: rank%s %s reached no collective (a loop in Lua, or the "
                      "script took another path there)\n", strchr(list, ',') ? "s" : "", list);
    fprintf(stderr, "heatlua: watchdog: ending the job (HEATLUA_WATCHDOG=%g s)\n", limit_s);
  }
  fflush(stderr);
  nanosleep(&(struct timespec){0, 300000000}, NULL); /* let the others print */
  MPI_Abort(MPI_COMM_WORLD, 1);
  abort();
}

/* Takes the notes that arrived: a watchdog report ends the job from here too; a rank that
 * stopped before the check `mine` (which it will never reach) makes this check fail. */
static int take_notes(const char *where, int64_t mine) {
  int p = ht_comm_size();
  for (;;) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, ccomm, &flag, &st);
    if (!flag) break;
    note in;
    MPI_Recv(&in, sizeof in, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, ccomm, MPI_STATUS_IGNORE);
    if (st.MPI_TAG == TAG_WATCH) fire(where, 0, st.MPI_SOURCE);
    stopped_at[st.MPI_SOURCE] = in.seq;
    stop_notes[st.MPI_SOURCE] = in;
  }
  for (int r = 0; r < p && mine > 0; r++)
    if (stopped_at[r] < mine) {
      abandoned = 1;
      return ht_error("%s: rank %d stopped before it (%s)", where, r, stop_notes[r].text);
    }
  return 0;
}

void ht_comm_watchdog_poll(const char *where, double since) {
  if (ccomm == MPI_COMM_NULL) return;
  take_notes(where, 0);
  double waited = ht_comm_wtime() - since;
  if (limit_s > 0 && waited > limit_s) fire(where, waited, -1);
}

/* Waits for req, polling: spins first, then naps so that waiting ranks leave the cores to
 * the ranks still computing. */
static int wait_req(MPI_Request *req, const char *where, int64_t mine) {
  struct timespec nap = {0, 50000};
  double t0 = 0;
  for (long i = 0;; i++) {
    int done = 0;
    MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (done) return 0;
    if ((i & 63) != 63) continue;
    if (take_notes(where, mine)) return -1;
    double t = ht_comm_wtime();
    if (t0 == 0) t0 = t;
    if (limit_s > 0 && t - t0 > limit_s) fire(where, t - t0, -1);
    if (t - t0 > 0.002) nanosleep(&nap, NULL);
  }
}

/* "rank 0 called ...; ranks 1-2 called ...": each distinct signature once. */
static void mismatch_message(const char *all, int p) {
  char msg[1000];
  size_t len = (size_t)snprintf(msg, sizeof msg, "collective mismatch:");
  char *done = ht_meta_calloc((size_t)p, 1, "collective checking");
  for (int r = 0; r < p && len < sizeof msg; r++) {
    if (done[r]) continue;
    const char *s = all + (size_t)r * SIG_BYTES;
    char ranks[64];
    size_t k = 0;
    int count = 0;
    for (int q = r; q < p; q++)
      if (!done[q] && !strcmp(s, all + (size_t)q * SIG_BYTES)) {
        done[q] = 1, count++;
        if (k + 8 < sizeof ranks) k += (size_t)snprintf(ranks + k, sizeof ranks - k, "%s%d", k ? "," : "", q);
      }
    len += (size_t)snprintf(msg + len, sizeof msg - len, "%s rank%s %s called %s",
                            r ? ";" : "", count > 1 ? "s" : "", ranks, s);
  }
  free(done);
  ht_error("%s", msg);
}

int ht_comm_check(const char *fmt, ...) {
  if (!ht_comm_checking()) return 0;
  char op[128], name[SITE_BYTES] = "", args[SITE_BYTES] = "", where[SITE_BYTES] = "?";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(op, sizeof op, fmt, ap);
  va_end(ap);
  if (site_fn) site_fn(name, args, where, SITE_BYTES);
  note mine = {++seq, {0}};
  snprintf(mine.text, sizeof mine.text, "%s%s%s%s%s%s at %s", op, *name ? " in " : "", name,
           *args ? "(" : "", args, *args ? ")" : "", where);
  if (take_notes(mine.text, mine.seq)) return -1;
  /* max of h and of ~h: every rank's h is the same iff max(h) == ~max(~h) */
  static uint64_t v[2]; /* static: an abandoned request may still own it */
  uint64_t h = hash(hash(hash(0xcbf29ce484222325ULL, op), args), where);
  v[0] = h, v[1] = ~h;
  MPI_Request req;
  if (MPI_Iallreduce(MPI_IN_PLACE, v, 2, MPI_UINT64_T, MPI_MAX, ccomm, &req) != MPI_SUCCESS)
    return ht_error("%s: the collective check failed", mine.text);
  if (wait_req(&req, mine.text, mine.seq)) return -1;
  if (v[0] == h && ~v[1] == h) return 0;
  int p = ht_comm_size();
  char *all = ht_meta_alloc((size_t)p * SIG_BYTES, "collective checking");
  MPI_Allgather(mine.text, SIG_BYTES, MPI_CHAR, all, SIG_BYTES, MPI_CHAR, ccomm);
  mismatch_message(all, p);
  free(all);
  return -1;
}

const char *ht_comm_op_name(MPI_Op op) {
  return op == MPI_SUM ? "sum" : op == MPI_MAX ? "max" : op == MPI_MIN ? "min"
       : op == MPI_PROD ? "prod" : op == MPI_LAND ? "land" : op == MPI_LOR ? "lor"
       : op == MPI_BAND ? "band" : op == MPI_BOR ? "bor" : op == MPI_MAXLOC ? "maxloc"
       : op == MPI_MINLOC ? "minloc" : "user op";
}
