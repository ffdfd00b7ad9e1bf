/* Plumbing shared by the loaders and savers of runtime/io/: MPI-IO transfers cut below
 * INT_MAX bytes per call, and the temporary-file protocol that makes every save atomic. */
#ifndef HT_IO_FILE_H
#define HT_IO_FILE_H

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

#include "array.h"

#define HT_IO_PATHMAX 4096

typedef enum {
  HT_SAVE_REPLACE, /* "w": a new file, replacing any old one */
  HT_SAVE_NEW,     /* "w-", "x": a new file; an existing one is an error */
  HT_SAVE_APPEND,  /* "a": add to the file, create it when missing */
  HT_SAVE_UPDATE   /* "r+": add to an existing file */
} ht_save_mode;

/* Parses a mode string; the modify modes (a, r+) only where allow_modify. */
int ht_io_parse_mode(const char *mode, bool allow_modify, const char *fn, ht_save_mode *out);

typedef struct ht_io_target {
  char path[HT_IO_PATHMAX]; /* the name the user asked for */
  char work[HT_IO_PATHMAX]; /* where the writer writes: a temporary, or path itself */
  ht_save_mode mode;
  bool atomic;
  bool sync;                /* fsync the file (and its folder) before it takes the name */
  bool create;              /* the writer creates work (else it opens it read-write) */
} ht_io_target;

/* Collective: checks the mode against what exists, picks a temporary name next to the
 * target (rank 0 decides, everybody learns it), copies an existing file the mode modifies.
 * Returns 0, or -1 on every rank. */
int ht_io_begin(ht_io_target *t, const char *path, ht_save_mode mode, bool atomic,
                const char *fn);
/* Collective: agrees on the writers' status; on success puts the temporary at the target's
 * name (durable first when t->sync, set after ht_io_begin), on failure removes it. Returns
 * the agreed outcome. */
int ht_io_finish(ht_io_target *t, int status, const char *fn);

/* Collective: every rank checks that path is a readable regular file (agreed). */
int ht_io_check_readable(const char *path, const char *fn);
/* Collective MPI_File_open on ht_comm(); the outcome is agreed. */
int ht_io_open(const char *path, int amode, MPI_File *fh, const char *fn);
/* Collective MPI_File_close; the outcome is agreed. */
int ht_io_close(MPI_File *fh, const char *path, const char *fn);
int ht_io_file_size(MPI_File fh, int64_t *size, const char *path, const char *fn);
/* Collective transfers of n bytes at byte offset off (n may differ per rank, even be 0);
 * each call moves at most 1 GiB and every rank makes the same number of calls. A short
 * read is an error. Both return the local status: agree on it before the next collective. */
int ht_io_read_at_all(MPI_File fh, int64_t off, void *buf, int64_t n, const char *path,
                      const char *fn);
int ht_io_write_at_all(MPI_File fh, int64_t off, const void *buf, int64_t n,
                       const char *path, const char *fn);

#endif
