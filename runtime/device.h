/* The one device dispatch point: per-device operations (memory, host<->device copies,
 * kernel tables) behind a backend table chosen by an array's device, like ggml's backends.
 * The CPU backend is complete; the CUDA backend (built with HT_HAVE_CUDA) mirrors what
 * has a twin, and a missing entry is NULL, reported by ht_device_unsupported. */
#ifndef HT_DEVICE_H
#define HT_DEVICE_H

#include <stdint.h>

#include "array.h"
#include "cpu/elementwise.h"
#include "cpu/reduce.h"

typedef struct ht_backend {
  const char *name;                       /* as users spell the device: "cpu", "gpu" */
  void *(*alloc)(int64_t nbytes);         /* NULL with ht_errmsg() set */
  void (*free)(void *p);
  /* nbytes from device memory to host memory and back; 0 or -1 with ht_errmsg() set */
  int (*to_host)(void *dst, const void *src, int64_t nbytes);
  int (*from_host)(void *dst, const void *src, int64_t nbytes);
  /* strided typed loops through the broadcasting iterator (CPU) */
  ht_cpu_loop (*binary_loop)(ht_binop op, ht_dtype t);
  ht_cpu_loop (*unary_loop)(ht_unop op, ht_dtype t);
  void (*reduce)(const ht_rjob *j, void *acc);
  /* contiguous kernels over n elements of one dtype (the CUDA twins): an error names
   * the op where the device has none */
  int (*binary)(ht_binop op, ht_dtype t, int64_t n, void *out, const void *a, const void *b);
  int (*unary)(ht_unop op, ht_dtype t, int64_t n, void *out, const void *a);
} ht_backend;

/* The backend of device d (never NULL: a device without a backend in this build gets
 * one whose alloc says why). */
const ht_backend *ht_backend_of(ht_device d);
/* The one "not on this device" message: -1 unless a is on the CPU. */
int ht_device_unsupported(ht_device d, const char *fn);
static inline int ht_require_host(const ht_array *a, const char *fn) {
  return a->device == HT_CPU ? 0 : ht_device_unsupported(a->device, fn);
}
/* Number of CUDA devices visible to this process (0 without CUDA). */
int ht_device_count(void);

#endif
