/* The communication probe: ping-pong latency and bandwidth between ranks 0 and 1, and
 * MPI_Allreduce of small and large float64 vectors over all ranks. Raw MPI on purpose:
 * it measures the library heatlua's comm layer sits on; message counts stay below 2^31.
 * usage: mpirun -n P probe_mpi MAX_BYTES REPS; rank 0 prints one JSON line per figure.
 *        mpirun -n P probe_mpi init: MPI_Init and MPI_Finalize only (start-up floor). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double pingpong(char *buf, int bytes, int reps, int rank) {
  double best = 1e30;
  for (int r = 0; r <= reps; r++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (rank == 0) {
      MPI_Send(buf, bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
      MPI_Recv(buf, bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      MPI_Recv(buf, bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf, bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
    double t = (MPI_Wtime() - t0) / 2; /* one way */
    if (r && t < best) best = t;
  }
  return best;
}

static double allreduce(double *buf, int count, int reps) {
  double best = 1e30;
  for (int r = 0; r <= reps; r++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double t = MPI_Wtime() - t0;
    MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (r && t < best) best = t;
  }
  return best;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  if (argc > 1 && !strcmp(argv[1], "init")) { /* the start-up floor: MPI_Init alone */
    MPI_Finalize();
    return 0;
  }
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long maxbytes = argc > 1 ? atol(argv[1]) : 1 << 26;
  int reps = argc > 2 ? atoi(argv[2]) : 10;
  if (maxbytes < 8 || maxbytes > (1L << 30) || reps < 1) {
    if (rank == 0) fprintf(stderr, "usage: probe_mpi MAX_BYTES(8..2^30) REPS\n");
    MPI_Finalize();
    return 2;
  }
  char *buf = malloc(maxbytes);
  if (!buf) MPI_Abort(MPI_COMM_WORLD, 1);
  memset(buf, 1, maxbytes);
  if (size >= 2) {
    double lat = pingpong(buf, 8, reps * 10, rank);
    double big = pingpong(buf, (int)maxbytes, reps, rank);
    if (rank == 0) {
      printf("{\"probe\":\"mpi\",\"kernel\":\"pingpong_latency\",\"ranks\":%d,\"bytes\":8,"
             "\"time\":%.6e}\n", size, lat);
      printf("{\"probe\":\"mpi\",\"kernel\":\"pingpong_bandwidth\",\"ranks\":%d,\"bytes\":%ld,"
             "\"time\":%.6e,\"gbs\":%.3f}\n", size, maxbytes, big, maxbytes / big / 1e9);
    }
  }
  double *d = (double *)buf;
  double small = allreduce(d, 1, reps * 10);
  int count = (int)(maxbytes / 8);
  double large = allreduce(d, count, reps);
  if (rank == 0) {
    printf("{\"probe\":\"mpi\",\"kernel\":\"allreduce_8B\",\"ranks\":%d,\"bytes\":8,"
           "\"time\":%.6e}\n", size, small);
    printf("{\"probe\":\"mpi\",\"kernel\":\"allreduce_large\",\"ranks\":%d,\"bytes\":%ld,"
           "\"time\":%.6e,\"gbs\":%.3f}\n", size, (long)count * 8, large, count * 8.0 / large / 1e9);
  }
  free(buf);
  MPI_Finalize();
  return 0;
}
