// A stand-in for scipy-openblas32's lapacke.h, for the C++ kernel tests only:
// declared so that csrc/blas.hpp compiles; the kernels under test call none.
#pragma once

typedef int lapack_int;
#define LAPACK_ROW_MAJOR 101

lapack_int scipy_LAPACKE_dpotrf(int, char, lapack_int, double*, lapack_int);
lapack_int scipy_LAPACKE_dpocon(int, char, lapack_int, const double*, lapack_int, double, double*);
lapack_int scipy_LAPACKE_dpotrs(int, char, lapack_int, lapack_int, const double*, lapack_int, double*, lapack_int);
lapack_int scipy_LAPACKE_dgelsd(int, lapack_int, lapack_int, lapack_int, double*, lapack_int, double*, lapack_int,
                                double*, double, lapack_int*);
lapack_int scipy_LAPACKE_dgesdd(int, char, lapack_int, lapack_int, double*, lapack_int, double*, double*,
                                lapack_int, double*, lapack_int);
