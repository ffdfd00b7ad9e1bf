/* runtime/cpu/arg_rows.c: float32 argmin/argmax along rows (I == 1) through ht_cpu_reduce
 * give the same index and value bits with the AVX-512 row kernel on and off, and equal a
 * plain scan with NumPy's rules (first extreme; first NaN wins; -0.0 ties with 0.0), at
 * row lengths around the 16-element vectors and row counts around the 16-row groups, with
 * ties, NaN, infinities and signed zeros; and the kernel on a row stride wider than n. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_mpi.h"
#include "cpu/arg_rows.h"
#include "cpu/reduce.h"

static const int64_t Ns[] = {1, 2, 7, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100};

static uint64_t next(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 33;
}

/* Row r's element k, kind by r % 8: random, few distinct values (ties), a NaN (two in
 * some rows), +-inf, signed zeros as the extreme, all equal, all +inf or all -inf. */
static float value(uint64_t *s, int64_t r, int64_t k, int64_t n) {
  const float u = (float)(next(s) % 2001) / 1000.0f - 1.0f;
  switch (r % 8) {
  case 0: return u;
  case 1: return (float)(next(s) % 3);
  case 2: return k == (r / 8) % n || k == (r / 8 + 5) % n ? NAN : u;
  case 3: return k % 5 == 1 ? INFINITY : k % 5 == 3 ? -INFINITY : u;
  case 4: return k % 3 == 0 ? -0.0f : k % 3 == 1 ? 0.0f : 1.0f + u * u;
  case 5: return 2.5f;
  case 6: return (r / 8) % 2 ? INFINITY : -INFINITY;
  default: return k % 4 == 2 ? -0.0f : 0.5f + u * u;
  }
}

/* NumPy's argmin/argmax of one row: the first extreme, or the first NaN */
static int64_t reference(bool is_max, const float *p, int64_t n) {
  int64_t b = 0;
  for (int64_t k = 0; k < n; k++) {
    if (p[k] != p[k]) return k;
    if (is_max ? p[k] > p[b] : p[k] < p[b]) b = k;
  }
  return b;
}

static void reduce_rows(bool is_max, const float *v, int64_t O, int64_t n, int on,
                        ht_argacc *out) {
  const ht_rjob j = {.op = is_max ? HT_K_ARGMAX : HT_K_ARGMIN, .t = HT_FLOAT32, .f64 = true,
                     .in = v, .O = O, .R = n, .I = 1};
  const int was = ht_arg_rows_simd(on);
  ht_cpu_reduce(&j, out);
  ht_arg_rows_simd(was);
}

static void check_case(bool is_max, int64_t O, int64_t n) {
  float *v = malloc(sizeof(float) * (size_t)(O * n));
  ht_argacc *a = malloc(sizeof(ht_argacc) * (size_t)O), *b = malloc(sizeof(ht_argacc) * (size_t)O);
  uint64_t s = (uint64_t)(O * 1009 + n * 7 + is_max);
  for (int64_t r = 0; r < O; r++)
    for (int64_t k = 0; k < n; k++) v[r * n + k] = value(&s, r, k, n);
  reduce_rows(is_max, v, O, n, 1, a);
  reduce_rows(is_max, v, O, n, 0, b);
  for (int64_t r = 0; r < O; r++) {
    const int64_t e = reference(is_max, v + r * n, n);
    ck_assert_msg(a[r].idx == b[r].idx && a[r].idx == e &&
                      memcmp(&a[r].v.f, &b[r].v.f, sizeof(double)) == 0,
                  "%s O %lld n %lld row %lld: kernel %lld (%g) generic %lld (%g) reference %lld",
                  is_max ? "argmax" : "argmin", (long long)O, (long long)n, (long long)r,
                  (long long)a[r].idx, a[r].v.f, (long long)b[r].idx, b[r].v.f, (long long)e);
  }
  free(v), free(a), free(b);
}

START_TEST(test_rows_on_off_and_reference) {
  for (int ni = 0; ni < (int)(sizeof Ns / sizeof Ns[0]); ni++)
    for (int64_t O = 1; O <= 17; O++) check_case(O % 2, O, Ns[ni]), check_case(!(O % 2), O, Ns[ni]);
  for (int ni = 0; ni < (int)(sizeof Ns / sizeof Ns[0]); ni++)
    check_case(false, 200, Ns[ni]), check_case(true, 200, Ns[ni]);
}
END_TEST

/* The kernel itself on rows of n elements lying ld apart (a slice of longer rows): it takes
 * every row where the CPU has AVX-512, adds r0 to the positions, reads nothing past n. */
START_TEST(test_kernel_strided_rows) {
  if (!ht_arg_rows_simd(-1)) return; /* no AVX-512 here: nothing to compare */
  enum { O = 37, LD = 70 };
  float v[O * LD];
  ht_argacc out[O];
  uint64_t s = 11;
  for (int64_t n = 1; n <= HT_ARG_ROWS_MAX; n += 9)
    for (int mx = 0; mx < 2; mx++) {
      for (int64_t k = 0; k < O * LD; k++)
        v[k] = k % LD < n ? value(&s, k / LD, k % LD, n) : (mx ? INFINITY : -INFINITY);
      ck_assert_int_eq(ht_arg_rows_avx512(mx, v, LD, n, O, 5, out), O);
      for (int64_t r = 0; r < O; r++)
        ck_assert_int_eq(out[r].idx, 5 + reference(mx, v + r * LD, n));
    }
  ck_assert_int_eq(ht_arg_rows_avx512(false, v, LD, HT_ARG_ROWS_MAX + 1, O, 0, out), 0);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("arg_rows");
  TCase *tc = tcase_create("arg_rows");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_rows_on_off_and_reference);
  tcase_add_test(tc, test_kernel_strided_rows);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return ht_check_main(argc, argv, make_suite); }
