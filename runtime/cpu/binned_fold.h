/* Internal to runtime/cpu/binned*.c: the fold constants and range limits shared by the
 * two-pass folds (binned.c), the one-pass AVX2 folds (binned_spec.c) and the row kernels
 * (binned_rows*.c). */
#ifndef HT_CPU_BINNED_FOLD_H
#define HT_CPU_BINNED_FOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define HAVE_AVX2_PLAIN
#endif

/* The fold constants for a block whose magnitudes are below 2^E, with h bits of headroom
 * (a block of up to 2^(h-1) terms): fold 1 rounds to multiples of 2^(E+h-52), fold 2 to
 * multiples of 2^(E+2h-104). -1 when E is too close to the top of the double range or
 * maxabs is not finite (the caller deposits term by term). Bit arithmetic: frexp and
 * ldexp cost more than a short row's folds. */
static inline int fold_sigmas(double maxabs, int h, double *s1, double *s2) {
  uint64_t b;
  memcpy(&b, &maxabs, 8);
  int E = (int)(b >> 52 & 0x7ff) - 1022; /* maxabs < 2^E (biased exponent 0: tiny) */
  if (E > 1000) return -1;
  if (E < -960) E = -960; /* tiny terms: what the folds miss shows up as a remainder */
  const uint64_t h1 = (uint64_t)(E + h + 1023) << 52 | (uint64_t)1 << 51;
  const uint64_t h2 = (uint64_t)(E + h - (52 - h) - 1 + 1023) << 52 | (uint64_t)1 << 51;
  memcpy(s1, &h1, 8);
  memcpy(s2, &h2, 8);
  return 0;
}

/* Headroom for n terms: 2^(h-1) >= n, so n pieces of fold 1 add exactly. */
static inline int headroom(int64_t n) {
  return (n > 1 ? 64 - __builtin_clzll((uint64_t)(n - 1)) : 0) + 1;
}

/* The widest exponent range (largest biased exponent minus smallest) for which one fold
 * of n terms leaves remainders whose double sum is exact: they are multiples of the
 * smallest term's ulp and below n * 2^(E+h-53) <= 2^(E+2h-54) in sum. 28 bits for 4096
 * terms, 32 for 1024, 34 for 512. */
static inline int fold1_range(int h) { return 54 - 2 * h; }

/* float32 terms need no fold in the common case. Let the block's nonzero finite terms
 * have biased exponents in [emin, emax] (a subnormal counts as 1). Each is an integer
 * multiple of u = 2^(emin-150) (a float32 of biased exponent e >= emin is a multiple of
 * its ulp 2^(e-150)) and below 2^(emax-126) = 2^(emax-emin+24) u in magnitude. So the sum
 * of any subset of the n terms is an integer multiple of u below
 * 2^(ceil(log2 n) + emax-emin+24) u; when that exponent is at most 53 (plain_ok), every
 * such partial sum is a double (an integer below 2^53 times a power of two in range), and
 * every double addition of terms or partial sums, in any order, is exact: the lane sums
 * and their total are the exact sum. Zeros add nothing and do not enter emin.
 * mx: the largest |bits|; mn: the smallest nonzero |bits| (0x7fffffff when there is none). */
static inline bool plain_ok(uint32_t mx, uint32_t mn, int64_t n) {
  const int ebx = (int)(mx >> 23);
  int ebn = (int)(mn >> 23);
  if (ebn == 0) ebn = 1;
  return ebx < 255 && ebx - ebn + 24 + (headroom(n) - 1) <= 53;
}

/* The running folds of binned_sqdev.c and binned_rows.c: the fold constant 1.5 * 2^(E+h) for the biased exponent g (E = g - 1022). */
static inline double sigma(int64_t g, int h) {
  const uint64_t b = (uint64_t)(g + h + 1) << 52 | (uint64_t)1 << 51;
  double s;
  memcpy(&s, &b, 8);
  return s;
}

/* The biased exponent of x >= 0 (0x7ff: NaN or infinity). */
static inline int64_t bexp(double x) {
  uint64_t b;
  memcpy(&b, &x, 8);
  return (int64_t)(b >> 52 & 0x7ff);
}

/* g within [62, 2022] (E within [-960, 1000], as fold_sigmas requires). */
static inline int64_t clamp_g(int64_t g) { return g < 62 ? 62 : g > 2022 ? 2022 : g; }

#ifdef HAVE_AVX2_PLAIN
static inline bool have_avx2(void) {
  static int has = -1; /* a benign race: every thread stores the same value */
  if (has < 0) has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

/* The one-pass folds of binned_spec.c, -2 where they do not try (no AVX2, fewer than 8
 * terms, float32 values): otherwise the contract of ht_xacc_fold_terms (0: hi + lo is the
 * exact sum; -1: more than one fold is needed). */
int ht_xacc_spec_terms(const void *v, bool f32, const double *c, int64_t n, double *hi,
                       double *lo);
/* Squared deviations of 8 * groups float32 columns (groups <= HT_XACC_SPEC_GROUPS), as
 * ht_xacc_fold_cols_terms but bad[l] = 1 where the generic folds must redo column l. */
enum { HT_XACC_SPEC_GROUPS = 32 };
void ht_xacc_spec_cols_sq_f32(const float *v, const double *c, int64_t ld, int64_t rows,
                              int64_t groups, double *hi, double *lo, unsigned char *bad);

#endif
