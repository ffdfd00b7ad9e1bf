/* The memory-bandwidth probe: STREAM-like float32 copy, triad and read (sum) kernels on
 * OpenMP threads, the ceiling that heatlua's elementwise ops and reductions are held to.
 * usage: probe_stream N_ELEMENTS REPS; prints one JSON line per kernel. */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Kept out of line so the compiler cannot fold repetitions away. */
__attribute__((noinline)) static void copy(float *restrict a, const float *restrict b,
                                           int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) a[i] = b[i];
}

__attribute__((noinline)) static void triad(float *restrict a, const float *restrict b,
                                            const float *restrict c, float s, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

/* Eight partial sums per thread break the add dependency chain, as a reduction kernel does. */
__attribute__((noinline)) static double read_sum(const float *restrict a, int64_t n) {
  double total = 0;
#pragma omp parallel reduction(+ : total)
  {
    float acc[16] = {0};
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n - n % 16; i += 16)
      for (int k = 0; k < 16; k++) acc[k] += a[i + k];
    for (int k = 0; k < 16; k++) total += acc[k];
  }
  for (int64_t i = n - n % 16; i < n; i++) total += a[i];
  return total;
}

static void emit(const char *kernel, int64_t n, int streams, double best, int threads) {
  double bytes = (double)n * sizeof(float) * streams;
  printf("{\"probe\":\"stream\",\"kernel\":\"%s\",\"n\":%lld,\"bytes\":%.0f,\"threads\":%d,"
         "\"time\":%.6e,\"gbs\":%.3f}\n",
         kernel, (long long)n, bytes, threads, best, bytes / best / 1e9);
}

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : (int64_t)1 << 25;
  int reps = argc > 2 ? atoi(argv[2]) : 10;
  if (n < 16 || reps < 1) {
    fprintf(stderr, "usage: probe_stream N_ELEMENTS REPS\n");
    return 2;
  }
  float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
  if (!a || !b || !c) {
    fprintf(stderr, "probe_stream: cannot allocate 3 x %lld floats\n", (long long)n);
    return 1;
  }
  /* first touch on the threads that later use each page */
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) a[i] = 0, b[i] = 1, c[i] = 2;
  double tcopy = 1e30, ttriad = 1e30, tread = 1e30, sink = 0;
  for (int r = 0; r < reps; r++) {
    double t0 = omp_get_wtime();
    copy(a, b, n);
    double t1 = omp_get_wtime();
    triad(a, b, c, 3.0f, n);
    double t2 = omp_get_wtime();
    sink += read_sum(a, n);
    double t3 = omp_get_wtime();
    if (t1 - t0 < tcopy) tcopy = t1 - t0;
    if (t2 - t1 < ttriad) ttriad = t2 - t1;
    if (t3 - t2 < tread) tread = t3 - t2;
  }
  if (sink != 7.0 * n * reps) fprintf(stderr, "probe_stream: wrong sum %g\n", sink);
  int threads = omp_get_max_threads();
  emit("copy", n, 2, tcopy, threads);
  emit("triad", n, 3, ttriad, threads);
  emit("read", n, 1, tread, threads);
  free(a), free(b), free(c);
  return 0;
}
