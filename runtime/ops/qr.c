/* QR decomposition: TSQR for matrices split along rows (a local QR per rank, one QR of the
 * stacked R factors, Q = local Q times its block of the small Q), LAPACK for replicated
 * ones; and the input checks every decomposition shares. */
#include <math.h>
#include <stdio.h>
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

int ht_decomp_finite(const char *fn, const char *what, const ht_array *a, const ht_array *x) {
  char sh[128];
  const int64_t n = ht_array_lsize(x);
  const void *d = ht_array_data(x);
  int bad = 0; /* NaN/inf would make LAPACK loop, reject an argument or return garbage */
  if (x->dtype == HT_FLOAT32) {
    for (int64_t i = 0; i < n; i++) bad |= !isfinite(((const float *)d)[i]);
  } else {
    for (int64_t i = 0; i < n; i++) bad |= !isfinite(((const double *)d)[i]);
  }
  if (!bad) return 0;
  return ht_error("%s: %s must not contain infs or NaNs (shape %s, split %d, dtype %s)", fn, what,
                  ht_fmt_shape(sh, sizeof sh, a->ndim, a->gshape), a->split,
                  ht_dtype_name(a->dtype));
}

int ht_decomp_oom(const char *fn) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s", ht_errmsg());
  return ht_error("%s: %s", fn, msg);
}

ht_array *ht_decomp_input(const char *fn, const ht_array *a) {
  char sh[64];
  if (a->ndim != 2)
    return ht_error("%s: expected a 2-D array, got shape %s (%d-D, split %d, dtype %s)", fn,
                    ht_fmt_shape(sh, sizeof sh, a->ndim, a->gshape), a->ndim, a->split,
                    ht_dtype_name(a->dtype)), NULL;
  ht_array *x = ht_dtype_is_float(a->dtype)
                    ? ht_contiguous(a)
                    : ht_astype(a, HT_FLOAT64); /* NumPy's linalg promotes ints to float64 */
  int status = x ? ht_decomp_finite(fn, "array", a, x) : -1;
  /* the check is local: a rank may see a NaN that the others do not */
  /* memory is each rank's own even for a replicated a: always agreed */
  if (ht_comm_agree(status) < 0) {
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

/* Rows per chunk of the local TSQR below: a 4096 x 64 float32 panel is 1 MiB, in cache. */
enum { QR_CHUNK = 4096, QR_CHUNK_MAX_COLS = 256 };

/* The c x n row-major block w (ld n) into column-major cm (ld c), and back. */
static void to_colmajor(ht_dtype t, int64_t c, int64_t n, const char *w, char *cm) {
  if (t == HT_FLOAT32) {
    const float *a = (const float *)w;
    float *b = (float *)cm;
    for (int64_t i = 0; i < c; i++)
      for (int64_t j = 0; j < n; j++) b[j * c + i] = a[i * n + j];
  } else {
    const double *a = (const double *)w;
    double *b = (double *)cm;
    for (int64_t i = 0; i < c; i++)
      for (int64_t j = 0; j < n; j++) b[j * c + i] = a[i * n + j];
  }
}

/* R (n x n, row-major, zeros below) from the upper triangle of the column-major cm (ld c). */
static void take_r_cm(ht_dtype t, int64_t c, int64_t n, const char *cm, char *r) {
  const size_t sz = ht_dtype_size(t);
  memset(r, 0, (size_t)(n * n) * sz);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i; j < n; j++)
      memcpy(r + (size_t)(i * n + j) * sz, cm + (size_t)(j * c + i) * sz, sz);
}

/* QR of the m x n row-major matrix w (ld n, overwritten): R (k x n, k = min(m, n)) into r;
 * with want_q, w holds Q (m x k, ld n) on return. A tall-skinny block is factored as a local
 * TSQR over row chunks: each chunk is copied column-major (in cache) for LAPACK's blocked
 * geqrf, the stacked R factors get one more geqrf, and Q_j = Q_chunk_j Q_stack_j is one GEMM
 * written straight into w. (The row-major path, the LQ of the wide transpose, is LAPACK's
 * unblocked BLAS-2 code for 64 columns: seconds for 1e6 x 64.) Returns LAPACK's info or -1. */
static int block_qr(ht_dtype t, int64_t m, int64_t n, char *w, char *r, bool want_q) {
  const size_t sz = ht_dtype_size(t);
  const int64_t k = m < n ? m : n, nc = m / QR_CHUNK;
  if (nc < 2 || n > QR_CHUNK_MAX_COLS) {
    char *tau = ht_scratch_alloc(k * (int64_t)sz, "qr");
    if (!tau) return -1;
    int st = ht_lapack_geqrf(t, m, n, w, n, tau);
    if (!st) take_r(sz, k, n, w, r);
    if (!st && want_q) st = ht_lapack_orgqr(t, m, k, w, n, tau);
    free(tau);
    return st;
  }
  /* m >= 2 * QR_CHUNK >= n here, so k = n and every chunk has n to 2 * QR_CHUNK rows; a
   * chunk's column-major factors go back to its place in w until the stack's Q is known */
  char *tau = ht_scratch_alloc(nc * n * (int64_t)sz, "qr");
  char *stack = tau ? ht_scratch_alloc(nc * n * n * (int64_t)sz, "qr") : NULL;
  char *tau2 = stack ? ht_scratch_alloc(n * (int64_t)sz, "qr") : NULL;
  char *cm = tau2 ? ht_scratch_alloc(2 * QR_CHUNK * n * (int64_t)sz, "qr") : NULL;
  int st = cm ? 0 : -1;
  for (int64_t j = 0; !st && j < nc; j++) {
    const int64_t r0 = m * j / nc, cj = m * (j + 1) / nc - r0;
    char *wj = w + (size_t)(r0 * n) * sz;
    to_colmajor(t, cj, n, wj, cm);
    st = ht_lapack_geqrf_cm(t, cj, n, cm, cj, tau + (size_t)(j * n) * sz);
    if (!st) take_r_cm(t, cj, n, cm, stack + (size_t)(j * n * n) * sz);
    if (!st && want_q) memcpy(wj, cm, (size_t)(cj * n) * sz);
  }
  if (!st) st = ht_lapack_geqrf(t, nc * n, n, stack, n, tau2);
  if (!st) take_r(sz, n, n, stack, r);
  if (!st && want_q) st = ht_lapack_orgqr(t, nc * n, n, stack, n, tau2);
  for (int64_t j = 0; !st && want_q && j < nc; j++) {
    const int64_t r0 = m * j / nc, cj = m * (j + 1) / nc - r0;
    char *wj = w + (size_t)(r0 * n) * sz;
    st = ht_lapack_orgqr_cm(t, cj, n, wj, cj, tau + (size_t)(j * n) * sz);
    /* the column-major cj x n Q is a row-major n x cj matrix, read transposed */
    if (!st) st = ht_blas_gemm(t, true, false, cj, n, n, 1.0, wj, cj,
                               stack + (size_t)(j * n * n) * sz, n, 0.0, cm, n);
    if (!st) memcpy(wj, cm, (size_t)(cj * n) * sz);
  }
  free(tau), free(stack), free(tau2), free(cm);
  return st;
}

/* QR of this rank's whole matrix (x replicated or thought of as one rank's). */
static int local_qr(const ht_array *x, bool want_q, ht_array **q, ht_array **r) {
  const ht_dtype t = x->dtype;
  const size_t sz = ht_dtype_size(t);
  const int64_t m = x->gshape[0], n = x->gshape[1], k = m < n ? m : n;
  int64_t rs[2] = {k, n}, qs[2] = {m, k};
  char *w = ht_scratch_alloc(m * n * (int64_t)sz, "qr");
  ht_array *R = w ? ht_array_empty(t, 2, rs, -1, HT_CPU) : NULL;
  ht_array *Q = R && want_q ? ht_array_empty(t, 2, qs, -1, HT_CPU) : NULL;
  int st = !w ? -1 : !R || (want_q && !Q) ? ht_decomp_oom("qr") : 0;
  if (!st) {
    memcpy(w, ht_array_data(x), (size_t)(m * n) * sz);
    st = block_qr(t, m, n, w, ht_array_data(R), want_q);
  }
  for (int64_t i = 0; !st && want_q && i < m; i++)
    memcpy((char *)ht_array_data(Q) + (size_t)(i * k) * sz, w + (size_t)(i * n) * sz,
           (size_t)k * sz);
  if (st > 0) st = ht_error("qr: LAPACK failed (info %d)", st);
  if (!st) positive_diagonal(t, k, n, ht_array_data(R), n, m, Q ? ht_array_data(Q) : NULL, k);
  free(w);
  /* every rank factors the same matrix, but memory is each rank's own */
  if (ht_comm_agree(st)) {
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
  int64_t *kc = ht_meta_alloc(sizeof(int64_t) * 3 * (size_t)p, "qr");
  int64_t *kb = kc + p, *kd = kc + 2 * p, K = 0;
  for (int rk = 0; rk < p; rk++) {
    kc[rk] = x->counts[rk] < n ? x->counts[rk] : n;
    K += kc[rk];
  }
  const int64_t ki = kc[me];
  for (int rk = 0; rk < p; rk++) kb[rk] = kc[rk] * n * (int64_t)sz;
  ht_counts_to_displs(kb, p, kd);

  /* 1. local QR of my rows */
  char *w = ht_scratch_alloc(mi * n * (int64_t)sz, "qr");
  char *stack = w ? ht_scratch_alloc(K * n * (int64_t)sz, "qr") : NULL;
  char *mine = stack ? ht_scratch_alloc(ki * n * (int64_t)sz, "qr") : NULL;
  char *qs = mine ? ht_scratch_alloc(K * kf * (int64_t)sz, "qr") : NULL;
  char *tau2 = qs ? ht_scratch_alloc(kf * (int64_t)sz, "qr") : NULL;
  int st = tau2 ? 0 : -1;
  if (!st) {
    memcpy(w, ht_array_data(x), (size_t)(mi * n) * sz);
    st = block_qr(t, mi, n, w, mine, want_q); /* w becomes my rows' local Q */
    if (st > 0) st = ht_error("qr: LAPACK failed on a local block (info %d)", st);
  }
  if (ht_comm_agree(st) < 0) goto fail;

  /* 2. every rank's R, stacked; rank 0 factors the stack and sends R and Q_s round */
  if (ht_comm_allgatherv(mine, ki * n * (int64_t)sz, stack, kb, kd)) goto fail_agreed;
  st = 0;
  if (me == 0) {
    st = ht_lapack_geqrf(t, K, n, stack, n, tau2);
    if (!st) {
      /* R is copied out before orgqr overwrites the stack with Q_s */
      char *rr = ht_scratch_alloc(kf * n * (int64_t)sz, "qr");
      if (!rr) st = -1;
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
  st = !R || (want_q && !Q) ? ht_decomp_oom("qr") : 0;
  if (!st) memcpy(ht_array_data(R), stack, (size_t)(kf * n) * sz);
  /* 3. my Q rows: local Q (mi x ki) times my block of Q_s (ki x kf) */
  if (!st && want_q) {
    int64_t off = 0;
    for (int rk = 0; rk < me; rk++) off += kc[rk];
    if (ki > 0)
      st = ht_blas_gemm(t, false, false, mi, kf, ki, 1.0, w, n, qs + (size_t)(off * kf) * sz,
                        kf, 0.0, ht_array_data(Q), kf);
    else if (!st && mi > 0)
      memset(ht_array_data(Q), 0, (size_t)(mi * kf) * sz);
  }
  free(w), free(stack), free(mine), free(qs), free(tau2), free(kc);
  if (ht_comm_agree(st) < 0) {
    ht_array_free(R), ht_array_free(Q);
    return -1;
  }
  *r = R;
  if (want_q) *q = Q;
  return 0;

fail_agreed: /* a failed collective: every rank already has the error */
fail:
  free(w), free(stack), free(mine), free(qs), free(tau2), free(kc);
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
