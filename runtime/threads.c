/* Threads per rank: an even share of the node's cores for each local rank. */
#define _GNU_SOURCE
#include "threads.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void openblas_set_num_threads(int num_threads);

static int env_int(const char *name, int def) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : def;
}

int ht_threads_setup(void) {
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  const char *bind = getenv("HEATLUA_BIND");
  int local_rank = env_int("OMPI_COMM_WORLD_LOCAL_RANK", -1);
  int local_size = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", -1);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if ((bind && strcmp(bind, "0") == 0) || local_rank < 0 || local_size <= 0 || cores <= 0)
    return threads;
  int share = (int)(cores / local_size);
  cpu_set_t now;
  if (share < 2 || sched_getaffinity(0, sizeof now, &now) != 0 || CPU_COUNT(&now) >= share)
    return threads;
  /* a contiguous block of cores per local rank, as --map-by slot:PE=share would give */
  cpu_set_t mine;
  CPU_ZERO(&mine);
  for (int c = local_rank * share; c < (local_rank + 1) * share && c < CPU_SETSIZE; c++)
    CPU_SET(c, &mine);
  if (sched_setaffinity(0, sizeof mine, &mine) != 0) return threads;
  if (!getenv("OMP_NUM_THREADS")) {
    threads = share;
#ifdef _OPENMP
    omp_set_num_threads(share);
#endif
  }
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(threads);
  return threads;
}
