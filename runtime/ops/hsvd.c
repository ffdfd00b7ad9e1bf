/* The hierarchical SVD (Heat's hsvd; Iwen & Ong 2016, Himpe, Leibner & Rave 2018): every
 * rank computes a truncated SVD of its block, the factors U*S are merged along a tree
 * (concatenate, SVD, truncate) until rank 0 holds the root, whose U is sent to everyone.
 * For a matrix split along rows the leaves are the blocks of A^T, so the tree works on
 * n x k factors and U comes out as A V S^-1 at the end (one GEMM on each rank's rows). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/blas.h"
#include "../cpu/lapack.h"
#include "../decomp.h"
#include "../exchange.h"

/* A node's factor: d x k, row-major, in the input's dtype, and its squared error so far. */
typedef struct factor {
  int64_t d, k;
  char *f;
  double err2;
} factor;

static double get(ht_dtype t, const void *p, int64_t i) {
  return t == HT_FLOAT32 ? ((const float *)p)[i] : ((const double *)p)[i];
}

/* G = X^T X (trans, X rows x cols, G cols x cols) or X X^T (G rows x rows), accumulated in
 * float64 (float32 blocks are widened on the way, so memory stays O(block)). Full G. */
static int gram(ht_dtype t, bool trans, int64_t rows, int64_t cols, const void *x,
                double *g) {
  const int64_t n = trans ? cols : rows;
  memset(g, 0, sizeof(double) * (size_t)(n * n));
  if (t == HT_FLOAT64) {
    if (ht_blas_syrk(HT_FLOAT64, trans, n, trans ? rows : cols, 1.0, x, cols, 0.0, g, n))
      return -1;
  } else {
    const int64_t bs = 4096, len = trans ? rows : cols; /* along the summed dimension */
    const int64_t w = trans ? cols : rows;
    double *buf = ht_scratch_alloc((int64_t)sizeof(double) * bs * w, "hsvd");
    if (!buf) return -1;
    const float *xf = x;
    for (int64_t b0 = 0; b0 < len; b0 += bs) {
      const int64_t nb = len - b0 < bs ? len - b0 : bs;
      if (trans) { /* rows b0..b0+nb, all columns: nb x cols */
        for (int64_t i = 0; i < nb * cols; i++) buf[i] = xf[b0 * cols + i];
        ht_blas_syrk(HT_FLOAT64, true, n, nb, 1.0, buf, cols, 1.0, g, n);
      } else { /* every row, columns b0..b0+nb: rows x nb */
        for (int64_t r = 0; r < rows; r++)
          for (int64_t c = 0; c < nb; c++) buf[r * nb + c] = xf[r * cols + b0 + c];
        ht_blas_syrk(HT_FLOAT64, false, n, nb, 1.0, buf, nb, 1.0, g, n);
      }
    }
    free(buf);
  }
  ht_blas_symmetrize(HT_FLOAT64, n, g, n);
  return 0;
}

/* Heat's _compute_local_truncated_svd rule on descending sigma (ns of them): the rank to
 * keep and the squared error of the dropped values. atol < 0:
 * truncate at maxrank only. budget >= 0 (the root): the smallest rank whose error plus
 * the error so far stays within budget, instead of atol. */
static int64_t trunc_rank(const double *sig, int64_t ns, double noise, int64_t maxrank,
                          double atol, double budget, int64_t shift, double *err2) {
  int64_t cut = 0;
  for (int64_t j = 0; j < ns; j++)
    if (sig[j] >= noise) cut = j + 1;
  double tot = 0;
  for (int64_t j = 0; j < ns; j++) tot += sig[j] * sig[j];
  if (cut == 0) {
    *err2 = tot;
    return 0;
  }
  int64_t k = maxrank < cut ? maxrank : cut;
  if (atol >= 0 || budget >= 0) {
    double tail = tot; /* sum of sig[j]^2 for j >= ideal */
    int64_t ideal = 0;
    for (; ideal < ns; ideal++) {
      if (budget >= 0 ? tail <= budget : tail < atol * atol) break;
      tail -= sig[ideal] * sig[ideal];
    }
    if (ideal < k) k = ideal;
  }
  k = k + shift < ns ? k + shift : ns;
  double e = 0; /* what is really dropped (Heat also counts the kept safety columns) */
  for (int64_t j = k; j < ns; j++) e += sig[j] * sig[j];
  *err2 = e;
  return k;
}

static double noise_level(ht_dtype t) { return t == HT_FLOAT64 ? 1e-14 : 1e-7; }

/* Fills fa (d x k) with U[:, :k] * sig[:k] (scale) or U[:, :k] (no scale); u is d x ldu
 * float64; a rank k = 0 leaves Heat's one zero column. */
static int make_factor(ht_dtype t, int64_t d, int64_t k, const double *u, int64_t ldu,
                       const double *sig, bool scale, factor *fa) {
  fa->d = d, fa->k = k ? k : 1;
  free(fa->f);
  fa->f = ht_scratch_alloc(d * fa->k * (int64_t)ht_dtype_size(t), "hsvd");
  if (!fa->f) return -1;
  memset(fa->f, 0, (size_t)(d * fa->k) * ht_dtype_size(t));
  for (int64_t i = 0; i < d; i++)
    for (int64_t j = 0; j < k; j++) {
      const double v = u[i * ldu + j] * (scale ? sig[j] : 1.0);
      if (t == HT_FLOAT32) ((float *)fa->f)[i * k + j] = (float)v;
      else ((double *)fa->f)[i * k + j] = v;
    }
  return 0;
}

/* Truncated SVD of the d x c matrix x (row-major, dtype t) via its smaller Gram matrix. */
static int leaf(ht_dtype t, int64_t d, int64_t c, const void *x, bool xt, int64_t maxrank,
                double atol, int64_t shift, factor *fa) {
  /* xt: x is stored as its c x d transpose (the rows of A for a split-0 A) */
  const int64_t g = d <= c ? d : c, ns = g;
  double *G = ht_scratch_alloc((int64_t)sizeof(double) * (g * g + g), "hsvd");
  if (!G) return -1;
  double *w = G + g * g;
  /* d <= c: G = X X^T (d x d), its eigenvectors are U; else G = X^T X, eigenvectors V */
  const bool tr = (d <= c) == xt; /* whether gram() sums over the stored rows */
  int st = gram(t, tr, xt ? c : d, xt ? d : c, x, G);
  if (!st) st = ht_lapack_syevd(HT_FLOAT64, true, g, G, g, w);
  if (st > 0) st = ht_error("hsvd: LAPACK's syevd did not converge (info %d)", st);
  if (st) return free(G), -1;
  /* descending order: reverse the eigenpairs in place */
  double *sig = ht_meta_alloc(sizeof(double) * (size_t)(ns + 1), "hsvd"); /* O(g) */
  double *vec = ht_scratch_alloc((int64_t)sizeof(double) * g * g, "hsvd");
  if (!vec) return free(G), free(sig), -1;
  for (int64_t j = 0; j < g; j++) {
    sig[j] = sqrt(w[g - 1 - j] > 0 ? w[g - 1 - j] : 0);
    for (int64_t i = 0; i < g; i++) vec[i * g + j] = G[i * g + (g - 1 - j)];
  }
  free(G);
  double e2;
  const int64_t k = trunc_rank(sig, ns, noise_level(t), maxrank, atol, -1, shift, &e2);
  fa->err2 = e2;
  if (d <= c) {
    st = make_factor(t, d, k, vec, g, sig, true, fa);
  } else { /* U S = X V: a GEMM with the first k eigenvectors, in x's dtype */
    fa->d = d, fa->k = k ? k : 1;
    const size_t sz = ht_dtype_size(t);
    char *vk = ht_scratch_alloc(c * fa->k * (int64_t)sz, "hsvd");
    free(fa->f);
    fa->f = vk ? ht_scratch_alloc(d * fa->k * (int64_t)sz, "hsvd") : NULL;
    st = fa->f ? 0 : -1;
    if (!st) memset(fa->f, 0, (size_t)(d * fa->k) * sz);
    for (int64_t i = 0; !st && i < c; i++)
      for (int64_t j = 0; j < fa->k; j++) {
        double v = j < k ? vec[i * g + j] : 0;
        if (t == HT_FLOAT32) ((float *)vk)[i * fa->k + j] = (float)v;
        else ((double *)vk)[i * fa->k + j] = v;
      }
    if (!st && k > 0) /* x is d x c (xt false), or stored c x d (xt true) */
      st = ht_blas_gemm(t, xt, false, d, fa->k, c, 1.0, x, xt ? d : c, vk, fa->k, 0.0, fa->f,
                        fa->k);
    free(vk);
  }
  free(sig), free(vec);
  return st;
}

/* SVD of the node's concatenated factor (d x K) truncated; scale: multiply U by sigma. */
static int merge_svd(ht_dtype t, factor *fa, int64_t maxrank, double atol, double budget,
                     int64_t shift, bool scale, double *err2_new) {
  const int64_t d = fa->d, K = fa->k, g = d < K ? d : K;
  double *a = ht_scratch_alloc((int64_t)sizeof(double) * (d * K + d * g + g * K + g), "hsvd");
  if (!a) return -1;
  double *u = a + d * K, *vt = u + d * g, *sig = vt + g * K;
  for (int64_t i = 0; i < d * K; i++) a[i] = get(t, fa->f, i);
  int st = ht_lapack_gesdd(HT_FLOAT64, 'S', d, K, a, K, sig, u, g, vt, K);
  if (st > 0) st = ht_error("hsvd: LAPACK's gesdd did not converge (info %d)", st);
  if (!st) {
    const int64_t k = trunc_rank(sig, g, noise_level(t), maxrank, atol, budget, shift, err2_new);
    st = make_factor(t, d, k, u, g, sig, scale, fa);
  }
  free(a);
  return st;
}

/* One level of Heat's merging tree, decided identically on every rank from the factor
 * widths: nodes are taken in order and a new target starts when the budget maxmergedim
 * or no_of_merges would be exceeded. send_to[r] = target, or -1. Returns the number of
 * future nodes. */
static int plan_level(int p, const int *active, int nact, const int64_t *dims,
                      int64_t maxmergedim, int64_t no_of_merges, int *future, int *send_to) {
  int nf = 1, cur = 0;
  int64_t used = 0, counter = 0;
  future[0] = 0;
  for (int r = 0; r < p; r++) send_to[r] = -1;
  for (int i = 0; i < nact; i++) {
    const int idx = active[i];
    if (used + dims[idx] > maxmergedim || (no_of_merges > 0 && counter == no_of_merges)) {
      cur = idx;
      future[nf++] = idx;
      used = dims[idx];
      counter = 1;
    } else {
      if (used != 0) send_to[idx] = cur;
      used += dims[idx];
      counter++;
    }
  }
  /* Heat lists node 0 once even when it starts a new group at the first step */
  if (nf > 1 && future[1] == 0) {
    for (int i = 1; i < nf - 1; i++) future[i] = future[i + 1];
    nf--;
  }
  return nf;
}

/* Moves the factors of this level (a client of the exchange engine): senders to their
 * target, which concatenates them behind its own (columns), in rank order, and adds their
 * errors. Each message is the d x k factor followed by its float64 squared error. */
static int exchange(ht_dtype t, int p, int me, const int *send_to, const int64_t *dims,
                    factor *fa) {
  const size_t sz = ht_dtype_size(t);
  const int64_t d = fa->d;
  int64_t K = fa->k, nrecv = 0;
  ht_xchg x;
  if (ht_xchg_init(&x, "hsvd")) return -1;
  if (send_to[me] >= 0) x.sc[send_to[me]] = d * fa->k * (int64_t)sz + 8;
  for (int r = 0; r < p; r++)
    if (send_to[r] == me) x.rc[r] = d * dims[r] * (int64_t)sz + 8, K += dims[r], nrecv++;
  if (ht_xchg_alloc(&x, true)) return ht_xchg_free(&x), -1;
  if (send_to[me] >= 0) {
    char *at = x.sbuf + x.sd[send_to[me]];
    memcpy(at, fa->f, (size_t)(d * fa->k) * sz);
    memcpy(at + (size_t)(d * fa->k) * sz, &fa->err2, 8);
  }
  int st = ht_xchg_run(&x, 0, NULL, NULL);
  if (!st && nrecv) { /* [own | received...] column blocks */
    char *cat = ht_scratch_alloc(d * K * (int64_t)sz, "hsvd");
    if (!cat) st = -1;
    for (int64_t i = 0; !st && i < d; i++) {
      char *row = cat + (size_t)(i * K) * sz;
      memcpy(row, fa->f + (size_t)(i * fa->k) * sz, (size_t)fa->k * sz);
      int64_t col = fa->k;
      for (int r = 0; r < p; r++)
        if (send_to[r] == me) {
          memcpy(row + (size_t)col * sz, x.rbuf + x.rd[r] + (size_t)(i * dims[r]) * sz,
                 (size_t)dims[r] * sz);
          col += dims[r];
        }
    }
    for (int r = 0; !st && r < p; r++)
      if (send_to[r] == me) {
        double e;
        memcpy(&e, x.rbuf + x.rd[r] + x.rc[r] - 8, 8);
        fa->err2 += e;
      }
    if (!st) free(fa->f), fa->f = cat, fa->k = K;
  }
  ht_xchg_free(&x);
  return st;
}

/* nrm[j] += sum_i w[i][j]^2 for the rows x r row-major w (float64 sums; typed loops that
 * vectorise along the row). */
static void col_sumsq(ht_dtype t, int64_t rows, int64_t r, const void *w, double *nrm) {
  if (t == HT_FLOAT32) {
    const float *f = w;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < r; j++) nrm[j] += (double)f[i * r + j] * f[i * r + j];
  } else {
    const double *d = w;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < r; j++) nrm[j] += d[i * r + j] * d[i * r + j];
  }
}

/* w[i][j] /= nrm[j] where nrm[j] > 0; nrm is overwritten by the factors. */
static void scale_cols(ht_dtype t, int64_t rows, int64_t r, void *w, double *nrm) {
  for (int64_t j = 0; j < r; j++) nrm[j] = nrm[j] > 0 ? 1 / nrm[j] : 1;
  if (t == HT_FLOAT32) {
    float *f = w;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < r; j++) f[i * r + j] = (float)(f[i * r + j] * nrm[j]);
  } else {
    double *d = w;
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < r; j++) d[i * r + j] *= nrm[j];
  }
}

int ht_hsvd(const ht_array *a, const ht_hsvd_opts *o, ht_array **u, ht_array **s,
            ht_array **v, double *err) {
  if (o->maxrank < 1 || o->maxmergedim < 1 || o->safetyshift < 0 || o->no_of_merges < 0)
    return ht_error("hsvd: maxrank (%lld) and maxmergedim (%lld) must be positive, "
                    "safetyshift (%lld) and no_of_merges (%lld) non-negative",
                    (long long)o->maxrank, (long long)o->maxmergedim,
                    (long long)o->safetyshift, (long long)o->no_of_merges);
  if (!u && !(s && v))
    return ht_error("hsvd: without U the caller must take S and V (all three pointers NULL "
                    "would compute nothing)");
  ht_array *x = ht_decomp_input("hsvd", a);
  if (!x) return -1;
  const ht_dtype t = x->dtype;
  const size_t sz = ht_dtype_size(t);
  const bool split = x->split >= 0, rows = x->split == 0;
  const int p = split ? ht_comm_size() : 1, me = split ? ht_comm_rank() : 0;
  const int64_t m = x->gshape[0], n = x->gshape[1];
  /* the leaves are column blocks of B = A (split 1, replicated) or of A^T (split 0) */
  const int64_t d = rows ? n : m, c = rows ? x->lshape[0] : x->lshape[1];
  const void *xd = ht_array_data(x);

  double nrm2 = split ? 0 : ht_blas_dot(t, m * n, xd, 1, xd, 1);
  if (split) {
    nrm2 = ht_blas_dot(t, ht_array_lsize(x), xd, 1, xd, 1);
    if (ht_comm_allreduce(&nrm2, 1, HT_FLOAT64, MPI_SUM)) return ht_array_free(x), -1;
  }
  const double anorm = sqrt(nrm2);
  const double atol = o->rtol >= 0 ? anorm * o->rtol / sqrt(2.0 * p - 1) : -1;

  factor fa = {0, 0, NULL, 0};
  int *plan = ht_meta_alloc(sizeof(int) * 3 * (size_t)p, "hsvd");
  int64_t *dims = ht_meta_alloc(sizeof(int64_t) * (size_t)p, "hsvd");
  int st = leaf(t, d, c, xd, rows, o->maxrank, atol, o->safetyshift, &fa);
  /* agreed even for a replicated a: memory is each rank's own */
  if (ht_comm_agree(st) < 0) st = -1;

  int *active = plan, *future = plan + p, *send_to = plan + 2 * p, nact = p;
  for (int r = 0; r < p && !st; r++) active[r] = r;
  bool finished = st != 0;
  while (!finished) {
    for (int r = 0; r < p; r++) dims[r] = r == me ? fa.k : 0;
    if (split && ht_comm_allreduce_i64(dims, p, MPI_SUM)) { st = -1; break; }
    const int nf = plan_level(p, active, nact, dims, o->maxmergedim, o->no_of_merges, future,
                              send_to);
    if (nf == nact && nact > 1) { /* nothing merges: the tree would never end */
      st = ht_error("hsvd: maxmergedim=%lld is too small to merge two factors of widths "
                    "%lld and %lld", (long long)o->maxmergedim, (long long)dims[active[0]],
                    (long long)dims[active[1]]);
      break;
    }
    if (split && (st = exchange(t, p, me, send_to, dims, &fa))) break;
    bool in_future = false;
    for (int i = 0; i < nf; i++) in_future |= future[i] == me;
    if (in_future) {
      const bool root = nf == 1;
      double e2 = 0;
      /* at the root the rest of the error budget decides the rank (see the docs) */
      const double budget = root && o->rtol >= 0 ? fmax(0, pow(o->rtol * anorm, 2) - fa.err2)
                                                 : -1;
      st = merge_svd(t, &fa, o->maxrank, root ? (budget >= 0 ? -1 : atol) : atol, budget,
                     root ? 0 : o->safetyshift, !root, &e2);
      fa.err2 += e2;
    }
    if (ht_comm_agree(st) < 0) { st = -1; break; }
    if (nf == 1) finished = true;
    memcpy(active, future, sizeof(int) * (size_t)nf);
    nact = nf;
  }
  /* rank 0 holds the root U (d x r) and the error: everyone gets them */
  int64_t hdr[2] = {fa.k, 0};
  double err2 = fa.err2;
  if (!st && split) {
    st = ht_comm_bcast(hdr, sizeof hdr, 0) || ht_comm_bcast(&err2, 8, 0) ? -1 : 0;
    if (!st && me != 0) {
      free(fa.f);
      fa.f = ht_scratch_alloc(d * hdr[0] * (int64_t)sz, "hsvd");
      fa.d = d, fa.k = hdr[0];
      st = fa.f ? 0 : -1;
    }
    if (ht_comm_agree(st) < 0) st = -1;
    if (!st && ht_comm_bcast(fa.f, d * fa.k * (int64_t)sz, 0)) st = -1;
  }
  free(plan), free(dims);
  if (st) return free(fa.f), ht_array_free(x), -1;
  const int64_t r = fa.k;
  /* signs: the largest-magnitude entry of each root column positive */
  for (int64_t j = 0; j < r; j++) {
    int64_t best = 0;
    double bv = -1;
    for (int64_t i = 0; i < d; i++)
      if (fabs(get(t, fa.f, i * r + j)) > bv) bv = fabs(get(t, fa.f, i * r + j)), best = i;
    if (get(t, fa.f, best * r + j) < 0)
      for (int64_t i = 0; i < d; i++) {
        if (t == HT_FLOAT32) ((float *)fa.f)[i * r + j] *= -1;
        else ((double *)fa.f)[i * r + j] *= -1;
      }
  }
  *err = anorm > 0 ? sqrt(err2) / anorm : 0;

  /* The other side: W = A^T U (split 1, replicated) or A U_t (split 0), with sigma its
   * column norms and W / sigma the other singular vectors. */
  int64_t root_shape[2] = {d, r}, wshape[2] = {rows ? m : n, r}, sshape[1] = {r};
  ht_array *R = ht_array_empty(t, 2, root_shape, -1, HT_CPU);
  const int wsplit = split ? 0 : -1;
  /* u NULL for a row-split A: sigma from W's column norms taken block by block, so no
   * m x r W is ever held (the caller wants S, V and the error only) */
  const bool blocked = rows && !u;
  const bool need_w = rows || (s && v);
  ht_array *W = need_w && !blocked ? ht_array_empty_counts(t, 2, wshape, wsplit, rows ? x->counts : NULL,
                                               HT_CPU)
                       : NULL;
  ht_array *S = need_w ? ht_array_empty(t, 1, sshape, -1, HT_CPU) : NULL;
  st = R && (!need_w || ((W || blocked) && S)) ? 0
                                                : ht_decomp_oom("hsvd");
  if (!st) memcpy(ht_array_data(R), fa.f, (size_t)(d * r) * sz);
  free(fa.f);
  double *nrm = calloc((size_t)r + 1, sizeof(double));
  if (!st && !nrm) st = ht_error("hsvd: out of memory");
  if (!st && blocked) { /* rows of A U_t, 4096 at a time, only their norms kept */
    const int64_t lr = x->lshape[0], bs = 4096;
    char *buf = ht_scratch_alloc((lr < bs ? lr : bs) * r * (int64_t)sz, "hsvd");
    if (!buf) st = -1;
    for (int64_t i0 = 0; !st && i0 < lr; i0 += bs) {
      const int64_t nb = lr - i0 < bs ? lr - i0 : bs;
      st = ht_blas_gemm(t, false, false, nb, r, n, 1.0, (const char *)xd + (size_t)(i0 * n) * sz,
                        n, ht_array_data(R), r, 0.0, buf, r);
      if (!st) col_sumsq(t, nb, r, buf, nrm);
    }
    free(buf);
  } else if (!st && need_w) {
    const int64_t wr = W->lshape[0];
    if (rows) /* A_i (m_i x n) . U_t (n x r) */
      st = ht_blas_gemm(t, false, false, wr, r, n, 1.0, xd, n, ht_array_data(R), r, 0.0,
                        ht_array_data(W), r);
    else /* A_i^T (n_i x m) . U (m x r), A_i stored m x n_i */
      st = ht_blas_gemm(t, true, false, wr, r, m, 1.0, xd, x->lshape[1], ht_array_data(R), r,
                        0.0, ht_array_data(W), r);
    if (!st) col_sumsq(t, wr, r, ht_array_data(W), nrm);
  }
  if (ht_comm_agree(st) < 0) st = -1;
  if (!st && split && need_w && ht_comm_allreduce(nrm, r, HT_FLOAT64, MPI_SUM)) st = -1;
  if (!st && need_w) {
    for (int64_t j = 0; j < r; j++) {
      nrm[j] = sqrt(nrm[j]);
      ht_set_f64(t, (char *)ht_array_data(S) + (size_t)j * sz, nrm[j]);
    }
    if (W) scale_cols(t, W->lshape[0], r, ht_array_data(W), nrm);
  }
  free(nrm);
  ht_array_free(x);
  if (st) return ht_array_free(R), ht_array_free(W), ht_array_free(S), -1;
  /* split 0: U = W (rows of A), V = root; otherwise U = root, V = W */
  if (u) *u = rows ? W : R;
  else ht_array_free(rows ? W : R);
  if (s && v) {
    *s = S;
    *v = rows ? R : W;
  } else {
    ht_array_free(S);
    ht_array_free(rows ? R : W);
  }
  return 0;
}
