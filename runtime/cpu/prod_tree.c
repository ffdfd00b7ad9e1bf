/* Reproducible float product kernel: tree products of aligned dyadic nodes of the reduced
 * axis and their bottom-up merge (cpu/prod_tree.h; the definition is in docs/reliability.md). */
#include "prod_tree.h"

#include <stdlib.h>
#include <string.h>

#include "vecmath.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Leaves per chunk of a 1-d run: its tree is done level by level on a small buffer, which
 * vectorises, and chunks then join by a binary counter; columns per tile of a row run. */
enum { CHUNK_LOG = 8, CHUNK = 1 << CHUNK_LOG, TILE = 128, MAXLEV = 64 };

int64_t ht_prod_nodes(int64_t g0, int64_t len, ht_pnode *nodes) {
  int64_t count = 0, a = g0;
  const int64_t end = g0 + len;
  while (a < end) {
    int64_t lev = 0;
    while (lev < 62 && a % ((int64_t)2 << lev) == 0 && a + ((int64_t)2 << lev) <= end) lev++;
    if (nodes) nodes[count] = (ht_pnode){a, lev};
    count++;
    a += (int64_t)1 << lev;
  }
  return count;
}

/* d[i] = s[2i] * s[2i+1] for i < h: one level of the tree (restrict: it vectorises). */
static inline void halve(double *restrict d, const double *restrict s, int64_t h) {
  for (int64_t i = 0; i < h; i++) d[i] = s[2 * i] * s[2 * i + 1];
}

/* The tree product of 2^lev (1 <= 2^lev <= CHUNK) consecutive values; tmp holds CHUNK. */
static inline __attribute__((always_inline)) double chunk(ht_dtype t, const void *p, int lev,
                                                          double *tmp) {
  const int64_t m = (int64_t)1 << lev;
  double *a = tmp, *b = tmp + CHUNK / 2;
  if (t == HT_FLOAT32) {
    const float *x = p;
    if (m == 1) return x[0];
    for (int64_t i = 0; i < m / 2; i++) a[i] = (double)x[2 * i] * (double)x[2 * i + 1];
  } else {
    if (m == 1) return ((const double *)p)[0];
    halve(a, p, m / 2);
  }
  for (int64_t h = m / 4; h >= 1; h /= 2) {
    halve(b, a, h);
    double *c = a;
    a = b, b = c;
  }
  return a[0];
}

/* One output's 2^lev consecutive values at p (I == 1). Target clones: AVX2 halves a level
 * with wider deinterleaves; the products, hence the bits, are the same. */
HT_VEC_CLONES static double node_1d(ht_dtype t, const char *p, int64_t lev) {
  double tmp[CHUNK], st[MAXLEV];
  if (lev <= CHUNK_LOG) return chunk(t, p, (int)lev, tmp);
  const int64_t nch = (int64_t)1 << (lev - CHUNK_LOG), step = CHUNK * (int64_t)ht_dtype_size(t);
  int sp = 0;
  for (int64_t c = 0; c < nch; c++) {
    double v = t == HT_FLOAT32 ? chunk(HT_FLOAT32, p + c * step, CHUNK_LOG, tmp)
                               : chunk(HT_FLOAT64, p + c * step, CHUNK_LOG, tmp);
    for (int64_t k = c + 1; !(k & 1); k >>= 1) v = st[--sp] * v; /* left * right */
    st[sp++] = v;
  }
  return st[0];
}

static inline void mul_f64(double *restrict d, const double *restrict a,
                           const double *restrict b, int64_t w) {
  for (int64_t i = 0; i < w; i++) d[i] = a[i] * b[i];
}

static inline void mul_f32(double *restrict d, const float *restrict a,
                           const float *restrict b, int64_t w) {
  for (int64_t i = 0; i < w; i++) d[i] = (double)a[i] * (double)b[i];
}

static inline void mul_into(double *restrict l, const double *restrict r, int64_t w) {
  for (int64_t i = 0; i < w; i++) l[i] *= r[i];
}

/* Columns [0, w) of 2^lev rows (row stride ld elements) at p into v: rows pair up at the
 * leaves, and pairs join by a binary counter of whole tiles, so columns vectorise. */
HT_VEC_CLONES static void node_rows(ht_dtype t, const char *p, int64_t ld, int64_t w, int64_t lev,
                      double *v) {
  const int64_t item = (int64_t)ht_dtype_size(t);
  if (lev == 0) {
    for (int64_t i = 0; i < w; i++)
      v[i] = t == HT_FLOAT32 ? ((const float *)p)[i] : ((const double *)p)[i];
    return;
  }
  double st[MAXLEV * TILE];
  int sp = 0;
  const int64_t npairs = (int64_t)1 << (lev - 1);
  for (int64_t c = 0; c < npairs; c++) {
    const char *a = p + 2 * c * ld * item, *b = a + ld * item;
    if (t == HT_FLOAT32) mul_f32(st + sp * TILE, (const float *)a, (const float *)b, w);
    else mul_f64(st + sp * TILE, (const double *)a, (const double *)b, w);
    sp++;
    for (int64_t k = c + 1; !(k & 1); k >>= 1, sp--)
      mul_into(st + (sp - 2) * TILE, st + (sp - 1) * TILE, w);
  }
  memcpy(v, st, (size_t)w * sizeof(double));
}

/* Below this many factors a node runs on one thread. */
#define PROD_GRAIN ((int64_t)1 << 16)

/* Output o's columns [i0, i0 + w) of local rows [r0, r0 + 2^lev) into v. */
static void node_part(const ht_rjob *j, int64_t o, int64_t i0, int64_t w, int64_t r0,
                      int64_t lev, double *v) {
  const int64_t item = (int64_t)ht_dtype_size(j->t), I = j->I;
  const char *base = (const char *)j->in + ((o * j->R + r0) * I + i0) * item;
  if (I == 1) *v = node_1d(j->t, base, lev);
  else node_rows(j->t, base, I, w, lev, v);
}

/* Threads take whole pieces: (output, column tile) pairs, and when those are fewer than
 * the threads, each node cut into 2^s aligned sub-nodes whose values then join pairwise
 * bottom-up: the node's own tree, so the bits do not depend on the thread count. */
void ht_cpu_prod_node(const ht_rjob *j, int64_t r0, int64_t level, double *val) {
  const int64_t I = j->I, tiles = (I + TILE - 1) / TILE, items = j->O * tiles;
  int nt = 1;
#ifdef _OPENMP
  if (j->O * I * ((int64_t)1 << level) >= PROD_GRAIN && !omp_in_parallel())
    nt = omp_get_max_threads();
#endif
  int s = 0;
  while (items << s < 4 * (int64_t)nt && s < level && s < 8) s++;
  double *sub = s ? malloc(sizeof(double) * (size_t)(j->O * I) << s) : NULL;
  if (!sub) s = 0; /* no scratch (a few KiB): whole nodes, still threaded over the items */
  const int64_t nsub = (int64_t)1 << s, lsub = level - s;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (int64_t q = 0; q < items * nsub; q++) {
    const int64_t it = q / nsub, k = q % nsub, o = it / tiles, i0 = it % tiles * TILE;
    const int64_t w = I - i0 < TILE ? I - i0 : TILE;
    double *v = s ? sub + (k * j->O * I) : val;
    node_part(j, o, i0, w, r0 + (k << lsub), lsub, v + o * I + i0);
  }
  if (!s) return;
  const int64_t n = j->O * I;
  for (int64_t d = 1; d < nsub; d *= 2) /* level by level, left * right */
    for (int64_t k = 0; k < nsub; k += 2 * d) mul_into(sub + k * n, sub + (k + d) * n, n);
  memcpy(val, sub, sizeof(double) * (size_t)n);
  free(sub);
}

int ht_prod_merge(ht_pnode *nodes, double *const *vals, int64_t count, int64_t n, int64_t N,
                  double *out) {
  int64_t st[2 * MAXLEV + 2];
  int sp = 0;
  for (int64_t k = 0; k < n; k++) out[k] = 1.0;
  if (N == 0) return count == 0 ? 0 : -1;
  for (int64_t c = 0; c < count; c++) {
    if (sp == 2 * MAXLEV + 2) return -1;
    st[sp++] = c;
    for (;;) {
      ht_pnode *top = &nodes[st[sp - 1]];
      const int64_t size = (int64_t)1 << top->level;
      if (top->start == 0 && size >= N) break; /* the root */
      if (top->start % (2 * size) == 0 && top->start + size >= N) {
        top->level++; /* its sibling lies beyond N: the parent is this node */
        continue;
      }
      if (sp < 2) break;
      ht_pnode *left = &nodes[st[sp - 2]];
      if (left->level != top->level || left->start % (2 * size) || left->start + size != top->start)
        break;
      double *l = vals[st[sp - 2]];
      const double *r = vals[st[sp - 1]];
      for (int64_t k = 0; k < n; k++) l[k] *= r[k];
      left->level++;
      sp--;
    }
  }
  if (sp != 1 || nodes[st[0]].start != 0 || ((int64_t)1 << nodes[st[0]].level) < N) return -1;
  memcpy(out, vals[st[0]], (size_t)n * sizeof(double));
  return 0;
}
