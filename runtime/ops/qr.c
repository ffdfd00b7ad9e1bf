/* QR decomposition: TSQR for matrices split along rows (a local QR per rank, one QR of the
 * stacked R factors, Q = local Q times its block of the small Q), LAPACK for replicated
 * ones; and the input checks every decomposition shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/blas.h"
#include "../cpu/lapack.h"
#include "../decomp.h"
#include "../manipulation.h"

static double get(ht_dtype t, const void *p, int64_t i) {
  return t == HT_FLOAT32 ? ((const float *)p)[i] : ((const double *)p)[i];
}

static void set(ht_dtype t, void *p, int64_t i, double v) {
  if (t == HT_FLOAT32) ((float *)p)[i] = (float)v;
  else ((double *)p)[i] = v;
}

ht_array *ht_decomp_input(const char *fn, const ht_array *a) {
  char sh[64];
  if (a->ndim != 2)
    return ht_error("%s: expected a 2-D array, got shape %s (%d-D, dtype %s)", fn,
                    ht_fmt_shape(sh, sizeof sh, a->ndim, a->gshape), a->ndim,
                    ht_dtype_name(a->dtype)), NULL;
  ht_array *x = ht_dtype_is_float(a->dtype)
                    ? ht_contiguous(a)
                    : ht_astype(a, HT_FLOAT64); /* NumPy's linalg promotes ints to float64 */
  int status = x ? 0 : -1;
  if (x) { /* NaN/inf would make LAPACK loop or return garbage */
    const int64_t n = ht_array_lsize(x);
    const void *d = ht_array_data(x);
    int bad = 0;
    if (x->dtype == HT_FLOAT32) {
      for (int64_t i = 0; i < n; i++) bad |= !isfinite(((const float *)d)[i]);
    } else {
      for (int64_t i = 0; i < n; i++) bad |= !isfinite(((const double *)d)[i]);
    }
    if (bad)
      status = ht_error("%s: array must not contain infs or NaNs (shape %s, split %d, dtype %s)",
                        fn, ht_fmt_shape(sh, sizeof sh, 2, a->gshape), a->split,
                        ht_dtype_name(a->dtype));
  }
  /* the check is local: a rank may see a NaN that the others do not */
  if ((a->split >= 0 ? ht_comm_agree(status) : status) < 0) {
    if (x) ht_array_free(x);
    return NULL;
  }
  return x;
}

void ht_decomp_sign_rows(ht_dtype t, int64_t k, int64_t n, void *vt, int64_t ldvt, int64_t m,
                         void *u, int64_t ldu) {
  for (int64_t i = 0; i < k; i++) {
    int64_t best = 0;
    double bv = 0;
    for (int64_t j = 0; j < n; j++) {
      const double v = fabs(get(t, vt, i * ldvt + j));
      if (v > bv) bv = v, best = j;
    }
    if (get(t, vt, i * ldvt + best) >= 0) continue;
    for (int64_t j = 0; j < n; j++) set(t, vt, i * ldvt + j, -get(t, vt, i * ldvt + j));
    if (u)
      for (int64_t r = 0; r < m; r++) set(t, u, r * ldu + i, -get(t, u, r * ldu + i));
  }
}

/* Makes R's diagonal non-negative: row j of R (k x n) and column j of Q (m rows) flip. */
static void positive_diagonal(ht_dtype t, int64_t k, int64_t n, void *r, int64_t ldr,
                              int64_t m, void *q, int64_t ldq) {
  for (int64_t j = 0; j < k; j++) {
    if (get(t, r, j * ldr + j) >= 0) continue;
    for (int64_t c = j; c < n; c++) set(t, r, j * ldr + c, -get(t, r, j * ldr + c));
    if (q)
      for (int64_t i = 0; i < m; i++) set(t, q, i * ldq + j, -get(t, q, i * ldq + j));
  }
}

/* Copies the upper trapezoid of the k x n matrix at w (ld n) into r (k x n), zeros below. */
static void take_r(size_t sz, int64_t k, int64_t n, const char *w, char *r) {
  memset(r, 0, (size_t)(k * n) * sz);
  for (int64_t i = 0; i < k; i++)
    memcpy(r + (size_t)(i * n + i) * sz, w + (size_t)(i * n + i) * sz, (size_t)(n - i) * sz);
}

/* QR of this rank's whole matrix (x replicated or thought of as one rank's). */
static int local_qr(const ht_array *x, bool want_q, ht_array **q, ht_array **r) {
  const ht_dtype t = x->dtype;
  const size_t sz = ht_dtype_size(t);
  const int64_t m = x->gshape[0], n = x->gshape[1], k = m < n ? m : n;
  int64_t rs[2] = {k, n}, qs[2] = {m, k};
  char *w = malloc((size_t)(m * n) * sz + 1), *tau = malloc((size_t)k * sz + 1);
  ht_array *R = ht_array_empty(t, 2, rs, -1, HT_CPU);
  ht_array *Q = want_q ? ht_array_empty(t, 2, qs, -1, HT_CPU) : NULL;
  int st = !w || !tau || !R || (want_q && !Q) ? ht_error("qr: out of memory for %lldx%lld",
                                                         (long long)m, (long long)n) : 0;
  if (!st) {
    memcpy(w, ht_array_data(x), (size_t)(m * n) * sz);
    st = ht_lapack_geqrf(t, m, n, w, n, tau);
  }
  if (!st) {
    take_r(sz, k, n, w, ht_array_data(R));
    if (want_q) {
      st = ht_lapack_orgqr(t, m, k, w, n, tau);
      for (int64_t i = 0; !st && i < m; i++)
        memcpy((char *)ht_array_data(Q) + (size_t)(i * k) * sz, w + (size_t)(i * n) * sz,
               (size_t)k * sz);
    }
  }
  if (st > 0) st = ht_error("qr: LAPACK failed (info %d)", st);
  if (!st) positive_diagonal(t, k, n, ht_array_data(R), n, m, Q ? ht_array_data(Q) : NULL, k);
  free(w), free(tau);
  if (st) {
    ht_array_free(R), ht_array_free(Q);
    return -1;
  }
  *r = R;
  if (want_q) *q = Q;
  return 0;
}

/* TSQR of x (contiguous, split 0). R replicated; Q split 0 with x's counts. */
static int tsqr(const ht_array *x, bool want_q, ht_array **q, ht_array **r) {
  const ht_dtype t = x->dtype;
  const size_t sz = ht_dtype_size(t);
  const int p = ht_comm_size(), me = ht_comm_rank();
  const int64_t m = x->gshape[0], n = x->gshape[1], mi = x->lshape[0];
  const int64_t kf = m < n ? m : n; /* the final k */
  int64_t *kc = malloc(sizeof(int64_t) * 3 * (size_t)p);
  if (!kc) return ht_error("qr: out of memory"); /* small metadata: no data-sized agreement */
  int64_t *kb = kc + p, *kd = kc + 2 * p, K = 0;
  for (int rk = 0; rk < p; rk++) {
    kc[rk] = x->counts[rk] < n ? x->counts[rk] : n;
    K += kc[rk];
  }
  const int64_t ki = kc[me];
  for (int rk = 0; rk < p; rk++) kb[rk] = kc[rk] * n * (int64_t)sz;
  ht_counts_to_displs(kb, p, kd);

  /* 1. local QR of my rows */
  char *w = malloc((size_t)(mi * n) * sz + 1), *tau = malloc((size_t)ki * sz + 1);
  char *stack = malloc((size_t)(K * n) * sz + 1), *mine = malloc((size_t)(ki * n) * sz + 1);
  char *qs = malloc((size_t)(K * kf) * sz + 1), *tau2 = malloc((size_t)kf * sz + 1);
  int st = !w || !tau || !stack || !mine || !qs || !tau2
               ? ht_error("qr: out of memory for a (%lld, %lld) block", (long long)mi,
                          (long long)n)
               : 0;
  if (!st) {
    memcpy(w, ht_array_data(x), (size_t)(mi * n) * sz);
    st = ht_lapack_geqrf(t, mi, n, w, n, tau);
    if (st > 0) st = ht_error("qr: LAPACK failed on a local block (info %d)", st);
  }
  if (!st) take_r(sz, ki, n, w, mine);
  if (ht_comm_agree(st) < 0) goto fail;

  /* 2. every rank's R, stacked; rank 0 factors the stack and sends R and Q_s round */
  if (ht_comm_allgatherv(mine, ki * n * (int64_t)sz, stack, kb, kd)) goto fail_agreed;
  st = 0;
  if (me == 0) {
    st = ht_lapack_geqrf(t, K, n, stack, n, tau2);
    if (!st) {
      /* R is copied out before orgqr overwrites the stack with Q_s */
      char *rr = malloc((size_t)(kf * n) * sz + 1);
      if (!rr) st = ht_error("qr: out of memory");
      else {
        take_r(sz, kf, n, stack, rr);
        if (want_q) st = ht_lapack_orgqr(t, K, kf, stack, n, tau2);
        for (int64_t i = 0; !st && want_q && i < K; i++)
          memcpy(qs + (size_t)(i * kf) * sz, stack + (size_t)(i * n) * sz, (size_t)kf * sz);
        memcpy(stack, rr, (size_t)(kf * n) * sz); /* R now leads the stack buffer */
        free(rr);
      }
    }
    if (st > 0) st = ht_error("qr: LAPACK failed on the stacked R factors (info %d)", st);
    if (!st) positive_diagonal(t, kf, n, stack, n, K, want_q ? qs : NULL, kf);
  }
  if (ht_comm_agree(st) < 0) goto fail;
  if (ht_comm_bcast(stack, kf * n * (int64_t)sz, 0)) goto fail_agreed;
  if (want_q && ht_comm_bcast(qs, K * kf * (int64_t)sz, 0)) goto fail_agreed;

  int64_t rshape[2] = {kf, n}, qshape[2] = {m, kf};
  ht_array *R = ht_array_empty(t, 2, rshape, -1, HT_CPU);
  ht_array *Q = want_q ? ht_array_empty_counts(t, 2, qshape, 0, x->counts, HT_CPU) : NULL;
  st = !R || (want_q && !Q) ? ht_error("qr: out of memory for the factors") : 0;
  if (!st) memcpy(ht_array_data(R), stack, (size_t)(kf * n) * sz);
  /* 3. my Q rows: local Q (mi x ki) times my block of Q_s (ki x kf) */
  if (!st && want_q) {
    int64_t off = 0;
    for (int rk = 0; rk < me; rk++) off += kc[rk];
    st = ht_lapack_orgqr(t, mi, ki, w, n, tau);
    if (st > 0) st = ht_error("qr: LAPACK failed forming Q (info %d)", st);
    if (!st && ki > 0)
      st = ht_blas_gemm(t, false, false, mi, kf, ki, 1.0, w, n, qs + (size_t)(off * kf) * sz,
                        kf, 0.0, ht_array_data(Q), kf);
    else if (!st && mi > 0)
      memset(ht_array_data(Q), 0, (size_t)(mi * kf) * sz);
  }
  free(w), free(tau), free(stack), free(mine), free(qs), free(tau2), free(kc);
  if (ht_comm_agree(st) < 0) {
    ht_array_free(R), ht_array_free(Q);
    return -1;
  }
  *r = R;
  if (want_q) *q = Q;
  return 0;

fail_agreed: /* a failed collective: every rank already has the error */
fail:
  free(w), free(tau), free(stack), free(mine), free(qs), free(tau2), free(kc);
  return -1;
}

int ht_qr(const ht_array *a, bool want_q, ht_array **q, ht_array **r) {
  ht_array *x = ht_decomp_input("qr", a);
  if (!x) return -1;
  int st;
  if (x->split < 0) {
    st = local_qr(x, want_q, q, r);
  } else if (x->split == 0) {
    st = tsqr(x, want_q, q, r);
  } else { /* split 1: rows travel once (Alltoallv), then TSQR; factors go back to split 1 */
    ht_array *x0 = ht_resplit(x, 0), *q0 = NULL, *r0 = NULL;
    st = x0 ? tsqr(x0, want_q, &q0, &r0) : -1;
    ht_array_free(x0);
    if (!st) {
      *r = ht_resplit(r0, 1);
      if (want_q) *q = ht_resplit(q0, 1);
      st = !*r || (want_q && !*q) ? -1 : 0;
      if (st) ht_array_free(*r), *r = NULL;
      if (st && want_q) ht_array_free(*q), *q = NULL;
    }
    ht_array_free(q0), ht_array_free(r0);
  }
  ht_array_free(x);
  return st;
}
