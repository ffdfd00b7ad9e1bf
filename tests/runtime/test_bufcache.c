/* runtime/bufcache.c: large freed buffers are taken back by an allocation of the same
 * rounded size; a miss, a large scratch and ht_cache_release free them; small allocations
 * free the oldest until live + kept fits under the highest live seen; the slots are
 * bounded; fault injection still fails a hit. Local to each rank. */
#include <stdlib.h>

#include "array.h"
#include "bufcache.h"
#include "check_mpi.h"
#include "comm.h"

#define MiB ((int64_t)1 << 20)

START_TEST(test_hit_same_rounded_size) {
  if (!ht_cache_enabled()) return; /* HEATLUA_NO_REUSE=1 or a sanitizer build */
  ht_cache_release();
  void *p = ht_cache_alloc(2 * MiB);
  ck_assert_ptr_nonnull(p);
  ht_cache_free(p, 2 * MiB);
  ck_assert_int_eq(ht_cache_bytes(), 2 * MiB);
  void *q = ht_cache_alloc(2 * MiB - 100); /* rounds up to the same 64 KiB grain */
  ck_assert_ptr_eq(q, p);
  ck_assert_int_eq(ht_cache_bytes(), 0);
  /* below the threshold nothing is kept */
  void *s = ht_cache_alloc(HT_CACHE_MIN - 64);
  ht_cache_free(s, HT_CACHE_MIN - 64);
  ck_assert_int_eq(ht_cache_bytes(), 0);
  ht_cache_free(q, 2 * MiB - 100);
  ck_assert_int_eq(ht_cache_bytes(), 2 * MiB);
  ck_assert_int_eq(ht_cache_release(), 2 * MiB);
  ck_assert_int_eq(ht_cache_bytes(), 0);
}
END_TEST

START_TEST(test_miss_releases_all) {
  if (!ht_cache_enabled()) return;
  ht_cache_release();
  void *a = ht_cache_alloc(2 * MiB), *b = ht_cache_alloc(3 * MiB);
  ht_cache_free(a, 2 * MiB), ht_cache_free(b, 3 * MiB);
  ck_assert_int_eq(ht_cache_bytes(), 5 * MiB);
  void *c = ht_cache_alloc(4 * MiB); /* no 4 MiB buffer kept: everything goes first */
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(ht_cache_bytes(), 0);
  ht_cache_free(c, 4 * MiB);
  /* a large scratch allocation frees them too */
  void *s = ht_scratch_alloc(HT_CACHE_MIN, "test");
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(ht_cache_bytes(), 0);
  free(s);
}
END_TEST

START_TEST(test_slots_bounded) {
  if (!ht_cache_enabled()) return;
  ht_cache_release();
  void *p[HT_CACHE_SLOTS + 3];
  for (int i = 0; i < HT_CACHE_SLOTS + 3; i++) p[i] = ht_cache_alloc(MiB);
  for (int i = 0; i < HT_CACHE_SLOTS + 3; i++) ht_cache_free(p[i], MiB);
  ck_assert_int_eq(ht_cache_bytes(), HT_CACHE_SLOTS * MiB);
  /* the newest are kept: the last one freed comes back first */
  ck_assert_ptr_eq(ht_cache_alloc(MiB), p[HT_CACHE_SLOTS + 2]);
  ht_cache_free(p[HT_CACHE_SLOTS + 2], MiB);
  ck_assert_int_eq(ht_cache_release(), HT_CACHE_SLOTS * MiB);
}
END_TEST

/* live 256 MiB + kept 4 MiB = the highest live (260 MiB): a small allocation frees the oldest
 * kept buffer, and only that one. Sizes larger than any other test's, so this test's own
 * allocations set the high-water mark (malloc does not touch the pages). */
START_TEST(test_small_alloc_keeps_peak) {
  if (!ht_cache_enabled()) return;
  ht_cache_release();
  void *x = ht_cache_alloc(256 * MiB), *y = ht_cache_alloc(2 * MiB), *z = ht_cache_alloc(2 * MiB);
  ck_assert(x && y && z);
  ht_cache_free(z, 2 * MiB), ht_cache_free(y, 2 * MiB);
  ck_assert_int_eq(ht_cache_bytes(), 4 * MiB);
  void *s = ht_cache_alloc(1000);
  ck_assert_int_eq(ht_cache_bytes(), 2 * MiB);
  ck_assert_ptr_eq(ht_cache_alloc(2 * MiB), y); /* z, the older, went */
  ht_cache_free(s, 1000), ht_cache_free(y, 2 * MiB), ht_cache_free(x, 256 * MiB);
  ht_cache_release();
}
END_TEST

/* HEATLUA_FAIL_ALLOC / _fail_alloc counts every data allocation, hits included. */
START_TEST(test_fault_injection_on_hit) {
  ht_cache_release();
  int64_t live = ht_bytes_live();
  ht_buffer *b = ht_buffer_new(2 * MiB, HT_CPU);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(ht_bytes_live(), live + 2 * MiB);
  ht_buffer_release(b);
  ck_assert_int_eq(ht_bytes_live(), live); /* kept bytes are not live */
  ck_assert_int_eq(ht_cache_bytes(), ht_cache_enabled() ? 2 * MiB : 0);
  ht_fail_alloc_arm(ht_comm_rank(), 1, 0);
  ck_assert_ptr_null(ht_buffer_new(2 * MiB, HT_CPU));
  ck_assert_int_eq(ht_bytes_live(), live);
  b = ht_buffer_new(2 * MiB, HT_CPU); /* disarmed after firing */
  ck_assert_ptr_nonnull(b);
  ht_buffer_release(b);
  ht_cache_release();
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("bufcache");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_hit_same_rounded_size);
  tcase_add_test(tc, test_miss_releases_all);
  tcase_add_test(tc, test_slots_bounded);
  tcase_add_test(tc, test_small_alloc_keeps_peak);
  tcase_add_test(tc, test_fault_injection_on_hit);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
