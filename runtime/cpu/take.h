/* Local gather/scatter kernels of indexing: elements addressed through byte-offset lists,
 * so strided views, broadcast operands (offset 0) and selected positions look alike. */
#ifndef HT_CPU_TAKE_H
#define HT_CPU_TAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One side of a copy: element (o, k, i) is at base + outer[o] + sel[k] + inner[i]. */
typedef struct ht_take_side {
  char *base;
  const int64_t *outer, *sel, *inner;
} ht_take_side;

/* dst(o, k, i) = src(o, k, i) for every o < no, k < nk, i < ni, elements of elsize bytes
 * (1, 2, 4 or 8). `ordered`: the k run in order on one thread, so when dst offsets repeat
 * the last write wins (setitem with repeated indices, as NumPy). */
void ht_cpu_take(size_t elsize, int64_t no, int64_t nk, int64_t ni, ht_take_side dst,
                 ht_take_side src, bool ordered);

/* Byte offsets of every element of a strided block, in C order: out has prod(shape)
 * entries. */
void ht_offsets(int ndim, const int64_t *shape, const int64_t *byte_strides, int64_t *out);

/* dst[i] = *value wherever mask[i] (bool), over ndim dims of shape: byte strides of dst in
 * dstr, of the mask in mstr (0 broadcasts). Threads through the iterator. */
void ht_cpu_masked_fill(size_t elsize, int ndim, const int64_t *shape, char *dst,
                        const int64_t *dstr, const bool *mask, const int64_t *mstr,
                        const void *value);

/* The number of true elements of a contiguous bool run. */
int64_t ht_cpu_count_true(const bool *m, int64_t n);
/* dst gets the elements of the contiguous src (n of them) where mask is true, in order. */
void ht_cpu_compress(size_t es, int64_t n, const char *src, const bool *mask, char *dst);

/* x[mask] in two calls that read the mask's counts once: ht_cpu_mask_pieces cuts the run
 * into n pieces for nt threads and counts each (start[k] = trues before piece k; returns
 * the total), ht_cpu_compress_pieces then writes each piece at its start. */
#define HT_MASK_MAXPIECES 64
typedef struct {
  int n, nt;
  int64_t len, per, start[HT_MASK_MAXPIECES + 1];
} ht_mask_pieces;
int64_t ht_cpu_mask_pieces(const bool *m, int64_t n, ht_mask_pieces *pc);
void ht_cpu_compress_pieces(size_t es, const char *src, const bool *mask, char *dst,
                            const ht_mask_pieces *pc);

#endif
