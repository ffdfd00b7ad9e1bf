/* The communication layer over one MPI communicator: 64-bit counts, split messages. A
 * process started by hand (not by mpirun) is one rank that initialises MPI only when
 * something needs the communicator itself (MPI-IO, HDF5, the REPL): Open MPI's singleton
 * start costs 0.3 s, and at one rank every collective here is a local copy. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "comm.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpu/binned.h"
#include "error.h"

/* MPI counts are int; messages are cut into pieces of at most this many bytes, and
 * collectives past it take the split paths. Tests build with a small HT_COMM_MAX_MSG to
 * run those paths on small data (tests/runtime/test_comm.c). */
#ifndef HT_COMM_MAX_MSG
#define HT_COMM_MAX_MSG ((int64_t)1 << 30)
#endif
#define HT_MAX_MSG ((int64_t)(HT_COMM_MAX_MSG))

static MPI_Comm comm = MPI_COMM_NULL;
static int rank_ = 0, size_ = 1, we_initialised = 0, lazy = 0;
static int64_t bytes_sent;

int64_t ht_comm_bytes_sent(void) { return bytes_sent; }
int64_t ht_comm_max_msg(void) { return HT_MAX_MSG; }

/* Started by mpirun or srun: the launcher's environment, read before MPI_Init. */
static int launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
         getenv("PMI_SIZE");
}

static int start(int *argc, char ***argv) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    we_initialised = 1;
  }
  if (comm == MPI_COMM_NULL) {
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
    if (ht_comm_set_checking(ht_comm_check_env(0))) ht_fatal("%s", ht_errmsg());
  }
  return 0;
}

int ht_comm_init(int *argc, char ***argv) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited && !launched() && !getenv("HEATLUA_EAGER_MPI")) {
    lazy = 1; /* one rank until somebody asks for the communicator */
    return 0;
  }
  return start(argc, argv);
}

bool ht_comm_started(void) { return comm != MPI_COMM_NULL; }

double ht_comm_wtime(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void ht_comm_finalize(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized || comm == MPI_COMM_NULL) return; /* a lazy rank that never started MPI */
  ht_comm_set_checking(0);
  if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  comm = MPI_COMM_NULL;
  if (we_initialised) MPI_Finalize();
}

MPI_Comm ht_comm(void) {
  if (comm == MPI_COMM_NULL && lazy) start(NULL, NULL);
  return comm;
}
int ht_comm_rank(void) { return rank_; }
int ht_comm_size(void) { return size_; }

MPI_Datatype ht_mpi_type(ht_dtype t) {
  switch (t) {
    case HT_BOOL: return MPI_C_BOOL;
    case HT_UINT8: return MPI_UINT8_T;
    case HT_INT8: return MPI_INT8_T;
    case HT_INT16: return MPI_INT16_T;
    case HT_INT32: return MPI_INT32_T;
    case HT_INT64: return MPI_INT64_T;
    case HT_FLOAT32: return MPI_FLOAT;
    case HT_FLOAT64: return MPI_DOUBLE;
    default: return MPI_DATATYPE_NULL;
  }
}

void ht_block_counts(int64_t n, int p, int64_t *counts) {
  for (int r = 0; r < p; r++) counts[r] = n / p + (r < n % p ? 1 : 0);
}

void ht_counts_to_displs(const int64_t *counts, int p, int64_t *displs) {
  int64_t s = 0;
  for (int r = 0; r < p; r++) displs[r] = s, s += counts[r];
}

/* "float64", or "items of N bytes" for derived types (the exact sums' accumulators). */
static const char *type_name(MPI_Datatype dt, int64_t item_bytes) {
  static char buf[64];
  for (int t = 0; t < HT_NDTYPES; t++)
    if (ht_mpi_type((ht_dtype)t) == dt) return ht_dtype_name((ht_dtype)t);
  snprintf(buf, sizeof buf, "items of %lld bytes", (long long)item_bytes);
  return buf;
}

static int mpi_failed(const char *what, int rc) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return ht_error("%s: MPI error: %s", what, msg);
}

int ht_comm_allreduce(void *buf, int64_t count, ht_dtype t, MPI_Op op) {
  return ht_comm_allreduce_items(buf, count, (int64_t)ht_dtype_size(t), ht_mpi_type(t), op);
}

int ht_comm_allreduce_items(void *buf, int64_t count, int64_t item_bytes, MPI_Datatype dt,
                            MPI_Op op) {
  int64_t chunk = HT_MAX_MSG / item_bytes;
  char *p = buf;
  if (size_ == 1) return 0; /* the sum of one rank is its own */
  if (ht_comm_checking() && ht_comm_check("allreduce(%s) %s count=%lld", ht_comm_op_name(op),
                                          type_name(dt, item_bytes), (long long)count))
    return -1;
  if (chunk < 1) chunk = 1;
  if (size_ > 1) bytes_sent += count * item_bytes;
  /* Every rank has the same count, so every rank makes the same number of calls. */
  for (int64_t done = 0; done < count; done += chunk) {
    int n = (int)(count - done < chunk ? count - done : chunk);
    int rc = MPI_Allreduce(MPI_IN_PLACE, p + done * item_bytes, n, dt, op, comm);
    if (rc != MPI_SUCCESS) return mpi_failed("allreduce", rc);
  }
  return 0;
}

int ht_comm_allreduce_i64(int64_t *buf, int64_t count, MPI_Op op) {
  return ht_comm_allreduce(buf, count, HT_INT64, op);
}

int ht_comm_exscan(void *buf, int64_t count, ht_dtype t, MPI_Op op) {
  if (op != MPI_SUM && op != MPI_PROD) return ht_error("exscan: only sums and products");
  const int64_t item = (int64_t)ht_dtype_size(t);
  if (ht_comm_exscan_items(buf, count, item, ht_mpi_type(t), op)) return -1;
  if (rank_ == 0) /* MPI leaves rank 0's result undefined */
    for (int64_t k = 0; k < count; k++) ht_set_f64(t, (char *)buf + k * item, op == MPI_SUM ? 0 : 1);
  return 0;
}

int ht_comm_exscan_items(void *buf, int64_t count, int64_t item_bytes, MPI_Datatype dt,
                         MPI_Op op) {
  int64_t chunk = HT_MAX_MSG / item_bytes;
  char *p = buf;
  if (size_ == 1) return 0;
  if (ht_comm_checking() && ht_comm_check("exscan(%s) %s count=%lld", ht_comm_op_name(op),
                                          type_name(dt, item_bytes), (long long)count))
    return -1;
  if (chunk < 1) chunk = 1;
  bytes_sent += count * item_bytes;
  /* every rank has the same count, so every rank makes the same calls */
  for (int64_t done = 0; done < count; done += chunk) {
    int n = (int)(count - done < chunk ? count - done : chunk);
    int rc = MPI_Exscan(MPI_IN_PLACE, p + done * item_bytes, n, dt, op, comm);
    if (rc != MPI_SUCCESS) return mpi_failed("exscan", rc);
  }
  return 0;
}

/* Superaccumulators join exactly (integer addition), so in any order MPI picks. */
static void xacc_sum(void *in, void *inout, int *len, MPI_Datatype *dt) {
  const ht_xacc *a = in;
  ht_xacc *b = inout;
  (void)dt;
  for (int k = 0; k < *len; k++) ht_xacc_merge(&b[k], &a[k]);
}

void ht_comm_xacc_type(MPI_Datatype *type, MPI_Op *op) {
  static MPI_Datatype xtype;
  static MPI_Op xop;
  static bool made = false;
  if (!made) { /* once per process, on every rank alike: the callers are collective */
    MPI_Type_contiguous(HT_XACC_WORDS, MPI_INT64_T, &xtype);
    MPI_Type_commit(&xtype);
    MPI_Op_create(xacc_sum, 1, &xop);
    made = true;
  }
  *type = xtype, *op = xop;
}

int ht_comm_bcast(void *buf, int64_t nbytes, int root) {
  if (size_ == 1) return 0;
  if (ht_comm_checking() && ht_comm_check("bcast root=%d bytes=%lld", root, (long long)nbytes))
    return -1;
  if (rank_ == root) bytes_sent += nbytes * (size_ - 1);
  for (int64_t done = 0; done < nbytes; done += HT_MAX_MSG) {
    int n = (int)(nbytes - done < HT_MAX_MSG ? nbytes - done : HT_MAX_MSG);
    int rc = MPI_Bcast((char *)buf + done, n, MPI_BYTE, root, comm);
    if (rc != MPI_SUCCESS) return mpi_failed("bcast", rc);
  }
  return 0;
}

/* A collective at one rank: the rank's own segment, moved. */
static int local_copy(void *recv, int64_t rdispl, const void *send, int64_t sdispl, int64_t n) {
  if (n > 0) memmove((char *)recv + rdispl, (const char *)send + sdispl, (size_t)n);
  return 0;
}

static int fits_int(const int64_t *a, int p) {
  for (int r = 0; r < p; r++)
    if (a[r] > HT_MAX_MSG) return 0;
  return 1;
}

/* The general path: point-to-point pieces of at most HT_MAX_MSG bytes. Every pair posts
 * the same number of pieces since both sides know the count. */
static int p2p_exchange(const void *send, const int64_t *scounts, const int64_t *sdispls,
                        void *recv, const int64_t *rcounts, const int64_t *rdispls) {
  int64_t nreq = 0;
  for (int r = 0; r < size_; r++)
    nreq += (scounts[r] + HT_MAX_MSG - 1) / HT_MAX_MSG + (rcounts[r] + HT_MAX_MSG - 1) / HT_MAX_MSG;
  MPI_Request *req = ht_meta_alloc((size_t)nreq * sizeof *req, "alltoallv");
  int64_t k = 0;
  for (int r = 0; r < size_; r++)
    for (int64_t off = 0; off < rcounts[r]; off += HT_MAX_MSG) {
      int n = (int)(rcounts[r] - off < HT_MAX_MSG ? rcounts[r] - off : HT_MAX_MSG);
      MPI_Irecv((char *)recv + rdispls[r] + off, n, MPI_BYTE, r, 7, comm, &req[k++]);
    }
  for (int r = 0; r < size_; r++)
    for (int64_t off = 0; off < scounts[r]; off += HT_MAX_MSG) {
      int n = (int)(scounts[r] - off < HT_MAX_MSG ? scounts[r] - off : HT_MAX_MSG);
      MPI_Isend((const char *)send + sdispls[r] + off, n, MPI_BYTE, r, 7, comm, &req[k++]);
    }
  int rc = MPI_Waitall((int)k, req, MPI_STATUSES_IGNORE);
  free(req);
  return rc == MPI_SUCCESS ? 0 : mpi_failed("alltoallv", rc);
}

int ht_comm_alltoallv(const void *send, const int64_t *scounts, const int64_t *sdispls,
                      void *recv, const int64_t *rcounts, const int64_t *rdispls) {
  /* Whether to take the big path must be the same decision on every rank. */
  if (size_ == 1) return local_copy(recv, rdispls[0], send, sdispls[0], scounts[0]);
  if (ht_comm_checking() && ht_comm_check("alltoallv")) return -1;
  for (int r = 0; r < size_; r++)
    if (r != rank_) bytes_sent += scounts[r];
  int64_t big = !(fits_int(scounts, size_) && fits_int(sdispls, size_) &&
                  fits_int(rcounts, size_) && fits_int(rdispls, size_));
  ht_comm_unchecked(1);
  int brc = ht_comm_allreduce_i64(&big, 1, MPI_MAX);
  ht_comm_unchecked(-1);
  if (brc) return -1;
  if (big) return p2p_exchange(send, scounts, sdispls, recv, rcounts, rdispls);
  int *ic = ht_meta_alloc(4 * (size_t)size_ * sizeof(int), "alltoallv");
  for (int r = 0; r < size_; r++) {
    ic[r] = (int)scounts[r];
    ic[size_ + r] = (int)sdispls[r];
    ic[2 * size_ + r] = (int)rcounts[r];
    ic[3 * size_ + r] = (int)rdispls[r];
  }
  int rc = MPI_Alltoallv(send, ic, ic + size_, MPI_BYTE, recv, ic + 2 * size_, ic + 3 * size_,
                         MPI_BYTE, comm);
  free(ic);
  return rc == MPI_SUCCESS ? 0 : mpi_failed("alltoallv", rc);
}

int ht_comm_allgatherv(const void *send, int64_t sendbytes, void *recv,
                       const int64_t *rcounts, const int64_t *rdispls) {
  if (size_ == 1) return local_copy(recv, rdispls[0], send, 0, sendbytes);
  if (ht_comm_checking() && ht_comm_check("allgatherv")) return -1;
  int64_t total = rdispls[size_ - 1] + rcounts[size_ - 1];
  bytes_sent += sendbytes * (size_ - 1);
  if (total <= HT_MAX_MSG) {
    int *ic = ht_meta_alloc(2 * (size_t)size_ * sizeof(int), "allgatherv");
    for (int r = 0; r < size_; r++) ic[r] = (int)rcounts[r], ic[size_ + r] = (int)rdispls[r];
    int rc = MPI_Allgatherv(send, (int)sendbytes, MPI_BYTE, recv, ic, ic + size_, MPI_BYTE, comm);
    free(ic);
    return rc == MPI_SUCCESS ? 0 : mpi_failed("allgatherv", rc);
  }
  /* total is the same on every rank, so all take this path together. */
  int64_t *sc = ht_meta_alloc(2 * (size_t)size_ * sizeof(int64_t), "allgatherv");
  int64_t *sd = sc + size_;
  for (int r = 0; r < size_; r++) sc[r] = sendbytes, sd[r] = 0;
  int rc = p2p_exchange(send, sc, sd, recv, rcounts, rdispls);
  free(sc);
  return rc;
}

int ht_comm_gatherv(const void *send, int64_t sendbytes, void *recv, const int64_t *rcounts,
                    const int64_t *rdispls, int root) {
  if (size_ == 1) return local_copy(recv, rdispls[0], send, 0, sendbytes);
  if (ht_comm_checking() && ht_comm_check("gatherv root=%d", root)) return -1;
  int64_t total = rdispls[size_ - 1] + rcounts[size_ - 1];
  if (rank_ != root) bytes_sent += sendbytes;
  if (total <= HT_MAX_MSG) {
    int *ic = ht_meta_alloc(2 * (size_t)size_ * sizeof(int), "gatherv");
    for (int r = 0; r < size_; r++) ic[r] = (int)rcounts[r], ic[size_ + r] = (int)rdispls[r];
    int rc = MPI_Gatherv(send, (int)sendbytes, MPI_BYTE, recv, ic, ic + size_, MPI_BYTE, root, comm);
    free(ic);
    return rc == MPI_SUCCESS ? 0 : mpi_failed("gatherv", rc);
  }
  int64_t *c = ht_meta_calloc(4 * (size_t)size_, sizeof(int64_t), "gatherv");
  c[root] = sendbytes;                              /* send counts: to root only */
  if (rank_ == root)
    for (int r = 0; r < size_; r++) c[2 * size_ + r] = rcounts[r], c[3 * size_ + r] = rdispls[r];
  int rc = p2p_exchange(send, c, c + size_, recv, c + 2 * size_, c + 3 * size_);
  free(c);
  return rc;
}

int ht_comm_sendrecv(const void *send, int64_t sendbytes, int dest, void *recv,
                     int64_t recvbytes, int src) {
  if (size_ == 1) return local_copy(recv, 0, send, 0, sendbytes < recvbytes ? sendbytes : recvbytes);
  if (ht_comm_checking() && ht_comm_check("sendrecv")) return -1;
  if (dest != rank_) bytes_sent += sendbytes;
  /* both sides know both sizes, so they agree on the number of pieces */
  int64_t most = sendbytes > recvbytes ? sendbytes : recvbytes;
  for (int64_t done = 0; done == 0 || done < most; done += HT_MAX_MSG) {
    int64_t s = sendbytes - done, r = recvbytes - done;
    s = s < 0 ? 0 : s > HT_MAX_MSG ? HT_MAX_MSG : s;
    r = r < 0 ? 0 : r > HT_MAX_MSG ? HT_MAX_MSG : r;
    int rc = MPI_Sendrecv((const char *)send + (s ? done : 0), (int)s, MPI_BYTE, dest, 8,
                          (char *)recv + (r ? done : 0), (int)r, MPI_BYTE, src, 8, comm,
                          MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return mpi_failed("sendrecv", rc);
  }
  return 0;
}

int ht_comm_reduce_scatter(const void *send, void *recv, const int64_t *counts, ht_dtype t,
                           MPI_Op op) {
  const int64_t item = (int64_t)ht_dtype_size(t), chunk = HT_MAX_MSG / item;
  if (size_ == 1) return local_copy(recv, 0, send, 0, counts[0] * item);
  int64_t total = 0;
  for (int r = 0; r < size_; r++) total += counts[r];
  if (ht_comm_checking() && ht_comm_check("reduce_scatter(%s) %s total=%lld", ht_comm_op_name(op),
                                          type_name(ht_mpi_type(t), item), (long long)total))
    return -1;
  if (size_ > 1) bytes_sent += total * item;
  if (total <= chunk) {
    int *ic = ht_meta_alloc((size_t)size_ * sizeof(int), "reduce_scatter");
    for (int r = 0; r < size_; r++) ic[r] = (int)counts[r];
    int rc = MPI_Reduce_scatter(send, recv, ic, ht_mpi_type(t), op, comm);
    free(ic);
    return rc == MPI_SUCCESS ? 0 : mpi_failed("reduce_scatter", rc);
  }
  /* past int counts: one rooted reduce per rank's part, in pieces (same on every rank) */
  const char *s = send;
  for (int r = 0; r < size_; r++) {
    for (int64_t done = 0; done < counts[r]; done += chunk) {
      int n = (int)(counts[r] - done < chunk ? counts[r] - done : chunk);
      int rc = MPI_Reduce(s + done * item, (char *)recv + done * item, n, ht_mpi_type(t), op,
                          r, comm);
      if (rc != MPI_SUCCESS) return mpi_failed("reduce_scatter", rc);
    }
    s += counts[r] * item;
  }
  return 0;
}

int ht_comm_barrier(void) {
  if (size_ == 1) return 0;
  if (ht_comm_checking() && ht_comm_check("barrier")) return -1;
  return MPI_Barrier(comm) == MPI_SUCCESS ? 0 : mpi_failed("barrier", MPI_ERR_OTHER);
}

int ht_comm_agree(int status) {
  int64_t first_bad = status ? rank_ : size_;
  if (size_ == 1) return status ? -1 : 0;
  char msg[1024];
  if (rank_ == first_bad) snprintf(msg, sizeof msg, "%s", ht_errmsg());
  if (ht_comm_checking() && ht_comm_check("agree")) return -1;
  ht_comm_unchecked(1);
  int rc = ht_comm_allreduce_i64(&first_bad, 1, MPI_MIN);
  if (!rc && first_bad != size_) rc = ht_comm_bcast(msg, sizeof msg, (int)first_bad);
  ht_comm_unchecked(-1);
  if (rc) return -1;
  if (first_bad == size_) return 0;
  msg[sizeof msg - 1] = 0;
  ht_error("%s", msg);
  return -1;
}

_Noreturn void ht_fatal(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "heatlua: rank %d: %s\n", rank_, msg);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  abort();
}

void *ht_meta_alloc(size_t nbytes, const char *fn) {
  void *p = malloc(nbytes ? nbytes : 1);
  if (!p) ht_fatal("%s: out of memory allocating %zu bytes of metadata", fn, nbytes);
  return p;
}

void *ht_meta_calloc(size_t n, size_t size, const char *fn) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) ht_fatal("%s: out of memory allocating %zu bytes of metadata", fn, n * size);
  return p;
}
