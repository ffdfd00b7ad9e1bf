/* The CUDA twins of the elementwise CPU loops: grid-stride kernels over contiguous
 * float32/float64 chunks, launched on the default stream and synchronised before return. */
#include <cuda_runtime.h>

#include "cuda.h"

namespace {

struct Add { template <typename T> __device__ T operator()(T a, T b) const { return a + b; } };
struct Sub { template <typename T> __device__ T operator()(T a, T b) const { return a - b; } };
struct Mul { template <typename T> __device__ T operator()(T a, T b) const { return a * b; } };
struct Div { template <typename T> __device__ T operator()(T a, T b) const { return a / b; } };

__device__ float exp_of(float x) { return expf(x); }
__device__ double exp_of(double x) { return exp(x); }

template <typename T, typename Op>
__global__ void binary_kernel(int64_t n, T *out, const T *a, const T *b, Op op) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    out[i] = op(a[i], b[i]);
}

template <typename T>
__global__ void exp_kernel(int64_t n, T *out, const T *a) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    out[i] = exp_of(a[i]);
}

const int kThreads = 256;

/* Enough blocks to fill the device; the grid-stride loop covers the rest. */
int blocks_for(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  return (int)(b < 65535 ? (b > 0 ? b : 1) : 65535);
}

int finish(const char *fn) {
  cudaError_t rc = cudaGetLastError();
  if (rc == cudaSuccess) rc = cudaDeviceSynchronize();
  if (rc != cudaSuccess) return ht_error("%s: CUDA kernel failed: %s", fn, cudaGetErrorString(rc));
  return 0;
}

template <typename T>
int launch_binary(ht_binop op, int64_t n, void *out, const void *a, const void *b) {
  T *o = static_cast<T *>(out);
  const T *x = static_cast<const T *>(a), *y = static_cast<const T *>(b);
  switch (op) {
  case HT_ADD: binary_kernel<<<blocks_for(n), kThreads>>>(n, o, x, y, Add()); break;
  case HT_SUB: binary_kernel<<<blocks_for(n), kThreads>>>(n, o, x, y, Sub()); break;
  case HT_MUL: binary_kernel<<<blocks_for(n), kThreads>>>(n, o, x, y, Mul()); break;
  case HT_DIV: binary_kernel<<<blocks_for(n), kThreads>>>(n, o, x, y, Div()); break;
  default: return ht_error("%s: no CUDA kernel on device 'gpu'", ht_binop_name(op));
  }
  return finish(ht_binop_name(op));
}

}  // namespace

extern "C" int ht_cuda_binary(ht_binop op, ht_dtype t, int64_t n, void *out, const void *a,
                              const void *b) {
  if (n == 0) return 0;
  if (t == HT_FLOAT32) return launch_binary<float>(op, n, out, a, b);
  if (t == HT_FLOAT64) return launch_binary<double>(op, n, out, a, b);
  return ht_error("%s: no CUDA kernel for dtype %s", ht_binop_name(op), ht_dtype_name(t));
}

extern "C" int ht_cuda_unary(ht_unop op, ht_dtype t, int64_t n, void *out, const void *a) {
  if (op != HT_EXP) return ht_error("%s: no CUDA kernel on device 'gpu'", ht_unop_name(op));
  if (n == 0) return 0;
  if (t == HT_FLOAT32)
    exp_kernel<<<blocks_for(n), kThreads>>>(n, static_cast<float *>(out),
                                           static_cast<const float *>(a));
  else if (t == HT_FLOAT64)
    exp_kernel<<<blocks_for(n), kThreads>>>(n, static_cast<double *>(out),
                                           static_cast<const double *>(a));
  else
    return ht_error("exp: no CUDA kernel for dtype %s", ht_dtype_name(t));
  return finish("exp");
}
