/* Decompositions and solvers of 2-D distributed arrays (Heat's linalg): QR, SVD, eigh, the
 * hierarchical SVD, inverse, determinant and linear solves. Every function is collective;
 * integer and bool inputs are promoted to float64 (NumPy), float32 stays float32. All return
 * -1 (or NULL) with ht_errmsg() set, on every rank together: shape errors from the replicated
 * metadata, data errors (NaN/inf inside, LAPACK's info) agreed with ht_comm_agree. */
#ifndef HT_DECOMP_H
#define HT_DECOMP_H

#include <stdbool.h>

#include "array.h"

/* ---- QR (runtime/ops/qr.c) ---- */
/* Reduced QR: Q (m x k, k = min(m, n)) orthonormal columns, R (k x n) upper triangular
 * with a non-negative diagonal (so R does not depend on the rank count for a full-rank A).
 * Split 0: TSQR (each rank's rows, then one QR of the stacked R factors); Q split 0 with
 * a's counts, R replicated. Split 1: the same after a resplit to 0; Q and R split 1.
 * Replicated: LAPACK on every rank. want_q false: R only (*q untouched). */
int ht_qr(const ht_array *a, bool want_q, ht_array **q, ht_array **r);

/* ---- SVD and symmetric eigenproblems (runtime/ops/svd.c) ---- */
/* a = U diag(S) Vt with S descending. compute_uv false: *s only. Reduced factors: tall
 * (m >= n) via TSQR along rows (U split 0, Vt replicated), short-fat via the transpose
 * (U replicated, Vt split 1); full_matrices gathers the matrix on every rank. Each row of
 * Vt has its largest-magnitude entry positive (signs independent of the rank count). */
int ht_svd(const ht_array *a, bool full_matrices, bool compute_uv, ht_array **u,
           ht_array **s, ht_array **vt);
/* Eigenvalues w ascending (NumPy) and eigenvectors as V's columns of the symmetric matrix
 * a (its lower triangle is read). Gathers a on every rank; V keeps a's split. v NULL:
 * eigenvalues only. */
int ht_eigh(const ht_array *a, ht_array **w, ht_array **v);

/* ---- the hierarchical SVD (runtime/ops/hsvd.c) ---- */
typedef struct ht_hsvd_opts {
  int64_t maxrank;      /* truncation rank at every node */
  int64_t maxmergedim;  /* most columns one merge may stack */
  double rtol;          /* < 0: none; else the bound on the relative error estimate */
  int64_t safetyshift;  /* extra columns kept below the root */
  int64_t no_of_merges; /* most nodes per merge; 0: no limit */
} ht_hsvd_opts;
/* Heat's hsvd (Iwen & Ong; Himpe, Leibner & Rave): local truncated SVDs merged along a
 * tree. u: m x r left singular vectors (split 0 like a when a is split 0, else
 * replicated); s (r) and v (n x r) when both pointers are given; *err the a-posteriori
 * estimate of |A - U S V^T|_F / |A|_F. u NULL (s and v then required): U is not kept, and
 * for a row-split a never held whole (S from blocks of A V). */
int ht_hsvd(const ht_array *a, const ht_hsvd_opts *o, ht_array **u, ht_array **s,
            ht_array **v, double *err);

/* ---- randomized (runtime/ops/rsvd.c) ---- */
/* Heat's rsvd: U (m x rank, split 0 unless a is replicated), S (rank), Vt (rank x n,
 * replicated) from a sketch of rank + n_oversamples Gaussian columns. */
int ht_rsvd(const ht_array *a, int64_t rank, int64_t n_oversamples, int64_t power_iter,
            ht_array **u, ht_array **s, ht_array **vt);
/* Heat's reigh for a symmetric a: the k largest eigenvalues (descending) and their
 * eigenvectors (n x k, split 0 unless a is replicated). */
int ht_reigh(const ht_array *a, int64_t k, int64_t n_oversamples, int64_t power_iter,
             ht_array **w, ht_array **v);

/* ---- inverse, determinant and solves (runtime/ops/solve.c); gather a on every rank ---- */
ht_array *ht_inv(const ht_array *a);
ht_array *ht_det(const ht_array *a); /* a 0-d replicated array */
/* x with a x = b; b is (n,) or (n, k); x keeps b's split. */
ht_array *ht_solve(const ht_array *a, const ht_array *b);
ht_array *ht_solve_triangular(const ht_array *a, const ht_array *b, bool lower);

/* ---- shared by the decompositions ---- */
/* a as a C-contiguous float array (a view when it already is one, else a copy; integers
 * and bool become float64), after checking that it is 2-D and finite (agreed across
 * ranks). fn names the caller in messages. */
ht_array *ht_decomp_input(const char *fn, const ht_array *a);
/* 0 if the local data of x (a contiguous float copy of a) is finite, else an error naming
 * fn, what ("array", "b") and a's shape, split and dtype. Local: the caller agrees. */
int ht_decomp_finite(const char *fn, const char *what, const ht_array *a, const ht_array *x);
/* After a failed allocation: its message (which names the bytes) prefixed with fn; -1. */
int ht_decomp_oom(const char *fn);
/* Flips signs so that the largest-magnitude entry of each of the k rows of vt (length n,
 * leading dimension ldvt) is positive, flipping the matching column of u (rows m, leading
 * dimension ldu; u may be NULL). */
void ht_decomp_sign_rows(ht_dtype t, int64_t k, int64_t n, void *vt, int64_t ldvt, int64_t m,
                         void *u, int64_t ldu);

#endif
