/* Which vector kernels this CPU runs: the one place that asks the CPU, so that
 * HEATLUA_NO_AVX512=1 keeps every kernel off AVX-512 (the AVX2 or generic paths give the
 * same bits; it is for comparing paths and for CPUs that slow down under AVX-512), and the
 * on/off switch through which each kernel's tests compare it with the generic path. */
#ifndef HT_CPU_SIMD_H
#define HT_CPU_SIMD_H

#include <stdbool.h>

/* AVX-512F, unless HEATLUA_NO_AVX512 is set (asked once; a benign race: every thread
 * stores the same value). */
bool ht_cpu_avx512(void);
/* AVX-512F and VL (masked 256-bit forms), under the same rule. */
bool ht_cpu_avx512vl(void);

/* A kernel's switch: *state is -1 until first asked, then 1 where the kernel can run
 * (avail), else 0; on >= 0 sets it (tests turn the kernel off and on). The state before
 * the call is returned. Ask once before threads read *state. */
static inline int ht_simd_switch(int *state, bool avail, int on) {
  if (*state < 0) *state = avail;
  const int was = *state;
  if (on >= 0) *state = on;
  return was;
}

#endif
