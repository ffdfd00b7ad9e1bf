/* The register-blocked direct form of cdist (cpu/dist_direct.h): y is packed as float64 in
 * groups of eight rows, transposed so that one vector holds one feature of eight y rows; a
 * few x rows (packed as float64) are broadcast against it, each pair keeping its own eight
 * partial sums in vector lanes, so the values are the plain loop's to the bit. */
#include "dist_direct.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "simd.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_DIST_DIRECT 1

typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8l __attribute__((vector_size(64)));
typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4l __attribute__((vector_size(32)));

/* Rows of y per packed tile: the tile (float64) stays within about 256 KiB, in L2. */
static int64_t tile_rows(int64_t f, int64_t ny) {
  int64_t r = (256 * 1024 / (64 * (f > 0 ? f : 1))) * 8;
  r = r < 8 ? 8 : r;
  return r < ny ? r : (ny + 7) / 8 * 8;
}

#define K static inline __attribute__((always_inline))

/* R x rows (xp, R x f) against one y group (yg, f x 8, read V's lanes of each feature from
 * yg): sq_group_V gives the squared distances, feature q into partial sum q % 8 as in
 * HT_SQ_BODY of cpu/distance.c; abs_group_V the sums of |x_q - y_q| in order of q. Pair (r,
 * lane) goes to res[8 r + lane]. Written once for both vector widths: v8d (AVX-512) and
 * v4d (AVX2, a group taken as two halves). */
#define HT_DIST_GROUPS(V, VL)                                                              \
  K void sq_step_##V(int R, int64_t f, const double *xp, const double *yg, int64_t q,      \
                     V s[3][8], int u) {                                                   \
    const V yv = *(const V *)(yg + q * 8);                                                 \
    for (int r = 0; r < R; r++) {                                                          \
      const V d = yv - xp[r * f + q];                                                      \
      s[r][u] += d * d;                                                                    \
    }                                                                                      \
  }                                                                                        \
  K void sq_group_##V(int R, int64_t f, const double *xp, const double *yg, double *res) { \
    V s[3][8];                                                                             \
    for (int r = 0; r < R; r++)                                                            \
      for (int u = 0; u < 8; u++) s[r][u] = (V){0};                                        \
    int64_t q = 0;                                                                         \
    for (; q + 8 <= f; q += 8)                                                             \
      for (int u = 0; u < 8; u++) sq_step_##V(R, f, xp, yg, q + u, s, u);                  \
    for (int u = 0; u < 8; u++)                                                            \
      if (q + u < f) sq_step_##V(R, f, xp, yg, q + u, s, u);                               \
    for (int r = 0; r < R; r++) {                                                          \
      const V t = ((s[r][0] + s[r][1]) + (s[r][2] + s[r][3])) +                            \
                  ((s[r][4] + s[r][5]) + (s[r][6] + s[r][7]));                             \
      memcpy(res + 8 * r, &t, sizeof t);                                                   \
    }                                                                                      \
  }                                                                                        \
  K void abs_group_##V(int R, int64_t f, const double *xp, const double *yg, double *res) { \
    const VL mag = (VL){0} + INT64_MAX;                                                    \
    V s[8];                                                                                \
    for (int r = 0; r < R; r++) s[r] = (V){0};                                             \
    for (int64_t q = 0; q < f; q++) {                                                      \
      const V yv = *(const V *)(yg + q * 8);                                               \
      for (int r = 0; r < R; r++) s[r] += (V)((VL)(yv - xp[r * f + q]) & mag);             \
    }                                                                                      \
    for (int r = 0; r < R; r++) memcpy(res + 8 * r, &s[r], sizeof s[r]);                   \
  }
HT_DIST_GROUPS(v8d, v8l)
HT_DIST_GROUPS(v4d, v4l)
#undef HT_DIST_GROUPS

typedef struct job {
  ht_dtype t;
  ht_dist_metric m;
  double gamma;
  int64_t f, ldo;
  void *out;
} job;

/* The metric's finish of eight values and their store (nv of them) at o: sqrt in vector
 * lanes (IEEE, so libm's bits), exp through libm one by one (its bits, not libmvec's). */
K void finish_store(const job *j, const double *v, int nv, char *o) {
  double d[8];
  memcpy(d, v, sizeof d);
  if (j->m == HT_DIST_EUCLIDEAN)
    for (int l = 0; l < 8; l++) d[l] = sqrt(d[l]);
  else if (j->m == HT_DIST_RBF)
    for (int l = 0; l < nv; l++) d[l] = exp(-d[l] * j->gamma);
  if (j->t == HT_FLOAT32) {
    float *p = (float *)o;
    if (nv == 8)
      for (int l = 0; l < 8; l++) p[l] = (float)d[l];
    else
      for (int l = 0; l < nv; l++) p[l] = (float)d[l];
  } else {
    memcpy(o, d, sizeof(double) * (size_t)nv);
  }
}

/* nr x rows from row i0 (packed in xp, Rs rows for the sum forms, Ra for manhattan: the
 * last one repeated) against ng groups of the tile yp holding ny rows from column j0. */
K void block(int W, int Rs, int Ra, const job *j, const double *xp, int nr, int64_t i0,
             const double *yp, int64_t ng, int64_t ny, int64_t j0) {
  const size_t item = ht_dtype_size(j->t);
  for (int64_t g = 0; g < ng; g++) {
    double res[8 * 8];
    const double *yg = yp + g * j->f * 8;
    for (int h = 0; h < 8; h += W) {
      if (W == 8 && j->m == HT_DIST_MANHATTAN) abs_group_v8d(Ra, j->f, xp, yg, res);
      else if (W == 8) sq_group_v8d(Rs, j->f, xp, yg, res);
      else if (j->m == HT_DIST_MANHATTAN) abs_group_v4d(Ra, j->f, xp, yg + h, res + h);
      else sq_group_v4d(Rs, j->f, xp, yg + h, res + h);
    }
    const int nv = ny - 8 * g < 8 ? (int)(ny - 8 * g) : 8;
    for (int r = 0; r < nr; r++)
      finish_store(j, res + 8 * r, nv,
                   (char *)j->out + (size_t)((i0 + r) * j->ldo + j0 + 8 * g) * item);
  }
}

/* The sum forms keep R * 8 partial sums (3 x rows: 24 of AVX-512's 32 registers; 1 x row:
 * 8 of AVX2's 16); manhattan one per pair (8 x rows). */
__attribute__((target("avx512f"), optimize("fp-contract=off"))) static void
block_avx512(const job *j, const double *xp, int nr, int64_t i0, const double *yp, int64_t ng,
             int64_t ny, int64_t j0) {
  block(8, 3, 8, j, xp, nr, i0, yp, ng, ny, j0);
}

__attribute__((target("avx2"), optimize("fp-contract=off"))) static void
block_avx2(const job *j, const double *xp, int nr, int64_t i0, const double *yp, int64_t ng,
           int64_t ny, int64_t j0) {
  block(4, 1, 8, j, xp, nr, i0, yp, ng, ny, j0);
}
#undef K

#endif

/* 2: AVX-512, 1: AVX2, 0: off; -1: not yet asked. */
static int use = -1;

int ht_dist_direct_simd(int on) {
#ifdef HAVE_DIST_DIRECT
  const int avail = ht_cpu_avx512() ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
#else
  const int avail = 0;
#endif
  /* ht_simd_switch's rule with three states (its avail is a bool) */
  if (use < 0) use = avail;
  const int was = use;
  if (on >= 0) use = on < avail ? on : avail; /* a path the CPU lacks: the best it has */
  return was;
}

int ht_dist_direct(ht_dtype t, ht_dist_metric m, double gamma, int64_t nx, int64_t ny,
                   int64_t f, const void *x, const void *y, void *out, int64_t ldo) {
#ifdef HAVE_DIST_DIRECT
  if (use < 0) ht_dist_direct_simd(-1);
  const int mode = use;
  if (mode <= 0 || nx <= 0 || ny <= 0 || f <= 0 || (t != HT_FLOAT32 && t != HT_FLOAT64)) return 0;
  const int R = m == HT_DIST_MANHATTAN ? 8 : mode == 2 ? 3 : 1; /* as block_avx512/avx2 */
  const int64_t TY = tile_rows(f, ny), nt = omp_get_max_threads();
  const int64_t xs = (R * f + 7) / 8 * 8; /* one thread's packed x rows, whole vectors */
  const size_t item = ht_dtype_size(t);
  double *yp = aligned_alloc(64, sizeof(double) * (size_t)(TY * f + nt * xs));
  if (!yp)
    return ht_error("cdist: out of memory (packing %lld x %lld rows as float64)", (long long)TY,
                    (long long)f);
  const job j = {t, m, gamma, f, ldo, out};
  void (*blk)(const job *, const double *, int, int64_t, const double *, int64_t, int64_t,
              int64_t) = mode == 2 ? block_avx512 : block_avx2;
  const int64_t nxb = (nx + R - 1) / R;
#pragma omp parallel if (nx * ny * f > 65536)
  {
    double *xp = yp + TY * f + omp_get_thread_num() * xs;
    for (int64_t j0 = 0; j0 < ny; j0 += TY) {
      const int64_t nyt = ny - j0 < TY ? ny - j0 : TY, ng = (nyt + 7) / 8;
#pragma omp for schedule(static)
      for (int64_t g = 0; g < ng; g++) {
        double *p = yp + g * f * 8;
        for (int l = 0; l < 8; l++) {
          const int64_t row = j0 + 8 * g + l;
          if (row < j0 + nyt) {
            const char *src = (const char *)y + (size_t)(row * f) * item;
            for (int64_t q = 0; q < f; q++) p[q * 8 + l] = ht_get_float(t, src, q);
          } else {
            for (int64_t q = 0; q < f; q++) p[q * 8 + l] = 0;
          }
        }
      }
#pragma omp for schedule(dynamic, 4)
      for (int64_t b = 0; b < nxb; b++) {
        const int64_t i0 = b * R;
        const int nr = nx - i0 < R ? (int)(nx - i0) : R;
        for (int r = 0; r < R; r++) {
          const char *src = (const char *)x + (size_t)((i0 + (r < nr ? r : nr - 1)) * f) * item;
          for (int64_t q = 0; q < f; q++) xp[r * f + q] = ht_get_float(t, src, q);
        }
        blk(&j, xp, nr, i0, yp, ng, nyt, j0);
      }
    }
  }
  free(yp);
  return 1;
#else
  (void)t, (void)m, (void)gamma, (void)nx, (void)ny, (void)f, (void)x, (void)y, (void)out, (void)ldo;
  return 0;
#endif
}
