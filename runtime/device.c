/* Device memory: the CUDA runtime's allocator, or an error naming why there is no GPU. */
#include "device.h"

#include "error.h"

#ifdef HT_HAVE_CUDA
#include <cuda_runtime_api.h>

int ht_device_count(void) {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

void *ht_device_alloc(int64_t nbytes) {
  void *p = NULL;
  if (ht_device_count() == 0)
    return ht_error("device 'gpu': no CUDA device is visible to this process"), NULL;
  cudaError_t rc = cudaMalloc(&p, nbytes > 0 ? (size_t)nbytes : 1);
  if (rc != cudaSuccess)
    return ht_error("device 'gpu': cudaMalloc of %lld bytes failed: %s", (long long)nbytes,
                    cudaGetErrorString(rc)), NULL;
  return p;
}

void ht_device_free(void *p) { cudaFree(p); }
#else
int ht_device_count(void) { return 0; }

void *ht_device_alloc(int64_t nbytes) {
  (void)nbytes;
  return ht_error("device 'gpu': heatlua was built without CUDA"), NULL;
}

void ht_device_free(void *p) { (void)p; }
#endif
