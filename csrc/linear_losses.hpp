// "Linear layer + loss + backward" in one pass over the rows of X, with the
// loss functors of scores_losses.hpp (the per-row definitions are not copied).
//
// Per block of rows: S_blk = X_blk W^T + b (BLAS) into a (block x C) buffer;
// the loss functor turns S_blk into its gradient G_blk in place; then, while
// G_blk is still in cache, dW += G_blk^T X_blk, db += column sums of G_blk and
// dX_blk = G_blk W. Besides inputs and outputs, memory is O(block x C): the
// N x C scores are never held.
#pragma once

#include <cstdint>

#include "loss_options.hpp"

namespace fastlin {

template <class T>
struct LinearLossBatch {
    const T* X = nullptr;  // (N, D), C-contiguous
    const T* W = nullptr;  // (C, D), C-contiguous
    const T* b = nullptr;  // (C,) or null
    int64_t N = 0, D = 0, C = 0;
    double reg = 0.0;       // adds reg * sum(W**2) to a reduced loss, 2 reg W to dW
    T* dW = nullptr;        // (C, D), always written
    T* db = nullptr;        // (C,) or null
    T* dX = nullptr;        // (N, D) or null
    T* row_loss = nullptr;  // (N,) or null: the per-row losses of reduction "none"
};

// Rows per block of the fused pass for C classes of `elem_size` bytes.
int64_t fused_block_rows(int64_t C, int64_t elem_size);

// Runs the fused pass; returns the reduced loss plus the penalty (for "none",
// the plain sum of the row losses, without penalty). Labels are checked by
// loss.denominator(N) before anything is written. Defined for float and
// double and every loss functor of scores_losses.hpp.
template <class T, class Loss>
double run_linear_loss(const LinearLossBatch<T>& a, const Loss& loss, Reduction r);

}  // namespace fastlin
