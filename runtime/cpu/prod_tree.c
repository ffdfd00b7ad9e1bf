/* Reproducible float product kernel: tree products of aligned dyadic nodes of the reduced
 * axis and their bottom-up merge (cpu/prod_tree.h; the definition is in docs/reliability.md). */
#include "prod_tree.h"

#include <stdlib.h>
#include <string.h>

#include "simd.h"
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

/* The generic 1-d node (below): chunks halved level by level on a small buffer. */
HT_VEC_CLONES static double node_1d_generic(ht_dtype t, const char *p, int64_t lev);

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HT_PROD_AVX512 1
#define AVX512_INLINE static inline __attribute__((always_inline, target("avx512f")))

/* Eight consecutive factors as doubles (float32 widened exactly, as (double)x does). */
AVX512_INLINE __m512d load8(ht_dtype t, const char *p) {
  if (t == HT_FLOAT32) return _mm512_cvtps_pd(_mm256_loadu_ps((const float *)p));
  return _mm512_loadu_pd((const double *)p);
}

/* Registers v[0..7], each eight consecutive nodes of one level in order, into one register
 * whose lane k is the tree product of v[k]'s lanes, ((l0 l1)(l2 l3))((l4 l5)(l6 l7)): the
 * three levels of the tree done across registers (unpack, then 128-bit chunk shuffles),
 * every product left * right as in the generic path, hence the same bits. */
AVX512_INLINE __m512d red8(const __m512d *v) {
  __m512d p[4], q[2];
  for (int k = 0; k < 4; k++) /* [a01 b01 a23 b23 a45 b45 a67 b67] */
    p[k] = _mm512_mul_pd(_mm512_unpacklo_pd(v[2 * k], v[2 * k + 1]),
                         _mm512_unpackhi_pd(v[2 * k], v[2 * k + 1]));
  for (int k = 0; k < 2; k++) /* [a0-3 b0-3 a4-7 b4-7 c0-3 d0-3 c4-7 d4-7] */
    q[k] = _mm512_mul_pd(_mm512_shuffle_f64x2(p[2 * k], p[2 * k + 1], 0x88),
                         _mm512_shuffle_f64x2(p[2 * k], p[2 * k + 1], 0xDD));
  return _mm512_mul_pd(_mm512_shuffle_f64x2(q[0], q[1], 0x88),
                       _mm512_shuffle_f64x2(q[0], q[1], 0xDD)); /* [a b c d e f g h] */
}

/* The eight level-3 sub-nodes of the 64 factors at p, in order: loads and products stay
 * in registers. */
AVX512_INLINE __m512d leaf64(ht_dtype t, const char *p, int64_t item) {
  __m512d v[8];
  for (int k = 0; k < 8; k++) v[k] = load8(t, p + 8 * k * item);
  return red8(v);
}

/* The eight level-(lev - 3) sub-nodes of the 2^lev factors at p, in order, for lev a
 * multiple of 3 plus 3 (6, 9, 12, ...): radix-8 recursion on red8, whose last two levels
 * (512 factors) run inline so that calls and spills stay rare. */
__attribute__((target("avx512f"))) static __m512d subnodes8(ht_dtype t, const char *p,
                                                            int64_t lev, int64_t item) {
  __m512d v[8];
  if (lev == 6) return leaf64(t, p, item);
  if (lev == 9) {
    if (t == HT_FLOAT32)
      for (int k = 0; k < 8; k++) v[k] = leaf64(HT_FLOAT32, p + 64 * k * item, 4);
    else
      for (int k = 0; k < 8; k++) {
        for (int c = 0; c < 8; c++) _mm_prefetch(p + 64 * k * 8 + 8192 + 64 * c, _MM_HINT_T0);
        v[k] = leaf64(HT_FLOAT64, p + 64 * k * item, 8);
      }
    return red8(v);
  }
  const int64_t step = ((int64_t)1 << (lev - 3)) * item;
  for (int k = 0; k < 8; k++) v[k] = subnodes8(t, p + k * step, lev - 3, item);
  return red8(v);
}

/* The tree product of 2^lev (lev >= 6) factors: 2^r blocks of subnodes8 (r = (lev - 6) mod
 * 3), whose 8 * 2^r sub-nodes (in order) then join by the scalar tree. */
__attribute__((target("avx512f"))) static double node_1d_avx512(ht_dtype t, const char *p,
                                                                int64_t lev) {
  const int64_t item = (int64_t)ht_dtype_size(t), r = (lev - 6) % 3, blk = lev - r;
  double a[32];
  for (int64_t b = 0; b < (1 << r); b++)
    _mm512_storeu_pd(a + 8 * b, subnodes8(t, p + (b << blk) * item, blk, item));
  for (int64_t h = 4 << r; h >= 1; h /= 2) /* in place: step i reads 2i, 2i + 1 >= i */
    for (int64_t i = 0; i < h; i++) a[i] = a[2 * i] * a[2 * i + 1];
  return a[0];
}

/* Eight outputs' nodes of 2^lev factors (lev = 6, 9, 12, ...; rows ld bytes apart) at once:
 * each row's eight sub-nodes (subnodes8) and then red8 across the rows, whose lane k is
 * row k's node by the same tree, so short rows (prod(1)) pay no per-row finish. */
__attribute__((target("avx512f"))) static void rows8_avx512(ht_dtype t, const char *p,
                                                            int64_t ld, int64_t lev,
                                                            double *out) {
  const int64_t item = (int64_t)ht_dtype_size(t);
  __m512d v[8];
  for (int k = 0; k < 8; k++) v[k] = subnodes8(t, p + k * ld, lev, item);
  _mm512_storeu_pd(out, red8(v));
}

/* About how many bytes of rows the row kernel prefetches ahead (at least one block). */
#define PF_BYTES 8192
#define AVX512VL_INLINE static inline __attribute__((always_inline, target("avx512f,avx512vl")))

/* Eight columns (lanes beyond mask m unread, 0) of one row as doubles. */
AVX512VL_INLINE __m512d col8(ht_dtype t, const char *p, __mmask8 m) {
  if (m == 0xFF) return load8(t, p);
  if (t == HT_FLOAT32) return _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, (const float *)p));
  return _mm512_maskz_loadu_pd(m, (const double *)p);
}

/* The level-2 node of four rows (ldb bytes apart) of eight columns, (r0 r1)(r2 r3). */
AVX512VL_INLINE __m512d rows4(ht_dtype t, const char *p, int64_t ldb, __mmask8 m) {
  const __m512d l = _mm512_mul_pd(col8(t, p, m), col8(t, p + ldb, m));
  return _mm512_mul_pd(l, _mm512_mul_pd(col8(t, p + 2 * ldb, m), col8(t, p + 3 * ldb, m)));
}

/* The level-4 node of 16 rows of eight columns: the tree's four levels in registers (values,
 * not an array, which gcc would keep in memory), left * right as node_rows does. */
AVX512VL_INLINE __m512d rows16(ht_dtype t, const char *p, int64_t ldb, __mmask8 m) {
  const __m512d l = _mm512_mul_pd(rows4(t, p, ldb, m), rows4(t, p + 4 * ldb, ldb, m));
  const __m512d r = _mm512_mul_pd(rows4(t, p + 8 * ldb, ldb, m), rows4(t, p + 12 * ldb, ldb, m));
  return _mm512_mul_pd(l, r);
}

/* node_rows for lev >= 4: blocks of 16 rows reduce in registers, eight columns at a time,
 * and the blocks' level-4 nodes join by the same binary counter (16 times fewer passes
 * through the stack), so the products, hence the bits, are node_rows's. */
__attribute__((target("avx512f,avx512vl"))) static void node_rows_avx512(
    ht_dtype t, const char *p, int64_t ld, int64_t w, int64_t lev, double *v) {
  const int64_t item = (int64_t)ht_dtype_size(t), ldb = ld * item, nblk = (int64_t)1 << (lev - 4);
  const int64_t groups = (w + 7) / 8;
  const __mmask8 tail = (__mmask8)((1u << (w - 8 * (groups - 1))) - 1);
  double st[MAXLEV * TILE] __attribute__((aligned(64)));
  int sp = 0;
  const int64_t ahead = 1 + PF_BYTES / (16 * w * item);
  for (int64_t c = 0; c < nblk; c++) {
    const char *b = p + 16 * c * ldb;
    double *d = st + sp * TILE;
    const char *pf = b + 16 * ahead * ldb;
    if (c + ahead < nblk) /* this access order hides rows from the hardware prefetcher */
      for (int k = 0; k < 16; k++)
        for (int64_t q = 0; q < w * item; q += 64) _mm_prefetch(pf + k * ldb + q, _MM_HINT_T0);
    for (int64_t g = 0; g < groups; g++) {
      const __mmask8 m = g + 1 < groups ? (__mmask8)0xFF : tail;
      if (g + 1 < groups) _mm512_store_pd(d + 8 * g, rows16(t, b + 8 * g * item, ldb, 0xFF));
      else _mm512_mask_storeu_pd(d + 8 * g, m, rows16(t, b + 8 * g * item, ldb, m));
    }
    sp++;
    for (int64_t k = c + 1; !(k & 1); k >>= 1, sp--) {
      double *l = st + (sp - 2) * TILE;
      const double *r = st + (sp - 1) * TILE;
      for (int64_t g = 0; g < groups; g++)
        _mm512_store_pd(l + 8 * g, _mm512_mul_pd(_mm512_load_pd(l + 8 * g), _mm512_load_pd(r + 8 * g)));
    }
  }
  memcpy(v, st, (size_t)w * sizeof(double));
}
#endif

/* 0: the generic path only (tests compare the two); 1: the SIMD kernel where it runs. */
static int use_simd = -1;

int ht_prod_simd(int on) {
#ifdef HT_PROD_AVX512
  return ht_simd_switch(&use_simd, ht_cpu_avx512(), on);
#else
  return ht_simd_switch(&use_simd, false, on);
#endif
}

/* One output's 2^lev consecutive values at p (I == 1): the AVX-512 kernel for full nodes
 * of 64 factors or more, the generic path below that or without AVX-512. */
static double node_1d(ht_dtype t, const char *p, int64_t lev) {
#ifdef HT_PROD_AVX512
  if (lev >= 6 && use_simd > 0) return node_1d_avx512(t, p, lev);
#endif
  return node_1d_generic(t, p, lev);
}

/* One output's 2^lev consecutive values at p (I == 1). Target clones: AVX2 halves a level
 * with wider deinterleaves; the products, hence the bits, are the same. */
HT_VEC_CLONES static double node_1d_generic(ht_dtype t, const char *p, int64_t lev) {
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
#ifdef HT_PROD_AVX512
  else if (lev >= 4 && use_simd > 0 && ht_cpu_avx512vl())
    node_rows_avx512(j->t, base, I, w, lev, v);
#endif
  else node_rows(j->t, base, I, w, lev, v);
}

/* Threads take whole pieces: (output, column tile) pairs, and when those are fewer than
 * the threads, each node cut into 2^s aligned sub-nodes whose values then join pairwise
 * bottom-up: the node's own tree, so the bits do not depend on the thread count. */
void ht_cpu_prod_node(const ht_rjob *j, int64_t r0, int64_t level, double *val) {
  const int64_t I = j->I, tiles = (I + TILE - 1) / TILE, items = j->O * tiles;
  int nt = 1;
  ht_prod_simd(-1); /* before the threads read it */
#ifdef _OPENMP
  if (j->O * I * ((int64_t)1 << level) >= PROD_GRAIN && !omp_in_parallel())
    nt = omp_get_max_threads();
#endif
  int s = 0;
  while (items << s < 4 * (int64_t)nt && s < level && s < 8) s++;
  double *sub = s ? malloc(sizeof(double) * (size_t)(j->O * I) << s) : NULL;
  if (!sub) s = 0; /* no scratch (a few KiB): whole nodes, still threaded over the items */
  const int64_t nsub = (int64_t)1 << s, lsub = level - s;
#ifdef HT_PROD_AVX512
  if (I == 1 && !s && use_simd > 0 && level >= 6 && (level - 6) % 3 == 0 && j->O >= 8) {
    /* rows of one node each: eight outputs per step (the last group's tail alone) */
    const int64_t item = (int64_t)ht_dtype_size(j->t), groups = (j->O + 7) / 8;
    const char *in = (const char *)j->in + r0 * item;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t g = 0; g < groups; g++) {
      if (8 * g + 8 <= j->O) {
        rows8_avx512(j->t, in + 8 * g * j->R * item, j->R * item, level, val + 8 * g);
      } else {
        for (int64_t o = 8 * g; o < j->O; o++) node_part(j, o, 0, 1, r0, level, val + o);
      }
    }
    return;
  }
#endif
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
