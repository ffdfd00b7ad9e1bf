/* The SVD and the symmetric eigenproblem: a tall matrix split along rows goes through TSQR
 * and one small SVD of R, a short-fat one through its transpose, a replicated one (or one
 * gathered for full_matrices) straight to LAPACK's gesdd; eigh gathers and calls syevd. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/blas.h"
#include "../cpu/lapack.h"
#include "../decomp.h"
#include "../manipulation.h"

/* SVD of a replicated matrix on every rank: U (m x k or m x m), S, Vt (k x n or n x n). */
static int local_svd(const ht_array *x, bool full, bool uv, ht_array **u, ht_array **s,
                     ht_array **vt) {
  const ht_dtype t = x->dtype;
  const size_t sz = ht_dtype_size(t);
  const int64_t m = x->gshape[0], n = x->gshape[1], k = m < n ? m : n;
  const int64_t ur = full ? m : k, vr = full ? n : k;
  int64_t us[2] = {m, ur}, ss[1] = {k}, vs[2] = {vr, n};
  char *w = ht_scratch_alloc(m * n * (int64_t)sz, "svd");
  ht_array *U = w && uv ? ht_array_empty(t, 2, us, -1, HT_CPU) : NULL;
  ht_array *S = w ? ht_array_empty(t, 1, ss, -1, HT_CPU) : NULL;
  ht_array *V = w && uv ? ht_array_empty(t, 2, vs, -1, HT_CPU) : NULL;
  int st = !w ? -1 : !S || (uv && (!U || !V)) ? ht_decomp_oom("svd") : 0;
  if (!st) {
    memcpy(w, ht_array_data(x), (size_t)(m * n) * sz);
    st = ht_lapack_gesdd(t, uv ? (full ? 'A' : 'S') : 'N', m, n, w, n, ht_array_data(S),
                         uv ? ht_array_data(U) : NULL, ur, uv ? ht_array_data(V) : NULL, n);
    if (st > 0) st = ht_error("svd: LAPACK's gesdd did not converge (info %d)", st);
  }
  if (!st && uv) ht_decomp_sign_rows(t, k, n, ht_array_data(V), n, m, ht_array_data(U), ur);
  free(w);
  /* every rank factors the same matrix, but memory is each rank's own */
  if (ht_comm_agree(st)) {
    ht_array_free(U), ht_array_free(S), ht_array_free(V);
    return -1;
  }
  *s = S;
  if (uv) *u = U, *vt = V;
  return 0;
}

/* SVD of a tall matrix split along rows: A = Q R, R = Ur S Vt, U = Q Ur (split 0). */
static int tall_svd(const ht_array *x, bool uv, ht_array **u, ht_array **s, ht_array **vt) {
  ht_array *Q = NULL, *R = NULL, *Ur = NULL;
  if (ht_qr(x, uv, &Q, &R)) return -1;
  int st = local_svd(R, false, uv, &Ur, s, vt); /* R is replicated: same on every rank */
  ht_array_free(R);
  if (!st && uv) {
    const int64_t k = Q->gshape[1];
    ht_array *U = ht_array_empty_counts(x->dtype, 2, Q->gshape, 0, Q->counts, HT_CPU);
    st = U ? ht_blas_gemm(x->dtype, false, false, Q->lshape[0], k, k, 1.0, ht_array_data(Q),
                          k, ht_array_data(Ur), k, 0.0, ht_array_data(U), k)
           : -1;
    if (ht_comm_agree(st) < 0) {
      ht_array_free(U), ht_array_free(*s), ht_array_free(*vt);
      st = -1;
    } else {
      *u = U;
    }
  }
  ht_array_free(Q), ht_array_free(Ur);
  return st;
}

/* Flips column j of U (split 0 or replicated) and row j of the replicated Vt so that the
 * largest-magnitude entry of U's column is positive (the first one on ties): three small
 * allreduces find it across ranks. */
static int sign_cols(ht_array *U, ht_array *Vt) {
  const ht_dtype t = U->dtype;
  const int64_t k = U->gshape[1], mi = U->lshape[0], n = Vt->gshape[1];
  const int64_t off = ht_array_lstart(U);
  const bool across = U->split == 0;
  double *w = ht_meta_alloc(sizeof(double) * (size_t)(3 * k + 1), "svd"); /* O(k) metadata */
  double *amax = w, *row = w + k, *sgn = w + 2 * k;
  char *u = ht_array_data(U), *vt = ht_array_data(Vt);
  const size_t sz = ht_dtype_size(t);
  for (int64_t j = 0; j < k; j++) {
    amax[j] = 0;
    for (int64_t i = 0; i < mi; i++) {
      const double v = fabs(ht_get_f64(t, u + (size_t)(i * k + j) * sz));
      if (v > amax[j]) amax[j] = v;
    }
  }
  int st = across ? ht_comm_allreduce(amax, k, HT_FLOAT64, MPI_MAX) : 0;
  for (int64_t j = 0; !st && j < k; j++) {
    row[j] = 9.0e18;
    for (int64_t i = 0; i < mi; i++)
      if (fabs(ht_get_f64(t, u + (size_t)(i * k + j) * sz)) == amax[j]) {
        row[j] = (double)(off + i);
        break;
      }
  }
  if (!st && across) st = ht_comm_allreduce(row, k, HT_FLOAT64, MPI_MIN);
  for (int64_t j = 0; !st && j < k; j++) {
    const int64_t i = (int64_t)row[j] - off;
    sgn[j] = i >= 0 && i < mi ? ht_get_f64(t, u + (size_t)(i * k + j) * sz) : 0;
  }
  if (!st && across) st = ht_comm_allreduce(sgn, k, HT_FLOAT64, MPI_SUM);
  for (int64_t j = 0; !st && j < k; j++) {
    if (sgn[j] >= 0) continue;
    for (int64_t i = 0; i < mi; i++) {
      char *e = u + (size_t)(i * k + j) * sz;
      ht_set_f64(t, e, -ht_get_f64(t, e));
    }
    for (int64_t c = 0; c < n; c++) {
      char *e = vt + (size_t)(j * n + c) * sz;
      ht_set_f64(t, e, -ht_get_f64(t, e));
    }
  }
  free(w);
  return st;
}

/* A contiguous copy of the transpose of a 2-D array (its split moves with its axis). */
static ht_array *transposed(const ht_array *a) {
  ht_array *v = ht_transpose(a, NULL);
  ht_array *c = v ? ht_copy(v) : NULL;
  ht_array_free(v);
  return c;
}

int ht_svd(const ht_array *a, bool full_matrices, bool compute_uv, ht_array **u,
           ht_array **s, ht_array **vt) {
  ht_array *x = ht_decomp_input("svd", a);
  if (!x) return -1;
  const int64_t m = x->gshape[0], n = x->gshape[1];
  int st;
  if (x->split < 0 || (full_matrices && compute_uv)) {
    /* full U is m x m: only sensible for a matrix one rank can hold; so gather it */
    ht_array *g = x->split < 0 ? ht_array_view(x) : ht_resplit(x, -1);
    st = g ? local_svd(g, full_matrices, compute_uv, u, s, vt) : -1;
    ht_array_free(g);
    if (!st && compute_uv && x->split >= 0) { /* the factors follow a's split */
      ht_array *uu = x->split == 0 ? ht_resplit(*u, 0) : ht_array_view(*u);
      ht_array *vv = x->split == 1 ? ht_resplit(*vt, 1) : ht_array_view(*vt);
      ht_array_free(*u), ht_array_free(*vt);
      *u = uu, *vt = vv;
      if (!uu || !vv) {
        ht_array_free(uu), ht_array_free(vv), ht_array_free(*s);
        st = -1;
      }
    }
  } else if (m >= n) { /* tall: TSQR along rows */
    ht_array *x0 = x->split == 0 ? ht_array_view(x) : ht_resplit(x, 0);
    st = x0 ? tall_svd(x0, compute_uv, u, s, vt) : -1;
    ht_array_free(x0);
  } else { /* short-fat: A^T = U' S Vt' is tall, so A = Vt'^T S U'^T */
    ht_array *x1 = x->split == 1 ? ht_array_view(x) : ht_resplit(x, 1);
    ht_array *xt = x1 ? transposed(x1) : NULL, *ut = NULL, *vtt = NULL;
    ht_array_free(x1);
    st = xt ? tall_svd(xt, compute_uv, &ut, s, &vtt) : -1;
    ht_array_free(xt);
    if (!st && compute_uv && sign_cols(ut, vtt)) { /* Vt's rows, not U's, carry the rule */
      ht_array_free(*s);
      st = -1;
    }
    if (!st && compute_uv) {
      *u = transposed(vtt);
      *vt = transposed(ut);
      if (!*u || !*vt) {
        ht_array_free(*u), ht_array_free(*vt), ht_array_free(*s);
        st = -1;
      }
    }
    ht_array_free(ut), ht_array_free(vtt);
  }
  ht_array_free(x);
  return st;
}

int ht_eigh(const ht_array *a, ht_array **w, ht_array **v) {
  char sh[64];
  if (a->ndim == 2 && a->gshape[0] != a->gshape[1])
    return ht_error("eigh: expected a square matrix, got shape %s (split %d, dtype %s)",
                    ht_fmt_shape(sh, sizeof sh, 2, a->gshape), a->split,
                    ht_dtype_name(a->dtype));
  ht_array *x = ht_decomp_input("eigh", a);
  if (!x) return -1;
  ht_array *g = x->split < 0 ? ht_array_view(x) : ht_resplit(x, -1);
  ht_array_free(x);
  if (!g) return -1;
  const ht_dtype t = g->dtype;
  const int64_t n = g->gshape[0];
  int64_t ws[1] = {n};
  ht_array *W = ht_array_empty(t, 1, ws, -1, HT_CPU);
  ht_array *V = ht_copy(g);
  int st = W && V ? ht_lapack_syevd(t, v != NULL, n, ht_array_data(V), n, ht_array_data(W))
                  : ht_decomp_oom("eigh");
  if (st > 0) st = ht_error("eigh: LAPACK's syevd did not converge (info %d)", st);
  ht_array_free(g);
  /* every rank ran the same factorization, but an allocation may fail on one rank only */
  if (ht_comm_agree(st) < 0) st = -1;
  if (!st && v && a->split >= 0) {
    ht_array *vs = ht_resplit(V, a->split);
    ht_array_free(V);
    V = vs;
    if (!V) st = -1;
  }
  if (st) {
    ht_array_free(W), ht_array_free(V);
    return -1;
  }
  *w = W;
  if (v) *v = V;
  else ht_array_free(V);
  return 0;
}
