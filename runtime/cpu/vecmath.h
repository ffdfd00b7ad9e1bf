/* glibc's libmvec for the kernels: the scalar math functions declared simd("notinbranch"),
 * so that GCC calls their vector variants from `omp simd` loops, and the target clones
 * that pick AVX-512 or AVX2 at load time. Included by the kernels that need them. */
#ifndef HT_VECMATH_H
#define HT_VECMATH_H

#include <math.h>

/* exp, log, log2, log10, sin, cos, tan and tanh run on glibc's libmvec: declared
 * simd("notinbranch") (as <math.h> does only under -ffast-math), GCC calls its vector
 * variants from the `omp simd` loops below — _ZGVbN4v_expf (SSE) in the baseline build, and
 * _ZGVdN8v_expf (AVX2) or _ZGVeN16v_expf (AVX-512) in the target clones picked at load time.
 * libmvec's error bound is 4 ulp for every one of these (glibc's manual; the scalar libm is
 * within 1-2), within NumPy's own SIMD loops' (up to 4 ulp for float32 on AVX-512) and the
 * tests' 1e-6 (float32) and 1e-14 (float64) relative tolerances. HT_HAVE_LIBMVEC comes from
 * CMake when it links -lmvec; elsewhere the same loops call the scalar functions. */
#if defined(HT_HAVE_LIBMVEC) && defined(__x86_64__) && defined(__GNUC__)
#define HT_SIMD_DECL __attribute__((simd("notinbranch")))
/* the names in parentheses: <tgmath.h> made them function-like macros */
float(expf)(float) HT_SIMD_DECL;
float(logf)(float) HT_SIMD_DECL;
float(log2f)(float) HT_SIMD_DECL;
float(log10f)(float) HT_SIMD_DECL;
float(sinf)(float) HT_SIMD_DECL;
float(cosf)(float) HT_SIMD_DECL;
float(tanf)(float) HT_SIMD_DECL;
float(tanhf)(float) HT_SIMD_DECL;
double(exp)(double) HT_SIMD_DECL;
double(log)(double) HT_SIMD_DECL;
double(log2)(double) HT_SIMD_DECL;
double(log10)(double) HT_SIMD_DECL;
double(sin)(double) HT_SIMD_DECL;
double(cos)(double) HT_SIMD_DECL;
double(tan)(double) HT_SIMD_DECL;
double(tanh)(double) HT_SIMD_DECL;
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define HT_VEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HT_VEC_CLONES
#endif

#endif
