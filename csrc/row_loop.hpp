// The one loop that applies a per-row loss over a batch, with sample weights.
// Every scores loss and every fused linear pass uses it.
#pragma once

#include <cstdint>

#include "isa_namespace.hpp"
#include "reduction.hpp"

namespace fastlin::FASTLIN_ISA {

// Applies a per-row loss to rows [begin, end) of a batch whose rows lie
// contiguously from `S` (row `begin` first, C values each), writing each row's
// gradient, scaled by sample_weight[i] * scale, to the same place in `G` (null
// when no gradient is wanted; may equal S). Returns the sum, in double, of
// sample_weight[i] * loss_i and writes each term to row_out[i - begin] when
// row_out is not null (reduction "none"). `loss(i, s_row, gscale, g_row)`
// takes the global row index i, for its label.
template <class T, class RowLoss>
double apply_row_loss(int64_t begin, int64_t end, int64_t C, const T* S, T* G, const double* sample_weight,
                      double scale, T* row_out, const RowLoss& loss) {
    double total = 0.0;
    for (int64_t i = begin; i < end; ++i) {
        const int64_t r = i - begin;
        const double sw = sample_weight ? sample_weight[i] : 1.0;
        const double li = sw * loss(i, S + r * C, sw * scale, G ? G + r * C : nullptr);
        if (row_out) row_out[r] = static_cast<T>(li);
        total += li;
    }
    return total;
}

}  // namespace fastlin::FASTLIN_ISA
