/* The communication layer: one MPI communicator, 64-bit counts, chunked large messages. */
#ifndef HT_COMM_H
#define HT_COMM_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

/* Initialises MPI if nobody did (thread level FUNNELED); idempotent. Without a launcher
 * (mpirun, srun) the process is one rank and MPI starts on the first ht_comm() call
 * (HEATLUA_EAGER_MPI=1 starts it at once). */
int ht_comm_init(int *argc, char ***argv);
void ht_comm_finalize(void);
/* The communicator; starts MPI in a lazy one-rank process. */
MPI_Comm ht_comm(void);
/* Whether MPI runs (false in a one-rank process that has not needed it yet). */
bool ht_comm_started(void);
/* Seconds on a monotonic clock (MPI_Wtime needs MPI started). */
double ht_comm_wtime(void);
int ht_comm_rank(void);
int ht_comm_size(void);
MPI_Datatype ht_mpi_type(ht_dtype t);

/* Balanced block distribution: the first n % p ranks get one extra. */
void ht_block_counts(int64_t n, int p, int64_t *counts);
/* Rows before rank r: where rank r's block starts along a distribution with these counts. */
static inline int64_t ht_rank_lo(const int64_t *counts, int r) {
  int64_t s = 0;
  for (int q = 0; q < r; q++) s += counts[q];
  return s;
}
/* Prefix sums: displs[r] = sum of counts[0..r). */
void ht_counts_to_displs(const int64_t *counts, int p, int64_t *displs);

/* Collectives on 64-bit counts; messages past INT_MAX are split. All return 0 or -1. */
int ht_comm_allreduce(void *buf, int64_t count, ht_dtype t, MPI_Op op);
int ht_comm_allreduce_i64(int64_t *buf, int64_t count, MPI_Op op);
/* The same for count items of item_bytes each, of MPI datatype dt: pieces hold whole
 * items, so a user op (an exact sum of superaccumulators) always sees whole ones. */
int ht_comm_allreduce_items(void *buf, int64_t count, int64_t item_bytes, MPI_Datatype dt,
                            MPI_Op op);
/* Exclusive prefix over the ranks (MPI_Exscan): rank r gets the op over ranks 0..r-1;
 * for sums and products rank 0 gets the identity. The _items form takes any datatype and
 * op (the exact sums' accumulators) and leaves rank 0's buffer as it was. */
int ht_comm_exscan(void *buf, int64_t count, ht_dtype t, MPI_Op op);
int ht_comm_exscan_items(void *buf, int64_t count, int64_t item_bytes, MPI_Datatype dt,
                         MPI_Op op);
/* The MPI datatype and op (an exact sum) of the exact sums' superaccumulators
 * (cpu/binned.h's ht_xacc), for ht_comm_allreduce_items and ht_comm_exscan_items. */
void ht_comm_xacc_type(MPI_Datatype *type, MPI_Op *op);
int ht_comm_bcast(void *buf, int64_t nbytes, int root);
/* Byte-level all-to-all-v: counts and displacements in bytes, one per rank. */
int ht_comm_alltoallv(const void *send, const int64_t *scounts, const int64_t *sdispls,
                      void *recv, const int64_t *rcounts, const int64_t *rdispls);
/* Every rank contributes sendbytes; recv gets them in rank order at rdispls. */
int ht_comm_allgatherv(const void *send, int64_t sendbytes, void *recv,
                       const int64_t *rcounts, const int64_t *rdispls);
int ht_comm_gatherv(const void *send, int64_t sendbytes, void *recv, const int64_t *rcounts,
                    const int64_t *rdispls, int root);
/* Sends sendbytes to dest while receiving recvbytes from src (a ring's shift). */
int ht_comm_sendrecv(const void *send, int64_t sendbytes, int dest, void *recv,
                     int64_t recvbytes, int src);
/* Sums (op) every rank's send and leaves on rank r the counts[r] elements that start at
 * displacement sum(counts[0..r)) of the result. */
int ht_comm_reduce_scatter(const void *send, void *recv, const int64_t *counts, ht_dtype t,
                           MPI_Op op);
int ht_comm_barrier(void);
/* Bytes this rank has sent to other ranks so far (for tests, the profiler and bench). */
int64_t ht_comm_bytes_sent(void);
/* The largest piece a message is sent in (HT_COMM_MAX_MSG at build time). */
int64_t ht_comm_max_msg(void);
/* Collective agreement on a local status: returns -1 on every rank if any rank passed
 * nonzero (the message of the lowest failing rank becomes everybody's error). */
int ht_comm_agree(int status);

/* ---- collective checking and the watchdog (comm_check.c; docs/reliability.md) ---- */
/* Whether checking is wanted: HEATLUA_CHECK=0/1 decides, else HEATLUA_WATCHDOG set means
 * on, else dflt (0 for scripts, 1 for the REPL). */
int ht_comm_check_env(int dflt);
/* Turns checking on or off (a no-op at one rank); turning it on is collective (it makes a
 * communicator of its own). The deadline is HEATLUA_WATCHDOG seconds (default 60, 0: none). */
int ht_comm_set_checking(int on);
bool ht_comm_checking(void);
double ht_comm_watchdog_limit(void);
/* Called by every checked collective: agrees on the signature fmt (the operation, with the
 * counts that must agree) plus the caller's site; -1 with a message naming every rank's
 * signature on a mismatch, or when a rank stopped before reaching it. */
int ht_comm_check(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ht_comm_op_name(MPI_Op op);
/* The caller's site, filled by the binding layer: the function called, a description of
 * its array arguments (part of the signature) and "file:line"; each buffer n bytes. */
typedef void (*ht_comm_site_fn)(char *name, char *args, char *where, size_t n);
void ht_comm_set_site_fn(ht_comm_site_fn fn);
/* delta +1/-1 around collectives that must not be checked (a REPL line's broadcast waits
 * for a person typing; the inner collectives of a checked one). */
void ht_comm_unchecked(int delta);
/* This rank leaves the statement or the script with an error (why): ranks waiting in a
 * check it will never reach stop waiting and fail (not collective). */
void ht_comm_check_stopped(const char *why);
/* Whether a check failed because another rank stopped before it (a secondary error). */
bool ht_comm_check_abandoned(void);
/* A fresh checking communicator after a failed statement (collective; the REPL). */
int ht_comm_check_reset(void);
/* For wait loops outside the runtime (the end of a run, the REPL's agreement): answers a
 * watchdog report from another rank, and fires the watchdog past the limit since `since`. */
void ht_comm_watchdog_poll(const char *where, double since);

/* Ends the whole job with "heatlua: rank R: msg" (printf-style): for failures that cannot
 * be agreed on, such as a small metadata allocation, where returning would hang the others. */
_Noreturn void ht_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A small metadata allocation (per-rank counts, request lists, headers): never NULL; a
 * failure ends the job through ht_fatal naming fn. Data-sized buffers are agreed instead. */
void *ht_meta_alloc(size_t nbytes, const char *fn);
void *ht_meta_calloc(size_t n, size_t size, const char *fn);

#endif
