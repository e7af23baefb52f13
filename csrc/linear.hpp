// The linear layer S = X W^T + b and its backward pass, on C-contiguous
// arrays, through the BLAS (blas.hpp).
//
// Threads: OpenBLAS runs single-threaded (set at import) and fastlin's pool
// runs pieces of a product side by side. A piece's bounds depend on the
// shapes only, never on the thread count: OpenBLAS's rounding depends on how
// a product is partitioned (stripes of one sgemm differ in the last bits
// from the whole), so fixed pieces are what keep every result
// bit-identical for any number of threads.
#pragma once

#include <cstdint>

namespace fastlin {

// Rows of S (or dX) and columns of dW per piece: big enough for a BLAS call
// to run near its peak, small enough to give every core work.
constexpr int64_t kPieceRows = 256;
constexpr int64_t kPieceCols = 256;

inline int64_t num_pieces(int64_t n, int64_t piece) {
    return (n + piece - 1) / piece;
}

// S (N, C) = X (N, D) W (C, D)^T + b (C,); b may be null. ldS: S's row stride.
template <class T>
void linear_forward_serial(const T* X, const T* W, const T* b, int64_t N, int64_t D, int64_t C,
                           T* S, int64_t ldS);

// The same in pieces of kPieceRows rows on the thread pool.
template <class T>
void linear_forward(const T* X, const T* W, const T* b, int64_t N, int64_t D, int64_t C, T* S);

// From the upstream gradient dS (N, C): dX (N, D) = dS W, dW (C, D) = dS^T X,
// db (C,) = the column sums of dS (summed in double, rows in order). Any
// output may be null to skip it. In pieces on the thread pool.
template <class T>
void linear_backward(const T* dS, const T* X, const T* W, int64_t N, int64_t D, int64_t C, T* dX,
                     T* dW, T* db);

// acc[c] += sum over the n rows of G (n, C; row stride ldG) of G[i, c], for c
// in [c0, c1), in double, rows in order. Column sums of a gradient block,
// shared by linear_backward and the fused passes.
template <class T>
void add_column_sums(const T* G, int64_t n, int64_t ldG, int64_t c0, int64_t c1, double* acc);

}  // namespace fastlin
