// The one loop that applies a per-row loss over a batch, with sample weights
// and the reduction. Every scores loss and every fused linear pass uses it.
#pragma once

#include <cstdint>
#include <limits>

#include "loss_options.hpp"

namespace fastlin {

// Rows are summed in blocks of this many, each block in double, the blocks
// then in order: the reduced loss does not depend on how rows are split
// between threads.
constexpr int64_t kRowsPerSumBlock = 256;

// Gradient scale of the reduced loss: 1/denominator for "mean" (0 when
// nothing counts, with a NaN loss), 1 for "sum" and "none".
inline double reduction_scale(Reduction r, double denominator) {
    if (r != Reduction::mean) return 1.0;
    return denominator > 0.0 ? 1.0 / denominator : 0.0;
}

inline double reduce_total(Reduction r, double total, double denominator) {
    if (r != Reduction::mean) return total;
    return denominator > 0.0 ? total / denominator : std::numeric_limits<double>::quiet_NaN();
}

// Applies a per-row loss to rows [begin, end) of a batch whose rows lie
// contiguously from `S` (row `begin` first, C values each), writing each row's
// gradient, scaled by sample_weight[i] * scale, to the same place in `G` (null
// when no gradient is wanted; may equal S). Returns the sum of
// sample_weight[i] * loss_i and writes each term to row_out[i - begin] when
// row_out is not null (reduction "none"). `loss(i, s_row, gscale, g_row)`
// takes the global row index i, for its label.
template <class T, class RowLoss>
double apply_row_loss(int64_t begin, int64_t end, int64_t C, const T* S, T* G, const double* sample_weight,
                      double scale, T* row_out, const RowLoss& loss) {
    double total = 0.0;
    for (int64_t b0 = begin; b0 < end; b0 += kRowsPerSumBlock) {
        const int64_t b1 = b0 + kRowsPerSumBlock < end ? b0 + kRowsPerSumBlock : end;
        double block = 0.0;
        for (int64_t i = b0; i < b1; ++i) {
            const int64_t r = i - begin;
            const double sw = sample_weight ? sample_weight[i] : 1.0;
            const double li = sw * loss(i, S + r * C, sw * scale, G ? G + r * C : nullptr);
            if (row_out) row_out[r] = static_cast<T>(li);
            block += li;
        }
        total += block;
    }
    return total;
}

}  // namespace fastlin
