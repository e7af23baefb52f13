// The one place that knows about the BLAS and LAPACK fastlin links
// (scipy-openblas32: OpenBLAS with 32-bit integers and every symbol prefixed
// `scipy_`). Everything else calls these small, row-major, typed wrappers.
#pragma once

#include <cblas.h>
#include <lapacke.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace fastlin::blas {

// Threads OpenBLAS uses inside one call, and its build description.
inline void set_num_threads(int n) {
    scipy_openblas_set_num_threads(n);
}
inline int get_num_threads() {
    return scipy_openblas_get_num_threads();
}
inline const char* config() {
    return scipy_openblas_get_config();
}
inline const char* core_name() {
    return scipy_openblas_get_corename();
}

// fastlin calls the BLAS single-threaded from its own pieces of work
// (linear.hpp says why). Called at each entry point, on the calling thread,
// before any piece runs: something else in the process (threadpoolctl's
// limits, which reach every OpenBLAS loaded) may have changed the count.
inline void use_one_thread() {
    if (get_num_threads() != 1) set_num_threads(1);
}

// OpenBLAS's integers are 32-bit: a size beyond that is refused with a clear
// message rather than silently wrapped.
inline blasint to_blasint(int64_t v, const char* what) {
    if (v < 0 || v > std::numeric_limits<blasint>::max()) {
        throw std::invalid_argument(std::string(what) + ": dimension " + std::to_string(v) +
                                    " exceeds the BLAS's 32-bit index range");
    }
    return static_cast<blasint>(v);
}

// A leading dimension must be at least 1 even for empty matrices.
inline blasint ld(int64_t v) {
    return to_blasint(v > 0 ? v : 1, "leading dimension");
}

// C = beta * C: the whole product when the inner dimension K is empty (BLAS
// implementations differ on whether they touch C then).
template <class T>
inline void scale_only(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
    for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j)
            C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

template <class T>
struct Routines;
template <>
struct Routines<float> {
    static constexpr auto gemm = &scipy_cblas_sgemm;
    static constexpr auto gemv = &scipy_cblas_sgemv;
    static constexpr auto ger = &scipy_cblas_sger;
};
template <>
struct Routines<double> {
    static constexpr auto gemm = &scipy_cblas_dgemm;
    static constexpr auto gemv = &scipy_cblas_dgemv;
    static constexpr auto ger = &scipy_cblas_dger;
};

// C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C, row-major.
// One row (M = 1) goes to gemv and an outer product (K = 1) to ger: gemm
// would first pack all of op(B), which for one image (N = 1) costs more
// than the product itself.
template <class T>
inline void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                 int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
    using R = Routines<T>;
    if (M == 0 || N == 0) return;
    if (K == 0) return scale_only(M, N, beta, C, ldc);
    if (M == 1) {
        // c = alpha op(B)^T a + beta c, with a the one row of op(A).
        R::gemv(CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans,
                to_blasint(trans_b ? N : K, "N"), to_blasint(trans_b ? K : N, "K"), alpha, B,
                ld(ldb), A, trans_a ? ld(lda) : 1, beta, C, 1);
        return;
    }
    if (K == 1) {
        // C = beta C + alpha a b^T, a the column of op(A), b the row of op(B);
        // with beta = 0 written in one pass rather than zeroed, then updated.
        if (beta == T(0)) {
            for (int64_t i = 0; i < M; ++i) {
                const T ai = alpha * A[trans_a ? i : i * lda];
                T* c = C + i * ldc;
                for (int64_t j = 0; j < N; ++j) c[j] = ai * B[trans_b ? j * ldb : j];
            }
            return;
        }
        if (beta != T(1)) scale_only(M, N, beta, C, ldc);
        R::ger(CblasRowMajor, to_blasint(M, "M"), to_blasint(N, "N"), alpha, A,
               trans_a ? 1 : ld(lda), B, trans_b ? ld(ldb) : 1, C, ld(ldc));
        return;
    }
    R::gemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
            to_blasint(M, "M"), to_blasint(N, "N"), to_blasint(K, "K"), alpha, A, ld(lda), B,
            ld(ldb), beta, C, ld(ldc));
}

// Upper triangle of C (N x N) = alpha * A^T A + beta * C, with A (K x N) row-major.
inline void syrk_upper_at_a(int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                            double beta, double* C, int64_t ldc) {
    if (N == 0) return;
    scipy_cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, to_blasint(N, "N"), to_blasint(K, "K"),
                      alpha, A, ld(lda), beta, C, ld(ldc));
}

// Cholesky of the upper triangle of the symmetric A (n x n), in place.
// Returns LAPACK's info: 0 on success, k > 0 when the leading minor of order
// k is not positive definite.
inline int64_t potrf_upper(int64_t n, double* A) {
    return scipy_LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', to_blasint(n, "n"), A, ld(n));
}

// Reciprocal condition number (1-norm) of A from its Cholesky factor;
// `anorm` is the 1-norm of A before factorisation.
inline double pocon_upper(int64_t n, const double* U, double anorm) {
    double rcond = 0.0;
    const lapack_int info =
        scipy_LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', to_blasint(n, "n"), U, ld(n), anorm, &rcond);
    return info == 0 ? rcond : 0.0;
}

// Solves A X = B (B: n x nrhs, row-major, overwritten) with A's Cholesky factor.
inline int64_t potrs_upper(int64_t n, int64_t nrhs, const double* U, double* B) {
    return scipy_LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', to_blasint(n, "n"), to_blasint(nrhs, "nrhs"),
                                U, ld(n), B, ld(nrhs));
}

// Minimum-norm least squares min ||A X - B|| by SVD (divide and conquer), A
// (m x n), B (max(m, n) x nrhs), both row-major and overwritten; X is the
// first n rows of B. Singular values below rcond * s_max count as zero.
// Returns LAPACK's info (> 0: the SVD did not converge).
inline int64_t gelsd(int64_t m, int64_t n, int64_t nrhs, double* A, double* B, double* s,
                     double rcond, int64_t* rank) {
    lapack_int r = 0;
    const lapack_int info =
        scipy_LAPACKE_dgelsd(LAPACK_ROW_MAJOR, to_blasint(m, "m"), to_blasint(n, "n"),
                             to_blasint(nrhs, "nrhs"), A, ld(n), B, ld(nrhs), s, rcond, &r);
    *rank = r;
    return info;
}

// Singular values of A (m x n, row-major, overwritten) in decreasing order
// into s (min(m, n)), no vectors. Returns LAPACK's info (> 0: no convergence).
inline int64_t singular_values(int64_t m, int64_t n, double* A, double* s) {
    double u = 0.0, vt = 0.0;  // not referenced with jobz = 'N'
    return scipy_LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', to_blasint(m, "m"), to_blasint(n, "n"), A,
                                ld(n), s, &u, 1, &vt, 1);
}

}  // namespace fastlin::blas
