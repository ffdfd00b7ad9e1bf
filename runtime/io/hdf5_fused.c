/* Fused HDF5 loads: several datasets side by side (as column ranges) and several files one
 * after another (as row ranges) read straight into one array, so a load's peak memory is
 * its result: no per-dataset arrays and no hstack/concatenate copy. Its pread path also
 * serves single-dataset loads (ht_h5_pread_rows). */
#include <fcntl.h>
#include <inttypes.h>
#include <omp.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "comm.h"
#include "device.h"
#include "error.h"
#include "exchange.h"
#include "h5internal.h"

/* What one dataset of one file holds. */
typedef struct part {
  int ndim;        /* 1 (one column) or 2 */
  int64_t rows, cols;
} part;

/* Inspects dataset `name` of the open file f: shape and a type HDF5 can convert into the
 * result. Local status; the caller agrees on it. */
static int inspect(hid_t f, const char *path, const char *name, const char *fn, part *p) {
  hid_t d = ht_h5_open_object(f, name, H5I_DATASET, path, fn);
  if (d < 0) return -1;
  hid_t space = H5Dget_space(d), type = H5Dget_type(d);
  hsize_t dims[32];
  int nd = H5Sget_simple_extent_type(space) == H5S_NULL ? -1
           : H5Sget_simple_extent_dims(space, dims, NULL);
  char tname[24], sh[400];
  ht_dtype fdt;
  int status = 0;
  if (nd != 1 && nd != 2) {
    int64_t shape[32];
    for (int i = 0; i < nd; i++) shape[i] = (int64_t)dims[i];
    status = ht_error("%s: dataset '%s' in '%s' has shape %s; several datasets or files are "
                      "joined as 1-D or 2-D (rows, columns) datasets only", fn, name, path,
                      nd < 0 ? "null" : ht_fmt_shape(sh, sizeof sh, nd, shape));
  } else if (ht_h5_describe_type(type, tname, sizeof tname, &fdt) < 0 ||
             H5Tget_class(type) == H5T_ENUM) {
    status = ht_error("%s: dataset '%s' in '%s' holds %s values, which cannot be joined with "
                      "others (load it alone)", fn, name, path, tname);
  } else {
    p->ndim = nd, p->rows = (int64_t)dims[0], p->cols = nd == 2 ? (int64_t)dims[1] : 1;
  }
  H5Sclose(space), H5Tclose(type), H5Dclose(d);
  return status;
}

/* Checks what every rank knows (shapes read from the same files): equal rows across the
 * datasets of a file, equal columns of each dataset across files. */
static int check_parts(int nfiles, const char *const *paths, int nsets,
                       const char *const *names, const part *p, const char *fn) {
  for (int f = 0; f < nfiles; f++) {
    for (int s = 0; s < nsets; s++) {
      const part *a = &p[f * nsets + s], *first = &p[f * nsets], *top = &p[s];
      if (a->rows != first->rows)
        return ht_error("%s: datasets '%s' (%" PRId64 " row%s) and '%s' (%" PRId64 " row%s) in "
                        "'%s' differ in row count", fn, names[0], first->rows,
                        first->rows == 1 ? "" : "s", names[s], a->rows, a->rows == 1 ? "" : "s",
                        paths[f]);
      if (a->ndim != top->ndim || a->cols != top->cols)
        return ht_error("%s: dataset '%s' has %" PRId64 " column%s (%d-D) in '%s' but %" PRId64
                        " (%d-D) in '%s'", fn, names[s], top->cols, top->cols == 1 ? "" : "s",
                        top->ndim, paths[0], a->cols, a->ndim, paths[f]);
    }
  }
  return 0;
}

static int64_t rows_of(const ht_array *a) { return a->ndim ? a->gshape[0] : 0; }

/* Where dataset d's values lie in the file, when they can be read with pread: contiguous
 * layout, no filters, the file type equal to the memory type, stored in full, no user
 * block (addresses are then file offsets). The answer depends on the file's metadata only,
 * so it is the same on every rank. -1 when HDF5 must read it. */
static int64_t raw_offset(hid_t f, hid_t d, hid_t mem, const part *p, size_t item) {
  int64_t off = -1;
  hid_t dcpl = H5Dget_create_plist(d), fcpl = H5Fget_create_plist(f), type = H5Dget_type(d);
  hsize_t ublock = 1;
  if (dcpl >= 0 && fcpl >= 0 && type >= 0 && H5Pget_layout(dcpl) == H5D_CONTIGUOUS &&
      H5Pget_nfilters(dcpl) == 0 && H5Tequal(type, mem) > 0 && H5Pget_userblock(fcpl, &ublock) >= 0 &&
      ublock == 0 && H5Dget_storage_size(d) == (hsize_t)(p->rows * p->cols) * item) {
    haddr_t a = H5Dget_offset(d);
    if (a != HADDR_UNDEF) off = (int64_t)a;
  }
  if (dcpl >= 0) H5Pclose(dcpl);
  if (fcpl >= 0) H5Pclose(fcpl);
  if (type >= 0) H5Tclose(type);
  return off;
}

/* Items of n rows, each stored as m items in a row of `from`, to columns of the rows of
 * `to` (row lengths in bytes); word copies, as a memcpy call per short row costs more. */
static void copy_rows(char *to, size_t tob, const char *from, size_t fromb, int64_t n,
                      int64_t m, size_t item) {
  for (int64_t i = 0; i < n; i++) {
    char *o = to + (size_t)i * tob;
    const char *in = from + (size_t)i * fromb;
    if (item == 4)
      for (int64_t j = 0; j < m; j++) ((uint32_t *)o)[j] = ((const uint32_t *)in)[j];
    else if (item == 8)
      for (int64_t j = 0; j < m; j++) ((uint64_t *)o)[j] = ((const uint64_t *)in)[j];
    else
      memcpy(o, in, (size_t)m * item);
  }
}

/* The pread paths' file: its descriptor and length (*size), or -1 with an error naming
 * dataset `name` (NULL: the datasets of a fused load). */
static int open_sized(const char *path, const char *name, const char *fn, int64_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0) return *size = (int64_t)st.st_size, fd;
  if (fd >= 0) close(fd);
  return name ? ht_error("%s: cannot open '%s' to read dataset '%s'", fn, path, name)
              : ht_error("%s: cannot open '%s' to read datasets", fn, path);
}

/* 0 when bytes at file offset `at` lie within the file's size, else the error. */
static int within(int64_t at, int64_t bytes, int64_t size, const char *path, const char *name,
                  const char *fn) {
  if (at >= 0 && at + bytes <= size) return 0;
  return ht_error("%s: dataset '%s' lies past the end of '%s' (%lld bytes): truncated file?",
                  fn, name, path, (long long)size);
}

/* Rows of rowb bytes in a piece of about `bytes` (at least one). */
static int64_t rows_in(int64_t bytes, size_t rowb) {
  const int64_t n = bytes / (int64_t)rowb;
  return n > 0 ? n : 1;
}

/* Reads want bytes at file offset off into buf; false on a short read or an error. */
static bool pread_full(int fd, char *buf, size_t want, int64_t off) {
  size_t got = 0;
  while (got < want) {
    ssize_t r = pread(fd, buf + got, want - got, (off_t)(off + (int64_t)got));
    if (r <= 0) return false;
    got += (size_t)r;
  }
  return true;
}

/* Which items of each file row go where in a's chunk: n items from item sc0 of the row
 * into columns [c0, c0 + n) of a's local rows, which hold K items each. */
typedef struct window {
  int64_t sc0, n, c0, K;
} window;

/* Rows [s0, s1) (of the dataset) at file offset `at` into the rows of a's chunk starting
 * at local row s0 - l0, as window w says: pieces of about 1 MiB read by pread in parallel
 * and copied to their place (or read in place when the window is whole rows of both).
 * Checks the range against the file's length first. Local status. */
static int pread_rows(const char *path, int64_t at, const part *p, int64_t s0, int64_t s1,
                      int64_t l0, const window *w, ht_array *a, const char *name,
                      const char *fn) {
  const size_t item = ht_dtype_size(a->dtype), rowb = (size_t)p->cols * item;
  int64_t size = 0;
  int fd = open_sized(path, name, fn, &size);
  if (fd < 0) return -1;
  if (within(at, p->rows * (int64_t)rowb, size, path, name, fn)) return close(fd), -1;
  const int64_t piece = rows_in((int64_t)1 << 20, rowb);
  const bool direct = w->K == p->cols && w->n == p->cols;
  const int nt = omp_get_max_threads();
  char *bufs = direct ? NULL : ht_scratch_alloc((int64_t)nt * piece * (int64_t)rowb + 64, fn);
  int status = !direct && !bufs ? -1 : 0;
  /* no pieces without buffers: inside the loop `status` is each thread's own copy (0) */
  const int64_t npieces = status ? 0 : (s1 - s0 + piece - 1) / piece;
  char *dst0 = (char *)ht_array_data(a);
#pragma omp parallel for schedule(dynamic, 1) reduction(| : status) if (npieces > 1)
  for (int64_t q = 0; q < npieces; q++) {
    if (status) continue;
    const int64_t i0 = s0 + q * piece, n = s1 - i0 < piece ? s1 - i0 : piece;
    char *buf = direct ? dst0 + (size_t)(i0 - l0) * rowb
                       : bufs + (size_t)omp_get_thread_num() * (size_t)piece * rowb;
    if (!pread_full(fd, buf, (size_t)n * rowb, at + i0 * (int64_t)rowb)) {
      status |= 1;
      continue;
    }
    if (direct) continue;
    copy_rows(dst0 + ((size_t)(i0 - l0) * (size_t)w->K + (size_t)w->c0) * item,
              (size_t)w->K * item, buf + (size_t)w->sc0 * item, rowb, n, w->n, item);
  }
  free(bufs);
  close(fd);
  if (status > 0) status = ht_error("%s: cannot read dataset '%s' from '%s'", fn, name, path);
  return status ? -1 : 0;
}

/* Bytes of file rows each rank reads per piece of a split > 0 load (the send buffer's
 * size); HEATLUA_IO_PIECE_BYTES overrides it, so tests can cut small files into pieces. */
static int64_t piece_bytes(void) {
  const char *v = getenv("HEATLUA_IO_PIECE_BYTES");
  long long n = v ? strtoll(v, NULL, 10) : 0;
  return n > 0 ? (int64_t)n : (int64_t)32 << 20;
}

/* Split along axis k > 0 on several ranks: the file is p->rows rows of p->cols items, and
 * rank q keeps items [lo(q) * inner, (lo(q) + counts[q]) * inner) of every row. Each piece
 * of rows is read once in all: every rank preads a contiguous share of the piece, copies
 * its own columns into its result and packs each peer's columns, and one all-to-all per
 * piece delivers them straight into the peers' result rows. So the file is read once and
 * each byte crosses the network at most once, and the memory beyond the result is one
 * piece's send buffer plus a 1 MiB read buffer per thread. Ranks without columns read and
 * send too. Collective; returns the agreed status. */
static int pread_cols(const char *path, int64_t at, const part *p, int64_t inner, ht_array *a,
                      const char *name, const char *fn) {
  const int me = ht_comm_rank(), np = ht_comm_size(), nt = omp_get_max_threads();
  const size_t item = ht_dtype_size(a->dtype), rowb = (size_t)p->cols * item;
  const int64_t K = a->counts[me] * inner; /* items of each result row here */
  int64_t size = 0;
  int status = 0, fd = open_sized(path, name, fn, &size);
  if (fd < 0) status = -1;
  else status = within(at, p->rows * (int64_t)rowb, size, path, name, fn);
  /* the piece size decides how many all-to-alls follow: the same on every rank */
  int64_t pb = piece_bytes();
  if (ht_comm_allreduce_i64(&pb, 1, MPI_MIN)) status = -1;
  int64_t share = rows_in(pb, rowb), chunk = rows_in((int64_t)1 << 20, rowb);
  if (share > (p->rows + np - 1) / np) share = (p->rows + np - 1) / np; /* one piece */
  if (share < 1) share = 1;
  if (chunk > share) chunk = share;
  const int64_t sendrow = (p->cols - K) * (int64_t)item, step = share * np;
  char *sbuf = status ? NULL : ht_scratch_alloc(share * sendrow + 64, fn);
  char *bufs = sbuf ? ht_scratch_alloc((int64_t)nt * chunk * (int64_t)rowb + 64, fn) : NULL;
  if (ht_comm_agree(status || !bufs ? -1 : 0)) {
    free(sbuf), free(bufs);
    if (fd >= 0) close(fd);
    return -1;
  }
  ht_xchg x;
  ht_xchg_init(&x, fn);
  char *data = (char *)ht_array_data(a);
  for (int64_t g0 = 0; g0 < p->rows && !status; g0 += step) {
    const int64_t n = p->rows - g0 < step ? p->rows - g0 : step;
    /* rank q reads the piece's rows [g0 + lo(q), g0 + lo(q) + len(q)), balanced */
#define LO(q) ((q) * (n / np) + ((q) < n % np ? (q) : n % np))
#define LEN(q) (n / np + ((q) < n % np))
    const int64_t a0 = g0 + LO(me), mine = LEN(me);
    for (int q = 0; q < np; q++) {
      x.sc[q] = q == me ? 0 : mine * a->counts[q] * inner * (int64_t)item;
      x.sd[q] = q ? x.sd[q - 1] + x.sc[q - 1] : 0;
      x.rc[q] = q == me ? 0 : LEN(q) * K * (int64_t)item;
      x.rd[q] = LO(q) * K * (int64_t)item;
    }
#undef LO
#undef LEN
    const int64_t nchunks = (mine + chunk - 1) / chunk;
    int bad = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : bad) if (nchunks > 1)
    for (int64_t c = 0; c < nchunks; c++) {
      if (bad) continue;
      const int64_t i0 = c * chunk, m = mine - i0 < chunk ? mine - i0 : chunk;
      char *buf = bufs + (size_t)omp_get_thread_num() * (size_t)chunk * rowb;
      if (!pread_full(fd, buf, (size_t)m * rowb, at + (a0 + i0) * (int64_t)rowb)) {
        bad = 1;
        continue;
      }
      for (int q = 0; q < np; q++) {
        const int64_t w = a->counts[q] * inner;
        if (!w) continue;
        char *to = q == me ? data + (size_t)(a0 + i0) * (size_t)K * item
                           : sbuf + x.sd[q] + i0 * w * (int64_t)item;
        copy_rows(to, (size_t)w * item, buf + (size_t)(ht_rank_lo(a->counts, q) * inner) * item,
                  rowb, m, w, item);
      }
    }
    if (bad) status = ht_error("%s: cannot read dataset '%s' from '%s'", fn, name, path);
    status = ht_xchg_run(&x, status, sbuf, data + (size_t)g0 * (size_t)K * item);
  }
  ht_xchg_free(&x);
  free(sbuf), free(bufs);
  close(fd);
  return status;
}

int ht_h5_pread_rows(hid_t f, hid_t d, const char *path, const char *name, int64_t used,
                     int64_t off, int64_t c0, ht_array *a, const char *fn) {
  const int k = a->split;
  if (a->ndim == 0 || (k > 0 && (off != 0 || c0 != 0))) return 1;
  hid_t space = H5Dget_space(d);
  hsize_t dims[32];
  int nd = space < 0 || H5Sget_simple_extent_type(space) != H5S_SIMPLE
               ? -1 : H5Sget_simple_extent_dims(space, dims, NULL);
  if (space >= 0) H5Sclose(space);
  if (nd < 1 || nd > 32 || (k > 0 && nd != a->ndim)) return 1;
  part p = {nd, (int64_t)dims[0], 1};
  for (int i = 1; i < nd; i++) p.cols *= (int64_t)dims[i];
  if (p.rows == 0 || p.cols == 0) return 1;
  hid_t mem = ht_h5_mem_type(a->dtype);
  const int64_t at = raw_offset(f, d, mem, &p, ht_dtype_size(a->dtype));
  H5Tclose(mem);
  if (at < 0) return 1; /* the same decision on every rank: no collective read follows */
  window w = {0, p.cols, c0, 1};
  for (int i = 1; i < a->ndim; i++) w.K *= a->lshape[i];
  int64_t l0 = a->split < 0 ? 0 : ht_array_lstart(a), lrows = a->lshape[0], g1 = off + used;
  if (k > 0) {
    /* split along axis k: the file seen as rows prod(dims[:k]) x prod(dims[k:]); each rank
     * keeps its block of axis k from every row (load_fraction may keep fewer items of
     * axis k). Several ranks read each row once in all and exchange the columns. */
    int64_t inner = 1;
    for (int i = k + 1; i < nd; i++) inner *= (int64_t)dims[i];
    p.rows = 1;
    for (int i = 0; i < k; i++) p.rows *= (int64_t)dims[i];
    p.cols = (int64_t)dims[k] * inner;
    if (ht_comm_size() > 1) return pread_cols(path, at, &p, inner, a, name, fn);
    /* one rank: read every row straight into the result (whole rows) or through pieces */
    w = (window){ht_array_lstart(a) * inner, a->lshape[k] * inner, 0, a->lshape[k] * inner};
    l0 = 0, lrows = w.n ? p.rows : 0, g1 = p.rows;
  }
  int64_t r0 = l0 > off ? l0 : off, r1 = l0 + lrows < g1 ? l0 + lrows : g1;
  int status = r1 > r0 ? pread_rows(path, at, &p, r0 - off, r1 - off, l0 - off, &w, a, name, fn) : 0;
  return ht_comm_agree(status);
}

/* All nsets datasets of one file side by side in a's rows [off, off + used), when pread
 * can read every one of them (the same decision on every rank, from metadata): each piece
 * of about 1 MiB of result rows is read dataset by dataset into a thread's buffer, then
 * written as whole rows, so the result is written once and in order instead of once per
 * dataset in narrow strips. Collective; returns 1 on every rank when the datasets must be
 * read one by one, else the agreed status. */
static int pread_file(hid_t f, const char *path, int nsets, const char *const *names,
                      const part *ps, int64_t used, int64_t off, ht_array *a, const char *fn) {
  if (nsets < 2 || a->split > 0 || a->ndim != 2) return 1;
  int64_t at[nsets];
  const size_t item = ht_dtype_size(a->dtype);
  hid_t mem = ht_h5_mem_type(a->dtype);
  int ok = 1, failed = 0;
  for (int s = 0; s < nsets && !failed; s++) {
    hid_t d = ht_h5_open_object(f, names[s], H5I_DATASET, path, fn);
    at[s] = d < 0 || ps[s].cols == 0 ? -1 : raw_offset(f, d, mem, &ps[s], item);
    failed = d < 0 ? -1 : 0, ok &= at[s] >= 0;
    if (d >= 0) H5Dclose(d);
  }
  H5Tclose(mem);
  if (ht_comm_agree(failed)) return -1;
  if (!ok) return 1;
  const int64_t K = a->lshape[1], l0 = a->split < 0 ? 0 : ht_array_lstart(a);
  const int64_t r0 = l0 > off ? l0 : off, g1 = off + used;
  const int64_t r1 = l0 + a->lshape[0] < g1 ? l0 + a->lshape[0] : g1;
  if (r1 <= r0) return ht_comm_agree(0);
  const size_t rowb = (size_t)K * item;
  const int64_t piece = rows_in((int64_t)1 << 20, rowb);
  int64_t size = 0;
  int fd = open_sized(path, NULL, fn, &size), status = fd < 0 ? -1 : 0;
  for (int s = 0; s < nsets && !status; s++)
    status = within(at[s], ps[s].rows * ps[s].cols * (int64_t)item, size, path, names[s], fn);
  const int nt = omp_get_max_threads();
  char *bufs = status ? NULL : ht_scratch_alloc((int64_t)nt * piece * (int64_t)rowb + 64, fn);
  if (!bufs) status = -1;
  const int64_t npieces = (r1 - r0 + piece - 1) / piece;
  char *dst0 = (char *)ht_array_data(a);
  int bad = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : bad) if (npieces > 1 && !status)
  for (int64_t q = 0; q < npieces; q++) {
    if (status || bad) continue;
    const int64_t i0 = r0 + q * piece, n = r1 - i0 < piece ? r1 - i0 : piece;
    char *buf = bufs + (size_t)omp_get_thread_num() * (size_t)piece * rowb, *stage = buf;
    for (int s = 0; s < nsets && !bad; s++) { /* dataset s's rows, one block after another */
      const size_t want = (size_t)n * (size_t)ps[s].cols * item;
      const int64_t from = at[s] + (i0 - off) * ps[s].cols * (int64_t)item;
      bad |= !pread_full(fd, stage, want, from);
      stage += want;
    }
    if (bad) continue;
    char *dst = dst0 + (size_t)(i0 - l0) * rowb;
    stage = buf;
    for (int s = 0; s < nsets; s++) {
      copy_rows(dst, rowb, stage, (size_t)ps[s].cols * item, n, ps[s].cols, item);
      dst += (size_t)ps[s].cols * item;
      stage += (size_t)n * (size_t)ps[s].cols * item;
    }
  }
  if (!status && bad) status = ht_error("%s: cannot read the datasets of '%s'", fn, path);
  free(bufs);
  if (fd >= 0) close(fd);
  return ht_comm_agree(status);
}

/* Reads rows [r0, r1) of dataset `name` (global rows of the result start at `off` in this
 * file) into columns [c0, c0 + cols) of a's chunk. Collective: every rank calls it, a rank
 * whose block misses the range selects nothing. */
static int read_part(hid_t f, const char *path, const char *name, const part *p, int64_t off,
                     int64_t c0, ht_array *a, const char *fn) {
  hid_t d = ht_h5_open_object(f, name, H5I_DATASET, path, fn);
  if (ht_comm_agree(d < 0 ? -1 : 0)) {
    if (d >= 0) H5Dclose(d);
    return -1;
  }
  int status = ht_h5_pread_rows(f, d, path, name, p->rows, off, c0, a, fn);
  if (status <= 0) { /* read (or failed, agreed) by pread */
    H5Dclose(d);
    return status;
  }
  int64_t l0 = a->split < 0 ? 0 : ht_array_lstart(a), lrows = a->ndim ? a->lshape[0] : 0;
  int64_t K = a->ndim == 2 ? a->lshape[1] : 1, g1 = off + p->rows;
  int64_t r0 = l0 > off ? l0 : off, r1 = l0 + lrows < g1 ? l0 + lrows : g1;
  /* In pieces of about 8 MiB: MPI-IO packs a strided memory selection through a buffer as
   * large as the read, which would otherwise be the rank's whole block. Every rank makes
   * as many calls as the largest block needs (collective reads). */
  hid_t mem = ht_h5_mem_type(a->dtype);
  int64_t most = a->split < 0 ? rows_of(a) : 0;
  for (int r = 0; a->split >= 0 && r < ht_comm_size(); r++)
    if (a->counts[r] > most) most = a->counts[r];
  if (most > p->rows) most = p->rows;
  int64_t piece = ((int64_t)8 << 20) / (p->cols * (int64_t)ht_dtype_size(a->dtype));
  if (piece < 1) piece = 1;
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  /* a piece lands in a contiguous buffer, then its rows go to their columns: HDF5's
   * scatter into a few columns of wide rows ran at a fraction of memcpy's speed */
  const size_t item = ht_dtype_size(a->dtype), rowb = (size_t)p->cols * item;
  char *buf = K > p->cols ? ht_scratch_alloc(piece * (int64_t)rowb + 64, fn) : NULL;
  status = K > p->cols && !buf ? -1 : 0;
  for (int64_t k0 = 0; k0 < most; k0 += piece) {
    int64_t s0 = r0 + k0, s1 = s0 + piece < r1 ? s0 + piece : r1;
    hid_t fspace = H5Dget_space(d), mspace;
    if (s1 > s0) {
      hsize_t fstart[2] = {(hsize_t)(s0 - off), 0}, cnt[2] = {(hsize_t)(s1 - s0), (hsize_t)p->cols};
      H5Sselect_hyperslab(fspace, H5S_SELECT_SET, fstart, NULL, cnt, NULL);
      if (buf) {
        mspace = H5Screate_simple(a->ndim, cnt, NULL);
      } else {
        hsize_t mdims[2] = {(hsize_t)lrows, (hsize_t)K}, mstart[2] = {(hsize_t)(s0 - l0), (hsize_t)c0};
        mspace = H5Screate_simple(a->ndim, mdims, NULL);
        H5Sselect_hyperslab(mspace, H5S_SELECT_SET, mstart, NULL, cnt, NULL);
      }
    } else {
      hsize_t one = 1;
      H5Sselect_none(fspace);
      mspace = H5Screate_simple(1, &one, NULL);
      H5Sselect_none(mspace);
    }
    if (H5Dread(d, mem, mspace, fspace, dxpl, buf ? (void *)buf : ht_array_data(a)) < 0 && !status)
      status = ht_h5_error("%s: cannot read dataset '%s' from '%s'", fn, name, path);
    for (int64_t i = 0; buf && !status && i < s1 - s0; i++)
      memcpy((char *)ht_array_data(a) + ((size_t)(s0 - l0 + i) * (size_t)K + (size_t)c0) * item,
             buf + (size_t)i * rowb, rowb);
    H5Sclose(mspace), H5Sclose(fspace);
  }
  free(buf);
  H5Pclose(dxpl), H5Tclose(mem), H5Dclose(d);
  return ht_comm_agree(status);
}

ht_array *ht_load_hdf5_fused(int nfiles, const char *const *paths, int nsets,
                             const char *const *names, const ht_h5_load_opts *o) {
  const char *fn = nfiles > 1 ? "load" : "load_hdf5";
  if (nfiles < 1 || nsets < 1)
    return ht_error("%s: needs at least one file and one dataset", fn), NULL;
  if (ht_device_unsupported(o->device, fn)) return NULL;
  if (o->slices.n)
    return ht_error("%s: slices select within one dataset; they cannot be combined with "
                    "several datasets or files", fn), NULL;
  if (o->dtype == HT_BOOL)
    return ht_error("%s: dtype bool cannot be read from several datasets or files at once "
                    "(load them one by one)", fn), NULL;
  if (!(o->load_fraction > 0.0 && o->load_fraction <= 1.0))
    return ht_error("%s: load_fraction must be in (0, 1], got %g", fn, /* nan, not -nan */
                    isnan(o->load_fraction) ? fabs(o->load_fraction) : o->load_fraction), NULL;
  part *parts = calloc((size_t)nfiles * (size_t)nsets, sizeof *parts);
  if (!parts) return ht_error("%s: out of memory", fn), NULL;
  int status = 0;
  for (int f = 0; f < nfiles && !status; f++) {
    hid_t h = ht_h5_open(paths[f], H5F_ACC_RDONLY, fn);
    if (h < 0) status = -1;
    for (int s = 0; s < nsets && !status; s++)
      status = ht_comm_agree(inspect(h, paths[f], names[s], fn, &parts[f * nsets + s]));
    if (h >= 0 && ht_h5_close(h, paths[f], fn)) status = -1;
  }
  ht_array *a = NULL;
  if (status || check_parts(nfiles, paths, nsets, names, parts, fn)) goto done;
  int64_t rows = 0, cols = 0;
  for (int f = 0; f < nfiles; f++) rows += parts[f * nsets].rows;
  for (int s = 0; s < nsets; s++) cols += parts[s].cols;
  int ndim = nsets == 1 && parts[0].ndim == 1 ? 1 : 2, split = o->split;
  if (split != HT_IO_NOSPLIT && split < 0) split += ndim;
  if (split != HT_IO_NOSPLIT && split != 0) {
    ht_error("%s: split %d: several datasets or files are read along rows, so split must be 0 "
             "or nil (resplit afterwards)", fn, o->split);
    goto done;
  }
  if (split != HT_IO_NOSPLIT) rows = (int64_t)((double)rows * o->load_fraction); /* Heat */
  int64_t gshape[2] = {rows, cols};
  a = ht_array_empty(o->dtype, ndim, gshape, split == HT_IO_NOSPLIT ? -1 : 0, o->device);
  if (ht_comm_agree(a ? 0 : -1)) goto done;
  int64_t off = 0;
  for (int f = 0; f < nfiles && !status && off < rows; f++) {
    hid_t h = ht_h5_open(paths[f], H5F_ACC_RDONLY, fn);
    if (h < 0) {
      status = -1;
      break;
    }
    int64_t c0 = 0, used = parts[f * nsets].rows;
    if (off + used > rows) used = rows - off; /* load_fraction cut */
    int r = pread_file(h, paths[f], nsets, names, &parts[f * nsets], used, off, a, fn);
    if (r <= 0) status = r, c0 = cols; /* read (or failed, agreed) by pread */
    for (int s = 0; s < nsets && !status && c0 < cols; s++) {
      part p = parts[f * nsets + s];
      if (off + p.rows > rows) p.rows = rows - off; /* load_fraction cut */
      if (p.rows > 0 && p.cols > 0) status = read_part(h, paths[f], names[s], &p, off, c0, a, fn);
      c0 += p.cols;
    }
    off += parts[f * nsets].rows;
    if (ht_h5_close(h, paths[f], fn)) status = -1;
  }
  if (status) ht_array_free(a), a = NULL;
done:
  free(parts);
  return a;
}
