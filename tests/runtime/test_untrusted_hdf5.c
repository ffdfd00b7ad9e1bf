/* runtime/io/hdf5.c with crafted files (issue 12): a small file that declares a huge
 * chunked dataset must give a clear error on every rank, never a heap overflow in H5Dread. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "check_mpi.h"
#include "comm.h"
#include "io/io.h"

static char file[300];

/* Rank 0 writes the file with the serial driver: chunked datasets have no storage until
 * written, so shapes of 2^62 elements cost a few hundred bytes. */
static void make_file(void) {
  if (ht_comm_rank() == 0) {
    snprintf(file, sizeof file, "%s/heatlua_untrusted_%d.h5",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    struct { const char *name; int ndim; hsize_t dims[2]; } sets[] = {
        {"huge", 2, {(hsize_t)1 << 31, (hsize_t)1 << 31}}, /* 2^62 float32: too big */
        {"wrap", 2, {(hsize_t)1 << 32, ((hsize_t)1 << 32) + 1}},
        {"big", 2, {(hsize_t)1 << 20, (hsize_t)1 << 20}},  /* 4 TiB: past the memory */
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
      hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
      hsize_t chunk[2] = {1, 1};
      H5Pset_chunk(dcpl, sets[i].ndim, chunk);
      hid_t s = H5Screate_simple(sets[i].ndim, sets[i].dims, NULL);
      hid_t d = H5Dcreate2(f, sets[i].name, H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
      H5Dclose(d), H5Sclose(s), H5Pclose(dcpl);
    }
    hsize_t three = 3;
    float v[3] = {1, 2, 3};
    hid_t s = H5Screate_simple(1, &three, NULL);
    hid_t d = H5Dcreate2(f, "ok", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(d), H5Sclose(s), H5Fclose(f);
  }
  ht_comm_bcast(file, sizeof file, 0);
}

static void remove_file(void) {
  ht_comm_barrier();
  if (ht_comm_rank() == 0) remove(file);
}

static void expect_error(const char *dataset, int split, const char *fragment) {
  ht_h5_load_opts o;
  ht_h5_load_opts_init(&o);
  o.split = split;
  ht_clear_error();
  ht_array *a = ht_load_hdf5(file, dataset, &o);
  ck_assert_ptr_null(a);
  ck_assert_msg(strstr(ht_errmsg(), fragment), "%s: '%s' lacks '%s'", dataset, ht_errmsg(),
                fragment);
}

START_TEST(test_huge_shapes_are_errors) {
  for (int split = -2; split <= 1; split++) { /* -2 stands for replicated */
    int s = split == -2 ? HT_IO_NOSPLIT : split;
    expect_error("huge", s, "array is too big");
    expect_error("wrap", s, "array is too big");
    expect_error("big", s, "exceeds the memory");
  }
  /* and the file still reads: the errors left no rank behind */
  ht_h5_load_opts o;
  ht_h5_load_opts_init(&o);
  o.split = 0;
  ht_array *a = ht_load_hdf5(file, "ok", &o);
  ck_assert_ptr_nonnull(a);
  float all[3];
  ck_assert_int_eq(ht_gather(a, -1, all), 0);
  ck_assert(all[0] == 1 && all[1] == 2 && all[2] == 3);
  ht_array_free(a);
}
END_TEST

START_TEST(test_array_sizes_overflow) {
  int64_t shape[2] = {(int64_t)1 << 32, ((int64_t)1 << 32) + 1};
  ck_assert_ptr_null(ht_array_empty(HT_FLOAT32, 2, shape, 0, HT_CPU));
  ck_assert_ptr_nonnull(strstr(ht_errmsg(), "array is too big"));
  int64_t zero[2] = {0, (int64_t)1 << 62}; /* a zero dimension: size 0, fine */
  ht_array *z = ht_array_empty(HT_FLOAT64, 2, zero, 0, HT_CPU);
  ck_assert_ptr_nonnull(z);
  ht_array_free(z);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("untrusted_hdf5");
  TCase *tc = tcase_create("core");
  tcase_add_unchecked_fixture(tc, make_file, remove_file);
  tcase_add_test(tc, test_huge_shapes_are_errors);
  tcase_add_test(tc, test_array_sizes_overflow);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, suite); }
