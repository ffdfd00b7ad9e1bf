/* runtime/ops/reduce.c and runtime/cpu/reduce.c: reductions over the split axis, argmax
 * ties across ranks and threads, NaN, empty chunks, views, accuracy. Reference values are
 * exact maths on integer-valued data (order of summation cannot matter) or loops here. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check_mpi.h"
#include "fixtures.h"
#include "comm.h"
#include "cpu/reduce.h"
#include "ops.h"

static ht_array *reduce1(ht_redop op, const ht_array *a, int axis, bool keepdims) {
  ht_reduce_opts o = {.naxes = axis < 0 ? 0 : 1, .axes = {axis < 0 ? 0 : axis},
                      .keepdims = keepdims};
  ht_array *r = ht_reduce(op, a, &o);
  ck_assert_msg(r != NULL, "%s failed: %s", ht_redop_name(op), ht_errmsg());
  return r;
}

static double identity(int64_t k) { return (double)k; }
static double mod3(int64_t k) { return (double)(k % 3); }
static double mod7(int64_t k) { return (double)(k % 7); }
static double tenth(int64_t k) { return (void)k, 0.1; }
static double squares(int64_t k) { return (double)(k * k); }

START_TEST(test_sum_split_axis) {
  /* (n, 3) holding k = 3i + j: column j sums to 3 n(n-1)/2 + n j, the total to N(N-1)/2
   * with N = 3n; n = 2 and 0 leave ranks without rows */
  const int64_t ns[] = {0, 2, 7, 1000};
  const ht_dtype ts[] = {HT_FLOAT32, HT_INT32, HT_FLOAT64, HT_UINT8};
  for (int s = 0; s < 4; s++)
    for (int ti = 0; ti < 4; ti++) {
      const int64_t n = ns[s], shape[2] = {n, 3};
      if (ts[ti] == HT_UINT8 && n > 20) continue; /* values must fit */
      ht_array *a = ht_test_array(ts[ti], 2, shape, 0, 1, 0, identity);
      ht_array *c = reduce1(HT_RSUM, a, 0, false);
      ck_assert_int_eq(c->split, -1);
      ck_assert_int_eq(c->dtype, ht_dtype_is_float(ts[ti]) ? ts[ti] : HT_INT64);
      ck_assert_int_eq(c->ndim, 1);
      double *v = ht_test_gather(c);
      for (int j = 0; j < 3; j++) ck_assert_double_eq(v[j], 3.0 * n * (n - 1) / 2 + n * j);
      free(v);
      ht_array *t = reduce1(HT_RSUM, a, -1, false);
      ck_assert_int_eq(t->ndim, 0);
      v = ht_test_gather(t);
      ck_assert_double_eq(v[0], 3.0 * n * (3 * n - 1) / 2);
      free(v);
      /* over the other axis the split stays, with the operand's counts */
      ht_array *r = reduce1(HT_RSUM, a, 1, false);
      ck_assert_int_eq(r->split, 0);
      for (int p = 0; p < ht_comm_size(); p++) ck_assert_int_eq(r->counts[p], a->counts[p]);
      v = ht_test_gather(r);
      int64_t bad = -1;
      for (int64_t i = 0; i < n && bad < 0; i++) bad = v[i] == 9.0 * i + 3 ? -1 : i;
      ck_assert_msg(bad < 0, "row %lld: got %g", (long long)bad, bad < 0 ? 0 : v[bad]);
      free(v);
      ht_array_free(a), ht_array_free(c), ht_array_free(t), ht_array_free(r);
    }
}
END_TEST

START_TEST(test_sum_split1_keepdims) {
  /* (4, 5) split 1, k = 5i + j: rows sum to 25 i + 10, replicated, keepdims -> (4, 1) */
  const int64_t shape[2] = {4, 5};
  ht_array *a = ht_test_array(HT_INT64, 2, shape, 1, 1, 0, identity);
  ht_array *r = reduce1(HT_RSUM, a, 1, true);
  ck_assert_int_eq(r->split, -1);
  ck_assert_int_eq(r->ndim, 2);
  ck_assert_int_eq(r->gshape[0], 4);
  ck_assert_int_eq(r->gshape[1], 1);
  double *v = ht_test_gather(r);
  for (int i = 0; i < 4; i++) ck_assert_double_eq(v[i], 25.0 * i + 10);
  free(v);
  /* over axis 0 with keepdims the split axis keeps its index */
  ht_array *c = reduce1(HT_RSUM, a, 0, true);
  ck_assert_int_eq(c->split, 1);
  ck_assert_int_eq(c->gshape[0], 1);
  ht_array_free(a), ht_array_free(r), ht_array_free(c);
}
END_TEST

START_TEST(test_float32_accuracy) {
  /* 10^7 float32 values 0.1f: the exact sum is 10^7 * 0.100000001490116 =
   * 1000000.0149011612, which rounds to 1000000.0f; a float32 running sum drifts far
   * off and NumPy's pairwise sum gives 1000000.06 */
  const int64_t shape[1] = {10000000};
  ht_array *a = ht_test_array(HT_FLOAT32, 1, shape, 0, 1, 0, tenth);
  ht_array *s = reduce1(HT_RSUM, a, -1, false);
  ck_assert_int_eq(s->dtype, HT_FLOAT32);
  ck_assert_float_eq(*(float *)ht_array_data(s), 1000000.0f);
  ht_array *m = reduce1(HT_RMEAN, a, -1, false);
  ck_assert_float_eq(*(float *)ht_array_data(m), 0.1f); /* 1000000.0149011612 / 10^7 */
  ht_array_free(a), ht_array_free(s), ht_array_free(m);
}
END_TEST

START_TEST(test_argmax_ties_across_ranks) {
  /* k % 3 over 7 elements: max 2 first at 2, min 0 first at 0 */
  const int64_t shape[1] = {7};
  ht_array *a = ht_test_array(HT_INT32, 1, shape, 0, 1, 0, mod3);
  ht_array *mx = reduce1(HT_RARGMAX, a, -1, false), *mn = reduce1(HT_RARGMIN, a, 0, false);
  ck_assert_int_eq(mx->dtype, HT_INT64);
  ck_assert_int_eq(*(int64_t *)ht_array_data(mx), 2);
  ck_assert_int_eq(*(int64_t *)ht_array_data(mn), 0);
  ht_array_free(a), ht_array_free(mx), ht_array_free(mn);

  /* (6, 2) split 0, k % 7: column 0 holds 0 2 4 6 1 3 -> argmax 3, argmin 0;
   * column 1 holds 1 3 5 0 2 4 -> argmax 2, argmin 3 */
  const int64_t s2[2] = {6, 2};
  a = ht_test_array(HT_FLOAT64, 2, s2, 0, 1, 0, mod7);
  mx = reduce1(HT_RARGMAX, a, 0, false), mn = reduce1(HT_RARGMIN, a, 0, false);
  double *v = ht_test_gather(mx), *w = ht_test_gather(mn);
  ck_assert_double_eq(v[0], 3);
  ck_assert_double_eq(v[1], 2);
  ck_assert_double_eq(w[0], 0);
  ck_assert_double_eq(w[1], 3);
  free(v), free(w);
  ht_array_free(a), ht_array_free(mx), ht_array_free(mn);
}
END_TEST

static double two_nines(int64_t k) { return k == 12 || k == 5 ? 9 : 0; }

START_TEST(test_argmax_flat_split1) {
  /* (4, 6) split 1 with 9 at flat 12 = (2, 0), on rank 0, and at flat 5 = (0, 5), on the
   * last rank: the flat argmax is 5, the smaller C-order index, not the lower rank's */
  const int64_t shape[2] = {4, 6};
  ht_array *a = ht_test_array(HT_INT16, 2, shape, 1, 1, 0, two_nines);
  ht_array *r = reduce1(HT_RARGMAX, a, -1, false);
  ck_assert_int_eq(r->split, -1);
  ck_assert_int_eq(*(int64_t *)ht_array_data(r), 5);
  /* along axis 1 (split) per row: row 0 -> 5, row 2 -> 0, rows 1 and 3 tie at 0 -> 0 */
  ht_array *c = reduce1(HT_RARGMAX, a, 1, false);
  double *v = ht_test_gather(c);
  ck_assert_double_eq(v[0], 5);
  ck_assert_double_eq(v[1], 0);
  ck_assert_double_eq(v[2], 0);
  ck_assert_double_eq(v[3], 0);
  free(v);
  ht_array_free(a), ht_array_free(r), ht_array_free(c);
}
END_TEST

static double nan_at_3(int64_t k) { return k == 3 ? NAN : (double)(10 - k); }

START_TEST(test_nan_propagates) {
  /* 10 9 8 NaN 6: min, max NaN; argmin, argmax 3 (NumPy propagates NaN) */
  const int64_t shape[1] = {5};
  ht_array *a = ht_test_array(HT_FLOAT32, 1, shape, 0, 1, 0, nan_at_3);
  ht_redop ops[] = {HT_RMIN, HT_RMAX, HT_RSUM, HT_RMEAN};
  for (int k = 0; k < 4; k++) {
    ht_array *r = reduce1(ops[k], a, -1, false);
    ck_assert(isnan(*(float *)ht_array_data(r)));
    ht_array_free(r);
  }
  ht_array *mx = reduce1(HT_RARGMAX, a, -1, false), *mn = reduce1(HT_RARGMIN, a, -1, false);
  ck_assert_int_eq(*(int64_t *)ht_array_data(mx), 3);
  ck_assert_int_eq(*(int64_t *)ht_array_data(mn), 3);
  ht_array_free(a), ht_array_free(mx), ht_array_free(mn);
}
END_TEST

static double nan_at_57_80(int64_t k) { return k == 57 || k == 80 ? NAN : (double)(k % 10); }

START_TEST(test_nan_long_rows_and_columns) {
  /* 300 values k % 10 with NaN at 57 and 80: the two-step argmin/argmax (extreme of a
   * block, then its first position) must still stop at the first NaN, 57. As (100, 3):
   * column 0 has its NaN at row 19 (57 = 3*19), column 2 at row 26 (80 = 3*26 + 2),
   * column 1 none, and its max 9 first at row 6 ((3*6 + 1) % 10 = 9). NumPy: x.argmax(),
   * x.argmin() = 57, 57; x.reshape(100, 3).argmax(axis=0) = [19, 6, 26]. */
  const int64_t flat[1] = {300}, cols[2] = {100, 3};
  for (int split = -1; split <= 0; split++) {
    ht_array *a = ht_test_array(HT_FLOAT32, 1, flat, split, 1, 0, nan_at_57_80);
    ht_array *mx = reduce1(HT_RARGMAX, a, -1, false), *mn = reduce1(HT_RARGMIN, a, -1, false);
    ck_assert_int_eq(*(int64_t *)ht_array_data(mx), 57);
    ck_assert_int_eq(*(int64_t *)ht_array_data(mn), 57);
    ht_array_free(a), ht_array_free(mx), ht_array_free(mn);
    a = ht_test_array(HT_FLOAT64, 2, cols, split, 1, 0, nan_at_57_80);
    mx = reduce1(HT_RARGMAX, a, 0, false);
    double *v = ht_test_gather(mx);
    ck_assert_double_eq(v[0], 19);
    ck_assert_double_eq(v[1], 6);
    ck_assert_double_eq(v[2], 26);
    free(v);
    ht_array_free(a), ht_array_free(mx);
  }
}
END_TEST

START_TEST(test_var_split) {
  /* k^2 for k < 7: 0 1 4 9 16 25 36, mean 13, squared deviations sum to 1092;
   * ddof 1: 1092 / 6 = 182, std sqrt(182); ddof 0: 156 */
  const int64_t shape[1] = {7};
  ht_array *a = ht_test_array(HT_INT32, 1, shape, 0, 1, 0, squares);
  ht_reduce_opts o = {.ddof = 1};
  ht_array *v = ht_reduce(HT_RVAR, a, &o), *s = ht_reduce(HT_RSTD, a, &o);
  ck_assert_int_eq(v->dtype, HT_FLOAT64);
  ck_assert_double_eq_tol(*(double *)ht_array_data(v), 182.0, 1e-12);
  ck_assert_double_eq_tol(*(double *)ht_array_data(s), sqrt(182.0), 1e-12);
  o.ddof = 0;
  ht_array *v0 = ht_reduce(HT_RVAR, a, &o);
  ck_assert_double_eq_tol(*(double *)ht_array_data(v0), 156.0, 1e-12);
  ht_array_free(a), ht_array_free(v), ht_array_free(s), ht_array_free(v0);
}
END_TEST

START_TEST(test_threads) {
  /* shapes that take each work split (rows or tiles per thread, R sliced over threads),
   * k % 7 in float64: sums are exact in any order, so a plain loop is the reference */
  const int64_t shapes[][2] = {{50000, 64}, {64, 50000}, {3, 100000}, {100, 5000}, {200, 3000}};
  if (ht_comm_rank() != 0) return; /* replicated arrays, local work only */
  omp_set_num_threads(3);
  for (int s = 0; s < 5; s++)
    for (int axis = 0; axis < 2; axis++) {
      const int64_t R = shapes[s][0], C = shapes[s][1];
      ht_array *a = ht_test_array(HT_FLOAT64, 2, shapes[s], -1, 1, 0, mod7);
      ht_array *sum = reduce1(HT_RSUM, a, axis, false), *am = reduce1(HT_RARGMAX, a, axis, false);
      const double *x = ht_array_data(a), *got = ht_array_data(sum);
      const int64_t *idx = ht_array_data(am);
      const int64_t nout = axis == 0 ? C : R, nred = axis == 0 ? R : C;
      int64_t bad = -1;
      for (int64_t o = 0; o < nout && bad < 0; o++) {
        double want = 0, best = -1;
        int64_t first = -1;
        for (int64_t r = 0; r < nred; r++) {
          double e = axis == 0 ? x[r * C + o] : x[o * C + r];
          want += e;
          if (e > best) best = e, first = r;
        }
        /* the first maximum: ties resolved across threads */
        if (got[o] != want || idx[o] != first) bad = o;
      }
      ck_assert_msg(bad < 0, "shape %d axis %d: output %lld wrong", s, axis, (long long)bad);
      ht_array_free(a), ht_array_free(sum), ht_array_free(am);
    }
  omp_set_num_threads(1);
}
END_TEST

/* a 2-d array's transpose as a view: (m, n) split s becomes (n, m) split 1 - s */
static ht_array *transposed(const ht_array *a) {
  ht_array *t = ht_array_view(a);
  ck_assert_ptr_nonnull(t);
  t->gshape[0] = a->gshape[1], t->gshape[1] = a->gshape[0];
  t->lshape[0] = a->lshape[1], t->lshape[1] = a->lshape[0];
  t->strides[0] = a->strides[1], t->strides[1] = a->strides[0];
  if (a->split >= 0) t->split = 1 - a->split;
  return t;
}

static double peak_at_13(int64_t k) { return k == 13 ? 100 : 0; }

START_TEST(test_views_and_packing) {
  /* a transposed view of a (n, 4) split-0 array: (4, n) split 1, strides (1, 4) */
  const int64_t shape[2] = {9, 4};
  ht_array *a = ht_test_array(HT_INT32, 2, shape, 0, 1, 0, identity);
  ht_array *t = transposed(a);
  /* t summed over its axis 1 (the split) = a summed over axis 0: sum_i<9 (4i + j) = 144 + 9j */
  ht_array *r = reduce1(HT_RSUM, t, 1, false);
  double *v = ht_test_gather(r);
  for (int j = 0; j < 4; j++) ck_assert_double_eq(v[j], 144.0 + 9 * j);
  free(v);
  ht_array_free(t), ht_array_free(r), ht_array_free(a);

  /* the flat argmax of a transposed view counts in the view's C order: a's only peak at
   * a flat 13 = (3, 1) is t's (1, 3), flat 1*9 + 3 = 12 */
  a = ht_test_array(HT_FLOAT64, 2, shape, 0, 1, 0, peak_at_13);
  t = transposed(a);
  ht_array *m = reduce1(HT_RARGMAX, t, -1, false);
  ck_assert_int_eq(*(int64_t *)ht_array_data(m), 12);
  ht_array_free(t), ht_array_free(m), ht_array_free(a);

  /* (3, 4, 5) split 1, sum over axes 0 and 2 (reduced|kept|reduced: packed):
   * k = 20i + 5j + l summed over i < 3, l < 5 */
  const int64_t s3[3] = {3, 4, 5};
  a = ht_test_array(HT_FLOAT32, 3, s3, 1, 1, 0, identity);
  ht_reduce_opts o = {.naxes = 2, .axes = {0, 2}};
  r = ht_reduce(HT_RSUM, a, &o);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->split, 0);
  v = ht_test_gather(r);
  for (int j = 0; j < 4; j++) /* 5 * (20 * (0+1+2)) + 15 * 5j + 3 * (0+1+2+3+4) */
    ck_assert_double_eq(v[j], 300.0 + 75 * j + 30);
  free(v);
  ht_array_free(r), ht_array_free(a);
}
END_TEST

START_TEST(test_errors_and_empty) {
  const int64_t shape[2] = {0, 3};
  ht_array *a = ht_test_array(HT_FLOAT64, 2, shape, 0, 1, 0, identity);
  ht_reduce_opts o = {.naxes = 1, .axes = {0}};
  ck_assert_ptr_null(ht_reduce(HT_RMIN, a, &o));
  ck_assert_str_eq(ht_errmsg(),
                   "min: zero-size array to reduction operation minimum which has no identity");
  ck_assert_ptr_null(ht_reduce(HT_RARGMAX, a, NULL));
  ck_assert_str_eq(ht_errmsg(), "argmax: attempt to get argmax of an empty sequence");
  /* over axis 1 the result is just empty (NumPy: array([]) of shape (0,)) */
  o.axes[0] = 1;
  ht_array *e = ht_reduce(HT_RMAX, a, &o);
  ck_assert_ptr_nonnull(e);
  ck_assert_int_eq(e->gshape[0], 0);
  ht_array_free(e);
  /* sum of nothing is 0, the mean NaN */
  ht_array *s = ht_reduce(HT_RSUM, a, NULL), *m = ht_reduce(HT_RMEAN, a, NULL);
  ck_assert_double_eq(*(double *)ht_array_data(s), 0.0);
  ck_assert(isnan(*(double *)ht_array_data(m)));
  ht_array_free(s), ht_array_free(m);
  o.axes[0] = 2;
  ck_assert_ptr_null(ht_reduce(HT_RSUM, a, &o));
  ck_assert_str_eq(ht_errmsg(), "sum: axis 2 is out of bounds for array of dimension 2");
  o.naxes = 2, o.axes[0] = 1, o.axes[1] = 1;
  ck_assert_ptr_null(ht_reduce(HT_RPROD, a, &o));
  ck_assert_str_eq(ht_errmsg(), "prod: duplicate value in 'axis'");
  o.axes[0] = 0;
  ck_assert_ptr_null(ht_reduce(HT_RARGMIN, a, &o));
  ck_assert_str_eq(ht_errmsg(), "argmin: expected at most one axis, got 2");
  ht_array_free(a);
}
END_TEST

/* ---- the kernels alone: every dtype, op and (O, R, I) layout against a plain loop ---- */

/* small integer values with repeats (ties for argmin/argmax); products use 1s and 2s
 * (and -1s for signed types) so that they stay exact */
static int64_t kval(ht_dtype t, ht_kop op, int64_t k) {
  if (op == HT_K_PROD) {
    int64_t v = k % 4001 == 1 ? 2 : 1;
    return t != HT_BOOL && t != HT_UINT8 && k % 17 == 5 ? -v : v;
  }
  int64_t v = (k * 7 + 3) % 11;
  if (t == HT_BOOL) return v % 4 != 0;
  return t == HT_UINT8 ? v : v - 3;
}

static double kref(ht_kop op, const int64_t *v, int64_t R, int64_t I, int64_t o, int64_t i,
                   double center) {
  double acc = op == HT_K_PROD || op == HT_K_ALL ? 1 : op == HT_K_MIN ? INFINITY
             : op == HT_K_MAX ? -INFINITY : 0;
  int64_t best = -1;
  for (int64_t r = 0; r < R; r++) {
    const double x = (double)v[(o * R + r) * I + i];
    switch (op) {
    case HT_K_SUM: acc += x; break;
    case HT_K_PROD: acc *= x; break;
    case HT_K_SQDEV: acc += (x - center) * (x - center); break;
    case HT_K_MIN: acc = x < acc ? x : acc; break;
    case HT_K_MAX: acc = x > acc ? x : acc; break;
    case HT_K_ALL: acc = acc != 0 && x != 0; break;
    case HT_K_ANY: acc = acc != 0 || x != 0; break;
    case HT_K_ARGMIN: if (best < 0 || x < acc) acc = x, best = r; break;
    case HT_K_ARGMAX: if (best < 0 || x > acc) acc = x, best = r; break;
    }
  }
  return op == HT_K_ARGMIN || op == HT_K_ARGMAX ? (double)best : acc;
}

static void check_kernel(ht_dtype t, ht_kop op, bool f64, int64_t O, int64_t R, int64_t I) {
  const int64_t n = O * R * I, item = (int64_t)ht_dtype_size(t);
  int64_t *v = malloc(sizeof(int64_t) * (size_t)(n + 1));
  char *in = malloc((size_t)((n + 1) * item));
  double *center = malloc(sizeof(double) * (size_t)(O * I + 1));
  for (int64_t k = 0; k < n; k++) {
    ht_set_f64(t, in + k * item, (double)kval(t, op, k));
    v[k] = ht_get_i64(t, in + k * item); /* as stored: a bool 2 is true */
  }
  for (int64_t k = 0; k < O * I; k++) center[k] = 0.5 * (double)(k % 3);
  ht_rjob j = {.op = op, .t = t, .f64 = f64, .in = in, .O = O, .R = R, .I = I, .center = center};
  char *acc = malloc(ht_cpu_acc_size(&j) * (size_t)(O * I + 1));
  ht_cpu_reduce(&j, acc);
  /* one assertion per layout: Check's assertions each cost a system call */
  int64_t bad = -1;
  double got = 0, want = 0;
  for (int64_t k = 0; k < O * I && bad < 0; k++) {
    want = kref(op, v, R, I, k / I, k % I, center[k]);
    if (op == HT_K_ARGMIN || op == HT_K_ARGMAX) got = (double)((ht_argacc *)acc)[k].idx;
    else if (f64) got = ((double *)acc)[k];
    else got = (double)((int64_t *)acc)[k];
    if (!f64 && op == HT_K_MIN && R == 0) got = INFINITY; /* int64 identities */
    if (!f64 && op == HT_K_MAX && R == 0) got = -INFINITY;
    if (got != want) bad = k;
  }
  ck_assert_msg(bad < 0, "%s op %d (O,R,I)=(%lld,%lld,%lld) at output %lld: got %g want %g",
                ht_dtype_name(t), (int)op, (long long)O, (long long)R, (long long)I,
                (long long)bad, got, want);
  free(v), free(in), free(center), free(acc);
}

START_TEST(test_kernels_all_dtypes) {
  if (ht_comm_rank() != 0) return; /* local work only: the other ranks would repeat it */
  const int64_t layouts[][3] = {{1, 0, 1}, {1, 1, 1}, {1, 7, 1}, {1, 16, 1}, {1, 23, 1},
                                {1, 100, 1}, {5, 37, 1}, {1, 9, 3}, {4, 17, 5}, {2, 3, 600},
                                {1, 5000, 1}, {3, 12000, 1}, {1, 12000, 5}, {2, 40, 1500},
                                {1, 40, 9000}, {2, 7, 8193}, /* rows wider than a tile */
                                {9, 5, 1}, {7, 31, 1}, {6, 2, 1}}; /* short rows */
  for (int threads = 1; threads <= 3; threads += 2) {
    omp_set_num_threads(threads);
    for (int t = 0; t < HT_NDTYPES; t++)
      for (int op = HT_K_SUM; op <= HT_K_ARGMAX; op++)
        for (int f64 = 0; f64 < 2; f64++) {
          /* the pairs ops/reduce.c uses: floats always f64; ints f64 for mean and var */
          if (ht_dtype_is_float(t) && !f64 && op < HT_K_ARGMIN) continue;
          if (!ht_dtype_is_float(t) && f64 && op != HT_K_SUM && op != HT_K_SQDEV) continue;
          if (op == HT_K_SQDEV && !f64) continue;
          if (op >= HT_K_ARGMIN && f64) continue;
          for (size_t l = 0; l < sizeof layouts / sizeof *layouts; l++)
            check_kernel((ht_dtype)t, (ht_kop)op, f64, layouts[l][0], layouts[l][1], layouts[l][2]);
        }
  }
  omp_set_num_threads(1);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("reduce");
  TCase *tc = tcase_create("reduce");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_kernels_all_dtypes);
  tcase_add_test(tc, test_sum_split_axis);
  tcase_add_test(tc, test_sum_split1_keepdims);
  tcase_add_test(tc, test_float32_accuracy);
  tcase_add_test(tc, test_argmax_ties_across_ranks);
  tcase_add_test(tc, test_argmax_flat_split1);
  tcase_add_test(tc, test_nan_propagates);
  tcase_add_test(tc, test_nan_long_rows_and_columns);
  tcase_add_test(tc, test_var_split);
  tcase_add_test(tc, test_threads);
  tcase_add_test(tc, test_views_and_packing);
  tcase_add_test(tc, test_errors_and_empty);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
