/* The peak-flops probe: OpenBLAS sgemm and dgemm on square matrices, the ceiling for local
 * matmul. usage: probe_gemm N REPS; prints one JSON line per precision. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void emit(const char *kernel, int n, double best) {
  double flops = 2.0 * n * n * (double)n;
  printf("{\"probe\":\"gemm\",\"kernel\":\"%s\",\"n\":%d,\"flops\":%.0f,\"threads\":%d,"
         "\"time\":%.6e,\"gflops\":%.3f}\n",
         kernel, n, flops, openblas_get_num_threads(), best, flops / best / 1e9);
}

#define FILL(p, nn)                                           \
  for (size_t i = 0; i < (nn); i++) (p)[i] = (i % 7) * 0.25 - 0.5

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2048;
  int reps = argc > 2 ? atoi(argv[2]) : 3;
  if (n < 1 || reps < 1) {
    fprintf(stderr, "usage: probe_gemm N REPS\n");
    return 2;
  }
  size_t nn = (size_t)n * n;
  float *sa = malloc(nn * sizeof *sa), *sb = malloc(nn * sizeof *sb), *sc = malloc(nn * sizeof *sc);
  double *da = malloc(nn * sizeof *da), *db = malloc(nn * sizeof *db), *dc = malloc(nn * sizeof *dc);
  if (!sa || !sb || !sc || !da || !db || !dc) {
    fprintf(stderr, "probe_gemm: cannot allocate 6 %d x %d matrices\n", n, n);
    return 1;
  }
  FILL(sa, nn); FILL(sb, nn); FILL(da, nn); FILL(db, nn);
  double best = 1e30;
  for (int r = 0; r <= reps; r++) { /* the first call warms OpenBLAS's threads up */
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, sa, n, sb, n, 0.0f, sc, n);
    double t = now() - t0;
    if (r && t < best) best = t;
  }
  emit("sgemm", n, best);
  best = 1e30;
  for (int r = 0; r <= reps; r++) {
    double t0 = now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, da, n, db, n, 0.0, dc, n);
    double t = now() - t0;
    if (r && t < best) best = t;
  }
  emit("dgemm", n, best);
  free(sa), free(sb), free(sc), free(da), free(db), free(dc);
  return 0;
}
