/* ht_cdist: pairwise distances of two distributed row sets. Per split case: replicated or
 * local y -> one local kernel call; x split by rows and y split by rows -> y's blocks go
 * round a ring of the ranks, so no rank ever holds more than two blocks of y. */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../device.h"
#include "../cpu/distance.h"
#include "../spatial.h"

static const char *metric_name(ht_dist_metric m) {
  switch (m) {
  case HT_DIST_RBF: return "rbf";
  case HT_DIST_MANHATTAN: return "manhattan";
  default: return "cdist";
  }
}

static int check_input(const char *fn, const char *what, const ht_array *a) {
  char sh[128];
  if (a->ndim != 2)
    return ht_error("%s: %s must be 2-D (samples, features), got shape %s", fn, what,
                    ht_fmt_shape(sh, sizeof sh, a->ndim, a->gshape));
  return ht_require_host(a, fn);
}

/* a in dtype t, C-contiguous, split 0 or replicated (a split-1 array is redistributed). */
static ht_array *prepare(const ht_array *a, ht_dtype t) {
  ht_array *r = a->split == 1 ? ht_resplit(a, 0) : NULL;
  const ht_array *src = r ? r : a;
  if (a->split == 1 && !r) return NULL;
  ht_array *out = src->dtype != t ? ht_astype(src, t) : ht_contiguous(src);
  ht_array_free(r);
  return out;
}

/* The local rows of x against y's blocks as they pass round the ring. */
static int ring(ht_dist_metric m, bool quad, double sigma, const ht_array *x,
                const ht_array *y, ht_array *out) {
  const int p = ht_comm_size(), me = ht_comm_rank();
  const int64_t f = x->gshape[1], nloc = x->lshape[0], mtot = y->gshape[0];
  const size_t item = ht_dtype_size(x->dtype);
  int64_t maxc = 0, *displs = malloc(sizeof(int64_t) * (size_t)p);
  for (int r = 0; r < p; r++) maxc = y->counts[r] > maxc ? y->counts[r] : maxc;
  char *bufs = malloc((size_t)(2 * maxc * f) * item + 64);
  int status = !displs || !bufs ? ht_error("cdist: out of memory (ring buffers of %lld rows)",
                                           (long long)(2 * maxc)) : 0;
  if (ht_comm_agree(status)) return free(displs), free(bufs), -1;
  ht_counts_to_displs(y->counts, p, displs);
  const char *cur = ht_array_data(y);
  char *nxt = bufs, *spare = bufs + (size_t)(maxc * f) * item;
  for (int s = 0; s < p; s++) {
    const int src = (me - s + p) % p;
    if (!status)
      status = ht_cpu_dist(x->dtype, m, quad, sigma, nloc, y->counts[src], f, ht_array_data(x),
                           cur, (char *)ht_array_data(out) + (size_t)displs[src] * item, mtot);
    if (s == p - 1) break;
    const int from = (me - s - 1 + p) % p;
    if (ht_comm_sendrecv(cur, (int64_t)((size_t)(y->counts[src] * f) * item), (me + 1) % p, nxt,
                         (int64_t)((size_t)(y->counts[from] * f) * item), (me - 1 + p) % p)) {
      status = -1;
      break; /* an MPI failure: MPI's error handler has ended the job already */
    }
    cur = nxt;
    char *t = nxt;
    nxt = spare, spare = t;
  }
  free(displs), free(bufs);
  return ht_comm_agree(status);
}

ht_array *ht_cdist(const ht_array *x, const ht_array *y, ht_dist_metric metric,
                   bool quadratic, double sigma) {
  const char *fn = metric_name(metric);
  char sx[128], sy[128];
  if (check_input(fn, "X", x) || (y && check_input(fn, "Y", y))) return NULL;
  if (y && y->gshape[1] != x->gshape[1])
    return ht_error("%s: X and Y must have the same number of features, got shapes %s and %s",
                    fn, ht_fmt_shape(sx, sizeof sx, 2, x->gshape),
                    ht_fmt_shape(sy, sizeof sy, 2, y->gshape)), NULL;
  if (metric == HT_DIST_RBF && !(sigma > 0))
    return ht_error("%s: sigma must be positive, got %g", fn, sigma), NULL;
  ht_dtype t = y ? ht_promote(x->dtype, y->dtype) : x->dtype;
  if (!ht_dtype_is_float(t)) t = HT_FLOAT64; /* NumPy/SciPy: integers compute in float64 */

  ht_array *xs = prepare(x, t), *ys = NULL, *out = NULL;
  if (!xs) return NULL;
  if (y) {
    ys = prepare(y, t);
    if (!ys) return ht_array_free(xs), NULL;
  }
  const ht_array *yv = ys ? ys : xs;
  const int64_t shape[2] = {x->gshape[0], yv->gshape[0]};
  int status = 0;
  if (xs->split == 0) {
    out = ht_array_empty_counts(t, 2, shape, 0, xs->counts, HT_CPU);
  } else if (yv->split == 0) {
    out = ht_array_empty_counts(t, 2, shape, 1, yv->counts, HT_CPU);
  } else {
    out = ht_array_empty(t, 2, shape, -1, HT_CPU);
  }
  /* replicated inputs are rank-local work: no collective, so a rank may call this alone */
  const bool dist = xs->split >= 0 || yv->split >= 0;
  if (!out) status = -1;
  if (dist ? ht_comm_agree(status) : status) goto fail;
  if (xs->split == 0 && yv->split == 0) {
    if (ring(metric, quadratic, sigma, xs, yv, out)) goto fail;
  } else {
    status = ht_cpu_dist(t, metric, quadratic, sigma, xs->lshape[0], yv->lshape[0], x->gshape[1],
                         ht_array_data(xs), ht_array_data(yv), ht_array_data(out), out->lshape[1]);
    if (dist ? ht_comm_agree(status) : status) goto fail;
  }
  ht_array_free(xs), ht_array_free(ys);
  return out;
fail:
  ht_array_free(xs), ht_array_free(ys), ht_array_free(out);
  return NULL;
}
