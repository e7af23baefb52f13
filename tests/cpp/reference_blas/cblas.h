// A stand-in for scipy-openblas32's cblas.h, for the C++ kernel tests only
// (tests/cpp): the few routines csrc/blas.hpp calls, as plain loops
// (reference_blas.cpp), so the kernels can be cross-compiled and tested
// where no OpenBLAS for the target is at hand. Never part of the package.
#pragma once

typedef int blasint;
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };
enum CBLAS_UPLO { CblasUpper = 121, CblasLower = 122 };

void scipy_openblas_set_num_threads(int n);
int scipy_openblas_get_num_threads();
char* scipy_openblas_get_config();
char* scipy_openblas_get_corename();

void scipy_cblas_sgemm(CBLAS_ORDER, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N, blasint K,
                       float alpha, const float* A, blasint lda, const float* B, blasint ldb, float beta, float* C,
                       blasint ldc);
void scipy_cblas_dgemm(CBLAS_ORDER, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint M, blasint N, blasint K,
                       double alpha, const double* A, blasint lda, const double* B, blasint ldb, double beta,
                       double* C, blasint ldc);
void scipy_cblas_sgemv(CBLAS_ORDER, CBLAS_TRANSPOSE t, blasint M, blasint N, float alpha, const float* A,
                       blasint lda, const float* x, blasint incx, float beta, float* y, blasint incy);
void scipy_cblas_dgemv(CBLAS_ORDER, CBLAS_TRANSPOSE t, blasint M, blasint N, double alpha, const double* A,
                       blasint lda, const double* x, blasint incx, double beta, double* y, blasint incy);
void scipy_cblas_sger(CBLAS_ORDER, blasint M, blasint N, float alpha, const float* x, blasint incx, const float* y,
                      blasint incy, float* A, blasint lda);
void scipy_cblas_dger(CBLAS_ORDER, blasint M, blasint N, double alpha, const double* x, blasint incx,
                      const double* y, blasint incy, double* A, blasint lda);
void scipy_cblas_dsyrk(CBLAS_ORDER, CBLAS_UPLO, CBLAS_TRANSPOSE, blasint N, blasint K, double alpha,
                       const double* A, blasint lda, double beta, double* C, blasint ldc);
