// Plain-loop BLAS for the C++ kernel tests (see cblas.h): row-major only,
// as csrc/blas.hpp calls it.
#include "cblas.h"

namespace {

template <class T>
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N, blasint K, T alpha, const T* A,
          blasint lda, const T* B, blasint ldb, T beta, T* C, blasint ldc) {
    for (blasint i = 0; i < M; ++i)
        for (blasint j = 0; j < N; ++j) {
            T acc = 0;
            for (blasint k = 0; k < K; ++k) {
                const T a = ta == CblasTrans ? A[k * lda + i] : A[i * lda + k];
                const T b = tb == CblasTrans ? B[j * ldb + k] : B[k * ldb + j];
                acc += a * b;
            }
            C[i * ldc + j] = alpha * acc + (beta == T(0) ? T(0) : beta * C[i * ldc + j]);
        }
}

template <class T>
void gemv(CBLAS_TRANSPOSE t, blasint M, blasint N, T alpha, const T* A, blasint lda, const T* x, blasint incx,
          T beta, T* y, blasint incy) {
    const blasint rows = t == CblasTrans ? N : M, cols = t == CblasTrans ? M : N;
    for (blasint i = 0; i < rows; ++i) {
        T acc = 0;
        for (blasint k = 0; k < cols; ++k) acc += (t == CblasTrans ? A[k * lda + i] : A[i * lda + k]) * x[k * incx];
        y[i * incy] = alpha * acc + (beta == T(0) ? T(0) : beta * y[i * incy]);
    }
}

template <class T>
void ger(blasint M, blasint N, T alpha, const T* x, blasint incx, const T* y, blasint incy, T* A, blasint lda) {
    for (blasint i = 0; i < M; ++i)
        for (blasint j = 0; j < N; ++j) A[i * lda + j] += alpha * x[i * incx] * y[j * incy];
}

char g_name[] = "reference loops (tests only)";

}  // namespace

void scipy_openblas_set_num_threads(int) {}
int scipy_openblas_get_num_threads() { return 1; }
char* scipy_openblas_get_config() { return g_name; }
char* scipy_openblas_get_corename() { return g_name; }

void scipy_cblas_sgemm(CBLAS_ORDER, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N, blasint K,
                       float alpha, const float* A, blasint lda, const float* B, blasint ldb, float beta, float* C,
                       blasint ldc) {
    gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void scipy_cblas_dgemm(CBLAS_ORDER, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N, blasint K,
                       double alpha, const double* A, blasint lda, const double* B, blasint ldb, double beta,
                       double* C, blasint ldc) {
    gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void scipy_cblas_sgemv(CBLAS_ORDER, CBLAS_TRANSPOSE t, blasint M, blasint N, float alpha, const float* A,
                       blasint lda, const float* x, blasint incx, float beta, float* y, blasint incy) {
    gemv(t, M, N, alpha, A, lda, x, incx, beta, y, incy);
}
void scipy_cblas_dgemv(CBLAS_ORDER, CBLAS_TRANSPOSE t, blasint M, blasint N, double alpha, const double* A,
                       blasint lda, const double* x, blasint incx, double beta, double* y, blasint incy) {
    gemv(t, M, N, alpha, A, lda, x, incx, beta, y, incy);
}
void scipy_cblas_sger(CBLAS_ORDER, blasint M, blasint N, float alpha, const float* x, blasint incx, const float* y,
                      blasint incy, float* A, blasint lda) {
    ger(M, N, alpha, x, incx, y, incy, A, lda);
}
void scipy_cblas_dger(CBLAS_ORDER, blasint M, blasint N, double alpha, const double* x, blasint incx,
                      const double* y, blasint incy, double* A, blasint lda) {
    ger(M, N, alpha, x, incx, y, incy, A, lda);
}
