/* runtime/indexing.h (runtime/ops/index_*.c, indexing.c) and runtime/cpu/take.c: index
 * expressions, getitem and setitem from C, the local gather/scatter kernels. Expected
 * values are NumPy's on arange-filled arrays (the expression is in a comment). */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check_mpi.h"
#include "fixtures.h"
#include "comm.h"
#include "cpu/take.h"
#include "indexing.h"
#include "ops.h"

static ht_array *from_i64(int ndim, const int64_t *shape, int split, const int64_t *v) {
  ht_array *a = ht_from_buffer(HT_INT64, ndim, shape, split, HT_CPU, HT_INT64, v);
  ck_assert_ptr_nonnull(a);
  return a;
}

/* a's global shape and values equal the expected ones (every rank checks) */
static void assert_values(const ht_array *a, int ndim, const int64_t *shape, const double *want) {
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(a->ndim, ndim);
  for (int d = 0; d < ndim; d++) ck_assert_int_eq(a->gshape[d], shape[d]);
  int64_t n = ht_array_gsize(a);
  double *got = malloc(sizeof(double) * (size_t)(n + 1));
  ht_array *f = ht_astype(a, HT_FLOAT64);
  ck_assert_int_eq(ht_gather(f, -1, got), 0);
  for (int64_t k = 0; k < n; k++) ck_assert_double_eq(got[k], want[k]);
  ht_array_free(f);
  free(got);
}

START_TEST(test_parse) {
  ht_index ix = {0};
  ck_assert_int_eq(ht_index_parse(&ix, " 2:5, ::2 ", "getitem"), 0);
  ck_assert_int_eq(ix.n, 2);
  ck_assert_int_eq(ix.item[0].kind, HT_INDEX_SLICE);
  ck_assert(ix.item[0].has_start && ix.item[0].start == 2 && ix.item[0].has_stop &&
            ix.item[0].stop == 5 && ix.item[0].step == 1);
  ck_assert(!ix.item[1].has_start && !ix.item[1].has_stop && ix.item[1].step == 2);
  ix.n = 0;
  ck_assert_int_eq(ht_index_parse(&ix, "..., None, -1", "getitem"), 0);
  ck_assert_int_eq(ix.n, 3);
  ck_assert_int_eq(ix.item[0].kind, HT_INDEX_ELLIPSIS);
  ck_assert_int_eq(ix.item[1].kind, HT_INDEX_NEWAXIS);
  ck_assert(ix.item[2].kind == HT_INDEX_INT && ix.item[2].start == -1);
  ix.n = 0;
  ck_assert_int_eq(ht_index_parse(&ix, "3,", "getitem"), 0); /* Python's one-item tuple */
  ck_assert_int_eq(ix.n, 1);
  ix.n = 0;
  ck_assert_int_eq(ht_index_parse(&ix, "-3::-1", "getitem"), 0);
  ck_assert(ix.item[0].start == -3 && !ix.item[0].has_stop && ix.item[0].step == -1);
  ck_assert_int_eq(ht_index_parse(&ix, "1:2:3:4", "getitem"), -1);
  ck_assert_str_eq(ht_errmsg(), "getitem: cannot parse index string '1:2:3:4'");
  ck_assert_int_eq(ht_index_parse(&ix, "1,,2", "getitem"), -1);
  ck_assert_int_eq(ht_index_parse(&ix, "x", "getitem"), -1);
  ck_assert_int_eq(ht_index_parse(&ix, "", "getitem"), -1);
  ck_assert_str_eq(ht_errmsg(), "getitem: empty index string");
  ck_assert_int_eq(ht_index_parse(&ix, "::0", "getitem"), -1);
  ck_assert_str_eq(ht_errmsg(), "getitem: slice step cannot be zero");
}
END_TEST

START_TEST(test_axis_of) {
  int64_t mshape[2] = {3, 4};
  bool m[12] = {0};
  ht_array *mask = ht_from_buffer(HT_BOOL, 2, mshape, -1, HT_CPU, HT_BOOL, m);
  ht_index ix = {0};
  ht_index_int(&ix, 0, "t");
  ht_index_ellipsis(&ix, "t");
  ht_index_int(&ix, 1, "t");
  ck_assert_int_eq(ht_index_axis_of(&ix, 0, 4), 0);
  ck_assert_int_eq(ht_index_axis_of(&ix, 1, 4), -1);
  ck_assert_int_eq(ht_index_axis_of(&ix, 2, 4), 3); /* counted from the end */
  ix.n = 0;
  ht_index_newaxis(&ix, "t");
  ht_index_array(&ix, mask, "t"); /* a 2-d mask uses axes 0 and 1 */
  ht_index_int(&ix, 5, "t");
  ck_assert_int_eq(ht_index_axis_of(&ix, 0, 3), -1);
  ck_assert_int_eq(ht_index_axis_of(&ix, 1, 3), 0);
  ck_assert_int_eq(ht_index_axis_of(&ix, 2, 3), 2);
  ht_array_free(mask);
}
END_TEST

START_TEST(test_slices_are_views) {
  const int p = ht_comm_size(), me = ht_comm_rank();
  int64_t shape[2] = {6, 4};
  for (int split = -1; split < 2; split++) {
    ht_array *a = ht_test_iota(HT_INT32, 2, shape, split);
    ht_index ix = {0};
    ht_index_slice(&ix, true, 1, true, 6, 2, "t"); /* a[1:6:2, ::-1] */
    ht_index_slice(&ix, false, 0, false, 0, -1, "t");
    ht_array *v = ht_getitem(a, &ix);
    int64_t vs[2] = {3, 4};
    double want[12] = {7, 6, 5, 4, 15, 14, 13, 12, 23, 22, 21, 20};
    assert_values(v, 2, vs, want);
    if (split == 0) { /* rows 1, 3, 5 stay with their owners */
      ck_assert_ptr_eq(v->buf, a->buf);
      ck_assert_int_eq(v->split, 0);
      int64_t start = 0;
      for (int r = 0; r < p; r++) {
        int64_t mine = 0;
        for (int64_t g = 1; g < 6; g += 2) mine += g >= start && g < start + a->counts[r];
        ck_assert_int_eq(v->counts[r], mine);
        start += a->counts[r];
      }
      ck_assert_int_eq(v->lshape[0], v->counts[me]);
    } else if (split == 1 && p > 1) { /* a negative step along the split moves blocks */
      ck_assert_int_eq(v->split, 1);
      for (int r = 0; r < p; r++) ck_assert_int_eq(v->counts[r], a->counts[p - 1 - r]);
    } else {
      ck_assert_ptr_eq(v->buf, a->buf);
    }
    ht_array_free(v), ht_array_free(a);
  }
}
END_TEST

START_TEST(test_number_along_split) {
  int64_t shape[3] = {3, 4, 2};
  for (int split = -1; split < 3; split++) {
    ht_array *a = ht_test_iota(HT_FLOAT32, 3, shape, split);
    ht_index ix = {0};
    ht_index_all(&ix, "t"); /* a[:, -2] */
    ht_index_int(&ix, -2, "t");
    ht_array *r = ht_getitem(a, &ix);
    int64_t rs[2] = {3, 2};
    double want[6] = {4, 5, 12, 13, 20, 21};
    assert_values(r, 2, rs, want);
    ck_assert_int_eq(r->split, split == 1 ? -1 : split == 2 ? 1 : split);
    ck_assert_int_eq(r->dtype, HT_FLOAT32);
    ht_array_free(r), ht_array_free(a);
  }
}
END_TEST

START_TEST(test_masks_and_integer_arrays) {
  int64_t shape[2] = {4, 3}, ishape[1] = {3}, idx[3] = {3, -4, 3};
  bool m[4] = {true, false, false, true};
  int64_t mshape[1] = {4};
  for (int split = -1; split < 2; split++)
    for (int isplit = -1; isplit < 1; isplit++) {
      ht_array *a = ht_test_iota(HT_INT16, 2, shape, split);
      ht_array *J = from_i64(1, ishape, isplit, idx);
      ht_array *M = ht_from_buffer(HT_BOOL, 1, mshape, isplit, HT_CPU, HT_BOOL, m);
      ht_index ix = {0};
      ht_index_array(&ix, J, "t"); /* a[[3, -4, 3]] */
      ht_array *r = ht_getitem(a, &ix);
      int64_t rs[2] = {3, 3};
      double want[9] = {9, 10, 11, 0, 1, 2, 9, 10, 11};
      assert_values(r, 2, rs, want);
      ck_assert_int_eq(r->split, split);
      ht_array_free(r);
      ix.n = 0;
      ht_index_array(&ix, M, "t"); /* a[[True, False, False, True], 1] */
      ht_index_int(&ix, 1, "t");
      r = ht_getitem(a, &ix);
      int64_t ms[1] = {2};
      double mwant[2] = {1, 10};
      assert_values(r, 1, ms, mwant);
      ht_array_free(r);
      /* a[[3, -4, 3]] = [[-1], [-2], [-3]]: the repeated row keeps the last value */
      int64_t vshape[2] = {3, 1}, vv[3] = {-1, -2, -3};
      ht_array *val = from_i64(2, vshape, split == 0 ? 0 : -1, vv);
      ix.n = 0;
      ht_index_array(&ix, J, "t");
      ck_assert_int_eq(ht_setitem(a, &ix, val), 0);
      double swant[12] = {-2, -2, -2, 3, 4, 5, 6, 7, 8, -3, -3, -3};
      assert_values(a, 2, shape, swant);
      ht_array_free(val), ht_array_free(J), ht_array_free(M), ht_array_free(a);
    }
}
END_TEST

START_TEST(test_setitem_views_and_scalars) {
  int64_t shape[1] = {9};
  for (int split = -1; split < 1; split++) {
    ht_array *a = ht_test_iota(HT_FLOAT64, 1, shape, split);
    ht_index ix = {0};
    ht_index_slice(&ix, true, 2, false, 0, 1, "t"); /* v = a[2:] */
    ht_array *v = ht_getitem(a, &ix);
    ht_array *s = ht_scalar(HT_FLOAT64, -1);
    ix.n = 0;
    ht_index_slice(&ix, false, 0, false, 0, -3, "t"); /* v[::-3] = -1 */
    ck_assert_int_eq(ht_setitem(v, &ix, s), 0);
    double want[9] = {0, 1, -1, 3, 4, -1, 6, 7, -1}; /* a[2:][::-3] are a[8], a[5], a[2] */
    assert_values(a, 1, shape, want);
    ix.n = 0;
    ht_index_slice(&ix, true, 1, true, 7, 1, "t"); /* a[1:7] = a[0:6] (overlapping) */
    ht_index src = {0};
    ht_index_slice(&src, true, 0, true, 6, 1, "t");
    ht_array *from = ht_getitem(a, &src);
    ck_assert_int_eq(ht_setitem(a, &ix, from), 0);
    double want2[9] = {0, 0, 1, -1, 3, 4, -1, 7, -1};
    assert_values(a, 1, shape, want2);
    ht_array_free(from), ht_array_free(s), ht_array_free(v), ht_array_free(a);
  }
}
END_TEST

START_TEST(test_errors) {
  int64_t shape[2] = {5, 3}, mshape[1] = {4}, vshape[1] = {2};
  bool m[4] = {0};
  ht_array *a = ht_test_iota(HT_INT32, 2, shape, 0);
  ht_array *M = ht_from_buffer(HT_BOOL, 1, mshape, -1, HT_CPU, HT_BOOL, m);
  ht_array *val = ht_test_iota(HT_INT32, 1, vshape, -1);
  ht_index ix = {0};
  ht_index_int(&ix, 5, "t");
  ck_assert_ptr_null(ht_getitem(a, &ix));
  ck_assert_str_eq(ht_errmsg(), "getitem: index 5 is out of bounds for axis 0 with size 5");
  ix.n = 0;
  ht_index_all(&ix, "t");
  ht_index_int(&ix, -4, "t");
  ck_assert_int_eq(ht_setitem(a, &ix, val), -1);
  ck_assert_str_eq(ht_errmsg(), "setitem: index -4 is out of bounds for axis 1 with size 3");
  ix.n = 0;
  for (int k = 0; k < 3; k++) ht_index_int(&ix, 0, "t");
  ck_assert_ptr_null(ht_getitem(a, &ix));
  ck_assert_str_eq(ht_errmsg(), "getitem: too many indices for array: array is 2-dimensional, "
                                "but 3 were indexed");
  ix.n = 0;
  ht_index_array(&ix, M, "t");
  ck_assert_ptr_null(ht_getitem(a, &ix));
  ck_assert_str_eq(ht_errmsg(), "getitem: boolean index did not match indexed array along axis "
                                "0; size of axis is 5 but size of corresponding boolean axis is 4");
  ix.n = 0;
  ht_index_slice(&ix, true, 0, true, 3, 1, "t"); /* a[0:3] = [0, 1] */
  ck_assert_int_eq(ht_setitem(a, &ix, val), -1);
  ck_assert_str_eq(ht_errmsg(), "setitem: could not broadcast input array from shape (2,) into "
                                "shape (3, 3)");
  ht_array_free(a), ht_array_free(M), ht_array_free(val);
}
END_TEST

START_TEST(test_take_kernels) {
  /* ht_offsets: a (2, 3) block with byte strides (40, -8) */
  int64_t shape[2] = {2, 3}, st[2] = {40, -8}, off[6];
  ht_offsets(2, shape, st, off);
  int64_t want[6] = {0, -8, -16, 40, 32, 24};
  for (int k = 0; k < 6; k++) ck_assert_int_eq(off[k], want[k]);
  /* ordered scatter with a repeated target: the last write wins */
  int32_t dst[4] = {0}, src[3] = {1, 2, 3};
  int64_t zero = 0, dsel[3] = {4, 4, 0}, ssel[3] = {0, 4, 8};
  ht_take_side d = {(char *)dst, &zero, dsel, &zero}, s = {(char *)src, &zero, ssel, &zero};
  ht_cpu_take(4, 1, 3, 1, d, s, true);
  ck_assert_int_eq(dst[0], 3);
  ck_assert_int_eq(dst[1], 2);
  /* compress and masked fill past the threading threshold */
  const int64_t n = 200003;
  bool *m = malloc((size_t)n);
  int16_t *x = malloc(sizeof(int16_t) * (size_t)n), *y = malloc(sizeof(int16_t) * (size_t)n);
  int64_t expect = 0;
  for (int64_t i = 0; i < n; i++) m[i] = i % 3 == 1, x[i] = (int16_t)(i % 1000), expect += m[i];
  ck_assert_int_eq(ht_cpu_count_true(m, n), expect);
  ht_cpu_compress(2, n, (char *)x, m, (char *)y);
  for (int64_t k = 0; k < expect; k++) ck_assert_int_eq(y[k], (3 * k + 1) % 1000);
  int16_t v = -7;
  int64_t xs = 2, ms = 1;
  ht_cpu_masked_fill(2, 1, &n, (char *)x, &xs, m, &ms, &v);
  for (int64_t i = 0; i < n; i++) ck_assert_int_eq(x[i], m[i] ? -7 : (int16_t)(i % 1000));
  free(m), free(x), free(y);
  /* 4- and 8-byte elements (the vector compress paths), every pattern of a 16-lane step,
   * with and without a tail; a sentinel after the result stays untouched */
  const int64_t n2 = 300007;
  bool *m2 = malloc((size_t)n2);
  int32_t *x4 = malloc(sizeof(int32_t) * (size_t)n2), *y4 = malloc(sizeof(int32_t) * (size_t)(n2 + 1));
  int64_t *x8 = malloc(sizeof(int64_t) * (size_t)n2), *y8 = malloc(sizeof(int64_t) * (size_t)(n2 + 1));
  for (int64_t i = 0; i < n2; i++)
    m2[i] = (i * 2654435761u >> 7) % 3 != 0, x4[i] = (int32_t)i, x8[i] = -i;
  for (int64_t len = n2 - 7; len <= n2; len += 7) { /* 300000 is a multiple of 16 */
    int64_t c2 = 0;
    for (int64_t i = 0; i < len; i++) c2 += m2[i];
    y4[c2] = 12345, y8[c2] = 12345;
    ck_assert_int_eq(ht_cpu_count_true(m2, len), c2);
    ht_cpu_compress(4, len, (char *)x4, m2, (char *)y4);
    ht_cpu_compress(8, len, (char *)x8, m2, (char *)y8);
    for (int64_t i = 0, k = 0; i < len; i++)
      if (m2[i]) {
        ck_assert_int_eq(y4[k], i);
        ck_assert_int_eq(y8[k], -i);
        k++;
      }
    ck_assert_int_eq(y4[c2], 12345);
    ck_assert_int_eq(y8[c2], 12345);
  }
  free(m2), free(x4), free(y4), free(x8), free(y8);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("indexing");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_parse);
  tcase_add_test(tc, test_axis_of);
  tcase_add_test(tc, test_slices_are_views);
  tcase_add_test(tc, test_number_along_split);
  tcase_add_test(tc, test_masks_and_integer_arrays);
  tcase_add_test(tc, test_setitem_views_and_scalars);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_take_kernels);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
