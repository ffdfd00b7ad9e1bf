/* The CPU's vector features as the kernels may use them (cpu/simd.h). */
#include "simd.h"

#include <stdlib.h>

static bool no_avx512(void) {
  const char *s = getenv("HEATLUA_NO_AVX512");
  return s && *s && *s != '0';
}

bool ht_cpu_avx512(void) {
  static int has = -1;
#if defined(__x86_64__) && defined(__GNUC__)
  if (has < 0) has = __builtin_cpu_supports("avx512f") && !no_avx512();
#endif
  if (has < 0) has = 0;
  return has;
}

bool ht_cpu_avx512vl(void) {
  static int has = -1;
#if defined(__x86_64__) && defined(__GNUC__)
  if (has < 0) has = ht_cpu_avx512() && __builtin_cpu_supports("avx512vl");
#endif
  if (has < 0) has = 0;
  return has;
}
