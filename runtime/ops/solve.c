/* Inverse, determinant and linear solves: the square matrix is gathered on every rank
 * (it must fit in one rank's memory), LAPACK factors it, the result keeps the split of
 * the distributed operand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../comm.h"
#include "../cpu/lapack.h"
#include "../decomp.h"
#include "../ops.h"

/* The square float matrix a, checked and gathered on every rank. */
static ht_array *gathered_square(const char *fn, const ht_array *a) {
  char sh[64];
  if (a->ndim == 2 && a->gshape[0] != a->gshape[1])
    return ht_error("%s: expected a square matrix, got shape %s (split %d, dtype %s)", fn,
                    ht_fmt_shape(sh, sizeof sh, 2, a->gshape), a->split,
                    ht_dtype_name(a->dtype)), NULL;
  ht_array *x = ht_decomp_input(fn, a);
  if (!x || x->split < 0) return x;
  ht_array *g = ht_resplit(x, -1);
  ht_array_free(x);
  return g;
}

/* Agrees on st (replicated inputs fail alike everywhere, but an allocation may not), and
 * frees *out on failure. */
static ht_array *finish(int st, ht_array *out) {
  if (ht_comm_agree(st) < 0) st = -1;
  if (st) {
    ht_array_free(out);
    return NULL;
  }
  return out;
}

/* The LU factors (getrf) of the gathered square a: *lu and *ipiv, freed by the caller;
 * returns getrf's info (> 0: an exactly zero pivot), or -1. */
static int lu_of(const char *fn, const ht_array *a, ht_array **lu, int32_t **ipiv) {
  *lu = NULL, *ipiv = NULL;
  ht_array *g = gathered_square(fn, a);
  if (!g) return -1;
  const int64_t n = g->gshape[0];
  *lu = ht_copy(g);
  *ipiv = ht_meta_alloc(sizeof(int32_t) * (size_t)(n ? n : 1), fn); /* O(n) */
  ht_array_free(g);
  return *lu && *ipiv ? ht_lapack_getrf((*lu)->dtype, n, ht_array_data(*lu), n, *ipiv)
                      : ht_decomp_oom(fn);
}

ht_array *ht_inv(const ht_array *a) {
  ht_array *out;
  int32_t *ipiv;
  int st = lu_of("inv", a, &out, &ipiv);
  if (!st) st = ht_lapack_getri(out->dtype, out->gshape[0], ht_array_data(out),
                                out->gshape[0], ipiv);
  if (st > 0)
    st = ht_error("inv: singular matrix (shape (%lld, %lld), split %d, dtype %s)",
                  (long long)a->gshape[0], (long long)a->gshape[1], a->split,
                  ht_dtype_name(out->dtype));
  free(ipiv);
  out = finish(st, out);
  if (out && a->split >= 0) {
    ht_array *r = ht_resplit(out, a->split);
    ht_array_free(out);
    out = r;
  }
  return out;
}

ht_array *ht_det(const ht_array *a) {
  ht_array *lu;
  int32_t *ipiv;
  int st = lu_of("det", a, &lu, &ipiv);
  double d = 1;
  if (st > 0) { /* an exactly zero pivot: NumPy returns 0, not an error */
    d = 0, st = 0;
  } else if (!st) {
    const int64_t n = lu->gshape[0];
    for (int64_t i = 0; i < n; i++) {
      d *= ht_get_f64(lu->dtype, (char *)ht_array_data(lu) + (size_t)(i * n + i) *
                                                                  ht_dtype_size(lu->dtype));
      if (ipiv[i] != i + 1) d = -d;
    }
  }
  free(ipiv);
  ht_dtype t = lu ? lu->dtype : HT_FLOAT64;
  ht_array_free(lu);
  if (ht_comm_agree(st) < 0) st = -1;
  return st ? NULL : ht_scalar(t, d);
}

/* b as an (n, k) matrix gathered on every rank, in dtype t. */
static ht_array *gathered_rhs(const char *fn, const ht_array *b, int64_t n, ht_dtype t) {
  char sa[64];
  if ((b->ndim != 1 && b->ndim != 2) || b->gshape[0] != n)
    return ht_error("%s: b must have shape (%lld,) or (%lld, k) to match a, got %s (split %d, "
                    "dtype %s)", fn, (long long)n, (long long)n,
                    ht_fmt_shape(sa, sizeof sa, b->ndim, b->gshape), b->split,
                    ht_dtype_name(b->dtype)), NULL;
  ht_array *g = b->split < 0 ? ht_array_view(b) : ht_resplit(b, -1);
  if (!g) return NULL;
  ht_array *c = ht_astype(g, t); /* a contiguous copy, to be overwritten by x */
  ht_array_free(g);
  /* every rank holds all of b now, so every rank finds the same NaN */
  if (c && ht_decomp_finite(fn, "b", b, c)) ht_array_free(c), c = NULL;
  return c;
}

static ht_array *solve(const char *fn, const ht_array *a, const ht_array *b, int tri,
                       bool lower) {
  ht_array *g = gathered_square(fn, a);
  if (!g) return NULL;
  const int64_t n = g->gshape[0];
  ht_dtype t = ht_promote(g->dtype, ht_dtype_is_float(b->dtype) ? b->dtype : HT_FLOAT64);
  ht_array *x = gathered_rhs(fn, b, n, t);
  ht_array *A = x ? ht_astype(g, t) : NULL;
  ht_array_free(g);
  int32_t *ipiv = ht_meta_alloc(sizeof(int32_t) * (size_t)(n ? n : 1), fn); /* O(n) */
  int st = x && A ? 0 : x ? ht_decomp_oom(fn) : -1;
  const int64_t k = !x ? 0 : x->ndim == 2 ? x->gshape[1] : 1;
  if (!st && tri) {
    for (int64_t i = 0; !st && i < n; i++)
      if (ht_get_f64(t, (char *)ht_array_data(A) + (size_t)(i * n + i) * ht_dtype_size(t)) == 0)
        st = ht_error("%s: singular matrix (zero on the diagonal at %lld; shape (%lld, %lld), "
                      "split %d, dtype %s)", fn, (long long)i, (long long)n, (long long)n,
                      a->split, ht_dtype_name(t));
    if (!st) st = ht_lapack_trtrs(t, lower, n, k, ht_array_data(A), n, ht_array_data(x), k);
  } else if (!st) {
    st = ht_lapack_getrf(t, n, ht_array_data(A), n, ipiv);
    if (!st) st = ht_lapack_getrs(t, n, k, ht_array_data(A), n, ipiv, ht_array_data(x), k);
  }
  if (st > 0) st = ht_error("%s: singular matrix (shape (%lld, %lld), split %d, dtype %s)", fn,
                            (long long)n, (long long)n, a->split, ht_dtype_name(t));
  free(ipiv);
  ht_array_free(A);
  x = finish(st, x);
  if (x && b->split >= 0) {
    ht_array *r = ht_resplit(x, b->split);
    ht_array_free(x);
    x = r;
  }
  return x;
}

ht_array *ht_solve(const ht_array *a, const ht_array *b) {
  return solve("solve", a, b, 0, false);
}

ht_array *ht_solve_triangular(const ht_array *a, const ht_array *b, bool lower) {
  return solve("solve_triangular", a, b, 1, lower);
}
