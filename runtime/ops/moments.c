/* Column statistics for estimators (runtime/moments.h): operands brought to contiguous
 * float rows with their weights aligned, the local kernels of cpu/moments.c, then one
 * collective: an allgather of per-rank moments, or an allreduce of the Gram matrix. */
#include "../moments.h"

#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../device.h"
#include "../cpu/blas.h"
#include "../cpu/moments.h"
#include "../ops.h"

/* x's local rows as a contiguous float array and the vectors (y, w) as contiguous float64
 * arrays holding the same rows; *owned lists what to free. */
typedef struct operands {
  const ht_array *x;
  const double *vec[2];
  ht_array *owned[5];
} operands;

static void operands_free(operands *o) {
  for (int k = 0; k < 5; k++) ht_array_free(o->owned[k]);
}

static const ht_array *keep(operands *o, int slot, ht_array *a) {
  o->owned[slot] = a;
  return a;
}

static int prepare(const char *fn, const ht_array *x, const ht_array *const v[2],
                   const char *const vname[2], operands *o) {
  char s1[128], s2[128];
  memset(o, 0, sizeof *o);
  if (x->ndim != 2)
    return ht_error("%s: X must be 2-D, got shape %s", fn,
                    ht_fmt_shape(s1, sizeof s1, x->ndim, x->gshape));
  if (ht_require_host(x, fn)) return -1;
  const ht_array *a = x;
  if (a->split == 1 && !(a = keep(o, 0, ht_resplit(a, 0)))) return -1;
  if (!ht_dtype_is_float(a->dtype)) { /* NumPy/scikit-learn: integer X becomes float64 */
    ht_array *c = ht_astype(a, HT_FLOAT64);
    ht_array_free(o->owned[0]);
    if (!(a = keep(o, 0, c))) return -1;
  } else if (!ht_array_is_contiguous(a)) {
    ht_array *c = ht_copy(a);
    ht_array_free(o->owned[0]);
    if (!(a = keep(o, 0, c))) return -1;
  }
  o->x = a;
  const int64_t n = a->gshape[0];
  for (int k = 0; k < 2; k++) {
    const ht_array *b = v[k];
    if (!b) continue;
    if (b->ndim != 1 || b->gshape[0] != n)
      return ht_error("%s: %s must have shape (%lld,) to match X %s, got %s", fn, vname[k],
                      (long long)n, ht_fmt_shape(s1, sizeof s1, x->ndim, x->gshape),
                      ht_fmt_shape(s2, sizeof s2, b->ndim, b->gshape));
    if (ht_require_host(b, fn)) return -1;
    if (b->split >= 0 && a->split < 0) {
      if (!(b = keep(o, 1 + 2 * k, ht_resplit(b, -1)))) return -1;
    } else if (b->split >= 0 &&
               memcmp(b->counts, a->counts, sizeof(int64_t) * (size_t)ht_comm_size())) {
      if (!(b = keep(o, 1 + 2 * k, ht_redistribute(b, a->counts)))) return -1;
    }
    if (b->dtype != HT_FLOAT64 || !ht_array_is_contiguous(b))
      if (!(b = keep(o, 2 + 2 * k, ht_astype(b, HT_FLOAT64)))) return -1;
    /* a replicated vector next to split rows: this rank's rows start at its offset */
    o->vec[k] = (const double *)ht_array_data(b) + (b->split < 0 ? ht_array_lstart(a) : 0);
  }
  return 0;
}

int ht_col_moments(const ht_array *x, const ht_array *w, double *sw, double *mean, double *m2) {
  static const char *fn = "col_moments";
  const ht_array *v[2] = {w, NULL};
  const char *const names[2] = {"sample_weight", ""};
  operands o;
  if (prepare(fn, x, v, names, &o)) return operands_free(&o), -1;
  const ht_array *a = o.x;
  const int64_t f = a->gshape[1];
  const int p = ht_comm_size();
  int rc = ht_cpu_col_moments(a->dtype, a->lshape[0], f, ht_array_data(a), o.vec[0], sw,
                              mean, m2);
  if (rc) ht_error("%s: out of memory (%lld features)", fn, (long long)f);
  if (a->split < 0) return operands_free(&o), rc;

  /* every rank's (sw, mean, m2), combined in rank order: the same numbers everywhere */
  const int64_t m = 2 * f + 1;
  double *all = rc ? NULL : malloc(sizeof(double) * (size_t)(m * (p + 1)));
  int64_t *cnt = rc ? NULL : malloc(2 * sizeof(int64_t) * (size_t)p);
  if (!rc && (!all || !cnt)) rc = ht_error("%s: out of memory (%d x %lld doubles)", fn, p, (long long)m);
  rc = ht_comm_agree(rc);
  if (rc == 0) {
    double *mine = all + m * p;
    mine[0] = *sw;
    memcpy(mine + 1, mean, sizeof(double) * (size_t)f);
    memcpy(mine + 1 + f, m2, sizeof(double) * (size_t)f);
    for (int r = 0; r < p; r++) cnt[r] = m * (int64_t)sizeof(double), cnt[p + r] = r * cnt[r];
    rc = ht_comm_allgatherv(mine, m * (int64_t)sizeof(double), all, cnt, cnt + p);
  }
  if (rc == 0) {
    *sw = 0;
    for (int r = 0; r < p; r++) {
      const double nb = all[r * m], *mb = all + r * m + 1, *vb = mb + f;
      if (nb <= 0) continue;
      const double na = *sw, nab = na + nb;
      for (int64_t j = 0; j < f; j++) {
        const double d = mb[j] - mean[j];
        if (na == 0) mean[j] = mb[j], m2[j] = vb[j];
        else mean[j] += d * (nb / nab), m2[j] += vb[j] + d * d * (na * nb / nab);
      }
      *sw = nab;
    }
  }
  free(all);
  free(cnt);
  operands_free(&o);
  return rc;
}

/* Rows per packed block: about 1 MiB of float64, at least 64 rows. */
static int64_t block_rows(int64_t m) {
  int64_t r = (1 << 17) / m;
  return r < 64 ? 64 : r;
}

ht_array *ht_weighted_gram(const ht_array *x, const ht_array *y, const ht_array *w) {
  static const char *fn = "weighted_gram";
  const ht_array *v[2] = {y, w};
  const char *const names[2] = {"y", "sample_weight"};
  operands o;
  if (prepare(fn, x, v, names, &o)) return operands_free(&o), NULL;
  const ht_array *a = o.x;
  const int64_t f = a->gshape[1], m = f + 1 + (y != NULL), n = a->lshape[0];
  const int64_t nb = block_rows(m);
  int64_t shape[2] = {m, m};
  ht_array *g = ht_array_empty(HT_FLOAT64, 2, shape, -1, HT_CPU);
  double *buf = g && n > 0 ? malloc(sizeof(double) * (size_t)(nb * m)) : NULL;
  int rc = 0;
  if (!g) rc = -1;
  else if (n > 0 && !buf) rc = ht_error("%s: out of memory (%lld x %lld block)", fn,
                                        (long long)nb, (long long)m);
  if (g) memset(ht_array_data(g), 0, sizeof(double) * (size_t)(m * m));
  int64_t bad = 0;
  for (int64_t r0 = 0; rc == 0 && r0 < n; r0 += nb) {
    const int64_t k = n - r0 < nb ? n - r0 : nb;
    bad += ht_cpu_pack_augmented(a->dtype, r0, k, f, ht_array_data(a), o.vec[0], o.vec[1], buf);
    rc = ht_blas_syrk(HT_FLOAT64, true, m, k, 1.0, buf, m, 1.0, ht_array_data(g), m);
  }
  if (rc == 0 && bad)
    rc = ht_error("%s: sample_weight must be non-negative and not NaN (%lld bad values on "
                  "rank %d)", fn, (long long)bad, ht_comm_rank());
  free(buf);
  if (a->split >= 0) {
    rc = ht_comm_agree(rc);
    if (rc == 0) rc = ht_comm_allreduce(ht_array_data(g), m * m, HT_FLOAT64, MPI_SUM);
  }
  if (rc == 0) ht_blas_symmetrize(HT_FLOAT64, m, ht_array_data(g), m);
  operands_free(&o);
  if (rc) return ht_array_free(g), NULL;
  return g;
}
