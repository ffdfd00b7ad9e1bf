/* runtime/ops/elementwise.c and runtime/cpu/elementwise.c: broadcasting of global shapes,
 * split alignment (replicated, same, other and unbalanced splits), strided views, dtype
 * casts in the loops. Expected values are exact integer arithmetic on global indices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "array.h"
#include "check_mpi.h"
#include "fixtures.h"
#include "comm.h"
#include "ops.h"

static void assert_values(const ht_array *a, const double *want, int64_t n) {
  ck_assert_int_eq(ht_array_gsize(a), n);
  double *got = ht_test_gather(a);
  for (int64_t k = 0; k < n; k++) ck_assert_double_eq(got[k], want[k]);
  free(got);
}

START_TEST(test_broadcast_shapes) {
  int n;
  int64_t out[HT_MAXDIM];
  int64_t s31[2] = {3, 1}, s4[1] = {4}, s3[1] = {3}, s23[2] = {2, 3}, s0[1] = {0}, s1[1] = {1};
  ck_assert_int_eq(ht_broadcast_shapes("add", 2, s31, 1, s4, &n, out), 0);
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(out[0], 3);
  ck_assert_int_eq(out[1], 4);
  ck_assert_int_eq(ht_broadcast_shapes("add", 0, NULL, 2, s23, &n, out), 0); /* () x (2,3) */
  ck_assert_int_eq(n, 2);
  ck_assert_int_eq(out[0], 2);
  ck_assert_int_eq(out[1], 3);
  ck_assert_int_eq(ht_broadcast_shapes("add", 1, s0, 1, s1, &n, out), 0); /* 0 against 1 */
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(out[0], 0);
  ck_assert_int_eq(ht_broadcast_shapes("add", 1, s3, 1, s4, &n, out), -1);
  ck_assert_str_eq(ht_errmsg(), "add: shapes (3,) and (4,) cannot be broadcast");
  ck_assert_int_eq(ht_broadcast_shapes("mul", 2, s23, 1, s0, &n, out), -1);
  ck_assert_str_eq(ht_errmsg(), "mul: shapes (2, 3) and (0,) cannot be broadcast");
}
END_TEST

/* (4, 5) + b for b of shapes (4, 5), (5,), (4, 1) and every split of both: the result is
 * split like the first split operand and equals a[i, j] + b's broadcast value. */
START_TEST(test_binary_all_splits) {
  int64_t sa[2] = {4, 5}, shapes[3][2] = {{4, 5}, {5, 0}, {4, 1}};
  int bnd[3] = {2, 1, 2};
  double want[20];
  for (int s = 0; s < 3; s++)
    for (int spa = -1; spa < 2; spa++)
      for (int spb = -1; spb < bnd[s]; spb++) {
        ht_array *a = ht_test_iota(HT_INT64, 2, sa, spa);
        ht_array *b = ht_test_array(HT_INT64, bnd[s], shapes[s], spb, 100, 0, NULL);
        ht_array *c = ht_binary(HT_ADD, a, b);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(c->dtype, HT_INT64);
        int bsplit = spb < 0 ? -1 : spb + (2 - bnd[s]);
        if (s == 2 && spb == 1) bsplit = -1; /* split along a broadcast axis: replicated */
        ck_assert_int_eq(c->split, spa >= 0 ? spa : bsplit);
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 5; j++) {
            int64_t bk = s == 0 ? i * 5 + j : s == 1 ? j : i;
            want[i * 5 + j] = (double)(i * 5 + j + 100 * bk);
          }
        assert_values(c, want, 20);
        ht_array_free(a), ht_array_free(b), ht_array_free(c);
      }
}
END_TEST

START_TEST(test_unbalanced_and_empty) {
  int p = ht_comm_size();
  int64_t shape[2] = {7, 3}, *counts = calloc((size_t)p, sizeof(int64_t));
  counts[p - 1] = 7; /* every row on the last rank */
  ht_array *a0 = ht_test_iota(HT_FLOAT64, 2, shape, 0), *a = ht_redistribute(a0, counts);
  ht_array *b = ht_test_iota(HT_FLOAT64, 2, shape, 0); /* balanced: b is moved to a's counts */
  ht_array *c = ht_binary(HT_SUB, a, b);
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->split, 0);
  ck_assert_int_eq(memcmp(c->counts, counts, sizeof(int64_t) * (size_t)p), 0);
  double zeros[21] = {0};
  assert_values(c, zeros, 21);
  ht_array *d = ht_binary(HT_MUL, b, a); /* now a is moved to b's balanced counts */
  ck_assert(ht_array_is_balanced(d));
  double sq[21];
  for (int k = 0; k < 21; k++) sq[k] = (double)(k * k);
  assert_values(d, sq, 21);

  int64_t e0[2] = {0, 3}, e2[2] = {2, 3}; /* empty, and fewer rows than ranks */
  ht_array *e = ht_test_iota(HT_INT32, 2, e0, 0), *f = ht_binary(HT_ADD, e, e);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(f->gshape[0], 0);
  ht_array *g = ht_test_iota(HT_INT32, 2, e2, 0), *h = ht_binary(HT_GT, g, g);
  ck_assert_ptr_nonnull(h);
  ck_assert_int_eq(h->dtype, HT_BOOL);
  double no[6] = {0};
  assert_values(h, no, 6);
  free(counts);
  ht_array_free(a0), ht_array_free(a), ht_array_free(b), ht_array_free(c), ht_array_free(d);
  ht_array_free(e), ht_array_free(f), ht_array_free(g), ht_array_free(h);
}
END_TEST

/* Views with strides the iterator must follow: every other row, reversed, transposed. */
START_TEST(test_strided_views) {
  int64_t s64[2] = {6, 4};
  ht_array *base = ht_test_iota(HT_FLOAT32, 2, s64, -1);
  ht_array *rows = ht_array_view(base); /* base[::2], shape (3, 4) */
  rows->gshape[0] = rows->lshape[0] = 3;
  rows->strides[0] *= 2;
  ht_array *rev = ht_array_view(base); /* base[::-1][:3]... as rows 5, 4, 3 */
  rev->gshape[0] = rev->lshape[0] = 3;
  rev->offset = 5 * 4;
  rev->strides[0] = -4;
  ht_array *c = ht_binary(HT_ADD, rows, rev);
  ck_assert_ptr_nonnull(c);
  double want[12];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) want[i * 4 + j] = (2 * i * 4 + j) + ((5 - i) * 4 + j);
  assert_values(c, want, 12);

  /* a split-0 (4, 6) array seen transposed is a (6, 4) view split along axis 1 */
  int64_t s46[2] = {4, 6};
  ht_array *a = ht_test_iota(HT_FLOAT32, 2, s46, 0), *t = ht_array_view(a);
  t->split = 1;
  t->gshape[0] = a->gshape[1], t->gshape[1] = a->gshape[0];
  t->lshape[0] = a->lshape[1], t->lshape[1] = a->lshape[0];
  t->strides[0] = a->strides[1], t->strides[1] = a->strides[0];
  ht_array *u = ht_binary(HT_MUL, t, base); /* base replicated: read in place */
  ck_assert_ptr_nonnull(u);
  ck_assert_int_eq(u->split, 1);
  double w2[24];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 4; j++) w2[i * 4 + j] = (double)((j * 6 + i) * (i * 4 + j));
  assert_values(u, w2, 24);
  ht_array *v = ht_unary(HT_NEG, t);
  for (int k = 0; k < 24; k++) w2[k] = -(double)((k % 4) * 6 + k / 4);
  assert_values(v, w2, 24);
  ht_array_free(base), ht_array_free(rows), ht_array_free(rev), ht_array_free(c);
  ht_array_free(a), ht_array_free(t), ht_array_free(u), ht_array_free(v);
}
END_TEST

/* Inputs of other dtypes are cast run by run: long enough to cross the 512-element cast
 * chunks and, with two threads, the iterator's split between threads. */
START_TEST(test_casts_and_threads) {
#ifdef _OPENMP
  omp_set_num_threads(2);
#endif
  int64_t n[1] = {100003};
  ht_array *a = ht_test_iota(HT_INT32, 1, n, 0), *b = ht_test_array(HT_FLOAT32, 1, n, -1, 0.5, 0, NULL);
  ht_array *c = ht_binary(HT_ADD, a, b); /* int32 + float32 -> float64 */
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(c->dtype, HT_FLOAT64);
  double *want = malloc(sizeof(double) * (size_t)n[0]);
  for (int64_t k = 0; k < n[0]; k++) want[k] = 1.5 * (double)k;
  assert_values(c, want, n[0]);
  ht_array *two = ht_scalar(HT_INT64, 2), *d = ht_binary(HT_DIV, a, two); /* ints / -> f64 */
  ck_assert_int_eq(d->dtype, HT_FLOAT64);
  for (int64_t k = 0; k < n[0]; k++) want[k] = (double)k / 2;
  assert_values(d, want, n[0]);
  free(want);
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
  ht_array_free(a), ht_array_free(b), ht_array_free(c), ht_array_free(two), ht_array_free(d);
}
END_TEST

/* Integer semantics: wrap-around, floor division and modulo signs, division by zero. */
START_TEST(test_integer_semantics) {
  int64_t n[1] = {6};
  ht_array *x = ht_test_array(HT_INT8, 1, n, 0, 40, -100, NULL); /* -100 -60 -20 20 60 100 */
  ht_array *three = ht_scalar(HT_INT8, 3), *zero = ht_scalar(HT_INT8, 0);
  ht_array *m = ht_binary(HT_MUL, x, three), *fd = ht_binary(HT_FLOORDIV, x, three);
  ht_array *md = ht_binary(HT_MOD, x, three), *z = ht_binary(HT_FLOORDIV, x, zero);
  /* np.array([-100,-60,-20,20,60,100], np.int8) * np.int8(3), // 3, % 3, // 0 */
  double wm[6] = {-44, 76, -60, 60, -76, 44}, wf[6] = {-34, -20, -7, 6, 20, 33};
  double wd[6] = {2, 0, 1, 2, 0, 1}, wz[6] = {0};
  assert_values(m, wm, 6);
  assert_values(fd, wf, 6);
  assert_values(md, wd, 6);
  assert_values(z, wz, 6);
  ck_assert_int_eq(m->dtype, HT_INT8);
  /* floats: np.arange(6.) - 3 then % -2.0, // -2.0 and // 0.0 */
  ht_array *y = ht_test_array(HT_FLOAT64, 1, n, -1, 1, -3, NULL), *m2 = ht_scalar(HT_FLOAT64, -2);
  ht_array *fz = ht_scalar(HT_FLOAT64, 0);
  ht_array *ym = ht_binary(HT_MOD, y, m2), *yf = ht_binary(HT_FLOORDIV, y, m2);
  ht_array *y0 = ht_binary(HT_FLOORDIV, y, fz);
  double wym[6] = {-1, 0, -1, 0, -1, 0}, wyf[6] = {1, 1, 0, -0.0, -1, -1};
  assert_values(ym, wym, 6);
  assert_values(yf, wyf, 6);
  double *g = ht_test_gather(y0); /* [-inf -inf -inf nan inf inf] */
  for (int k = 0; k < 6; k++)
    ck_assert(k == 3 ? isnan(g[k]) : isinf(g[k]) && (g[k] < 0) == (k < 3));
  free(g);
  ht_array_free(x), ht_array_free(three), ht_array_free(zero), ht_array_free(m);
  ht_array_free(fd), ht_array_free(md), ht_array_free(z), ht_array_free(y);
  ht_array_free(m2), ht_array_free(fz), ht_array_free(ym), ht_array_free(yf), ht_array_free(y0);
}
END_TEST

Suite *make_suite(void) {
  Suite *s = suite_create("elementwise");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_broadcast_shapes);
  tcase_add_test(tc, test_binary_all_splits);
  tcase_add_test(tc, test_unbalanced_and_empty);
  tcase_add_test(tc, test_strided_views);
  tcase_add_test(tc, test_casts_and_threads);
  tcase_add_test(tc, test_integer_semantics);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
