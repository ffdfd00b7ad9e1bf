/* The backend tables (device.h): the CPU's, and the CUDA runtime's when built with CUDA. */
#include "device.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#ifdef HT_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "cuda/cuda.h"
#endif

/* ---- cpu ---- */

#define HUGE_PAGE ((size_t)1 << 21)

/* Opt-in (HEATLUA_HUGEPAGES=1): on our VM the huge pages come from memory the host has
 * taken back, and faulting them in made the pipeline's load 5x slower, although a fresh
 * 244 MB load alone ran 2x faster (docs/performance-notes.md, session 7). */
static bool huge_pages(void) {
  static int on = -1;
  if (on < 0) {
    const char *env = getenv("HEATLUA_HUGEPAGES");
    on = env && *env && *env != '0';
  }
  return on;
}

static void *cpu_alloc(int64_t nbytes) {
  /* 64-byte alignment for vector loads; never a NULL pointer for 0 bytes */
  size_t n = ((size_t)nbytes + 63) & ~(size_t)63;
  void *p = NULL;
  /* With huge_pages(), a large buffer starts on a 2 MiB boundary and asks for transparent
   * huge pages over its whole 2 MiB pages (none past its end, so no more memory): its first
   * touch then maps and zeroes 2 MiB per fault instead of 4 KiB. Nothing depends on it. */
  if (n >= 2 * HUGE_PAGE && huge_pages()) {
    if (posix_memalign(&p, HUGE_PAGE, n)) p = NULL;
    if (p) madvise(p, n & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
  } else {
    p = aligned_alloc(64, n ? n : 64);
  }
  if (!p) ht_error("out of memory allocating %lld bytes", (long long)nbytes);
  return p;
}

static int cpu_copy(void *dst, const void *src, int64_t nbytes) {
  if (nbytes > 0) memcpy(dst, src, (size_t)nbytes);
  return 0;
}

static const ht_backend cpu = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = free,
    .to_host = cpu_copy,
    .from_host = cpu_copy,
    .binary_loop = ht_cpu_binary_loop,
    .unary_loop = ht_cpu_unary_loop,
    .reduce = ht_cpu_reduce,
};

/* ---- gpu ---- */

#ifdef HT_HAVE_CUDA
int ht_device_count(void) {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

static void *gpu_alloc(int64_t nbytes) {
  void *p = NULL;
  if (ht_device_count() == 0)
    return ht_error("device 'gpu': no CUDA device is visible to this process"), NULL;
  cudaError_t rc = cudaMalloc(&p, nbytes > 0 ? (size_t)nbytes : 1);
  if (rc != cudaSuccess)
    return ht_error("device 'gpu': cudaMalloc of %lld bytes failed: %s", (long long)nbytes,
                    cudaGetErrorString(rc)), NULL;
  return p;
}

static void gpu_free(void *p) { cudaFree(p); }

static int gpu_copy(void *dst, const void *src, int64_t nbytes, enum cudaMemcpyKind kind) {
  cudaError_t rc = nbytes > 0 ? cudaMemcpy(dst, src, (size_t)nbytes, kind) : cudaSuccess;
  if (rc != cudaSuccess)
    return ht_error("device 'gpu': cudaMemcpy of %lld bytes failed: %s", (long long)nbytes,
                    cudaGetErrorString(rc));
  return 0;
}

static int gpu_to_host(void *dst, const void *src, int64_t n) {
  return gpu_copy(dst, src, n, cudaMemcpyDeviceToHost);
}

static int gpu_from_host(void *dst, const void *src, int64_t n) {
  return gpu_copy(dst, src, n, cudaMemcpyHostToDevice);
}

static const ht_backend gpu = {
    .name = "gpu",
    .alloc = gpu_alloc,
    .free = gpu_free,
    .to_host = gpu_to_host,
    .from_host = gpu_from_host,
    .binary = ht_cuda_binary,
    .unary = ht_cuda_unary,
};
#else
int ht_device_count(void) { return 0; }

static void *gpu_alloc(int64_t nbytes) {
  (void)nbytes;
  return ht_error("device 'gpu': heatlua was built without CUDA"), NULL;
}

static void gpu_free(void *p) { (void)p; }

static const ht_backend gpu = {.name = "gpu", .alloc = gpu_alloc, .free = gpu_free};
#endif

const ht_backend *ht_backend_of(ht_device d) { return d == HT_GPU ? &gpu : &cpu; }

int ht_device_unsupported(ht_device d, const char *fn) {
  if (d == HT_CPU) return 0;
  return ht_error("%s: arrays on device '%s' are not supported by this operation yet", fn,
                  ht_backend_of(d)->name);
}
