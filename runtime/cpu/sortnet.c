/* Sorting networks for short rows: LANES rows at a time are turned into 64-bit keys
 * (value key << 32 | position, so ties keep their input order as in a stable sort), laid
 * out one row per vector lane, and sorted by Batcher's odd-even merge network with min/max
 * over whole lanes (no branches, vectorised). */
#include "sortnet.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "vecmath.h"

enum { LANES = 16, MAXCMP = 1024 };

bool ht_sortnet_fits(ht_dtype t, int64_t n) {
  return n >= 1 && n <= HT_SORTNET_MAX &&
         (t == HT_BOOL || t == HT_UINT8 || t == HT_INT8 || t == HT_INT16 || t == HT_INT32 ||
          t == HT_FLOAT32);
}

/* Batcher's odd-even merge sort for the next power of two >= n (Knuth 5.3.4); comparators
 * that reach past n are dropped, since the missing elements act as +inf and never move.
 * 543 comparators for 64, 191 for 32. */
static int batcher(int n, uint8_t (*cmp)[2]) {
  int N = 1, c = 0;
  while (N < n) N *= 2;
  for (int p = 1; p < N; p *= 2)
    for (int k = p; k >= 1; k /= 2)
      for (int j = k % p; j + k < N; j += 2 * k)
        for (int i = 0; i < k; i++)
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && i + j + k < n)
            cmp[c][0] = (uint8_t)(i + j), cmp[c][1] = (uint8_t)(i + j + k), c++;
  return c;
}

/* The network over a tile of keys: element j of lane l at t[j * LANES + l]. */
HT_VEC_CLONES static void network(int64_t *restrict t, const uint8_t (*cmp)[2], int nc) {
  for (int c = 0; c < nc; c++) {
    int64_t *a = t + cmp[c][0] * LANES, *b = t + cmp[c][1] * LANES;
#pragma omp simd
    for (int l = 0; l < LANES; l++) {
      int64_t x = a[l], y = b[l];
      a[l] = x < y ? x : y, b[l] = x < y ? y : x;
    }
  }
}

/* float32 bits as signed keys: negatives get all bits but the sign flipped. Every NaN gets
 * the key of the positive quiet NaN (above +inf) and -0.0 that of 0.0: they tie, and the
 * values are gathered from the input by position, so their bits survive. */
static inline int32_t key_f32(float v) {
  uint32_t s;
  memcpy(&s, &v, sizeof s);
  s = (s & 0x7FFFFFFFu) > 0x7F800000u ? 0x7FC00000u : s; /* selects, so the loop vectorises */
  s = s == 0x80000000u ? 0 : s;
  int32_t k = (int32_t)s;
  return k ^ (int32_t)((uint32_t)(k >> 31) >> 1);
}

/* Rows r0 .. r0 + m - 1 into the tile; flip inverts the value keys for descending. */
#define LOAD(T, KEY)                                                                     \
  for (int64_t l = 0; l < m; l++) {                                                      \
    const T *s = (const T *)src + (r0 + l) * n;                                          \
    for (int64_t j = 0; j < n; j++)                                                      \
      tile[j * LANES + l] = (int64_t)((uint64_t)(int64_t)(KEY(s[j]) ^ flip) << 32 | (uint64_t)j); \
  }
/* Values gathered from the input row by position (their bits kept) and positions out. */
/* Values gathered from the input row by position (their bits kept) and positions out;
 * loops without branches, so that they vectorise (with gathers). */
#define GATHER(T)                                                                        \
  for (int64_t l = 0; vout && l < m; l++) {                                              \
    const T *s = (const T *)src + (r0 + l) * n;                                          \
    T *d = (T *)vout + (r0 + l) * k;                                                     \
    for (int64_t j = 0; j < k; j++) d[j] = s[(uint32_t)tile[j * LANES + l]];             \
  }
#define AS_IS(v) ((int32_t)(v))

HT_VEC_CLONES static void block(ht_dtype t, const void *src, int64_t r0, int64_t m, int64_t n, int64_t k,
                  bool desc, int64_t base, const uint8_t (*cmp)[2], int nc, void *vout,
                  int64_t *iout) {
  _Alignas(64) int64_t tile[HT_SORTNET_MAX * LANES];
  const int32_t flip = desc ? -1 : 0;
  for (int64_t j = 0; m < LANES && j < n; j++) /* lanes without a row */
    for (int64_t l = m; l < LANES; l++) tile[j * LANES + l] = 0;
  switch (t) {
    case HT_BOOL: LOAD(bool, AS_IS) break;
    case HT_UINT8: LOAD(uint8_t, AS_IS) break;
    case HT_INT8: LOAD(int8_t, AS_IS) break;
    case HT_INT16: LOAD(int16_t, AS_IS) break;
    case HT_INT32: LOAD(int32_t, AS_IS) break;
    default: LOAD(float, key_f32) break;
  }
  network(tile, cmp, nc);
  switch (ht_dtype_size(t)) {
    case 1: GATHER(uint8_t) break;
    case 2: GATHER(uint16_t) break;
    default: GATHER(uint32_t) break;
  }
  for (int64_t l = 0; iout && l < m; l++) {
    int64_t *ix = iout + (r0 + l) * k;
    for (int64_t j = 0; j < k; j++) ix[j] = base + (uint32_t)tile[j * LANES + l];
  }
}
#undef LOAD
#undef GATHER
#undef AS_IS

void ht_sortnet_rows(ht_dtype t, const void *src, int64_t rows, int64_t n, int64_t k,
                     bool descending, int64_t base, void *vout, int64_t *iout) {
  uint8_t cmp[MAXCMP][2];
  int nc = batcher((int)n, cmp);
  const int64_t blocks = (rows + LANES - 1) / LANES;
  if (k == 0) return;
#pragma omp parallel for schedule(static) if (rows * n > (1 << 15))
  for (int64_t b = 0; b < blocks; b++) {
    int64_t r0 = b * LANES, m = rows - r0 < LANES ? rows - r0 : LANES;
    block(t, src, r0, m, n, k, descending, base, cmp, nc, vout, iout);
  }
}
