/* The distributed array: storage, construction, layout queries and the data movements
 * that change a distribution (copy, astype, resplit, redistribute, gather). */
#include "array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bufcache.h"
#include "comm.h"
#include "device.h"
#include "exchange.h"
#include "iter.h"

static int64_t bytes_live;

int64_t ht_bytes_live(void) { return bytes_live; }

/* Fault injection: data allocations (of fail_min bytes or more) left on this rank before
 * one fails (0: none armed). */
static int64_t fail_after = -1, fail_min;

void ht_fail_alloc_arm(int rank, int64_t n, int64_t minbytes) {
  fail_after = rank == ht_comm_rank() && n > 0 ? n : 0;
  fail_min = minbytes;
}

/* Whether this data allocation is the one to fail; reads HEATLUA_FAIL_ALLOC=rank:n once. */
static bool fail_injected(int64_t nbytes) {
  if (fail_after < 0) {
    const char *env = getenv("HEATLUA_FAIL_ALLOC");
    int rank, used = 0;
    long long n;
    fail_after = 0;
    if (env && *env) {
      if (sscanf(env, "%d:%lld%n", &rank, &n, &used) != 2 || env[used] || rank < 0 || n < 1)
        ht_fatal("HEATLUA_FAIL_ALLOC=%s: expected rank:n (n >= 1)", env);
      ht_fail_alloc_arm(rank, n, 0);
    }
  }
  return fail_after > 0 && nbytes >= fail_min && --fail_after == 0;
}

void *ht_scratch_alloc(int64_t nbytes, const char *fn) {
  if (nbytes >= HT_CACHE_MIN) ht_cache_release(); /* malloc may reuse their memory */
  void *p = fail_injected(nbytes) || nbytes < 0 ? NULL : malloc((size_t)nbytes + 1);
  if (!p) ht_error("%s: out of memory allocating %lld bytes", fn, (long long)nbytes);
  return p;
}

/* The buffer, or NULL with the error set when the data cannot be allocated. */
static ht_buffer *buffer_alloc(int64_t nbytes, ht_device device) {
  ht_buffer *b = ht_meta_alloc(sizeof *b, "array");
  b->nbytes = nbytes;
  b->device = device;
  b->refcount = 1;
  if (fail_injected(nbytes))
    return free(b), ht_error("out of memory allocating %lld bytes (HEATLUA_FAIL_ALLOC)",
                             (long long)nbytes), NULL;
  b->data = device == HT_CPU ? ht_cache_alloc(nbytes) : ht_backend_of(device)->alloc(nbytes);
  if (!b->data) return free(b), NULL;
  bytes_live += nbytes;
  return b;
}

ht_buffer *ht_buffer_new(int64_t nbytes, ht_device device) {
  ht_buffer *b = buffer_alloc(nbytes, device);
  /* small host memory: not agreed (a device's errors, such as none visible, are returned) */
  if (!b && nbytes < HT_AGREE_BYTES && device == HT_CPU) ht_fatal("%s", ht_errmsg());
  return b;
}

void ht_buffer_release(ht_buffer *b) {
  if (!b || --b->refcount > 0) return;
  if (b->device == HT_CPU) ht_cache_free(b->data, b->nbytes);
  else ht_backend_of(b->device)->free(b->data);
  bytes_live -= b->nbytes;
  free(b);
}

void ht_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; d--) strides[d] = s, s *= shape[d];
}

/* Physical memory, or the cgroup's limit when lower: a request past it is refused before
 * malloc, since Linux overcommits and the OOM killer would end one rank much later. */
static int64_t memory_limit(void) {
  static int64_t limit;
  if (limit) return limit;
  long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGE_SIZE);
  limit = pages > 0 && psize > 0 ? (int64_t)pages * psize : INT64_MAX;
  FILE *f = fopen("/sys/fs/cgroup/memory.max", "r");
  long long cg;
  if (f && fscanf(f, "%lld", &cg) == 1 && cg > 0 && cg < limit) limit = cg;
  if (f) fclose(f);
  return limit;
}

int ht_check_size(const char *fn, ht_dtype t, int ndim, const int64_t *gshape, int split,
                  const int64_t *counts, ht_device dev) {
  int64_t n = (int64_t)ht_dtype_size(t), rows = 0;
  for (int d = 0; d < ndim; d++)
    if (gshape[d] == 0) return 0;
  for (int d = 0; d < ndim; d++)
    if (gshape[d] < 0 || __builtin_mul_overflow(n, gshape[d], &n))
      return ht_error("%s: array is too big; `arr.size * arr.dtype.itemsize` is larger than "
                      "the maximum possible size", fn);
  if (dev != HT_CPU) return 0;
  /* the largest local block, from metadata every rank shares: the same verdict everywhere */
  int p = ht_comm_size();
  if (split >= 0) {
    for (int r = 0; r < p; r++) {
      int64_t c = counts ? counts[r] : gshape[split] / p + (r < gshape[split] % p);
      if (c > rows) rows = c;
    }
    n = n / gshape[split] * rows;
  }
  if (n > memory_limit())
    return ht_error("%s: allocating %lld bytes for an array of shape %s exceeds the memory of "
                    "this machine (%lld bytes)", fn, (long long)n,
                    ht_fmt_shape((char[128]){0}, 128, ndim, gshape), (long long)memory_limit());
  return 0;
}

/* Header only: metadata and counts, no buffer. */
static ht_array *header_new(ht_dtype t, int ndim, const int64_t *gshape, int split,
                            const int64_t *counts, ht_device dev) {
  char sh[128];
  if (ndim < 0 || ndim > HT_MAXDIM)
    return ht_error("array: %d dimensions, at most %d are supported", ndim, HT_MAXDIM), NULL;
  if (split < -1 || split >= (ndim > 0 ? ndim : 0))
    return ht_error("array: split %d is out of range for shape %s", split,
                    ht_fmt_shape(sh, sizeof sh, ndim, gshape)), NULL;
  for (int d = 0; d < ndim; d++)
    if (gshape[d] < 0) return ht_error("array: negative dimensions are not allowed"), NULL;
  if (ht_check_size("array", t, ndim, gshape, split, counts, dev)) return NULL;
  ht_array *a = ht_meta_calloc(1, sizeof *a, "array");
  a->dtype = t;
  a->device = dev;
  a->ndim = ndim;
  a->split = split;
  memcpy(a->gshape, gshape, sizeof(int64_t) * (size_t)ndim);
  memcpy(a->lshape, gshape, sizeof(int64_t) * (size_t)ndim);
  if (split >= 0) {
    int p = ht_comm_size();
    a->counts = ht_meta_alloc(sizeof(int64_t) * (size_t)p, "array");
    if (counts) {
      int64_t total = 0;
      for (int r = 0; r < p; r++) total += counts[r];
      if (total != gshape[split]) {
        free(a->counts), free(a);
        return ht_error("array: counts sum to %lld but axis %d has length %lld",
                        (long long)total, split, (long long)gshape[split]), NULL;
      }
      memcpy(a->counts, counts, sizeof(int64_t) * (size_t)p);
    } else {
      ht_block_counts(gshape[split], p, a->counts);
    }
    a->lshape[split] = a->counts[ht_comm_rank()];
  }
  ht_contiguous_strides(ndim, a->lshape, a->strides);
  return a;
}

ht_array *ht_array_empty_counts(ht_dtype t, int ndim, const int64_t *gshape, int split,
                                const int64_t *counts, ht_device dev) {
  ht_array *a = header_new(t, ndim, gshape, split, counts, dev);
  if (!a) return NULL;
  a->buf = ht_buffer_new(ht_array_lsize(a) * (int64_t)ht_dtype_size(t), dev);
  if (!a->buf) return ht_array_free(a), NULL;
  return a;
}

ht_array *ht_array_empty(ht_dtype t, int ndim, const int64_t *gshape, int split, ht_device dev) {
  return ht_array_empty_counts(t, ndim, gshape, split, NULL, dev);
}

ht_array *ht_array_new_agreed(const char *fn, ht_dtype t, int ndim, const int64_t *gshape,
                              int split, const int64_t *counts, ht_device dev) {
  ht_array *a = header_new(t, ndim, gshape, split, counts, dev);
  if (!a) return NULL; /* from the arguments alone: the same error on every rank */
  const int64_t item = (int64_t)ht_dtype_size(t);
  a->buf = buffer_alloc(ht_array_lsize(a) * item, dev);
  /* product checked by header_new; device allocations are always agreed (rare, costly) */
  if (ht_array_gsize(a) * item >= HT_AGREE_BYTES || dev != HT_CPU) {
    if (!ht_comm_agree(a->buf ? 0 : -1)) return a;
  } else if (a->buf) {
    return a;
  } else {
    ht_fatal("%s: %s", fn, ht_errmsg());
  }
  char msg[512];
  snprintf(msg, sizeof msg, "%s", ht_errmsg());
  ht_error("%s: %s", fn, msg);
  return ht_array_free(a), NULL;
}

ht_array *ht_array_view(const ht_array *a) {
  ht_array *v = ht_meta_alloc(sizeof *v, "view");
  *v = *a;
  if (a->counts) {
    size_t n = sizeof(int64_t) * (size_t)ht_comm_size();
    v->counts = ht_meta_alloc(n, "view");
    memcpy(v->counts, a->counts, n);
  }
  if (v->buf) v->buf->refcount++;
  return v;
}

void ht_array_free(ht_array *a) {
  if (!a) return;
  ht_buffer_release(a->buf);
  free(a->counts);
  free(a);
}

int64_t ht_array_gsize(const ht_array *a) {
  int64_t n = 1;
  for (int d = 0; d < a->ndim; d++) n *= a->gshape[d];
  return n;
}

int64_t ht_array_lsize(const ht_array *a) {
  int64_t n = 1;
  for (int d = 0; d < a->ndim; d++) n *= a->lshape[d];
  return n;
}

void *ht_array_data(const ht_array *a) {
  return (char *)a->buf->data + a->offset * (int64_t)ht_dtype_size(a->dtype);
}

bool ht_array_is_contiguous(const ht_array *a) {
  int64_t s = 1;
  for (int d = a->ndim - 1; d >= 0; d--) {
    if (a->lshape[d] != 1 && a->strides[d] != s) return false;
    s *= a->lshape[d];
  }
  return true;
}

int64_t ht_array_lstart(const ht_array *a) {
  return a->split < 0 ? 0 : ht_rank_lo(a->counts, ht_comm_rank());
}

bool ht_array_is_balanced(const ht_array *a) {
  if (a->split < 0) return true;
  int p = ht_comm_size();
  for (int r = 0; r < p; r++)
    if (a->counts[r] != a->gshape[a->split] / p + (r < a->gshape[a->split] % p ? 1 : 0))
      return false;
  return true;
}

/* ---- local copies through the iterator ---- */

typedef struct { ht_dtype from, to; } cast_ctx;

static void cast_loop(int64_t n, char **p, const int64_t *s, void *ctx) {
  const cast_ctx *c = ctx;
  if (c->from == c->to && s[0] == s[1] && s[0] == (int64_t)ht_dtype_size(c->to))
    memcpy(p[0], p[1], (size_t)(n * s[0]));
  else
    ht_cast(c->from, p[1], s[1], c->to, p[0], s[0], n);
}

/* A copy whose source runs across the destination's rows (a transpose): walking the
 * destination in order would touch a new source cache line per element. */
static bool transposed_2d(const ht_iter *it) {
  if (it->ndim != 2 || it->size < 4096) return false;
  int64_t s0 = it->strides[1][0], s1 = it->strides[1][1];
  return (s0 < 0 ? -s0 : s0) < (s1 < 0 ? -s1 : s1) && it->strides[0][0] != 0;
}

/* Square tiles small enough that the destination lines of one tile stay in cache while
 * the source is read along its contiguous axis. */
static void copy_tiles(const ht_iter *it, const cast_ctx *c) {
  const int64_t B = 64, R = it->shape[0], C = it->shape[1];
  const int64_t d0 = it->strides[0][0], d1 = it->strides[0][1];
  const int64_t s0 = it->strides[1][0], s1 = it->strides[1][1];
  const int64_t nti = (R + B - 1) / B, ntj = (C + B - 1) / B;
#pragma omp parallel for schedule(static) if (it->size >= ((int64_t)1 << 16))
  for (int64_t t = 0; t < nti * ntj; t++) {
    int64_t i0 = (t / ntj) * B, j0 = (t % ntj) * B;
    int64_t ni = R - i0 < B ? R - i0 : B, nj = C - j0 < B ? C - j0 : B;
    for (int64_t j = j0; j < j0 + nj; j++)
      ht_cast(c->from, it->base[1] + i0 * s0 + j * s1, s0, c->to,
              it->base[0] + i0 * d0 + j * d1, d0, ni);
  }
}

int ht_copy_into(ht_array *dst, const ht_array *src) {
  if (ht_require_host(dst, "copy") || ht_require_host(src, "copy")) return -1;
  int64_t st[2][HT_MAXDIM];
  ht_broadcast_strides(dst, dst->ndim, dst->lshape, st[0]);
  ht_broadcast_strides(src, dst->ndim, dst->lshape, st[1]);
  char *base[2] = {ht_array_data(dst), ht_array_data(src)};
  ht_iter it;
  ht_iter_init(&it, 2, dst->ndim, dst->lshape, base, (const int64_t(*)[HT_MAXDIM])st);
  cast_ctx c = {src->dtype, dst->dtype};
  if (transposed_2d(&it)) copy_tiles(&it, &c);
  else ht_iter_run(&it, cast_loop, &c);
  return 0;
}

static ht_array *copy_as(const ht_array *a, ht_dtype t) {
  ht_array *out = ht_array_empty_counts(t, a->ndim, a->gshape, a->split, a->counts, a->device);
  if (!out) return NULL;
  if (ht_copy_into(out, a)) return ht_array_free(out), NULL;
  return out;
}

ht_array *ht_copy(const ht_array *a) { return copy_as(a, a->dtype); }
ht_array *ht_astype(const ht_array *a, ht_dtype t) { return copy_as(a, t); }

ht_array *ht_to_device(const ht_array *a, ht_device dev) {
  ht_array *c = a->device == HT_CPU ? ht_contiguous(a) : ht_array_view(a);
  ht_array *out = c ? ht_array_empty_counts(a->dtype, a->ndim, a->gshape, a->split, a->counts,
                                            dev) : NULL;
  int64_t n = out ? ht_array_lsize(out) * (int64_t)ht_dtype_size(a->dtype) : 0;
  int status = out ? 0 : -1;
  if (!status && a->device != HT_CPU && !ht_array_is_contiguous(a))
    status = ht_device_unsupported(a->device, "to_device (a strided view)");
  if (!status && dev == HT_CPU) /* device to host, or host to host */
    status = ht_backend_of(a->device)->to_host(ht_array_data(out), ht_array_data(c), n);
  else if (!status && a->device == HT_CPU)
    status = ht_backend_of(dev)->from_host(ht_array_data(out), ht_array_data(c), n);
  else if (!status)
    status = ht_device_unsupported(a->device, "to_device (between two devices)");
  ht_array_free(c);
  if (ht_comm_agree(status)) return ht_array_free(out), NULL;
  return out;
}

ht_array *ht_contiguous(const ht_array *a) {
  return ht_array_is_contiguous(a) ? ht_array_view(a) : ht_copy(a);
}

/* ---- moving rows between ranks ---- */

static int check_split(const ht_array *a, int axis, const char *fn) {
  char sh[128];
  if (axis < -1 || axis >= a->ndim)
    return ht_error("%s: split axis %d is out of range for an array of shape %s", fn, axis,
                    ht_fmt_shape(sh, sizeof sh, a->ndim, a->gshape));
  return ht_require_host(a, fn);
}

/* resplit(nil): every rank gets the whole array, one rank's block at a time (a broadcast),
 * so the peak is the result plus one block, not the result plus a send copy per rank. */
static ht_array *replicate(const ht_array *a) {
  int p = ht_comm_size(), me = ht_comm_rank(), s = a->split;
  ht_array *out = ht_array_new_agreed("resplit", a->dtype, a->ndim, a->gshape, -1, NULL,
                                      a->device);
  if (!out) return NULL;
  int64_t most = 0, row = (int64_t)ht_dtype_size(a->dtype);
  for (int d = 0; d < a->ndim; d++) row *= d == s ? 1 : a->gshape[d];
  for (int q = 0; q < p; q++) most = a->counts[q] > most ? a->counts[q] : most;
  char *block = ht_scratch_alloc(most * row, "resplit");
  int status = ht_comm_agree(block ? 0 : -1);
  if (status) goto done;
  ht_buffer fake = {0};
  for (int q = 0; q < p && !status; q++) {
    if (!a->counts[q]) continue;
    if (q == me) {
      ht_array packed = ht_raw(&fake, a->dtype, a->ndim, a->lshape, block);
      ht_copy_into(&packed, a);
    }
    if ((status = ht_comm_bcast(block, a->counts[q] * row, q))) break;
    ht_array part = ht_narrow(out, s, ht_rank_lo(a->counts, q), a->counts[q]);
    ht_array packed = ht_raw(&fake, a->dtype, a->ndim, part.lshape, block);
    ht_copy_into(&part, &packed);
  }
done:
  free(block);
  if (status) ht_array_free(out), out = NULL;
  return out;
}

ht_array *ht_resplit(const ht_array *a, int axis) {
  if (check_split(a, axis, "resplit")) return NULL;
  if (axis == a->split) return ht_copy(a);
  if (axis < 0) return replicate(a);
  ht_array *out = ht_array_new_agreed("resplit", a->dtype, a->ndim, a->gshape, axis, NULL,
                                      a->device);
  if (!out) return NULL; /* agreed (or a small one that ended the job) */
  if (a->split < 0) { /* every rank already has everything: keep its block */
    ht_array part = ht_narrow(a, axis, ht_array_lstart(out), out->lshape[axis]);
    ht_copy_into(out, &part);
    return out;
  }
  int p = ht_comm_size(), s = a->split, ns = 0, nr = 0;
  ht_xseg *seg = ht_meta_alloc(sizeof(ht_xseg) * 2 * (size_t)p, "resplit");
  ht_xseg *send = seg, *recv = seg + p;
  /* to q: my rows, cut to q's part along the new axis; from q: q's rows, my part along
   * the new axis (gathering to every rank is replicate's) */
  for (int q = 0; q < p; q++) {
    if (out->counts[q])
      send[ns++] = (ht_xseg){q, axis, a, ht_rank_lo(out->counts, q), out->counts[q]};
    if (a->counts[q] && ht_array_lsize(out))
      recv[nr++] = (ht_xseg){q, s, out, ht_rank_lo(a->counts, q), a->counts[q]};
  }
  int rc = ht_exchange(send, ns, recv, nr, a->dtype, "resplit");
  free(seg);
  if (rc) return ht_array_free(out), NULL;
  return out;
}

ht_array *ht_redistribute(const ht_array *a, const int64_t *counts) {
  if (ht_require_host(a, "redistribute")) return NULL;
  if (a->split < 0) return ht_copy(a);
  int p = ht_comm_size(), s = a->split;
  ht_array *out = ht_array_new_agreed("redistribute", a->dtype, a->ndim, a->gshape, s, counts,
                                      a->device);
  if (!out) return NULL;
  int64_t *w = ht_meta_alloc(sizeof(int64_t) * 2 * (size_t)p, "redistribute");
  /* my rows [0, c) are the global rows from where my block starts */
  int64_t *zero = w, *glo = w + p;
  for (int q = 0; q < p; q++) zero[q] = 0, glo[q] = ht_rank_lo(a->counts, q);
  ht_seg1 c = {zero, a->counts, glo};
  const ht_array *src[1] = {a};
  int rc = ht_place(out, s, src, ht_seg1_fn, 1, &c, "redistribute");
  free(w);
  if (rc) return ht_array_free(out), NULL;
  return out;
}

ht_array *ht_balance(const ht_array *a) { return ht_redistribute(a, NULL); }

int ht_gather(const ht_array *a, int root, void *out) {
  if (ht_require_host(a, "gather")) return -1;
  ht_buffer fake = {0};
  if (a->split < 0) { /* already everywhere */
    ht_array dst = ht_raw(&fake, a->dtype, a->ndim, a->gshape, out);
    if (root < 0 || root == ht_comm_rank()) ht_copy_into(&dst, a);
    return 0;
  }
  ht_array *all = ht_resplit(a, -1); /* TODO(perf): a rooted gather moves less to non-roots */
  if (!all) return -1;
  if (root < 0 || root == ht_comm_rank()) {
    ht_array dst = ht_raw(&fake, all->dtype, all->ndim, all->gshape, out);
    ht_copy_into(&dst, all);
  }
  ht_array_free(all);
  return 0;
}
