/* The broadcasting iterator: coalesces axes, then hands 1-D strided runs to an inner loop,
 * with the flat index range cut into one piece per OpenMP thread. */
#include "iter.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Below this many elements a parallel region costs more than it saves. */
#define HT_ITER_GRAIN ((int64_t)1 << 15)

void ht_iter_init(ht_iter *it, int nop, int ndim, const int64_t *shape, char *const *base,
                  const int64_t (*strides)[HT_MAXDIM]) {
  memset(it, 0, sizeof *it);
  it->nop = nop;
  it->size = 1;
  for (int k = 0; k < nop; k++) it->base[k] = base[k];
  int nd = 0;
  for (int d = 0; d < ndim; d++) {
    it->size *= shape[d];
    if (shape[d] == 1) continue; /* a length-1 axis moves nothing */
    /* merge into the previous kept axis when every operand is contiguous across both */
    int merge = nd > 0;
    for (int k = 0; k < nop && merge; k++)
      merge = it->strides[k][nd - 1] == strides[k][d] * shape[d];
    if (merge) {
      it->shape[nd - 1] *= shape[d];
      for (int k = 0; k < nop; k++) it->strides[k][nd - 1] = strides[k][d];
    } else {
      it->shape[nd] = shape[d];
      for (int k = 0; k < nop; k++) it->strides[k][nd] = strides[k][d];
      nd++;
    }
  }
  if (nd == 0) it->shape[nd++] = 1; /* a single element */
  it->ndim = nd;
}

static void run_range(const ht_iter *it, int64_t lo, int64_t hi, ht_inner_loop loop, void *ctx) {
  const int nd = it->ndim, nop = it->nop;
  const int64_t inner = it->shape[nd - 1];
  int64_t idx[HT_MAXDIM], rem = lo, istr[HT_ITER_MAXOP];
  char *ptr[HT_ITER_MAXOP], *arg[HT_ITER_MAXOP];
  for (int d = nd - 1; d >= 0; d--) idx[d] = rem % it->shape[d], rem /= it->shape[d];
  for (int k = 0; k < nop; k++) {
    ptr[k] = it->base[k];
    for (int d = 0; d < nd; d++) ptr[k] += idx[d] * it->strides[k][d];
    istr[k] = it->strides[k][nd - 1];
  }
  for (int64_t pos = lo; pos < hi;) {
    int64_t n = inner - idx[nd - 1];
    if (n > hi - pos) n = hi - pos;
    memcpy(arg, ptr, sizeof(char *) * (size_t)nop); /* the loop may move its pointers */
    loop(n, arg, istr, ctx);
    pos += n;
    if (pos >= hi) break;
    for (int k = 0; k < nop; k++) ptr[k] += n * istr[k];
    idx[nd - 1] += n;
    for (int d = nd - 1; d > 0 && idx[d] == it->shape[d]; d--) {
      for (int k = 0; k < nop; k++) ptr[k] += it->strides[k][d - 1] - idx[d] * it->strides[k][d];
      idx[d] = 0;
      idx[d - 1]++;
    }
  }
}

void ht_iter_run(const ht_iter *it, ht_inner_loop loop, void *ctx) {
  if (it->size == 0) return;
  int nthreads = 1;
#ifdef _OPENMP
  if (it->size >= 2 * HT_ITER_GRAIN && !omp_in_parallel()) {
    int64_t want = it->size / HT_ITER_GRAIN;
    nthreads = omp_get_max_threads();
    if (want < nthreads) nthreads = (int)want;
  }
#endif
  if (nthreads <= 1) {
    run_range(it, 0, it->size, loop, ctx);
    return;
  }
#pragma omp parallel num_threads(nthreads)
  {
#ifdef _OPENMP
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
    int t = 0, nt = 1;
#endif
    /* pieces aligned to 64 elements so threads do not share cache lines of the output;
     * ceil(size / nt) first, so that nt pieces always reach the last element */
    int64_t per = ((it->size + nt - 1) / nt + 63) & ~(int64_t)63;
    int64_t lo = t * per, hi = lo + per;
    if (hi > it->size) hi = it->size;
    if (lo < hi) run_range(it, lo, hi, loop, ctx);
  }
}

void ht_broadcast_strides(const ht_array *a, int ndim, const int64_t *shape, int64_t *out) {
  const int64_t item = (int64_t)ht_dtype_size(a->dtype);
  for (int i = 0; i < ndim; i++) {
    int ai = i - (ndim - a->ndim);
    out[i] = (ai < 0 || (a->lshape[ai] == 1 && shape[i] != 1)) ? 0 : a->strides[ai] * item;
  }
}
