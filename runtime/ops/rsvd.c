/* Randomized SVD and eigendecomposition (Halko, Martinsson & Tropp 2011, Algorithms 4.4
 * and 5.1; Heat's rsvd/reigh): a Gaussian sketch from the counter-based generator (so
 * the result does not depend on the rank count), TSQR range finding with optional power
 * iterations, and one small replicated SVD or eigh. Rows stay where they are: products
 * with the replicated sketch are local GEMMs, Q^T A is a local GEMM plus one allreduce. */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/blas.h"
#include "../cpu/lapack.h"
#include "../decomp.h"
#include "../manipulation.h"
#include "../ops.h"

/* Y = X M: X split 0 (or replicated) m x n, M replicated n x l; Y like X's rows. */
static ht_array *mul_rows(const ht_array *x, const ht_array *mm) {
  const int64_t l = mm->gshape[1], n = x->gshape[1];
  int64_t shape[2] = {x->gshape[0], l};
  ht_array *y = ht_array_empty_counts(x->dtype, 2, shape, x->split, x->counts, HT_CPU);
  int st = y ? ht_blas_gemm(x->dtype, false, false, x->lshape[0], l, n, 1.0, ht_array_data(x),
                            n, ht_array_data(mm), l, 0.0, ht_array_data(y), l)
             : -1;
  if (x->split >= 0 && ht_comm_agree(st) < 0) st = -1;
  if (st) return ht_array_free(y), NULL;
  return y;
}

/* Q^T X (l x n), replicated: Q and X split 0 with the same counts (or both replicated). */
static ht_array *tmul_sum(const ht_array *q, const ht_array *x) {
  const int64_t l = q->gshape[1], n = x->gshape[1];
  int64_t shape[2] = {l, n};
  ht_array *b = ht_array_empty(x->dtype, 2, shape, -1, HT_CPU);
  int st = b ? 0 : ht_error("rsvd: out of memory");
  if (!st) {
    memset(ht_array_data(b), 0, (size_t)(l * n) * ht_dtype_size(x->dtype));
    st = ht_blas_gemm(x->dtype, true, false, l, n, q->lshape[0], 1.0, ht_array_data(q), l,
                      ht_array_data(x), n, 0.0, ht_array_data(b), n);
  }
  if (x->split >= 0) {
    if (ht_comm_agree(st) < 0) st = -1;
    if (!st) st = ht_comm_allreduce(ht_array_data(b), l * n, x->dtype, MPI_SUM);
  }
  if (st) return ht_array_free(b), NULL;
  return b;
}

static ht_array *qfactor(ht_array *y) {
  ht_array *q = NULL, *r = NULL;
  int st = ht_qr(y, true, &q, &r);
  ht_array_free(y);
  ht_array_free(r);
  return st ? NULL : q;
}

/* Heat's _randomized_range_finder on x (split 0 or replicated): m x l orthonormal Q. */
static ht_array *range_finder(const ht_array *x, int64_t l, int64_t power_iter) {
  int64_t os[2] = {x->gshape[1], l};
  ht_array *omega = ht_random_normal(x->dtype, 2, os, -1, HT_CPU, 0.0, 1.0);
  ht_array *q = omega ? qfactor(mul_rows(x, omega)) : NULL;
  ht_array_free(omega);
  for (int64_t it = 0; q && it < power_iter; it++) {
    ht_array *b = tmul_sum(q, x); /* Q^T A = (A^T Q)^T, l x n replicated */
    ht_array_free(q);
    ht_array *bt = b ? ht_transpose(b, NULL) : NULL;
    ht_array *z = bt ? ht_copy(bt) : NULL;
    ht_array_free(b), ht_array_free(bt);
    ht_array *qz = z ? qfactor(z) : NULL; /* n x l replicated */
    q = qz ? qfactor(mul_rows(x, qz)) : NULL;
    ht_array_free(qz);
  }
  return q;
}

/* The checks and the row-split input both routines share. */
static ht_array *prepare(const char *fn, const ht_array *a, int64_t rank, int64_t over,
                         int64_t power_iter, int64_t *l) {
  if (rank < 1 || over < 0 || power_iter < 0)
    return ht_error("%s: rank (%lld) must be positive, n_oversamples (%lld) and power_iter "
                    "(%lld) non-negative", fn, (long long)rank, (long long)over,
                    (long long)power_iter), NULL;
  ht_array *x = ht_decomp_input(fn, a);
  if (!x) return NULL;
  const int64_t k = x->gshape[0] < x->gshape[1] ? x->gshape[0] : x->gshape[1];
  if (rank > k) {
    char sh[64];
    ht_error("%s: rank %lld exceeds min(m, n) = %lld of shape %s", fn, (long long)rank,
             (long long)k, ht_fmt_shape(sh, sizeof sh, 2, x->gshape));
    return ht_array_free(x), NULL;
  }
  *l = rank + over < k ? rank + over : k;
  if (x->split != 1) return x;
  ht_array *x0 = ht_resplit(x, 0); /* rows travel once; everything after is local */
  ht_array_free(x);
  return x0;
}

/* The first k columns of the l-column replicated w, as Q w[:, :k] (rows like q). */
static ht_array *leading(const ht_array *q, const ht_array *w, int64_t k) {
  const int64_t l = q->gshape[1], lw = w->gshape[1];
  int64_t shape[2] = {q->gshape[0], k};
  ht_array *u = ht_array_empty_counts(q->dtype, 2, shape, q->split, q->counts, HT_CPU);
  int st = u ? ht_blas_gemm(q->dtype, false, false, q->lshape[0], k, l, 1.0, ht_array_data(q),
                            l, ht_array_data(w), lw, 0.0, ht_array_data(u), k)
             : -1;
  if (q->split >= 0 && ht_comm_agree(st) < 0) st = -1;
  if (st) return ht_array_free(u), NULL;
  return u;
}

int ht_rsvd(const ht_array *a, int64_t rank, int64_t n_oversamples, int64_t power_iter,
            ht_array **u, ht_array **s, ht_array **vt) {
  int64_t l;
  ht_array *x = prepare("rsvd", a, rank, n_oversamples, power_iter, &l);
  ht_array *q = x ? range_finder(x, l, power_iter) : NULL;
  ht_array *b = q ? tmul_sum(q, x) : NULL;
  ht_array_free(x);
  ht_array *ub = NULL, *sb = NULL, *vb = NULL;
  int st = b ? ht_svd(b, false, true, &ub, &sb, &vb) : -1;
  ht_array_free(b);
  if (!st) {
    const size_t sz = ht_dtype_size(q->dtype);
    const int64_t n = vb->gshape[1];
    int64_t ss[1] = {rank}, vs[2] = {rank, n};
    *u = leading(q, ub, rank);
    *s = ht_array_empty(q->dtype, 1, ss, -1, HT_CPU);
    *vt = ht_array_empty(q->dtype, 2, vs, -1, HT_CPU);
    if (*s) memcpy(ht_array_data(*s), ht_array_data(sb), (size_t)rank * sz);
    if (*vt) memcpy(ht_array_data(*vt), ht_array_data(vb), (size_t)(rank * n) * sz);
    if (!*u || !*s || !*vt) {
      ht_array_free(*u), ht_array_free(*s), ht_array_free(*vt);
      st = -1;
    }
  }
  ht_array_free(q), ht_array_free(ub), ht_array_free(sb), ht_array_free(vb);
  return st;
}

int ht_reigh(const ht_array *a, int64_t k, int64_t n_oversamples, int64_t power_iter,
             ht_array **w, ht_array **v) {
  char sh[64];
  if (a->ndim == 2 && a->gshape[0] != a->gshape[1])
    return ht_error("reigh: expected a square matrix, got shape %s (split %d, dtype %s)",
                    ht_fmt_shape(sh, sizeof sh, 2, a->gshape), a->split,
                    ht_dtype_name(a->dtype));
  int64_t l;
  ht_array *x = prepare("reigh", a, k, n_oversamples, power_iter, &l);
  ht_array *q = x ? range_finder(x, l, power_iter) : NULL;
  ht_array *b = q ? tmul_sum(q, x) : NULL; /* Q^T A, l x n */
  ht_array_free(x);
  /* Q^T A Q: this rank's columns of Q^T A times its rows of Q, summed over the ranks */
  int64_t cs[2] = {l, l};
  ht_array *c = b ? ht_array_empty(b->dtype, 2, cs, -1, HT_CPU) : NULL;
  int st = c ? 0 : -1;
  if (!st) {
    const size_t sz = ht_dtype_size(b->dtype);
    const int64_t n = b->gshape[1], off = ht_array_lstart(q);
    st = ht_blas_gemm(b->dtype, false, false, l, l, q->lshape[0], 1.0,
                      (char *)ht_array_data(b) + (size_t)off * sz, n, ht_array_data(q), l, 0.0,
                      ht_array_data(c), l);
    if (q->split >= 0 && !st) st = ht_comm_allreduce(ht_array_data(c), l * l, b->dtype, MPI_SUM);
  }
  ht_array_free(b);
  ht_array *wl = NULL, *vl = NULL;
  if (!st) st = ht_eigh(c, &wl, &vl);
  ht_array_free(c);
  if (!st) { /* descending (Heat): reverse the ascending eigenpairs, keep k */
    const ht_dtype t = wl->dtype;
    const size_t sz = ht_dtype_size(t);
    int64_t ws[1] = {k}, rs[2] = {l, k};
    ht_array *wk = ht_array_empty(t, 1, ws, -1, HT_CPU), *vk = ht_array_empty(t, 2, rs, -1, HT_CPU);
    if (wk && vk) {
      for (int64_t j = 0; j < k; j++) {
        memcpy((char *)ht_array_data(wk) + (size_t)j * sz,
               (char *)ht_array_data(wl) + (size_t)(l - 1 - j) * sz, sz);
        for (int64_t i = 0; i < l; i++)
          memcpy((char *)ht_array_data(vk) + (size_t)(i * k + j) * sz,
                 (char *)ht_array_data(vl) + (size_t)(i * l + l - 1 - j) * sz, sz);
      }
      *w = wk;
      *v = leading(q, vk, k);
    }
    if (!wk || !vk || !*v) {
      ht_array_free(wk);
      st = -1;
    }
    ht_array_free(vk);
  }
  ht_array_free(q), ht_array_free(wl), ht_array_free(vl);
  return st;
}
