/* Distributed matrix products (matmul, dot): NumPy's shape and dtype rules, Heat's result
 * split, and one algorithm per pair of splits, each a local BLAS product plus at most a
 * ring of blocks or one reduction. */
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../device.h"
#include "../cpu/blas.h"
#include "../cpu/matmul.h"
#include "../linalg.h"
#include "../ops.h"

/* A local matrix as BLAS takes it: element (i, j) at p + (i * ld + j) items, or with
 * trans at p + (j * ld + i) (a transposed view, e.g. x.T, costs no copy). */
typedef struct mat {
  char *p;
  int64_t rows, cols, ld;
  bool trans;
} mat;

static int64_t max1(int64_t x) { return x > 1 ? x : 1; }

static mat sub(const mat *x, int64_t r0, int64_t nr, int64_t c0, int64_t nc, size_t item) {
  mat s = *x;
  s.rows = nr, s.cols = nc;
  s.p += (size_t)(x->trans ? c0 * x->ld + r0 : r0 * x->ld + c0) * item;
  return s;
}

/* The local chunk of a 1-D or 2-D array as a matrix, without a copy where BLAS can read
 * it (row-major or transposed, positive leading dimension); `row`: a 1-D operand is the
 * row vector (1, k), else the column (k, 1). *copy receives a contiguous copy if needed. */
static mat as_mat(const ht_array *a, bool row, ht_array **copy) {
  int64_t r, c, s0, s1;
  if (a->ndim == 1) {
    r = row ? 1 : a->lshape[0], c = row ? a->lshape[0] : 1;
    s0 = row ? 0 : a->strides[0], s1 = row ? a->strides[0] : 0;
  } else {
    r = a->lshape[0], c = a->lshape[1], s0 = a->strides[0], s1 = a->strides[1];
  }
  mat m = {ht_array_data(a), r, c, 0, false};
  *copy = NULL;
  if ((c <= 1 || s1 == 1) && (r <= 1 || s0 >= max1(c))) {
    m.ld = r <= 1 ? max1(c) : s0;
  } else if ((r <= 1 || s0 == 1) && (c <= 1 || s1 >= max1(r))) {
    m.trans = true, m.ld = c <= 1 ? max1(r) : s1;
  } else {
    *copy = ht_copy(a); /* local, same distribution */
    if (*copy) m.p = ht_array_data(*copy), m.ld = max1(c);
  }
  return m;
}

/* Packs x into a contiguous row-major buffer (bits copied, whatever the dtype). */
static void pack(const mat *x, size_t item, char *dst) {
  for (int64_t i = 0; i < x->rows; i++) {
    char *d = dst + (size_t)(i * x->cols) * item;
    if (!x->trans) {
      memcpy(d, x->p + (size_t)(i * x->ld) * item, (size_t)x->cols * item);
      continue;
    }
    for (int64_t j = 0; j < x->cols; j++)
      memcpy(d + (size_t)j * item, x->p + (size_t)(j * x->ld + i) * item, item);
  }
}

/* C (ldc) = A B, or += with acc. float32/float64 through BLAS (one SYRK when B is A's
 * transpose: the Gram matrix x.T @ x); int64 through the exact integer kernel. */
static int mm(ht_dtype ct, const mat *A, const mat *B, char *C, int64_t ldc, bool acc) {
  const int64_t m = A->rows, n = B->cols, k = A->cols;
  const size_t item = ht_dtype_size(ct);
  if (m == 0 || n == 0) return 0;
  if (!acc && (k == 0 || ct == HT_INT64)) /* BLAS with beta 0 writes C itself */
    for (int64_t i = 0; i < m; i++) memset(C + (size_t)(i * ldc) * item, 0, (size_t)n * item);
  if (k == 0) return 0;
  if (ct == HT_INT64) {
    ht_cpu_gemm_i64(m, n, k, (const int64_t *)A->p, A->trans ? 1 : A->ld, A->trans ? A->ld : 1,
                    (const int64_t *)B->p, B->trans ? 1 : B->ld, B->trans ? B->ld : 1,
                    (int64_t *)C, ldc);
    return 0;
  }
  if (!acc && A->p == B->p && A->trans != B->trans && A->ld == B->ld && m == n) {
    if (ht_blas_syrk(ct, A->trans, n, k, 1.0, A->p, A->ld, 0.0, C, ldc)) return -1;
    ht_blas_symmetrize(ct, n, C, ldc);
    return 0;
  }
  return ht_blas_gemm(ct, A->trans, B->trans, m, n, k, 1.0, A->p, A->ld, B->p, B->ld,
                      acc ? 1.0 : 0.0, C, ldc);
}

/* ---- the ring: every rank's block of the travelling operand visits every rank ---- */

typedef struct ring_job {
  ht_dtype ct;
  mat A, B;           /* this rank's operands */
  char *C;            /* this rank's result block, m_loc x n_loc row-major */
  int64_t ldc;
  int kind;           /* 0: B's row blocks (00), 1: B's column blocks (01), 2: A's column blocks (11) */
  const int64_t *counts, *displs; /* of the travelling operand along its split axis */
  int64_t other;      /* its length along the other axis */
} ring_job;

static int ring_step(const ring_job *j, int q, const mat *blk) {
  const size_t item = ht_dtype_size(j->ct);
  const int64_t off = j->displs[q], len = j->counts[q];
  if (j->kind == 0) { /* C += A[:, rows of q] B_q */
    mat a = sub(&j->A, 0, j->A.rows, off, len, item);
    return mm(j->ct, &a, blk, j->C, j->ldc, true);
  }
  if (j->kind == 1) /* C[:, columns of q] = A B_q */
    return mm(j->ct, &j->A, blk, j->C + (size_t)off * item, j->ldc, false);
  mat b = sub(&j->B, off, len, 0, j->B.cols, item); /* C += A_q B[columns of q, :] */
  return mm(j->ct, blk, &b, j->C, j->ldc, true);
}

/* p steps: compute with the block held, pass it to the next rank, take the previous
 * rank's. Two buffers of the largest block; a local failure is carried to the end so the
 * ring never breaks, then agreed. */
static int ring(const char *fn, ring_job *j) {
  const int p = ht_comm_size(), me = ht_comm_rank();
  const size_t item = ht_dtype_size(j->ct);
  const mat *mine = j->kind == 2 ? &j->A : &j->B;
  int64_t most = 1;
  for (int q = 0; q < p; q++) most = j->counts[q] * j->other > most ? j->counts[q] * j->other : most;
  char *cur = ht_scratch_alloc(most * (int64_t)item, fn);
  char *nxt = cur ? ht_scratch_alloc(most * (int64_t)item, fn) : NULL;
  int status = nxt ? 0 : -1;
  if (ht_comm_agree(status)) return free(cur), free(nxt), -1;
  pack(mine, item, cur);
  for (int s = 0; s < p; s++) {
    const int q = (me - s + p) % p, qn = (me - s - 1 + p) % p;
    const bool rows = j->kind == 0; /* B's row blocks are counts x other, else other x counts */
    mat blk = {cur, rows ? j->counts[q] : j->other, rows ? j->other : j->counts[q], 0, false};
    blk.ld = max1(blk.cols);
    if (!status) status = ring_step(j, q, &blk);
    if (s == p - 1) break;
    if (ht_comm_sendrecv(cur, j->counts[q] * j->other * (int64_t)item, (me + 1) % p, nxt,
                         j->counts[qn] * j->other * (int64_t)item, (me - 1 + p) % p)) {
      free(cur), free(nxt);
      return -1;
    }
    char *t = cur;
    cur = nxt, nxt = t;
  }
  free(cur), free(nxt);
  return ht_comm_agree(status);
}

/* ---- a split inner dimension: local partial products, then one reduction ---- */

/* Sums every rank's m x n partial P into C, distributed by `ms` (-1 replicated, 0 rows,
 * 1 columns) with `counts`. Column blocks are packed first so each rank's part is
 * contiguous for the reduce-scatter. */
static int reduce_partial(const char *fn, ht_dtype ct, char *P, int64_t m, int64_t n, int ms,
                          const int64_t *counts, char *C, int status) {
  const int p = ht_comm_size();
  const size_t item = ht_dtype_size(ct);
  int64_t *ec = ht_meta_alloc(sizeof(int64_t) * (size_t)p, fn);
  char *S = ms == 1 && !status ? ht_scratch_alloc(m * n * (int64_t)item, fn) : NULL;
  if (!status && ms == 1 && !S) status = -1;
  if (ht_comm_agree(status)) return free(ec), free(S), -1;
  int rc;
  if (ms < 0) {
    rc = ht_comm_allreduce(P, m * n, ct, MPI_SUM);
    if (!rc && P != C) memcpy(C, P, (size_t)(m * n) * item);
  } else {
    if (ms == 1) {
      int64_t off = 0;
      char *d = S;
      for (int q = 0; q < p; q++) {
        for (int64_t i = 0; i < m; i++, d += (size_t)counts[q] * item)
          memcpy(d, P + (size_t)(i * n + off) * item, (size_t)counts[q] * item);
        off += counts[q];
      }
    }
    for (int q = 0; q < p; q++) ec[q] = counts[q] * (ms == 0 ? n : m);
    rc = ht_comm_reduce_scatter(ms == 1 ? S : P, C, ec, ct, MPI_SUM);
  }
  free(ec), free(S);
  return rc;
}

/* ---- the 2-D problem ---- */

typedef struct problem {
  const char *fn;
  ht_dtype ct;        /* compute dtype: the result's float dtype, or int64 */
  int sa, sb;         /* splits of the operands seen as matrices: -1, 0 (rows), 1 (columns) */
  int64_t m, k, n;
  bool va, vb;        /* a is a 1-D row, b a 1-D column */
} problem;

/* The result's split as a matrix and the final array's shape and split. */
static int result_layout(const problem *pr, const ht_array *a, const ht_array *b, int *ms,
                         const int64_t **counts, int *ndim, int64_t *shape, int *split) {
  const bool reduce = (pr->sa == 1 && pr->sb != 1) || (pr->sa == -1 && pr->sb == 0);
  *counts = NULL;
  if (pr->sa == 0) *ms = 0, *counts = a->counts;         /* rows of a stay put */
  else if (pr->sb == 1) *ms = 1, *counts = b->counts;    /* columns of b stay put */
  else if (!reduce) *ms = -1;
  else {
    *ms = pr->sa >= 0 ? pr->sa : pr->sb;                 /* Heat: a's split, else b's */
    if (pr->va) *ms = 1;                                 /* the row result keeps its columns */
    if (pr->vb) *ms = pr->va ? -1 : 0;
  }
  *ndim = 0;
  if (!pr->va) shape[(*ndim)++] = pr->m;
  if (!pr->vb) shape[(*ndim)++] = pr->n;
  *split = *ms < 0 || *ndim == 0 ? -1 : (pr->va ? 0 : *ms);
  return reduce;
}

static ht_array *matmul2d(const char *fn, const ht_array *a, const ht_array *b) {
  char s1[128], s2[128];
  problem pr = {.fn = fn, .va = a->ndim == 1, .vb = b->ndim == 1};
  pr.m = pr.va ? 1 : a->gshape[0];
  pr.k = a->gshape[a->ndim - 1];
  pr.n = pr.vb ? 1 : b->gshape[1];
  const int64_t kb = b->gshape[0];
  if (pr.k != kb)
    return ht_error("%s: shapes %s and %s not aligned: %lld (dim %d) != %lld (dim 0) (splits %d "
                    "and %d, dtypes %s and %s)", fn,
                    ht_fmt_shape(s1, sizeof s1, a->ndim, a->gshape),
                    ht_fmt_shape(s2, sizeof s2, b->ndim, b->gshape), (long long)pr.k,
                    a->ndim - 1, (long long)kb, a->split, b->split, ht_dtype_name(a->dtype),
                    ht_dtype_name(b->dtype)), NULL;
  const ht_dtype rt = ht_promote(a->dtype, b->dtype);
  pr.ct = ht_dtype_is_float(rt) ? rt : HT_INT64;
  pr.sa = a->split < 0 ? -1 : (pr.va ? 1 : a->split);
  pr.sb = b->split;

  int ms, ndim, split;
  int64_t shape[2];
  const int64_t *ocounts;
  const bool reduce = result_layout(&pr, a, b, &ms, &ocounts, &ndim, shape, &split);

  /* both inner dimensions split: b's rows must sit where a's columns are */
  ht_array *bmoved = NULL;
  if (pr.sa == 1 && pr.sb == 0 && memcmp(a->counts, b->counts, sizeof(int64_t) * (size_t)ht_comm_size())) {
    if (!(bmoved = ht_redistribute(b, a->counts))) return NULL;
    b = bmoved;
  }
  ht_array *out = ht_array_empty_counts(rt, ndim, shape, split, ocounts, HT_CPU);
  ht_array *ac = NULL, *bc = NULL, *acopy = NULL, *bcopy = NULL, *cbuf = NULL;
  int status = out ? 0 : -1;
  if (!status && a->dtype != pr.ct && !(ac = ht_astype(a, pr.ct))) status = -1;
  if (!status && b->dtype != pr.ct && !(bc = ht_astype(b, pr.ct))) status = -1;
  mat A = {0}, B = {0};
  if (!status) {
    A = as_mat(ac ? ac : a, true, &acopy);
    B = as_mat(bc ? bc : b, false, &bcopy);
    if (!A.p || !B.p) status = -1;
  }
  /* the result block this rank computes, in the compute dtype; the final array's counts
   * are those of the matrix axis ms (a reduced result is balanced) */
  const int me = ht_comm_rank();
  const int64_t *rcounts = out ? out->counts : NULL;
  const int64_t mloc = ms == 0 && rcounts ? rcounts[me] : pr.m;
  const int64_t nloc = ms == 1 && rcounts ? rcounts[me] : pr.n;
  char *C = NULL, *P = NULL;
  if (!status && pr.ct != rt) {
    cbuf = ht_array_empty_counts(pr.ct, ndim, shape, split, out->counts, HT_CPU);
    status = cbuf ? 0 : -1;
  }
  if (!status) C = ht_array_data(cbuf ? cbuf : out);
  if (!status && reduce && ms >= 0 &&
      !(P = ht_scratch_alloc(pr.m * pr.n * (int64_t)ht_dtype_size(pr.ct), fn)))
    status = -1; /* the partial product */

  const size_t item = ht_dtype_size(pr.ct);
  if (reduce) {
    /* a split inner dimension: the rank's slice of k on both sides, one local product of
     * the whole m x n, one reduction (x.T @ x: one SYRK on the rank's rows) */
    const int64_t *kc = pr.sa == 1 ? a->counts : b->counts;
    int64_t k0 = 0;
    for (int q = 0; q < me; q++) k0 += kc[q];
    char *dst = ms < 0 ? C : P;
    if (!status) {
      mat As = pr.sa == 1 ? A : sub(&A, 0, A.rows, k0, kc[me], item);
      mat Bs = pr.sb == 0 ? B : sub(&B, k0, kc[me], 0, B.cols, item);
      status = mm(pr.ct, &As, &Bs, dst, pr.n, false);
    }
    status = reduce_partial(fn, pr.ct, dst, pr.m, pr.n, ms, rcounts, C, status);
  } else if ((pr.sa == 0 && pr.sb >= 0) || (pr.sa == 1 && pr.sb == 1)) {
    /* 00 and 01: b's blocks travel, c's rows stay with a's; 11: a's column blocks travel,
     * c's columns stay with b's. The travelling operand never exists whole on a rank. */
    ring_job j = {.ct = pr.ct, .A = A, .B = B, .C = C, .ldc = nloc, .other = pr.n};
    j.kind = pr.sa == 0 ? (pr.sb == 0 ? 0 : 1) : 2;
    const ht_array *t = j.kind == 2 ? a : b;
    j.other = j.kind == 0 ? pr.n : j.kind == 1 ? pr.k : pr.m;
    int64_t *displs = ht_meta_alloc(sizeof(int64_t) * (size_t)ht_comm_size(), fn);
    if (ht_comm_agree(status) == 0) {
      ht_counts_to_displs(t->counts, ht_comm_size(), displs);
      j.counts = t->counts, j.displs = displs;
      if (j.kind != 1 && mloc * nloc > 0) memset(C, 0, (size_t)(mloc * nloc) * item);
      status = ring(fn, &j);
    } else {
      status = -1;
    }
    free(displs);
  } else {
    /* None.None, 0.None, None.1: every operand needed is local; a local failure is still
     * agreed, so a caller's pcall sees the same error on every rank */
    if (!status) status = mm(pr.ct, &A, &B, C, nloc, false);
    status = ht_comm_agree(status);
  }
  if (!status && cbuf) status = ht_copy_into(out, cbuf);
  free(P);
  ht_array_free(ac), ht_array_free(bc), ht_array_free(acopy), ht_array_free(bcopy);
  ht_array_free(cbuf), ht_array_free(bmoved);
  if (status) return ht_array_free(out), NULL;
  return out;
}

/* ---- stacks of matrices ---- */

/* A header for the matrix part of a at output batch index idx (nbd axes; an axis a
 * broadcasts takes index 0). It shares a's buffer and counts: never freed. */
static ht_array batch_view(const ht_array *a, int nbd, const int64_t *idx) {
  ht_array v = *a;
  const int nba = a->ndim > 2 ? a->ndim - 2 : 0, nm = a->ndim - nba;
  for (int j = 0; j < nba; j++)
    if (a->lshape[j] > 1) v.offset += idx[j + nbd - nba] * a->strides[j];
  v.ndim = nm;
  memmove(v.gshape, a->gshape + nba, sizeof(int64_t) * (size_t)nm);
  memmove(v.lshape, a->lshape + nba, sizeof(int64_t) * (size_t)nm);
  memmove(v.strides, a->strides + nba, sizeof(int64_t) * (size_t)nm);
  v.split = a->split >= nba ? a->split - nba : -1;
  if (v.split < 0) v.counts = NULL;
  return v;
}

/* The operand made ready for the local loop: split along its own axis for output batch
 * axis d with `counts` (d >= 0, the axis not broadcast), else replicated. */
static ht_array *align(const ht_array *x, int nbd, int d, const int64_t *counts) {
  const int nbx = x->ndim > 2 ? x->ndim - 2 : 0, jx = d >= 0 ? d - (nbd - nbx) : -1;
  const bool along = jx >= 0 && counts && x->gshape[jx] > 1;
  ht_array *y = x->split == (along ? jx : -1) ? ht_array_view(x) : ht_resplit(x, along ? jx : -1);
  if (!y || !along || !memcmp(y->counts, counts, sizeof(int64_t) * (size_t)ht_comm_size()))
    return y;
  ht_array *z = ht_redistribute(y, counts);
  ht_array_free(y);
  return z;
}

static ht_array *matmul_batched(const char *fn, const ht_array *a, const ht_array *b) {
  char s1[128], s2[128];
  const int nba = a->ndim > 2 ? a->ndim - 2 : 0, nbb = b->ndim > 2 ? b->ndim - 2 : 0;
  const int nbd = nba > nbb ? nba : nbb;
  const bool va = a->ndim == 1, vb = b->ndim == 1;
  const int64_t m = va ? 1 : a->gshape[a->ndim - 2], k = a->gshape[a->ndim - 1];
  const int64_t kb = vb ? b->gshape[0] : b->gshape[b->ndim - 2], n = vb ? 1 : b->gshape[b->ndim - 1];
  int64_t shape[HT_MAXDIM + 2];
  ht_fmt_shape(s1, sizeof s1, a->ndim, a->gshape), ht_fmt_shape(s2, sizeof s2, b->ndim, b->gshape);
  if (k != kb)
    return ht_error("%s: shapes %s and %s not aligned: %lld (dim %d) != %lld (dim %d) (splits %d "
                    "and %d, dtypes %s and %s)", fn, s1, s2, (long long)k, a->ndim - 1,
                    (long long)kb, vb ? 0 : b->ndim - 2, a->split, b->split,
                    ht_dtype_name(a->dtype), ht_dtype_name(b->dtype)), NULL;
  for (int j = 0; j < nbd; j++) {
    const int ja = j - (nbd - nba), jb = j - (nbd - nbb);
    const int64_t la = ja >= 0 ? a->gshape[ja] : 1, lb = jb >= 0 ? b->gshape[jb] : 1;
    if (la != lb && la != 1 && lb != 1)
      return ht_error("%s: batch dimensions of shapes %s and %s cannot be broadcast (splits %d "
                      "and %d)", fn, s1, s2, a->split, b->split), NULL;
    shape[j] = la > lb ? la : lb;
  }
  int ndim = nbd;
  if (!va) shape[ndim++] = m;
  if (!vb) shape[ndim++] = n;
  /* a batch axis that is split (and not broadcast) carries the result's split: every
   * rank multiplies its own matrices, no communication once the operands are aligned */
  int d = -1;
  const int64_t *counts = NULL;
  if (a->split >= 0 && a->split < nba && a->gshape[a->split] == shape[a->split + nbd - nba])
    d = a->split + nbd - nba, counts = a->counts;
  else if (b->split >= 0 && b->split < nbb && b->gshape[b->split] == shape[b->split + nbd - nbb])
    d = b->split + nbd - nbb, counts = b->counts;
  const bool matsplit = (a->split >= nba && !va) || (b->split >= nbb && !vb) ||
                        (va && a->split >= 0) || (vb && b->split >= 0);
  if (d < 0 && matsplit) {
    /* split inside the matrices: the 2-D algorithm once per matrix of the stack */
    ht_array *ar = a->split >= 0 && a->split < nba ? ht_resplit(a, -1) : ht_array_view(a);
    ht_array *br = ar && b->split >= 0 && b->split < nbb ? ht_resplit(b, -1) : ht_array_view(b);
    ht_array *out = NULL;
    int64_t nbatch = 1, idx[HT_MAXDIM] = {0};
    for (int j = 0; j < nbd; j++) nbatch *= shape[j];
    for (int64_t t = 0; ar && br && t < nbatch; t++) {
      int64_t rem = t;
      for (int j = nbd - 1; j >= 0; j--) idx[j] = rem % shape[j], rem /= shape[j];
      ht_array av = batch_view(ar, nbd, idx), bv = batch_view(br, nbd, idx);
      ht_array *c = matmul2d(fn, &av, &bv);
      if (!c) { ht_array_free(out), out = NULL; break; }
      if (!out) {
        out = ht_array_empty_counts(c->dtype, ndim, shape, c->split >= 0 ? nbd + c->split : -1,
                                    c->counts, HT_CPU);
        if (!out) { ht_array_free(c); break; } /* metadata-sized failures end alike */
      }
      const size_t bytes = (size_t)ht_array_lsize(c) * ht_dtype_size(c->dtype);
      memcpy((char *)ht_array_data(out) + (size_t)t * bytes, ht_array_data(c), bytes);
      ht_array_free(c);
    }
    if (nbatch == 0) out = ht_array_empty(ht_promote(a->dtype, b->dtype), ndim, shape, -1, HT_CPU);
    ht_array_free(ar), ht_array_free(br);
    return out;
  }
  ht_array *aa = align(a, nbd, d, counts), *bb = aa ? align(b, nbd, d, counts) : NULL;
  const ht_dtype rt = ht_promote(a->dtype, b->dtype), ct = ht_dtype_is_float(rt) ? rt : HT_INT64;
  ht_array *out = aa && bb ? ht_array_empty_counts(rt, ndim, shape, d, counts, HT_CPU) : NULL;
  ht_array *ac = NULL, *bc = NULL, *cbuf = NULL;
  int status = out ? 0 : -1;
  if (!status && aa->dtype != ct && !(ac = ht_astype(aa, ct))) status = -1;
  if (!status && bb->dtype != ct && !(bc = ht_astype(bb, ct))) status = -1;
  if (!status && ct != rt && !(cbuf = ht_array_empty_counts(ct, ndim, shape, d, counts, HT_CPU))) status = -1;
  if (!status) {
    const ht_array *A = ac ? ac : aa, *B = bc ? bc : bb;
    char *C = ht_array_data(cbuf ? cbuf : out);
    const size_t item = ht_dtype_size(ct);
    int64_t lb[HT_MAXDIM], nbatch = 1, idx[HT_MAXDIM];
    for (int j = 0; j < nbd; j++) lb[j] = j == d ? out->lshape[d] : shape[j], nbatch *= lb[j];
    for (int64_t t = 0; t < nbatch && !status; t++) {
      int64_t rem = t;
      for (int j = nbd - 1; j >= 0; j--) idx[j] = rem % lb[j], rem /= lb[j];
      ht_array av = batch_view(A, nbd, idx), bv = batch_view(B, nbd, idx);
      ht_array *acp = NULL, *bcp = NULL;
      av.split = bv.split = -1; /* the matrices themselves are whole on this rank */
      mat Am = as_mat(&av, true, &acp), Bm = as_mat(&bv, false, &bcp);
      status = Am.p && Bm.p ? mm(ct, &Am, &Bm, C + (size_t)(t * m * n) * item, n, false) : -1;
      ht_array_free(acp), ht_array_free(bcp);
    }
    if (!status && cbuf) status = ht_copy_into(out, cbuf);
  }
  status = ht_comm_agree(status);
  ht_array_free(aa), ht_array_free(bb), ht_array_free(ac), ht_array_free(bc), ht_array_free(cbuf);
  if (status) return ht_array_free(out), NULL;
  return out;
}

static ht_array *matmul(const char *fn, const ht_array *a, const ht_array *b) {
  const ht_array *ops[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    if (ops[i]->ndim == 0)
      return ht_error("%s: Input operand %d does not have enough dimensions (has 0, gufunc "
                      "core with signature (n?,k),(k,m?)->(n?,m?) requires 1)", fn, i), NULL;
    if (ht_require_host(ops[i], fn)) return NULL;
  }
  if (a->ndim <= 2 && b->ndim <= 2) return matmul2d(fn, a, b);
  return matmul_batched(fn, a, b);
}

ht_array *ht_matmul(const ht_array *a, const ht_array *b) { return matmul("matmul", a, b); }

ht_array *ht_dot(const ht_array *a, const ht_array *b) {
  if (a->ndim == 0 || b->ndim == 0) return ht_binary(HT_MUL, a, b);
  if (a->ndim <= 2 || b->ndim == 1) return matmul("dot", a, b);
  return ht_error("dot: a %d-D . %d-D product is not supported yet (matmul takes stacks of "
                  "matrices)", a->ndim, b->ndim), NULL;
}
