// The linear layer S = X W^T + b and its backward pass, on C-contiguous
// arrays, through the BLAS (blas.hpp).
#pragma once

#include <cstdint>

namespace fastlin {

// S (N, C) = X (N, D) W (C, D)^T + b (C,); b may be null.
template <class T>
void linear_forward(const T* X, const T* W, const T* b, int64_t N, int64_t D, int64_t C, T* S);

// From the upstream gradient dS (N, C): dX (N, D) = dS W, dW (C, D) = dS^T X,
// db (C,) = the column sums of dS (summed in double, rows in order). Any
// output may be null to skip it.
template <class T>
void linear_backward(const T* dS, const T* X, const T* W, int64_t N, int64_t D, int64_t C, T* dX, T* dW,
                     T* db);

// db[c] (+)= sum over the n rows of G (n, C) of G[i, c], in double. Column
// sums of a gradient block, shared by linear_backward and the fused passes.
template <class T>
void add_column_sums(const T* G, int64_t n, int64_t C, double* acc);

}  // namespace fastlin
