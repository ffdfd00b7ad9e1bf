/* runtime/comm.c: failure agreement and the collectives on 64-bit counts. Built twice:
 * test_comm with the real message limit, test_comm_small with HT_COMM_MAX_MSG = 24 bytes
 * (tests/CMakeLists.txt), so the split paths (pieces, point-to-point all-to-all, rooted
 * pieces of reduce_scatter) run on a few hundred bytes. Values are exact integers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "comm.h"
#include "error.h"

START_TEST(test_agree) {
  int p = ht_comm_size(), me = ht_comm_rank();
  ck_assert_int_eq(ht_comm_agree(0), 0);
  /* every rank from the middle on fails; the lowest failing rank's message wins */
  int bad = p / 2;
  int st = me >= bad ? ht_error("boom on rank %d", me) : 0;
  ck_assert_int_eq(ht_comm_agree(st), -1);
  char want[64];
  snprintf(want, sizeof want, "boom on rank %d", bad);
  ck_assert_str_eq(ht_errmsg(), want);
}
END_TEST

START_TEST(test_bcast_allreduce) {
  int p = ht_comm_size(), me = ht_comm_rank();
#ifdef HT_COMM_MAX_MSG /* test_comm_small: its own comm.c, not the archive's, is linked */
  ck_assert_int_eq(ht_comm_max_msg(), HT_COMM_MAX_MSG);
#endif
  int64_t v[100];
  for (int k = 0; k < 100; k++) v[k] = me == p - 1 ? 3 * k : -1;
  ck_assert_int_eq(ht_comm_bcast(v, sizeof v, p - 1), 0);
  for (int k = 0; k < 100; k++) ck_assert_int_eq(v[k], 3 * k);
  for (int k = 0; k < 100; k++) v[k] = k + me;
  ck_assert_int_eq(ht_comm_allreduce_i64(v, 100, MPI_SUM), 0);
  /* sum over r of (k + r) = p k + p (p - 1) / 2 */
  for (int k = 0; k < 100; k++) ck_assert_int_eq(v[k], (int64_t)p * k + p * (p - 1) / 2);
}
END_TEST

/* rank r sends (r + 1) * (q + 2) int32 values r * 1000 + q * 100 + j to rank q; rank 0
 * sends nothing to the last rank (a zero count in the middle of the pattern). */
static int64_t pair_count(int r, int q, int p) {
  return r == 0 && q == p - 1 && p > 1 ? 0 : (int64_t)(r + 1) * (q + 2);
}

START_TEST(test_alltoallv_uneven) {
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t *w = calloc(4 * (size_t)p, sizeof(int64_t));
  int64_t *sc = w, *sd = w + p, *rc = w + 2 * p, *rd = w + 3 * p, st = 0, rt = 0;
  for (int q = 0; q < p; q++) {
    sc[q] = 4 * pair_count(me, q, p), sd[q] = st, st += sc[q];
    rc[q] = 4 * pair_count(q, me, p), rd[q] = rt, rt += rc[q];
  }
  int32_t *s = malloc((size_t)st + 4), *r = malloc((size_t)rt + 4);
  for (int q = 0; q < p; q++)
    for (int64_t j = 0; j < sc[q] / 4; j++) s[sd[q] / 4 + j] = me * 1000 + q * 100 + (int32_t)j;
  ck_assert_int_eq(ht_comm_alltoallv(s, sc, sd, r, rc, rd), 0);
  for (int q = 0; q < p; q++)
    for (int64_t j = 0; j < rc[q] / 4; j++)
      ck_assert_int_eq(r[rd[q] / 4 + j], q * 1000 + me * 100 + (int32_t)j);
  free(s), free(r), free(w);
}
END_TEST

START_TEST(test_gathers) {
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t *c = malloc(2 * sizeof(int64_t) * (size_t)p), tot = 0;
  for (int q = 0; q < p; q++) c[q] = 8 * (q + 3), c[p + q] = tot, tot += c[q];
  int64_t mine[16], *all = malloc((size_t)tot);
  for (int j = 0; j < me + 3; j++) mine[j] = 100 * me + j;
  ck_assert_int_eq(ht_comm_allgatherv(mine, 8 * (me + 3), all, c, c + p), 0);
  for (int q = 0; q < p; q++)
    for (int j = 0; j < q + 3; j++) ck_assert_int_eq(all[c[p + q] / 8 + j], 100 * q + j);
  memset(all, 0, (size_t)tot);
  ck_assert_int_eq(ht_comm_gatherv(mine, 8 * (me + 3), all, c, c + p, p - 1), 0);
  if (me == p - 1)
    for (int q = 0; q < p; q++)
      for (int j = 0; j < q + 3; j++) ck_assert_int_eq(all[c[p + q] / 8 + j], 100 * q + j);
  free(all), free(c);
}
END_TEST

START_TEST(test_sendrecv_reduce_scatter) {
  int p = ht_comm_size(), me = ht_comm_rank();
  int64_t out[20], in[30];
  for (int j = 0; j < 20; j++) out[j] = me * 50 + j;
  /* a ring: send 20 values right, receive 20 from the left */
  ck_assert_int_eq(ht_comm_sendrecv(out, sizeof out, (me + 1) % p, in, sizeof out,
                                    (me + p - 1) % p), 0);
  for (int j = 0; j < 20; j++) ck_assert_int_eq(in[j], ((me + p - 1) % p) * 50 + j);
  /* reduce_scatter: rank q gets q + 2 sums of k + r over ranks r */
  int64_t *counts = malloc(sizeof(int64_t) * (size_t)p), tot = 0;
  for (int q = 0; q < p; q++) counts[q] = q + 2, tot += counts[q];
  int64_t *send = malloc(sizeof(int64_t) * (size_t)tot), recv[8];
  for (int64_t k = 0; k < tot; k++) send[k] = k + me;
  ck_assert_int_eq(ht_comm_reduce_scatter(send, recv, counts, HT_INT64, MPI_SUM), 0);
  int64_t first = 0;
  for (int q = 0; q < me; q++) first += counts[q];
  for (int j = 0; j < me + 2; j++)
    ck_assert_int_eq(recv[j], (int64_t)p * (first + j) + p * (p - 1) / 2);
  free(send), free(counts);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("comm");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_agree);
  tcase_add_test(tc, test_bcast_allreduce);
  tcase_add_test(tc, test_alltoallv_uneven);
  tcase_add_test(tc, test_gathers);
  tcase_add_test(tc, test_sendrecv_reduce_scatter);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
