// The closed-form minimiser of the mean squared loss of a linear model with
// an L2 penalty on W (not on the bias):
//   min_{W, b} 1/(2N) ||X W^T + b - T||^2 + reg ||W||^2.
#pragma once

#include <cstdint>

namespace fastlin {

enum class LeastSquaresMethod { cholesky, min_norm };

struct LeastSquaresProblem {
    int64_t N = 0, D = 0, K = 0;  // X (N, D), T (N, K); N >= 1
    double reg = 0.0;
    bool fit_bias = true;
    bool targets_1d = false;  // T was (N,): only for the wording of errors
};

// Writes W (K, D) and, when fit_bias, b (K,), both float64, and returns how
// they were found. Computes in float64 whatever T is. Throws
// std::invalid_argument on a non-finite input.
//
// The bias is fitted by centring (b = mean(T) - W mean(X)), and W solves the
// centred normal equations (Xc^T Xc + 2 N reg I) W^T = Xc^T Tc by Cholesky,
// accumulated over blocks of rows so that Xc is never held whole. When the
// factorisation fails or the system is too ill-conditioned for it (reciprocal
// condition number below sqrt(eps): beyond that the normal equations, which
// square the condition number of Xc, would lose more than half the digits),
// W comes from a minimum-norm SVD solve of Xc (or, with reg > 0, of
// [Xc; sqrt(2 N reg) I]), which is numpy.linalg.lstsq's answer.
template <class T>
LeastSquaresMethod least_squares(const LeastSquaresProblem& p, const T* X, const T* Tg, double* W,
                                 double* b);

}  // namespace fastlin
