/* runtime/device.c: the backend tables, the one "not supported" message, host<->device
 * copies; the CUDA twins against their CPU loops where a GPU is visible (skipped
 * otherwise, so this suite passes on machines without one). */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check_mpi.h"
#include "comm.h"
#include "device.h"
#include "fixtures.h"
#include "ops.h"

START_TEST(test_cpu_backend_complete) {
  const ht_backend *be = ht_backend_of(HT_CPU);
  ck_assert_str_eq(be->name, "cpu");
  ck_assert_ptr_nonnull(be->alloc);
  ck_assert_ptr_nonnull(be->free);
  ck_assert_ptr_nonnull(be->to_host);
  ck_assert_ptr_nonnull(be->from_host);
  ck_assert_ptr_nonnull(be->reduce);
  /* every op has a loop for its own dtype rule's float64 */
  for (int op = 0; op < HT_NBINOPS; op++)
    ck_assert_ptr_nonnull(be->binary_loop((ht_binop)op, HT_FLOAT64));
  for (int op = 0; op < HT_NUNOPS; op++)
    ck_assert_ptr_nonnull(be->unary_loop((ht_unop)op, HT_FLOAT64));
  ck_assert_str_eq(ht_backend_of(HT_GPU)->name, "gpu");
}
END_TEST

START_TEST(test_one_message) {
  ck_assert_int_eq(ht_device_unsupported(HT_CPU, "x"), 0);
  ck_assert_int_eq(ht_device_unsupported(HT_GPU, "flip"), -1);
  ck_assert_str_eq(ht_errmsg(), "flip: arrays on device 'gpu' are not supported by this "
                                "operation yet");
}
END_TEST

START_TEST(test_host_copy) {
  int64_t shape[2] = {5, 3}; /* 5 rows: ranks 4+ of a bigger run own none */
  ht_array *a = ht_test_iota(HT_FLOAT32, 2, shape, 0);
  ht_array *b = ht_to_device(a, HT_CPU);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(b->device, HT_CPU);
  ck_assert_ptr_ne(b->buf, a->buf);
  double *v = ht_test_gather(b);
  for (int k = 0; k < 15; k++) ck_assert_double_eq(v[k], k);
  free(v);
  ht_array_free(a), ht_array_free(b);
}
END_TEST

START_TEST(test_gpu_absent_is_an_error) {
  if (ht_device_count() > 0) return; /* the twin test below runs instead */
  int64_t shape[1] = {4};
  ht_array *g = ht_array_empty(HT_FLOAT32, 1, shape, 0, HT_GPU);
  ck_assert_ptr_null(g);
  ck_assert_ptr_nonnull(strstr(ht_errmsg(), "device 'gpu'"));
}
END_TEST

/* add, sub, mul, div and exp on the GPU equal the CPU's loops bit for bit (IEEE). */
START_TEST(test_cuda_twins) {
  if (ht_device_count() == 0) return; /* skipped: no GPU visible */
  int64_t shape[2] = {7, 5};
  ht_array *a = ht_test_iota(HT_FLOAT64, 2, shape, 0);
  ht_array *one = ht_scalar(HT_FLOAT64, 1.5);
  ht_array *b = ht_binary(HT_ADD, a, one); /* a + 1.5: no zero divisors */
  ht_array *ga = ht_to_device(a, HT_GPU), *gb = ht_to_device(b, HT_GPU);
  ck_assert_ptr_nonnull(ga);
  ck_assert_ptr_nonnull(gb);
  for (int op = HT_ADD; op <= HT_DIV; op++) {
    ht_array *want = ht_binary((ht_binop)op, a, b), *g = ht_binary((ht_binop)op, ga, gb);
    ck_assert_ptr_nonnull(g);
    ht_array *got = ht_to_device(g, HT_CPU);
    double *w = ht_test_gather(want), *h = ht_test_gather(got);
    ck_assert_int_eq(memcmp(w, h, 35 * sizeof(double)), 0);
    free(w), free(h);
    ht_array_free(want), ht_array_free(g), ht_array_free(got);
  }
  ht_array *ge = ht_unary(HT_EXP, ga), *e = ht_unary(HT_EXP, a);
  ht_array *back = ht_to_device(ge, HT_CPU);
  double *w = ht_test_gather(e), *h = ht_test_gather(back);
  for (int k = 0; k < 35; k++) ck_assert_double_eq_tol(h[k], w[k], 1e-12 * w[k]);
  free(w), free(h);
  /* an op without a twin is the one message */
  ck_assert_ptr_null(ht_unary(HT_SIN, ga));
  ck_assert_ptr_nonnull(strstr(ht_errmsg(), "sin"));
  ht_array_free(ge), ht_array_free(e), ht_array_free(back);
  ht_array_free(a), ht_array_free(one), ht_array_free(b), ht_array_free(ga), ht_array_free(gb);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("device");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_cpu_backend_complete);
  tcase_add_test(tc, test_one_message);
  tcase_add_test(tc, test_host_copy);
  tcase_add_test(tc, test_gpu_absent_is_an_error);
  tcase_add_test(tc, test_cuda_twins);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
