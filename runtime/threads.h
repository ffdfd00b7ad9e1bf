/* Threads per rank: ranks x threads <= cores on a node, whatever mpirun's binding did. */
#ifndef HT_THREADS_H
#define HT_THREADS_H

/* Call once after ht_comm_init, before any kernel runs. Open MPI binds each rank to one
 * core when there are at most two ranks, which leaves the OpenMP threads of a rank
 * sharing that core; when a node's cores divide into more than one per local rank, this
 * widens the rank's affinity to its share and sets OpenMP's and OpenBLAS's thread counts
 * to it (unless OMP_NUM_THREADS says otherwise). HEATLUA_BIND=0 leaves everything as is.
 * Returns the number of threads a kernel will use. */
int ht_threads_setup(void);

#endif
