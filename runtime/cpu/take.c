/* Gather/scatter through byte-offset lists (the local half of getitem and setitem with
 * masks and integer arrays) and the masked fill of `x[mask] = scalar`. */
#include "take.h"

#include <stdlib.h>
#include <string.h>

#include "../iter.h"
#include "simd.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Below this many elements threads cost more than they save. */
#define TAKE_GRAIN ((int64_t)1 << 15)

/* es is a constant at every call site (see copy_run), so each memcpy is one move. */
static inline void copy_run_sized(size_t es, int64_t n, char *d, const int64_t *di, const char *s,
                                  const int64_t *si) {
  for (int64_t i = 0; i < n; i++)
    memcpy(d + di[i], s + si[i], es);
}

static inline void copy_run(size_t es, int64_t n, char *d, const int64_t *di, const char *s,
                            const int64_t *si) {
  switch (es) {
    case 1: copy_run_sized(1, n, d, di, s, si); break;
    case 2: copy_run_sized(2, n, d, di, s, si); break;
    case 4: copy_run_sized(4, n, d, di, s, si); break;
    case 8: copy_run_sized(8, n, d, di, s, si); break;
    default: copy_run_sized(es, n, d, di, s, si); break;
  }
}

/* One slab: the ni elements of (o, k); d and s address the slab's element 0 minus inner[0]. */
static inline void copy_slab(size_t es, int64_t ni, bool packed, char *d, const int64_t *di,
                             const char *s, const int64_t *si) {
  if (packed)
    memcpy(d, s, (size_t)ni * es); /* both inner runs are contiguous from 0 */
  else
    copy_run(es, ni, d, di, s, si);
}

static bool is_packed(const int64_t *off, int64_t n, size_t es) {
  for (int64_t i = 0; i < n; i++)
    if (off[i] != i * (int64_t)es) return false;
  return true;
}

void ht_cpu_take(size_t es, int64_t no, int64_t nk, int64_t ni, ht_take_side dst, ht_take_side src,
                 bool ordered) {
  if (no == 0 || nk == 0 || ni == 0) return;
  const int64_t total = no * nk * ni;
  if (ni == 1) { /* one element per slab: masks, column picks; a typed loop over k */
    char *d = dst.base + dst.inner[0];
    const char *s = src.base + src.inner[0];
    if (no == 1 && !ordered) {
      const int64_t block = 4096;
#pragma omp parallel for schedule(static) if (nk >= TAKE_GRAIN)
      for (int64_t k0 = 0; k0 < nk; k0 += block)
        copy_run(es, nk - k0 < block ? nk - k0 : block, d + dst.outer[0], dst.sel + k0,
                 s + src.outer[0], src.sel + k0);
      return;
    }
#pragma omp parallel for schedule(static) if (no > 1 && total >= TAKE_GRAIN)
    for (int64_t o = 0; o < no; o++)
      copy_run(es, nk, d + dst.outer[o], dst.sel, s + src.outer[o], src.sel);
    return;
  }
  const bool packed = is_packed(dst.inner, ni, es) && is_packed(src.inner, ni, es);
  if (ordered) { /* distinct o never write the same place: only o is shared out */
#pragma omp parallel for schedule(static) if (no > 1 && total >= TAKE_GRAIN)
    for (int64_t o = 0; o < no; o++)
      for (int64_t k = 0; k < nk; k++)
        copy_slab(es, ni, packed, dst.base + dst.outer[o] + dst.sel[k], dst.inner,
                  src.base + src.outer[o] + src.sel[k], src.inner);
    return;
  }
#pragma omp parallel for collapse(2) schedule(static) if (total >= TAKE_GRAIN)
  for (int64_t o = 0; o < no; o++)
    for (int64_t k = 0; k < nk; k++)
      copy_slab(es, ni, packed, dst.base + dst.outer[o] + dst.sel[k], dst.inner,
                src.base + src.outer[o] + src.sel[k], src.inner);
}

void ht_offsets(int ndim, const int64_t *shape, const int64_t *byte_strides, int64_t *out) {
  int64_t n = 1, idx[HT_MAXDIM] = {0}, off = 0;
  for (int d = 0; d < ndim; d++)
    n *= shape[d];
  for (int64_t k = 0; k < n; k++) {
    out[k] = off;
    for (int d = ndim - 1; d >= 0; d--) { /* odometer: the last axis moves fastest */
      off += byte_strides[d];
      if (++idx[d] < shape[d]) break;
      off -= idx[d] * byte_strides[d];
      idx[d] = 0;
    }
  }
}

/* ---- x[mask] = scalar ---- */

/* d[i] = m[i] ? v : d[i]: a select, which the compiler turns into vector blends. */
#define FILL_LOOP(name, T)                                                   \
  static void name(int64_t n, char **p, const int64_t *s, void *ctx) {       \
    const T v = *(const T *)ctx;                                             \
    const bool *m = (const bool *)p[1];                                      \
    if (s[0] == (int64_t)sizeof(T) && s[1] == 1) {                           \
      T *d = (T *)p[0];                                                      \
      for (int64_t i = 0; i < n; i++) d[i] = m[i] ? v : d[i];                \
      return;                                                                \
    }                                                                        \
    for (int64_t i = 0; i < n; i++)                                          \
      if (m[i * s[1]]) *(T *)(p[0] + i * s[0]) = v;                          \
  }
FILL_LOOP(fill_u8, uint8_t)
FILL_LOOP(fill_u16, uint16_t)
FILL_LOOP(fill_u32, uint32_t)
FILL_LOOP(fill_u64, uint64_t)
#undef FILL_LOOP

void ht_cpu_masked_fill(size_t es, int ndim, const int64_t *shape, char *dst,
                        const int64_t *dstr, const bool *mask, const int64_t *mstr,
                        const void *value) {
  int64_t st[2][HT_MAXDIM];
  for (int d = 0; d < ndim; d++) st[0][d] = dstr[d], st[1][d] = mstr[d];
  char *base[2] = {dst, (char *)mask};
  ht_iter it;
  ht_iter_init(&it, 2, ndim, shape, base, (const int64_t(*)[HT_MAXDIM])st);
  uint64_t v = 0; /* the value's bits, aligned for the typed loop */
  memcpy(&v, value, es);
  ht_inner_loop loop = es == 1 ? fill_u8 : es == 2 ? fill_u16 : es == 4 ? fill_u32 : fill_u64;
  ht_iter_run(&it, loop, &v);
}

/* ---- x[mask] on contiguous chunks ---- */

/* bools are the bytes 0 and 1: eight at a time as one word whose byte lanes count up to
 * 255 before they are folded. GCC vectorises the word loop; the bool loop it did not (it
 * took a third of x[mask]'s time). */
#define COUNT_WORDS 255
static int64_t count_run(const bool *m, int64_t n) {
  int64_t c = 0, i = 0;
  while (n - i >= 8) {
    const int64_t words = (n - i) / 8 < COUNT_WORDS ? (n - i) / 8 : COUNT_WORDS;
    uint64_t acc = 0;
    for (int64_t k = 0; k < words; k++) {
      uint64_t w;
      memcpy(&w, m + i + 8 * k, 8);
      acc += w;
    }
    acc = (acc & 0x00FF00FF00FF00FFull) + ((acc >> 8) & 0x00FF00FF00FF00FFull);
    c += (int64_t)((acc * 0x0001000100010001ull) >> 48);
    i += words * 8;
  }
  for (; i < n; i++) c += m[i];
  return c;
}

/* Branch-free: every element is written to a small stack block and the cursor moves only
 * past the selected ones; the block's selected prefix is then copied out. */
#define COMPRESS_BLOCK 256

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2_COMPRESS 1
/* 4- and 8-byte elements eight (four) at a time with AVX2: the mask bytes become a bit
 * pattern whose table row permutes the selected lanes to the front; all lanes are stored
 * into the block and the cursor moves by the count (the scalar loop's scheme, vectorised;
 * the block has a vector of slack). Measured on x[mask] of float32, 64 MiB: the compress
 * went from 32% to 23% of the samples, now at about the speed of memory. */
static _Alignas(32) int32_t perm32[256][8], perm64[16][8];

__attribute__((constructor)) static void perm_init(void) {
  for (int k = 0; k < 256; k++)
    for (int l = 0, j = 0; l < 8; l++)
      if (k >> l & 1) perm32[k][j++] = l;
  for (int k = 0; k < 16; k++)
    for (int l = 0, j = 0; l < 4; l++)
      if (k >> l & 1) perm64[k][2 * j] = 2 * l, perm64[k][2 * j + 1] = 2 * l + 1, j++;
}

/* The selected elements of s[0..b) into tmp (b + 8 elements of room); returns the count. */
__attribute__((target("avx2,popcnt"))) static int64_t block_avx2(size_t es, int64_t b,
                                                                const char *s, const bool *m,
                                                                char *tmp) {
  const int lanes = es == 4 ? 8 : 4;
  int64_t i = 0, j = 0;
  for (; i + 16 <= b; i += 16) {
    const __m128i mb = _mm_loadu_si128((const __m128i *)(const void *)(m + i));
    unsigned bits = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(mb, _mm_setzero_si128()));
    for (int h = 0; h < 16; h += lanes, bits >>= lanes) {
      const unsigned k = bits & ((1u << lanes) - 1);
      const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + (i + h) * (int64_t)es));
      const __m256i p = _mm256_load_si256((const __m256i *)(const void *)(es == 4 ? perm32[k] : perm64[k]));
      _mm256_storeu_si256((__m256i *)(void *)(tmp + j * (int64_t)es), _mm256_permutevar8x32_epi32(v, p));
      j += __builtin_popcount(k);
    }
  }
  for (; i < b; i++) {
    memcpy(tmp + j * (int64_t)es, s + i * (int64_t)es, es);
    j += m[i];
  }
  return j;
}

static bool have_avx2(void) {
  static int has = -1;
  if (has < 0) has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return has;
}

/* AVX-512 has the compress itself (vpcompressd/q into a register): sixteen float32 per
 * step with no table and no stack block. The whole vector is stored while the piece's
 * room (cap elements) holds it; the last stores are masked to the selected prefix (a
 * masked store every step cost half the kernel; the compress-to-memory form is microcoded
 * on AMD, not used). */
__attribute__((target("avx512f,avx512bw,avx512vl,popcnt"))) static int64_t
run_avx512(size_t es, int64_t n, const char *s, const bool *m, char *d, int64_t cap) {
  int64_t i = 0, j = 0;
  if (es == 4) {
    for (; i + 16 <= n; i += 16) {
      const __m128i mb = _mm_loadu_si128((const __m128i *)(const void *)(m + i));
      const __mmask16 k = _mm_test_epi8_mask(mb, mb);
      const int c = __builtin_popcount(k);
      const __m512i v = _mm512_maskz_compress_epi32(k, _mm512_loadu_si512((const void *)(s + i * 4)));
      if (j + 16 <= cap)
        _mm512_storeu_si512((void *)(d + j * 4), v);
      else
        _mm512_mask_storeu_epi32(d + j * 4, (__mmask16)((1u << c) - 1), v);
      j += c;
    }
  } else {
    for (; i + 8 <= n; i += 8) {
      const __m128i mb = _mm_loadl_epi64((const __m128i *)(const void *)(m + i));
      const __mmask8 k = (__mmask8)_mm_test_epi8_mask(mb, mb);
      const int c = __builtin_popcount(k);
      const __m512i v = _mm512_maskz_compress_epi64(k, _mm512_loadu_si512((const void *)(s + i * 8)));
      if (j + 8 <= cap)
        _mm512_storeu_si512((void *)(d + j * 8), v);
      else
        _mm512_mask_storeu_epi64(d + j * 8, (__mmask8)((1u << c) - 1), v);
      j += c;
    }
  }
  for (; i < n; i++)
    if (m[i]) memcpy(d + j++ * (int64_t)es, s + i * (int64_t)es, es);
  return j;
}

static bool have_avx512(void) {
  static int has = -1;
  if (has < 0)
    has = ht_cpu_avx512vl() && __builtin_cpu_supports("avx512bw") &&
          __builtin_cpu_supports("popcnt");
  return has;
}
#endif

/* cap: how many elements d holds. While a block's selection plus a vector of slack fits,
 * the AVX2 blocks store straight into d (the stack copy was 7% of x[mask]). */
static inline void compress_sized(size_t es, int64_t n, const char *s, const bool *m, char *d,
                                  int64_t cap) {
  _Alignas(32) char tmp[(COMPRESS_BLOCK + 8) * 8];
#ifdef HAVE_AVX2_COMPRESS
  if ((es == 4 || es == 8) && have_avx512()) {
    run_avx512(es, n, s, m, d, cap);
    return;
  }
  if ((es == 4 || es == 8) && have_avx2()) {
    for (int64_t i0 = 0; i0 < n; i0 += COMPRESS_BLOCK) {
      const int64_t b = n - i0 < COMPRESS_BLOCK ? n - i0 : COMPRESS_BLOCK;
      if (b + 8 <= cap) {
        const int64_t j = block_avx2(es, b, s + i0 * (int64_t)es, m + i0, d);
        d += j * (int64_t)es, cap -= j;
        continue;
      }
      const int64_t j = block_avx2(es, b, s + i0 * (int64_t)es, m + i0, tmp);
      memcpy(d, tmp, (size_t)j * es);
      d += j * (int64_t)es, cap -= j;
    }
    return;
  }
#else
  (void)cap;
#endif
  for (int64_t i0 = 0; i0 < n; i0 += COMPRESS_BLOCK) {
    int64_t b = n - i0 < COMPRESS_BLOCK ? n - i0 : COMPRESS_BLOCK, j = 0;
    for (int64_t i = 0; i < b; i++) {
      memcpy(tmp + j * (int64_t)es, s + (i0 + i) * (int64_t)es, es);
      j += m[i0 + i];
    }
    memcpy(d, tmp, (size_t)j * es);
    d += j * (int64_t)es;
  }
}

static void compress_run(size_t es, int64_t n, const char *s, const bool *m, char *d,
                         int64_t cap) {
  switch (es) {
    case 1: compress_sized(1, n, s, m, d, cap); break;
    case 2: compress_sized(2, n, s, m, d, cap); break;
    case 4: compress_sized(4, n, s, m, d, cap); break;
    default: compress_sized(8, n, s, m, d, cap); break;
  }
}

/* Pieces of MASK_PIECE elements or more (a multiple of 64 mask bytes), up to
 * HT_MASK_MAXPIECES, handed to the threads one at a time: on a busy machine a thread that
 * loses its core for a while no longer holds the others at the join (one piece per thread
 * left 1 rank x 2 threads at the speed of one). */
#define MASK_PIECE ((int64_t)1 << 18)
int64_t ht_cpu_mask_pieces(const bool *m, int64_t n, ht_mask_pieces *pc) {
  int nt = 1;
#ifdef _OPENMP
  if (n >= 2 * TAKE_GRAIN && !omp_in_parallel()) nt = omp_get_max_threads();
#endif
  int64_t np = nt > 1 ? n / MASK_PIECE : 1;
  np = np < nt ? nt : np > HT_MASK_MAXPIECES ? HT_MASK_MAXPIECES : np;
  pc->n = (int)np, pc->nt = nt, pc->len = n, pc->per = ((n + np - 1) / np + 63) / 64 * 64;
  pc->start[0] = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
  for (int k = 0; k < pc->n; k++) {
    const int64_t lo = k * pc->per < n ? k * pc->per : n;
    const int64_t hi = lo + pc->per < n ? lo + pc->per : n;
    pc->start[k + 1] = count_run(m + lo, hi - lo);
  }
  for (int k = 0; k < pc->n; k++) pc->start[k + 1] += pc->start[k];
  return pc->start[pc->n];
}

void ht_cpu_compress_pieces(size_t es, const char *src, const bool *mask, char *dst,
                            const ht_mask_pieces *pc) {
  const int64_t n = pc->len;
#pragma omp parallel for schedule(dynamic, 1) num_threads(pc->nt) if (pc->nt > 1)
  for (int k = 0; k < pc->n; k++) {
    const int64_t lo = k * pc->per < n ? k * pc->per : n;
    const int64_t hi = lo + pc->per < n ? lo + pc->per : n;
    compress_run(es, hi - lo, src + lo * (int64_t)es, mask + lo, dst + pc->start[k] * (int64_t)es,
                 pc->start[k + 1] - pc->start[k]);
  }
}

int64_t ht_cpu_count_true(const bool *m, int64_t n) {
  ht_mask_pieces pc;
  return ht_cpu_mask_pieces(m, n, &pc);
}

void ht_cpu_compress(size_t es, int64_t n, const char *src, const bool *mask, char *dst) {
  ht_mask_pieces pc;
  ht_cpu_mask_pieces(mask, n, &pc);
  ht_cpu_compress_pieces(es, src, mask, dst, &pc);
}
