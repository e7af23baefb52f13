// The one loop that applies a per-row loss over a batch, with sample weights.
// Every scores loss and every fused linear pass uses it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

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
template <class T, class RowLoss, class = void>
struct has_rows : std::false_type {};
template <class T, class RowLoss>
struct has_rows<T, RowLoss, std::void_t<decltype(RowLoss::kRows)>> : std::true_type {};

template <class T, class RowLoss>
double apply_row_loss(int64_t begin, int64_t end, int64_t C, const T* S, T* G,
                      const double* sample_weight, double scale, T* row_out, const RowLoss& loss) {
    double total = 0.0;
    int64_t i = begin;
    // Several rows at once where the loss offers it, until rows() declines
    // (it does so for every row, by the options) or one row is left; the
    // grouping depends on the rows' position only, never on the threads.
    // The rows after go one by one in a loop of their own (tuning notes:
    // "Code shapes dropped").
    if constexpr (has_rows<T, RowLoss>::value) {
        constexpr int R = RowLoss::kRows;
        while (end - i > 1) {
            const int n = static_cast<int>(std::min<int64_t>(R, end - i));
            const T* s[R];
            T* g[R];
            double sw[R], gs[R], li[R];
            for (int r = 0; r < n; ++r) {
                s[r] = S + (i + r - begin) * C;
                g[r] = G ? G + (i + r - begin) * C : nullptr;
                sw[r] = sample_weight ? sample_weight[i + r] : 1.0;
                gs[r] = sw[r] * scale;
            }
            if (!loss.rows(i, n, s, gs, g, li)) break;
            for (int r = 0; r < n; ++r) {
                const double term = sw[r] * li[r];
                if (row_out) row_out[i + r - begin] = static_cast<T>(term);
                total += term;
            }
            i += n;
        }
    }
    for (; i < end; ++i) {
        const int64_t r = i - begin;
        const double sw = sample_weight ? sample_weight[i] : 1.0;
        const double li = sw * loss(i, S + r * C, sw * scale, G ? G + r * C : nullptr);
        if (row_out) row_out[r] = static_cast<T>(li);
        total += li;
    }
    return total;
}

}  // namespace fastlin::FASTLIN_ISA
