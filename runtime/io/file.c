/* Files for the loaders and savers: MPI-IO transfers in pieces, readable-file checks, and
 * the atomic save protocol (write a temporary next to the target, rename it at the end). */
#define _GNU_SOURCE
#include "iofile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "comm.h"
#include "error.h"

/* MPI counts are int: no single call moves more than this. */
#define HT_IO_PIECE ((int64_t)1 << 30)

static const char *mode_name(ht_save_mode m) {
  switch (m) {
    case HT_SAVE_REPLACE: return "w";
    case HT_SAVE_NEW: return "w-";
    case HT_SAVE_APPEND: return "a";
    default: return "r+";
  }
}

int ht_io_parse_mode(const char *mode, bool allow_modify, const char *fn, ht_save_mode *out) {
  if (!mode || !strcmp(mode, "w")) return *out = HT_SAVE_REPLACE, 0;
  if (!strcmp(mode, "w-") || !strcmp(mode, "x")) return *out = HT_SAVE_NEW, 0;
  if (allow_modify && !strcmp(mode, "a")) return *out = HT_SAVE_APPEND, 0;
  if (allow_modify && !strcmp(mode, "r+")) return *out = HT_SAVE_UPDATE, 0;
  return ht_error("%s: mode must be one of %s, got '%s'", fn,
                  allow_modify ? "\"w\", \"w-\", \"x\", \"a\", \"r+\"" : "\"w\", \"w-\", \"x\"",
                  mode);
}

/* ---- the atomic save protocol ---- */

static void split_path(const char *path, char *dir, size_t dsize, const char **base) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    snprintf(dir, dsize, ".");
    *base = path;
  } else {
    snprintf(dir, dsize, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    *base = slash + 1;
  }
}

static int copy_file(const char *from, const char *to, mode_t perm, const char *fn) {
  int in = open(from, O_RDONLY), out = -1, status = 0;
  if (in < 0) return ht_error("%s: cannot read '%s': %s", fn, from, strerror(errno));
  out = open(to, O_WRONLY | O_CREAT | O_TRUNC, perm);
  if (out < 0) {
    status = ht_error("%s: cannot create '%s': %s", fn, to, strerror(errno));
    goto done;
  }
  /* copy_file_range stays in the kernel; older kernels and some file systems refuse it */
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
    if (n == 0) goto done;
    if (n < 0) break;
  }
  if (lseek(in, 0, SEEK_SET) < 0 || ftruncate(out, 0) < 0 || lseek(out, 0, SEEK_SET) < 0) {
    status = ht_error("%s: cannot copy '%s': %s", fn, from, strerror(errno));
    goto done;
  }
  static char buf[1 << 20];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0 || write(out, buf, (size_t)n) != n) {
      status = ht_error("%s: cannot copy '%s' to '%s': %s", fn, from, to, strerror(errno));
      break;
    }
  }
done:
  close(in);
  if (out >= 0 && close(out) && !status)
    status = ht_error("%s: cannot write '%s': %s", fn, to, strerror(errno));
  return status;
}

/* Temporaries of earlier saves of this target that were killed midway: named
 * .BASE.tmpPID.X, their process gone from this host and untouched for a minute (a save
 * running on another host of a shared file system keeps its file fresh). */
static void remove_stale(const char *dir, const char *base) {
  DIR *d = opendir(dir);
  if (!d) return;
  char prefix[HT_IO_PATHMAX], full[HT_IO_PATHMAX];
  int n = snprintf(prefix, sizeof prefix, ".%s.tmp", base);
  time_t now = time(NULL);
  for (struct dirent *e; (e = readdir(d));) {
    char *end;
    if (n <= 0 || (size_t)n >= sizeof prefix || strncmp(e->d_name, prefix, (size_t)n)) continue;
    long pid = strtol(e->d_name + n, &end, 10);
    struct stat st;
    if (end == e->d_name + n || *end != '.' || pid <= 0) continue;
    if ((size_t)snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= sizeof full) continue;
    if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > 60) unlink(full);
  }
  closedir(d);
}

/* Rank 0's half of ht_io_begin: the file-system checks and the temporary. */
static int plan(ht_io_target *t, const char *fn) {
  struct stat st;
  bool exists = stat(t->path, &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return ht_error("%s: '%s' is a directory", fn, t->path);
  if (t->mode == HT_SAVE_NEW && exists)
    return ht_error("%s: '%s' exists and mode \"%s\" does not overwrite it (mode \"w\" does)",
                    fn, t->path, mode_name(t->mode));
  if (t->mode == HT_SAVE_UPDATE && !exists)
    return ht_error("%s: '%s' does not exist (mode \"r+\" needs an existing file, \"a\" "
                    "creates one)", fn, t->path);
  t->create = !(exists && (t->mode == HT_SAVE_APPEND || t->mode == HT_SAVE_UPDATE));
  if (!t->atomic) {
    snprintf(t->work, sizeof t->work, "%s", t->path);
    return 0;
  }
  char dir[HT_IO_PATHMAX];
  const char *base;
  split_path(t->path, dir, sizeof dir, &base);
  remove_stale(dir, base);
  static unsigned counter;
  for (int attempt = 0;; attempt++) {
    int len = snprintf(t->work, sizeof t->work, "%s/.%s.tmp%ld.%x%x", dir, base,
                       (long)getpid(), (unsigned)time(NULL) & 0xffffu, counter++);
    if (len < 0 || (size_t)len >= sizeof t->work)
      return ht_error("%s: path '%s' is too long for a temporary name beside it", fn, t->path);
    /* reserving the name also proves the folder is writable */
    int fd = open(t->work, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd >= 0) {
      close(fd);
      break;
    }
    if (errno != EEXIST || attempt > 100)
      return ht_error("%s: cannot create a file in '%s': %s", fn, dir, strerror(errno));
  }
  if (!t->create && copy_file(t->path, t->work, st.st_mode & 07777, fn)) {
    unlink(t->work);
    return -1;
  }
  return 0;
}

int ht_io_begin(ht_io_target *t, const char *path, ht_save_mode mode, bool atomic,
                const char *fn) {
  memset(t, 0, sizeof *t);
  int status = 0;
  if (strlen(path) + 64 >= HT_IO_PATHMAX) status = ht_error("%s: the path is too long", fn);
  else if (!*path) status = ht_error("%s: the path is empty", fn);
  snprintf(t->path, sizeof t->path, "%s", path);
  t->mode = mode;
  t->atomic = atomic;
  if (!status && ht_comm_rank() == 0) status = plan(t, fn);
  if (ht_comm_agree(status)) return -1;
  int64_t create = t->create;
  if (ht_comm_bcast(t->work, sizeof t->work, 0) || ht_comm_bcast(&create, sizeof create, 0))
    return -1;
  t->create = create;
  return 0;
}

static void sync_dir(const char *path) {
  char dir[HT_IO_PATHMAX];
  const char *base;
  split_path(path, dir, sizeof dir, &base);
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) fsync(fd), close(fd);
}

static int flush(const char *path, const char *fn) {
  int fd = open(path, O_RDONLY);
  if (fd < 0 || fsync(fd)) {
    int e = errno;
    if (fd >= 0) close(fd);
    if (e != EINVAL && e != EROFS) /* file systems without fsync are not an error */
      return ht_error("%s: cannot flush '%s': %s", fn, path, strerror(e));
  } else {
    close(fd);
  }
  return 0;
}

/* The file a save replaced, unlinked by a thread of its own: freeing a large file's
 * page-cache pages costs the unlink ~0.05 ms per MiB. At most one is pending; the next
 * commit and the process's exit wait for it, so none outlives the process (a killed
 * process leaves a .BASE.tmpPID.X name that remove_stale deletes later). */
#define HT_IO_REAP_BYTES ((off_t)8 << 20)
static pthread_t reaper;
static bool reaping;
static char reap_path[HT_IO_PATHMAX];

static void *reap(void *path) {
  unlink(path);
  return NULL;
}

static void reap_wait(void) {
  if (reaping) pthread_join(reaper, NULL);
  reaping = false;
}

static void reap_later(const char *path) {
  static bool registered;
  struct stat st;
  reap_wait();
  if (!registered) registered = atexit(reap_wait) == 0;
  snprintf(reap_path, sizeof reap_path, "%s", path);
  if (registered && lstat(path, &st) == 0 && st.st_size >= HT_IO_REAP_BYTES &&
      pthread_create(&reaper, NULL, reap, reap_path) == 0)
    reaping = true;
  else
    unlink(path);
}

/* Puts the finished temporary at the target's name. A plain rename over an existing file
 * costs on ext4 what the old file's pages cost to free plus a flush that the replace-by-
 * rename heuristic (auto_da_alloc) starts for the new one, ~40 ms for 64 MiB; exchanging
 * the two names is atomic as well, costs neither, and leaves the old file under the
 * temporary's name to be unlinked off the critical path. */
static int replace(ht_io_target *t) {
  struct stat st;
  /* a folder that appeared at the name must make rename fail, not be exchanged */
  if (lstat(t->path, &st) == 0 && !S_ISDIR(st.st_mode) &&
      renameat2(AT_FDCWD, t->work, AT_FDCWD, t->path, RENAME_EXCHANGE) == 0) {
    reap_later(t->work);
    return 0;
  }
  /* no old file, or a file system (or kernel) that cannot exchange: EINVAL, ENOSYS */
  return rename(t->work, t->path);
}

/* Rank 0's half of ht_io_finish on success. */
static int commit(ht_io_target *t, const char *fn) {
  reap_wait();
  /* sync: durable before it takes the name, so that a power loss or a kernel crash also
   * leaves the old file or the whole new one */
  if (t->sync && flush(t->work, fn)) return -1;
  if (t->mode == HT_SAVE_NEW) {
    /* link() refuses to replace a file that appeared while we wrote; rename would not */
    if (link(t->work, t->path) == 0) {
      unlink(t->work);
      if (t->sync) sync_dir(t->path);
      return 0;
    }
    if (errno == EEXIST)
      return ht_error("%s: '%s' was created by someone else while saving; mode \"w-\" does "
                      "not overwrite it", fn, t->path);
    struct stat st;
    if (stat(t->path, &st) == 0)
      return ht_error("%s: '%s' exists and mode \"w-\" does not overwrite it", fn, t->path);
  }
  if (replace(t))
    return ht_error("%s: cannot rename '%s' to '%s': %s", fn, t->work, t->path, strerror(errno));
  if (t->sync) sync_dir(t->path);
  return 0;
}

int ht_io_finish(ht_io_target *t, int status, const char *fn) {
  if (ht_comm_agree(status)) {
    if (t->atomic && ht_comm_rank() == 0) unlink(t->work);
    return -1;
  }
  if (!t->atomic) /* written in place: only the data can be made durable */
    return ht_comm_agree(t->sync && ht_comm_rank() == 0 ? flush(t->path, fn) : 0);
  status = ht_comm_rank() == 0 ? commit(t, fn) : 0;
  if (status && ht_comm_rank() == 0) unlink(t->work);
  return ht_comm_agree(status);
}

/* ---- MPI-IO ---- */

static int mpi_fail(const char *fn, const char *what, const char *path, int rc) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return ht_error("%s: %s '%s': %s", fn, what, path, msg);
}

int ht_io_check_readable(const char *path, const char *fn) {
  struct stat st;
  int status = 0;
  if (stat(path, &st))
    status = ht_error("%s: cannot open '%s': %s", fn, path, strerror(errno));
  else if (S_ISDIR(st.st_mode))
    status = ht_error("%s: '%s' is a directory", fn, path);
  else if (access(path, R_OK))
    status = ht_error("%s: cannot read '%s': %s", fn, path, strerror(errno));
  return ht_comm_agree(status);
}

int ht_io_open(const char *path, int amode, MPI_File *fh, const char *fn) {
  int rc = MPI_File_open(ht_comm(), path, amode, MPI_INFO_NULL, fh);
  /* A rank whose open succeeded while another's failed keeps its handle: closing is
   * collective and would wait for the failed ranks forever. */
  return ht_comm_agree(rc == MPI_SUCCESS ? 0 : mpi_fail(fn, "cannot open", path, rc));
}

int ht_io_close(MPI_File *fh, const char *path, const char *fn) {
  int rc = MPI_File_close(fh);
  return ht_comm_agree(rc == MPI_SUCCESS ? 0 : mpi_fail(fn, "cannot close", path, rc));
}

int ht_io_file_size(MPI_File fh, int64_t *size, const char *path, const char *fn) {
  MPI_Offset s = 0;
  int rc = MPI_File_get_size(fh, &s);
  *size = (int64_t)s;
  return rc == MPI_SUCCESS ? 0 : mpi_fail(fn, "cannot get the size of", path, rc);
}

typedef int (*piece_fn)(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Status *);

static int write_piece(MPI_File fh, MPI_Offset off, void *buf, int n, MPI_Datatype t,
                       MPI_Status *st) {
  return MPI_File_write_at_all(fh, off, buf, n, t, st);
}

static int transfer(MPI_File fh, int64_t off, char *buf, int64_t n, piece_fn io,
                    const char *what, const char *path, const char *fn) {
  int64_t calls = (n + HT_IO_PIECE - 1) / HT_IO_PIECE;
  if (ht_comm_allreduce_i64(&calls, 1, MPI_MAX)) return -1;
  int status = 0;
  for (int64_t k = 0; k < calls; k++) {
    int64_t done = k * HT_IO_PIECE;
    int count = done < n ? (int)(n - done < HT_IO_PIECE ? n - done : HT_IO_PIECE) : 0;
    MPI_Status st;
    /* a rank that failed still takes part, with nothing to move */
    if (status) count = 0;
    int rc = io(fh, (MPI_Offset)(off + (count ? done : 0)), count ? buf + done : buf, count,
                MPI_BYTE, &st);
    if (status || !count) continue;
    int got = 0;
    if (rc != MPI_SUCCESS) {
      status = mpi_fail(fn, what, path, rc);
    } else if (MPI_Get_count(&st, MPI_BYTE, &got) != MPI_SUCCESS || got != count) {
      status = ht_error("%s: '%s' is shorter than expected: %d of %d bytes at offset %" PRId64,
                        fn, path, got, count, off + done);
    }
  }
  return status;
}

int ht_io_read_at_all(MPI_File fh, int64_t off, void *buf, int64_t n, const char *path,
                      const char *fn) {
  return transfer(fh, off, buf, n, MPI_File_read_at_all, "cannot read", path, fn);
}

int ht_io_write_at_all(MPI_File fh, int64_t off, const void *buf, int64_t n,
                       const char *path, const char *fn) {
  return transfer(fh, off, (char *)buf, n, write_piece, "cannot write", path, fn);
}
