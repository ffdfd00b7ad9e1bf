/* Runs a Check suite under MPI: no fork (ranks must stay in MPI), failures summed over
 * ranks so every rank exits with the same status. */
#ifndef HT_CHECK_MPI_H
#define HT_CHECK_MPI_H

#include <check.h>
#include <stdlib.h>

#include "comm.h"

static inline int ht_check_main(int argc, char **argv, Suite *(*make)(void)) {
  ht_comm_init(&argc, &argv);
  SRunner *sr = srunner_create(make());
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int64_t failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  ht_comm_allreduce_i64(&failed, 1, MPI_SUM);
  ht_comm_finalize();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
