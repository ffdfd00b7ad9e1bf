/* runtime/io: HDF5 files written here with the plain HDF5 API (a NetCDF-4 file in netCDF's
 * own layout, big-endian and chunked data, strings and compounds), loaded through the
 * parallel loader at every split; round trips of HDF5, CSV and .npy through the runtime
 * API; errors raised with the same message on every rank. Values are exact integers. */
#define _GNU_SOURCE /* mkdtemp */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "check_mpi.h"
#include "fixtures.h"
#include "comm.h"
#include "io/io.h"

static char dir[256];

/* a folder that every rank knows: rank 0 makes it, the name is broadcast */
static void setup(void) {
  if (ht_comm_rank() == 0) {
    snprintf(dir, sizeof dir, "%s/heatlua_test_io_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) dir[0] = 0;
  }
  ht_comm_bcast(dir, sizeof dir, 0);
}

static void teardown(void) {
  ht_comm_barrier();
  if (ht_comm_rank() == 0 && dir[0]) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
  }
}

static const char *path(const char *name) {
  static char buf[4][400];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void assert_iota(const ht_array *a, double scale) {
  double *all = ht_test_gather(a);
  for (int64_t k = 0; k < ht_array_gsize(a); k++) ck_assert_double_eq(all[k], scale * (double)k);
  free(all);
}

/* The same message on every rank: compare a checksum of it across ranks. */
static void assert_agreed_error(const char *fragment) {
  const char *m = ht_errmsg();
  if (!strstr(m, fragment)) fprintf(stderr, "message: %s\n", m);
  ck_assert_ptr_nonnull(strstr(m, fragment));
  uint64_t u = 0; /* unsigned: the hash wraps */
  for (const char *c = m; *c; c++) u = u * 31 + (unsigned char)*c;
  int64_t h[2] = {(int64_t)(u >> 1), -(int64_t)(u >> 1)};
  ht_comm_allreduce_i64(h, 2, MPI_MAX);
  ck_assert(h[0] == -h[1]); /* max == min: identical everywhere */
}

/* ---- a NetCDF-4 file, written the way netCDF-C lays it out ---- */

static void string_attr(hid_t obj, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
  H5Tset_size(t, strlen(value) + 1);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, value);
  H5Aclose(a), H5Tclose(t), H5Sclose(s);
}

static void int_attr(hid_t obj, const char *name, int n, const int *v, int scalar) {
  hsize_t dim = (hsize_t)n;
  hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
  hid_t a = H5Acreate2(obj, name, H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT, v);
  H5Aclose(a), H5Sclose(s);
}

static hid_t dim_scale(hid_t f, const char *name, hid_t type, hsize_t n, int dimid, int is_var) {
  hid_t s = H5Screate_simple(1, &n, NULL);
  hid_t d = H5Dcreate2(f, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  string_attr(d, "CLASS", "DIMENSION_SCALE");
  char label[80];
  /* netCDF's marker for a dimension without a coordinate variable */
  if (is_var) snprintf(label, sizeof label, "%s", name);
  else snprintf(label, sizeof label, "This is a netCDF dimension but not a netCDF variable.%10d", (int)n);
  string_attr(d, "NAME", label);
  int_attr(d, "_Netcdf4Dimid", 1, &dimid, 1);
  H5Sclose(s);
  return d;
}

static void reference_list(hid_t scale, hobj_ref_t var, unsigned dim) {
  struct { hobj_ref_t ref; unsigned dim; } entry = {var, dim};
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof entry);
  H5Tinsert(t, "dataset", HOFFSET(__typeof__(entry), ref), H5T_STD_REF_OBJ);
  H5Tinsert(t, "dimension", HOFFSET(__typeof__(entry), dim), H5T_NATIVE_UINT);
  hsize_t one = 1;
  hid_t s = H5Screate_simple(1, &one, NULL);
  hid_t a = H5Acreate2(scale, "REFERENCE_LIST", t, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, &entry);
  H5Aclose(a), H5Sclose(s), H5Tclose(t);
}

/* dims time(5) (a coordinate variable 0..4) and lat(3) (no variable); temp(time, lat)
 * float32 = 0..14, chunked, shuffled and deflated, with units and a fill value. */
static void write_netcdf4(const char *file) {
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  string_attr(f, "_NCProperties", "version=2,netcdf=4.9.0,hdf5=1.10.8");
  hid_t time = dim_scale(f, "time", H5T_IEEE_F64LE, 5, 0, 1);
  hid_t lat = dim_scale(f, "lat", H5T_IEEE_F32BE, 3, 1, 0);
  double t[5] = {0, 1, 2, 3, 4};
  H5Dwrite(time, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t);

  hsize_t dims[2] = {5, 3};
  hid_t s = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, dims);
  H5Pset_shuffle(dcpl);
  H5Pset_deflate(dcpl, 4);
  float fill = 9.96921e+36f;
  H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &fill);
  hid_t temp = H5Dcreate2(f, "temp", H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  float v[15];
  for (int i = 0; i < 15; i++) v[i] = (float)i;
  H5Dwrite(temp, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  string_attr(temp, "units", "K");
  hid_t scalar = H5Screate(H5S_SCALAR);
  hid_t fv = H5Acreate2(temp, "_FillValue", H5T_IEEE_F32LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(fv, H5T_NATIVE_FLOAT, &fill);
  H5Aclose(fv), H5Sclose(scalar);
  int coords[2] = {0, 1};
  int_attr(temp, "_Netcdf4Coordinates", 2, coords, 0);

  /* DIMENSION_LIST: one object reference per axis, as HDF5's dimension-scale API makes */
  hobj_ref_t rtime, rlat, rtemp;
  H5Rcreate(&rtime, f, "/time", H5R_OBJECT, -1);
  H5Rcreate(&rlat, f, "/lat", H5R_OBJECT, -1);
  H5Rcreate(&rtemp, f, "/temp", H5R_OBJECT, -1);
  hvl_t list[2] = {{1, &rtime}, {1, &rlat}};
  hid_t vt = H5Tvlen_create(H5T_STD_REF_OBJ);
  hsize_t two = 2;
  hid_t vs = H5Screate_simple(1, &two, NULL);
  hid_t a = H5Acreate2(temp, "DIMENSION_LIST", vt, vs, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, vt, list);
  H5Aclose(a), H5Sclose(vs), H5Tclose(vt);
  reference_list(time, rtemp, 0);
  reference_list(lat, rtemp, 1);
  H5Dclose(temp), H5Dclose(time), H5Dclose(lat);
  H5Sclose(s), H5Pclose(dcpl), H5Pclose(fcpl);
  H5Fclose(f);
}

START_TEST(test_netcdf4_variable) {
  const char *file = path("climate.nc");
  if (ht_comm_rank() == 0) write_netcdf4(file);
  ht_comm_barrier();
  ht_h5_load_opts o;
  ht_h5_load_opts_init(&o);
  for (int split = -1; split < 2; split++) {
    o.split = split < 0 ? HT_IO_NOSPLIT : split;
    ht_array *x = ht_load_hdf5(file, "temp", &o);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->dtype, HT_FLOAT32);
    ck_assert_int_eq(x->gshape[0], 5);
    ck_assert_int_eq(x->gshape[1], 3);
    assert_iota(x, 1.0); /* temp = 0..14 in C order */
    ht_array_free(x);
  }
  o.split = 0;
  o.dtype = HT_FLOAT64;
  ht_array *t = ht_load_hdf5(file, "/time", &o);
  ck_assert_ptr_nonnull(t);
  assert_iota(t, 1.0);
  ht_array_free(t);

  ht_h5_info info;
  ck_assert_int_eq(ht_hdf5_info(file, &info), 0);
  ck_assert_int_eq(info.n, 4); /* the root group, lat, temp, time in name order */
  ck_assert_str_eq(info.objects[1].name, "lat");
  ck_assert_str_eq(info.objects[1].dtype, "float32"); /* big-endian in the file */
  ck_assert_str_eq(info.objects[2].name, "temp");
  ck_assert(info.objects[2].chunked);
  ck_assert_int_eq(info.objects[2].deflate, 4);
  ck_assert_str_eq(info.objects[0].attrs[0].name, "_NCProperties");
  int units = -1, coords = -1;
  for (int i = 0; i < info.objects[2].nattrs; i++) {
    if (!strcmp(info.objects[2].attrs[i].name, "units")) units = i;
    if (!strcmp(info.objects[2].attrs[i].name, "_Netcdf4Coordinates")) coords = i;
    ck_assert_str_ne(info.objects[2].attrs[i].name, "DIMENSION_LIST"); /* references: skipped */
  }
  ck_assert_int_ge(units, 0);
  ck_assert_str_eq(info.objects[2].attrs[units].str, "K");
  ck_assert_int_eq(info.objects[2].attrs[coords].n, 2);
  ck_assert_double_eq(info.objects[2].attrs[coords].num[1], 1.0);
  ht_hdf5_info_free(&info);
}
END_TEST

/* ---- other files made with the HDF5 API ---- */

static void write_odd_types(const char *file) {
  hid_t f = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {7, 4}, chunk[2] = {2, 3};
  hid_t s = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  short v[28];
  for (int i = 0; i < 28; i++) v[i] = (short)(i * 3);
  hid_t d = H5Dcreate2(f, "be_i16", H5T_STD_I16BE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_SHORT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d);
  unsigned u[28];
  for (int i = 0; i < 28; i++) u[i] = (unsigned)i;
  d = H5Dcreate2(f, "u32", H5T_STD_U32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_UINT, H5S_ALL, H5S_ALL, H5P_DEFAULT, u);
  H5Dclose(d);
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 8);
  hsize_t two = 2;
  hid_t s1 = H5Screate_simple(1, &two, NULL);
  d = H5Dcreate2(f, "names", str, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, "alpha\0\0\0beta\0\0\0\0");
  H5Dclose(d);
  hid_t ct = H5Tcreate(H5T_COMPOUND, 8);
  H5Tinsert(ct, "a", 0, H5T_NATIVE_INT);
  H5Tinsert(ct, "b", 4, H5T_NATIVE_FLOAT);
  d = H5Dcreate2(f, "pairs", ct, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(d);
  H5Tclose(ct), H5Tclose(str), H5Sclose(s1), H5Sclose(s), H5Pclose(dcpl);
  H5Fclose(f);
}

START_TEST(test_foreign_hdf5) {
  const char *file = path("odd.h5");
  if (ht_comm_rank() == 0) write_odd_types(file);
  ht_comm_barrier();
  ht_h5_load_opts o;
  ht_h5_load_opts_init(&o);
  o.dtype = HT_FLOAT64;
  for (int split = -1; split < 2; split++) {
    o.split = split < 0 ? HT_IO_NOSPLIT : split;
    ht_array *x = ht_load_hdf5(file, "be_i16", &o);
    ck_assert_ptr_nonnull(x);
    assert_iota(x, 3.0); /* 3 * k, converted from big-endian int16 chunks */
    ht_array_free(x);
    x = ht_load_hdf5(file, "u32", &o); /* uint32 is no dtype of ours, but converts */
    ck_assert_ptr_nonnull(x);
    assert_iota(x, 1.0);
    ht_array_free(x);
  }
  /* rows 2:7:2 and columns 1: of 3k: rows 2, 4, 6 */
  o.split = 0;
  ck_assert_int_eq(ht_index_slice(&o.slices, true, 2, false, 0, 2, "test"), 0);
  ck_assert_int_eq(ht_index_slice(&o.slices, true, 1, false, 0, 1, "test"), 0);
  ht_array *y = ht_load_hdf5(file, "be_i16", &o);
  ck_assert_ptr_nonnull(y);
  ck_assert_int_eq(y->gshape[0], 3);
  ck_assert_int_eq(y->gshape[1], 3);
  double *all = ht_test_gather(y);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) ck_assert_double_eq(all[i * 3 + j], 3.0 * ((2 + 2 * i) * 4 + 1 + j));
  free(all);
  ht_array_free(y);
  o.slices.n = 0;
  ck_assert_ptr_null(ht_load_hdf5(file, "names", &o));
  assert_agreed_error("dataset 'names' in '");
  assert_agreed_error("' holds string values, which cannot be converted to float64");
  ck_assert_ptr_null(ht_load_hdf5(file, "pairs", &o));
  assert_agreed_error("holds compound values");
  ck_assert_ptr_null(ht_load_hdf5(file, "missing", &o));
  assert_agreed_error("has no dataset 'missing' (it holds: be_i16, names, pairs, u32)");
}
END_TEST

/* ---- round trips through the runtime API ---- */

START_TEST(test_hdf5_round_trip) {
  int64_t shapes[4][3] = {{7, 3, 2}, {2, 1, 5}, {0, 4, 1}, {3, 0, 2}};
  ht_h5_save_opts so;
  ht_h5_save_opts_init(&so);
  ht_h5_load_opts lo;
  ht_h5_load_opts_init(&lo);
  lo.dtype = HT_INT64;
  for (int s = 0; s < 4; s++)
    for (int split = -1; split < 3; split++)
      for (int deflate = -1; deflate <= 1; deflate += 2) {
        ht_array *a = ht_test_iota(HT_INT32, 3, shapes[s], split);
        so.deflate = deflate;
        ck_assert_int_eq(ht_save_hdf5(a, path("rt.h5"), "x", &so), 0);
        for (int ls = -1; ls < 3; ls++) {
          lo.split = ls < 0 ? HT_IO_NOSPLIT : ls;
          ht_array *b = ht_load_hdf5(path("rt.h5"), "x", &lo);
          ck_assert_ptr_nonnull(b);
          ck_assert_int_eq(b->split, ls);
          ck_assert(ht_array_is_balanced(b));
          assert_iota(b, 1.0);
          ht_array_free(b);
        }
        ht_array_free(a);
      }
}
END_TEST

START_TEST(test_npy_csv_round_trip) {
  int64_t shape[2] = {11, 3};
  for (int split = -1; split < 2; split++) {
    ht_array *a = ht_test_iota(HT_FLOAT64, 2, shape, split);
    ck_assert_int_eq(ht_save_npy(a, path("rt.npy"), "w", false), 0);
    ck_assert_int_eq(ht_save_csv(a, path("rt.csv"), &(ht_csv_save_opts){',', "x,y,z", -1, "w", split == 0}), 0);
    for (int ls = -1; ls < 2; ls++) {
      ht_array *b = ht_load_npy(path("rt.npy"), HT_NDTYPES, ls < 0 ? HT_IO_NOSPLIT : ls, HT_CPU);
      ck_assert_ptr_nonnull(b);
      ck_assert_int_eq(b->dtype, HT_FLOAT64);
      assert_iota(b, 1.0);
      ht_array_free(b);
      ht_csv_load_opts co;
      ht_csv_load_opts_init(&co);
      co.header_lines = 1;
      co.split = ls < 0 ? HT_IO_NOSPLIT : ls;
      b = ht_load_csv(path("rt.csv"), &co);
      ck_assert_ptr_nonnull(b);
      ck_assert_int_eq(b->dtype, HT_FLOAT32);
      assert_iota(b, 1.0);
      ht_array_free(b);
    }
    ht_array_free(a);
  }
}
END_TEST

/* One line longer than every rank's byte range: ranks past 0 own no line at all. */
START_TEST(test_csv_one_long_line) {
  if (ht_comm_rank() == 0) {
    FILE *f = fopen(path("wide.csv"), "w");
    for (int j = 0; j < 5000; j++) fprintf(f, "%s%d", j ? "," : "", j);
    fputc('\n', f);
    fclose(f);
  }
  ht_comm_barrier();
  ht_csv_load_opts co;
  ht_csv_load_opts_init(&co);
  co.dtype = HT_INT32;
  co.split = 1;
  ht_array *b = ht_load_csv(path("wide.csv"), &co);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(b->gshape[0], 1);
  ck_assert_int_eq(b->gshape[1], 5000);
  assert_iota(b, 1.0);
  ht_array_free(b);
}
END_TEST

START_TEST(test_errors_agree) {
  ht_csv_load_opts co;
  ht_csv_load_opts_init(&co);
  if (ht_comm_rank() == 0) {
    /* the bad line is the last of many, so it lands on the last rank's range */
    FILE *f = fopen(path("bad.csv"), "w");
    for (int i = 0; i < 400; i++) fprintf(f, "%d,%d\n", i, -i);
    fprintf(f, "1,2,3\n");
    fclose(f);
  }
  ht_comm_barrier();
  ck_assert_ptr_null(ht_load_csv(path("bad.csv"), &co));
  assert_agreed_error("line 401 of '");
  assert_agreed_error("bad.csv' has more than 2 fields");
  ck_assert_ptr_null(ht_load_npy(path("bad.csv"), HT_NDTYPES, 0, HT_CPU));
  assert_agreed_error("is not a .npy file");
  ht_h5_load_opts lo;
  ht_h5_load_opts_init(&lo);
  ck_assert_ptr_null(ht_load_hdf5(path("nothing.h5"), "x", &lo));
  assert_agreed_error("load_hdf5: cannot open '");
  int64_t shape[1] = {4};
  ht_array *a = ht_test_iota(HT_INT8, 1, shape, 0);
  ck_assert_int_eq(ht_save_npy(a, path("once.npy"), "w-", true), 0);
  ck_assert_int_eq(ht_save_npy(a, path("once.npy"), "w-", true), -1);
  assert_agreed_error("exists and mode \"w-\" does not overwrite it");
  ck_assert_int_eq(ht_save_npy(a, path("no/such/dir/x.npy"), "w", false), -1);
  assert_agreed_error("save_npy: cannot create a file in '");
  ht_array_free(a);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("io");
  TCase *tc = tcase_create("io");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_netcdf4_variable);
  tcase_add_test(tc, test_foreign_hdf5);
  tcase_add_test(tc, test_hdf5_round_trip);
  tcase_add_test(tc, test_npy_csv_round_trip);
  tcase_add_test(tc, test_csv_one_long_line);
  tcase_add_test(tc, test_errors_agree);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
